"""The task queue's semantics, and the engine running in this process.

`db` (tests/conftest.py) is a migrated database with CONF.data_dir in tmp_path.
"""
import datetime
import os
import socket

import eventlet
import pytest

from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.tasks import engine, queue

calls = []


def record(value):
    calls.append(value)
    return {'seen': value}


def nap(seconds):
    eventlet.sleep(seconds)


@queue.handler('test.boom')
def boom():
    raise RuntimeError('boom')


@pytest.fixture(autouse=True)
def _forget_calls():
    calls.clear()


@pytest.fixture
def later(monkeypatch):
    """later(seconds): move the queue's clock forward."""
    shift = datetime.timedelta()

    def move(seconds):
        nonlocal shift
        shift += datetime.timedelta(seconds=seconds)
    monkeypatch.setattr(queue, 'utcnow', lambda: utcnow() + shift)
    return move


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


def test_commit_wakes_the_engine_and_rollback_does_not(db, tmp_path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(queue.wakeup_path())
        sock.settimeout(0.2)
        with pytest.raises(ZeroDivisionError):
            with db_api.writer() as session:
                queue.enqueue(session, record)
                1 / 0
        with pytest.raises(socket.timeout):
            sock.recv(16)
        queue.enqueue(None, record, {'value': 1})
        assert sock.recv(16)


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


def test_handlers_by_name_path_and_function(db):
    assert queue.resolve('test.boom') is boom
    assert queue.resolve('%s:record' % __name__) is record
    assert queue.resolve('os.path:join') is os.path.join
    with pytest.raises(LookupError):
        queue.resolve('test.nothing')
    assert queue.get(queue.enqueue(None, record)).handler == '%s:record' % __name__
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
        _wait_for(lambda: runner._sock is not None)
        ids = [queue.enqueue(None, record, {'value': n}) for n in range(3)]
        _wait_for(lambda: all(queue.get(i).state == 'done' for i in ids), timeout=2)
        assert sorted(calls) == [0, 1, 2]
        assert queue.get(ids[0]).result == {'seen': 0}
        runner.stop()
        gt.wait()
        assert not os.path.exists(queue.wakeup_path())
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
