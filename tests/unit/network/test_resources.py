"""Networking's resources through the API: subnets, routers, floating IPs,
security groups, RBAC, quotas, tags, agents."""
import pytest

from tests.unit.network.conftest import AGENT_HOST
from tests.unit.network.helpers import project_client

N = '/networking/v2.0'


@pytest.fixture
def member(admin, mgr):
    return project_client(admin, 'net-alice', 'proj-alice')


@pytest.fixture
def other(admin, mgr):
    return project_client(admin, 'net-bob', 'proj-bob')


def _net(client, name='n', cidr='10.1.0.0/24', **subnet):
    net = client.post(N + '/networks', {'network': {'name': name}}).json['network']
    body = dict({'network_id': net['id'], 'ip_version': 4, 'cidr': cidr}, **subnet)
    resp = client.post(N + '/subnets', {'subnet': body})
    assert resp.status_int == 201, resp.text
    return net, resp.json['subnet']


@pytest.fixture
def public(admin, mgr):
    net = admin.post(N + '/networks', {'network': {
        'name': 'public', 'router:external': True, 'provider:network_type': 'flat',
        'provider:physical_network': 'public'}})
    assert net.status_int == 201, net.text
    net = net.json['network']
    resp = admin.post(N + '/subnets', {'subnet': {
        'network_id': net['id'], 'ip_version': 4, 'cidr': '172.24.4.0/24',
        'enable_dhcp': False}})
    assert resp.status_int == 201, resp.text
    return net


# -- subnets -----------------------------------------------------------------

def test_subnet_checks(member):
    net = member.post(N + '/networks', {'network': {}}).json['network']

    def create(**body):
        return member.post(N + '/subnets', {'subnet': dict(
            {'network_id': net['id'], 'ip_version': 4}, **body)})
    assert create(cidr='10.2.0.5/24').status_int == 400          # host bits set
    assert create(cidr='2001:db8::/64').status_int == 400        # wrong version
    assert create(cidr='10.2.0.0/24', allocation_pools=[
        {'start': '10.2.0.1', 'end': '10.2.0.9'}]).status_int == 409   # holds the gateway
    assert create(cidr='10.2.0.0/24', ipv6_address_mode='slaac').status_int == 400
    assert create(cidr='10.2.0.0/24').status_int == 201
    overlapping = create(cidr='10.2.0.128/25')
    assert overlapping.status_int == 400 and 'overlaps with another subnet' in overlapping.text
    v6 = member.post(N + '/subnets', {'subnet': {
        'network_id': net['id'], 'ip_version': 6, 'cidr': '2001:db8::/64',
        'ipv6_ra_mode': 'slaac', 'ipv6_address_mode': 'slaac'}}).json['subnet']
    assert v6['gateway_ip'] == '2001:db8::1'
    port = member.post(N + '/ports', {'port': {'network_id': net['id']}}).json['port']
    versions = sorted(':' in f['ip_address'] for f in port['fixed_ips'])
    assert versions == [False, True]        # one IPv4 address and its SLAAC one


def test_subnet_update_and_delete_in_use(member):
    net, subnet = _net(member)
    resp = member.put(N + '/subnets/' + subnet['id'], {'subnet': {
        'dns_nameservers': ['192.0.2.1'], 'host_routes': [
            {'destination': '10.9.0.0/16', 'nexthop': '10.1.0.254'}],
        'name': 'renamed'}})
    assert resp.status_int == 200
    assert resp.json['subnet']['dns_nameservers'] == ['192.0.2.1']
    assert member.put(N + '/subnets/' + subnet['id'], {'subnet': {
        'cidr': '10.5.0.0/24'}}).status_int == 400
    port = member.post(N + '/ports', {'port': {'network_id': net['id']}}).json['port']
    assert member.delete(N + '/subnets/' + subnet['id']).status_int == 409
    member.delete(N + '/ports/' + port['id'])
    assert member.delete(N + '/subnets/' + subnet['id']).status_int == 204


