"""The agents table, the engines' roles and their start-up, and calls to an agent."""
import eventlet
import pytest

from cloudstack import exception
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.tasks import agents, engine, queue, recovery
from tests.unit.test_tasks import _wait_for

steps = []


@queue.handler('test.agents.where')
def where(tag):
    steps.append(('ran', tag))
    return {'tag': tag}


@queue.handler('test.agents.missing')
def missing(thing):
    raise exception.NotFound('No %s here.' % thing)


@queue.handler('test.agents.crash')
def crash():
    raise RuntimeError('the driver broke')


@queue.handler('test.agents.slow')
def slow():
    eventlet.sleep(30)


class Recorder(agents.RoleService):
    availability_zone = 'zone-a'
    failures = 0

    def init_host(self):
        if Recorder.failures:
            Recorder.failures -= 1
            raise RuntimeError('the hypervisor is not there yet')
        steps.append(('init_host', self.host))

    def resync(self):
        steps.append(('resync', self.host))

    def report(self):
        return {'instances': 0}


@pytest.fixture(autouse=True)
def _fresh():
    steps.clear()
    Recorder.failures = 0


def _call_tasks():
    with db_api.reader() as s:
        return s.query(queue.Task).filter(queue.Task.handler.startswith('test.agents')).count()


@pytest.fixture
def later(clock):
    return clock(agents)


@pytest.fixture
def agent(db, monkeypatch):
    """start(role, host): an engine of `role` on `host` in a green thread, its
    start-up hooks a Recorder; stopped at the end."""
    monkeypatch.setattr(agents, 'role_services',
                        lambda role, host: [Recorder(host)] if role == 'compute' else [])
    CONF.set_override('task_poll_interval', 60, group='engine')
    CONF.set_override('graceful_shutdown_timeout', 0)
    started = []

    def start(roles, host, wait=True):
        runner = engine.Engine(roles, host=host, binary='cloudstack-test')
        started.append((runner, eventlet.spawn(runner.run)))
        if wait:
            _wait_for(lambda: len(runner.ready) == len(roles))
        return runner
    yield start
    for runner, gt in started:
        runner.stop()
        gt.wait()
    CONF.clear_override('task_poll_interval', group='engine')
    CONF.clear_override('graceful_shutdown_timeout')


def test_agents_register_beat_and_go_down(db, later):
    agents.register('h1', 'compute', 'cloudstack-compute', 'zone-a')
    row = agents.find('h1', 'compute')
    assert (row['binary'], row['availability_zone'], row['up']) == (
        'cloudstack-compute', 'zone-a', False)          # not ready yet: no beat
    assert agents.beat('h1', {'compute': {'instances': 2}, 'network': None}) == ['network']
    row = agents.get(row['id'])
    assert row['up'] and row['details'] == {'instances': 2} and row['report_count'] == 1
    assert agents.get(row['uuid'])['id'] == row['id']
    assert [a['host'] for a in agents.live('compute')] == ['h1']
    later(CONF.agent_down_time + 1)
    assert not agents.get(row['id'])['up'] and agents.live('compute') == []


def test_operator_settings_survive_a_restart_and_forced_down_is_down(db):
    agent_id = agents.register('h1', 'volume', 'cloudstack-volume')
    agents.beat('h1', {'volume': None})
    row = agents.update(agent_id, disabled=True, disabled_reason='new disks')
    assert row['disabled'] and row['up']
    assert agents.register('h1', 'volume', 'cloudstack-volume') == agent_id
    agents.beat('h1', {'volume': None})
    row = agents.update(agent_id, forced_down=True)
    assert (row['disabled'], row['disabled_reason'], row['up']) == (True, 'new disks', False)
    with pytest.raises(ValueError):
        agents.update(agent_id, host='elsewhere')
    agents.delete(agent_id)
    with pytest.raises(exception.NotFound):
        agents.get(agent_id)
    assert agents.list_agents() == []


def test_an_engine_starts_its_roles_then_claims_their_tasks(agent, monkeypatch):
    recover = recovery.recover
    monkeypatch.setattr(recovery, 'recover', lambda role, host: (
        steps.append(('recover', role, host)), recover(role, host))[1])
    Recorder.failures = 1           # init_host fails once: tried again
    for_h2 = queue.enqueue(None, where, {'tag': 'h2'}, role='compute', host='h2')
    for_h1 = queue.enqueue(None, where, {'tag': 'h1'}, role='compute', host='h1')
    hostless = queue.enqueue(None, where, {'tag': 'any'})
    runner = agent(('compute',), 'h1', wait=False)
    _wait_for(lambda: queue.get(for_h1).state == 'done', timeout=10)
    assert [step for step in steps if step[-1] == 'h1'] == [
        ('init_host', 'h1'), ('recover', 'compute', 'h1'), ('resync', 'h1'), ('ran', 'h1')]
    assert queue.get(for_h2).state == queue.get(hostless).state == 'queued'
    row = agents.find('h1', 'compute')
    assert row['up'] and row['availability_zone'] == 'zone-a'
    assert row['details'] == {'instances': 0} and row['binary'] == 'cloudstack-test'
    assert runner.ready == {'compute'}
    assert isinstance(agents.local('compute'), Recorder) and agents.local('volume') is None
    assert agents.local('compute', kind=agents.RoleService).host == 'h1'


def test_an_agent_deleted_while_it_runs_comes_back_with_its_next_beat(agent):
    CONF.set_override('report_interval', 1)
    try:
        agent(('compute',), 'h1')
        gone = agents.find('h1', 'compute')
        agents.delete(gone['id'])
        _wait_for(lambda: (agents.find('h1', 'compute') or {}).get('up'))
        assert agents.find('h1', 'compute')['id'] > gone['id']   # ids are not reused
    finally:
        CONF.clear_override('report_interval')


