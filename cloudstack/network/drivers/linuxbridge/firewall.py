"""Security groups as iptables chains on the bridge ports of a host.

`render(ports, state)` turns the ports bound to the host into chains, for
iptables (IPv4) and ip6tables (IPv6), and the ipsets of their remote groups.
Everything is pure: the dataplane applies the result and diffs it.

Per filtered port (port security on), with physdev matches on its tap so the
rules are in place before the tap appears:
  cs-FORWARD  (jumped to first from FORWARD) sends frames leaving the tap
              to cs-o-<port> and frames going to it to cs-i-<port>; what
              they let through, and every other frame bridged by a brq
              bridge, is accepted;
  cs-o-<port> DHCP and anti-spoofing (cs-s-<port>: the MAC and IP pairs
              of its fixed IPs and allowed address pairs), then conntrack,
              then the egress rules of its groups, else cs-sg-fallback;
  cs-i-<port> conntrack, DHCP replies and neighbour discovery, then the
              ingress rules of its groups, else cs-sg-fallback (drop).
and in the driver's bridge table (bridge_table.py: nftables, ahead of
ebtables' nat PREROUTING), for what iptables never sees:
  cs-m-<port> frames from the tap only from its MACs, its ARP (cs-a-<port>)
              only for its addresses (no ARP spoofing).
(ebtables is left with no chain of ours: one found, an older driver's, is
removed.)
A rule returns (RETURN) what it allows, so a frame between two filtered
ports of the host passes the egress chain of one and the ingress chain of
the other.
"""
import functools
import ipaddress

from cloudstack.network.drivers.linuxbridge import bridge_table
from cloudstack.network.drivers.linuxbridge import names

FORWARD = names.CHAIN + 'FORWARD'
FALLBACK = names.CHAIN + 'sg-fallback'
PREROUTING = names.CHAIN + 'PREROUTING'

FAMILIES = (4, 6, 'eb')             # iptables, ip6tables, ebtables
TABLES = {4: ('filter', 'raw'), 6: ('filter', 'raw'), 'eb': ('nat',)}
# (table, built-in chain, our chain) jumped to first.
HOOKS = {4: (('filter', 'FORWARD', FORWARD), ('raw', 'PREROUTING', PREROUTING)),
         6: (('filter', 'FORWARD', FORWARD), ('raw', 'PREROUTING', PREROUTING)),
         'eb': (('nat', 'PREROUTING', PREROUTING),)}

_PROTOCOL_NAMES = {'1': 'icmp', '6': 'tcp', '17': 'udp', '58': 'ipv6-icmp', '132': 'sctp',
                   '136': 'udplite', '33': 'dccp', 'icmpv6': 'ipv6-icmp'}
_PORT_PROTOCOLS = ('tcp', 'udp', 'sctp', 'udplite', 'dccp')
# ICMPv6 a port always receives: MLD query, router advertisement, neighbour
# solicitation and advertisement.
_ICMPV6_INGRESS = (130, 134, 135, 136)
# ICMPv6 a port may send from :: before it has an address: MLD reports and
# neighbour solicitations (duplicate address detection).
_ICMPV6_UNSPECIFIED = (131, 135, 143)
DHCP_PORT_OWNER = 'network:dhcp'


def is_filtered(port):
    """Whether the port gets security group chains: an instance's (or any
    non-network) port with port security on."""
    return (port.get('port_security_enabled', True)
            and not (port.get('device_owner') or '').startswith('network:'))


def _family(ip):
    return 6 if ':' in ip else 4


@functools.lru_cache(maxsize=4096)
def link_local(mac):
    """The EUI-64 IPv6 link-local address of a MAC."""
    octets = [int(b, 16) for b in mac.split(':')]
    octets[0] ^= 0x02
    eui = octets[:3] + [0xff, 0xfe] + octets[3:]
    return str(ipaddress.IPv6Address(b'\xfe\x80' + b'\x00' * 6 + bytes(eui)))


def allowed_pairs(port):
    """(MAC, CIDR) pairs the port may send from: its fixed IPs, its allowed
    address pairs, and the IPv6 link-local address of each MAC."""
    mac = port['mac_address'].lower()
    pairs = {(mac, ip['ip_address']) for ip in port.get('fixed_ips', ())}
    for pair in port.get('allowed_address_pairs') or ():
        pairs.add(((pair.get('mac_address') or mac).lower(), pair['ip_address']))
    for m in {m for m, _ in pairs} | {mac}:
        pairs.add((m, link_local(m)))
    return sorted(pairs)


def _protocol(rule, family):
    proto = rule.get('protocol')
    if proto in (None, '', 'any', '0'):
        return None
    proto = _PROTOCOL_NAMES.get(str(proto).lower(), str(proto).lower())
    if family == 6 and proto == 'icmp':
        proto = 'ipv6-icmp'
    return proto


