"""Compute on two hosts over RabbitMQ, as an operator runs it: cloudstack-all
on host 'alpha' and a second agent, cloudstack-compute on host 'beta', share
the database and talk over a RabbitMQ of the test's own. The unmodified
`openstack` CLI schedules servers onto both, migrates them cold and live,
and evacuates one from a host whose agent was killed. The fake driver's
serial console follows a server that moved."""
import signal

import pytest

from tests.functional.conftest import ADMIN_PASSWORD
from tests.functional.test_compute import _cli, _connect, _openstack, _prepare

pytestmark = pytest.mark.filterwarnings('ignore::DeprecationWarning')


@pytest.fixture
def two_hosts(cloud, rabbitmq):
    cloud.options['DEFAULT'].update(host='alpha', transport_url=rabbitmq,
                                    report_interval=1, agent_down_time=5)
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/healthcheck', timeout=120)
    cloud.ready('/compute/v2.1', timeout=60)
    beta = cloud.start('cloudstack-compute', '--host', 'beta')
    conn = _connect(cloud)
    cloud.wait_for(lambda: _compute_states(conn) == {'alpha': 'up', 'beta': 'up'},
                   timeout=120, interval=0.5)
    return conn, beta


def _compute_states(conn):
    return {s.host: s.state for s in conn.compute.services(binary='nova-compute')}


def _server(conn, name):
    return conn.compute.find_server(name, ignore_missing=False)


def _serial_console_answers(cloud, name):
    import websocket
    url = _cli(cloud, 'console', 'url', 'show', '--serial', name)['url']
    ws = websocket.create_connection(url, subprotocols=['binary'], timeout=30)
    try:
        ws.send('root\r')
        seen = b''
        while b'login: ' not in seen:
            seen += ws.recv()
        return seen
    finally:
        ws.close()


def test_schedule_migrate_and_evacuate_across_two_hosts(cloud, two_hosts, tmp_path):
    conn, beta = two_hosts
    image = _prepare(conn, tmp_path)
    group = _cli(cloud, 'server', 'group', 'create', '--policy', 'anti-affinity', 'apart')
    for name in ('vm-a', 'vm-b'):
        _cli(cloud, 'server', 'create', '--image', image.id, '--flavor', 'small',
             '--no-network', '--hint', 'group=%s' % group['id'], '--wait', name)
    hosts = {name: _server(conn, name).compute_host for name in ('vm-a', 'vm-b')}
    assert set(hosts.values()) == {'alpha', 'beta'}, hosts
    on_alpha = next(n for n, h in hosts.items() if h == 'alpha')
    on_beta = next(n for n, h in hosts.items() if h == 'beta')
    hypervisors = _cli(cloud, 'hypervisor', 'list')
    assert sorted(h['Hypervisor Hostname'] for h in hypervisors) == ['alpha', 'beta']

    # Cold: the server on beta moves to alpha, and stays there once confirmed.
    # (Anti-affinity would refuse it: the group's other member is on alpha.)
    _cli(cloud, 'server', 'create', '--image', image.id, '--flavor', 'small',
         '--no-network', '--availability-zone', 'nova:beta', '--wait', 'vm-cold')
    assert _server(conn, 'vm-cold').compute_host == 'beta'
    _openstack(cloud, 'server', 'migrate', '--wait', 'vm-cold')
    assert _server(conn, 'vm-cold').status == 'VERIFY_RESIZE'
    _openstack(cloud, 'server', 'migration', 'confirm', 'vm-cold')
    cloud.wait_for(lambda: _server(conn, 'vm-cold').status == 'ACTIVE', timeout=60,
                   interval=0.5)
    assert _server(conn, 'vm-cold').compute_host == 'alpha'

    # Live: back to beta, with its serial console served by beta's agent now.
    assert b'login: ' in _serial_console_answers(cloud, 'vm-cold')
    _openstack(cloud, 'server', 'migrate', '--live-migration', '--host', 'beta', '--wait',
         '--os-compute-api-version', '2.56', 'vm-cold')
    assert _server(conn, 'vm-cold').compute_host == 'beta'
    assert _server(conn, 'vm-cold').status == 'ACTIVE'
    assert _serial_console_answers(cloud, 'vm-cold') == b'root\r\nvm-cold login: '
    migrations = _cli(cloud, 'server', 'migration', 'list', '--server', 'vm-cold')
    assert sorted((m['Type'], m['Source Compute'], m['Dest Compute'], m['Status'])
                  for m in migrations) == [('live-migration', 'alpha', 'beta', 'completed'),
                                           ('migration', 'beta', 'alpha', 'confirmed')]

    # Beta's agent dies: its service goes down, and its servers are evacuated
    # (rebuilt on alpha from their image).
    beta.send_signal(signal.SIGKILL)
    beta.wait(timeout=30)
    cloud.wait_for(lambda: _compute_states(conn)['beta'] == 'down', timeout=60, interval=0.5)
    # (Not `evacuate --wait`: the CLI compares 'active' with 'ACTIVE' there, and waits forever.)
    for name in (on_beta, 'vm-cold'):
        _cli(cloud, 'server', 'evacuate', name)
    for name in (on_beta, 'vm-cold'):
        cloud.wait_for(lambda: _server(conn, name).status != 'REBUILD', timeout=60,
                       interval=0.5)
        shown = _server(conn, name)
        assert (shown.status, shown.compute_host) == ('ACTIVE', 'alpha'), shown
    evacuations = _cli(cloud, 'server', 'migration', 'list', '--type', 'evacuation')
    assert sorted((m['Source Compute'], m['Dest Compute']) for m in evacuations) == \
        [('beta', 'alpha')] * 2, evacuations
    assert _server(conn, on_alpha).compute_host == 'alpha'

    for name in ('vm-a', 'vm-b', 'vm-cold'):
        _openstack(cloud, 'server', 'delete', '--wait', name)
    assert _cli(cloud, 'server', 'list') == []
