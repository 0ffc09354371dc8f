"""Compute's use of Block Storage, through its manager only (doc/design.md),
with the attachments flow Nova uses with Cinder 3.27+.

Block Storage is present when its manager is installed; without it servers
have no volumes, and asking for one is a 400."""
import functools
import importlib.util
import logging
import time

import eventlet
import sqlalchemy as sa

from cloudstack import context as cs_context
from cloudstack import exception
from cloudstack.db import api as db_api
from cloudstack.compute import models

LOG = logging.getLogger(__name__)
VOLUME_WAIT = 300           # seconds a boot waits for a volume it created
B = models.BlockDeviceMapping


@functools.lru_cache(maxsize=None)
def enabled():
    """Whether the service is installed (asked once per process)."""
    try:
        return importlib.util.find_spec('cloudstack.volume.manager') is not None
    except ModuleNotFoundError:
        return False


def manager():
    from cloudstack.volume import manager as volume_manager
    return volume_manager.get()


def require():
    if not enabled():
        raise exception.BadRequest('Block Storage is not available in this cloud.')


def _pctx(inst):
    """Compute's own work for the server's owner in Block Storage: it reaches
    the attachments it made whoever's volume they hold (an admin may attach
    another project's volume), as Nova does with its service token."""
    return cs_context.RequestContext(user_id=inst.user_id, project_id=inst.project_id,
                                     roles=['member'], is_admin=True, overwrite=False)


def service_context(ctx):
    """The caller's work in Block Storage with Compute's own reach (a service
    user swapping another project's volumes), as Nova's elevated context."""
    return cs_context.RequestContext(user_id=ctx.user_id, project_id=ctx.project_id,
                                     roles=['member'], is_admin=True, overwrite=False)


def check_attachable(ctx, volume_id, boot=False, multiattach=False):
    """At the API: the volume exists for the caller and is available (and
    bootable, for a server's root disk); a multiattach volume only where the
    request may have one (from 2.60)."""
    require()
    try:
        volume = manager().get_volume(ctx, volume_id)
    except exception.NotFound:
        raise exception.NotFound('Volume %s could not be found.' % volume_id)
    if volume.get('multiattach') and not multiattach:
        raise exception.BadRequest('Multiattach volumes are only supported starting with '
                                   'compute API version 2.60.')
    if volume['status'] != 'available' and not volume.get('multiattach'):
        raise exception.BadRequest('Invalid volume: volume %s status must be available, '
                                   'but current status is: %s' % (volume_id,
                                                                  volume['status']))
    if boot and not volume.get('bootable', True):
        raise exception.BadRequest('Block Device %s is not bootable.' % volume_id)
    return volume


def attach_mode(volume):
    """A read-only volume is attached read-only (as Block Storage would)."""
    return 'ro' if (volume.get('admin_metadata') or {}).get('readonly') == 'True' else 'rw'


def device_names(used, count=1, prefix='/dev/vd'):
    """The next free device names after those in `used`."""
    letters = 'abcdefghijklmnopqrstuvwxyz'
    taken = {u[-1] for u in used if u}
    out = []
    for letter in letters:
        if letter not in taken:
            out.append(prefix + letter)
            taken.add(letter)
            if len(out) == count:
                break
    return out


def _wait_available(ctx, volume_id, timeout=VOLUME_WAIT):
    deadline = time.monotonic() + timeout
    while True:
        volume = manager().get_volume(ctx, volume_id)
        if volume['status'] == 'available':
            return volume
        if volume['status'] in ('error', 'error_restoring', 'error_extending'):
            raise exception.CloudstackError('Volume %s did not become available (%s).'
                                            % (volume_id, volume['status']))
        if time.monotonic() > deadline:
            raise exception.CloudstackError('Volume %s is still %s after %d s.'
                                            % (volume_id, volume['status'], timeout))
        eventlet.sleep(0.2)


def _when_agent_up(call, *args, timeout=VOLUME_WAIT):
    """call(*args), again while the volume's host has no volume agent up
    (after a restart, that agent may start after this one)."""
    from cloudstack import tasks
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call(*args)
        except tasks.NoAgent:
            if time.monotonic() > deadline:
                raise
            eventlet.sleep(0.5)


def _set_bdm(bdm_id, **values):
    with db_api.writer() as s:
        s.execute(sa.update(B).where(B.id == bdm_id).values(**values))


