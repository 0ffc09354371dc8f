"""Compute on Networking's manager: servers' ports (networks auto, none, port,
uuid, fixed_ip, security groups), vif-plugged events, clean-up, interfaces,
and Nova's security group and floating IP proxies."""
import pytest

from cloudstack import context
from cloudstack.conf import CONF
from cloudstack.network import manager as network_manager
from cloudstack.tasks import agents
from tests.unit.compute.conftest import API, run_tasks

OLD = {'OpenStack-API-Version': 'compute 2.35'}


def _network_agent(driver='noop'):
    agents.register(CONF.host, 'network', 'cloudstack-network-agent')
    agents.beat(CONF.host, {'network': {'driver': driver, 'local_ip': '192.0.2.1'}})
    network_manager.get()._drivers.clear()


@pytest.fixture
def net(member):
    """The member's network and /24 subnet, with a noop network agent on this host."""
    _network_agent()
    mgr = network_manager.get()
    ctx = context.RequestContext(user_id='u', project_id=member.project_id,
                                 roles=['member', 'reader'])
    network = mgr.create_network(ctx, {'name': 'private'})
    subnet = mgr.create_subnet(ctx, {'network_id': network['id'], 'ip_version': 4,
                                     'cidr': '10.1.0.0/24'})
    yield {'mgr': mgr, 'ctx': ctx, 'network': network, 'subnet': subnet}
    network_manager._manager = None


def _ports(net, server_id):
    return net['mgr'].list_ports(context.RequestContext.admin(), device_id=server_id)


def test_boot_on_a_network_makes_a_bound_port_and_delete_removes_it(member, net):
    server_id = member.boot(networks=[{'uuid': net['network']['id']}])
    server = member.server(server_id)
    assert server['status'] == 'ACTIVE'
    [port] = _ports(net, server_id)
    assert port['binding:host_id'] == CONF.host
    assert port['device_owner'].startswith('compute:')
    assert port['status'] == 'ACTIVE'
    [address] = server['addresses']['private']
    assert address['addr'] == port['fixed_ips'][0]['ip_address']
    assert address['OS-EXT-IPS-MAC:mac_addr'] == port['mac_address']
    assert server['security_groups'] == [{'name': 'default'}]
    iface = member.get(API + '/servers/%s/os-interface' % server_id).json
    assert iface['interfaceAttachments'][0]['port_id'] == port['id']
    assert member.delete(API + '/servers/' + server_id).status_int == 204
    run_tasks()
    assert _ports(net, server_id) == []


def test_auto_picks_the_only_network_and_none_makes_no_port(member, net):
    auto = member.boot()
    assert len(_ports(net, auto)) == 1
    member.version = '2.37'
    none = member.boot(networks='none')
    assert _ports(net, none) == []
    assert member.server(none)['addresses'] == {}


def test_a_users_port_is_bound_and_given_back_on_delete(member, net):
    port = net['mgr'].create_port(net['ctx'], {'network_id': net['network']['id']})
    server_id = member.boot(networks=[{'port': port['id']}])
    bound = net['mgr'].get_port(net['ctx'], port['id'])
    assert (bound['device_id'], bound['binding:host_id']) == (server_id, CONF.host)
    # a port in use cannot be given to another server
    resp = member.post(API + '/servers', {'server': {
        'name': 'x', 'imageRef': member.image_id, 'flavorRef': '1',
        'networks': [{'port': port['id']}]}})
    assert resp.status_int == 409, resp.text
    member.delete(API + '/servers/' + server_id)
    run_tasks()
    kept = net['mgr'].get_port(net['ctx'], port['id'])
    assert (kept['device_id'], kept['binding:host_id']) == ('', '')


def test_fixed_ip_and_security_groups_at_create(member, net):
    group = net['mgr'].create_security_group(net['ctx'], {'name': 'web'})
    server_id = member.boot(networks=[{'uuid': net['network']['id'],
                                       'fixed_ip': '10.1.0.50'}],
                            security_groups=[{'name': 'web'}])
    [port] = _ports(net, server_id)
    assert port['fixed_ips'][0]['ip_address'] == '10.1.0.50'
    assert port['security_groups'] == [group['id']]
    assert member.server(server_id)['security_groups'] == [{'name': 'web'}]


def test_unknown_network_port_or_security_group_is_400(member, other, net):
    net['mgr'].create_security_group(context.RequestContext(
        user_id='u', project_id=other.project_id, roles=['member']), {'name': 'theirs'})
    for extra in ({'networks': [{'uuid': '9b2bd7c8-f1c5-4a09-a1a8-5c29d8b6c3f0'}]},
                  {'networks': [{'port': '9b2bd7c8-f1c5-4a09-a1a8-5c29d8b6c3f0'}]},
                  {'security_groups': [{'name': 'nope'}]},
                  {'security_groups': [{'name': 'theirs'}]}):
        resp = member.post(API + '/servers', {'server': dict(
            extra, name='x', imageRef=member.image_id, flavorRef='1')})
        assert resp.status_int == 400, resp.text
    assert member.get(API + '/servers').json['servers'] == []


