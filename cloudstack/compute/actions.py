"""The compute agent's side of server actions and queries (see agent.py).

Each action runs under the server's lock in the agent, drives the driver
and writes the next stable state with agent.finish(); a failure records a
fault and clears the task (or sets ERROR where the server's disk may be
gone). Every step may run again after a crash."""
import base64
import logging

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.compute import models, network_api, rpc, scheduler, states
from cloudstack.compute.agent import _manager, driver_instance, image_source
from cloudstack.compute.virt import driver as virt

LOG = logging.getLogger(__name__)
ANY_TASK = None

# action -> (event name, vm_state on failure or None to keep it)
EVENTS = {
    'reboot': ('compute_reboot_instance', None), 'stop': ('compute_stop_instance', None),
    'start': ('compute_start_instance', None), 'pause': ('compute_pause_instance', None),
    'unpause': ('compute_unpause_instance', None),
    'suspend': ('compute_suspend_instance', None),
    'resume': ('compute_resume_instance', None),
    'rescue': ('compute_rescue_instance', None),
    'unrescue': ('compute_unrescue_instance', None),
    'set_password': ('compute_set_admin_password', None),
    'trigger_crash_dump': ('compute_trigger_crash_dump', None),
    'rebuild': ('compute_rebuild_instance', states.ERROR),
    'snapshot': ('compute_snapshot_instance', None),
    'shelve': ('compute_shelve_instance', None),
    'shelve_offload': ('compute_shelve_offload_instance', None),
    'unshelve': ('compute_unshelve_instance', states.ERROR),
    'resize_instance': ('compute_resize_instance', states.ERROR),
    'finish_resize': ('compute_finish_resize', states.ERROR),
    'confirm_resize': ('compute_confirm_resize', None),
    'revert_resize': ('compute_revert_resize', states.ERROR),
    'finish_revert_resize': ('compute_finish_revert_resize', states.ERROR),
    'live_migrate': ('compute_live_migration', None),
    'post_live_migration': ('compute_post_live_migration_at_destination', states.ERROR),
    'soft_delete': ('compute_soft_delete_instance', None),
    'resume_after_plug': ('compute__do_build_and_run_instance', states.ERROR),
    'vif_timeout': ('compute__do_build_and_run_instance', states.ERROR),
    'refresh_network': ('compute_external_instance_event', None),
    'attach_volume': ('compute_attach_volume', None),
    'detach_volume': ('compute_detach_volume', None),
    'swap_volume': ('compute_swap_volume', None),
    'restore': ('compute_restore_instance', None),
}
# Work Block Storage asks for (assisted volume snapshots): no instance action
# and no fault; the outcome goes to the snapshot's status instead.
FOR_BLOCK_STORAGE = ('volume_snapshot_create', 'volume_snapshot_delete')


def run(agent, uuid, action, kwargs):
    inst = agent.load(uuid)
    if inst is None or inst.deleted:
        return
    if action in FOR_BLOCK_STORAGE:
        globals()['do_' + action](agent, inst, **kwargs)
        return
    event, fail_state = EVENTS[action]
    try:
        with _manager().action_event(uuid, event, agent.host):
            globals()['do_' + action](agent, inst, **kwargs)
    except Exception as exc:
        LOG.exception('%s of server %s failed', action, uuid)
        agent.fail(uuid, exc, vm_state=fail_state)


def _di(inst):
    return driver_instance(inst)


def do_reboot(agent, inst, reboot_type='SOFT'):
    agent.driver.reboot(agent.ctx, _di(inst), inst.network_info or [], reboot_type)
    agent.finish(inst.uuid, vm_state=states.ACTIVE, task_state=None,
                 power_state=agent.power_state(inst))


def do_stop(agent, inst):
    agent.driver.power_off(_di(inst))
    agent.finish(inst.uuid, vm_state=states.STOPPED, task_state=None,
                 power_state=agent.power_state(inst))


