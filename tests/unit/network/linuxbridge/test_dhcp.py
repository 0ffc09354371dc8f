"""dnsmasq's command line and files for a network."""
from cloudstack.network.drivers.linuxbridge import dhcp
from cloudstack.network.drivers.linuxbridge import plan
from tests.functional.netbed import State


def _settings(tmp_path, **kw):
    return plan.Settings(state_dir=str(tmp_path), **kw)


def _render(tmp_path, st, net, metadata=True, **kw):
    subnets = [s for s in st.subnets.values() if s['network_id'] == net['id']]
    ports = [p for p in st.ports.values() if p['network_id'] == net['id']]
    dhcp_port = next(p for p in ports if p['device_owner'] == 'network:dhcp')
    argv, files = dhcp.render(net, subnets, dhcp_port, ports, _settings(tmp_path, **kw),
                              'ns-x', metadata)
    by_name = {path.rsplit('/', 1)[1]: text for path, text in files.items()}
    return argv, by_name


def test_v4_subnet_hosts_options_and_metadata_route(tmp_path):
    st = State()
    net = st.network(mtu=1450, vni=5)
    sub = st.subnet(net, '10.0.0.0/24', dns_nameservers=['8.8.8.8'],
                    host_routes=[{'destination': '192.168.0.0/24', 'nexthop': '10.0.0.254'}])
    st.dhcp_server(net, 'h', '10.0.0.2')
    vm = st.port(net, ['10.0.0.5'], host='h', dns_name='web',
                 extra_dhcp_opts=[{'opt_name': 'tftp-server', 'opt_value': '10.0.0.9'},
                                  {'opt_name': '150', 'opt_value': 'x\ny'}])
    argv, files = _render(tmp_path, st, net)
    assert '--dhcp-range=set:subnet-%s,10.0.0.0,static,255.255.255.0,86400s' % sub['id'] in argv
    assert '--dhcp-option-force=option:mtu,1450' in argv
    assert '--dhcp-authoritative' in argv and '--interface=ns-x' in argv
    assert '--dhcp-mac=set:port-%s,%s' % (vm['id'], vm['mac_address']) in argv
    assert files['host'] == '%s,web,10.0.0.5\n' % vm['mac_address']
    assert '10.0.0.5\tweb.openstacklocal web\n' in files['addn_hosts']
    tag = 'tag:subnet-' + sub['id']
    opts = files['opts'].splitlines()
    assert '%s,option:dns-server,8.8.8.8' % tag in opts
    routes = '192.168.0.0/24,10.0.0.254,169.254.169.254/32,10.0.0.2,0.0.0.0/0,10.0.0.1'
    assert '%s,option:classless-static-route,%s' % (tag, routes) in opts
    assert '%s,249,%s' % (tag, routes) in opts
    assert '%s,option:router,10.0.0.1' % tag in opts
    assert 'tag:port-%s,option:tftp-server,10.0.0.9' % vm['id'] in opts
    assert 'tag:port-%s,150,x y' % vm['id'] in opts       # no line breaks smuggled in


def test_a_router_on_the_subnet_takes_the_metadata_route(tmp_path):
    st = State()
    net = st.network()
    sub = st.subnet(net, '10.0.0.0/24')
    st.dhcp_server(net, 'h', '10.0.0.2')
    st.port(net, ['10.0.0.1'], owner='network:router_interface', device_id='r')
    _, files = _render(tmp_path, st, net)
    assert 'classless-static-route' not in files['opts']
    assert 'tag:subnet-%s,option:dns-server,10.0.0.2' % sub['id'] in files['opts']


def test_no_gateway_and_dhcp_off(tmp_path):
    st = State()
    net = st.network()
    sub = st.subnet(net, '10.0.0.0/24', gateway=None)
    off = st.subnet(net, '10.1.0.0/24', enable_dhcp=False)
    st.dhcp_server(net, 'h', '10.0.0.2')
    argv, files = _render(tmp_path, st, net, metadata=False)
    assert 'tag:subnet-%s,option:router\n' % sub['id'] in files['opts']
    assert not any(off['id'] in a for a in argv)
    # the other subnet of the network is on the link
    assert ('tag:subnet-%s,option:classless-static-route,10.1.0.0/24,0.0.0.0' % sub['id']
            in files['opts'])


def test_ipv6_modes(tmp_path):
    st = State()
    net = st.network()
    stateful = st.subnet(net, 'fd00:1::/64', ipv6_address_mode='dhcpv6-stateful',
                         ipv6_ra_mode='dhcpv6-stateful')
    stateless = st.subnet(net, 'fd00:2::/64', ipv6_address_mode='dhcpv6-stateless',
                          ipv6_ra_mode='dhcpv6-stateless')
    slaac = st.subnet(net, 'fd00:3::/64', ipv6_address_mode='slaac', ipv6_ra_mode='slaac')
    st.dhcp_server(net, 'h', 'fd00:1::2')
    vm = st.port(net, ['fd00:1::5', 'fd00:2::5', 'fd00:3::5'], host='h')
    argv, files = _render(tmp_path, st, net)
    assert '--dhcp-range=set:subnet-%s,fd00:1::,static,64,86400s' % stateful['id'] in argv
    assert '--dhcp-range=set:subnet-%s,fd00:2::,static,64,86400s' % stateless['id'] in argv
    assert not any(slaac['id'] in a for a in argv)
    mac = vm['mac_address']
    assert files['host'].splitlines() == ['%s,host-fd00-1--5,[fd00:1::5]' % mac,
                                          '%s,host-fd00-2--5' % mac]
    assert 'tag:subnet-%s,option6:dns-server,[fd00:1::2]' % stateful['id'] in files['opts']


def test_serves():
    assert dhcp.serves({'ip_version': 4, 'enable_dhcp': True})
    assert not dhcp.serves({'ip_version': 4, 'enable_dhcp': False})
    assert dhcp.serves({'ip_version': 6, 'ipv6_address_mode': 'dhcpv6-stateless'})
    assert not dhcp.serves({'ip_version': 6, 'ipv6_address_mode': 'slaac'})


def test_release_packet():
    packet = dhcp.release_packet('fa:16:3e:00:00:0b', '10.0.0.5', '10.0.0.2', '01:fa:16:3e:00:00:0b')
    assert packet[0] == 1 and packet[1:3] == bytes([1, 6])
    assert packet[12:16] == bytes([10, 0, 0, 5])                    # ciaddr
    assert packet[28:34] == bytes([0xfa, 0x16, 0x3e, 0, 0, 0x0b])   # chaddr
    options = packet[236:]
    assert options[:4] == bytes([99, 130, 83, 99])
    assert options[4:7] == bytes([53, 1, 7])                         # DHCPRELEASE
    assert options[7:13] == bytes([54, 4, 10, 0, 0, 2])              # server id
    assert options[13:15] == bytes([61, 7]) and options[-1] == 255


def test_read_leases(tmp_path):
    leases = tmp_path / 'leases'
    leases.write_text('1796699997 fa:16:3e:00:00:02 10.9.0.11 host-a 01:fa:16:3e:00:00:02\n'
                      '1796699997 FA:16:3E:00:00:03 10.9.0.12 * *\n'
                      'duid 00:01:00:01\n'
                      '1796699997 1234 fd00::5 host-b 00:03:00:01\n')
    assert dhcp.read_leases(str(leases)) == [
        ('fa:16:3e:00:00:02', '10.9.0.11', '01:fa:16:3e:00:00:02'),
        ('fa:16:3e:00:00:03', '10.9.0.12', None)]
    assert dhcp.read_leases(str(tmp_path / 'none')) == []
