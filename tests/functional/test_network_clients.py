"""Networking through the unmodified clients (the openstack CLI and
openstacksdk) against a real cloudstack-all, and IPAM exactness with several
API worker processes over HTTP."""
import collections
import concurrent.futures
import json
import os
import subprocess
import sys

import openstack
import openstack.config
import openstack.connection
import openstack.exceptions
import pytest
import requests

from tests.functional.conftest import ADMIN_PASSWORD

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


@pytest.fixture
def running(cloud):
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/identity/v3', timeout=30)
    cloud.ready('/networking/', timeout=30)
    return cloud


def _env(cloud):
    return dict(os.environ, OS_CLIENT_CONFIG_FILE=os.path.join(cloud.data_dir, 'clouds.yaml'),
                OS_CLOUD='cloudstack')


def cli(cloud, *args):
    """`openstack ARGS -f json`, parsed."""
    out = subprocess.run([OPENSTACK, *args, '-f', 'json'], env=_env(cloud), check=True,
                         capture_output=True, text=True, timeout=120)
    return json.loads(out.stdout) if out.stdout.strip() else None


def cli_quiet(cloud, *args):
    subprocess.run([OPENSTACK, *args], env=_env(cloud), check=True, capture_output=True,
                   text=True, timeout=120)


def sdk(cloud):
    config = openstack.config.OpenStackConfig(config_files=[
        os.path.join(cloud.data_dir, 'clouds.yaml')])
    return openstack.connection.Connection(config=config.get_one('cloudstack'))


def _public(conn):
    net = conn.network.create_network(name='public', is_router_external=True,
                                      provider_network_type='flat',
                                      provider_physical_network='public')
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr='172.24.4.0/24',
                               gateway_ip='172.24.4.1', is_dhcp_enabled=False)
    return net


def test_the_openstack_cli(running):
    """The README's walk-through; each step is the CLI, the checks read
    the results back through openstacksdk (each CLI start costs seconds)."""
    conn = sdk(running)
    _public(conn)
    net = cli(running, 'network', 'create', 'demo')
    assert net['status'] == 'ACTIVE' and net['mtu'] == 1450
    subnet = cli(running, 'subnet', 'create', 'demo-subnet', '--network', 'demo',
                 '--subnet-range', '192.168.10.0/24', '--dns-nameserver', '192.0.2.53')
    assert subnet['gateway_ip'] == '192.168.10.1'
    assert subnet['dns_nameservers'] == ['192.0.2.53']
    router = cli(running, 'router', 'create', 'r1')
    cli_quiet(running, 'router', 'set', 'r1', '--external-gateway', 'public')
    cli_quiet(running, 'router', 'add', 'subnet', 'r1', 'demo-subnet')
    gateway = conn.network.get_router(router['id']).external_gateway_info
    assert gateway['enable_snat'] is True
    assert gateway['external_fixed_ips'][0]['ip_address'].startswith('172.24.4.')
    interfaces = list(conn.network.ports(device_id=router['id'],
                                         device_owner='network:router_interface'))
    assert [p.fixed_ips[0]['ip_address'] for p in interfaces] == ['192.168.10.1']

    group = cli(running, 'security', 'group', 'create', 'web')
    rule = cli(running, 'security', 'group', 'rule', 'create', 'web', '--protocol', 'tcp',
               '--dst-port', '80:81', '--remote-ip', '0.0.0.0/0')
    assert (rule['port_range_min'], rule['port_range_max']) == (80, 81)
    cli(running, 'security', 'group', 'rule', 'create', 'web', '--protocol', 'icmp')
    rules = list(conn.network.security_group_rules(security_group_id=group['id']))
    assert sorted(str(r.protocol) for r in rules) == ['None', 'None', 'icmp', 'tcp']

    port = cli(running, 'port', 'create', 'vm-port', '--network', 'demo',
               '--security-group', group['id'])
    fip = cli(running, 'floating', 'ip', 'create', 'public')
    assert fip['floating_ip_address'].startswith('172.24.4.')
    cli_quiet(running, 'floating', 'ip', 'set', '--port', port['id'], fip['id'])
    found = conn.network.get_ip(fip['id'])
    assert found.port_id == port['id'] and found.router_id == router['id']
    assert found.fixed_ip_address == port['fixed_ips'][0]['ip_address']
    assert found.status == 'ACTIVE'

    # Removing the interface the floating IP needs is refused while it is set.
    with pytest.raises(openstack.exceptions.ConflictException):
        conn.network.remove_interface_from_router(router['id'], subnet_id=subnet['id'])
    conn.network.delete_ip(fip['id'])
    conn.network.delete_port(port['id'])
    conn.network.remove_interface_from_router(router['id'], subnet_id=subnet['id'])
    conn.network.delete_router(router['id'])
    conn.network.delete_network(net['id'])
    assert conn.network.find_network('demo', ignore_missing=True) is None