def test_subnet_from_a_subnet_pool(member):
    pool = member.post(N + '/subnetpools', {'subnetpool': {
        'name': 'p', 'prefixes': ['10.100.0.0/16'], 'default_prefixlen': 24}})
    assert pool.status_int == 201, pool.text
    pool = pool.json['subnetpool']
    net = member.post(N + '/networks', {'network': {}}).json['network']
    cidrs = [member.post(N + '/subnets', {'subnet': {
        'network_id': member.post(N + '/networks', {'network': {}}).json['network']['id'],
        'ip_version': 4, 'subnetpool_id': pool['id']}}).json['subnet']['cidr']
        for _ in range(2)]
    assert cidrs == ['10.100.0.0/24', '10.100.1.0/24']
    resp = member.post(N + '/subnets', {'subnet': {'network_id': net['id'], 'ip_version': 4,
                                                   'subnetpool_id': pool['id'],
                                                   'cidr': '10.100.0.0/25'}})
    assert resp.status_int == 409       # taken from the pool already
    assert member.delete(N + '/subnetpools/' + pool['id']).status_int == 409


# -- ports -------------------------------------------------------------------

def test_port_fixed_ips_pairs_and_options(member):
    net, subnet = _net(member)
    resp = member.post(N + '/ports', {'port': {
        'network_id': net['id'], 'fixed_ips': [{'subnet_id': subnet['id'],
                                                'ip_address': '10.1.0.20'}],
        'allowed_address_pairs': [{'ip_address': '10.1.0.0/28'}],
        'extra_dhcp_opts': [{'opt_name': 'mtu', 'opt_value': '1400'}]}})
    assert resp.status_int == 201, resp.text
    port = resp.json['port']
    assert port['fixed_ips'] == [{'subnet_id': subnet['id'], 'ip_address': '10.1.0.20'}]
    assert port['allowed_address_pairs'] == [{'ip_address': '10.1.0.0/28',
                                              'mac_address': port['mac_address']}]
    assert port['extra_dhcp_opts'] == [{'opt_name': 'mtu', 'opt_value': '1400',
                                        'ip_version': 4}]
    resp = member.put(N + '/ports/' + port['id'], {'port': {
        'fixed_ips': [{'subnet_id': subnet['id']}, {'ip_address': '10.1.0.30'}],
        'extra_dhcp_opts': [{'opt_name': 'mtu', 'opt_value': None}]}})
    assert resp.status_int == 200, resp.text
    assert sorted(f['ip_address'] for f in resp.json['port']['fixed_ips']) == [
        '10.1.0.20', '10.1.0.30']
    assert resp.json['port']['extra_dhcp_opts'] == []
    found = member.get(N + '/ports?fixed_ips=ip_address%3D10.1.0.30').json['ports']
    assert [p['id'] for p in found] == [port['id']]
    found = member.get(N + '/ports?fixed_ips=ip_address_substr%3D0.30').json['ports']
    assert [p['id'] for p in found] == [port['id']]
    # Port security off needs the groups gone first.
    assert member.put(N + '/ports/' + port['id'], {'port': {
        'port_security_enabled': False}}).status_int == 409
    resp = member.put(N + '/ports/' + port['id'], {'port': {
        'port_security_enabled': False, 'security_groups': [],
        'allowed_address_pairs': []}})
    assert resp.status_int == 200, resp.text


def test_binding_is_the_admins(admin, member):
    net, _subnet = _net(member)
    assert member.post(N + '/ports', {'port': {'network_id': net['id'],
                                               'binding:host_id': 'h'}}).status_int == 403
    port = admin.post(N + '/ports', {'port': {'network_id': net['id'],
                                              'binding:host_id': AGENT_HOST}}).json['port']
    assert port['binding:vif_type'] == 'bridge'
    assert port['binding:vif_details'] == {'bridge_name': 'brq' + net['id'][:11],
                                           'port_filter': True, 'connectivity': 'l2'}
    shown = member.get(N + '/ports/' + port['id']).json['port']
    assert 'binding:host_id' not in shown and 'binding:vif_type' not in shown


# -- routers and floating IPs --------------------------------------------------

