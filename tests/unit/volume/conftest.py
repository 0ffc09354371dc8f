"""Fixtures of the Block Storage tests: the fake volume driver and target,
the agent's tasks run in the test's process, and users of two projects."""
import pytest

from cloudstack.conf import CONF
from cloudstack import tasks
from cloudstack.tasks import agents, queue
from tests.unit.image.conftest import _project, _user

V3 = '/identity/v3'
VOL = '/volume/v3'


def run_tasks(rounds=20):
    """Run the queued tasks this host's engine and volume agent would, in
    the test's process; returns how many ran."""
    ran = 0
    for _ in range(rounds):
        claimed = queue.claim('test:1', limit=100, roles=(None, 'volume'),
                              host=CONF.host)
        if not claimed:
            return ran
        for task in claimed:
            try:
                result = queue.resolve(task.handler)(**task.args)
            except Exception as exc:
                queue.fail(task.id, 'test:1', exc)
            else:
                queue.complete(task.id, 'test:1', result)
            ran += 1
    return ran


def _call_here(name, args=None, *, role, host, timeout=None):
    """tasks.call answered by this process's agent (no engine runs here)."""
    assert (role, host) == ('volume', CONF.host), (role, host)
    return queue.resolve(name)(**(args or {}))


@pytest.fixture
def backend(conf, monkeypatch):
    """A fake backend 'fake1' (and 'fake2') served by this process's agent."""
    from cloudstack.volume import agent, manager
    from cloudstack.volume.drivers import fake as fake_driver
    from cloudstack.volume.targets import fake as fake_target
    CONF.set_override('enabled_backends', {'fake1': 'fake', 'fake2': 'fake'},
                      group='volume')
    CONF.set_override('target_driver', 'fake', group='volume')
    fake_driver.STORE.clear()
    fake_target.EXPORTS.clear()
    agent.reset()
    manager._manager = None
    monkeypatch.setattr(tasks, 'call', _call_here)
    yield
    agent.reset()
    manager._manager = None
    CONF.clear_override('enabled_backends', group='volume')
    CONF.clear_override('target_driver', group='volume')


@pytest.fixture
def cloud(admin, backend):
    """Users alice (member) and carol (reader) of p1, bob of p2, boss the admin;
    the agent has reported its pools."""
    from cloudstack.volume import agent
    for role, binary in ((None, 'cloudstack-engine'), ('volume', 'cloudstack-volume')):
        agents.register(CONF.host, role, binary)
        agents.beat(CONF.host, {role: None})
    agent.get().report()
    p1, p2 = _project(admin, 'p1'), _project(admin, 'p2')
    users = {'alice': _user(admin, 'alice', p1, 'p1'),
             'carol': _user(admin, 'carol', p1, 'p1', role='reader'),
             'bob': _user(admin, 'bob', p2, 'p2')}
    admin.project_id = admin.get(V3 + '/projects?name=admin').json['projects'][0]['id']
    users['boss'] = admin
    return users
