"""A router's namespace: its NAT and filter tables, routes and metadata map.

The namespace is the driver's alone, so each table is written whole.
"""
import ipaddress

from cloudstack.network.drivers.linuxbridge import names

METADATA_IP = '169.254.169.254'
METADATA_PORT = 9697            # where the router's proxy listens; 80 is redirected to it
C = names.CHAIN
EXTERNAL_MARK = '0x2/0xffff'    # packets that entered through the gateway interface


def _table(name, builtins, chains, rules):
    lines = ['*' + name]
    lines += [':%s ACCEPT [0:0]' % b for b in builtins]
    lines += [':%s - [0:0]' % c for c in chains]
    lines += rules
    lines.append('COMMIT')
    return '\n'.join(lines) + '\n'


def render_ipv4(gateway_if, gateway_ips, enable_snat, floating_ips, metadata):
    """iptables-restore input for the router's namespace.

    floating_ips: (floating address, fixed address) pairs;
    port_forwardings are in `floating_ips` as (floating address, None, forwardings).
    """
    nat = ['-A PREROUTING -j %sPREROUTING' % C, '-A OUTPUT -j %sOUTPUT' % C,
           '-A POSTROUTING -j %sPOSTROUTING' % C]
    if metadata:
        nat.append('-A %sPREROUTING -d %s/32 -i %s+ -p tcp -m tcp --dport 80 '
                   '-j REDIRECT --to-ports %d' % (C, METADATA_IP, names.ROUTER_IF, METADATA_PORT))
    for fip, fixed, forwardings in floating_ips:
        if fixed:
            for chain in ('PREROUTING', 'OUTPUT'):
                nat.append('-A %s%s -d %s/32 -j DNAT --to-destination %s' % (C, chain, fip, fixed))
            nat.append('-A %sfloat-snat -s %s/32 -j SNAT --to-source %s' % (C, fixed, fip))
        for pf in forwardings:
            proto = pf.get('protocol') or 'tcp'
            ext = pf.get('external_port_range') or str(pf['external_port'])
            internal = pf.get('internal_port_range') or str(pf['internal_port'])
            ext, internal = ext.replace('-', ':'), internal.replace(':', '-')
            for chain in ('PREROUTING', 'OUTPUT'):
                nat.append('-A %s%s -d %s/32 -p %s -m %s --dport %s -j DNAT --to-destination %s:%s'
                           % (C, chain, fip, proto, proto, ext, pf['internal_ip_address'], internal))
    if gateway_if:
        nat.append('-A %sPOSTROUTING ! -o %s -m conntrack ! --ctstate DNAT -j ACCEPT' % (C, gateway_if))
    nat.append('-A %sPOSTROUTING -j %sfloat-snat' % (C, C))
    if gateway_if and enable_snat and gateway_ips:
        nat.append('-A %sPOSTROUTING -o %s -j SNAT --to-source %s' % (C, gateway_if, gateway_ips[0]))
        # an instance reaching a floating IP of the same router: the answer
        # must come back through us (what came in from outside is marked)
        nat.append('-A %sPOSTROUTING -m mark ! --mark %s -m conntrack --ctstate DNAT '
                   '-j SNAT --to-source %s' % (C, EXTERNAL_MARK, gateway_ips[0]))
    filt = ['-A INPUT -j %sINPUT' % C]
    if metadata:
        filt.append('-A %sINPUT -i %s+ -p tcp -m tcp --dport %d -j ACCEPT'
                    % (C, names.ROUTER_IF, METADATA_PORT))
    filt.append('-A %sINPUT -p tcp -m tcp --dport %d -j DROP' % (C, METADATA_PORT))
    mangle = ['-A PREROUTING -j %sPREROUTING' % C]
    if gateway_if:
        mangle.append('-A %sPREROUTING -i %s -j MARK --set-xmark %s' % (C, gateway_if, EXTERNAL_MARK))
    return (_table('mangle', ('PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'),
                   (C + 'PREROUTING',), mangle)
            + _table('nat', ('PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'),
                   (C + 'PREROUTING', C + 'OUTPUT', C + 'POSTROUTING', C + 'float-snat'), nat)
            + _table('filter', ('INPUT', 'FORWARD', 'OUTPUT'), (C + 'INPUT',), filt))


def default_routes(gw_port, subnets_by_id):
    """(destination, gateway) for each IP version the gateway port has an
    address with a gateway in."""
    routes = []
    for ip in (gw_port or {}).get('fixed_ips', ()):
        subnet = subnets_by_id.get(ip['subnet_id'])
        if subnet and subnet.get('gateway_ip'):
            dst = '0.0.0.0/0' if subnet['ip_version'] == 4 else '::/0'
            if all(d != dst for d, _ in routes):
                routes.append((dst, subnet['gateway_ip']))
    return routes


def extra_routes(router):
    routes = []
    for route in router.get('routes') or ():
        dst = str(ipaddress.ip_network(route['destination'], strict=False))
        routes.append((dst, route['nexthop']))
    return routes
