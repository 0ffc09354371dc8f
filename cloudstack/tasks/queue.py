"""The durable queue: task rows, claimed by an engine under a lease.

A task is queued -> running -> done, or back to queued with a backoff when its
handler raises, until it has used max_attempts; then it is failed. A running
task whose lease expired (its engine died) is claimed again; that counts as
an attempt, so a task that kills its engine does not loop forever.
"""
import contextlib
import dataclasses
import datetime
import importlib.metadata
import logging

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import new_id, utcnow
from cloudstack.tasks import wakeup
from cloudstack.tasks.models import DONE, FAILED, QUEUED, RUNNING, Agent, Periodic, Task

LOG = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_DELAY = 2.0           # seconds before the first retry; doubles each time
RETRY_MAX_DELAY = 300.0
RETENTION = datetime.timedelta(days=7)   # how long finished tasks are kept
ENTRY_POINTS = 'cloudstack.tasks'        # services' modules of handlers
# The roles a task can be addressed to; an engine runs some of them, and None
# stands for the host-less work (tasks and periodics with no role).
ROLES = ('compute', 'network', 'volume', 'object')
ALL_HOSTS = '*'     # enqueue(..., role=R, host=ALL_HOSTS): one task per host of role R

_handlers = {}      # registered name -> function
periodics = {}      # registered name -> PeriodicSpec


@dataclasses.dataclass(frozen=True)
class PeriodicSpec:
    spacing: float      # seconds
    role: str | None = None
    per_host: bool = False


class Permanent(Exception):
    """Raised by a handler to fail its task at once, without retries."""


def handler(name):
    """Register the decorated function as the handler called `name`."""
    def register(func):
        _handlers[name] = func
        func.task_name = name
        return func
    return register


def periodic(spacing, *, name, role=None, per_host=False):
    """Run the decorated function every `spacing` seconds: once per cloud (on
    an engine of `role`, or a host-less engine), or with `per_host`, once on
    every host running `role`."""
    if per_host and role is None:
        raise ValueError('a per-host periodic task needs a role')
    _check_role(role)

    def register(func):
        handler(name)(func)
        periodics[name] = PeriodicSpec(spacing, role, per_host)
        return func
    return register


_loaded = []


def load_modules(again=False):
    """Import the services' handler modules named in the entry point group
    (once per process, unless `again`: a name may have been installed since)."""
    if _loaded and not again:
        return
    for ep in importlib.metadata.entry_points(group=ENTRY_POINTS):
        ep.load()
    _loaded.append(True)


def _name(name):
    """The registered name of `name` (a name, or a registered function)."""
    if callable(name):
        name = getattr(name, 'task_name', None)
        if name is None:
            raise TypeError('a task handler is registered with @tasks.handler(name)')
    if name not in _handlers:
        load_modules(again=True)
        if name not in _handlers:
            raise LookupError('no task handler is registered as %r' % name)
    return name


def resolve(name):
    """The function registered as `name`."""
    return _handlers[_name(name)]


def _check_role(role, host=None):
    if role is not None and role not in ROLES:
        raise ValueError('unknown role %r (roles: %s)' % (role, ', '.join(ROLES)))
    if host is not None and role is None:
        raise ValueError('a task addressed to a host needs a role')


def resource_key(resource):
    """'kind/id' of a (kind, id) pair, as tasks record what they work on."""
    if resource is None or isinstance(resource, str):
        return resource
    kind, resource_id = resource
    return '%s/%s' % (kind, resource_id)