def test_a_failed_boot_leaves_no_port(member, net, monkeypatch):
    from cloudstack.compute.virt import fake

    def broken(self, *args, **kwargs):
        raise RuntimeError('the hypervisor said no')
    monkeypatch.setattr(fake.FakeDriver, 'spawn', broken)
    server_id = member.boot(networks=[{'uuid': net['network']['id']}])
    assert member.server(server_id)['status'] == 'ERROR'
    assert _ports(net, server_id) == []


def test_server_waits_for_network_vif_plugged(member, net):
    _network_agent(driver='linuxbridge')
    server_id = member.boot(networks=[{'uuid': net['network']['id']}])
    server = member.server(server_id)
    assert (server['status'], server['OS-EXT-STS:task_state']) == ('BUILD', 'spawning')
    [port] = _ports(net, server_id)
    assert port['status'] == 'DOWN'
    # the host's network agent wires the tap: Networking tells Compute
    net['mgr'].update_port_status(context.RequestContext.admin(), CONF.host,
                                  [port['id']], [])
    run_tasks()
    assert member.server(server_id)['status'] == 'ACTIVE'


def test_vif_plugging_timeout_is_fatal(member, net, override):
    _network_agent(driver='linuxbridge')
    override('vif_plugging_timeout', 0, group='compute')
    server_id = member.boot(networks=[{'uuid': net['network']['id']}])
    server = member.server(server_id)
    assert server['status'] == 'ERROR'
    assert 'Virtual Interface creation failed' in server['fault']['message']


def test_interface_attach_and_detach(member, net):
    server_id = member.boot(networks=[{'uuid': net['network']['id']}])
    resp = member.post(API + '/servers/%s/os-interface' % server_id,
                       {'interfaceAttachment': {'net_id': net['network']['id']}})
    assert resp.status_int == 200, resp.text
    port_id = resp.json['interfaceAttachment']['port_id']
    assert len(_ports(net, server_id)) == 2
    assert len(member.server(server_id)['addresses']['private']) == 2
    resp = member.delete(API + '/servers/%s/os-interface/%s' % (server_id, port_id))
    assert resp.status_int == 202, resp.text
    run_tasks()
    assert [p['id'] for p in _ports(net, server_id)] != [port_id]
    assert len(_ports(net, server_id)) == 1


def test_security_group_proxy(member, other, net):
    resp = member.post(API + '/os-security-groups', {'security_group': {
        'name': 'web', 'description': 'http'}}, headers=OLD)
    assert resp.status_int == 200, resp.text
    group = resp.json['security_group']
    assert (group['name'], group['description'], group['rules']) == ('web', 'http', [])
    resp = member.post(API + '/os-security-group-rules', {'security_group_rule': {
        'parent_group_id': group['id'], 'ip_protocol': 'tcp', 'from_port': 80,
        'to_port': 80, 'cidr': '10.2.3.4/8'}}, headers=OLD)
    assert resp.status_int == 200, resp.text
    rule = resp.json['security_group_rule']
    assert (rule['ip_protocol'], rule['from_port'], rule['to_port'], rule['ip_range'],
            rule['group']) == ('tcp', 80, 80, {'cidr': '10.2.3.4/8'}, {})
    # the same rule again, a bad port range, a bad protocol: 400
    for body in (dict(rule, cidr='10.0.0.0/8'), dict(rule, from_port=90, to_port=80),
                 dict(rule, ip_protocol='bogus')):
        body = {k: body[k] for k in ('ip_protocol', 'from_port', 'to_port')}
        body.update(parent_group_id=group['id'], cidr='10.0.0.0/8')
        resp = member.post(API + '/os-security-group-rules',
                           {'security_group_rule': body}, headers=OLD)
        assert resp.status_int == 400, resp.text
    shown = member.get(API + '/os-security-groups/' + group['id'], headers=OLD).json
    assert shown['security_group']['rules'] == [rule]
    listed = member.get(API + '/os-security-groups', headers=OLD).json['security_groups']
    assert sorted(g['name'] for g in listed) == ['default', 'web']
    assert other.get(API + '/os-security-groups/' + group['id'],
                     headers=OLD).status_int == 404
    # on a server's ports, in use, and off again
    server_id = member.boot(networks=[{'uuid': net['network']['id']}])
    member.action(server_id, {'addSecurityGroup': {'name': 'web'}})
    names = {g['name'] for g in member.get(
        API + '/servers/%s/os-security-groups' % server_id).json['security_groups']}
    assert names == {'default', 'web'}
    assert member.delete(API + '/os-security-groups/' + group['id'],
                         headers=OLD).status_int == 400
    member.action(server_id, {'removeSecurityGroup': {'name': 'web'}})
    member.action(server_id, {'removeSecurityGroup': {'name': 'web'}}, status=404)
    resp = member.delete(API + '/os-security-group-rules/' + rule['id'], headers=OLD)
    assert resp.status_int == 202
    assert member.delete(API + '/os-security-groups/' + group['id'],
                         headers=OLD).status_int == 202
    # gone after 2.35
    resp = member.get(API + '/os-security-groups',
                      headers={'OpenStack-API-Version': 'compute 2.36'})
    assert resp.status_int == 404


