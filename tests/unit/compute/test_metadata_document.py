import json

from cloudstack.compute.metadata import document
from tests.unit.compute.libvirt_fixtures import instance, vif


def test_meta_data_latest_has_everything_a_guest_reads():
    md = document.InstanceMetadata(instance(), [vif()], {'display_name': 'Web One',
                                                         'key_name': 'mykey'})
    doc = md.meta_data()
    assert doc['uuid'] == '6e0d4a2b-1c3f-4e5a-9b7d-0a1b2c3d4e5f'
    assert doc['hostname'] == 'web-1.novalocal'         # [compute] dhcp_domain
    assert doc['name'] == 'Web One'
    assert doc['meta'] == {'role': 'web'}
    assert doc['public_keys'] == {'mykey': 'ssh-ed25519 AAAAC3Nza me@laptop'}
    assert doc['keys'] == [{'name': 'mykey', 'type': 'ssh',
                            'data': 'ssh-ed25519 AAAAC3Nza me@laptop'}]
    assert doc['project_id'] == 'proj-1'
    assert doc['availability_zone'] == 'nova'
    assert doc['launch_index'] == 0
    assert len(doc['random_seed']) > 600
    assert 'admin_pass' not in doc


def test_older_versions_lack_newer_fields():
    md = document.InstanceMetadata(instance(), [], {})
    first = md.meta_data('2012-08-10')
    assert 'random_seed' not in first and 'keys' not in first and 'project_id' not in first
    assert 'random_seed' in md.meta_data('2013-04-04')
    assert 'keys' not in md.meta_data('2016-10-06')
    assert 'keys' in md.meta_data('2017-02-22')
    files = md.openstack_files('2013-10-17')
    assert 'vendor_data.json' in files and 'network_data.json' not in files
    assert 'network_data.json' in md.openstack_files('2015-10-15')
    assert 'vendor_data2.json' in md.openstack_files('latest')


def test_admin_pass_only_on_the_config_drive():
    md = document.InstanceMetadata(instance(), [], {'admin_pass': 's3cret'})
    assert md.meta_data(config_drive=True)['admin_pass'] == 's3cret'
    assert 'admin_pass' not in md.meta_data()


def test_network_data_dhcp_static_and_v6():
    md = document.InstanceMetadata(instance(), [
        vif(), vif(port_id='aaaabbbbcccc-dddd', mac='fa:16:3e:44:55:66', address='10.0.0.9',
                   dhcp=False, v6='fd00::5')])
    net = md.network_data()
    assert [link['id'] for link in net['links']] == ['tap0f1e2d3c-4b', 'tapaaaabbbbccc']
    assert net['links'][0]['ethernet_mac_address'] == 'fa:16:3e:11:22:33'
    assert net['links'][0]['mtu'] == 1450
    kinds = [(n['link'], n['type']) for n in net['networks']]
    assert kinds == [('tap0f1e2d3c-4b', 'ipv4_dhcp'), ('tapaaaabbbbccc', 'ipv4'),
                     ('tapaaaabbbbccc', 'ipv6_slaac')]
    static = net['networks'][1]
    assert static['ip_address'] == '10.0.0.9' and static['netmask'] == '255.255.255.0'
    assert {'network': '0.0.0.0', 'netmask': '0.0.0.0', 'gateway': '10.0.0.1'} in static['routes']
    assert {'network': '192.168.0.0', 'netmask': '255.255.0.0',
            'gateway': '10.0.0.254'} in static['routes']
    assert net['services'] == [{'type': 'dns', 'address': '10.0.0.2'}]


def test_ec2_tree():
    md = document.InstanceMetadata(instance(), [vif(floating='172.24.4.10')],
                                   {'security_groups': ['default', 'web'],
                                    'reservation_id': 'r-abc', 'ec2_id': 42})
    tree = md.ec2_meta_data()
    assert tree['instance-id'] == 'i-0000002a'
    assert tree['local-ipv4'] == '10.0.0.5'
    assert tree['public-ipv4'] == '172.24.4.10'
    assert tree['instance-type'] == 'm1.tiny'
    assert tree['security-groups'] == 'default\nweb'
    assert tree['placement'] == {'availability-zone': 'nova'}
    assert tree['public-keys'] == {'0': {'openssh-key': 'ssh-ed25519 AAAAC3Nza me@laptop'}}
    assert md.ec2_listing(('public-keys',), tree['public-keys']) == ['0=mykey']
    assert tree['ami-id'].startswith('ami-') and len(tree['ami-id']) == 12


def test_config_drive_files_both_layouts():
    md = document.InstanceMetadata(instance(), [vif()], {
        'injected_files': [('/etc/motd', b'hello')], 'admin_pass': 'pw'})
    files = md.config_drive_files()
    for version in document.OPENSTACK_VERSIONS + ['latest']:
        assert 'openstack/%s/meta_data.json' % version in files
        assert files['openstack/%s/user_data' % version] == b'#!/bin/sh\necho hi\n'
    latest = json.loads(files['openstack/latest/meta_data.json'])
    assert latest['admin_pass'] == 'pw'
    assert latest['files'] == [{'path': '/etc/motd', 'content_path': '/content/0000'}]
    assert files['openstack/content/0000'] == b'hello'
    assert json.loads(files['ec2/latest/meta-data.json'])['local-ipv4'] == '10.0.0.5'
    assert files['ec2/2009-04-04/user-data'] == b'#!/bin/sh\necho hi\n'
    assert json.loads(files['openstack/latest/network_data.json'])['links']


def test_no_user_data_no_file():
    md = document.InstanceMetadata(instance(user_data=None), [], {})
    assert 'user_data' not in md.openstack_files()
    assert 'user-data' not in md.ec2_files()


def test_vendor_data_from_config_or_extra(conf):
    conf.set_override('vendor_data', {'a': 'b'}, group='metadata')
    try:
        assert document.InstanceMetadata(instance(), []).vendor_data() == {'a': 'b'}
        assert document.InstanceMetadata(instance(), [], {'vendor_data': {}}).vendor_data() == {}
    finally:
        conf.clear_override('vendor_data', group='metadata')
