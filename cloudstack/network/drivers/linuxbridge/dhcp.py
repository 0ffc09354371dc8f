"""dnsmasq for one network: its command line and the files it reads.

The command line changes only with the network's subnets and the DHCP
port's interface (then dnsmasq restarts); ports come and go through the
files, which dnsmasq re-reads on SIGHUP:
  host       --dhcp-hostsfile: MAC -> address, host name
  addn_hosts --addn-hosts: address -> names, for DNS
  opts       --dhcp-optsfile: per subnet router, DNS servers and routes
             (the metadata route included), per port extra DHCP options
"""
import ipaddress
import os
import secrets
import struct

METADATA_IP = '169.254.169.254'
ROUTER_INTERFACE_OWNERS = ('network:router_interface', 'network:ha_router_replicated_interface',
                           'network:router_interface_distributed')
_V6_DHCP_MODES = ('dhcpv6-stateful', 'dhcpv6-stateless')


def serves(subnet):
    """Whether dnsmasq answers DHCP for the subnet: IPv4 with DHCP on, IPv6
    in a DHCPv6 mode (SLAAC-only subnets get nothing from dnsmasq)."""
    if not subnet.get('enable_dhcp', True):
        return False
    if subnet['ip_version'] == 4:
        return True
    return subnet.get('ipv6_address_mode') in _V6_DHCP_MODES or (
        not subnet.get('ipv6_address_mode') and not subnet.get('ipv6_ra_mode'))


def isolated(subnet, ports):
    """A subnet no router is attached to: its metadata is served by the DHCP
    namespace."""
    return not any(p.get('device_owner') in ROUTER_INTERFACE_OWNERS
                   and any(ip['subnet_id'] == subnet['id'] for ip in p.get('fixed_ips', ()))
                   for p in ports)


def hostname(port, ip):
    if port.get('dns_name'):
        return port['dns_name']
    return 'host-' + ip.replace('.', '-').replace(':', '-')


def _tag(subnet):
    return 'subnet-' + subnet['id']


def _port_tag(port):
    return 'port-' + port['id']


def render(network, subnets, dhcp_port, ports, settings, interface, metadata):
    """(argv, files) of the dnsmasq serving `network` on `interface` in its
    namespace. `metadata`: whether the namespace serves 169.254.169.254 for
    its isolated subnets."""
    served = sorted((s for s in subnets if serves(s)), key=lambda s: s['id'])
    directory = os.path.join(settings.state_dir, 'dhcp', network['id'])
    path = {name: os.path.join(directory, name) for name in ('host', 'addn_hosts', 'opts', 'leases')}
    dhcp_ips = {ip['subnet_id']: ip['ip_address'] for ip in dhcp_port.get('fixed_ips', ())}
    mtu = network.get('mtu')
    argv = [settings.dnsmasq, '--no-hosts', '--strict-order', '--except-interface=lo',
            '--pid-file=' + os.path.join(directory, 'pid'),
            '--dhcp-hostsfile=' + path['host'], '--addn-hosts=' + path['addn_hosts'],
            '--dhcp-optsfile=' + path['opts'], '--dhcp-leasefile=' + path['leases'],
            '--dhcp-match=set:ipxe,175', '--dhcp-userclass=set:ipxe6,iPXE',
            '--local-service', '--bind-dynamic', '--interface=' + interface,
            '--dhcp-authoritative', '--conf-file=/dev/null',
            '--domain=' + settings.dns_domain, '--user=' + settings.dnsmasq_user,
            '--dhcp-lease-max=%d' % max(16, sum(_size(s) for s in served))]
    if settings.dns_servers:
        argv += ['--no-resolv'] + ['--server=' + s for s in settings.dns_servers]
    else:
        argv.append('--no-resolv')
    for subnet in served:
        net = ipaddress.ip_network(subnet['cidr'])
        lease = '%ds' % settings.dhcp_lease_duration if settings.dhcp_lease_duration > 0 else 'infinite'
        if net.version == 4:
            argv.append('--dhcp-range=set:%s,%s,static,%s,%s' % (
                _tag(subnet), net.network_address, net.netmask, lease))
        else:
            argv.append('--dhcp-range=set:%s,%s,static,%d,%s' % (
                _tag(subnet), net.network_address, net.prefixlen, lease))
    if mtu:
        argv.append('--dhcp-option-force=option:mtu,%d' % mtu)
    # Ports with extra options are tagged by MAC here, not in the hosts file:
    # dnsmasq 2.90 crashes on SIGHUP when a leased host's entry there sets a tag.
    for port in sorted(ports, key=lambda p: p['id']):
        if port.get('extra_dhcp_opts') and port.get('device_owner') != 'network:dhcp':
            argv.append('--dhcp-mac=set:%s,%s' % (_port_tag(port), port['mac_address'].lower()))
    files = {
        path['host']: _hosts(served, ports),
        path['addn_hosts']: _addn_hosts(subnets, ports, settings.dns_domain),
        path['opts']: _opts(served, subnets, ports, dhcp_ips, metadata, settings.dns_domain),
    }
    return argv, files


def _size(subnet):
    net = ipaddress.ip_network(subnet['cidr'])
    return min(net.num_addresses, 1 << 16)


def _addresses(port, subnet_ids):
    return [ip for ip in port.get('fixed_ips', ()) if ip['subnet_id'] in subnet_ids]