def _public(net):
    """An external network `public` routed to the member's subnet."""
    mgr, ctx = net['mgr'], net['ctx']
    admin_ctx = context.RequestContext.admin()
    public = mgr.create_network(admin_ctx, {'name': 'public', 'router:external': True})
    mgr.create_subnet(admin_ctx, {'network_id': public['id'], 'ip_version': 4,
                                  'cidr': '172.24.4.0/24', 'enable_dhcp': False})
    router = mgr.create_router(ctx, {'name': 'r', 'external_gateway_info': {
        'network_id': public['id']}})
    mgr.add_router_interface(ctx, router['id'], {'subnet_id': net['subnet']['id']})
    return public


def test_floating_ip_proxy(member, net):
    _public(net)
    pools = member.get(API + '/os-floating-ip-pools', headers=OLD).json
    assert pools == {'floating_ip_pools': [{'name': 'public'}]}
    resp = member.post(API + '/os-floating-ips', {'pool': 'public'}, headers=OLD)
    assert resp.status_int == 200, resp.text
    fip = resp.json['floating_ip']
    assert (fip['pool'], fip['instance_id'], fip['fixed_ip']) == ('public', None, None)
    assert member.post(API + '/os-floating-ips', {'pool': 'nope'},
                       headers=OLD).status_int == 404
    server_id = member.boot(networks=[{'uuid': net['network']['id']}])
    resp = member.post('%s/servers/%s/action' % (API, server_id),
                       {'addFloatingIp': {'address': fip['ip']}}, headers=OLD)
    assert resp.status_int == 202, resp.text
    shown = member.get(API + '/os-floating-ips/' + fip['id'], headers=OLD).json
    assert shown['floating_ip']['instance_id'] == server_id
    addresses = member.server(server_id)['addresses']['private']
    assert [a['addr'] for a in addresses if a['OS-EXT-IPS:type'] == 'floating'] == \
        [fip['ip']]
    assert member.post('%s/servers/%s/action' % (API, server_id),
                       {'addFloatingIp': {'address': '0.0.0.0'}},
                       headers=OLD).status_int == 404
    resp = member.post('%s/servers/%s/action' % (API, server_id),
                       {'removeFloatingIp': {'address': fip['ip']}}, headers=OLD)
    assert resp.status_int == 202, resp.text
    assert member.post('%s/servers/%s/action' % (API, server_id),
                       {'removeFloatingIp': {'address': fip['ip']}},
                       headers=OLD).status_int == 409
    addresses = member.server(server_id)['addresses']['private']
    assert [a['OS-EXT-IPS:type'] for a in addresses] == ['fixed']
    assert member.delete(API + '/os-floating-ips/' + fip['id'],
                         headers=OLD).status_int == 202
    assert member.get(API + '/os-floating-ips', headers=OLD).json == {'floating_ips': []}


def test_os_networks_from_networking(member, net):
    found = member.get(API + '/os-tenant-networks').json['networks']
    assert [(n['id'], n['label']) for n in found] == [(net['network']['id'], 'private')]


def test_a_floating_ip_associated_in_networking_reaches_metadata_and_addresses(member, net):
    from cloudstack.compute import manager as compute_manager
    public = _public(net)
    server_id = member.boot(networks=[{'uuid': net['network']['id']}])
    [port] = _ports(net, server_id)
    fip = net['mgr'].create_floatingip(net['ctx'], {'floating_network_id': public['id']})

    def floating():
        _inst, network_info, _extra = compute_manager.get().get_instance_metadata(
            context.RequestContext.admin(), server_id)
        return [f for vif in network_info for subnet in vif['network']['subnets']
                for ip in subnet['ips'] for f in ip['floating_ips']]

    def shown():
        return [a['addr'] for a in member.server(server_id)['addresses']['private']
                if a['OS-EXT-IPS:type'] == 'floating']
    assert floating() == [] and shown() == []
    net['mgr'].update_floatingip(net['ctx'], fip['id'], {'port_id': port['id']})
    # the metadata service asks Networking at once; the server's addresses
    # follow Networking's network-changed event
    assert floating() == [fip['floating_ip_address']]
    run_tasks()
    assert shown() == [fip['floating_ip_address']]
    net['mgr'].update_floatingip(net['ctx'], fip['id'], {'port_id': None})
    assert floating() == []
    run_tasks()
    assert shown() == []