def test_openstacksdk(running):
    conn = sdk(running)
    public = _public(conn)
    net = conn.network.create_network(name='sdk-net')
    subnet = conn.network.create_subnet(network_id=net.id, ip_version=4,
                                        cidr='10.20.0.0/24', name='sdk-subnet')
    v6 = conn.network.create_subnet(network_id=net.id, ip_version=6, cidr='fd00:20::/64',
                                    ipv6_ra_mode='slaac', ipv6_address_mode='slaac')
    router = conn.network.create_router(name='sdk-router',
                                        external_gateway_info={'network_id': public.id})
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    group = conn.network.create_security_group(name='sdk-sg')
    conn.network.create_security_group_rule(security_group_id=group.id,
                                            direction='ingress', protocol='tcp',
                                            port_range_min=22, port_range_max=22,
                                            ethertype='IPv4')
    port = conn.network.create_port(network_id=net.id, security_group_ids=[group.id])
    by_subnet = {f['subnet_id']: f['ip_address'] for f in port.fixed_ips}
    assert by_subnet[v6.id].startswith('fd00:20::') and v6.id in by_subnet
    fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id,
                                 fixed_ip_address=by_subnet[subnet.id])
    assert fip.router_id == router.id
    assert [p.id for p in conn.network.ports(network_id=net.id,
                                             device_owner='network:router_interface')]
    assert conn.network.get_network(net.id).subnet_ids and \
        set(conn.network.get_network(net.id).subnet_ids) == {subnet.id, v6.id}
    assert conn.network.find_security_group('default', ignore_missing=False)
    conn.network.set_tags(net, ['blue', 'green'])
    assert [n.id for n in conn.network.networks(tags='blue')] == [net.id]
    conn.network.delete_ip(fip)
    conn.network.delete_port(port)
    conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
    conn.network.delete_router(router)
    conn.network.delete_network(net)
    assert conn.network.find_network('sdk-net', ignore_missing=True) is None


def test_concurrent_port_creates_on_several_workers(cloud):
    """50 creates at once against 4 API workers, 10 free addresses: exactly
    10 ports, 40 clear conflicts, no address twice."""
    cloud.options['DEFAULT']['workers'] = 4
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/networking/', timeout=30)
    conn = sdk(cloud)
    net = conn.network.create_network(name='tight')
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr='10.30.0.0/24',
                               allocation_pools=[{'start': '10.30.0.100',
                                                  'end': '10.30.0.109'}],
                               is_dhcp_enabled=False)
    url = conn.network.get_endpoint().rstrip('/')
    if not url.endswith('/v2.0'):
        url += '/v2.0'
    token = conn.auth_token

    def create(_):
        resp = requests.post(url + '/ports', json={'port': {'network_id': net.id}},
                             headers={'X-Auth-Token': token}, timeout=120)
        return resp.status_code, resp.json()

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(create, range(50)))
    codes = collections.Counter(code for code, _ in results)
    assert codes == {201: 10, 409: 40}, results
    assert {body['NeutronError']['type'] for code, body in results if code == 409} == {
        'IpAddressGenerationFailure'}
    addresses = sorted(body['port']['fixed_ips'][0]['ip_address']
                       for code, body in results if code == 201)
    assert addresses == ['10.30.0.%d' % i for i in range(100, 110)]
    macs = {body['port']['mac_address'] for code, body in results if code == 201}
    assert len(macs) == 10
