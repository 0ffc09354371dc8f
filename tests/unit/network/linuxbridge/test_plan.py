"""What a host state compiles to: bridges, taps, veths, namespaces, daemons."""
from cloudstack.network.drivers.linuxbridge import plan
from tests.functional.netbed import State


def _compile(tmp_path, st, host='h1', zones=None, **kw):
    settings = plan.Settings(state_dir=str(tmp_path), namespace_prefix='t-', **kw)
    return plan.compile_state(st.for_host(host), settings, zones)


def _topology():
    st = State()
    st.vteps = {'h1': '10.99.0.1', 'h2': '10.99.0.2', 'h3': '10.99.0.3'}
    st.metadata = {'host': '0.0.0.0', 'port': 8775, 'shared_secret': 's3cret'}
    net = st.network(vni=77)
    st.subnet(net, '10.0.0.0/24')
    ext = st.network(kind='flat', physnet='public', mtu=1500, external=True)
    st.subnet(ext, '172.24.4.0/24', enable_dhcp=False)
    dhcp_port = st.dhcp_server(net, 'h1', '10.0.0.2')
    rtr = st.router('h1', ext, '172.24.4.10')
    qr = st.router_interface(rtr, net, '10.0.0.1')
    vm1 = st.port(net, ['10.0.0.5'], host='h1', security_groups=[st.security_group()])
    vm2 = st.port(net, ['10.0.0.6'], host='h2')
    st.floating_ip(rtr, '172.24.4.50', vm2)
    return st, net, ext, dhcp_port, rtr, qr, vm1, vm2


def test_compile_a_host_with_dhcp_and_a_router(tmp_path):
    st, net, ext, dhcp_port, rtr, qr, vm1, vm2 = _topology()
    p = _compile(tmp_path, st, physical_interface_mappings={'public': 'eth1'})
    bridge = 'brq' + net['id'][:11]
    assert p.bridges[bridge] == plan.Bridge(bridge, net['id'], 1450, vni=77, local_ip='10.99.0.1',
                                            peers=('10.99.0.2', '10.99.0.3'))
    assert p.bridges['brq' + ext['id'][:11]].physical == 'eth1'
    assert set(p.taps) == {vm1['id']}                 # vm2 is bound elsewhere
    veths = {v.port_id: v for v in p.veths.values()}
    dns = 't-qdhcp-' + net['id']
    assert veths[dhcp_port['id']].namespace == dns
    assert veths[dhcp_port['id']].addresses == ('10.0.0.2/24',)     # a router serves metadata
    rns = 't-qrouter-' + rtr['id']
    assert veths[qr['id']].ifname == 'qr-' + qr['id'][:11]
    assert veths[rtr['gw_port']['id']].addresses == ('172.24.4.10/24', '172.24.4.50/32')
    assert p.namespaces[rns].routes == (('0.0.0.0/0', '172.24.4.1'),)
    assert '-A cs-PREROUTING -d 172.24.4.50/32 -j DNAT --to-destination 10.0.0.6' in \
        p.namespaces[rns].iptables
    proxy = p.processes['metadata-' + rns]
    assert '127.0.0.1:8775' in proxy.argv and '0.0.0.0:9697' in proxy.argv
    files = dict((path.rsplit('/', 1)[1], text) for path, text, _ in proxy.files)
    assert '"10.0.0.6": {"instance_id": "%s"' % vm2['device_id'] in files[rns + '.json']
    assert files[rns + '.secret'] == 's3cret'
    assert 'dhcp-' + net['id'] in p.processes
    assert not p.down


def test_isolated_subnet_gets_metadata_in_the_dhcp_namespace(tmp_path):
    st = State()
    st.metadata = {'host': '10.1.1.1', 'port': 8775, 'shared_secret': 'x'}
    net = st.network(kind='local')
    st.subnet(net, '10.0.0.0/24')
    dhcp_port = st.dhcp_server(net, 'h1', '10.0.0.2')
    p = _compile(tmp_path, st)
    veth = p.veths['tap' + dhcp_port['id'][:11]]
    assert veth.addresses == ('10.0.0.2/24', '169.254.169.254/32')
    proxy = p.processes['metadata-t-qdhcp-' + net['id']]
    assert '169.254.169.254:80' in proxy.argv and '10.1.1.1:8775' in proxy.argv
    assert not proxy.enter_namespace
    # without it, nothing in the DHCP namespace answers metadata
    p = _compile(tmp_path, st, enable_isolated_metadata=False)
    assert p.veths['tap' + dhcp_port['id'][:11]].addresses == ('10.0.0.2/24',)
    assert 'metadata-t-qdhcp-' + net['id'] not in p.processes


