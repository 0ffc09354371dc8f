"""The task queue's semantics, and the engine running in this process.

`db` (tests/conftest.py) is a migrated database with CONF.data_dir in tmp_path.
"""
import socket

import eventlet
import pytest
import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.tasks import engine, queue, wakeup
from cloudstack.tasks.models import Periodic

calls = []


@queue.handler('test.record')
def record(value):
    calls.append(value)
    return {'seen': value}


@queue.handler('test.nap')
def nap(seconds):
    eventlet.sleep(seconds)


@queue.handler('test.boom')
def boom():
    raise RuntimeError('boom')


@pytest.fixture(autouse=True)
def _forget_calls():
    calls.clear()


@pytest.fixture
def later(clock):
    """later(seconds): move the queue's clock forward."""
    return clock(queue)


def test_enqueue_rolls_back_with_the_callers_transaction(db):
    with pytest.raises(ZeroDivisionError):
        with db_api.writer() as session:
            task_id = queue.enqueue(session, 'test.boom')
            1 / 0
    assert queue.get(task_id) is None
    with db_api.writer() as session:
        task_id = queue.enqueue(session, 'test.boom', {'a': 1})
    task = queue.get(task_id)
    assert (task.state, task.handler, task.args) == ('queued', 'test.boom', {'a': 1})


def test_commit_wakes_the_listeners_and_rollback_does_not(db):
    woken = []
    handle = wakeup.listen(wakeup.task_channel(), woken.append)
    try:
        with pytest.raises(ZeroDivisionError):
            with db_api.writer() as session:
                queue.enqueue(session, record, {'value': 1})
                1 / 0
        eventlet.sleep(0.2)
        assert woken == []
        queue.enqueue(None, record, {'value': 1})
        _wait_for(lambda: woken)
    finally:
        handle.close()


def test_a_task_wakes_only_the_engines_it_is_addressed_to(db):
    woken = {}
    handles = [wakeup.listen(channel, lambda _, c=channel: woken.setdefault(c, 0))
               for channel in ('tasks', 'tasks.compute', 'tasks.compute.h1',
                               'tasks.compute.h2')]
    try:
        queue.enqueue(None, record, {'value': 1}, role='compute', host='h1')
        _wait_for(lambda: woken)
        eventlet.sleep(0.1)
        assert list(woken) == ['tasks.compute.h1']
    finally:
        for handle in handles:
            handle.close()


def test_only_registered_handlers_and_known_roles_are_queued(db):
    with pytest.raises(LookupError):
        queue.enqueue(None, 'test.nothing')
    with pytest.raises(LookupError):
        queue.enqueue(None, 'os.path:join')
    with pytest.raises(TypeError):
        queue.enqueue(None, print)
    with pytest.raises(ValueError):
        queue.enqueue(None, record, host='h1')      # a host needs a role
    with pytest.raises(ValueError):
        queue.enqueue(None, record, role='hypervisor')
    assert queue.get(queue.enqueue(None, record)).handler == 'test.record'


def test_claims_follow_the_address(db):
    ids = {address: queue.enqueue(None, record, {'value': 0}, role=address[0],
                                  host=address[1])
           for address in [(None, None), ('compute', None), ('compute', 'h1'),
                           ('compute', 'h2'), ('network', 'h1')]}

    def claimed(roles, host):
        return {t.id for t in queue.claim('o:1', 10, roles=roles, host=host)}
    assert claimed(('compute',), 'h1') == {ids['compute', None], ids['compute', 'h1']}
    assert claimed(('compute', 'network'), 'h2') == {ids['compute', 'h2']}
    assert claimed(('object',), 'h1') == set()
    assert claimed((None, 'network'), 'h1') == {ids[None, None], ids['network', 'h1']}


def test_a_task_for_every_host_of_a_role(db):
    from cloudstack.tasks import agents
    for host, role in (('h1', 'network'), ('h2', 'network'), ('h3', 'compute')):
        agents.register(host, role, 'cloudstack-test')
    ids = queue.enqueue(None, record, {'value': 1}, role='network', host=queue.ALL_HOSTS)
    assert [(queue.get(i).role, queue.get(i).host) for i in ids] == [
        ('network', 'h1'), ('network', 'h2')]


