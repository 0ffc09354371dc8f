"""The compute agent: the task handlers that run on a server's host and drive
its hypervisor driver, the host's resource reports and its start-up resync.

Every handler is idempotent (a crash re-runs it), holds the server's lock in
this agent while it works, and ends by writing the server's next stable
state with a conditional update, so that a delete that came meanwhile wins.
"""
import base64
import collections
import contextlib
import logging

import eventlet
import sqlalchemy as sa

from cloudstack import context as cs_context
from cloudstack import drivers
from cloudstack import exception
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.tasks import agents
from cloudstack.compute import models, network_api, scheduler, states, volume_api
from cloudstack.compute import recovery  # noqa: F401  (registers the servers' lifecycles)
from cloudstack.compute.manager.base import this_host
from cloudstack.compute.virt import driver as virt

LOG = logging.getLogger(__name__)
NAMESPACE = 'cloudstack.compute.drivers'
I = models.Instance

_agents = {}


def get_agent(host=None):
    host = host or this_host()
    agent = _agents.get(host)
    if agent is None:
        agent = _agents[host] = ComputeAgent(host)
    return agent


def _manager():
    from cloudstack.compute import manager
    return manager.get()


def driver_instance(inst, with_metadata=True):
    """The driver's view (virt.driver.Instance) of an Instance row, with the
    `extra` the metadata documents and config drive read."""
    f = inst.flavor or {}
    sysmeta = inst.system_metadata or {}
    metadata = {}
    if with_metadata and inst.id is not None:
        with db_api.reader() as s:
            metadata = {m.key: m.value for m in s.scalars(sa.select(
                models.InstanceMetadata).where(models.InstanceMetadata.instance_id == inst.id))}
    out = virt.Instance(
        uuid=inst.uuid, name='instance-%08x' % inst.id, hostname=inst.hostname or 'server',
        flavor=virt.Flavor(name=f.get('name', ''), vcpus=f.get('vcpus', 1),
                           memory_mb=f.get('memory_mb', 0), root_gb=f.get('root_gb', 0),
                           ephemeral_gb=f.get('ephemeral_gb', 0), swap=f.get('swap', 0),
                           extra_specs=f.get('extra_specs') or {}),
        project_id=inst.project_id, user_id=inst.user_id, image_ref=inst.image_ref or None,
        image_meta={'disk_format': sysmeta.get('image_disk_format'),
                    'properties': {k[6:]: v for k, v in sysmeta.items()
                                   if k.startswith('image_')}},
        metadata=metadata, key_data=inst.key_data,
        user_data=base64.b64decode(inst.user_data) if inst.user_data else None,
        config_drive=bool(inst.config_drive),
        availability_zone=inst.availability_zone, launch_index=inst.launch_index,
        vm_state=inst.vm_state, task_state=inst.task_state)
    out.extra = instance_extra(inst)
    return out


def instance_extra(inst):
    """What the metadata documents need beyond the driver's Instance."""
    sysmeta = inst.system_metadata or {}
    groups = sysmeta.get('security_groups')
    return {'display_name': inst.display_name, 'key_name': inst.key_name,
            'security_groups': ['default'] if groups is None else groups,
            'reservation_id': inst.reservation_id, 'ec2_id': inst.id,
            'root_device_name': inst.root_device_name or '/dev/vda',
            'admin_pass': sysmeta.get('admin_pass'), 'password': sysmeta.get('password'),
            'injected_files': [(f['path'], base64.b64decode(f['contents']))
                               for f in sysmeta.get('personality') or []],
            'devices': [{'type': 'nic', 'bus': 'pci', 'address': None,
                         'mac': vif.get('address'), 'tags': [vif['tag']]}
                        for vif in inst.network_info or [] if vif.get('tag')]}


def image_source(ctx, image_id):
    if not image_id:
        return None
    from cloudstack.image import manager as image_manager
    images = image_manager.get()
    rec = images.get_image(ctx, image_id)

    def chunks():
        _, data = images.download(ctx, image_id)
        return iter(data or [])
    return virt.ImageSource(id=image_id, disk_format=rec.get('disk_format') or 'raw',
                            size=rec.get('size') or 0, checksum=rec.get('checksum'),
                            chunks=chunks)


