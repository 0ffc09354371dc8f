"""The linuxbridge driver behind the real API: cloudstack-all with the
network agent of one simulated host (a namespace of the test bed), driven
through openstacksdk as a user would; the instance is a namespace whose veth
is the port's tap, as a hypervisor would plug it."""
import os

import openstack.config
import openstack.connection
import pytest

from tests.functional import netbed
from tests.functional.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.skipif(netbed.missing_tools() is not None,
                                reason=str(netbed.missing_tools()))

HOST = 'lb-host-1'


@pytest.fixture
def bed(tmp_path):
    bed = netbed.Netbed(tmp_path / 'bed')
    yield bed
    bed.cleanup()


@pytest.fixture
def running(cloud, bed):
    host_ns = bed.host('h1')
    peer = bed.namespace('peer')
    bed.underlay(host_ns, '10.98.0.1', peer, '10.98.0.2')
    bed.outside(host_ns, 'ext0', 'ext', '172.24.4.1/24')
    cloud.options['DEFAULT']['host'] = HOST
    cloud.options['network'] = {'driver': 'linuxbridge', 'local_ip': '10.98.0.1'}
    cloud.options['linuxbridge'] = {
        'host_namespace': host_ns, 'namespace_prefix': host_ns + '-',
        'state_path': os.path.join(bed.state_root, 'h1'),
        'physical_interface_mappings': 'public:ext0'}
    proc = cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/identity/v3', timeout=30)
    cloud.ready('/networking/', timeout=30)
    cloud.bed, cloud.host_ns, cloud.proc = bed, host_ns, proc
    return cloud


def sdk(cloud):
    config = openstack.config.OpenStackConfig(config_files=[
        os.path.join(cloud.data_dir, 'clouds.yaml')])
    return openstack.connection.Connection(config=config.get_one('cloudstack'))


def test_a_port_through_the_api_gets_wired_and_served(running):
    bed, conn = running.bed, sdk(running)
    # the host's network agent is up (DHCP and routers are scheduled to it)
    assert running.wait_for(lambda: any(a.host == HOST and a.is_alive
                                        for a in conn.network.agents()),
                            timeout=60, interval=0.5)
    public = conn.network.create_network(name='public', is_router_external=True,
                                         provider_network_type='flat',
                                         provider_physical_network='public')
    conn.network.create_subnet(network_id=public.id, ip_version=4, cidr='172.24.4.0/24',
                               gateway_ip='172.24.4.1', is_dhcp_enabled=False)
    net = conn.network.create_network(name='demo')
    subnet = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr='10.81.0.0/24')
    router = conn.network.create_router(name='r1', external_gateway_info={'network_id': public.id})
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    group = conn.network.create_security_group(name='web')
    for proto in ('icmp', 'tcp'):
        conn.network.create_security_group_rule(security_group_id=group.id, direction='ingress',
                                                ethertype='IPv4', protocol=proto)
    port = conn.network.create_port(network_id=net.id, security_group_ids=[group.id],
                                    binding_host_id=HOST, device_owner='compute:nova',
                                    device_id='11111111-2222-3333-4444-555555555555')
    assert port.binding_vif_type == 'bridge'
    vm = bed.instance(running.host_ns, 'vm', port.to_dict())
    # ACTIVE once the agent found the tap and wired it
    assert running.wait_for(lambda: conn.network.get_port(port.id).status == 'ACTIVE',
                            timeout=60, interval=0.5)
    lease = bed.dhcp(vm)
    assert lease and 'ip=%s ' % port.fixed_ips[0]['ip_address'] in lease, lease
    assert 'router=10.81.0.1 ' in lease
    assert bed.ping_until(vm, '10.81.0.1')
    # a floating IP reaches it from outside
    fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
    assert running.wait_for(lambda: bed.ping(bed.ns('ext'), fip.floating_ip_address, count=1),
                            timeout=60, interval=0.5)
    # everything deleted through the API: nothing left on the host
    conn.network.delete_ip(fip)
    conn.network.delete_port(port)
    conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
    conn.network.update_router(router, external_gateway_info={})
    conn.network.delete_router(router)
    conn.network.delete_network(net)

    def clean():
        links = [n for n in bed.nl.links(running.host_ns) if n.startswith(('brq', 'vxlan-'))]
        spaces = [n for n in bed.nl.namespaces() if n.startswith(running.host_ns + '-')]
        return not links and not spaces
    assert running.wait_for(clean, timeout=60, interval=0.5)
