"""The host side of Networking: host_state, sync requests, port status and
Compute's events."""
import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.network import models
from cloudstack.network.drivers import noop
from cloudstack.tasks import agents
from cloudstack.tasks.models import Task


def _sync_tasks():
    with db_api.reader() as s:
        return [t.args for t in s.scalars(sa.select(Task).where(
            Task.handler == 'network.sync_host'))]


def _live_agent(mgr, host, driver=None):
    """A network agent on `host` that has just reported."""
    agents.register(host, 'network', 'cloudstack-network-agent')
    agents.beat(host, {'network': {'driver': driver} if driver else {}})
    mgr._drivers.pop(host, None)


def test_a_bound_port_is_in_its_host_state(mgr, alice, admin_ctx, net):
    network, subnet = net
    _live_agent(mgr, 'host-1')
    port = mgr.create_port(admin_ctx, {'network_id': network['id'],
                                       'tenant_id': alice.project_id,
                                       'device_id': 'server-1',
                                       'device_owner': 'compute:nova',
                                       'binding:host_id': 'host-1'})
    assert port['binding:vif_type'] == 'bridge'
    assert port['binding:vif_details']['bridge_name'] == 'brq' + network['id'][:11]
    assert port['status'] == 'DOWN'
    state = mgr.host_state(admin_ctx, 'host-1')
    assert [p['id'] for p in state['ports'] if p['binding:host_id'] == 'host-1'] == [
        port['id']]
    assert [n['id'] for n in state['networks']] == [network['id']]
    assert state['networks'][0]['provider:network_type'] == 'vxlan'
    assert [s['id'] for s in state['subnets']] == [subnet['id']]
    groups = state['security_groups']
    assert list(groups) == port['security_groups']
    group = groups[port['security_groups'][0]]
    assert group['member_ips']['IPv4'] == [port['fixed_ips'][0]['ip_address']]
    assert {'host': 'host-1'} in _sync_tasks()
    assert mgr.host_state(admin_ctx, 'host-2')['ports'] == []


def test_one_sync_waits_per_host(mgr, alice, admin_ctx, net):
    network, _subnet = net
    for _ in range(3):
        mgr.create_port(admin_ctx, {'network_id': network['id'],
                                    'binding:host_id': 'host-1'})
    assert _sync_tasks().count({'host': 'host-1'}) == 1
    mgr.start_sync('host-1')
    mgr.create_port(admin_ctx, {'network_id': network['id'], 'binding:host_id': 'host-1'})
    assert _sync_tasks().count({'host': 'host-1'}) == 2


def test_noop_driver_makes_bound_ports_active_and_tells_compute(mgr, admin_ctx, net,
                                                                monkeypatch):
    network, _subnet = net
    _live_agent(mgr, 'host-1')
    sent = []
    monkeypatch.setattr(type(mgr), 'notify_compute', staticmethod(sent.extend))
    port = mgr.create_port(admin_ctx, {'network_id': network['id'],
                                       'device_id': 'server-1',
                                       'device_owner': 'compute:nova',
                                       'binding:host_id': 'host-1'})
    driver = noop.NoopDriver('host-1')
    result = driver.sync(mgr.host_state(admin_ctx, 'host-1'))
    assert port['id'] in result['up']
    mgr.update_port_status(admin_ctx, 'host-1', result['up'], result['down'])
    assert mgr.get_port(admin_ctx, port['id'])['status'] == 'ACTIVE'
    assert {'name': 'network-vif-plugged', 'server_uuid': 'server-1',
            'tag': port['id'], 'status': 'completed'} in sent
    # A report from another host changes nothing.
    mgr.update_port_status(admin_ctx, 'host-2', [], [port['id']])
    assert mgr.get_port(admin_ctx, port['id'])['status'] == 'ACTIVE'
    mgr.update_port_status(admin_ctx, 'host-1', [], [port['id']])
    assert mgr.get_port(admin_ctx, port['id'])['status'] == 'DOWN'
    assert sent[-1]['name'] == 'network-vif-unplugged'


