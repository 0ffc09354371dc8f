"""The state a host should have, compiled from `host_state()`.

`compile_state(state, settings, zones)` is pure: the same state gives the
same plan, and plans compare equal part by part, which is what lets the
dataplane apply only what changed since the last sync.
"""
import dataclasses
import ipaddress
import json
import logging
import os
import sys
import zlib

from cloudstack.network.drivers.linuxbridge import dhcp
from cloudstack.network.drivers.linuxbridge import firewall as security_groups
from cloudstack.network.drivers.linuxbridge import names
from cloudstack.network.drivers.linuxbridge import router as l3

LOG = logging.getLogger(__name__)

DHCP_OWNER = 'network:dhcp'
GATEWAY_OWNER = 'network:router_gateway'
NETWORK_OWNERS_WITHOUT_DEVICE = ('network:floatingip', 'network:router_ha_interface')
METADATA_PROXY = 'cloudstack.network.metadata_proxy'
ROUTER_ADVERTISER = 'cloudstack.network.drivers.linuxbridge.radvd'


@dataclasses.dataclass
class Settings:
    """What the dataplane needs besides the state (from [linuxbridge])."""
    state_dir: str
    host_namespace: str | None = None       # None: the namespace the process runs in
    namespace_prefix: str = ''
    physical_interface_mappings: dict = dataclasses.field(default_factory=dict)
    vxlan_port: int = 4789
    dns_domain: str = 'openstacklocal'
    dns_servers: list = dataclasses.field(default_factory=list)
    dhcp_lease_duration: int = 86400
    enable_isolated_metadata: bool = True
    dnsmasq: str = 'dnsmasq'
    dnsmasq_user: str = 'nobody'            # dnsmasq drops to it; it must reach state_dir
    python: str = sys.executable


@dataclasses.dataclass(frozen=True)
class Bridge:
    name: str
    network_id: str
    mtu: int | None
    vni: int | None = None                  # VXLAN: the VNI, our VTEP and the peers'
    local_ip: str | None = None
    peers: tuple = ()
    physical: str | None = None             # flat: the host interface enslaved


@dataclasses.dataclass(frozen=True)
class Tap:
    """An instance's tap (its hypervisor creates it): plugged, not made."""
    port_id: str
    name: str
    bridge: str
    mtu: int | None
    up: bool


@dataclasses.dataclass(frozen=True)
class Veth:
    """A port the driver makes: its tap on the bridge, its peer in a namespace."""
    port_id: str
    tap: str
    bridge: str
    namespace: str
    ifname: str
    mac: str
    mtu: int | None
    addresses: tuple                        # 'address/prefixlen', sorted
    up: bool = True


@dataclasses.dataclass(frozen=True)
class Namespace:
    name: str
    kind: str                               # 'dhcp' or 'router'
    sysctls: tuple = ()                     # (key, value)
    routes: tuple = ()                      # (destination, gateway), sorted
    iptables: str | None = None             # whole tables, IPv4


@dataclasses.dataclass(frozen=True)
class Process:
    """A daemon in a namespace: restarted when argv changes, sent SIGHUP
    when its files do."""
    key: str
    namespace: str
    argv: tuple
    files: tuple                            # (path, content, mode)
    pidfile: str
    enter_namespace: bool = True            # False: it enters the namespace itself


@dataclasses.dataclass(frozen=True)
class Leases:
    """What a DHCP server should hand out, to release what it should not."""
    namespace: str
    interface: str
    leasefile: str
    pairs: frozenset                        # (MAC, IPv4 address)
    servers: tuple                          # (server address, subnet CIDR)


@dataclasses.dataclass
class Plan:
    bridges: dict = dataclasses.field(default_factory=dict)       # name -> Bridge
    taps: dict = dataclasses.field(default_factory=dict)          # port id -> Tap
    veths: dict = dataclasses.field(default_factory=dict)         # tap name -> Veth
    namespaces: dict = dataclasses.field(default_factory=dict)    # name -> Namespace
    processes: dict = dataclasses.field(default_factory=dict)     # key -> Process
    leases: dict = dataclasses.field(default_factory=dict)        # network id -> Leases
    firewall: security_groups.Render = dataclasses.field(default_factory=security_groups.Render)
    zones: dict = dataclasses.field(default_factory=dict)         # bridge -> conntrack zone
    tracked: dict = dataclasses.field(default_factory=dict)       # port id -> (zone, addresses)
    down: set = dataclasses.field(default_factory=set)            # bound ports we cannot wire