def _hosts(served, ports):
    by_id = {s['id']: s for s in served}
    lines = []
    for port in sorted(ports, key=lambda p: p['id']):
        if port.get('device_owner') == 'network:dhcp':
            continue
        mac = port['mac_address'].lower()
        for ip in _addresses(port, by_id):
            subnet = by_id[ip['subnet_id']]
            name = hostname(port, ip['ip_address'])
            if subnet['ip_version'] == 4:
                lines.append('%s,%s,%s' % (mac, name, ip['ip_address']))
            elif subnet.get('ipv6_address_mode') == 'dhcpv6-stateless':
                lines.append('%s,%s' % (mac, name))
            else:
                lines.append('%s,%s,[%s]' % (mac, name, ip['ip_address']))
    return ''.join(line + '\n' for line in lines)


def _addn_hosts(subnets, ports, domain):
    lines = []
    for port in sorted(ports, key=lambda p: p['id']):
        for ip in port.get('fixed_ips', ()):
            name = hostname(port, ip['ip_address'])
            lines.append('%s\t%s.%s %s' % (ip['ip_address'], name, domain, name))
    return ''.join(line + '\n' for line in lines)


def _opts(served, subnets, ports, dhcp_ips, metadata, domain):
    lines = []
    v4_subnets = [s for s in subnets if s['ip_version'] == 4]
    for subnet in served:
        tag = 'tag:' + _tag(subnet)
        dhcp_ip = dhcp_ips.get(subnet['id'])
        servers = subnet.get('dns_nameservers') or ([dhcp_ip] if dhcp_ip else [])
        if subnet['ip_version'] == 6:
            if servers:
                lines.append('%s,option6:dns-server,%s' % (
                    tag, ','.join('[%s]' % s for s in servers)))
            lines.append('%s,option6:domain-search,%s' % (tag, domain))
            continue
        if servers:
            lines.append('%s,option:dns-server,%s' % (tag, ','.join(servers)))
        routes = []
        for other in v4_subnets:         # the network's other subnets are on the link
            if other['id'] != subnet['id']:
                routes.append((other['cidr'], '0.0.0.0'))
        for route in subnet.get('host_routes') or ():
            if ipaddress.ip_network(route['destination'], strict=False).version == 4:
                routes.append((route['destination'], route['nexthop']))
        if metadata and dhcp_ip and isolated(subnet, ports):
            routes.append((METADATA_IP + '/32', dhcp_ip))
        gateway = subnet.get('gateway_ip')
        if routes:
            if gateway and not any(d == '0.0.0.0/0' for d, _ in routes):
                routes.append(('0.0.0.0/0', gateway))
            flat = ','.join('%s,%s' % r for r in routes)
            lines.append('%s,option:classless-static-route,%s' % (tag, flat))
            lines.append('%s,249,%s' % (tag, flat))       # the same, for Windows
        if gateway:
            lines.append('%s,option:router,%s' % (tag, gateway))
        else:
            lines.append('%s,option:router' % tag)
    for port in sorted(ports, key=lambda p: p['id']):
        for opt in port.get('extra_dhcp_opts') or ():
            lines.append(_extra_option(port, opt))
    return ''.join(line + '\n' for line in lines)


def _extra_option(port, opt):
    name, value = str(opt['opt_name']), opt.get('opt_value')
    v6 = str(opt.get('ip_version', 4)) == '6'
    if not name.isdigit() and not name.startswith(('option:', 'option6:')):
        name = ('option6:' if v6 else 'option:') + name
    elif name.isdigit() and v6:
        name = 'option6:' + name
    value = '' if value is None else ' '.join(str(value).split())
    return 'tag:%s,%s,%s' % (_port_tag(port), name, value)


def host_pairs(ports, subnets):
    """The (MAC, IPv4 address) pairs the hosts file gives out."""
    v4 = {s['id'] for s in subnets if s['ip_version'] == 4 and serves(s)}
    return frozenset((p['mac_address'].lower(), ip['ip_address']) for p in ports
                     if p.get('device_owner') != 'network:dhcp'
                     for ip in p.get('fixed_ips', ()) if ip['subnet_id'] in v4)


def read_leases(path):
    """[(MAC, address, client id or None)] of the IPv4 leases in dnsmasq's
    lease file."""
    leases = []
    try:
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 5 and fields[0] != 'duid' and ':' not in fields[2]:
                    leases.append((fields[1].lower(), fields[2],
                                   None if fields[4] == '*' else fields[4]))
    except FileNotFoundError:
        pass
    return leases


def release_packet(mac, address, server, client_id=None):
    """A DHCPRELEASE for the lease of `mac` on `address`, to `server`: what
    makes dnsmasq forget a lease at once, so the address can go to a new
    port (whose MAC differs) before the old lease would expire."""
    chaddr = bytes(int(b, 16) for b in mac.split(':')).ljust(16, b'\0')
    header = struct.pack('!BBBBIHH4s4s4s4s16s64s128s', 1, 1, 6, 0, secrets.randbits(32), 0, 0,
                         ipaddress.IPv4Address(address).packed, b'\0' * 4, b'\0' * 4,
                         b'\0' * 4, chaddr, b'', b'')
    options = bytes([99, 130, 83, 99, 53, 1, 7, 54, 4]) + ipaddress.IPv4Address(server).packed
    if client_id:
        cid = bytes(int(b, 16) for b in client_id.split(':'))
        options += bytes([61, len(cid)]) + cid
    return header + options + bytes([255])