def do_start(agent, inst):
    agent.driver.power_on(agent.ctx, _di(inst), inst.network_info or [])
    agent.finish(inst.uuid, vm_state=states.ACTIVE, task_state=None,
                 power_state=agent.power_state(inst))


def _simple(method, vm_state):
    def action(agent, inst):
        if method in ('resume',):
            agent.driver.resume(agent.ctx, _di(inst), inst.network_info or [])
        elif method == 'suspend':
            agent.driver.suspend(agent.ctx, _di(inst))
        else:
            getattr(agent.driver, method)(_di(inst))
        agent.finish(inst.uuid, vm_state=vm_state, task_state=None,
                     power_state=agent.power_state(inst))
    return action


do_pause = _simple('pause', states.PAUSED_VM)
do_unpause = _simple('unpause', states.ACTIVE)
do_suspend = _simple('suspend', states.SUSPENDED_VM)
do_resume = _simple('resume', states.ACTIVE)


def do_rescue(agent, inst, password=None, image_ref=None):
    image = image_source(agent.ctx, image_ref or inst.image_ref) if (
        image_ref or inst.image_ref) else None
    agent.driver.rescue(agent.ctx, _di(inst), inst.network_info or [], image, password)
    sysmeta = dict(inst.system_metadata or {}, pre_rescue_vm_state=inst.vm_state)
    agent.finish(inst.uuid, vm_state=states.RESCUED, task_state=None,
                 power_state=agent.power_state(inst), system_metadata=sysmeta)


def do_unrescue(agent, inst):
    agent.driver.unrescue(agent.ctx, _di(inst))
    agent.finish(inst.uuid, vm_state=states.ACTIVE, task_state=None,
                 power_state=agent.power_state(inst))


def do_set_password(agent, inst, password):
    agent.driver.set_admin_password(_di(inst), password)
    agent.finish(inst.uuid, task_state=None)


def do_trigger_crash_dump(agent, inst):
    agent.driver.trigger_crash_dump(_di(inst))


def do_rebuild(agent, inst, password=None, preserve_ephemeral=False, evacuate=None):
    sysmeta = inst.system_metadata or {}
    image = None if sysmeta.get('boot_index0_volume') else \
        image_source(agent.ctx, inst.image_ref)
    was_stopped = inst.vm_state == states.STOPPED
    if evacuate:
        agent.driver.spawn(agent.ctx, _di(inst), image, [], password,
                           inst.network_info or [], None)
        with db_api.writer() as s:
            mig = s.scalars(sa.select(models.Migration).where(
                models.Migration.uuid == evacuate)).first()
            if mig is not None:
                mig.status = 'done'
                for alloc in s.scalars(sa.select(models.Allocation).where(
                        models.Allocation.consumer_id == evacuate)).all():
                    scheduler.release(s, evacuate, alloc.node_id)
    else:
        agent.driver.rebuild(agent.ctx, _di(inst), image, [], password,
                             inst.network_info or [], None, preserve_ephemeral)
        if was_stopped:
            agent.driver.power_off(_di(inst))
    agent.finish(inst.uuid, vm_state=states.STOPPED if was_stopped else states.ACTIVE,
                 task_state=None, power_state=agent.power_state(inst),
                 launched_at=utcnow())


def do_snapshot(agent, inst, image_id, backup_type=None, rotation=None):
    from cloudstack.image import manager as image_manager
    images = image_manager.get()
    agent.finish(inst.uuid, task_state=states.IMAGE_UPLOADING)

    def upload(disk_format, chunks):
        images.upload(agent.ctx, image_id, chunks)
    try:
        agent.driver.snapshot(agent.ctx, _di(inst), upload)
    except Exception:
        try:
            images.delete_image(agent.ctx, image_id)
        except exception.CloudstackError:
            pass
        raise
    finally:
        agent.finish(inst.uuid, task_state=None)
    if backup_type and rotation is not None:
        _rotate_backups(images, agent.ctx, inst.uuid, backup_type, rotation)