def test_cloudstack_all_runs_every_role_and_the_hostless_work(agent):
    agent((None,) + tasks.ROLES, 'h1')
    assert {a['role'] for a in agents.list_agents(host='h1')} == {
        'engine', 'compute', 'network', 'volume', 'object'}
    ids = [queue.enqueue(None, where, {'tag': role}, role=role,
                         host='h1' if role else None) for role in (None,) + tasks.ROLES]
    _wait_for(lambda: all(queue.get(i).state == 'done' for i in ids))


def test_a_call_reaches_the_agent_it_names_and_returns_its_answer(agent):
    agent(('compute',), 'h1')
    agent(('compute',), 'h2')
    # The engines poll once a minute: only the wake-ups can make these quick.
    for host in ('h1', 'h2', 'h1'):
        assert tasks.call(where, {'tag': host}, role='compute', host=host,
                          timeout=3)['tag'] == host
    with pytest.raises(tasks.NoAgent):
        tasks.call(where, {'tag': 'h3'}, role='compute', host='h3', timeout=3)
    with pytest.raises(exception.NotFound, match='No console here'):
        tasks.call(missing, {'thing': 'console'}, role='compute', host='h1', timeout=3)
    with pytest.raises(tasks.RemoteError, match='the driver broke'):
        tasks.call(crash, role='compute', host='h2', timeout=3)
    assert [step for step in steps if step[0] == 'ran'] == [
        ('ran', 'h1'), ('ran', 'h2'), ('ran', 'h1')]
    assert _call_tasks() == 0       # answered calls leave no task behind


def test_a_call_that_gets_no_answer_times_out(agent):
    agent(('compute',), 'h1')
    with pytest.raises(tasks.CallTimeout):
        tasks.call(slow, role='compute', host='h1', timeout=0.5)
    with pytest.raises(RuntimeError):
        with db_api.writer():
            tasks.call(where, {'tag': 'x'}, role='compute', host='h1', timeout=1)


def test_a_call_nobody_took_is_withdrawn(db):
    agents.register('h1', 'compute', 'cloudstack-compute')
    agents.beat('h1', {'compute': None})    # looks up, but no engine runs
    with pytest.raises(tasks.CallTimeout):
        tasks.call(where, {'tag': 'x'}, role='compute', host='h1', timeout=0.3)
    assert _call_tasks() == 0


def test_cast_queues_one_attempt_for_the_agent(db):
    tasks.cast(where, {'tag': 'x'}, role='network', host='h1')
    [task] = queue.claim('o:1', 5, roles=('network',), host='h1')
    assert (task.handler, task.max_attempts) == ('test.agents.where', 1)


def test_calls_and_wake_ups_over_a_message_bus(agent):
    """With a transport_url (here oslo.messaging's in-process fake driver),
    calls are RPC calls to the agent's server, and wake-ups fanout casts."""
    CONF.set_override('transport_url', 'fake://')
    try:
        agent(('compute',), 'h1')
        agent(('compute',), 'h2')
        for host in ('h1', 'h2'):
            assert tasks.call(where, {'tag': host}, role='compute', host=host,
                              timeout=5)['tag'] == host
        with pytest.raises(exception.NotFound, match='No console here'):
            tasks.call(missing, {'thing': 'console'}, role='compute', host='h1', timeout=5)
        with pytest.raises(tasks.RemoteError, match='the driver broke'):
            tasks.call(crash, role='compute', host='h2', timeout=5)
        assert _call_tasks() == 0       # nothing went through the task table
    finally:
        CONF.clear_override('transport_url')


def test_wake_ups_over_a_message_bus(db):
    """Without PostgreSQL, a bus carries the wake-ups: a fanout cast per channel
    (the fake driver delivers them in threads of this process). On PostgreSQL
    NOTIFY still carries them."""
    import time
    from cloudstack.tasks import wakeup
    CONF.set_override('transport_url', 'fake://')
    got = []
    handles = [wakeup.listen('tasks.compute.h1', lambda p, n=n: got.append((n, p)))
               for n in (1, 2)]
    other = wakeup.listen('tasks.compute.h2', lambda p: got.append(('h2', p)))
    try:
        with pytest.raises(ZeroDivisionError):
            with db_api.writer() as session:
                wakeup.send('tasks.compute.h1', 'rolled back', session=session)
                1 / 0
        with db_api.writer() as session:
            wakeup.send('tasks.compute.h1', 'x', session=session)
        deadline = time.monotonic() + 5
        while len(got) < 2 and time.monotonic() < deadline:
            eventlet.sleep(0.01)
        eventlet.sleep(0.1)
        assert sorted(got) == [(1, 'x'), (2, 'x')]
    finally:
        for handle in handles + [other]:
            handle.close()
        CONF.clear_override('transport_url')


def test_notifications_are_off_by_default_and_go_where_the_driver_says(conf, caplog):
    from cloudstack.tasks import messaging
    assert messaging.notifier('image.h1') is None
    messaging.notify({}, 'image.create', {'id': 'x'}, 'image.h1')      # nowhere, no error
    conf.set_override('driver', ['log'], group='oslo_messaging_notifications')
    try:
        with caplog.at_level('INFO'):
            messaging.notify({'request_id': 'req-1'}, 'image.create', {'id': 'x'}, 'image.h1')
        [record] = [r for r in caplog.records if r.name.startswith('oslo.messaging.notif')]
        assert '"event_type": "image.create"' in record.getMessage()
        assert '"publisher_id": "image.h1"' in record.getMessage()
    finally:
        conf.clear_override('driver', group='oslo_messaging_notifications')