def test_dhcp_runs_on_an_agent_host_with_its_port_bound_there(mgr, admin_ctx, net):
    network, subnet = net
    with db_api.reader() as s:
        hosts = list(s.scalars(sa.select(models.NetworkDHCPHost.host).where(
            models.NetworkDHCPHost.network_id == network['id'])))
    assert len(hosts) == 1
    state = mgr.host_state(admin_ctx, hosts[0])
    assert state['dhcp_networks'] == [network['id']]
    dhcp = [p for p in state['ports'] if p['device_owner'] == 'network:dhcp']
    assert len(dhcp) == 1 and dhcp[0]['binding:host_id'] == hosts[0]
    assert dhcp[0]['fixed_ips'][0]['subnet_id'] == subnet['id']


def test_sync_requests_go_with_the_transaction(mgr):
    """Kept when a savepoint inside rolls back (an IPAM collision), dropped
    when the transaction does."""
    from sqlalchemy import exc as sa_exc
    with db_api.writer() as s:
        mgr.request_sync(s, ['host-1'])
        try:
            with s.begin_nested():
                s.add_all([models.Tag(resource_id='r', tag='t', resource_type='network'),
                           models.Tag(resource_id='r', tag='t', resource_type='network')])
                s.flush()
        except sa_exc.IntegrityError:
            pass
    assert _sync_tasks() == [{'host': 'host-1'}]
    mgr.start_sync('host-1')
    try:
        with db_api.writer() as s:
            mgr.request_sync(s, ['host-1', 'host-2'])
            raise RuntimeError('abort')
    except RuntimeError:
        pass
    with db_api.writer() as s:
        pass
    assert _sync_tasks() == [{'host': 'host-1'}]


def test_on_a_noop_host_a_bound_port_is_active_at_once(mgr, admin_ctx, net, monkeypatch):
    _live_agent(mgr, 'noop-host', 'noop')
    _live_agent(mgr, 'host-1')
    sent = []
    monkeypatch.setattr(type(mgr), 'notify_compute', staticmethod(sent.extend))
    network, _subnet = net
    port = mgr.create_port(admin_ctx, {'network_id': network['id'], 'device_id': 'vm-1',
                                       'device_owner': 'compute:nova',
                                       'binding:host_id': 'noop-host'})
    assert port['status'] == 'ACTIVE'
    assert [e['name'] for e in sent] == ['network-vif-plugged']
    moved = mgr.update_port(admin_ctx, port['id'], {'binding:host_id': 'host-1'})
    assert moved['status'] == 'DOWN'


def test_the_sync_handler_runs_the_driver_and_reports(mgr, admin_ctx, net):
    from cloudstack.network import sync
    network, _subnet = net
    port = mgr.create_port(admin_ctx, {'network_id': network['id'],
                                       'binding:host_id': 'host-1'})
    sync._agents.pop('host-1', None)
    try:
        assert sync.sync_host('host-1') == {'up': 1, 'down': 0}
        assert sync._agents['host-1'].driver.state == {'host': 'host-1',
                                                       'ports': [{'id': port['id']}]}
    finally:
        sync._agents.pop('host-1', None)
    assert mgr.get_port(admin_ctx, port['id'])['status'] == 'ACTIVE'


def test_a_floating_ip_joining_or_leaving_a_server_port_tells_compute(
        mgr, alice, admin_ctx, net, monkeypatch):
    network, subnet = net
    public = mgr.create_network(admin_ctx, {'name': 'public', 'router:external': True})
    mgr.create_subnet(admin_ctx, {'network_id': public['id'], 'ip_version': 4,
                                  'cidr': '172.24.4.0/24', 'enable_dhcp': False})
    router = mgr.create_router(alice, {'name': 'r', 'external_gateway_info': {
        'network_id': public['id']}})
    mgr.add_router_interface(alice, router['id'], {'subnet_id': subnet['id']})
    server_ports = [mgr.create_port(alice, {'network_id': network['id'],
                                            'device_id': vm, 'device_owner': 'compute:nova'})
                    for vm in ('vm-1', 'vm-2')]
    plain = mgr.create_port(alice, {'network_id': network['id']})
    sent = []
    monkeypatch.setattr(type(mgr), 'notify_compute', staticmethod(sent.extend))

    def changed():
        out = [(e['name'], e['server_uuid'], e['tag']) for e in sent]
        sent.clear()
        return out
    one, two = server_ports
    fip = mgr.create_floatingip(alice, {'floating_network_id': public['id'],
                                        'port_id': one['id']})
    assert changed() == [('network-changed', 'vm-1', one['id'])]
    mgr.update_floatingip(alice, fip['id'], {'description': 'no move'})
    assert changed() == []
    mgr.update_floatingip(alice, fip['id'], {'port_id': two['id']})
    assert sorted(changed()) == [('network-changed', 'vm-1', one['id']),
                                 ('network-changed', 'vm-2', two['id'])]
    mgr.update_floatingip(alice, fip['id'], {'port_id': plain['id']})
    assert changed() == [('network-changed', 'vm-2', two['id'])]
    mgr.update_floatingip(alice, fip['id'], {'port_id': one['id']})
    changed()
    mgr.delete_floatingip(alice, fip['id'])
    assert changed() == [('network-changed', 'vm-1', one['id'])]