def block_device_info(ctx, inst, driver):
    """Create the server's new volumes, export every volume to this host and
    return the driver's BlockDeviceInfo (doc: virt/driver.py). Idempotent: a
    volume or attachment an earlier attempt made is reused."""
    out = {'root_device_name': inst.root_device_name or '/dev/vda',
           'block_device_mapping': [], 'ephemerals': [], 'swap': None}
    with db_api.reader() as s:
        bdms = s.scalars(sa.select(B).where(B.instance_id == inst.id).order_by(
            B.boot_index.is_(None), B.boot_index, B.id)).all()
        for b in bdms:
            s.expunge(b)
    volumes = [b for b in bdms if b.destination_type == 'volume']
    if not volumes:
        return out
    require()
    vm = manager()
    pctx = _pctx(inst)
    connector = driver.get_connector()
    used = [b.device_name for b in bdms if b.device_name] + [out['root_device_name']]
    for b in volumes:
        volume_id = b.volume_id
        if volume_id is None:
            spec = {'size': b.volume_size, 'name': '', 'volume_type': b.volume_type}
            if b.source_type == 'image':
                spec['imageRef'] = b.image_id
            elif b.source_type == 'snapshot':
                spec['snapshot_id'] = b.snapshot_id
            volume_id = vm.create_volume(pctx, {k: v for k, v in spec.items()
                                                if v is not None})['id']
            _set_bdm(b.id, volume_id=volume_id)
        _wait_available(pctx, volume_id) if b.attachment_id is None else None
        device = b.device_name
        if not device:
            device = '/dev/vda' if b.boot_index == 0 else device_names(used)[0]
            used.append(device)
            _set_bdm(b.id, device_name=device)
        attachment = None
        # as Nova: the connector names the device, which Block Storage shows
        device_connector = dict(connector, mountpoint=device)
        if b.attachment_id:
            try:
                attachment = vm.attachment_update(pctx, b.attachment_id, device_connector)
            except exception.NotFound:
                attachment = None
        if attachment is None:
            attachment = vm.attachment_create(
                pctx, volume_id, inst.uuid, device_connector,
                mode=attach_mode(vm.get_volume(pctx, volume_id)))
        _set_bdm(b.id, attachment_id=attachment['id'],
                 connection_info=attachment.get('connection_info'))
        out['block_device_mapping'].append({
            'connection_info': attachment.get('connection_info'), 'mount_device': device,
            'boot_index': b.boot_index, 'disk_bus': b.disk_bus or 'virtio',
            'device_type': b.device_type or 'disk', 'volume_id': volume_id})
    return out


def snapshot_volumes(ctx, instance_id, name):
    """Snapshot every volume of a server (forced: they are in use) and
    return the image's block_device_mapping, as Nova's volume-backed snapshot:
    each volume becomes a snapshot source."""
    require()
    with db_api.reader() as s:
        bdms = s.scalars(sa.select(B).where(B.instance_id == instance_id).order_by(
            B.boot_index.is_(None), B.boot_index, B.id)).all()
        for b in bdms:
            s.expunge(b)
    mapping = []
    for b in bdms:
        if b.destination_type != 'volume' or not b.volume_id:
            continue
        snap = manager().create_snapshot(ctx, b.volume_id, name=name, force=True)
        entry = {'source_type': 'snapshot', 'destination_type': 'volume',
                 'snapshot_id': snap['id'], 'volume_size': snap['size'],
                 'boot_index': b.boot_index, 'device_name': b.device_name,
                 'delete_on_termination': bool(b.delete_on_termination),
                 'disk_bus': b.disk_bus, 'device_type': b.device_type,
                 'volume_type': b.volume_type, 'tag': b.tag}
        mapping.append({k: v for k, v in entry.items() if v is not None})
    return mapping


def complete_attachments(ctx, inst):
    """The guest has its volumes: their attachments are complete."""
    if not enabled():
        return
    with db_api.reader() as s:
        ids = [a for a in s.scalars(sa.select(B.attachment_id).where(
            B.instance_id == inst.id, B.attachment_id.is_not(None)))]
    for attachment_id in ids:
        try:
            manager().attachment_complete(_pctx(inst), attachment_id)
        except exception.CloudstackError as exc:
            LOG.warning('completing attachment %s failed: %s', attachment_id, exc)


def release_instance_volumes(ctx, inst):
    """Delete the server's attachments; delete its delete_on_termination volumes."""
    if not enabled():
        return
    with db_api.reader() as s:
        bdms = s.scalars(sa.select(B).where(B.instance_id == inst.id,
                                            B.volume_id.is_not(None))).all()
        for b in bdms:
            s.expunge(b)
    vm = manager()
    pctx = _pctx(inst)
    for b in bdms:
        if b.attachment_id:
            try:
                vm.attachment_delete(pctx, b.attachment_id)
            except exception.NotFound:
                pass
        if b.delete_on_termination:
            try:
                vm.delete_volume(pctx, b.volume_id)
            except exception.NotFound:
                pass
            except exception.CloudstackError as exc:
                LOG.warning('deleting volume %s of server %s failed: %s', b.volume_id,
                            inst.uuid, exc)