def enqueue(session, name, args=None, *, role=None, host=None, resource=None, delay=0,
            max_attempts=MAX_ATTEMPTS, reply_to=None):
    """Queue `name(**args)` and return the task's id.

    With a session (from db_api.writer()), the task commits or rolls back with
    the caller's own changes; with None, in a writer of its own (which joins
    the caller's writer, if it is in one). `name` is a registered handler.
    Addressed with no role, any engine running host-less work may run it; with
    a role, any agent of that role; with a role and a host, only that host's
    agent of that role. `resource` ((kind, id)) names what it works on, for
    the recovery of resources left in transitional states. With
    host=ALL_HOSTS, one task for each host where an agent of `role` is
    registered (up or not); returns their ids.
    """
    name = _name(name)
    _check_role(role, host)
    if session is None:
        with db_api.writer() as session:
            return enqueue(session, name, args, role=role, host=host, resource=resource,
                           delay=delay, max_attempts=max_attempts, reply_to=reply_to)
    if host == ALL_HOSTS:
        return [enqueue(session, name, args, role=role, host=each, resource=resource,
                        delay=delay, max_attempts=max_attempts)
                for each in session.scalars(sa.select(Agent.host).where(
                    Agent.role == role).order_by(Agent.host))]
    task = Task(id=new_id(), handler=name, args=args or {}, max_attempts=max_attempts,
                role=role, host=host, resource=resource_key(resource), reply_to=reply_to,
                run_at=utcnow() + datetime.timedelta(seconds=delay))
    session.add(task)
    if not delay:
        wakeup.send(wakeup.task_channel(role, host), session=session)
    return task.id


def get(task_id):
    """The task as it is now, or None."""
    with db_api.reader() as s:
        task = s.get(Task, task_id)
        if task is not None:
            s.expunge(task)     # loaded as it is; the reader's rollback leaves it be
        return task


def _lease(now):
    return now + datetime.timedelta(seconds=CONF.engine.task_lease)


def _runnable(now):
    return sa.or_(sa.and_(Task.state == QUEUED, Task.run_at <= now),
                  sa.and_(Task.state == RUNNING, Task.lease_expires_at < now))


def addressed_to(roles, host):
    """The tasks an engine running `roles` on `host` may claim (None in
    `roles`: the host-less work)."""
    named = [r for r in roles if r is not None]
    mine = []
    if None in roles:
        mine.append(Task.role.is_(None))
    if named:
        mine.append(sa.and_(Task.role.in_(named),
                            sa.or_(Task.host.is_(None), Task.host == host)))
    return sa.or_(*mine) if mine else sa.false()


def claim(owner, limit=1, roles=(None,), host=None):
    """Take up to `limit` runnable tasks for `owner`, an engine running
    `roles` on `host`, under a fresh lease."""
    mine = addressed_to(roles, host)
    with db_api.reader() as s:     # the common case, nothing to do, needs no write lock
        if s.scalar(sa.select(Task.id).where(_runnable(utcnow()), mine).limit(1)) is None:
            return []
    claimed = []
    with db_api.writer() as s:
        now = utcnow()
        query = (sa.select(Task).where(_runnable(now), mine).order_by(Task.run_at)
                 .limit(limit).with_for_update(skip_locked=True))
        for task in s.scalars(query):
            if task.attempts >= task.max_attempts:
                _settle(s, task, FAILED, error='gave up after %d attempts; the last one '
                        'never reported back' % task.attempts)
                continue
            task.state, task.owner, task.lease_expires_at = RUNNING, owner, _lease(now)
            task.attempts += 1
            claimed.append(task)
    return claimed


def heartbeat(owner, task_ids):
    """Extend the lease on tasks `owner` is still running; returns how many."""
    with db_api.writer() as s:
        return s.execute(sa.update(Task).where(
            Task.id.in_(task_ids), Task.owner == owner, Task.state == RUNNING,
        ).values(lease_expires_at=_lease(utcnow()))).rowcount


def _settle(session, task, state, result=None, error=None):
    """Leave `task` in `state`, owned by no one; wake the caller waiting for it."""
    task.state, task.result, task.error = state, result, error
    task.owner = task.lease_expires_at = None
    if task.reply_to and state in (DONE, FAILED):
        wakeup.send(task.reply_to, task.id, session=session)


def _owned(session, task_id, owner):
    task = session.get(Task, task_id, with_for_update=True)
    if task is None or task.owner != owner or task.state != RUNNING:
        LOG.warning('task %s is no longer owned by %s; its result is dropped',
                    task_id, owner)
        return None
    return task