def test_nested_writers_join_the_outer_transaction(db):
    """A writer inside a writer (enqueue(None, ...) in a manager's transaction)
    used to wait forever for the lock its own thread held."""
    import threading
    from cloudstack.identity import models
    outcome = {}

    def nested():
        with db_api.writer() as s:
            s.add(models.Revision(id=1, value=1))
            s.flush()
            row = s.get(models.Revision, 1, with_for_update=True)   # locked on PostgreSQL
            outcome['task'] = queue.enqueue(None, record, {'value': 1})
            with pytest.raises(ZeroDivisionError):
                with db_api.writer() as inner:
                    inner.execute(sa.update(models.Revision).values(value=2))
                    1 / 0
            with db_api.writer() as inner:
                inner.execute(sa.update(models.Revision).values(value=row.value + 2))
    thread = threading.Thread(target=nested, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), 'a nested writer deadlocked'
    with db_api.reader() as s:
        assert s.get(models.Revision, 1).value == 3     # the failed inner part undone
    assert queue.get(outcome['task']).state == 'queued'
    with pytest.raises(RuntimeError):
        with db_api.writer():
            queue.enqueue(None, record, {'value': 2})
            raise RuntimeError('the outer transaction fails: the task goes too')
    with db_api.reader() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(queue.Task)) == 1


def test_claim_takes_each_task_once_under_a_lease(db):
    ids = {queue.enqueue(None, record, {'value': n}) for n in range(3)}
    first = queue.claim('host:1', limit=2)
    second = queue.claim('host:2', limit=5)
    assert {t.id for t in first + second} == ids and len(first) == 2
    assert queue.claim('host:3') == []
    task = queue.get(first[0].id)
    assert (task.state, task.owner, task.attempts) == ('running', 'host:1', 1)
    assert task.lease_expires_at > utcnow()


def test_delayed_task_waits(db, later):
    queue.enqueue(None, record, {'value': 1}, delay=30)
    assert queue.claim('host:1') == []
    later(31)
    assert len(queue.claim('host:1')) == 1


def test_expired_lease_is_claimed_again_and_the_old_owner_is_ignored(db, later):
    task_id = queue.enqueue(None, record, {'value': 1})
    queue.claim('host:1')
    later(CONF.engine.task_lease / 2)
    assert queue.heartbeat('host:1', [task_id]) == 1
    later(CONF.engine.task_lease * 0.9)
    assert queue.claim('host:2') == []          # the heartbeat moved the lease on
    later(CONF.engine.task_lease)
    [task] = queue.claim('host:2')
    assert (task.owner, task.attempts) == ('host:2', 2)
    queue.complete(task_id, 'host:1', 'late')   # dropped: host:1 lost the lease
    assert queue.get(task_id).state == 'running'
    queue.complete(task_id, 'host:2', {'ok': True})
    task = queue.get(task_id)
    assert (task.state, task.result, task.owner) == ('done', {'ok': True}, None)


def test_failures_retry_with_backoff_then_fail(db, later):
    task_id = queue.enqueue(None, 'test.boom', max_attempts=3)
    delays = []
    for attempt in (1, 2, 3):
        later(queue.RETRY_MAX_DELAY)
        [task] = queue.claim('host:1')
        assert task.attempts == attempt
        queue.fail(task_id, 'host:1', RuntimeError('boom'))
        task = queue.get(task_id)
        delays.append((task.run_at - queue.utcnow()).total_seconds())
    assert task.state == 'failed' and task.error == 'RuntimeError: boom'
    assert delays[0] == pytest.approx(queue.RETRY_DELAY, abs=1)
    assert delays[1] == pytest.approx(queue.RETRY_DELAY * 2, abs=1)


def test_permanent_error_fails_at_once(db):
    task_id = queue.enqueue(None, 'test.boom')
    queue.claim('host:1')
    queue.fail(task_id, 'host:1', queue.Permanent('gone'))
    assert queue.get(task_id).state == 'failed'


def test_task_whose_engine_died_on_every_attempt_fails(db, later):
    task_id = queue.enqueue(None, record, {'value': 1}, max_attempts=2)
    for _ in range(2):
        queue.claim('host:1')
        later(CONF.engine.task_lease + 1)
    assert queue.claim('host:2') == []
    task = queue.get(task_id)
    assert task.state == 'failed' and 'gave up after 2 attempts' in task.error


def test_release_and_expire(db):
    released, expired = (queue.enqueue(None, record, {'value': n}) for n in (1, 2))
    queue.claim('host:1', limit=2)
    assert queue.owners('host') == ['host:1'] and queue.owners('hos') == []
    queue.release('host:1', [released])
    task = queue.get(released)
    assert (task.state, task.owner, task.attempts) == ('queued', None, 0)
    queue.expire('host:1')
    [task] = [t for t in queue.claim('host:2', limit=2) if t.id == expired]
    assert task.attempts == 2


def test_handlers_by_registered_name_only(db):
    assert queue.resolve('test.boom') is boom and queue.resolve(record) is record
    for name in ('test.nothing', '%s:record' % __name__, 'os.path:join'):
        with pytest.raises(LookupError):
            queue.resolve(name)
    assert queue.get(queue.enqueue(None, boom)).handler == 'test.boom'


