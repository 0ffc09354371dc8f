"""Recovery of servers left in transitional states (see states.TRANSITIONAL).

A server's in-flight work is a durable task, which an engine re-runs after a
crash, so a server in a task_state normally finishes by itself. What can stay
stuck is a server whose task is gone (it failed for good, e.g. after killing
its engine max_attempts times). `recover(host)` finds those among the servers
of `host` (and those with no host) and moves each to a stable state: ERROR
with a fault when its disk or placement may be half made (building,
rebuilding, resizing, migrating, unshelving), else back to its vm_state with
the task cleared. A deleting server is deleted for good.
"""
import logging

import sqlalchemy as sa

from cloudstack import context as cs_context
from cloudstack import exception
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.compute import models, states
from cloudstack.tasks import models as task_models

LOG = logging.getLogger(__name__)
I = models.Instance
# task_states after which the server's disk or placement may be half made
TO_ERROR = {states.SCHEDULING, states.NETWORKING, states.BLOCK_DEVICE_MAPPING,
            states.SPAWNING, states.REBUILDING, states.REBUILD_SPAWNING,
            states.RESIZE_PREP, states.RESIZE_MIGRATING, states.RESIZE_MIGRATED,
            states.RESIZE_FINISH, states.RESIZE_REVERTING, states.MIGRATING,
            states.UNSHELVING, states.SHELVING_OFFLOADING}
LIVE = (task_models.QUEUED, task_models.RUNNING)


class Interrupted(exception.CloudstackError):
    message = 'The operation was interrupted and could not be resumed.'


def _has_live_task(session, uuid):
    T = task_models.Task
    if hasattr(T, 'resource'):
        clause = T.resource == 'server/%s' % uuid
    else:
        clause = sa.cast(T.args, sa.String).like('%' + uuid + '%')
    return session.scalar(sa.select(T.id).where(T.state.in_(LIVE), clause).limit(1)) \
        is not None


def stuck(host):
    """The uuids of `host`'s servers (or hostless ones) in a transitional
    state that no task works on."""
    with db_api.reader() as s:
        rows = s.execute(sa.select(I.uuid).where(
            I.deleted.is_(False), sa.or_(I.host == host, I.host.is_(None)),
            sa.or_(I.task_state.is_not(None), I.vm_state == states.BUILDING))).all()
        return [uuid for uuid, in rows if not _has_live_task(s, uuid)]


def recover(host):
    """Move `host`'s stuck servers to stable states; returns how many."""
    from cloudstack.compute import manager
    mgr = manager.get()
    ctx = cs_context.RequestContext.admin()
    count = 0
    for uuid in stuck(host):
        with db_api.writer() as s:
            inst = s.scalars(mgr.locking(sa.select(I).where(I.uuid == uuid))).first()
            if inst is None or inst.deleted or _has_live_task(s, uuid):
                continue
            task = inst.task_state
            if task == states.DELETING:
                pass
            elif inst.vm_state == states.BUILDING or task in TO_ERROR:
                mgr.add_fault(s, inst, Interrupted(), host=host)
                inst.vm_state, inst.task_state = states.ERROR, None
            else:
                inst.task_state = None
            inst.pending_events = None
            inst.updated_at = utcnow()
        if task == states.DELETING:
            mgr.finish_delete(ctx, uuid)
        LOG.info('recovered server %s (was %s)', uuid, task)
        count += 1
    return count
