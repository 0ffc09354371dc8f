"""Servers after a crash: their lifecycles for the generic recovery
(cloudstack.tasks.recovery), registered when the compute agent's tasks load.

A server's in-flight work is a durable task for resource ('server', uuid),
which an engine re-runs after a crash, so a server with a task_state (or
still building) normally finishes by itself. What nothing works on any more
(its task failed for good, or an API worker died in a local delete) the
compute agent of its host (every agent, for servers with no host) settles
when it starts and every [engine] recovery_interval, as Nova's init_host:
- deleting: resumed by its task (the host's terminate, which frees what the
  server holds and marks it deleted);
- building, or a task after which the disk or placement may be half made
  (scheduling ... spawning, rebuilding, resizing, migrating, unshelving):
  ERROR, with a fault saying why;
- any other task (a reboot, a snapshot, a pause ...): back to its vm_state,
  the task cleared.
Each time the reason is kept as a failed event of the server's latest action.
"""
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.compute import models, rpc, states
from cloudstack.compute.manager.base import this_host
from cloudstack.db.models import utcnow
from cloudstack.tasks import recovery

I = models.Instance
# task_states after which the server's disk or placement may be half made
TO_ERROR = {states.SCHEDULING, states.NETWORKING, states.BLOCK_DEVICE_MAPPING,
            states.SPAWNING, states.REBUILDING, states.REBUILD_SPAWNING,
            states.RESIZE_PREP, states.RESIZE_MIGRATING, states.RESIZE_MIGRATED,
            states.RESIZE_FINISH, states.RESIZE_REVERTING, states.MIGRATING,
            states.UNSHELVING, states.SHELVING_OFFLOADING}
RECOVERY_EVENT = 'compute_recover_interrupted'


class Interrupted(exception.CloudstackError):
    message = 'The operation was interrupted and could not be resumed.'


def _on_host(host):
    return sa.and_(I.deleted.is_(False), sa.or_(I.host == host, I.host.is_(None)))


def settle(session, inst, reason):
    """Resume or settle a server nothing works on any more (see above)."""
    if inst.task_state == states.DELETING:
        rpc.cast(session, 'compute.terminate_instance', {'uuid': inst.uuid},
                 inst.host or this_host(), inst.uuid)
        return True
    if inst.vm_state == states.BUILDING or inst.task_state in TO_ERROR:
        from cloudstack.compute import manager
        manager.get().add_fault(session, inst, Interrupted(reason))
        inst.vm_state = states.ERROR
    inst.task_state, inst.pending_events, inst.updated_at = None, None, utcnow()
    return True


def record(session, inst, reason):
    """The reason, as a failed event of the server's latest action, where
    os-instance-actions shows it (details from 2.84)."""
    from cloudstack.compute import manager
    action = manager.get().latest_action(session, inst.uuid)
    if action is None or inst.task_state == states.DELETING:
        return      # (a delete resumes: its terminate's event follows)
    now = utcnow()
    session.add(models.InstanceActionEvent(
        action_id=action.id, event=RECOVERY_EVENT, start_time=now, finish_time=now,
        result='Error', host=inst.host or this_host(), details=reason))
    action.finish_time, action.message = now, 'Error'


def lifecycles():
    common = dict(kind='server', model=I, role=rpc.ROLE, host=_on_host, record=record,
                  resource=lambda inst: ('server', inst.uuid))
    return [
        recovery.Lifecycle(name='server_task', state='task_state',
                           transitional=dict.fromkeys(states.TRANSITIONAL_TASK_STATES, settle),
                           **common),
        recovery.Lifecycle(name='server_build', state='vm_state',
                           transitional=dict.fromkeys(states.TRANSITIONAL_VM_STATES, settle),
                           **common),
    ]


for _lifecycle in lifecycles():
    recovery.register(_lifecycle)
