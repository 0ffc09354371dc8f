"""Agents on several hosts: addressed tasks and calls reach the right one.

Two compute agents with different host names run on this machine, with a
host-less engine beside them, sharing one database: calls through the
database (the embedded transport; PostgreSQL when the run has one), or over
RabbitMQ with PostgreSQL, as several hosts would run.
"""
import signal

import pytest
import sqlalchemy as sa

from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.tasks import agents, queue
from tests.functional.conftest import DB_URL

HANDLERS = '''
    import os

    from cloudstack import exception
    from cloudstack import tasks
    from cloudstack.conf import CONF

    @tasks.handler('hosttasks.whoami')
    def whoami(tag=None):
        return {'host': CONF.host, 'pid': os.getpid(), 'tag': tag}

    @tasks.handler('hosttasks.missing')
    def missing():
        raise exception.NotFound('nothing like that on ' + CONF.host)
'''


@pytest.fixture(params=['embedded', 'rabbitmq', 'rabbitmq-sqlite'])
def transport(request, cloud):
    """The transport_url: none (calls through the database), or RabbitMQ's,
    with PostgreSQL (several hosts; wake-ups are NOTIFYs), or with SQLite on
    this one machine (then wake-ups go over the bus too)."""
    if request.param == 'embedded':
        return None
    if request.param == 'rabbitmq' and not DB_URL:
        pytest.skip('several hosts share PostgreSQL: run as root (tools/run-tests.sh '
                    'starts it) or set CLOUDSTACK_FUNCTIONAL_PG_URL')
    if request.param == 'rabbitmq-sqlite':
        cloud.options.pop('database', None)
    return request.getfixturevalue('rabbitmq')


@pytest.fixture
def hosts(cloud, transport):
    """Agents 'alpha' and 'beta' of the compute role and a host-less engine."""
    cloud.options['DEFAULT'].update(report_interval=1, agent_down_time=3)
    cloud.options['engine']['task_poll_interval'] = 60     # only wake-ups make it quick
    if transport:
        cloud.options['DEFAULT']['transport_url'] = transport
        CONF.set_override('transport_url', transport)
    cloud.plugin('hosttasks', HANDLERS)
    cloud.run('cloudstack-manage', 'db', 'sync')
    procs = {name: cloud.start('cloudstack-compute', '--host', name)
             for name in ('alpha', 'beta')}
    procs['engine'] = cloud.start('cloudstack-engine', '--host', 'gamma')
    cloud.use_database()
    CONF.set_override('agent_down_time', 3)
    cloud.wait_for(lambda: len(agents.live('compute')) == 2 and agents.live(None),
                   timeout=120)
    yield procs
    if transport:
        from cloudstack.tasks import messaging
        messaging.reset()
    CONF.clear_override('agent_down_time')
    CONF.clear_override('transport_url')


def _call_tasks():
    with db_api.reader() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(queue.Task).where(
            queue.Task.reply_to.is_not(None)))


def test_calls_and_tasks_reach_the_agent_they_name(cloud, hosts, transport):
    for name in ('alpha', 'beta', 'alpha'):
        answer = tasks.call('hosttasks.whoami', {'tag': name}, role='compute', host=name,
                            timeout=20)
        assert (answer['host'], answer['pid']) == (name, hosts[name].pid)
    with pytest.raises(tasks.NoAgent):
        tasks.call('hosttasks.whoami', role='compute', host='delta', timeout=5)
    with pytest.raises(Exception, match='nothing like that on beta') as caught:
        tasks.call('hosttasks.missing', role='compute', host='beta', timeout=20)
    assert caught.value.code == 404
    assert _call_tasks() == 0       # answered calls leave nothing behind

    ids = {(role, host): queue.enqueue(None, 'hosttasks.whoami', role=role, host=host)
           for role, host in [('compute', 'alpha'), ('compute', 'beta'), (None, None)]}
    done = cloud.wait_for(lambda: all(queue.get(i).state == 'done' for i in ids.values())
                          and {k: queue.get(i).result for k, i in ids.items()}, timeout=120)
    assert done['compute', 'alpha']['pid'] == hosts['alpha'].pid
    assert done['compute', 'beta']['pid'] == hosts['beta'].pid
    assert done[None, None]['pid'] == hosts['engine'].pid     # the agents take only theirs

    titles = cloud.titles([p.pid for p in hosts.values()])
    assert titles[hosts['alpha'].pid] == \
        'cloudstack-compute: compute agent (host alpha: compute)'
    assert titles[hosts['engine'].pid] == \
        'cloudstack-engine: engine (host gamma: host-less work)'

    rows = {(a['host'], a['role']): a for a in agents.list_agents()}
    assert set(rows) == {('alpha', 'compute'), ('beta', 'compute'), ('gamma', 'engine')}
    assert rows['alpha', 'compute']['binary'] == 'cloudstack-compute'
    if transport:
        assert 'call hosttasks.whoami' in cloud.log('cloudstack-compute')   # over the bus

    hosts['beta'].send_signal(signal.SIGTERM)
    assert hosts['beta'].wait(timeout=30) == 0
    cloud.wait_for(lambda: not agents.find('beta', 'compute')['up'], timeout=10)
    with pytest.raises(tasks.NoAgent):
        tasks.call('hosttasks.whoami', role='compute', host='beta', timeout=5)
    queued = queue.enqueue(None, 'hosttasks.whoami', role='compute', host='beta')
    assert tasks.call('hosttasks.whoami', role='compute', host='alpha', timeout=20)
    assert queue.get(queued).state == 'queued'      # waits for beta, alpha leaves it