def test_router_gateway_interfaces_routes_and_floating_ips(member, public):
    net, subnet = _net(member)
    router = member.post(N + '/routers', {'router': {
        'name': 'r', 'external_gateway_info': {'network_id': public['id']}}})
    assert router.status_int == 201, router.text
    router = router.json['router']
    gateway = router['external_gateway_info']
    assert gateway['enable_snat'] is True and len(gateway['external_fixed_ips']) == 1
    assert member.put(N + '/routers/%s/add_router_interface' % router['id'], {
        'subnet_id': subnet['id']}).status_int == 200
    again = member.put(N + '/routers/%s/add_router_interface' % router['id'],
                       {'subnet_id': subnet['id']})
    assert again.status_int == 400
    resp = member.put(N + '/routers/' + router['id'], {'router': {'routes': [
        {'destination': '10.50.0.0/16', 'nexthop': '10.1.0.5'}]}})
    assert resp.status_int == 200, resp.text
    assert member.put(N + '/routers/' + router['id'], {'router': {'routes': [
        {'destination': '10.50.0.0/16', 'nexthop': '10.77.0.5'}]}}).status_int == 400
    port = member.post(N + '/ports', {'port': {'network_id': net['id']}}).json['port']
    fip = member.post(N + '/floatingips', {'floatingip': {
        'floating_network_id': public['id'], 'port_id': port['id']}})
    assert fip.status_int == 201, fip.text
    fip = fip.json['floatingip']
    assert fip['router_id'] == router['id'] and fip['status'] == 'ACTIVE'
    assert fip['fixed_ip_address'] == port['fixed_ips'][0]['ip_address']
    assert fip['port_details']['network_id'] == net['id']
    # The interface the floating IP goes through, and the route's, are in use.
    resp = member.put(N + '/routers/%s/remove_router_interface' % router['id'],
                      {'subnet_id': subnet['id']})
    assert resp.status_int == 409
    assert member.delete(N + '/routers/' + router['id']).status_int == 409
    # Deleting the port lets the floating IP go.
    member.delete(N + '/ports/' + port['id'])
    fip = member.get(N + '/floatingips/' + fip['id']).json['floatingip']
    assert fip['port_id'] is None and fip['status'] == 'DOWN'
    member.delete(N + '/floatingips/' + fip['id'])
    member.put(N + '/routers/' + router['id'], {'router': {'routes': []}})
    resp = member.put(N + '/routers/%s/remove_router_interface' % router['id'],
                      {'subnet_id': subnet['id']})
    assert resp.status_int == 200, resp.text
    assert member.delete(N + '/routers/' + router['id']).status_int == 204


def test_floating_ip_needs_a_router_to_the_port(member, public):
    net, _subnet = _net(member)
    port = member.post(N + '/ports', {'port': {'network_id': net['id']}}).json['port']
    resp = member.post(N + '/floatingips', {'floatingip': {
        'floating_network_id': public['id'], 'port_id': port['id']}})
    assert resp.status_int == 404
    assert resp.json['NeutronError']['type'] == 'ExternalGatewayForFloatingIPNotFound'
    resp = member.post(N + '/floatingips', {'floatingip': {'floating_network_id': net['id']}})
    assert resp.status_int == 400


def test_port_forwardings(member, public):
    net, subnet = _net(member)
    router = member.post(N + '/routers', {'router': {
        'external_gateway_info': {'network_id': public['id']}}}).json['router']
    member.put(N + '/routers/%s/add_router_interface' % router['id'],
               {'subnet_id': subnet['id']})
    port = member.post(N + '/ports', {'port': {'network_id': net['id']}}).json['port']
    fip = member.post(N + '/floatingips', {'floatingip': {
        'floating_network_id': public['id']}}).json['floatingip']
    url = N + '/floatingips/%s/port_forwardings' % fip['id']
    body = {'port_forwarding': {'internal_port_id': port['id'], 'protocol': 'tcp',
                                'internal_ip_address': port['fixed_ips'][0]['ip_address'],
                                'internal_port': 22, 'external_port': 2222}}
    resp = member.post(url, body)
    assert resp.status_int == 201, resp.text
    pf = resp.json['port_forwarding']
    assert member.post(url, body).status_int == 409
    shown = member.get(N + '/floatingips/' + fip['id']).json['floatingip']
    assert shown['port_forwardings'] == [{'protocol': 'tcp', 'internal_port': 22,
                                          'external_port': 2222,
                                          'internal_ip_address':
                                          port['fixed_ips'][0]['ip_address']}]
    assert member.delete(url + '/' + pf['id']).status_int == 204
    assert member.get(url).json['port_forwardings'] == []


