"""The libvirt compute driver: QEMU/KVM, LXC and Xen guests on one host.

Each instance has a directory `<instances_path>/<uuid>/`:
  disk          root disk: a qcow2 overlay on the cached base image (LXC: a raw
                copy, loop-mounted as the container's root file system)
  disk.eph<N>   ephemeral disks, disk.swap: overlays on formatted blank bases
  disk.config   the config drive (ISO 9660, label config-2)
  disk.rescue   the rescue disk while rescued (unrescue.xml: the domain before)
  console.log   the serial console's output (virtlogd writes it)
  libvirt.xml   the domain XML last defined, for people reading the host
and a persistent libvirt domain named `instance.name` with `instance.uuid`,
whose <metadata> marks it as ours. Every operation is idempotent: what
exists is reused, what is gone is not an error.
"""
import base64
import contextlib
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import time

import eventlet

from cloudstack import drivers
from cloudstack import exception
from cloudstack.compute.metadata import configdrive
from cloudstack.compute.metadata import document
from cloudstack.compute.virt import driver
from cloudstack.compute.virt.libvirt import config
from cloudstack.compute.virt.libvirt import disks
from cloudstack.compute.virt.libvirt import host as host_mod
from cloudstack.compute.virt.libvirt import volumes
from cloudstack.conf import CONF

LOG = logging.getLogger(__name__)
libvirt = host_mod.libvirt

MAX_CONSOLE_BYTES = 100 * 1024
DETACH_TIMEOUT = 30
IQN_FILE = '/etc/iscsi/initiatorname.iscsi'
# libvirt's LXC driver names a loop device's backing file in a 64-byte field and
# fails on longer paths: containers' root images are given through a short link.
LXC_LINKS = '/run/cloudstack/lxc'
HYPERVISOR_TYPES = {'qemu': 'QEMU', 'kvm': 'QEMU', 'lxc': 'LXC', 'xen': 'Xen'}
TRUE = ('1', 'yes', 'true', 'on', True)


class DeviceDetachFailed(exception.Conflict):
    message = 'The guest did not release device %(device)s.'


class MigrationError(exception.CloudstackError):
    message = 'Migration failed: %(reason)s'


def _power_state(state, has_managed_save=False):
    if libvirt is None:
        return driver.NOSTATE
    return {
        libvirt.VIR_DOMAIN_RUNNING: driver.RUNNING,
        libvirt.VIR_DOMAIN_BLOCKED: driver.RUNNING,
        libvirt.VIR_DOMAIN_PAUSED: driver.PAUSED,
        libvirt.VIR_DOMAIN_SHUTDOWN: driver.SHUTDOWN,
        libvirt.VIR_DOMAIN_SHUTOFF: driver.SUSPENDED if has_managed_save else driver.SHUTDOWN,
        libvirt.VIR_DOMAIN_CRASHED: driver.CRASHED,
        libvirt.VIR_DOMAIN_PMSUSPENDED: driver.SUSPENDED,
    }.get(state, driver.NOSTATE)


def _dev(mountpoint):
    return os.path.basename(mountpoint or '')


def _source_of(disk_el):
    """What a <disk> element reads: its file, device or network name."""
    src = disk_el.find('source') if disk_el is not None else None
    return None if src is None else (src.get('file') or src.get('dev') or src.get('name'))


def _default_host_ip():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(('192.0.2.1', 9))     # no packet is sent; the route is looked up
            return s.getsockname()[0]
        except OSError:
            return '127.0.0.1'


