"""Nothing stuck after a crash: the recovery of resources in transitional states.

A service declares each resource's lifecycle once, in a module its
`cloudstack.tasks` entry point loads:

    TRANSITIONAL_STATES = ('BUILD',)       # in the models module, one place

    recovery.register(recovery.Lifecycle(
        kind='server', model=models.Server, state='vm_state',
        transitional={'BUILD': recovery.set_state('ERROR', task_state=None)},
        role='compute', host='host',           # each compute agent recovers its host's
        record=record_fault,                   # (session, row, reason): keep the reason
        cleanup=remove_partial_files))         # (): leftovers on this host's disks

and marks the work in flight on a resource: a task enqueued with
resource=('server', id), or a row naming its task (Lifecycle.task), or, for
work done inline (an upload streaming in an API worker),
`with recovery.working('image', image_id): ...`, a lease its process renews
and drops at the end.

`recover(role, host)` runs when an engine starts each role (before resync and
before it claims that role's tasks) and then every [engine] recovery_interval
in each engine, for each of its roles.
For each lifecycle of that role, each row in a transitional state (of that
host, with `host`) that nothing works on any more (no queued or running task
for it, no live lease: its process is gone or stopped renewing) is handed to
its state's action with a reason, inside a transaction that locked it again;
`record` keeps the reason where the service's API shows it (a fault, a task
message) and every recovery is logged. A task still queued or running
resumes the resource by itself. Then `cleanup()` removes partial files.
"""
import contextlib
import dataclasses
import datetime
import logging
import os
import socket
from collections.abc import Callable

import eventlet
import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.tasks import queue
from cloudstack.tasks.models import QUEUED, RUNNING, Task, WorkLease

LOG = logging.getLogger(__name__)

lifecycles = {}     # name -> Lifecycle


@dataclasses.dataclass(frozen=True)
class Lifecycle:
    kind: str                       # the resource kind in task and lease keys
    model: type                     # its SQLAlchemy model
    # transitional state -> set_state(...), or action(session, row, reason)
    # that moves the row to a stable state and says whether it changed it.
    transitional: dict
    state: str = 'status'           # the attribute holding the state
    role: str | None = None         # the engines recovering it (None: host-less ones)
    # with a role: the attribute naming the row's host, or host -> the SQL
    # condition selecting that host's rows
    host: str | Callable | None = None
    task: str | None = None         # the attribute naming the task working on the row
    # row -> (kind, id) whose tasks and leases mean work in flight on it
    resource: Callable | None = None
    record: Callable | None = None  # (session, row, reason): keep the reason
    cleanup: Callable | None = None  # (): remove partial files (after recovery)
    name: str | None = None         # the registry key (default: kind)

    def key(self, row):
        found = self.resource(row) if self.resource else (self.kind, row.id)
        return queue.resource_key(found)

    def on_host(self, host):
        """The SQL condition selecting the rows of `host`."""
        if callable(self.host):
            return self.host(host)
        return getattr(self.model, self.host) == host


def register(lifecycle):
    """Declare a lifecycle (again under the same name replaces it)."""
    if lifecycle.role is None and lifecycle.host is not None:
        raise ValueError('rows of a host are recovered by an agent: give a role')
    lifecycles[lifecycle.name or lifecycle.kind] = lifecycle
    return lifecycle


@dataclasses.dataclass(frozen=True)
class SetState:
    state: str
    values: dict


def set_state(state, **values):
    """The action that moves the row to `state` (and sets `values`)."""
    return SetState(state, values)


# --- the process, its leases ------------------------------------------------

def process_owner():
    """This process, as task and lease owners name it: 'machine:pid'."""
    return '%s:%d' % (socket.gethostname(), os.getpid())