class ComputeAgent:
    """One host's agent: its driver and the work addressed to it."""

    def __init__(self, host):
        self.host = host
        self.driver = drivers.load(NAMESPACE, CONF.compute.compute_driver)(host)
        self.ctx = cs_context.RequestContext.admin()
        self._locks = collections.defaultdict(eventlet.semaphore.Semaphore)

    @contextlib.contextmanager
    def locked(self, uuid):
        with self._locks[uuid]:
            yield

    def load(self, uuid):
        with db_api.reader() as s:
            inst = s.scalars(sa.select(I).where(I.uuid == uuid)).first()
            if inst is not None:
                s.expunge(inst)
            return inst

    def finish(self, uuid, expect_task=None, **values):
        """Write the server's next state unless it is deleted or deleting
        (or, with expect_task, no longer in that task_state); True if written."""
        values.setdefault('updated_at', utcnow())
        stmt = sa.update(I).where(I.uuid == uuid, I.deleted.is_(False))
        if expect_task is not None:
            expect = expect_task if isinstance(expect_task, tuple) else (expect_task,)
            stmt = stmt.where(I.task_state.in_(expect))
        else:
            stmt = stmt.where(sa.or_(I.task_state.is_(None), I.task_state.not_in(
                (states.DELETING, states.SOFT_DELETING))))
        # a writer of its own holds no server objects to update (evaluating the
        # criteria against them costs more than the UPDATE); an outer one may
        sync = 'auto' if db_api.in_writer() else False
        with db_api.writer() as s:
            return s.execute(stmt.values(**values),
                             execution_options={'synchronize_session': sync}).rowcount > 0

    def fail(self, uuid, exc, vm_state=None):
        """Record a fault; clear the task, and set vm_state if given."""
        with db_api.writer() as s:
            inst = s.scalars(sa.select(I).where(I.uuid == uuid)).first()
            if inst is None or inst.deleted:
                return
            _manager().add_fault(s, inst, exc, host=self.host)
            if inst.task_state not in (states.DELETING, states.SOFT_DELETING):
                inst.task_state = None
                if vm_state:
                    inst.vm_state = vm_state
            inst.updated_at = utcnow()

    def power_state(self, inst):
        try:
            return self.driver.get_info(driver_instance(inst, with_metadata=False))[
                'power_state']
        except virt.InstanceNotFound:
            return states.NOSTATE

    # Build and delete -----------------------------------------------------------

    def build_instance(self, uuid):
        inst = self.load(uuid)
        if inst is None or inst.deleted or inst.host != self.host or \
                inst.vm_state != states.BUILDING:
            return
        mgr = _manager()
        try:
            with mgr.action_event(uuid, 'compute__do_build_and_run_instance', self.host):
                network_info = network_api.allocate_for_instance(self.ctx, inst, self.host)
                block_device_info = volume_api.block_device_info(self.ctx, inst, self.driver)
                self.finish(uuid, network_info=network_info, task_state=states.SPAWNING)
                sysmeta = inst.system_metadata or {}
                image = None if sysmeta.get('boot_index0_volume') else \
                    image_source(self.ctx, inst.image_ref)
                self.driver.spawn(self.ctx, driver_instance(inst), image,
                                  sysmeta.get('personality') or [], sysmeta.get('admin_pass'),
                                  network_info, block_device_info)
                if not self.wait_for_ports(inst, network_info):
                    return          # the vif-plugged events (or the timeout) finish it
        except Exception as exc:
            LOG.exception('building server %s failed', uuid)
            self.cleanup_failed_build(uuid)
            self.fail(uuid, exc, vm_state=states.ERROR)
            return
        self.finish_build(uuid)

    def cleanup_failed_build(self, uuid):
        """What a failed boot made goes: its guest and its ports (Nova keeps
        an ERROR server's claim until it is deleted)."""
        inst = self.load(uuid)
        if inst is None:
            return
        try:
            self.driver.destroy(self.ctx, driver_instance(inst, with_metadata=False),
                                inst.network_info or [], None)
        except Exception:
            LOG.exception('cleaning up the guest of server %s failed', uuid)
        try:
            network_api.deallocate_for_instance(self.ctx, inst)
        except Exception:
            LOG.exception('cleaning up the ports of server %s failed', uuid)
        self.finish(uuid, expect_task=None, network_info=[])

    def wait_for_ports(self, inst, network_info):
        """True when the server's ports are all up; else leave its pending
        events for Networking's vif-plugged events, with a timeout."""
        pending = network_api.pending_ports(self.ctx, inst, network_info)
        if not pending:
            return True
        from cloudstack.compute import rpc
        with db_api.writer() as s:
            s.execute(sa.update(I).where(I.uuid == inst.uuid, I.deleted.is_(False)).values(
                pending_events=['network-vif-plugged:%s' % p for p in pending]))
            rpc.cast(s, 'compute.server_action', {'uuid': inst.uuid,
                                                 'action': 'vif_timeout'},
                     self.host, inst.uuid, delay=CONF.compute.vif_plugging_timeout)
        if network_api.pending_ports(self.ctx, inst, network_info):
            return False
        return self.take_pending(inst.uuid)

    def take_pending(self, uuid):
        """Whether this caller ends the server's wait for events (only one does)."""
        with db_api.writer() as s:
            return s.execute(sa.update(I).where(
                I.uuid == uuid, I.pending_events.is_not(None)).values(
                pending_events=None)).rowcount > 0

    def finish_build(self, uuid):
        inst = self.load(uuid)
        if inst is None:
            return
        try:
            self.driver.resume_after_plug(driver_instance(inst, with_metadata=False))
        except virt.InstanceNotFound:
            pass
        volume_api.complete_attachments(self.ctx, inst)
        done = self.finish(uuid, vm_state=states.ACTIVE, task_state=None,
                           power_state=self.power_state(inst), launched_at=utcnow(),
                           progress=0)
        if not done:        # deleted meanwhile: its terminate may have run already
            self.driver.destroy(self.ctx, driver_instance(inst, False), [], None)

    def terminate_instance(self, uuid):
        inst = self.load(uuid)
        if inst is None or inst.deleted:
            return
        if inst.host == self.host:
            with _manager().action_event(uuid, 'compute_terminate_instance', self.host):
                self.driver.destroy(self.ctx, driver_instance(inst), inst.network_info or [],
                                    None)
        _manager().finish_delete(self.ctx, uuid)

    # Resource reports and resync -----------------------------------------------------

    def update_available_resource(self):
        resources = self.driver.get_available_resource()
        with db_api.writer() as s:
            scheduler.update_node(s, self.host, resources)
        self.sync_power_states()

    def sync_power_states(self):
        with db_api.reader() as s:
            rows = s.scalars(sa.select(I).where(I.host == self.host, I.deleted.is_(False),
                                                I.task_state.is_(None))).all()
            for r in rows:
                s.expunge(r)
        for inst in rows:
            power = self.power_state(inst)
            if power != inst.power_state:
                self.finish(uuid=inst.uuid, expect_task=None, power_state=power)

    def resync(self):
        """Remove from the hypervisor what the database says is not here."""
        with db_api.reader() as s:
            mine = set(s.scalars(sa.select(I.uuid).where(I.deleted.is_(False), sa.or_(
                I.host == self.host, I.uuid.in_(sa.select(models.Migration.instance_uuid).where(
                    sa.or_(models.Migration.source_compute == self.host,
                           models.Migration.dest_compute == self.host),
                    models.Migration.status.not_in(('confirmed', 'reverted', 'error',
                                                    'failed', 'completed', 'done'))))))))
        for uuid in self.driver.list_instances():
            if uuid not in mine:
                LOG.info('removing %s from the hypervisor: it is not on this host', uuid)
                self.driver.destroy(self.ctx, virt.Instance(
                    uuid=uuid, name=uuid, hostname='', flavor=virt.Flavor('', 0, 0, 0),
                    project_id='', user_id=''), [], None)