def test_ports_this_host_cannot_wire_are_down(tmp_path):
    st = State()
    flat = st.network(kind='flat', physnet='nowhere')
    st.subnet(flat, '10.0.0.0/24')
    vlan = st.network(kind='vlan')
    st.subnet(vlan, '10.1.0.0/24')
    a = st.port(flat, ['10.0.0.5'], host='h1')
    b = st.port(vlan, ['10.1.0.5'], host='h1')
    p = _compile(tmp_path, st)
    assert p.down == {a['id'], b['id']} and not p.bridges and not p.taps


def test_zones_are_kept_for_known_bridges(tmp_path):
    st, net, *_ = _topology()
    bridge = 'brq' + net['id'][:11]
    p = _compile(tmp_path, st, zones={bridge: 4242, 'brqgone': 9},
                 physical_interface_mappings={'public': 'eth1'})
    assert p.zones[bridge] == 4242 and 'brqgone' not in p.zones
    assert len(set(p.zones.values())) == len(p.zones)


def test_same_state_same_plan(tmp_path):
    st, *_ = _topology()
    a = _compile(tmp_path, st, physical_interface_mappings={'public': 'eth1'})
    b = _compile(tmp_path, st, physical_interface_mappings={'public': 'eth1'})
    assert a.bridges == b.bridges and a.veths == b.veths and a.namespaces == b.namespaces
    assert a.processes == b.processes and a.firewall.chains == b.firewall.chains


def test_disabled_router_and_no_gateway(tmp_path):
    st, net, ext, dhcp_port, rtr, qr, vm1, vm2 = _topology()
    rtr['admin_state_up'] = False
    rtr['routes'] = [{'destination': '10.9.0.0/16', 'nexthop': '10.0.0.9'}]
    p = _compile(tmp_path, st, physical_interface_mappings={'public': 'eth1'})
    # its ports are wired (Tempest waits for them to be ACTIVE), nothing else
    rns = p.namespaces['t-qrouter-' + rtr['id']]
    assert 'tap' + qr['id'][:11] in p.veths
    assert rns.sysctls == (('net/ipv4/ip_forward', '0'), ('net/ipv6/conf/all/forwarding', '0'))
    assert rns.routes == () and 'DNAT' not in rns.iptables and 'REDIRECT' not in rns.iptables
    assert 'metadata-t-qrouter-' + rtr['id'] not in p.processes
    rtr['routes'] = []
    rtr['admin_state_up'] = True
    rtr['external_gateway_info'] = None
    p = _compile(tmp_path, st, physical_interface_mappings={'public': 'eth1'})
    rns = p.namespaces['t-qrouter-' + rtr['id']]
    assert rns.routes == () and 'DNAT' not in rns.iptables and 'SNAT' not in rns.iptables


def test_dnsmasq_falls_back_to_root_when_its_user_cannot_reach_the_files(tmp_path):
    from cloudstack.network.drivers.linuxbridge import dataplane
    closed = tmp_path / 'closed'
    (closed / 'state').mkdir(parents=True)
    closed.chmod(0o700)
    assert dataplane._user_reaching('nobody', str(closed / 'state')) == 'root'
    closed.chmod(0o711)
    opened = all(p.stat().st_mode & 0o001 for p in [tmp_path, *tmp_path.parents])
    assert dataplane._user_reaching('nobody', str(closed / 'state')) == (
        'nobody' if opened else 'root')
    assert dataplane._user_reaching('no-such-user-here', str(tmp_path)) == 'root'
    assert dataplane._user_reaching('root', str(closed)) == 'root'


def test_init_names_the_commands_the_host_lacks(tmp_path, monkeypatch):
    import pytest
    from cloudstack.network.drivers.linuxbridge import LinuxBridgeDriver
    monkeypatch.setenv('PATH', str(tmp_path))
    driver = LinuxBridgeDriver('h1', settings=plan.Settings(state_dir=str(tmp_path)),
                               use_worker=False)
    with pytest.raises(RuntimeError, match='needs iptables-restore, .*dnsmasq'):
        driver.init()
    for name in ('iptables-restore', 'ip6tables-restore', 'iptables-save', 'ebtables-restore',
                 'ebtables-save', 'ipset', 'conntrack', 'nsenter', 'dnsmasq'):
        (tmp_path / name).write_text('#!/bin/sh\n')
        (tmp_path / name).chmod(0o755)
    driver.init()
