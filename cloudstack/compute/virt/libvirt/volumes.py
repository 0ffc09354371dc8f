"""Volumes as guest disks, from the connection info Block Storage returns.

- iscsi: QEMU's own initiator (libiscsi) logs in to the target; no host
  iSCSI session, no /dev/sdX on the host. CHAP passwords live in libvirt
  secrets named after the volume, never in the domain XML.
- local: a file or block device on this host.
"""
import os
import stat

from cloudstack.compute.virt import driver
from cloudstack.compute.virt.libvirt import config

DEFAULT_ISCSI_PORT = 3260
SECRET_PREFIX = 'cloudstack-volume-'


def secret_usage(volume_id):
    return SECRET_PREFIX + volume_id


def _portal(portal):
    """'host:port' or '[v6]:port' -> (host, port)."""
    host, sep, port = portal.rpartition(':')
    if not sep or ']' in port:
        return portal.strip('[]'), DEFAULT_ISCSI_PORT
    return host.strip('[]'), int(port)


def volume_disk(connection_info, target, bus='virtio', device='disk', initiator=None,
                cache='none'):
    """The config.Disk of a volume (raises NotSupported for other types)."""
    kind = connection_info.get('driver_volume_type')
    data = connection_info.get('data') or {}
    readonly = data.get('access_mode') == 'ro'
    serial = data.get('volume_id')
    if kind == 'iscsi':
        disk = config.Disk(target=target, bus=bus, device=device, source_type='network',
                           format='raw', cache=cache, readonly=readonly, serial=serial,
                           protocol='iscsi',
                           name='%s/%s' % (data['target_iqn'], data.get('target_lun', 0)),
                           hosts=[_portal(data['target_portal'])], initiator=initiator)
        if (data.get('auth_method') or '').upper() == 'CHAP':
            disk.auth_username = data['auth_username']
            disk.secret_usage = secret_usage(data['volume_id'])
        return disk
    if kind == 'local':
        path = data['device_path']
        is_block = os.path.exists(path) and stat.S_ISBLK(os.stat(path).st_mode)
        return config.Disk(target=target, bus=bus, device=device,
                           source_type='block' if is_block else 'file', path=path,
                           format=data.get('format') or 'raw', cache=cache, readonly=readonly,
                           serial=serial)
    raise driver.NotSupported('Volumes of type %s cannot be attached here.' % kind)


def chap_password(connection_info):
    """(secret usage, password) of a CHAP-protected iSCSI volume, or None."""
    data = connection_info.get('data') or {}
    if (connection_info.get('driver_volume_type') == 'iscsi'
            and (data.get('auth_method') or '').upper() == 'CHAP'):
        return secret_usage(data['volume_id']), data['auth_password']
    return None