def test_periodic_runs_once_per_spacing_and_never_overlaps(db, later):
    task_id, due = queue.schedule_periodic('test.boom', 60)
    assert task_id and due > queue.utcnow()
    assert queue.schedule_periodic('test.boom', 60) == (None, due)
    later(61)
    queue.claim('host:1')                       # the first run is still going
    assert queue.schedule_periodic('test.boom', 60)[0] is None
    queue.complete(task_id, 'host:1')
    later(61)
    assert queue.schedule_periodic('test.boom', 60)[0] not in (None, task_id)


def test_a_per_host_periodic_is_scheduled_once_per_host(db):
    first, _ = queue.schedule_periodic('test.boom', 60, role='object', host='h1')
    second, _ = queue.schedule_periodic('test.boom', 60, role='object', host='h2')
    assert queue.schedule_periodic('test.boom', 60, role='object', host='h1')[0] is None
    assert (queue.get(first).role, queue.get(first).host) == ('object', 'h1')
    assert queue.get(second).host == 'h2'
    with db_api.reader() as s:
        assert sorted(s.scalars(sa.select(Periodic.name))) == ['test.boom@h1',
                                                               'test.boom@h2']


def test_purge_keeps_recent_and_unfinished_tasks(db, later):
    done, waiting = (queue.enqueue(None, record, {'value': n}) for n in (1, 2))
    queue.claim('host:1')
    queue.complete(done, 'host:1')
    assert queue.purge() == 0
    later(queue.RETENTION.total_seconds() + 1)
    assert queue.purge() == 1
    assert queue.get(done) is None and queue.get(waiting).state == 'queued'


def _wait_for(predicate, timeout=5.0):
    deadline = eventlet.hubs.get_hub().clock() + timeout
    while not predicate():
        assert eventlet.hubs.get_hub().clock() < deadline, 'timed out'
        eventlet.sleep(0.01)


def test_engine_runs_tasks_as_soon_as_they_are_queued(db):
    CONF.set_override('task_poll_interval', 60, group='engine')
    try:
        runner = engine.Engine()
        gt = eventlet.spawn(runner.run)
        _wait_for(lambda: runner.ready)
        ids = [queue.enqueue(None, record, {'value': n}) for n in range(3)]
        _wait_for(lambda: all(queue.get(i).state == 'done' for i in ids), timeout=2)
        assert sorted(calls) == [0, 1, 2]
        assert queue.get(ids[0]).result == {'seen': 0}
        runner.stop()
        gt.wait()
        assert runner._listening == []
    finally:
        CONF.clear_override('task_poll_interval', group='engine')


def test_engine_stop_releases_what_it_cannot_finish(db):
    CONF.set_override('graceful_shutdown_timeout', 0)
    try:
        runner = engine.Engine()
        gt = eventlet.spawn(runner.run)
        task_id = queue.enqueue(None, nap, {'seconds': 30})
        _wait_for(lambda: task_id in runner.running)
        runner.stop()
        gt.wait()
        task = queue.get(task_id)
        assert (task.state, task.owner, task.attempts) == ('queued', None, 0)
    finally:
        CONF.clear_override('graceful_shutdown_timeout')


def test_engine_reclaims_the_tasks_of_a_dead_engine_on_this_host(db):
    task_id = queue.enqueue(None, record, {'value': 7})
    dead = '%s:%d' % (socket.gethostname(), 2 ** 22 + 1)    # above pid_max
    queue.claim(dead)
    runner = engine.Engine()
    gt = eventlet.spawn(runner.run)
    _wait_for(lambda: queue.get(task_id).state == 'done')
    runner.stop()
    gt.wait()
    assert calls == [7] and queue.get(task_id).attempts == 2


def test_wake_ups_survive_a_lost_listening_connection(db):
    if db_api.is_sqlite():
        pytest.skip("PostgreSQL's LISTEN connection; this run uses SQLite")
    got = []
    handle = wakeup.listen('tasks.compute.h1', got.append)
    try:
        carrier = wakeup._carrier()
        old_pid = carrier.conn.get_backend_pid()
        with db_api.get_engine().connect() as conn:
            conn.execute(sa.text('SELECT pg_terminate_backend(:pid)'), {'pid': old_pid})
        _wait_for(lambda: carrier.conn.closed == 0 and carrier.conn.get_backend_pid() != old_pid
                  and got)                  # listening again; woken in case it missed one
        got.clear()
        queue.enqueue(None, record, {'value': 1}, role='compute', host='h1')
        _wait_for(lambda: got)
    finally:
        handle.close()
