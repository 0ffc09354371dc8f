"""The durable queue: task rows, claimed by an engine under a lease.

A task is queued -> running -> done, or back to queued with a backoff when its
handler raises, until it has used max_attempts; then it is failed. A running
task whose lease expired (its engine died) is claimed again; that counts as
an attempt, so a task that kills its engine does not loop forever.
"""
import datetime
import importlib
import importlib.metadata
import logging
import os
import socket

import sqlalchemy as sa
from sqlalchemy import event, orm

from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import new_id, utcnow
from cloudstack.tasks.models import DONE, FAILED, QUEUED, RUNNING, Periodic, Task

LOG = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_DELAY = 2.0           # seconds before the first retry; doubles each time
RETRY_MAX_DELAY = 300.0
RETENTION = datetime.timedelta(days=7)   # how long finished tasks are kept
ENTRY_POINTS = 'cloudstack.tasks'        # services' modules of handlers
_NOTIFY = 'cloudstack.tasks.notify'      # session.info flag: wake the engine on commit

_handlers = {}      # registered name -> function
periodics = {}      # registered name -> spacing in seconds


class Permanent(Exception):
    """Raised by a handler to fail its task at once, without retries."""


def handler(name):
    """Register the decorated function as the handler called `name`."""
    def register(func):
        _handlers[name] = func
        func.task_name = name
        return func
    return register


def periodic(spacing, name=None):
    """Run the decorated function every `spacing` seconds, on one engine at a time."""
    def register(func):
        key = name or _path(func)
        handler(key)(func)
        periodics[key] = spacing
        return func
    return register


def _path(func):
    return '%s:%s' % (func.__module__, func.__qualname__)


def load_modules():
    """Import the services' handler modules named in the entry point group."""
    for ep in importlib.metadata.entry_points(group=ENTRY_POINTS):
        ep.load()


def resolve(name):
    """The function a task's handler names: registered, or 'module:function'."""
    if ':' in name:
        module, _, attrs = name.partition(':')
        obj = importlib.import_module(module)
        for attr in attrs.split('.'):
            obj = getattr(obj, attr)
        return obj
    if name not in _handlers:
        load_modules()
    try:
        return _handlers[name]
    except KeyError:
        raise LookupError('no task handler is registered as %r' % name) from None


def enqueue(session, handler, args=None, *, delay=0, max_attempts=MAX_ATTEMPTS):
    """Queue `handler(**args)` and return the task's id.

    With a session (from db_api.writer()), the task commits or rolls back with
    the caller's own changes; with None, it commits on its own. `handler` is a
    registered name, a 'module:function' path, or such a function.
    """
    if session is None:
        with db_api.writer() as session:
            return enqueue(session, handler, args, delay=delay, max_attempts=max_attempts)
    if callable(handler):
        handler = getattr(handler, 'task_name', None) or _path(handler)
    task = Task(id=new_id(), handler=handler, args=args or {}, max_attempts=max_attempts,
                run_at=utcnow() + datetime.timedelta(seconds=delay))
    session.add(task)
    session.info[_NOTIFY] = True
    return task.id


@event.listens_for(orm.Session, 'after_commit')
def _after_commit(session):
    if session.info.pop(_NOTIFY, False):
        notify()


@event.listens_for(orm.Session, 'after_rollback')
def _after_rollback(session):
    session.info.pop(_NOTIFY, None)


def wakeup_path():
    """The engine's unix datagram socket: a datagram there wakes it to claim."""
    return os.path.join(CONF.data_dir, 'engine.sock')


def notify():
    """Wake a local engine now rather than at its next poll (best effort)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        try:
            sock.sendto(b'\0', wakeup_path())
        except OSError:
            pass    # no engine here, or its socket is full: it polls anyway


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


def claim(owner, limit=1):
    """Take up to `limit` runnable tasks for `owner`, under a fresh lease."""
    with db_api.reader() as s:     # the common case, nothing to do, needs no write lock
        if s.scalar(sa.select(Task.id).where(_runnable(utcnow())).limit(1)) is None:
            return []
    claimed = []
    with db_api.writer() as s:
        now = utcnow()
        query = (sa.select(Task).where(_runnable(now)).order_by(Task.run_at)
                 .limit(limit).with_for_update(skip_locked=True))
        for task in s.scalars(query):
            if task.attempts >= task.max_attempts:
                _settle(task, FAILED, error='gave up after %d attempts; the last one '
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


def _settle(task, state, result=None, error=None):
    """Leave `task` in `state`, owned by no one."""
    task.state, task.result, task.error = state, result, error
    task.owner = task.lease_expires_at = None


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
            _settle(task, DONE, result=result)


def fail(task_id, owner, exc):
    """Record a failed attempt: queue a retry after a backoff, or give up."""
    error = '%s: %s' % (type(exc).__name__, exc)
    with db_api.writer() as s:
        task = _owned(s, task_id, owner)
        if task is None:
            return
        if isinstance(exc, Permanent) or task.attempts >= task.max_attempts:
            _settle(task, FAILED, error=error)
            return
        delay = min(RETRY_DELAY * 2 ** (task.attempts - 1), RETRY_MAX_DELAY)
        task.run_at = utcnow() + datetime.timedelta(seconds=delay)
        _settle(task, QUEUED, error=error)


def release(owner, task_ids):
    """Hand back tasks `owner` stops running unfinished; the attempt is not counted."""
    with db_api.writer() as s:
        s.execute(sa.update(Task).where(
            Task.id.in_(task_ids), Task.owner == owner, Task.state == RUNNING,
        ).values(state=QUEUED, owner=None, lease_expires_at=None,
                 attempts=Task.attempts - 1))
    notify()


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


def schedule_periodic(name, spacing):
    """Queue a run of periodic task `name` if it is due and its last run is over.

    Returns (the new task's id or None, when to look again)."""
    with db_api.writer() as s:
        now = utcnow()
        row = s.get(Periodic, name, with_for_update=True)
        if row is None:
            row = Periodic(name=name)
            s.add(row)
        elif row.next_run_at > now:
            return None, row.next_run_at
        elif row.task_id and s.scalar(sa.select(Task.state).where(
                Task.id == row.task_id)) in (QUEUED, RUNNING):
            return None, now + datetime.timedelta(seconds=min(spacing, 60))
        row.next_run_at = now + datetime.timedelta(seconds=spacing)
        row.task_id = enqueue(s, name, max_attempts=1)
        return row.task_id, row.next_run_at


def purge(age=RETENTION):
    """Delete tasks that finished longer than `age` ago."""
    with db_api.writer() as s:
        return s.execute(sa.delete(Task).where(
            Task.state.in_((DONE, FAILED)), Task.updated_at < utcnow() - age)).rowcount