class LibvirtDriver(driver.ComputeDriver):
    def __init__(self, host):
        super().__init__(host)
        self.virt_type = CONF.libvirt.virt_type
        self._host = host_mod.Host(host_mod.uri_for(self.virt_type, CONF.libvirt.connection_uri))
        self.instances_path = (CONF.libvirt.instances_path
                               or os.path.join(CONF.data_dir, 'instances'))
        self.images = disks.ImageCache(os.path.join(self.instances_path, '_base'),
                                       CONF.libvirt.force_raw_images)
        self.host_ip = CONF.libvirt.host_ip or _default_host_ip()
        self._cachemode = CONF.libvirt.disk_cachemode

    # -- the host -------------------------------------------------------------------------

    def init_host(self):
        os.makedirs(self.instances_path, mode=0o755, exist_ok=True)
        caps = config.parse(self._host.capabilities())
        offered = {d.get('type') for d in caps.iter('domain')}
        wanted = 'lxc' if self.virt_type == 'lxc' else self.virt_type
        if wanted not in offered:
            raise host_mod.HypervisorUnavailable(
                reason='%s offers no %s domains (it offers: %s)' % (
                    self._host.uri, wanted, ', '.join(sorted(offered)) or 'none'))
        if not self._cachemode:
            self._cachemode = ('none' if disks.supports_direct_io(self.instances_path)
                               else 'writeback')
        LOG.info('libvirt driver on %s: %s guests, instances in %s', self._host.uri,
                 self.virt_type, self.instances_path)

    def get_available_resource(self):
        model, memory_mb, cpus = self._host.info()[:3]
        st = os.statvfs(self.instances_path if os.path.isdir(self.instances_path) else '/')
        total, free = st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
        vcpus_used = memory_used = 0
        for dom in self._our_domains():
            state, max_kib, _, nr_cpus, _ = self._host.call(dom.info)
            if state not in (libvirt.VIR_DOMAIN_SHUTOFF, libvirt.VIR_DOMAIN_CRASHED):
                vcpus_used += nr_cpus
                memory_used += max_kib // 1024
        return {'vcpus': cpus, 'memory_mb': memory_mb, 'local_gb': total // disks.GiB,
                'vcpus_used': vcpus_used, 'memory_mb_used': memory_used,
                'local_gb_used': (total - free) // disks.GiB,
                'hypervisor_type': HYPERVISOR_TYPES[self.virt_type],
                'hypervisor_version': self._host.version(),
                'hypervisor_hostname': self.host, 'cpu_info': self._cpu_info(model),
                'host_ip': self.host_ip}

    def _cpu_info(self, model):
        cpu = config.parse(self._host.capabilities()).find('host/cpu')
        info = {'arch': model, 'model': None, 'vendor': None, 'topology': {}, 'features': []}
        if cpu is not None:
            info['arch'] = cpu.findtext('arch') or model
            info['model'] = cpu.findtext('model')
            info['vendor'] = cpu.findtext('vendor')
            topo = cpu.find('topology')
            if topo is not None:
                info['topology'] = {k: int(v) for k, v in topo.attrib.items() if v.isdigit()}
            info['features'] = sorted(f.get('name') for f in cpu.findall('feature'))
        return json.dumps(info)

    def _our_domains(self):
        ours = []
        for dom in self._host.domains():
            try:
                self._host.call(dom.metadata, libvirt.VIR_DOMAIN_METADATA_ELEMENT, config.NS)
            except libvirt.libvirtError:
                continue
            ours.append(dom)
        return ours

    def list_instances(self):
        return [self._host.call(dom.UUIDString) for dom in self._our_domains()]

    def get_info(self, instance):
        dom = self._host.get(instance)
        state, max_kib, kib, nr_cpus, cpu_time = self._host.call(dom.info)
        managed = (state == libvirt.VIR_DOMAIN_SHUTOFF and self.virt_type != 'lxc'
                   and self._host.call(dom.hasManagedSaveImage, 0))
        return {'power_state': _power_state(state, managed), 'max_mem_kb': max_kib,
                'mem_kb': kib, 'num_cpu': nr_cpus, 'cpu_time_ns': cpu_time}

    def get_connector(self):
        return {'host': self.host, 'ip': self.host_ip, 'initiator': self.initiator(),
                'platform': 'x86_64', 'os_type': 'linux', 'multipath': False,
                'machine': drivers.this_machine()}

    def initiator(self):
        if CONF.libvirt.iscsi_initiator:
            return CONF.libvirt.iscsi_initiator
        try:
            with open(IQN_FILE) as f:
                for line in f:
                    if line.startswith('InitiatorName='):
                        return line.split('=', 1)[1].strip()
        except OSError:
            pass
        return 'iqn.2026-12.org.cloudstack:%s' % re.sub(r'[^a-z0-9.-]', '-', self.host.lower())

    # -- where things are ----------------------------------------------------------------

    def _dir(self, instance, suffix=''):
        return os.path.join(self.instances_path, instance.uuid + suffix)

    def _path(self, instance, name):
        return os.path.join(self._dir(instance), name)

    def _props(self, instance):
        return (instance.image_meta or {}).get('properties') or {}

    def _disk_bus(self, instance):
        if self.virt_type == 'xen':
            return 'xen', 'xvd'
        bus = self._props(instance).get('hw_disk_bus') or 'virtio'
        return bus, {'virtio': 'vd', 'ide': 'hd', 'sata': 'sd', 'scsi': 'sd'}.get(bus, 'vd')

    def _wants_config_drive(self, instance):
        return bool(instance.config_drive or CONF.metadata.force_config_drive
                    or self._props(instance).get('img_config_drive') == 'mandatory')

    @staticmethod
    def _boot_volume(block_device_info):
        for bdm in (block_device_info or {}).get('block_device_mapping') or []:
            if bdm.get('boot_index') == 0:
                return bdm
        return None

    # -- disks ------------------------------------------------------------------------

    @staticmethod
    def _with_flavor_disks(instance, block_device_info):
        """The block device info, with the flavor's ephemeral disk and swap
        when it names none (as Nova's default block device mappings do)."""
        bdi = dict(block_device_info or {})
        flavor = instance.flavor
        if not bdi.get('ephemerals') and flavor.ephemeral_gb:
            bdi['ephemerals'] = [{'device_name': None, 'size': flavor.ephemeral_gb,
                                  'guest_format': None}]
        if not bdi.get('swap') and flavor.swap:
            bdi['swap'] = {'device_name': None, 'swap_size': flavor.swap}
        return bdi

    def _local_disks(self, instance, block_device_info, rescue=False):
        """[(file name, config.Disk)] of the instance's local disks, root first."""
        bdi = self._with_flavor_disks(instance, block_device_info)
        bus, prefix = self._disk_bus(instance)
        found = []
        used = set()

        def take(device, default_index):
            name = _dev(device)
            if not name or name in used:
                index = default_index
                while '%s%s' % (prefix, chr(ord('a') + index)) in used:
                    index += 1
                name = '%s%s' % (prefix, chr(ord('a') + index))
            used.add(name)
            return name

        for bdm in bdi.get('block_device_mapping') or []:
            if bdm.get('mount_device'):
                used.add(_dev(bdm['mount_device']))
        iso = instance.image_meta.get('disk_format') == 'iso'
        if rescue:
            found.append(('disk.rescue', config.Disk(target=take(None, 0), bus=bus,
                                                     boot_order=1)))
        if not self._boot_volume(bdi):
            root = take(None if rescue else bdi.get('root_device_name'), 0)
            found.append(('disk', config.Disk(target=root, bus=bus,
                                              boot_order=None if (rescue or iso) else 1)))
        for i, eph in enumerate(bdi.get('ephemerals') or []):
            found.append(('disk.eph%d' % i, config.Disk(target=take(eph.get('device_name'), 1),
                                                        bus=bus)))
        if bdi.get('swap') and bdi['swap'].get('swap_size'):
            found.append(('disk.swap', config.Disk(target=take(bdi['swap'].get('device_name'),
                                                               1), bus=bus)))
        cd_bus = self._cdrom_bus(instance)
        if iso and not rescue:
            found.append(('disk.iso', config.Disk(target=self._cdrom_target(cd_bus, 0),
                                                  bus=cd_bus, device='cdrom', format='raw',
                                                  readonly=True, boot_order=1)))
        if self._wants_config_drive(instance):
            found.append(('disk.config', config.Disk(target=self._cdrom_target(cd_bus, 3),
                                                     bus=cd_bus, device='cdrom', format='raw',
                                                     readonly=True)))
        for name, disk in found:
            disk.source_type = 'file'
            disk.path = self._path(instance, name)
            disk.cache = disk.cache or self._cachemode or 'writeback'
            if disk.device == 'disk':
                disk.format = 'qcow2'
        return found

    def _cdrom_bus(self, instance):
        if self.virt_type == 'xen':
            return 'xen'
        bus = self._props(instance).get('hw_cdrom_bus')
        machine = self._props(instance).get('hw_machine_type') or CONF.libvirt.hw_machine_type
        return bus or ('sata' if 'q35' in machine else 'ide')

    @staticmethod
    def _cdrom_target(bus, index):
        prefix = {'ide': 'hd', 'sata': 'sd', 'scsi': 'sd', 'xen': 'xvd'}.get(bus, 'hd')
        return '%s%s' % (prefix, chr(ord('a') + (index if bus == 'ide' else 25 - index)))

    def _root_size(self, instance, base):
        wanted = instance.flavor.root_gb * disks.GiB
        if wanted and base and base.virtual_size > wanted:
            raise exception.BadRequest(
                'Flavor %s\'s disk (%d GiB) is smaller than the image (%d bytes).' % (
                    instance.flavor.name, instance.flavor.root_gb, base.virtual_size))
        return max(wanted, base.virtual_size if base else 0)

    def _create_disks(self, instance, image, block_device_info, network_info,
                      injected_files=None, admin_password=None):
        os.makedirs(self._dir(instance), mode=0o755, exist_ok=True)
        bdi = self._with_flavor_disks(instance, block_device_info)
        if self.virt_type == 'lxc':
            path = self._path(instance, 'disk')
            if not os.path.exists(path):
                base = self.images.fetch(image)
                disks.copy_raw(base, path, self._root_size(instance, base))
            return
        for name, disk in self._local_disks(instance, bdi):
            path = disk.path
            if os.path.exists(path):
                continue
            if name == 'disk':
                base = self.images.fetch(image) if image else None
                if base is None or base.disk_format == 'iso':
                    size = instance.flavor.root_gb * disks.GiB or disks.GiB
                    disks.qemu_img('create', '-q', '-f', 'qcow2', path + '.part', size)
                    os.replace(path + '.part', path)
                else:
                    disks.create_overlay(base.path, base.format, path,
                                         self._root_size(instance, base))
            elif name == 'disk.iso':
                shutil.copy(self.images.fetch(image).path, path + '.part')
                os.replace(path + '.part', path)
            elif name.startswith('disk.eph'):
                eph = bdi['ephemerals'][int(name[len('disk.eph'):])]
                size = int(eph.get('size') or instance.flavor.ephemeral_gb) * disks.GiB
                base = self.images.blank('ephemeral', size, eph.get('guest_format') or 'ext4')
                disks.create_overlay(base, 'raw', path, size)
            elif name == 'disk.swap':
                size = int(bdi['swap']['swap_size']) * disks.MiB
                disks.create_overlay(self.images.blank('swap', size), 'raw', path, size)
            elif name == 'disk.config':
                self._build_config_drive(instance, network_info, injected_files,
                                         admin_password, path)

    def _build_config_drive(self, instance, network_info, injected_files, admin_password,
                            path):
        extra = {}
        if admin_password:
            extra['admin_pass'] = admin_password
        if injected_files:
            extra['injected_files'] = _files(injected_files)
        md = document.InstanceMetadata(instance, network_info, extra)
        configdrive.build(path, md.config_drive_files())
        os.chmod(path, 0o644)

    # -- the domain ---------------------------------------------------------------------

    def _domain(self, instance, network_info, block_device_info, rescue=False):
        props = self._props(instance)
        flavor = instance.flavor
        owner = {'display_name': (instance.extra or {}).get('display_name') or instance.hostname,
                 'flavor': flavor, 'project_id': instance.project_id,
                 'user_id': instance.user_id, 'image_id': instance.image_ref}
        dom = config.Domain(virt_type=self.virt_type, name=instance.name, uuid=instance.uuid,
                            memory_mb=flavor.memory_mb, vcpus=flavor.vcpus, owner=owner,
                            console_log=self._path(instance, 'console.log'))
        dom.interfaces = [self._interface(instance, vif) for vif in network_info or []]
        if self.virt_type == 'lxc':
            dom.os_type = 'exe'
            dom.rootfs = self._lxc_link(instance)
            dom.init = props.get('os_command_line') or CONF.libvirt.lxc_init
            return dom
        dom.machine_type = props.get('hw_machine_type') or CONF.libvirt.hw_machine_type
        if self.virt_type == 'xen':
            dom.os_type = 'xen' if props.get('vm_mode') == 'xen' else 'hvm'
        dom.cpu_mode = CONF.libvirt.cpu_mode or ('host-model' if self.virt_type == 'kvm'
                                                 else None)
        dom.cpu_model = CONF.libvirt.cpu_model
        dom.disks = [disk for _, disk in self._local_disks(instance, block_device_info, rescue)]
        if not rescue:
            for bdm in (block_device_info or {}).get('block_device_mapping') or []:
                disk = self._volume_disk(instance, bdm['connection_info'],
                                         bdm.get('mount_device'), bdm.get('disk_bus'),
                                         bdm.get('device_type'))
                if bdm.get('boot_index') == 0:
                    disk.boot_order = 1
                dom.disks.append(disk)
        if CONF.libvirt.serial_console_enabled:
            dom.serial_tcp = (CONF.libvirt.serial_listen, self._serial_port(instance))
        if CONF.libvirt.vnc_enabled:
            dom.vnc_listen = CONF.libvirt.vnc_listen
        dom.rng_path = CONF.libvirt.rng_dev_path or None
        dom.guest_agent = props.get('hw_qemu_guest_agent') in TRUE
        dom.sysinfo = {'manufacturer': 'cloudstack', 'product': 'OpenStack Compute',
                       'serial': instance.uuid, 'uuid': instance.uuid,
                       'family': 'Virtual Machine'}
        return dom

    def _lxc_link(self, instance):
        link = os.path.join(LXC_LINKS, instance.uuid)
        os.makedirs(LXC_LINKS, mode=0o755, exist_ok=True)
        target = self._path(instance, 'disk')
        if not os.path.islink(link) or os.readlink(link) != target:
            os.symlink(target, link + '.tmp')
            os.replace(link + '.tmp', link)
        return link

    def _interface(self, instance, vif):
        model = self._props(instance).get('hw_vif_model') or 'virtio'
        return config.Interface(mac=vif['address'], bridge=vif['bridge'],
                                tap=vif.get('devname') or 'tap' + vif['id'][:11],
                                model=model, mtu=vif.get('mtu'))

    def _volume_disk(self, instance, connection_info, mountpoint, disk_bus=None,
                     device_type=None):
        bus, prefix = self._disk_bus(instance)
        target = _dev(mountpoint)
        if not target:
            raise exception.BadRequest('A volume needs a device name.')
        return volumes.volume_disk(connection_info, target, bus=disk_bus or bus,
                                   device=device_type or 'disk', initiator=self.initiator(),
                                   cache='none')

    def _serial_port(self, instance):
        dom = self._host.lookup(instance.uuid)
        if dom is not None:
            for serial in config.parse(self._host.call(dom.XMLDesc, 0)).iter('serial'):
                src = serial.find('source')
                if serial.get('type') == 'tcp' and src is not None and src.get('service'):
                    return int(src.get('service'))
        first, last = (int(p) for p in CONF.libvirt.serial_port_range.split(':'))
        taken = set()
        for other in self._our_domains():
            for serial in config.parse(self._host.call(other.XMLDesc, 0)).iter('serial'):
                src = serial.find('source')
                if src is not None and src.get('service'):
                    taken.add(int(src.get('service')))
        for port in range(first, last + 1):
            if port not in taken and _port_free(CONF.libvirt.serial_listen, port):
                return port
        raise driver.NotSupported('No free serial console port in %s.'
                                  % CONF.libvirt.serial_port_range)

    def _secrets(self, block_device_info):
        for bdm in (block_device_info or {}).get('block_device_mapping') or []:
            chap = volumes.chap_password(bdm['connection_info'])
            if chap:
                self._host.set_secret(*chap)

    def _define(self, instance, network_info, block_device_info, rescue=False):
        xml = config.domain_xml(self._domain(instance, network_info, block_device_info,
                                             rescue))
        with open(self._path(instance, 'libvirt.xml'), 'w') as f:
            f.write(xml)
        return self._host.define(xml)

    def _start(self, dom, network_info, paused=False):
        """Start a defined domain, waiting for its bridges to appear. Paused:
        its CPUs stopped from the start (or, where the hypervisor cannot start
        paused, e.g. LXC, stopped right after)."""
        if not paused:
            return self._with_bridges(network_info, dom.createWithFlags, 0)
        try:
            self._with_bridges(network_info, dom.createWithFlags,
                               libvirt.VIR_DOMAIN_START_PAUSED)
        except libvirt.libvirtError as e:
            if e.get_error_code() not in (libvirt.VIR_ERR_INVALID_ARG,
                                          libvirt.VIR_ERR_NO_SUPPORT):
                raise
            self._with_bridges(network_info, dom.createWithFlags, 0)
            self._host.call(dom.suspend)

    def _with_bridges(self, network_info, fn, *args):
        """fn(*args), again while it fails because a port's bridge is missing
        (the network agent of this host creates it)."""
        deadline = time.monotonic() + CONF.libvirt.bridge_wait_timeout
        bridges = {vif['bridge'] for vif in network_info or [] if vif.get('bridge')}
        while True:
            try:
                return self._host.call(fn, *args)
            except libvirt.libvirtError as e:
                message = e.get_error_message() or ''
                missing = [b for b in bridges if b in message]
                if not missing or time.monotonic() > deadline:
                    raise
                LOG.info('waiting for bridge %s to appear', missing[0])
                eventlet.sleep(0.5)

    def _state(self, dom):
        return self._host.call(dom.state, 0)[0]

    def _active(self, dom):
        return bool(self._host.call(dom.isActive))

    # -- life cycle --------------------------------------------------------------------

    def spawn(self, context, instance, image, injected_files, admin_password,
              network_info, block_device_info, power_on=True):
        dom = self._host.lookup(instance.uuid)
        if dom is not None and self._active(dom):
            return
        self._create_disks(instance, image, block_device_info, network_info,
                           injected_files, admin_password)
        self._secrets(block_device_info)
        dom = self._define(instance, network_info, block_device_info)
        if power_on:
            paused = any(not vif.get('active', False) for vif in network_info or [])
            self._start(dom, network_info, paused=paused)

    def resume_after_plug(self, instance):
        dom = self._host.get(instance)
        if self._state(dom) == libvirt.VIR_DOMAIN_PAUSED:
            self._host.call(dom.resume)

    def destroy(self, context, instance, network_info, block_device_info,
                destroy_disks=True):
        dom = self._host.lookup(instance.uuid)
        secrets = set()
        if dom is not None:
            xml = config.parse(self._host.call(dom.XMLDesc, libvirt.VIR_DOMAIN_XML_INACTIVE))
            secrets = {s.get('usage') for s in xml.iter('secret')
                       if (s.get('usage') or '').startswith(volumes.SECRET_PREFIX)}
            self._hard_stop(dom)
            self._undefine(dom)
        for bdm in (block_device_info or {}).get('block_device_mapping') or []:
            chap = volumes.chap_password(bdm['connection_info'])
            if chap:
                secrets.add(chap[0])
        for usage in secrets:
            self._host.delete_secret(usage)
        if destroy_disks:
            for suffix in ('', '_resize'):
                shutil.rmtree(self._dir(instance, suffix), ignore_errors=True)
            if os.path.islink(os.path.join(LXC_LINKS, instance.uuid)):
                os.unlink(os.path.join(LXC_LINKS, instance.uuid))

    def _hard_stop(self, dom):
        try:
            if self._active(dom):
                self._host.call(dom.destroy)
        except libvirt.libvirtError as e:
            if e.get_error_code() not in (libvirt.VIR_ERR_OPERATION_INVALID,
                                          libvirt.VIR_ERR_NO_DOMAIN):
                raise

    def _undefine(self, dom):
        """Undefine with its managed save image, snapshot metadata and NVRAM;
        with fewer of those where the hypervisor knows fewer (LXC, Xen)."""
        for flags in ((libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                       | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
                       | libvirt.VIR_DOMAIN_UNDEFINE_NVRAM),
                      (libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                       | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA), 0):
            try:
                self._host.call(dom.undefineFlags, flags)
                return
            except libvirt.libvirtError as e:
                code = e.get_error_code()
                if code == libvirt.VIR_ERR_NO_DOMAIN:
                    return
                if code not in (libvirt.VIR_ERR_INVALID_ARG, libvirt.VIR_ERR_NO_SUPPORT) or not flags:
                    raise

    def _clean_shutdown(self, dom, timeout, retry_interval=0):
        """Ask the guest to power off (ACPI); True once it is off."""
        deadline = time.monotonic() + timeout
        next_ask = 0
        while time.monotonic() < deadline:
            if not self._active(dom):
                return True
            if time.monotonic() >= next_ask:
                try:
                    self._host.call(dom.shutdown)
                except libvirt.libvirtError as e:
                    if e.get_error_code() != libvirt.VIR_ERR_OPERATION_INVALID:
                        raise
                next_ask = (time.monotonic() + retry_interval) if retry_interval else deadline
            eventlet.sleep(0.5)
        return not self._active(dom)

    def reboot(self, context, instance, network_info, reboot_type, block_device_info=None):
        dom = self._host.get(instance)
        if (reboot_type or 'SOFT').upper() == 'SOFT' and self._active(dom):
            if self._clean_shutdown(dom, CONF.libvirt.shutdown_timeout):
                self._start(dom, network_info)
                return
            LOG.info('%s did not shut down in %ss; resetting it', instance.uuid,
                     CONF.libvirt.shutdown_timeout)
        self._hard_reboot(instance, network_info, block_device_info)

    def _hard_reboot(self, instance, network_info, block_device_info):
        dom = self._host.lookup(instance.uuid)
        if dom is not None:
            self._hard_stop(dom)
        self._secrets(block_device_info)
        dom = self._define(instance, network_info, block_device_info)
        self._start(dom, network_info)

    def power_off(self, instance, timeout=0, retry_interval=0):
        dom = self._host.get(instance)
        if timeout and self._clean_shutdown(dom, timeout, retry_interval):
            return
        self._hard_stop(dom)

    def power_on(self, context, instance, network_info, block_device_info=None):
        dom = self._host.lookup(instance.uuid)
        if dom is not None and self._active(dom):
            if self._state(dom) == libvirt.VIR_DOMAIN_PAUSED:
                self._host.call(dom.resume)
            return
        self._hard_reboot(instance, network_info, block_device_info)

    def pause(self, instance):
        dom = self._host.get(instance)
        if self._state(dom) != libvirt.VIR_DOMAIN_PAUSED:
            self._host.call(dom.suspend)

    def unpause(self, instance):
        dom = self._host.get(instance)
        if self._state(dom) == libvirt.VIR_DOMAIN_PAUSED:
            self._host.call(dom.resume)

    def suspend(self, context, instance):
        if self.virt_type == 'lxc':
            raise driver.NotSupported('Containers cannot be suspended to disk.')
        dom = self._host.get(instance)
        if self._active(dom):
            self._host.call(dom.managedSave, 0)

    def resume(self, context, instance, network_info, block_device_info=None):
        dom = self._host.get(instance)
        if not self._active(dom):
            self._start(dom, network_info)        # restores the managed save image

    def rebuild(self, context, instance, image, injected_files, admin_password,
                network_info, block_device_info, preserve_ephemeral=False):
        dom = self._host.lookup(instance.uuid)
        if dom is not None:
            self._hard_stop(dom)
            self._undefine(dom)
        here = self._dir(instance)
        for name in os.listdir(here) if os.path.isdir(here) else []:
            ephemeral = name.startswith('disk.eph')
            if name.startswith('disk') and not (preserve_ephemeral and ephemeral):
                os.unlink(os.path.join(here, name))
        self.spawn(context, instance, image, injected_files, admin_password, network_info,
                   block_device_info)

    # -- rescue ------------------------------------------------------------------------

    def rescue(self, context, instance, network_info, image, rescue_password):
        if self.virt_type == 'lxc':
            raise driver.NotSupported('Containers cannot be rescued.')
        saved = self._path(instance, 'unrescue.xml')
        dom = self._host.get(instance)
        if not os.path.exists(saved):
            xml = self._host.call(dom.XMLDesc, libvirt.VIR_DOMAIN_XML_INACTIVE)
            with open(saved + '.tmp', 'w') as f:
                f.write(xml)
            os.replace(saved + '.tmp', saved)
        rescue_disk = self._path(instance, 'disk.rescue')
        if not os.path.exists(rescue_disk):
            base = self.images.fetch(image)
            disks.create_overlay(base.path, base.format, rescue_disk,
                                 self._root_size(instance, base))
        if self._wants_config_drive(instance):
            self._build_config_drive(instance, network_info, None, rescue_password,
                                     self._path(instance, 'disk.config'))
        self._hard_stop(dom)
        dom = self._define(instance, network_info, None, rescue=True)
        self._start(dom, network_info)

    def unrescue(self, context, instance):
        saved = self._path(instance, 'unrescue.xml')
        dom = self._host.get(instance)
        if os.path.exists(saved):
            self._hard_stop(dom)
            with open(saved) as f:
                dom = self._host.define(f.read())
            os.unlink(saved)
        if not self._active(dom):
            self._host.call(dom.create)
        rescue_disk = self._path(instance, 'disk.rescue')
        if os.path.exists(rescue_disk):
            os.unlink(rescue_disk)

    # -- guest agent, crash dump -----------------------------------------------------------

    def set_admin_password(self, instance, new_pass):
        if self.virt_type not in ('qemu', 'kvm'):
            raise driver.NotSupported('Setting the admin password needs the QEMU guest agent.')
        dom = self._host.get(instance)
        xml = config.parse(self._host.call(dom.XMLDesc, 0))
        if not any(t.get('name') == 'org.qemu.guest_agent.0'
                   for t in xml.iter('target')):
            raise driver.NotSupported('The QEMU guest agent is not enabled for this server '
                                      '(image property hw_qemu_guest_agent=yes).')
        user = self._props(instance).get('os_admin_user') or 'root'
        try:
            self._host.call(dom.setUserPassword, user, new_pass, 0)
        except libvirt.libvirtError as e:
            raise driver.NotSupported('The guest agent did not set the password: %s'
                                      % e.get_error_message())

    def trigger_crash_dump(self, instance):
        if self.virt_type == 'lxc':
            raise driver.NotSupported('Containers have no NMI.')
        dom = self._host.get(instance)
        if not self._active(dom):
            raise exception.Conflict('The server is not running.')
        self._host.call(dom.injectNMI, 0)

    # -- snapshots -----------------------------------------------------------------------

    def snapshot(self, context, instance, upload):
        disk = self._path(instance, 'disk')
        if not os.path.exists(disk):
            raise driver.NotSupported('The server has no local root disk (volume-backed '
                                      'servers are snapshotted through their volume).')
        out = self._path(instance, 'snapshot.tmp')
        dom = self._host.get(instance)
        try:
            if self.virt_type == 'lxc':
                self._snapshot_lxc(dom, disk, out)
            else:
                self._snapshot_qemu(instance, dom, disk, out)
            upload('qcow2', _chunks(out))
        finally:
            if os.path.exists(out):
                os.unlink(out)

    def _snapshot_lxc(self, dom, disk, out):
        """The container's root file system, read while its processes are
        frozen, as a qcow2 (which skips the unused space)."""
        frozen = self._state(dom) == libvirt.VIR_DOMAIN_RUNNING
        if frozen:
            self._host.call(dom.suspend)
        try:
            disks.qemu_img('convert', '-q', '-f', 'raw', '-O', 'qcow2', disk, out)
        finally:
            if frozen:
                self._host.call(dom.resume)

    def _snapshot_qemu(self, instance, dom, disk, out):
        """Copy the root disk as it is now; a running guest keeps running: its
        writes go to a temporary overlay while the disk is read, then are
        committed back into it."""
        root = self._root_target(instance, dom)
        self._commit_leftover(dom, root, disk)
        if not self._active(dom):
            disks.qemu_img('convert', '-q', '-O', 'qcow2', disk, out)
            return
        overlay = self._path(instance, 'disk.snap')
        snap = ("<domainsnapshot><disks><disk name='%s' snapshot='external'>"
                "<driver type='qcow2'/><source file='%s'/></disk>%s</disks></domainsnapshot>" % (
                    root, overlay, ''.join("<disk name='%s' snapshot='no'/>" % t
                                           for t in self._disk_targets(dom) if t != root)))
        flags = (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
                 | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA
                 | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC)
        self._host.call(dom.snapshotCreateXML, snap, flags)
        try:
            disks.qemu_img('convert', '-q', '-U', '-O', 'qcow2', disk, out)
        finally:
            self._commit_leftover(dom, root, disk)

    def _disk_targets(self, dom):
        return list(config.disk_targets(config.parse(self._host.call(dom.XMLDesc, 0))))

    def _root_target(self, instance, dom):
        for target, el in config.disk_targets(config.parse(
                self._host.call(dom.XMLDesc, 0))).items():
            src = el.find('source')
            if src is not None and src.get('file') in (
                    self._path(instance, 'disk'), self._path(instance, 'disk.snap')):
                return target
        raise driver.NotSupported('The server\'s root disk is not attached.')

    def _commit_leftover(self, dom, target, disk):
        """Merge a snapshot's temporary overlay back into the root disk (also
        the one an interrupted snapshot left behind)."""
        if not self._active(dom):
            return
        el = config.disk_targets(config.parse(self._host.call(dom.XMLDesc, 0)))[target]
        top = el.find('source').get('file')
        if top == disk:
            return
        flags = (libvirt.VIR_DOMAIN_BLOCK_COMMIT_ACTIVE | libvirt.VIR_DOMAIN_BLOCK_COMMIT_SHALLOW)
        if not self._host.call(dom.blockJobInfo, target, 0):
            self._host.call(dom.blockCommit, target, None, None, 0, flags)
        self._pivot_when_ready(dom, target, 'committing the snapshot overlay')
        if os.path.exists(top):
            os.unlink(top)

    def _pivot_when_ready(self, dom, target, what, timeout=600):
        """Pivot the disk onto its mirror (an active commit's or a block
        copy's) once QEMU says the job is ready (the disk's <mirror
        ready='yes'>): cur == end alone comes earlier on a loaded host, and
        the pivot then fails "not ready for pivot yet"."""
        deadline = time.monotonic() + timeout
        while True:
            job = self._host.call(dom.blockJobInfo, target, 0)
            if not job and not self._mirror(dom, target):
                raise disks.DiskError(reason='%s failed (the block job ended)' % what)
            if job and job['end'] and job['cur'] == job['end'] and self._mirror_ready(
                    dom, target):
                try:
                    self._host.call(dom.blockJobAbort, target,
                                    libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT)
                    break
                except libvirt.libvirtError as e:
                    if e.get_error_code() != libvirt.VIR_ERR_BLOCK_COPY_ACTIVE:
                        raise
            if time.monotonic() > deadline:
                raise disks.DiskError(reason='%s timed out' % what)
            eventlet.sleep(0.1)
        while self._host.call(dom.blockJobInfo, target, 0):
            eventlet.sleep(0.05)

    def _mirror(self, dom, target):
        el = config.disk_targets(config.parse(self._host.call(dom.XMLDesc, 0))).get(target)
        return el.find('mirror') if el is not None else None

    def _mirror_ready(self, dom, target):
        mirror = self._mirror(dom, target)
        return mirror is not None and mirror.get('ready') == 'yes'

    # -- assisted volume snapshots (Block Storage's file-based volumes) -----------------

    def _volume_file_disk(self, dom, volume_id):
        """(target dev, disk element) of the attached file-based volume."""
        for target, el in config.disk_targets(config.parse(
                self._host.call(dom.XMLDesc, 0))).items():
            if el.findtext('serial') == volume_id:
                src = el.find('source')
                if el.get('type') != 'file' or src is None or not src.get('file'):
                    raise driver.NotSupported('Volume %s is not a file: the hypervisor '
                                              'snapshots only file-based volumes.' % volume_id)
                return target, el
        raise driver.NotSupported('Volume %s is not attached to this server.' % volume_id)

    def volume_snapshot_create(self, context, instance, volume_id, create_info):
        """The disk moves onto new_file (made by Block Storage next to the
        current file, backed by it): libvirt's external disk-only snapshot
        that reuses the file, live or in the definition of a stopped guest."""
        if create_info.get('type') != 'qcow2':
            raise driver.NotSupported('Unknown snapshot type %s.' % create_info.get('type'))
        dom = self._host.get(instance)
        target, el = self._volume_file_disk(dom, volume_id)
        current = el.find('source').get('file')
        new_file = os.path.join(os.path.dirname(current), create_info['new_file'])
        ET = config.ET
        snap = ET.Element('domainsnapshot')
        found = ET.SubElement(snap, 'disks')
        disk = ET.SubElement(found, 'disk', name=target, snapshot='external', type='file')
        ET.SubElement(disk, 'driver', type='qcow2')
        ET.SubElement(disk, 'source', file=new_file)
        for other in self._disk_targets(dom):
            if other != target:
                ET.SubElement(found, 'disk', name=other, snapshot='no')
        self._host.call(dom.snapshotCreateXML, ET.tostring(snap, encoding='unicode'),
                        libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
                        | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA
                        | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT)

    def volume_snapshot_delete(self, context, instance, volume_id, snapshot_id,
                               delete_info):
        """Merge file_to_merge out of the volume's chain: with no
        merge_target_file, the active file pulls the data above file_to_merge
        (above nothing: all of it) and is rebased onto it; else file_to_merge
        is committed into merge_target_file, its backing file."""
        if delete_info.get('type', 'qcow2') != 'qcow2':
            raise driver.NotSupported('Unknown snapshot type %s.' % delete_info.get('type'))
        dom = self._host.get(instance)
        target, el = self._volume_file_disk(dom, volume_id)
        folder = os.path.dirname(el.find('source').get('file'))

        def path(name):
            return os.path.join(folder, name) if name else None
        base, merge_target = path(delete_info.get('file_to_merge')), path(
            delete_info.get('merge_target_file'))
        if merge_target is None:
            if not self._active(dom):
                disks.qemu_img('rebase', '-q', '-f', 'qcow2', '-b', base or '',
                               *(['-F', 'qcow2'] if base else []),
                               el.find('source').get('file'))
                return
            self._host.call(dom.blockRebase, target, base, 0,
                            libvirt.VIR_DOMAIN_BLOCK_REBASE_RELATIVE if base else 0)
        else:
            if not self._active(dom):
                raise exception.Conflict('Merging into %s needs the server running.'
                                         % delete_info['merge_target_file'])
            self._host.call(dom.blockCommit, target, merge_target, base, 0,
                            libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE)
        self._wait_block_job(dom, target)

    def _wait_block_job(self, dom, target, timeout=600):
        deadline = time.monotonic() + timeout
        while self._host.call(dom.blockJobInfo, target, 0):
            if time.monotonic() > deadline:
                raise disks.DiskError(reason='the block job on %s timed out' % target)
            eventlet.sleep(0.2)

    # -- resize and cold migration ------------------------------------------------------

    def migrate_disk_and_power_off(self, context, instance, dest_host, flavor,
                                   network_info, block_device_info):
        old = instance.flavor
        if flavor.root_gb and flavor.root_gb < old.root_gb:
            raise exception.BadRequest('Resizing cannot shrink the root disk.')
        if flavor.ephemeral_gb < old.ephemeral_gb:
            raise exception.BadRequest('Resizing cannot shrink the ephemeral disk.')
        here, moved = self._dir(instance), self._dir(instance, '_resize')
        dom = self._host.lookup(instance.uuid)
        if dom is not None:
            if self._active(dom) and not self._clean_shutdown(dom, CONF.libvirt.shutdown_timeout):
                self._hard_stop(dom)
            self._undefine(dom)
        if os.path.isdir(here) and not os.path.isdir(moved):
            os.rename(here, moved)
        files = []
        for name in sorted(os.listdir(moved)) if os.path.isdir(moved) else []:
            if not name.startswith('disk') or name.endswith(('.part', '.tmp')):
                continue
            path = os.path.join(moved, name)
            entry = {'name': name, 'backing': None}
            if name not in ('disk.config', 'disk.iso'):
                found = disks.info(path, 'qcow2')
                if found.get('backing-filename'):
                    entry['backing'] = os.path.basename(found['backing-filename'])
                    entry['backing_format'] = found.get('backing-filename-format', 'raw')
            files.append(entry)
        return {'source_host': self.host, 'source_ip': self.host_ip, 'instance_dir': moved,
                'files': files}

    def finish_migration(self, context, migration, instance, disk_info, network_info,
                         image, resize_instance, block_device_info, power_on=True):
        here = self._dir(instance)
        os.makedirs(here, mode=0o755, exist_ok=True)
        for entry in disk_info['files']:
            dest = os.path.join(here, entry['name'])
            if not os.path.exists(dest):
                self._copy_in(disk_info, entry['name'], dest)
            backing = entry.get('backing')
            if backing:
                if backing.startswith(('ephemeral_', 'swap_')):
                    kind, size_mib, fs = backing.split('_')
                    base = self.images.blank(kind, int(size_mib) * disks.MiB,
                                             None if fs == 'none' else fs)
                else:
                    base = self.images.fetch(image).path
                disks.qemu_img('rebase', '-q', '-u', '-F', entry.get('backing_format', 'raw'),
                               '-b', base, dest)
        root = self._path(instance, 'disk')
        if resize_instance and os.path.exists(root) and instance.flavor.root_gb:
            disks.resize(root, instance.flavor.root_gb * disks.GiB)
        self._secrets(block_device_info)
        dom = self._define(instance, network_info, block_device_info)
        if power_on:
            self._start(dom, network_info)

    def _copy_in(self, disk_info, name, dest):
        src = os.path.join(disk_info['instance_dir'], name)
        part = dest + '.part'
        if os.path.exists(src):
            subprocess.run(['cp', '--sparse=always', src, part], check=True)
        else:           # another host: over SSH, as the agents' user
            subprocess.run(['scp', '-q', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
                            '%s:%s' % (disk_info['source_ip'], src), part], check=True)
        os.chmod(part, 0o644)
        os.replace(part, dest)

    def confirm_migration(self, context, migration, instance, network_info):
        shutil.rmtree(self._dir(instance, '_resize'), ignore_errors=True)

    def finish_revert_migration(self, context, instance, network_info,
                                block_device_info, power_on=True):
        moved = self._dir(instance, '_resize')
        if os.path.isdir(moved):
            dom = self._host.lookup(instance.uuid)
            if dom is not None:
                self._hard_stop(dom)
                self._undefine(dom)
            shutil.rmtree(self._dir(instance), ignore_errors=True)
            os.rename(moved, self._dir(instance))
        self._secrets(block_device_info)
        dom = self._define(instance, network_info, block_device_info)
        if power_on and not self._active(dom):
            self._start(dom, network_info)

    # -- live migration ------------------------------------------------------------------

    def pre_live_migration(self, context, instance, block_device_info, network_info,
                           disk_info=None, migrate_data=None):
        """Destination side, before `live_migration` on the source: find out
        whether this host sees the instance's disks (shared storage); if not,
        make its directory with empty disks of the source's sizes (the
        migration copies their content) and its read-only files (the config
        drive). migrate_data: `source_instances_path` (default: the same as
        here). Returns migrate_data for the source."""
        migrate_data = dict(migrate_data or {})
        self._secrets(block_device_info)
        here = self._dir(instance)
        source = os.path.join(migrate_data.get('source_instances_path') or self.instances_path,
                              instance.uuid)
        shared = (os.path.realpath(source) == os.path.realpath(here)
                  and os.path.exists(os.path.join(here, 'libvirt.xml')))
        migrate_data.update({'instances_path': self.instances_path, 'shared_storage': shared,
                             'dest_host': self.host})
        if shared or self.virt_type == 'lxc':
            return migrate_data
        if not os.path.isdir(source):
            raise MigrationError(reason='block migration needs the source\'s instance '
                                        'directory %s readable from this host' % source)
        os.makedirs(here, mode=0o755, exist_ok=True)
        for name in sorted(os.listdir(source)):
            dest = os.path.join(here, name)
            if not name.startswith('disk') or os.path.exists(dest) or name.endswith('.part'):
                continue
            if name in ('disk.config', 'disk.iso'):
                self._copy_in({'instance_dir': source}, name, dest)
            else:
                size = disks.info(os.path.join(source, name), 'qcow2')['virtual-size']
                disks.qemu_img('create', '-q', '-f', 'qcow2', dest + '.part', size)
                os.chmod(dest + '.part', 0o644)
                os.replace(dest + '.part', dest)
        return migrate_data

    def live_migration(self, context, instance, dest_host, block_migration,
                       migrate_data=None):
        if self.virt_type not in ('qemu', 'kvm'):
            raise driver.NotSupported('Only QEMU/KVM guests migrate live.')
        dom = self._host.get(instance)
        migrate_data = migrate_data or {}
        shared = migrate_data.get('shared_storage', not block_migration)
        flags = (libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
                 | libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE)
        if shared:
            # pre_live_migration saw the same files: shared storage, though libvirt
            # may not recognise the file system as such.
            flags |= libvirt.VIR_MIGRATE_UNSAFE
        else:
            flags |= libvirt.VIR_MIGRATE_NON_SHARED_DISK
        params = {}
        inbound = CONF.libvirt.live_migration_inbound_uri
        if inbound:
            inbound = inbound.replace('%s', dest_host)
            if inbound.startswith('unix:'):      # one socket per migration
                inbound += '-' + instance.uuid
                if not shared:
                    params[libvirt.VIR_MIGRATE_PARAM_DISKS_URI] = inbound + '.disks'
            params[libvirt.VIR_MIGRATE_PARAM_URI] = inbound
        dest_path = migrate_data.get('instances_path')
        if dest_path and dest_path != self.instances_path:
            xml = self._host.call(dom.XMLDesc, libvirt.VIR_DOMAIN_XML_MIGRATABLE)
            params[libvirt.VIR_MIGRATE_PARAM_DEST_XML] = xml.replace(
                self.instances_path.rstrip('/') + '/', dest_path.rstrip('/') + '/')
        uri = CONF.libvirt.live_migration_uri.replace('%s', dest_host)
        watchdog = eventlet.spawn_after(CONF.libvirt.live_migration_completion_timeout or 1e9,
                                        self._abort_job, dom)
        try:
            self._host.call(dom.migrateToURI3, uri, params, flags)
        except libvirt.libvirtError as e:
            raise MigrationError(reason=e.get_error_message())
        finally:
            watchdog.cancel()
        if not shared:
            shutil.rmtree(self._dir(instance), ignore_errors=True)

    def _abort_job(self, dom):
        LOG.warning('live migration took too long; aborting it')
        try:
            self._host.call(dom.abortJob)
        except libvirt.libvirtError:
            pass

    # -- volumes and interfaces ------------------------------------------------------------

    def _live_flags(self, dom):
        flags = libvirt.VIR_DOMAIN_AFFECT_CONFIG
        if self._active(dom):
            flags |= libvirt.VIR_DOMAIN_AFFECT_LIVE
        return flags

    def attach_volume(self, context, connection_info, instance, mountpoint,
                      disk_bus=None, device_type=None):
        if self.virt_type == 'lxc':
            raise driver.NotSupported('Volumes cannot be attached to containers.')
        dom = self._host.get(instance)
        disk = self._volume_disk(instance, connection_info, mountpoint, disk_bus, device_type)
        present = config.disk_targets(config.parse(self._host.call(
            dom.XMLDesc, libvirt.VIR_DOMAIN_XML_INACTIVE)))
        if disk.target in present:
            serial = present[disk.target].findtext('serial')
            if serial and serial == disk.serial:
                return
            raise exception.Conflict('Device %s is in use.' % disk.target)
        chap = volumes.chap_password(connection_info)
        if chap:
            self._host.set_secret(*chap)
        self._host.call(dom.attachDeviceFlags, config.disk_xml(disk), self._live_flags(dom))

    def swap_volume(self, context, old_connection_info, new_connection_info, instance,
                    mountpoint, resize_to):
        """libvirt's block copy of the running (or paused) guest's disk onto
        the new volume (which Block Storage made; REUSE_EXT), a pivot when
        QEMU is ready, then the new volume in the domain's definition.

        QEMU mirrors only onto a target of the source's size. A larger volume
        (resize_to, GiB) that is a file is first cut to the source's size
        (the copy overwrites all of it) and grown back after the pivot, so
        the guest sees its new size at once; any other (an iSCSI LUN, a block
        device) is copied onto a slice of the source's size, and the guest
        sees the whole volume from its next boot (the definition has it all).
        A shut-off guest has no QEMU to copy: as Nova, the swap fails."""
        if self.virt_type == 'lxc':
            raise driver.NotSupported('Volumes cannot be attached to containers.')
        dom = self._host.get(instance)
        if not self._active(dom):
            raise driver.NotSupported('Swapping a volume copies it live: the server must '
                                      'be running.')
        target = _dev(mountpoint)
        defined = self._find_device(dom, 'disk', target, libvirt.VIR_DOMAIN_XML_INACTIVE)
        if defined is None:
            raise driver.NotSupported('No volume is attached at %s.' % mountpoint)
        old_el = config.ET.fromstring(defined)
        disk = self._volume_disk(instance, new_connection_info, mountpoint,
                                 old_el.find('target').get('bus'), old_el.get('device'))
        chap = volumes.chap_password(new_connection_info)
        if chap:
            self._host.set_secret(*chap)
        new_xml = config.disk_xml(disk)
        grow_file = disk.path if resize_to and disk.source_type == 'file' else None
        live = config.disk_targets(config.parse(self._host.call(dom.XMLDesc, 0))).get(target)
        if _source_of(live) != disk.path and _source_of(live) != disk.name:
            self._copy_volume(dom, target, disk, resize_to, grow_file)
        # else an earlier attempt (its agent killed since) pivoted already
        if grow_file and self._host.call(dom.blockInfo, target, 0)[0] < resize_to * disks.GiB:
            self._host.call(dom.blockResize, target, resize_to * disks.GiB,
                            libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES)
        self._host.call(dom.detachDeviceFlags, defined, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        self._host.call(dom.attachDeviceFlags, new_xml, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        old_chap = volumes.chap_password(old_connection_info)
        if old_chap and (not chap or old_chap[0] != chap[0]):
            self._host.delete_secret(old_chap[0])

    def _copy_volume(self, dom, target, disk, resize_to, grow_file):
        """Mirror the guest's disk onto `disk` and pivot onto it."""
        if self._host.call(dom.blockJobInfo, target, 0):
            # an earlier attempt's copy, left running when its agent was killed
            self._host.call(dom.blockJobAbort, target, 0)
            while self._host.call(dom.blockJobInfo, target, 0):
                eventlet.sleep(0.05)
        if resize_to:
            size = self._host.call(dom.blockInfo, target, 0)[0]
            if grow_file:
                os.truncate(grow_file, size)
            else:
                disk.slice_size = size
        self._host.call(dom.blockCopy, target, config.disk_xml(disk), None,
                        libvirt.VIR_DOMAIN_BLOCK_COPY_REUSE_EXT
                        | libvirt.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB)
        try:
            self._pivot_when_ready(dom, target, 'copying the volume')
        except Exception:
            with contextlib.suppress(libvirt.libvirtError):
                self._host.call(dom.blockJobAbort, target, 0)
            if grow_file:
                os.truncate(grow_file, resize_to * disks.GiB)
            raise

    def detach_volume(self, context, connection_info, instance, mountpoint):
        dom = self._host.get(instance)
        self._detach(dom, 'disk', _dev(mountpoint))
        chap = volumes.chap_password(connection_info)
        if chap:
            self._host.delete_secret(chap[0])

    def _find_device(self, dom, kind, key, flags=0):
        xml = config.parse(self._host.call(dom.XMLDesc, flags))
        found = (config.disk_targets(xml) if kind == 'disk'
                 else config.interface_macs(xml)).get(key)
        return None if found is None else config.ET.tostring(found, encoding='unicode')

    def _detach(self, dom, kind, key):
        """Detach a device from the definition and, if running, from the guest,
        waiting until the guest released it."""
        persistent = self._find_device(dom, kind, key, libvirt.VIR_DOMAIN_XML_INACTIVE)
        if persistent:
            self._host.call(dom.detachDeviceFlags, persistent, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        if not self._active(dom):
            return
        deadline = time.monotonic() + DETACH_TIMEOUT
        asked = 0
        while True:
            live = self._find_device(dom, kind, key)
            if not live:
                return
            if time.monotonic() > deadline:
                raise DeviceDetachFailed(device=key)
            if time.monotonic() - asked > 5:         # ask again: a guest may miss one
                try:
                    self._host.call(dom.detachDeviceFlags, live, libvirt.VIR_DOMAIN_AFFECT_LIVE)
                except libvirt.libvirtError as e:
                    if e.get_error_code() != libvirt.VIR_ERR_OPERATION_FAILED:
                        raise
                asked = time.monotonic()
            eventlet.sleep(0.2)

    def extend_volume(self, context, connection_info, instance, new_size):
        dom = self._host.get(instance)
        if not self._active(dom):
            return
        data = connection_info.get('data') or {}
        for target, el in config.disk_targets(config.parse(
                self._host.call(dom.XMLDesc, 0))).items():
            if el.findtext('serial') == data.get('volume_id'):
                self._host.call(dom.blockResize, target, new_size,
                                libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES)
                return
        raise driver.InstanceNotFound('The volume is not attached to this server.')

    def attach_interface(self, context, instance, image_meta, vif):
        dom = self._host.get(instance)
        if self._find_device(dom, 'interface', vif['address'].lower(),
                             libvirt.VIR_DOMAIN_XML_INACTIVE):
            return
        xml = config.interface_xml(self._interface(instance, vif), self.virt_type)
        self._with_bridges([vif], dom.attachDeviceFlags, xml, self._live_flags(dom))

    def detach_interface(self, context, instance, vif):
        dom = self._host.get(instance)
        self._detach(dom, 'interface', vif['address'].lower())

    # -- consoles and introspection ----------------------------------------------------------

    def get_console_output(self, context, instance):
        dom = self._host.get(instance)
        log = self._path(instance, 'console.log')
        if self.virt_type in ('lxc', 'xen') and self._active(dom):     # no virtlogd log
            pty = config.pty_path(config.parse(self._host.call(dom.XMLDesc, 0)))
            if pty:
                _drain_pty(pty, log)
        try:
            with open(log, 'rb') as f:
                f.seek(max(0, os.fstat(f.fileno()).st_size - MAX_CONSOLE_BYTES))
                return f.read()
        except FileNotFoundError:
            return b''

    def get_vnc_console(self, context, instance):
        dom = self._host.get(instance)
        for g in config.parse(self._host.call(dom.XMLDesc, 0)).iter('graphics'):
            if g.get('type') == 'vnc' and g.get('port') not in (None, '-1'):
                listen = g.get('listen') or CONF.libvirt.vnc_listen
                host = self.host_ip if listen in ('0.0.0.0', '::') else listen
                return {'host': host, 'port': int(g.get('port')), 'internal_access_path': None}
        raise driver.NotSupported('The server has no VNC console.')

    def get_serial_console(self, context, instance):
        dom = self._host.get(instance)
        for serial in config.parse(self._host.call(dom.XMLDesc, 0)).iter('serial'):
            src = serial.find('source')
            if serial.get('type') == 'tcp' and src is not None:
                host = src.get('host')
                return {'host': self.host_ip if host in ('0.0.0.0', '::') else host,
                        'port': int(src.get('service'))}
        raise driver.NotSupported('The server has no serial console (enable '
                                  '[libvirt] serial_console_enabled).')

    def get_diagnostics(self, instance):
        dom = self._host.get(instance)
        state, max_kib, kib, nr_cpus, _ = self._host.call(dom.info)
        xml = config.parse(self._host.call(dom.XMLDesc, 0))
        active = self._active(dom)
        diag = {'state': {1: 'running', 3: 'paused', 5: 'shutdown'}.get(state, 'pending'),
                'driver': 'libvirt', 'hypervisor': self.virt_type,
                'hypervisor_os': 'linux', 'uptime': None,
                'num_cpus': nr_cpus, 'num_disks': 0, 'num_nics': 0,
                'memory_details': {'maximum': max_kib // 1024, 'used': kib // 1024},
                'cpu_details': [], 'nic_details': [], 'disk_details': [],
                'config_drive': os.path.exists(self._path(instance, 'disk.config'))}
        if active and self.virt_type != 'lxc':
            for i, (_, _, cpu_time, _) in enumerate(self._host.call(dom.vcpus)[0]):
                diag['cpu_details'].append({'id': i, 'time': cpu_time, 'utilisation': None})
        for target in config.disk_targets(xml):
            diag['num_disks'] += 1
            stats = {'read_bytes': 0, 'read_requests': 0, 'write_bytes': 0,
                     'write_requests': 0, 'errors_count': 0}
            if active and self.virt_type != 'lxc':
                rr, rb, wr, wb, errs = self._host.call(dom.blockStats, target)
                stats.update(read_bytes=rb, read_requests=rr, write_bytes=wb,
                             write_requests=wr, errors_count=max(errs, 0))
            diag['disk_details'].append(stats)
        for iface in xml.iter('interface'):
            diag['num_nics'] += 1
            nic = {'mac_address': iface.find('mac').get('address'), 'rx_octets': 0,
                   'rx_errors': 0, 'rx_drop': 0, 'rx_packets': 0, 'rx_rate': None,
                   'tx_octets': 0, 'tx_errors': 0, 'tx_drop': 0, 'tx_packets': 0,
                   'tx_rate': None}
            target = iface.find('target')
            if active and target is not None:
                (nic['rx_octets'], nic['rx_packets'], nic['rx_errors'], nic['rx_drop'],
                 nic['tx_octets'], nic['tx_packets'], nic['tx_errors'],
                 nic['tx_drop']) = self._host.call(dom.interfaceStats, target.get('dev'))
            diag['nic_details'].append(nic)
        return diag


def _files(injected):
    """Injected files as (path, bytes): from (path, contents) pairs or from the
    API's personality entries ({'path', 'contents': base64})."""
    out = []
    for item in injected:
        if isinstance(item, dict):
            out.append((item['path'], base64.b64decode(item['contents'])))
        else:
            path, contents = item
            out.append((path, contents if isinstance(contents, bytes) else contents.encode()))
    return out


def _chunks(path, size=1 << 20):
    with open(path, 'rb') as f:
        while True:
            chunk = f.read(size)
            if not chunk:
                return
            yield chunk


def _port_free(host, port):
    with socket.socket() as s:
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def _drain_pty(pty, log):
    """Append what a container wrote on its console since the last read."""
    try:
        fd = os.open(pty, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return
    try:
        with open(log, 'ab') as out:
            while True:
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    break
                except OSError:
                    break
                if not data:
                    break
                out.write(data)
    finally:
        os.close(fd)