def _plen(subnets_by_id, ip):
    subnet = subnets_by_id.get(ip['subnet_id'])
    if subnet is None:
        return None
    return ipaddress.ip_network(subnet['cidr']).prefixlen


def _addresses(port, subnets_by_id):
    out = []
    for ip in port.get('fixed_ips', ()):
        plen = _plen(subnets_by_id, ip)
        if plen is not None:
            out.append('%s/%d' % (ip['ip_address'], plen))
    return out


def _instance(port):
    owner = port.get('device_owner') or ''
    if port.get('device_id') and owner.startswith('compute:'):
        return {'instance_id': port['device_id'],
                'project_id': port.get('project_id') or port.get('tenant_id')}
    return None


def _metadata_map(ports):
    mapping = {}
    for port in ports:
        inst = _instance(port)
        if inst:
            for ip in port.get('fixed_ips', ()):
                mapping[ip['ip_address']] = inst
    return mapping


def allocate_zones(bridges, zones):
    """A conntrack zone per bridge, kept for bridges that had one."""
    out = {b: z for b, z in zones.items() if b in bridges}
    used = set(out.values())
    for name in sorted(bridges):
        if name in out:
            continue
        zone = 1 + zlib.crc32(name.encode()) % 65000
        while zone in used:
            zone = zone % 65000 + 1
        out[name] = zone
        used.add(zone)
    return out


def compile_state(state, settings, zones=None):
    plan = Plan()
    host = state.get('host')
    networks = {n['id']: n for n in state.get('networks') or ()}
    subnets = {s['id']: s for s in state.get('subnets') or ()}
    ports = state.get('ports') or []
    by_network = {}
    for port in ports:
        by_network.setdefault(port['network_id'], []).append(port)
    routers = list(state.get('routers') or ())

    def bridge_for(network_id, port_id):
        """The bridge of the network, planned on first use; None when this
        host cannot carry the network."""
        name = names.bridge(network_id)
        if name in plan.bridges:
            return name
        network = networks.get(network_id)
        if network is None:
            LOG.warning('port %s: network %s is not in the state', port_id, network_id)
            return None
        kind = network.get('provider:network_type') or 'local'
        mtu = network.get('mtu')
        if kind == 'vxlan':
            bridge = Bridge(name, network_id, mtu, vni=int(network['provider:segmentation_id']),
                            local_ip=state.get('local_ip'),
                            peers=tuple(sorted(set((state.get('tunnel_peers') or {}).get(network_id, ()))
                                               - {state.get('local_ip')})))
        elif kind == 'flat':
            physnet = network.get('provider:physical_network')
            physical = settings.physical_interface_mappings.get(physnet)
            if not physical:
                LOG.warning('network %s: no interface mapped for physical network %s',
                            network_id, physnet)
                return None
            bridge = Bridge(name, network_id, mtu, physical=physical)
        elif kind == 'local':
            bridge = Bridge(name, network_id, mtu)
        else:
            LOG.warning('network %s: type %s is not supported by this host', network_id, kind)
            return None
        plan.bridges[name] = bridge
        return name

    def add_veth(port, namespace, ifname, extra=()):
        bridge = bridge_for(port['network_id'], port['id'])
        if bridge is None:
            plan.down.add(port['id'])
            return None
        veth = Veth(port['id'], names.tap(port['id']), bridge, namespace, ifname,
                    port['mac_address'].lower(), networks[port['network_id']].get('mtu'),
                    tuple(sorted(set(_addresses(port, subnets)) | set(extra))),
                    port.get('admin_state_up', True))
        plan.veths[veth.tap] = veth
        return veth

    # Instances' ports bound here.
    filtered = []
    for port in ports:
        if port.get('binding:host_id') != host:
            continue
        owner = port.get('device_owner') or ''
        if owner.startswith('network:'):
            continue
        bridge = bridge_for(port['network_id'], port['id'])
        if bridge is None:
            plan.down.add(port['id'])
            continue
        plan.taps[port['id']] = Tap(port['id'], names.tap(port['id']), bridge,
                                    networks[port['network_id']].get('mtu'),
                                    port.get('admin_state_up', True))
        if security_groups.is_filtered(port):
            filtered.append(port)

    # DHCP servers.
    for network_id in sorted(set(state.get('dhcp_networks') or ()) & set(networks)):
        _plan_dhcp(plan, settings, state, networks[network_id], subnets,
                   by_network.get(network_id, []), host, add_veth)

    # Routers.
    for rtr in sorted(routers, key=lambda r: r['id']):
        _plan_router(plan, settings, state, rtr, subnets, ports, by_network, add_veth)

    plan.zones = allocate_zones(plan.bridges, zones or {})
    plan.firewall = security_groups.render(filtered, state, plan.zones)
    plan.tracked = {p['id']: (plan.zones[names.bridge(p['network_id'])],
                              tuple(sorted(ip['ip_address'] for ip in p.get('fixed_ips', ()))))
                    for p in filtered}
    return plan