# -- security groups -------------------------------------------------------------

def test_default_group_and_rules(member, other):
    groups = member.get(N + '/security-groups').json['security_groups']
    assert [g['name'] for g in groups] == ['default']
    default = groups[0]
    assert len(default['security_group_rules']) == 4
    assert all(r['belongs_to_default_sg'] for r in default['security_group_rules'])
    assert member.post(N + '/security-groups', {'security_group': {
        'name': 'default'}}).status_int == 409
    assert member.delete(N + '/security-groups/' + default['id']).status_int == 409
    group = member.post(N + '/security-groups', {'security_group': {
        'name': 'web'}}).json['security_group']
    rule = {'security_group_id': group['id'], 'direction': 'ingress', 'protocol': 'tcp',
            'port_range_min': 80, 'port_range_max': 80, 'remote_ip_prefix': '10.0.0.1/24'}
    resp = member.post(N + '/security-group-rules', {'security_group_rule': rule})
    assert resp.status_int == 201, resp.text
    assert resp.json['security_group_rule']['normalized_cidr'] == '10.0.0.0/24'
    assert member.post(N + '/security-group-rules',
                       {'security_group_rule': rule}).status_int == 409
    bad = dict(rule, port_range_min=90)
    resp = member.post(N + '/security-group-rules', {'security_group_rule': bad})
    assert resp.status_int == 400 and 'port_range_min must be <= port_range_max' in resp.text
    assert other.post(N + '/security-group-rules', {'security_group_rule': dict(
        rule, port_range_min=81, port_range_max=81)}).status_int == 404
    net, _subnet = _net(member)
    member.post(N + '/ports', {'port': {'network_id': net['id'],
                                        'security_groups': [group['id']]}})
    assert member.delete(N + '/security-groups/' + group['id']).status_int == 409


# -- sharing -------------------------------------------------------------------

def test_rbac_shares_a_network_with_one_project(member, other):
    net, subnet = _net(member)
    assert other.get(N + '/networks/' + net['id']).status_int == 404
    resp = member.post(N + '/rbac-policies', {'rbac_policy': {
        'object_type': 'network', 'object_id': net['id'], 'action': 'access_as_shared',
        'target_tenant': other.project_id}})
    assert resp.status_int == 201, resp.text
    policy = resp.json['rbac_policy']
    shown = other.get(N + '/networks/' + net['id']).json['network']
    assert shown['shared'] is True
    assert member.get(N + '/networks/' + net['id']).json['network']['shared'] is False
    port = other.post(N + '/ports', {'port': {'network_id': net['id']}})
    assert port.status_int == 201, port.text
    assert member.delete(N + '/rbac-policies/' + policy['id']).status_int == 409
    other.delete(N + '/ports/' + port.json['port']['id'])
    assert member.delete(N + '/rbac-policies/' + policy['id']).status_int == 204
    assert other.get(N + '/networks/' + net['id']).status_int == 404
    # Only an admin shares with every project.
    assert member.post(N + '/rbac-policies', {'rbac_policy': {
        'object_type': 'network', 'object_id': net['id'], 'action': 'access_as_shared',
        'target_tenant': '*'}}).status_int == 403


def test_quotas(admin, member):
    project = member.project_id
    resp = admin.put(N + '/quotas/' + project, {'quota': {'network': 1}})
    assert resp.status_int == 200 and resp.json['quota']['network'] == 1
    assert member.post(N + '/networks', {'network': {}}).status_int == 201
    resp = member.post(N + '/networks', {'network': {}})
    assert resp.status_int == 409 and resp.json['NeutronError']['type'] == 'OverQuota'
    details = admin.get(N + '/quotas/%s/details' % project).json['quota']
    assert details['network'] == {'limit': 1, 'used': 1, 'reserved': 0}
    assert member.put(N + '/quotas/' + project, {'quota': {'network': 5}}).status_int == 403
    assert admin.delete(N + '/quotas/' + project).status_int == 204
    assert admin.get(N + '/quotas/' + project).json['quota']['network'] == 100


