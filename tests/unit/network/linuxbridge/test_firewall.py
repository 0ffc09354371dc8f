"""Security groups as iptables chains: what each rule and port becomes."""
from cloudstack.network.drivers.linuxbridge import bridge_table
from cloudstack.network.drivers.linuxbridge import firewall
from tests.functional.netbed import State


def _setup(**port_extra):
    st = State()
    net = st.network(kind='local')
    st.subnet(net, '10.0.0.0/24')
    st.subnet(net, 'fd00::/64', ipv6_address_mode='dhcpv6-stateful')
    sg = st.security_group()
    port = st.port(net, ['10.0.0.5', 'fd00::5'], host='h', security_groups=[sg], **port_extra)
    return st, sg, port


def _render(st, port):
    state = st.for_host('h')
    return firewall.render([port], state, {'brq' + port['network_id'][:11]: 7})


def _chain(out, family, kind, port):
    return out.chains[family]['filter']['cs-%s-%s' % (kind, port['id'][:11])]


def test_rules_become_returns_in_the_right_chain():
    st, sg, port = _setup()
    st.rule(sg, protocol='tcp', port_range_min=22, port_range_max=22)
    st.rule(sg, protocol='udp', port_range_min=1000, port_range_max=2000,
            remote_ip_prefix='192.168.0.0/16')
    st.rule(sg, protocol='icmp', port_range_min=8, port_range_max=0)
    st.rule(sg, direction='egress', protocol='tcp', remote_ip_prefix='10.1.0.0/16')
    st.rule(sg, direction='egress', ethertype='IPv6')
    st.rule(sg, protocol='58', ethertype='IPv6')
    out = _render(st, port)
    ingress4 = _chain(out, 4, 'i', port)
    assert '-p tcp -m tcp --dport 22 -j RETURN' in ingress4
    assert '-s 192.168.0.0/16 -p udp -m udp --dport 1000:2000 -j RETURN' in ingress4
    assert '-p icmp -m icmp --icmp-type 8/0 -j RETURN' in ingress4
    assert ingress4[-1] == '-j cs-sg-fallback'
    egress4 = _chain(out, 4, 'o', port)
    assert '-d 10.1.0.0/16 -p tcp -j RETURN' in egress4
    assert '-j RETURN' not in egress4             # no IPv4 egress-all rule
    assert '-j RETURN' in _chain(out, 6, 'o', port)
    assert '-p ipv6-icmp -j RETURN' in _chain(out, 6, 'i', port)
    # only the rules' own family
    assert not any('dport 22' in r for r in _chain(out, 6, 'i', port))


def test_conntrack_before_rules_and_dhcp_answers_dropped_from_the_port():
    st, sg, port = _setup()
    egress = _chain(_render(st, port), 4, 'o', port)
    spoof = egress.index('-j cs-s-%s' % port['id'][:11])
    assert egress.index('-p udp -m udp --sport 67 --dport 68 -j DROP') > spoof
    assert egress.index('-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN') > spoof
    # a DHCP discover from 0.0.0.0 passes before the anti-spoofing chain
    assert egress.index('-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 '
                        '--dport 67 -j RETURN') < spoof


def test_stateless_groups_get_no_conntrack():
    st = State()
    net = st.network(kind='local')
    st.subnet(net, '10.0.0.0/24')
    sg = st.security_group([dict(protocol='tcp')], stateful=False)
    port = st.port(net, ['10.0.0.5'], host='h', security_groups=[sg])
    out = _render(st, port)
    assert not any('conntrack' in r for r in _chain(out, 4, 'i', port))


def test_anti_spoofing_pairs_include_allowed_address_pairs_and_link_local():
    st, sg, port = _setup(allowed_address_pairs=[
        {'ip_address': '10.0.0.0/28'},
        {'ip_address': '10.0.0.77', 'mac_address': 'FA:16:3E:AA:BB:CC'}])
    out = _render(st, port)
    spoof4 = _chain(out, 4, 's', port)
    mac = port['mac_address'].upper()
    assert spoof4 == (
        '-s 10.0.0.0/28 -m mac --mac-source %s -j RETURN' % mac,
        '-s 10.0.0.5 -m mac --mac-source %s -j RETURN' % mac,
        '-s 10.0.0.77 -m mac --mac-source FA:16:3E:AA:BB:CC -j RETURN',
        '-j DROP')
    spoof6 = _chain(out, 6, 's', port)
    assert '-s fd00::5 -m mac --mac-source %s -j RETURN' % mac in spoof6
    assert '-s %s -m mac --mac-source %s -j RETURN' % (
        firewall.link_local(port['mac_address']), mac) in spoof6
    assert '-s %s -m mac --mac-source FA:16:3E:AA:BB:CC -j RETURN' % (
        firewall.link_local('fa:16:3e:aa:bb:cc')) in spoof6