def report_snapshot_status(inst, snapshot_id, status):
    """Tell Block Storage how an assisted snapshot went (its driver waits
    for it); a snapshot it no longer knows is only logged."""
    try:
        manager().update_snapshot_status(_pctx(inst), snapshot_id, status,
                                         '90%' if status == 'creating' else None)
    except exception.CloudstackError as exc:
        LOG.warning('could not report status %s of snapshot %s: %s', status, snapshot_id,
                    exc)


def attach(ctx, inst, driver, bdm_id, di):
    """On the server's host: export, attach in the hypervisor, complete."""
    vm = manager()
    pctx = _pctx(inst)
    with db_api.reader() as s:
        b = s.get(B, bdm_id)
        s.expunge(b)
    attachment = vm.attachment_update(pctx, b.attachment_id,
                                      dict(driver.get_connector(), mountpoint=b.device_name))
    _set_bdm(b.id, connection_info=attachment.get('connection_info'))
    driver.attach_volume(ctx, attachment.get('connection_info') or {}, di, b.device_name)
    vm.attachment_complete(pctx, b.attachment_id)


def detach(ctx, inst, driver, bdm_id, di):
    vm = manager()
    pctx = _pctx(inst)
    with db_api.reader() as s:
        b = s.get(B, bdm_id)
        if b is None:
            return
        s.expunge(b)
    driver.detach_volume(ctx, b.connection_info or {}, di, b.device_name)
    if b.attachment_id:
        try:
            vm.attachment_delete(pctx, b.attachment_id)
        except exception.NotFound:
            pass
    with db_api.writer() as s:
        s.execute(sa.delete(B).where(B.id == b.id))


def swap(ctx, inst, driver, old_volume_id, new_volume_id, new_attachment_id, di):
    """On the server's host: export the new volume, have the hypervisor copy
    the guest's disk onto it and drop the old one, then settle both volumes
    in Block Storage (migrate_volume_completion when it is migrating the old
    one) and point the mapping at the volume it keeps. Idempotent: a mapping
    already moved is left alone."""
    vm = manager()
    pctx = _pctx(inst)
    with db_api.reader() as s:
        b = s.scalars(sa.select(B).where(B.instance_id == inst.id, B.volume_id.in_(
            (old_volume_id, new_volume_id)))).first()
        if b is None or b.volume_id == new_volume_id:
            return
        s.expunge(b)
    old = vm.get_volume(pctx, old_volume_id)
    new = vm.get_volume(pctx, new_volume_id)
    resize_to = new['size'] if new['size'] > old['size'] else 0
    failure = None
    new_info = None
    try:
        attachment = _when_agent_up(
            vm.attachment_update, pctx, new_attachment_id,
            dict(driver.get_connector(), mountpoint=b.device_name))
        new_info = attachment.get('connection_info') or {}
        driver.swap_volume(ctx, b.connection_info or {}, new_info, di, b.device_name,
                           resize_to)
        vm.attachment_complete(pctx, new_attachment_id)
    except Exception as exc:
        failure = exc
        vm.roll_detaching(pctx, old_volume_id)
        try:
            _when_agent_up(vm.attachment_delete, pctx, new_attachment_id)
        except exception.NotFound:
            pass
    else:
        if b.attachment_id:
            try:
                _when_agent_up(vm.attachment_delete, pctx, b.attachment_id)
            except exception.NotFound:
                pass
    kept = new_volume_id
    # a restart's recovery marks a migration no task held 'error' meanwhile;
    # this swap is the migration's work, so it settles it either way
    if old.get('migration_status') in ('migrating', 'error'):
        kept = vm.migrate_volume_completion(pctx, old_volume_id, new_volume_id,
                                            error=failure is not None)['save_volume_id']
    if failure is not None:
        raise failure
    info = dict(new_info, serial=kept, volume_id=kept)
    if isinstance(info.get('data'), dict):
        info['data'] = dict(info['data'], volume_id=kept)
    values = {'volume_id': kept, 'attachment_id': new_attachment_id,
              'connection_info': info, 'source_type': 'volume', 'snapshot_id': None}
    if resize_to:
        values['volume_size'] = resize_to
    _set_bdm(b.id, **values)