def _plan_dhcp(plan, settings, state, network, subnets, network_ports, host, add_veth):
    # this host's DHCP port (another host's serves the same network too)
    port = next((p for p in network_ports if p.get('device_owner') == DHCP_OWNER
                 and p.get('binding:host_id') == host), None)
    if port is None:
        LOG.info('network %s: no DHCP port for this host yet', network['id'])
        return
    net_subnets = [s for s in subnets.values() if s['network_id'] == network['id']]
    served = [s for s in net_subnets if dhcp.serves(s)]
    metadata = settings.enable_isolated_metadata and any(
        s['ip_version'] == 4 and dhcp.isolated(s, network_ports) for s in served)
    namespace = names.dhcp_namespace(settings.namespace_prefix, network['id'])
    ifname = names.dhcp_interface(port['id'])
    veth = add_veth(port, namespace, ifname, extra=('%s/32' % dhcp.METADATA_IP,) if metadata else ())
    if veth is None:
        return
    subnets_by_id = {s['id']: s for s in net_subnets}
    routes = []
    for ip in port.get('fixed_ips', ()):
        subnet = subnets_by_id.get(ip['subnet_id'])
        if subnet and subnet['ip_version'] == 4 and subnet.get('gateway_ip') and not routes:
            routes.append(('0.0.0.0/0', subnet['gateway_ip']))
    plan.namespaces[namespace] = Namespace(namespace, 'dhcp', routes=tuple(routes))
    if served:
        argv, files = dhcp.render(network, net_subnets, port, network_ports, settings, ifname,
                                  metadata)
        pidfile = os.path.join(settings.state_dir, 'dhcp', network['id'], 'pid')
        plan.processes['dhcp-' + network['id']] = Process(
            'dhcp-' + network['id'], namespace, tuple(argv),
            tuple(sorted((path, text, 0o644) for path, text in files.items())), pidfile)
        servers = tuple((ip['ip_address'], subnets_by_id[ip['subnet_id']]['cidr'])
                        for ip in port.get('fixed_ips', ())
                        if ip['subnet_id'] in subnets_by_id
                        and subnets_by_id[ip['subnet_id']]['ip_version'] == 4)
        plan.leases[network['id']] = Leases(
            namespace, ifname, os.path.join(os.path.dirname(pidfile), 'leases'),
            dhcp.host_pairs(network_ports, served), servers)
    if metadata:
        _plan_proxy(plan, settings, state, namespace, dhcp.METADATA_IP, 80,
                    _metadata_map(network_ports))