def _rotate_backups(images, ctx, uuid, backup_type, rotation):
    found = images.list_images(ctx, {'instance_uuid': uuid, 'image_type': 'backup',
                                     'backup_type': backup_type}, None, None,
                               [('created_at', 'desc')])
    for image in found[rotation:]:
        try:
            images.delete_image(ctx, image['id'])
        except exception.CloudstackError:
            LOG.warning('could not delete old backup %s', image['id'])


def do_shelve(agent, inst, image_id=None):
    if image_id:
        from cloudstack.image import manager as image_manager
        images = image_manager.get()

        def upload(disk_format, chunks):
            images.upload(agent.ctx, image_id, chunks)
        agent.driver.snapshot(agent.ctx, _di(inst), upload)
    agent.driver.power_off(_di(inst))
    sysmeta = dict(inst.system_metadata or {}, shelved_image_id=image_id,
                   shelved_at=utcnow().isoformat())
    offload = CONF.compute.shelved_offload_time == 0
    agent.finish(inst.uuid, vm_state=states.SHELVED,
                 task_state=states.SHELVING_OFFLOADING if offload else None,
                 power_state=agent.power_state(inst), system_metadata=sysmeta)
    if offload:
        inst = agent.load(inst.uuid)
        do_shelve_offload(agent, inst)


def do_shelve_offload(agent, inst):
    agent.driver.destroy(agent.ctx, _di(inst), inst.network_info or [], None)
    with db_api.writer() as s:
        scheduler.release(s, inst.uuid)
    agent.finish(inst.uuid, vm_state=states.SHELVED_OFFLOADED, task_state=None,
                 power_state=states.NOSTATE, host=None, node=None)


def do_unshelve(agent, inst):
    sysmeta = dict(inst.system_metadata or {})
    image_id = sysmeta.get('shelved_image_id')
    if inst.vm_state == states.SHELVED_OFFLOADED:
        from cloudstack.compute import volume_api
        image = image_source(agent.ctx, image_id or inst.image_ref) if (
            image_id or inst.image_ref) else None
        agent.driver.spawn(agent.ctx, _di(inst), image, [], None, inst.network_info or [],
                           volume_api.block_device_info(agent.ctx, inst, agent.driver))
        volume_api.complete_attachments(agent.ctx, inst)
    else:
        agent.driver.power_on(agent.ctx, _di(inst), inst.network_info or [])
    if image_id:
        from cloudstack.image import manager as image_manager
        try:
            image_manager.get().delete_image(agent.ctx, image_id)
        except exception.CloudstackError:
            pass
    sysmeta.pop('shelved_image_id', None)
    sysmeta.pop('shelved_at', None)
    agent.finish(inst.uuid, vm_state=states.ACTIVE, task_state=None,
                 power_state=agent.power_state(inst), system_metadata=sysmeta)


def _migration(uuid):
    with db_api.reader() as s:
        mig = s.scalars(sa.select(models.Migration).where(
            models.Migration.uuid == uuid)).first()
        s.expunge(mig)
        return mig


def _set_migration(uuid, **values):
    with db_api.writer() as s:
        s.execute(sa.update(models.Migration).where(models.Migration.uuid == uuid)
                  .values(updated_at=utcnow(), **values))


def _volumes_here(agent, inst):
    """The server's volumes exported to this host (its attachments name this
    host's connector now, as Nova updates them on a move): the
    block_device_info the driver attaches them with."""
    from cloudstack.compute import volume_api
    return volume_api.block_device_info(agent.ctx, inst, agent.driver)


def _volumes_attached(agent, inst):
    from cloudstack.compute import volume_api
    volume_api.complete_attachments(agent.ctx, inst)