@tasks.handler('compute.build_instance')
def build_instance(uuid):
    agent = get_agent()
    with agent.locked(uuid):
        agent.build_instance(uuid)


@tasks.handler('compute.terminate_instance')
def terminate_instance(uuid):
    agent = get_agent()
    with agent.locked(uuid):
        agent.terminate_instance(uuid)


@tasks.handler('compute.server_action')
def server_action(uuid, action, **kwargs):
    from cloudstack.compute import actions
    agent = get_agent()
    with agent.locked(uuid):
        return actions.run(agent, uuid, action, kwargs)


@tasks.handler('compute.call')
def call(uuid, what, **kwargs):
    """Synchronous requests from the API (console output, consoles, diagnostics,
    interfaces)."""
    from cloudstack.compute import actions, rpc
    agent = get_agent()
    try:
        with agent.locked(uuid):
            return actions.query(agent, uuid, what, kwargs)
    except exception.CloudstackError as exc:
        raise rpc.portable(exc)


@tasks.periodic(60, name='compute.update_available_resource', role='compute',
                per_host=True)
def update_available_resource():
    get_agent().update_available_resource()


class ComputeService(agents.RoleService):
    """The compute role in an engine: the driver, the node, the resync."""

    def init_host(self):
        agent = get_agent(self.host)
        agent.driver.init_host()
        agent.update_available_resource()

    def resync(self):
        get_agent(self.host).resync()

    def report(self):
        return {}


@tasks.periodic(60, name='compute.reclaim_queued_deletes', role='compute', per_host=True)
def reclaim_queued_deletes():
    """Delete for good the soft-deleted servers of this host whose
    reclaim_instance_interval has passed."""
    interval = CONF.compute.reclaim_instance_interval
    if interval <= 0:
        return
    import datetime
    agent = get_agent()
    before = utcnow() - datetime.timedelta(seconds=interval)
    with db_api.reader() as s:
        uuids = list(s.scalars(sa.select(I.uuid).where(
            I.host == agent.host, I.vm_state == states.SOFT_DELETED, I.deleted.is_(False),
            I.task_state.is_(None), I.deleted_at < before)))
    for uuid in uuids:
        with agent.locked(uuid):
            agent.terminate_instance(uuid)


@tasks.periodic(3600, name='compute.purge_deleted_servers')
def purge_deleted_servers():
    """Forget deleted servers older than [compute] deleted_server_retention
    (their actions stay, as Nova keeps them)."""
    import datetime
    before = utcnow() - datetime.timedelta(seconds=CONF.compute.deleted_server_retention)
    with db_api.writer() as s:
        s.execute(sa.delete(I).where(I.deleted.is_(True), I.deleted_at < before))