def test_link_local_is_eui64():
    assert firewall.link_local('fa:16:3e:00:00:01') == 'fe80::f816:3eff:fe00:1'


def test_remote_groups_are_ipsets_of_their_members():
    st, sg, port = _setup()
    other = st.security_group()
    st.rule(sg, remote_group_id=other['id'])
    st.rule(sg, remote_group_id=other['id'], ethertype='IPv6', direction='egress')
    st.port(st.networks[port['network_id']], ['10.0.0.9', 'fd00::9'], host='h2',
            security_groups=[other])
    state = st.for_host('h')
    # member_ips may come by ethertype, as the manager gives them
    group = state['security_groups'][other['id']]
    group['member_ips'] = {'IPv4': ['10.0.0.9'], 'IPv6': ['fd00::9']}
    out = firewall.render([port], state, {})
    v4 = 'cs4-' + other['id'].replace('-', '')[:27]
    v6 = 'cs6-' + other['id'].replace('-', '')[:27]
    assert out.ipsets == {v4: (4, frozenset({'10.0.0.9/32'})), v6: (6, frozenset({'fd00::9/128'}))}
    assert '-m set --match-set %s src -j RETURN' % v4 in _chain(out, 4, 'i', port)
    assert '-m set --match-set %s dst -j RETURN' % v6 in _chain(out, 6, 'o', port)
    assert all(len(name) <= 31 for name in out.ipsets)


def test_address_groups_and_zero_prefixes():
    st, sg, port = _setup()
    st.address_groups['ag'] = {'id': 'ag', 'addresses': ['0.0.0.0/0', '10.9.0.0/16']}
    st.rule(sg, remote_address_group_id='ag')
    st.rule(sg, remote_ip_prefix='0.0.0.0/0', protocol='udp')
    out = _render(st, port)
    name = 'csa4-ag'
    assert out.ipsets[name] == (4, frozenset({'0.0.0.0/1', '128.0.0.0/1', '10.9.0.0/16'}))
    assert '-p udp -j RETURN' in _chain(out, 4, 'i', port)


def test_forward_chain_and_zones():
    st, sg, port = _setup()
    out = _render(st, port)
    tap = 'tap' + port['id'][:11]
    forward = out.chains[4]['filter']['cs-FORWARD']
    assert forward == (
        '-m physdev --physdev-in %s --physdev-is-bridged -j cs-o-%s' % (tap, port['id'][:11]),
        '-m physdev --physdev-out %s --physdev-is-bridged -j cs-i-%s' % (tap, port['id'][:11]),
        '-o brq+ -m physdev --physdev-is-bridged -j ACCEPT')
    assert out.chains[4]['raw']['cs-PREROUTING'] == (
        '-i brq%s -j CT --zone 7' % port['network_id'][:11],)
    assert all(len(c) <= 28 for t in out.chains[4].values() for c in t)


def test_which_ports_are_filtered():
    assert firewall.is_filtered({'device_owner': 'compute:nova'})
    assert not firewall.is_filtered({'device_owner': 'compute:nova', 'port_security_enabled': False})
    assert not firewall.is_filtered({'device_owner': 'network:dhcp'})
    assert firewall.is_filtered({'device_owner': ''})


def test_the_bridge_table_keeps_a_port_to_its_macs_and_addresses():
    st, sg, port = _setup(allowed_address_pairs=[
        {'ip_address': '10.0.0.77', 'mac_address': 'fa:16:3e:aa:bb:cc'}])
    out = _render(st, port)
    assert out.chains['eb']['nat'] == {}            # nothing left in ebtables
    bridge = {chain: [bridge_table.text(r) for r in rules] for chain, rules in out.bridge.items()}
    short, mac = port['id'][:11], port['mac_address']
    assert bridge['PREROUTING'] == ['iifname tap%s jump cs-m-%s' % (short, short)]
    assert bridge['cs-m-' + short] == ['ether type 0x0806 jump cs-a-' + short,
                                       'ether saddr %s return' % mac,
                                       'ether saddr fa:16:3e:aa:bb:cc return', 'drop']
    arp = bridge['cs-a-' + short]
    ipv4_arp = 'arp htype 1 ptype ip hlen 6 plen 4 '
    assert ipv4_arp + 'arp saddr ether %s arp saddr ip 10.0.0.5 return' % mac in arp
    assert ipv4_arp + 'arp saddr ether fa:16:3e:aa:bb:cc arp saddr ip 10.0.0.77 return' in arp
    assert ipv4_arp + 'arp saddr ether %s arp saddr ip 0.0.0.0 return' % mac in arp
    assert not any('fd00' in r or 'fe80' in r for r in arp)
    assert arp[-1] == 'drop'