def do_resize_instance(agent, inst, migration):
    mig = _migration(migration)
    agent.finish(inst.uuid, task_state=states.RESIZE_MIGRATING)
    _set_migration(migration, status='migrating')
    di = _di(inst)
    new = inst.new_flavor or inst.flavor
    disk_info = agent.driver.migrate_disk_and_power_off(
        agent.ctx, di, mig.dest_compute, new, inst.network_info or [], None)
    _set_migration(migration, status='post-migrating')
    with db_api.writer() as s:
        done = s.execute(sa.update(models.Instance).where(
            models.Instance.uuid == inst.uuid, models.Instance.deleted.is_(False)).values(
            task_state=states.RESIZE_MIGRATED, updated_at=utcnow())).rowcount
        if done:
            rpc.cast(s, 'compute.server_action',
                     {'uuid': inst.uuid, 'action': 'finish_resize', 'migration': migration,
                      'disk_info': disk_info,
                      'power_on': inst.vm_state != states.STOPPED},
                     mig.dest_compute, inst.uuid)


def do_finish_resize(agent, inst, migration, disk_info=None, power_on=True):
    mig = _migration(migration)
    new = inst.new_flavor or inst.flavor
    with db_api.writer() as s:
        s.execute(sa.update(models.Instance).where(models.Instance.uuid == inst.uuid).values(
            flavor=new, vcpus=new['vcpus'], memory_mb=new['memory_mb'],
            root_gb=new['root_gb'], ephemeral_gb=new['ephemeral_gb'],
            host=mig.dest_compute, node=mig.dest_node, task_state=states.RESIZE_FINISH,
            updated_at=utcnow()))
    inst = agent.load(inst.uuid)
    block_device_info = _volumes_here(agent, inst)
    agent.driver.finish_migration(agent.ctx, {'uuid': mig.uuid,
                                              'source_compute': mig.source_compute,
                                              'dest_compute': mig.dest_compute},
                                  _di(inst), disk_info, inst.network_info or [], None,
                                  mig.migration_type == 'resize', block_device_info,
                                  power_on)
    _volumes_attached(agent, inst)
    _set_migration(migration, status='finished')
    agent.finish(inst.uuid, vm_state=states.RESIZED, task_state=None,
                 power_state=agent.power_state(inst),
                 system_metadata=dict(inst.system_metadata or {},
                                      old_vm_state=states.ACTIVE if power_on
                                      else states.STOPPED))


def do_confirm_resize(agent, inst, migration):
    mig = _migration(migration)
    agent.driver.confirm_migration(agent.ctx, {'uuid': mig.uuid,
                                               'source_compute': mig.source_compute,
                                               'dest_compute': mig.dest_compute},
                                   _di(inst), inst.network_info or [])
    with db_api.writer() as s:
        scheduler.release(s, migration)
    _set_migration(migration, status='confirmed')
    sysmeta = dict(inst.system_metadata or {})
    vm_state = sysmeta.pop('old_vm_state', states.ACTIVE)
    agent.finish(inst.uuid, vm_state=vm_state, task_state=None, old_flavor=None,
                 new_flavor=None, system_metadata=sysmeta,
                 power_state=agent.power_state(inst))


def do_revert_resize(agent, inst, migration):
    mig = _migration(migration)
    if mig.dest_compute != mig.source_compute:
        agent.driver.destroy(agent.ctx, _di(inst), inst.network_info or [], None)
    old = inst.old_flavor or inst.flavor
    with db_api.writer() as s:
        scheduler.release(s, inst.uuid)
        scheduler.move_allocation(s, migration, inst.uuid)
        s.execute(sa.update(models.Instance).where(models.Instance.uuid == inst.uuid).values(
            flavor=old, vcpus=old['vcpus'], memory_mb=old['memory_mb'],
            root_gb=old['root_gb'], ephemeral_gb=old['ephemeral_gb'],
            host=mig.source_compute, node=mig.source_node, updated_at=utcnow()))
        rpc.cast(s, 'compute.server_action',
                 {'uuid': inst.uuid, 'action': 'finish_revert_resize',
                  'migration': migration}, mig.source_compute, inst.uuid)


