"""What the driver sends iptables-restore, ebtables-restore and ipset restore."""
from cloudstack.network.drivers.linuxbridge import firewall
from cloudstack.network.drivers.linuxbridge import iptables


def _firewall(chains=None, hooks=None, ipsets=None):
    fw = iptables.HostFirewall(None)
    fw.chains = chains or {f: {t: {} for t in firewall.TABLES[f]} for f in firewall.FAMILIES}
    fw.hooks = hooks or {f: set() for f in firewall.FAMILIES}
    fw.ipsets = ipsets or {}
    return fw


def test_first_apply_declares_chains_and_hooks_them_first():
    fw = _firewall()
    text = fw._restore_input(4, {'filter': {'cs-FORWARD': ('-j cs-x', '-o brq+ -j ACCEPT'),
                                            'cs-x': ('-j RETURN',)},
                                 'raw': {'cs-PREROUTING': ()}}, True)
    lines = text.splitlines()
    assert lines[:3] == ['*filter', ':cs-FORWARD - [0:0]', ':cs-x - [0:0]']
    assert '-I FORWARD 1 -j cs-FORWARD' in lines
    assert lines.index('-A cs-FORWARD -j cs-x') < lines.index('-A cs-FORWARD -o brq+ -j ACCEPT')
    assert '-I PREROUTING 1 -j cs-PREROUTING' in lines
    assert lines.count('COMMIT') == 2


def test_unchanged_chains_are_not_sent_and_a_port_more_is_an_insert():
    before = {'cs-FORWARD': ('-j cs-a', '-o brq+ -j ACCEPT'), 'cs-a': ('-j RETURN',)}
    fw = _firewall(chains={4: {'filter': dict(before), 'raw': {}}},
                   hooks={4: {('filter', 'FORWARD', 'cs-FORWARD')}})
    assert fw._restore_input(4, {'filter': dict(before), 'raw': {}}, True) is None
    after = dict(before, **{'cs-FORWARD': ('-j cs-a', '-j cs-b', '-o brq+ -j ACCEPT'),
                            'cs-b': ('-j DROP',)})
    lines = fw._restore_input(4, {'filter': after, 'raw': {}}, True).splitlines()
    assert lines == ['*filter', ':cs-b - [0:0]', '-I cs-FORWARD 1 -j cs-b', '-A cs-b -j DROP',
                     'COMMIT']


def test_a_port_less_deletes_its_jump_and_its_chain():
    before = {'cs-FORWARD': ('-j cs-a', '-j cs-b', '-o brq+ -j ACCEPT'),
              'cs-a': ('-j RETURN',), 'cs-b': ('-j DROP',)}
    fw = _firewall(chains={4: {'filter': before, 'raw': {}}},
                   hooks={4: {('filter', 'FORWARD', 'cs-FORWARD')}})
    after = {'cs-FORWARD': ('-j cs-a', '-o brq+ -j ACCEPT'), 'cs-a': ('-j RETURN',)}
    lines = fw._restore_input(4, {'filter': after, 'raw': {}}, True).splitlines()
    assert lines == ['*filter', ':cs-b - [0:0]', '-D cs-FORWARD -j cs-b', '-X cs-b', 'COMMIT']


def test_disabled_removes_hooks_then_chains():
    fw = _firewall(chains={'eb': {'nat': {'cs-PREROUTING': ('-i tapx -j cs-m-x',),
                                          'cs-m-x': ('-j DROP',)}}},
                   hooks={'eb': {('nat', 'PREROUTING', 'cs-PREROUTING')}})
    lines = fw._restore_input('eb', {'nat': {}}, False).splitlines()
    assert lines == ['*nat', ':cs-PREROUTING RETURN', ':cs-m-x RETURN',
                     '-D PREROUTING -j cs-PREROUTING', '-X cs-PREROUTING', '-X cs-m-x', 'COMMIT']


def test_chains_of_ebtables_no_longer_wanted_lose_their_hook_first():
    fw = _firewall(chains={'eb': {'nat': {'cs-PREROUTING': None, 'cs-m-x': None}}},
                   hooks={'eb': {('nat', 'PREROUTING', 'cs-PREROUTING')}})
    lines = fw._restore_input('eb', {'nat': {}}, True).splitlines()
    assert lines == ['*nat', ':cs-PREROUTING RETURN', ':cs-m-x RETURN',
                     '-D PREROUTING -j cs-PREROUTING', '-X cs-PREROUTING', '-X cs-m-x', 'COMMIT']


def test_unknown_content_is_written_again():
    fw = _firewall(chains={6: {'filter': {'cs-x': None}, 'raw': {}}})
    lines = fw._restore_input(6, {'filter': {'cs-x': ('-j RETURN',)}, 'raw': {}}, True).splitlines()
    assert lines == ['*filter', ':cs-x - [0:0]', '-A cs-x -j RETURN', 'COMMIT']


def test_sets_new_by_swap_known_by_members():
    fw = _firewall(ipsets={'cs4-a': (4, frozenset({'10.0.0.1/32', '10.0.0.2/32'}))})
    wanted = {'cs4-a': (4, frozenset({'10.0.0.2/32', '10.0.0.3/32'})),
              'cs6-b': (6, frozenset({'fd00::1/128'}))}
    assert fw._member_changes(wanted) == [(False, 'cs4-a', '10.0.0.1/32'),
                                          (True, 'cs4-a', '10.0.0.3/32')]
    assert fw._sets_input(wanted).splitlines() == [
        'create cs6-b hash:net family inet6 -exist',
        'create cs-swap6 hash:net family inet6 -exist', 'flush cs-swap6',
        'add cs-swap6 fd00::1/128', 'swap cs-swap6 cs6-b', 'destroy cs-swap6']
    unchanged = {'cs4-a': (4, frozenset({'10.0.0.1/32', '10.0.0.2/32'}))}
    assert fw._sets_input(unchanged) is None and fw._member_changes(unchanged) == []


def test_a_member_request_reads_as_ipset_writes_it():
    from pyroute2.netlink.nfnetlink.ipset import ipset_msg
    from cloudstack.network.drivers.linuxbridge import ip_lib
    for add, member, cidr, kind, address in (
            (True, '10.1.0.0/16', 16, 'IPSET_ATTR_IPADDR_IPV4', '10.1.0.0'),
            (False, 'fd00::1/128', 128, 'IPSET_ATTR_IPADDR_IPV6', 'fd00::1')):
        msg = ipset_msg(ip_lib.ipset_message(add, 'cs-set', member, 9))
        msg.decode()
        assert msg['header']['type'] == (6 << 8) | (9 if add else 10)
        assert msg['header']['flags'] == 1 | 4          # acknowledged, no EXCL (-exist)
        assert msg.get_attr('IPSET_ATTR_SETNAME') == 'cs-set'
        assert msg.get_attr('IPSET_ATTR_PROTOCOL') == 7
        data = msg.get_attr('IPSET_ATTR_DATA')
        assert data.get_attr('IPSET_ATTR_CIDR') == cidr
        assert data.get_attr('IPSET_ATTR_IP_FROM').get_attr(kind) == address