def _ports_match(proto, rule, family):
    low, high = rule.get('port_range_min'), rule.get('port_range_max')
    if proto in _PORT_PROTOCOLS:
        if low is None and high is None:
            return []
        low = low if low is not None else 1
        high = high if high is not None else 65535
        return ['-m', proto, '--dport', str(low) if low == high else '%d:%d' % (low, high)]
    if proto in ('icmp', 'ipv6-icmp') and low is not None:
        spec = str(low) if high is None else '%d/%d' % (low, high)
        if family == 4:
            return ['-m', 'icmp', '--icmp-type', spec]
        return ['-m', 'icmp6', '--icmpv6-type', spec]
    return []


def _quote(words):
    return ' '.join(words)


class Render:
    """What one sync wants: chains[family][table][chain] = tuple of rule
    strings (each the part after `-A chain `), ipsets[name] =
    (family, frozenset of CIDRs) and bridge[chain] = tuple of
    bridge_table rules."""

    def __init__(self):
        self.chains = {f: {t: {} for t in TABLES[f]} for f in FAMILIES}
        self.ipsets = {}
        self.bridge = {}


def render(ports, state, zones):
    """Chains and ipsets for `ports` (the filtered ports bound to the host).

    `zones` maps a bridge name to its conntrack zone, so that two networks
    with overlapping addresses never share connection tracking.
    """
    out = Render()
    groups = state.get('security_groups') or {}
    address_groups = state.get('address_groups') or {}
    ports = sorted(ports, key=lambda p: p['id'])
    pairs = {port['id']: tuple(allowed_pairs(port)) for port in ports}
    for family in (4, 6):
        filt = out.chains[family]['filter']
        forward = []
        by_groups = {}          # the chains' bodies depend on the groups alone
        for port in ports:
            key = tuple(port.get('security_groups') or ())
            if key not in by_groups:
                by_groups[key] = _group_rules(key, family, out, groups, address_groups)
            jumps, chains = _port_chains(port['id'], pairs[port['id']], family, *by_groups[key])
            forward.extend(jumps)
            filt.update(chains)
        forward.append('-o %s+ -m physdev --physdev-is-bridged -j ACCEPT' % names.BRIDGE)
        filt[FORWARD] = tuple(forward)
        filt[FALLBACK] = ('-j DROP',)
        out.chains[family]['raw'][PREROUTING] = tuple(
            '-i %s -j CT --zone %d' % (bridge, zone) for bridge, zone in sorted(zones.items()))
    jumps = []
    for port in ports:
        jump, chains = _mac_chains(port['id'], pairs[port['id']])
        jumps.append(jump)
        out.bridge.update(chains)
    out.bridge[bridge_table.BASE_CHAIN] = tuple(jumps)
    return out


# A port's chains are the same from one sync to the next unless its
# addresses or its groups' rules change: kept, not formatted again.
@functools.lru_cache(maxsize=8192)
def _port_chains(port_id, pairs, family, stateful, ingress, egress):
    """(its two jumps in cs-FORWARD, {chain: rules}) of a port in `family`."""
    tap = names.tap(port_id)
    i, o, s = (names.port_chain(d, port_id) for d in 'ios')
    jumps = ('-m physdev --physdev-in %s --physdev-is-bridged -j %s' % (tap, o),
             '-m physdev --physdev-out %s --physdev-is-bridged -j %s' % (tap, i))
    return jumps, ((s, tuple(_spoof_chain(pairs, family))),
                   (o, tuple(_egress_chain(family, s, stateful, egress))),
                   (i, tuple(_ingress_chain(family, stateful, ingress))))


@functools.lru_cache(maxsize=4096)
def _mac_chains(port_id, pairs):
    """(its jump in the bridge table's base chain, {chain: rules}) of a port."""
    m, a = names.port_chain('m', port_id), names.port_chain('a', port_id)
    macs = sorted({mac for mac, _ in pairs})
    drop = ((), ('drop',))
    arp = [(('arp_ipv4',), ('arp_sha', mac), ('arp_spa', cidr))
           for mac, cidr in pairs if _family(cidr) == 4]
    arp += [(('arp_ipv4',), ('arp_sha', mac), ('arp_spa', '0.0.0.0'))     # probes (RFC 5227)
            for mac in macs]
    return (((('iifname', names.tap(port_id)),), ('jump', m)), (
        (m, tuple([((('ether_type', bridge_table.ARP),), ('jump', a))]
                  + [((('ether_saddr', mac),), ('return',)) for mac in macs] + [drop])),
        (a, tuple([(match, ('return',)) for match in arp] + [drop]))))