def do_finish_revert_resize(agent, inst, migration):
    sysmeta = dict(inst.system_metadata or {})
    vm_state = sysmeta.pop('old_vm_state', states.ACTIVE)
    di = _di(inst)
    block_device_info = _volumes_here(agent, inst)
    try:
        agent.driver.finish_revert_migration(agent.ctx, di, inst.network_info or [],
                                             block_device_info,
                                             power_on=vm_state != states.STOPPED)
    except virt.InstanceNotFound:
        agent.driver.spawn(agent.ctx, di, None, [], None, inst.network_info or [],
                           block_device_info, power_on=vm_state != states.STOPPED)
    _volumes_attached(agent, inst)
    _set_migration(migration, status='reverted')
    agent.finish(inst.uuid, vm_state=vm_state, task_state=None, old_flavor=None,
                 new_flavor=None, system_metadata=sysmeta,
                 power_state=agent.power_state(inst))


def do_live_migrate(agent, inst, migration, block_migration=False):
    mig = _migration(migration)
    _set_migration(migration, status='running')
    try:
        agent.driver.live_migration(agent.ctx, _di(inst), mig.dest_compute, block_migration)
    except Exception:
        with db_api.writer() as s:
            scheduler.release(s, inst.uuid)
            scheduler.move_allocation(s, migration, inst.uuid)
        _set_migration(migration, status='error')
        raise
    with db_api.writer() as s:
        rpc.cast(s, 'compute.server_action',
                 {'uuid': inst.uuid, 'action': 'post_live_migration',
                  'migration': migration}, mig.dest_compute, inst.uuid)


def do_post_live_migration(agent, inst, migration):
    mig = _migration(migration)
    with db_api.writer() as s:
        s.execute(sa.update(models.Instance).where(models.Instance.uuid == inst.uuid).values(
            host=mig.dest_compute, node=mig.dest_node, updated_at=utcnow()))
        scheduler.release(s, migration)
    inst = agent.load(inst.uuid)
    _volumes_here(agent, inst)          # the guest took its disks along
    agent.driver.post_live_migration_at_destination(agent.ctx, _di(inst),
                                                    inst.network_info or [])
    _volumes_attached(agent, inst)
    _set_migration(migration, status='completed')
    agent.finish(inst.uuid, task_state=None, power_state=agent.power_state(inst))


def do_soft_delete(agent, inst):
    agent.driver.power_off(_di(inst))
    agent.finish(inst.uuid, expect_task=states.SOFT_DELETING, vm_state=states.SOFT_DELETED,
                 task_state=None, power_state=agent.power_state(inst),
                 deleted_at=utcnow())


def do_restore(agent, inst):
    agent.driver.power_on(agent.ctx, _di(inst), inst.network_info or [])
    agent.finish(inst.uuid, vm_state=states.ACTIVE, task_state=None, deleted_at=None,
                 power_state=agent.power_state(inst))


def do_resume_after_plug(agent, inst):
    agent.finish_build(inst.uuid)


def do_attach_volume(agent, inst, bdm_id):
    from cloudstack.compute import volume_api
    try:
        volume_api.attach(agent.ctx, inst, agent.driver, bdm_id, _di(inst))
    except Exception:
        with db_api.writer() as s:
            b = s.get(models.BlockDeviceMapping, bdm_id)
            attachment_id = b.attachment_id if b else None
            if b is not None:
                s.delete(b)
        if attachment_id:
            try:
                volume_api.manager().attachment_delete(
                    volume_api._pctx(inst), attachment_id)
            except exception.CloudstackError:
                pass
        raise


def do_detach_volume(agent, inst, bdm_id):
    from cloudstack.compute import volume_api
    volume_api.detach(agent.ctx, inst, agent.driver, bdm_id, _di(inst))