def pid_alive(pid):
    """Whether process `pid` of this machine exists and is not a zombie (Linux)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rpartition(')')[2].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def owner_alive(owner, expires_at, now):
    """Whether the owner of a lease is still at work: renewing it, and (on
    this machine, where we can look) running."""
    if expires_at is None or expires_at <= now:
        return False
    machine, _, pid = owner.rpartition(':')
    if machine == socket.gethostname() and pid.isdigit():
        return pid_alive(int(pid))
    return True


def _lease_expiry():
    return utcnow() + datetime.timedelta(seconds=CONF.engine.task_lease)


@contextlib.contextmanager
def working(kind, resource_id):
    """Mark inline work on a resource (kind, id) for as long as the block runs:
    a lease recovery respects while this process lives and renews it."""
    key, owner = queue.resource_key((kind, resource_id)), process_owner()
    with db_api.writer() as s:
        lease = s.get(WorkLease, (key, owner))
        if lease is None:
            s.add(WorkLease(resource=key, owner=owner, started_at=utcnow(),
                            expires_at=_lease_expiry()))
        else:
            lease.expires_at = _lease_expiry()
    renewer = eventlet.spawn(_renew, key, owner)
    try:
        yield
    finally:
        renewer.kill()
        with db_api.writer() as s:
            s.execute(sa.delete(WorkLease).where(WorkLease.resource == key,
                                                 WorkLease.owner == owner))


def _renew(key, owner):
    while True:
        eventlet.sleep(CONF.engine.task_lease / 3.0)
        try:
            with db_api.writer() as s:
                s.execute(sa.update(WorkLease).where(
                    WorkLease.resource == key, WorkLease.owner == owner,
                ).values(expires_at=_lease_expiry()))
        except Exception:
            LOG.exception('renewing the lease on %s failed', key)


def busy(keys, session=None):
    """The resource keys ('kind/id') that work is in flight on: a task queued
    or running for them, or a live lease."""
    keys = list(set(keys))
    if not keys:
        return set()
    if session is None:
        with db_api.reader() as s:
            return busy(keys, s)
    now = utcnow()
    found = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        found.update(session.scalars(sa.select(Task.resource).distinct().where(
            Task.resource.in_(chunk), Task.state.in_((QUEUED, RUNNING)))))
        for key, owner, expires_at in session.execute(sa.select(
                WorkLease.resource, WorkLease.owner, WorkLease.expires_at).where(
                WorkLease.resource.in_(chunk))):
            if owner_alive(owner, expires_at, now):
                found.add(key)
    return found


def busy_ids(kind, ids):
    """The ids of `kind` with work in flight (for clean-ups of partial files)."""
    keys = {queue.resource_key((kind, i)): i for i in ids}
    return {keys[k] for k in busy(keys)}


# --- recovery ---------------------------------------------------------------

def _live_tasks(session, task_ids):
    """The ids among `task_ids` of tasks still queued or running."""
    ids = list({t for t in task_ids if t})
    found = set()
    for start in range(0, len(ids), 500):
        found.update(session.scalars(sa.select(Task.id).where(
            Task.id.in_(ids[start:start + 500]), Task.state.in_((QUEUED, RUNNING)))))
    return found


def recover(role=None, host=None, taskless=True):
    """Recover the resources of `role` (on `host`; None: on every host) that
    nothing works on any more, then clean up partial files; how many
    resources it moved. With taskless False (a pass while the cloud runs)
    a row of a lifecycle with a task column is settled only once its task
    ended: a status an admin set, with no task, is nobody's to settle then."""
    queue.load_modules()
    moved = 0
    for lifecycle in list(lifecycles.values()):
        if lifecycle.role != role:
            continue
        try:
            moved += _recover(lifecycle, host, taskless)
        except Exception:
            LOG.exception('recovering %s failed', lifecycle.kind)
        if lifecycle.cleanup is not None:
            try:
                lifecycle.cleanup()
            except Exception:
                LOG.exception('cleaning up after %s failed', lifecycle.kind)
    return moved


def _recover(lifecycle, host, taskless=True):
    model, column = lifecycle.model, getattr(lifecycle.model, lifecycle.state)
    stmt = sa.select(model).where(column.in_(list(lifecycle.transitional)))
    if lifecycle.host is not None and host is not None:
        stmt = stmt.where(lifecycle.on_host(host))

    def task_of(row):
        return getattr(row, lifecycle.task) if lifecycle.task else None
    with db_api.reader() as s:
        rows = list(s.scalars(stmt))
        candidates = [(sa.inspect(row).identity, getattr(row, lifecycle.state),
                       lifecycle.key(row), task_of(row)) for row in rows]
        live = _live_tasks(s, [task for *_, task in candidates])
    if not candidates:
        return 0
    in_flight = busy([key for _, _, key, _ in candidates])
    moved = 0
    for identity, state, key, task in candidates:
        if key in in_flight or task in live or (
                lifecycle.task and task is None and not taskless):
            continue
        with db_api.writer() as s:
            row = s.get(model, identity, with_for_update=True)
            if (row is None or getattr(row, lifecycle.state) != state or busy([key], s)
                    or _live_tasks(s, [task_of(row)])):
                continue        # it moved on, or work on it began meanwhile
            reason = ('The work on this %s stopped while it was %s (its process ended or '
                      'a restart interrupted it); recovered.' % (lifecycle.kind, state))
            if _apply(lifecycle, s, row, state, reason):
                moved += 1
                after = getattr(row, lifecycle.state)
                kind, _, name = key.partition('/')
                if kind != lifecycle.kind:      # the work is on something else
                    name = '/'.join(map(str, sa.inspect(row).identity))
                if after == state:      # its work queued again
                    LOG.warning('resumed %s %s (%s): nothing was working on it',
                                lifecycle.kind, name, state)
                else:
                    LOG.warning('recovered %s %s from %s to %s: nothing was working on it',
                                lifecycle.kind, name, state, after)
    return moved


def _apply(lifecycle, session, row, state, reason):
    action = lifecycle.transitional[state]
    if isinstance(action, SetState):
        setattr(row, lifecycle.state, action.state)
        for name, value in action.values.items():
            setattr(row, name, value)
        changed = True
    else:
        changed = action(session, row, reason)
    if changed and lifecycle.record is not None:
        lifecycle.record(session, row, reason)
    session.flush()
    return bool(changed)