def test_tags(member):
    net, subnet = _net(member)
    url = N + '/networks/%s/tags' % net['id']
    assert member.put(url + '/red').status_int == 201
    assert member.put(url, {'tags': ['blue', 'green']}).json['tags'] == ['blue', 'green']
    assert member.get(url + '/blue').status_int == 204
    assert member.get(url + '/red').status_int == 404
    assert [n['id'] for n in member.get(N + '/networks?tags=blue,green').json[
        'networks']] == [net['id']]
    assert member.get(N + '/networks?not-tags=blue').json['networks'] == []
    assert member.delete(url + '/blue').status_int == 204
    assert member.get(N + '/networks/' + net['id']).json['network']['tags'] == ['green']
    assert member.put(N + '/subnets/%s/tags/x' % subnet['id']).status_int == 201


def test_agents_and_dhcp_scheduling(admin, member):
    net, _subnet = _net(member)
    agents = admin.get(N + '/agents').json['agents']
    assert {a['agent_type'] for a in agents} == {'Linux bridge agent', 'DHCP agent',
                                                 'L3 agent', 'Metadata agent'}
    assert all(a['host'] == AGENT_HOST and a['alive'] for a in agents)
    assert member.get(N + '/agents').json['agents'] == []
    dhcp = admin.get(N + '/networks/%s/dhcp-agents' % net['id']).json['agents']
    assert [a['agent_type'] for a in dhcp] == ['DHCP agent']
    hosted = admin.get(N + '/agents/%s/dhcp-networks' % dhcp[0]['id']).json['networks']
    assert net['id'] in [n['id'] for n in hosted]
    assert admin.delete(N + '/agents/%s/dhcp-networks/%s' % (
        dhcp[0]['id'], net['id'])).status_int == 204
    assert admin.get(N + '/networks/%s/dhcp-agents' % net['id']).json['agents'] == []
    assert admin.post(N + '/agents/%s/dhcp-networks' % dhcp[0]['id'],
                      {'network_id': net['id']}).status_int == 201
    ports = admin.get(N + '/ports?device_owner=network:dhcp&network_id=' + net['id'])
    assert len(ports.json['ports']) == 1
    resp = admin.put(N + '/agents/' + dhcp[0]['id'], {'agent': {'admin_state_up': False}})
    assert resp.status_int == 200 and resp.json['agent']['admin_state_up'] is False
    zones = admin.get(N + '/availability_zones').json['availability_zones']
    assert {(z['name'], z['resource']) for z in zones} == {('nova', 'network'),
                                                          ('nova', 'router')}


def test_a_floating_ip_is_down_while_its_router_is_on_no_l3_agent(admin, member, public):
    """Tempest's router rescheduling: unscheduled from its L3 agent, a router
    serves nothing (its floating IPs DOWN); scheduled again, they are ACTIVE."""
    net, subnet = _net(member)
    router = member.post(N + '/routers', {'router': {
        'name': 'r', 'external_gateway_info': {'network_id': public['id']}}}).json['router']
    member.put(N + '/routers/%s/add_router_interface' % router['id'],
               {'subnet_id': subnet['id']})
    port = member.post(N + '/ports', {'port': {'network_id': net['id']}}).json['port']
    fip = member.post(N + '/floatingips', {'floatingip': {
        'floating_network_id': public['id'], 'port_id': port['id']}}).json['floatingip']
    assert fip['status'] == 'ACTIVE'
    hosting = admin.get(N + '/routers/%s/l3-agents' % router['id']).json['agents']
    assert [a['agent_type'] for a in hosting] == ['L3 agent']
    agent = hosting[0]['id']

    def status():
        return member.get(N + '/floatingips/' + fip['id']).json['floatingip']['status']
    assert admin.delete(N + '/agents/%s/l3-routers/%s' % (agent, router['id'])).status_int == 204
    assert admin.get(N + '/routers/%s/l3-agents' % router['id']).json['agents'] == []
    assert status() == 'DOWN'
    other = member.post(N + '/ports', {'port': {'network_id': net['id']}}).json['port']
    moved = member.put(N + '/floatingips/' + fip['id'], {'floatingip': {
        'port_id': other['id']}}).json['floatingip']
    assert moved['status'] == 'DOWN'
    assert admin.post(N + '/agents/%s/l3-routers' % agent,
                      {'router_id': router['id']}).status_int == 201
    assert status() == 'ACTIVE'