def do_swap_volume(agent, inst, old_volume_id, new_volume_id, new_attachment_id):
    from cloudstack.compute import volume_api
    volume_api.swap(agent.ctx, inst, agent.driver, old_volume_id, new_volume_id,
                    new_attachment_id, _di(inst))


def _assisted_snapshot(agent, inst, what, snapshot_id, done, failed, *args):
    from cloudstack.compute import volume_api
    try:
        getattr(agent.driver, what)(agent.ctx, _di(inst), *args)
    except virt.InstanceNotFound:
        LOG.info('%s: server %s is no longer on this hypervisor', what, inst.uuid)
        return
    except Exception:
        LOG.exception('%s of server %s failed', what, inst.uuid)
        volume_api.report_snapshot_status(inst, snapshot_id, failed)
        return
    volume_api.report_snapshot_status(inst, snapshot_id, done)


def do_volume_snapshot_create(agent, inst, volume_id, create_info):
    _assisted_snapshot(agent, inst, 'volume_snapshot_create', create_info['snapshot_id'],
                       'creating', 'error', volume_id, create_info)


def do_volume_snapshot_delete(agent, inst, volume_id, snapshot_id, delete_info):
    _assisted_snapshot(agent, inst, 'volume_snapshot_delete', snapshot_id, 'deleting',
                       'error_deleting', volume_id, snapshot_id, delete_info)


def do_refresh_network(agent, inst):
    agent.finish(inst.uuid, expect_task=ANY_TASK,
                 network_info=network_api.refresh(agent.ctx, inst))


def do_vif_timeout(agent, inst):
    if not agent.take_pending(inst.uuid):
        return          # every port came up in time
    if CONF.compute.vif_plugging_is_fatal:
        agent.cleanup_failed_build(inst.uuid)
        agent.fail(inst.uuid, exception.CloudstackError(
            'Virtual Interface creation failed'), vm_state=states.ERROR)
        return
    agent.finish_build(inst.uuid)


# Queries ----------------------------------------------------------------------------

def query(agent, uuid, what, kwargs):
    inst = agent.load(uuid)
    if inst is None:
        raise exception.NotFound('Instance %s could not be found.' % uuid)
    di = _di(inst)
    if what == 'console_output':
        data = agent.driver.get_console_output(agent.ctx, di).decode('utf-8', 'replace')
        length = kwargs.get('length')
        if length is not None:
            data = '\n'.join(data.splitlines()[-int(length):]) if int(length) else ''
        return data
    if what == 'vnc_console':
        return agent.driver.get_vnc_console(agent.ctx, di)
    if what == 'serial_console':
        return agent.driver.get_serial_console(agent.ctx, di)
    if what == 'diagnostics':
        return agent.driver.get_diagnostics(di)
    if what == 'attach_interface':
        vif = network_api.attach_interface(agent.ctx, inst, agent.host, **kwargs)
        try:
            agent.driver.attach_interface(agent.ctx, di, di.image_meta, vif)
        except Exception:
            network_api.detach_interface(agent.ctx, inst, vif)
            raise
        with db_api.writer() as s:
            row = s.scalars(sa.select(models.Instance).where(
                models.Instance.uuid == uuid)).first()
            row.network_info = list(row.network_info or []) + [vif]
        return vif
    if what == 'detach_interface':
        vif = next((v for v in inst.network_info or [] if v['id'] == kwargs['port_id']), None)
        if vif is None:
            raise exception.NotFound('Port %s is not attached' % kwargs['port_id'])
        agent.driver.detach_interface(agent.ctx, di, vif)
        network_api.detach_interface(agent.ctx, inst, vif)
        with db_api.writer() as s:
            row = s.scalars(sa.select(models.Instance).where(
                models.Instance.uuid == uuid)).first()
            row.network_info = [v for v in row.network_info or [] if v['id'] != vif['id']]
        return vif
    raise exception.BadRequest('Unknown query %s' % what)


__all__ = ['run', 'query', 'base64']
