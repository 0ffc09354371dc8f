"""The Networking API over HTTP (in-process): Neutron's shapes, errors,
policy and lists."""
import pytest

from tests.unit.network.helpers import project_client

N = '/networking/v2.0'


@pytest.fixture
def member(admin):
    return project_client(admin, 'net-alice', 'proj-alice')


@pytest.fixture
def other(admin):
    return project_client(admin, 'net-bob', 'proj-bob')


def test_version_documents(client):
    resp = client.get('/networking/')
    assert resp.status_int == 200
    assert resp.json['versions'][0]['id'] == 'v2.0'
    assert resp.json['versions'][0]['links'][0]['href'].endswith('/networking/v2.0/')


def test_extensions_are_listed_and_shown(member):
    resp = member.get(N + '/extensions')
    aliases = [e['alias'] for e in resp.json['extensions']]
    assert 'router' in aliases and 'dvr' not in aliases
    one = member.get(N + '/extensions/router').json['extension']
    assert one == [e for e in resp.json['extensions'] if e['alias'] == 'router'][0]
    assert member.get(N + '/extensions/dvr').status_int == 404


def test_network_subnet_port_round_trip(member):
    resp = member.post(N + '/networks', {'network': {'name': 'n1'}})
    assert resp.status_int == 201, resp.text
    net = resp.json['network']
    assert net['status'] == 'ACTIVE' and net['project_id'] == member.project_id
    assert 'provider:network_type' not in net       # admin only
    resp = member.post(N + '/subnets', {'subnet': {
        'network_id': net['id'], 'ip_version': 4, 'cidr': '10.1.0.0/24'}})
    assert resp.status_int == 201, resp.text
    subnet = resp.json['subnet']
    assert subnet['gateway_ip'] == '10.1.0.1'
    assert subnet['allocation_pools'] == [{'start': '10.1.0.2', 'end': '10.1.0.254'}]
    resp = member.post(N + '/ports', {'port': {'network_id': net['id']}})
    assert resp.status_int == 201, resp.text
    port = resp.json['port']
    assert port['fixed_ips'][0]['subnet_id'] == subnet['id']
    assert 'binding:host_id' not in port
    assert len(port['security_groups']) == 1
    resp = member.get(N + '/ports?network_id=%s&fields=id&fields=mac_address' % net['id'])
    assert {p['id'] for p in resp.json['ports']} >= {port['id']}
    assert all(set(p) == {'id', 'mac_address'} for p in resp.json['ports'])
    assert member.delete(N + '/networks/' + net['id']).status_int == 409
    assert member.delete(N + '/ports/' + port['id']).status_int == 204
    assert member.delete(N + '/networks/' + net['id']).status_int == 204
    resp = member.get(N + '/networks/' + net['id'])
    assert resp.status_int == 404
    assert resp.json['NeutronError']['type'] == 'NetworkNotFound'


def test_another_projects_network_is_not_found(member, other):
    net = member.post(N + '/networks', {'network': {'name': 'mine'}}).json['network']
    assert other.get(N + '/networks/' + net['id']).status_int == 404
    assert other.put(N + '/networks/' + net['id'],
                     {'network': {'name': 'x'}}).status_int == 404
    assert net['id'] not in [n['id'] for n in other.get(N + '/networks').json['networks']]


def test_admin_only_attributes_are_forbidden(member):
    resp = member.post(N + '/networks', {'network': {'shared': True}})
    assert resp.status_int == 403
    assert resp.json['NeutronError']['type'] == 'PolicyNotAuthorized'


def test_unknown_attribute_and_filter_are_bad_requests(member):
    assert member.post(N + '/networks', {'network': {'bogus': 1}}).status_int == 400
    assert member.get(N + '/networks?bogus=1').status_int == 400


def test_if_match_revision(member):
    net = member.post(N + '/networks', {'network': {'name': 'n'}}).json['network']
    resp = member.put(N + '/networks/' + net['id'], {'network': {'name': 'm'}},
                      headers={'If-Match': 'revision_number=%d' % (
                          net['revision_number'] + 5)})
    assert resp.status_int == 412
    resp = member.put(N + '/networks/' + net['id'], {'network': {'name': 'm'}},
                      headers={'If-Match': 'revision_number=%d' % net['revision_number']})
    assert resp.status_int == 200
    assert resp.json['network']['revision_number'] == net['revision_number'] + 1
    assert member.delete(N + '/networks/' + net['id'], headers={
        'If-Match': 'revision_number=%d' % net['revision_number']}).status_int == 412
    assert member.delete(N + '/networks/' + net['id'], headers={
        'If-Match': 'revision_number=%d' % (net['revision_number'] + 1)}).status_int == 204


def test_bulk_create_and_pagination(member):
    resp = member.post(N + '/networks', {'networks': [{'name': 'b%d' % i}
                                                      for i in range(5)]})
    assert resp.status_int == 201, resp.text
    assert len(resp.json['networks']) == 5
    page = member.get(N + '/networks?limit=2&sort_key=name&sort_dir=asc').json
    assert [n['name'] for n in page['networks']] == ['b0', 'b1']
    nxt = [l for l in page['networks_links'] if l['rel'] == 'next'][0]['href']
    page2 = member.get(nxt[nxt.index('/networking'):]).json
    assert [n['name'] for n in page2['networks']] == ['b2', 'b3']
