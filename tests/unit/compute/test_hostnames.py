"""A server's hostname: derived from its name as Nova does, or asked for
(2.90: one DNS label; 2.94: a fully qualified name) on create, update and
rebuild; the metadata qualifies it with [compute] dhcp_domain."""
import pytest

from cloudstack.compute.manager.servers import default_hostname, sanitize_hostname
from cloudstack.compute.metadata import document
from tests.unit.compute.conftest import API
from tests.unit.compute.libvirt_fixtures import instance


@pytest.mark.parametrize('name, expected', [
    ('My Server', 'my-server'),
    ('web_01.example.com', 'web-01-example-com'),
    ('a!@#$%^&*()b', 'ab'),
    ('--.edge.--', 'edge'),
    ('Café 7', 'café-7'),                  # Latin-1 letters stay (Nova keeps them)
    ('服务器 one', 'one'),                  # beyond Latin-1: dropped
    ('x' * 70, 'x' * 63),
    ('%s.b' % ('a' * 62), 'a' * 62),       # cut to 63 first, then the trailing dash goes
])
def test_names_become_hostnames(name, expected):
    assert sanitize_hostname(name) == expected


def test_a_name_with_nothing_usable_gets_server_uuid_and_multiple_creates_an_index():
    assert default_hostname('服务器', 'abc') == 'Server-abc'
    assert default_hostname('!!!', 'abc', 1, 3) == 'Server-abc'
    assert default_hostname('Web', 'abc', 1, 3) == 'web-2'
    assert default_hostname('x' * 70, 'abc', 0, 2) == 'x' * 63 + '-1'


def _hostname(compute, server_id):
    return compute.server(server_id)['OS-EXT-SRV-ATTR:hostname']


def test_created_servers_take_their_hostname_from_the_name(compute):
    compute.version = '2.90'
    server_id = compute.boot(name='Web Front_1!', wait=False, networks='none')
    assert _hostname(compute, server_id) == 'web-front-1'
    server_id = compute.boot(name='服务器', wait=False, networks='none')
    assert _hostname(compute, server_id) == 'Server-' + server_id
    resp = compute.post(API + '/servers', {'server': {
        'name': 'Multi', 'imageRef': compute.image_id, 'flavorRef': '1', 'min_count': 2,
        'networks': 'none'}})
    assert resp.status_int == 202, resp.text
    found = compute.get(API + '/servers/detail?name=Multi').json['servers']
    assert sorted((s['name'], s['OS-EXT-SRV-ATTR:hostname']) for s in found) == [
        ('Multi-1', 'multi-1'), ('Multi-2', 'multi-2')]


def test_a_requested_hostname_is_one_label_at_2_90_and_a_fqdn_at_2_94(compute):
    def create(hostname, version, **extra):
        compute.version = version
        return compute.post(API + '/servers', {'server': dict({
            'name': 'vm', 'imageRef': compute.image_id, 'flavorRef': '1',
            'networks': 'none', 'hostname': hostname}, **extra)})
    assert create('custom', '2.89').status_int == 400          # not yet a field
    resp = create('custom-1', '2.90')
    assert resp.status_int == 202, resp.text
    assert _hostname(compute, resp.json['server']['id']) == 'custom-1'
    for bad in ('a', '-lead', 'trail-', 'under_score', 'dot.ted', 'x' * 64):
        assert create(bad, '2.90').status_int == 400, bad
    resp = create('db_1.example.com', '2.94')
    assert resp.status_int == 202, resp.text
    assert _hostname(compute, resp.json['server']['id']) == 'db_1.example.com'
    assert create('bad host', '2.94').status_int == 400
    assert create('x' * 256, '2.94').status_int == 400
    resp = create('same', '2.90', max_count=2)
    assert resp.status_int == 400
    assert 'single hostname to multiple instances' in resp.json['badRequest']['message']


def test_update_and_rebuild_change_the_hostname_from_2_90(compute):
    compute.version = '2.90'
    server_id = compute.boot(name='vm', networks='none')
    url = '%s/servers/%s' % (API, server_id)
    resp = compute.put(url, {'server': {'hostname': 'renamed'}})
    assert resp.status_int == 200, resp.text
    assert resp.json['server']['OS-EXT-SRV-ATTR:hostname'] == 'renamed'
    assert compute.put(url, {'server': {'hostname': 'has.dots'}}).status_int == 400
    compute.version = '2.94'
    assert compute.put(url, {'server': {'hostname': 'has.dots'}}).status_int == 200
    compute.action(server_id, {'rebuild': {'imageRef': compute.image_id,
                                           'hostname': 'rebuilt.example'}})
    assert _hostname(compute, server_id) == 'rebuilt.example'
    compute.version = '2.90'
    resp = compute.post(url + '/action', {'rebuild': {'imageRef': compute.image_id,
                                                      'hostname': 'no.fqdn'}})
    assert resp.status_int == 400
    compute.version = '2.89'
    assert compute.put(url, {'server': {'hostname': 'old'}}).status_int == 400


def test_metadata_qualifies_the_hostname_with_the_dhcp_domain(conf):
    md = document.InstanceMetadata(instance(hostname='web-1'), [], {})
    assert md.meta_data()['hostname'] == 'web-1.novalocal'
    assert md.ec2_meta_data()['local-hostname'] == 'web-1.novalocal'
    conf.set_override('dhcp_domain', '', group='compute')
    try:
        assert md.meta_data()['hostname'] == 'web-1'
        assert md.ec2_meta_data()['hostname'] == 'web-1'
    finally:
        conf.clear_override('dhcp_domain', group='compute')