def _plan_router(plan, settings, state, rtr, subnets, ports, by_network, add_veth):
    namespace = names.router_namespace(settings.namespace_prefix, rtr['id'])
    interfaces = {}
    for item in rtr.get('interfaces') or ():
        if isinstance(item, dict) and 'mac_address' in item:
            interfaces[item['id']] = item
    for port in ports:
        if port.get('device_id') == rtr['id'] and port.get('device_owner') in dhcp.ROUTER_INTERFACE_OWNERS:
            interfaces.setdefault(port['id'], port)
    gw_port = rtr.get('gw_port') or next(
        (p for p in ports if p.get('device_id') == rtr['id'] and p.get('device_owner') == GATEWAY_OWNER),
        None)
    if not (rtr.get('external_gateway_info') or {}).get('network_id'):
        gw_port = None
    served_networks, advertised = set(), []
    for port in sorted(interfaces.values(), key=lambda p: p['id']):
        veth = add_veth(port, namespace, names.router_interface(port['id']))
        if veth:
            served_networks.add(port['network_id'])
            prefixes = [{'prefix': subnets[ip['subnet_id']]['cidr'],
                         'mode': subnets[ip['subnet_id']]['ipv6_ra_mode']}
                        for ip in port.get('fixed_ips', ())
                        if ip['subnet_id'] in subnets
                        and subnets[ip['subnet_id']]['ip_version'] == 6
                        and subnets[ip['subnet_id']].get('ipv6_ra_mode')]
            if prefixes:
                advertised.append({'interface': veth.ifname, 'mac': veth.mac, 'mtu': veth.mtu,
                                   'prefixes': prefixes})
    gateway_if, gateway_ips = None, []
    fips = []
    # An administratively down router keeps its ports (they are wired, as
    # Neutron's are) but forwards, translates and advertises nothing.
    enabled = rtr.get('admin_state_up', True)
    if gw_port:
        for fip in sorted(rtr.get('floating_ips') or () if enabled else (),
                          key=lambda f: f['floating_ip_address']):
            if fip.get('router_id', rtr['id']) != rtr['id']:
                continue
            fixed = fip.get('fixed_ip_address') if fip.get('port_id') else None
            forwardings = tuple(fip.get('port_forwardings') or ())
            if fixed or forwardings:
                fips.append((fip['floating_ip_address'], fixed, forwardings))
        extra = ['%s/32' % f for f, _, _ in fips
                 if ipaddress.ip_address(f).version == 4]
        veth = add_veth(gw_port, namespace, names.gateway_interface(gw_port['id']), extra)
        if veth:
            gateway_if = veth.ifname
            gateway_ips = [ip['ip_address'] for ip in gw_port.get('fixed_ips', ())
                           if ipaddress.ip_address(ip['ip_address']).version == 4]
    if not enabled:
        gateway_if, gateway_ips, advertised = None, [], []
    routes = l3.default_routes(gw_port, subnets) if gateway_if else []
    routes += l3.extra_routes(rtr) if enabled else []
    metadata = bool(served_networks) and enabled
    enable_snat = (rtr.get('external_gateway_info') or {}).get('enable_snat', True)
    forwarding = '1' if enabled else '0'
    plan.namespaces[namespace] = Namespace(
        namespace, 'router',
        sysctls=(('net/ipv4/ip_forward', forwarding), ('net/ipv6/conf/all/forwarding', forwarding)),
        routes=tuple(sorted(set(routes))),
        iptables=l3.render_ipv4(gateway_if, gateway_ips, enable_snat,
                                [(f, fixed, tuple(_pf_key(pf) for pf in fw)) for f, fixed, fw in fips],
                                metadata))
    if metadata:
        network_ports = [p for n in sorted(served_networks) for p in by_network.get(n, [])]
        _plan_proxy(plan, settings, state, namespace, '0.0.0.0', l3.METADATA_PORT,
                    _metadata_map(network_ports))
    if advertised:
        base = os.path.join(settings.state_dir, 'ra', namespace)
        plan.processes['ra-' + namespace] = Process(
            'ra-' + namespace, namespace,
            (settings.python, '-m', ROUTER_ADVERTISER, '--config', base + '.json',
             '--pid-file', base + '.pid'),
            ((base + '.json', json.dumps(advertised, sort_keys=True), 0o644),), base + '.pid')


def _pf_key(pf):
    return {k: pf.get(k) for k in ('protocol', 'external_port', 'internal_port',
                                   'internal_ip_address', 'external_port_range',
                                   'internal_port_range')}


def _plan_proxy(plan, settings, state, namespace, address, port, mapping):
    meta = state.get('metadata') or {}
    if not meta.get('port'):
        LOG.info('%s: no metadata service in the state; no proxy', namespace)
        return
    directory = os.path.join(settings.state_dir, 'metadata')
    base = os.path.join(directory, namespace)
    upstream = '%s:%s%s' % (_reachable(meta.get('host')), meta['port'],
                            '/' + meta['path'].strip('/') if meta.get('path') else '')
    argv = (settings.python, '-m', METADATA_PROXY, '--netns', namespace,
            '--listen', '%s:%d' % (address, port), '--upstream', upstream,
            '--map', base + '.json', '--secret-file', base + '.secret',
            '--pid-file', base + '.pid', '--log-file', base + '.log')
    files = ((base + '.json', json.dumps(mapping, sort_keys=True), 0o600),
             (base + '.secret', meta.get('shared_secret') or '', 0o600))
    plan.processes['metadata-' + namespace] = Process(
        'metadata-' + namespace, namespace, argv, files, base + '.pid', enter_namespace=False)


def _reachable(host):
    """The address to reach a service bound to `host` at."""
    if not host or host in ('0.0.0.0', '::', '*'):
        return '127.0.0.1'
    return host