def complete(task_id, owner, result=None):
    with db_api.writer() as s:
        task = _owned(s, task_id, owner)
        if task:
            _settle(s, task, DONE, result=result)


def fail(task_id, owner, exc):
    """Record a failed attempt: queue a retry after a backoff, or give up.

    A cloudstack error (NotFound, Conflict...) is kept in the result too, so
    that tasks.call() raises it again in its caller."""
    error = '%s: %s' % (type(exc).__name__, exc)
    with db_api.writer() as s:
        task = _owned(s, task_id, owner)
        if task is None:
            return
        if isinstance(exc, Permanent) or task.attempts >= task.max_attempts:
            _settle(s, task, FAILED, result=_error_result(exc), error=error)
            return
        delay = min(RETRY_DELAY * 2 ** (task.attempts - 1), RETRY_MAX_DELAY)
        task.run_at = utcnow() + datetime.timedelta(seconds=delay)
        _settle(s, task, QUEUED, error=error)


def _error_result(exc):
    from cloudstack import exception
    if isinstance(exc, exception.CloudstackError):
        return {'error': {'type': type(exc).__name__, 'message': exc.message}}
    return None


def release(owner, task_ids):
    """Hand back tasks `owner` stops running unfinished; the attempt is not counted."""
    with db_api.writer() as s:
        released = s.execute(sa.select(Task.role, Task.host).distinct().where(
            Task.id.in_(task_ids), Task.owner == owner, Task.state == RUNNING)).all()
        s.execute(sa.update(Task).where(
            Task.id.in_(task_ids), Task.owner == owner, Task.state == RUNNING,
        ).values(state=QUEUED, owner=None, lease_expires_at=None,
                 attempts=Task.attempts - 1))
        for role, host in released:
            wakeup.send(wakeup.task_channel(role, host), session=s)


def owners(host):
    """The owners on `host` that hold running tasks."""
    with db_api.reader() as s:
        found = s.scalars(sa.select(Task.owner).distinct().where(
            Task.state == RUNNING, Task.owner.startswith(host + ':', autoescape=True)))
        return [o for o in found if o.rpartition(':')[0] == host]


def expire(owner):
    """End the leases of a dead owner, so its tasks run again now."""
    with db_api.writer() as s:
        s.execute(sa.update(Task).where(Task.owner == owner, Task.state == RUNNING)
                  .values(lease_expires_at=utcnow()))


def periodic_key(name, host=None):
    """The schedule row of periodic task `name`: one per cloud, or per host."""
    return name if host is None else '%s@%s' % (name, host)


def schedule_periodic(name, spacing, *, role=None, host=None):
    """Queue a run of periodic task `name` (for `role`, and only on `host` if
    given) if it is due and its last run is over.

    Returns (the new task's id or None, when to look again)."""
    key = periodic_key(name, host)
    with db_api.writer() as s:
        now = utcnow()
        row = s.get(Periodic, key, with_for_update=True)
        if row is None:
            with contextlib.suppress(sa.exc.IntegrityError), s.begin_nested():
                s.add(Periodic(name=key, next_run_at=now))
                s.flush()       # fails if another engine just added it
            row = s.get(Periodic, key, with_for_update=True, populate_existing=True)
        if row.next_run_at > now:
            return None, row.next_run_at
        elif row.task_id and s.scalar(sa.select(Task.state).where(
                Task.id == row.task_id)) in (QUEUED, RUNNING):
            return None, now + datetime.timedelta(seconds=min(spacing, 60))
        row.next_run_at = now + datetime.timedelta(seconds=spacing)
        row.task_id = enqueue(s, name, role=role, host=host, max_attempts=1)
        return row.task_id, row.next_run_at


def purge(age=RETENTION):
    """Delete tasks that finished longer than `age` ago."""
    with db_api.writer() as s:
        return s.execute(sa.delete(Task).where(
            Task.state.in_((DONE, FAILED)), Task.updated_at < utcnow() - age)).rowcount