def _group_rules(group_ids, family, out, groups, address_groups):
    """(stateful, ingress rules, egress rules) of a port in these groups."""
    port_groups = [groups[g] for g in group_ids if g in groups]
    stateful = all(g.get('stateful', True) for g in port_groups)
    ingress, egress = [], []
    for group in port_groups:
        for rule in group.get('security_group_rules') or ():
            line = _rule(rule, family, out, groups, address_groups)
            if line is None:
                continue
            target = ingress if rule.get('direction') == 'ingress' else egress
            if line not in target:
                target.append(line)
    return stateful, tuple(ingress), tuple(egress)


def _spoof_chain(pairs, family):
    rules = []
    for mac, cidr in pairs:
        if _family(cidr) == family:
            rules.append('-s %s -m mac --mac-source %s -j RETURN' % (cidr, mac.upper()))
    rules.append('-j DROP')
    return rules


def _egress_chain(family, spoof, stateful, rules):
    out = []
    if family == 4:
        out.append('-s 0.0.0.0/32 -d 255.255.255.255/32 -p udp -m udp --sport 68 --dport 67 -j RETURN')
    else:
        out.extend('-s ::/128 -d ff02::/16 -p ipv6-icmp -m icmp6 --icmpv6-type %d -j RETURN' % t
                   for t in _ICMPV6_UNSPECIFIED)
    out.append('-j %s' % spoof)
    if family == 4:
        out.append('-p udp -m udp --sport 68 --dport 67 -j RETURN')
        out.append('-p udp -m udp --sport 67 --dport 68 -j DROP')
    else:
        out.append('-p ipv6-icmp -m icmp6 --icmpv6-type 134 -j DROP')
        out.append('-p ipv6-icmp -j RETURN')
        out.append('-p udp -m udp --sport 546 --dport 547 -j RETURN')
        out.append('-p udp -m udp --sport 547 --dport 546 -j DROP')
    if stateful:
        out.append('-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN')
        out.append('-m conntrack --ctstate INVALID -j DROP')
    out.extend(rules)
    out.append('-j %s' % FALLBACK)
    return out


def _ingress_chain(family, stateful, rules):
    out = []
    if stateful:
        out.append('-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN')
    if family == 4:
        out.append('-p udp -m udp --sport 67 --dport 68 -j RETURN')
    else:
        out.extend('-p ipv6-icmp -m icmp6 --icmpv6-type %d -j RETURN' % t for t in _ICMPV6_INGRESS)
        out.append('-p udp -m udp --sport 547 --dport 546 -j RETURN')
    if stateful:
        out.append('-m conntrack --ctstate INVALID -j DROP')
    out.extend(rules)
    out.append('-j %s' % FALLBACK)
    return out


def _rule(rule, family, out, groups, address_groups):
    """One security group rule as an iptables rule for `family`, or None when
    it does not apply to that family."""
    if rule.get('ethertype', 'IPv4') != 'IPv%d' % family:
        return None
    ingress = rule.get('direction') == 'ingress'
    words = []
    prefix = rule.get('remote_ip_prefix')
    if prefix:
        net = ipaddress.ip_network(prefix, strict=False)
        if net.version != family:
            return None
        if net.prefixlen:
            words += ['-s' if ingress else '-d', str(net)]
    elif rule.get('remote_group_id'):
        members = _member_ips(groups.get(rule['remote_group_id']))
        name = names.group_ipset(family, rule['remote_group_id'])
        _add_ipset(out, name, family, members)
        words += ['-m', 'set', '--match-set', name, 'src' if ingress else 'dst']
    elif rule.get('remote_address_group_id'):
        group = address_groups.get(rule['remote_address_group_id'])
        members = (group or {}).get('addresses') or ()
        name = names.address_group_ipset(family, rule['remote_address_group_id'])
        _add_ipset(out, name, family, members)
        words += ['-m', 'set', '--match-set', name, 'src' if ingress else 'dst']
    proto = _protocol(rule, family)
    if proto is not None:
        if (proto == 'icmp' and family == 6) or (proto == 'ipv6-icmp' and family == 4):
            return None
        words += ['-p', proto] + _ports_match(proto, rule, family)
    words += ['-j', 'RETURN']
    return _quote(words)


def _member_ips(group):
    """A group's member addresses: a list, or lists by ethertype."""
    members = (group or {}).get('member_ips') or ()
    if isinstance(members, dict):
        return [ip for ips in members.values() for ip in ips or ()]
    return members


def _add_ipset(out, name, family, members):
    if name in out.ipsets:
        return
    cidrs = set()
    for member in members:
        version, entries = _set_entries(member)
        if version == family:
            cidrs.update(entries)
    out.ipsets[name] = (family, frozenset(cidrs))


@functools.lru_cache(maxsize=65536)
def _set_entries(member):
    """(IP version, hash:net entries) of an address or CIDR."""
    net = ipaddress.ip_network(member, strict=False)
    if net.prefixlen == 0:        # hash:net holds no /0: two halves instead
        return net.version, tuple(str(half) for half in net.subnets(new_prefix=1))
    return net.version, (str(net),)