def test_a_port_bound_where_no_agent_lives_fails_its_binding_until_one_does(
        mgr, admin_ctx, net, monkeypatch):
    network, _subnet = net
    sent = []
    monkeypatch.setattr(type(mgr), 'notify_compute', staticmethod(sent.extend))
    port = mgr.create_port(admin_ctx, {'network_id': network['id'], 'device_id': 'vm-1',
                                       'device_owner': 'compute:nova',
                                       'binding:host_id': 'agentless'})
    assert (port['binding:vif_type'], port['binding:vif_details'], port['status']) == (
        'binding_failed', {}, 'DOWN')
    # Any update tries again (ML2 does); with no agent it fails again.
    port = mgr.update_port(admin_ctx, port['id'], {'name': 'again'})
    assert port['binding:vif_type'] == 'binding_failed'
    _live_agent(mgr, 'agentless')
    port = mgr.update_port(admin_ctx, port['id'], {'name': 'now'})
    assert port['binding:vif_type'] == 'bridge'
    assert port['binding:vif_details']['bridge_name'] == 'brq' + network['id'][:11]
    assert port['binding:host_id'] == 'agentless' and port['status'] == 'DOWN'
    assert sent == []


def test_a_dead_agent_binds_nothing(mgr, admin_ctx, net):
    network, _subnet = net
    _live_agent(mgr, 'dying')
    agents.update(agents.find('dying', 'network')['id'], forced_down=True)
    mgr._drivers.pop('dying', None)
    port = mgr.create_port(admin_ctx, {'network_id': network['id'],
                                       'binding:host_id': 'dying'})
    assert port['binding:vif_type'] == 'binding_failed'
    moved = mgr.update_port(admin_ctx, port['id'], {'binding:host_id': 'net-host-1'})
    assert moved['binding:vif_type'] == 'bridge'


def test_the_hosts_agent_syncing_binds_its_failed_ports(mgr, admin_ctx, net, monkeypatch):
    """The agent's first sync runs before its first heartbeat: it binds the
    ports that failed to bind to its host (a noop one makes them ACTIVE and
    tells Compute)."""
    network, _subnet = net
    sent = []
    monkeypatch.setattr(type(mgr), 'notify_compute', staticmethod(sent.extend))
    server = mgr.create_port(admin_ctx, {'network_id': network['id'], 'device_id': 'vm-1',
                                         'device_owner': 'compute:nova',
                                         'binding:host_id': 'late-host'})
    other = mgr.create_port(admin_ctx, {'network_id': network['id'],
                                        'binding:host_id': 'elsewhere'})
    assert server['binding:vif_type'] == 'binding_failed'
    mgr.start_sync('late-host', {'driver': 'noop'})
    bound = mgr.get_port(admin_ctx, server['id'])
    assert (bound['binding:vif_type'], bound['status']) == ('bridge', 'ACTIVE')
    assert bound['revision_number'] > server['revision_number']
    assert [(e['name'], e['tag']) for e in sent] == [('network-vif-plugged', server['id'])]
    assert mgr.get_port(admin_ctx, other['id'])['binding:vif_type'] == 'binding_failed'
