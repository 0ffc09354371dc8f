"""A test bed of network namespaces: hosts, instances and an outside world.

Each "host" is a namespace the linuxbridge driver treats as its host
namespace; "instances" are namespaces plugged into ports through a veth whose
host end is named like the port's tap; the "outside" is a namespace on the
other end of a host's physical interface. Every name starts with a random
prefix, and cleanup() removes all of them (and whatever the drivers made
under the prefix), so test beds never collide and never touch the root
namespace's interfaces, routes or firewall.

`State` builds hand-made host states (Neutron API dicts) for driver.sync().
"""
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid

from cloudstack.network.drivers.linuxbridge import ip_lib
from cloudstack.network.drivers.linuxbridge import names
from cloudstack.network.drivers.linuxbridge import processes
from cloudstack.network.drivers.linuxbridge.firewall import link_local

REQUIRED = ('dnsmasq', 'iptables-restore', 'ip6tables-restore', 'iptables-save', 'ipset',
            'busybox', 'ip')

UDHCPC_SCRIPT = textwrap.dedent('''\
    #!/bin/sh
    # configures only the instance's own interface (never /etc/resolv.conf)
    case "$1" in
      deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
      bound|renew)
        ip -4 addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
        for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
        set -- $staticroutes
        while [ $# -ge 2 ]; do
          [ "$2" = "0.0.0.0" ] && ip route replace "$1" dev "$interface" \\
                               || ip route replace "$1" via "$2" dev "$interface"
          shift 2
        done
        echo "LEASE ip=$ip mask=$mask router=$router dns=$dns mtu=$mtu hostname=$hostname domain=$domain staticroutes=$staticroutes" ;;
    esac
    exit 0
''')


def missing_tools():
    """Why this machine cannot run the test bed, or None."""
    if os.geteuid() != 0:
        return 'needs root (network namespaces, bridges, iptables)'
    lacking = [t for t in REQUIRED if not shutil.which(t)]
    if lacking:
        return 'lacks %s' % ', '.join(lacking)
    if not os.path.isdir('/proc/sys/net/bridge'):
        return 'the kernel has no br_netfilter (/proc/sys/net/bridge)'
    return None


def daemon_pidfiles(root):
    """The pid files of the daemons the drivers started under `root`."""
    for directory, _, files in os.walk(root):
        for name in files:
            if name == 'pid' or name.endswith('.pid'):
                yield os.path.join(directory, name)


class Netbed:
    """`state_root`: a directory for the drivers' state_path, one the
    dnsmasq user (nobody) can reach, as dnsmasq re-reads its files as it."""

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self.state_root = tempfile.mkdtemp(prefix='cs-lb-')
        os.chmod(self.state_root, 0o711)
        self.prefix = 'cs%s-' % secrets.token_hex(2)
        self.nl = ip_lib.Netlink()
        self.namespaces = []
        self.procs = []
        os.makedirs(self.tmp, exist_ok=True)
        self.script = os.path.join(self.tmp, 'udhcpc.sh')
        with open(self.script, 'w') as f:
            f.write(UDHCPC_SCRIPT)
        os.chmod(self.script, 0o755)

    def ns(self, name):
        return self.prefix + name

    # building
    def namespace(self, name):
        full = self.ns(name)
        self.nl.create_namespace(full)
        self.namespaces.append(full)
        return full

    def host(self, name):
        """A host namespace (the driver's host_namespace)."""
        return self.namespace(name)

    def underlay(self, host_a, ip_a, host_b, ip_b, plen=24):
        """A veth between two hosts, the VXLAN underlay."""
        self.nl.ipr(host_a).link('add', ifname='ul0', kind='veth',
                                 peer={'ifname': 'ul0', 'net_ns_fd': host_b})
        for host, ip in ((host_a, ip_a), (host_b, ip_b)):
            idx = self.nl.index(host, 'ul0')
            self.nl.set_link(host, idx, state='up')
            self.nl.ipr(host).addr('add', index=idx, address=ip, prefixlen=plen)

    def outside(self, host, physical, name, cidr):
        """A namespace standing for the world beyond `host`'s `physical`
        interface, with address `cidr` on its eth0."""
        full = self.namespace(name)
        self.nl.ipr(host).link('add', ifname=physical, kind='veth',
                               peer={'ifname': 'eth0', 'net_ns_fd': full})
        self.nl.set_link(host, self.nl.index(host, physical), state='up')
        iface = ipaddress.ip_interface(cidr)
        idx = self.nl.index(full, 'eth0')
        self.nl.set_link(full, idx, state='up')
        self.nl.ipr(full).addr('add', index=idx, address=str(iface.ip),
                               prefixlen=iface.network.prefixlen)
        return full

    def instance(self, host, name, port, mtu=None):
        """An instance namespace plugged into `port` on `host`: its eth0 has
        the port's MAC; the host end is the port's tap, not on any bridge."""
        full = self.namespace(name)
        tap = names.tap(port['id'])
        self.nl.ipr(host).link('add', ifname=tap, kind='veth',
                               peer={'ifname': 'eth0', 'net_ns_fd': full,
                                     'address': port['mac_address']})
        self.nl.set_link(host, self.nl.index(host, tap), state='up')
        idx = self.nl.index(full, 'eth0')
        self.nl.set_link(full, idx, state='up', **({'mtu': mtu} if mtu else {}))
        return full

    def unplug(self, host, port):
        self.nl.delete_link(host, names.tap(port['id']))

    @staticmethod
    def wait_for(predicate, timeout=10.0, interval=0.1):
        """Poll `predicate` until it returns something true; that, or None."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(interval)

    # acting
    def run(self, namespace, argv, check=False, timeout=30, input=None):
        return ip_lib.run(argv, namespace, input=input, check=check, timeout=timeout)

    def dhcp(self, namespace, tries=8):
        """Run udhcpc once in the instance; the LEASE line, or None."""
        r = self.run(namespace, ['busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n',
                                 '-O', 'staticroutes', '-O', 'mtu',
                                 '-t', str(tries), '-T', '1', '-A', '1', '-s', self.script],
                     timeout=60)
        leases = [line for line in r.stdout.splitlines() if line.startswith('LEASE')]
        return leases[-1] if leases else None

    def ping(self, namespace, address, count=2):
        r = self.run(namespace, ['busybox', 'ping', '-c', str(count), '-W', '1', address])
        return r.returncode == 0

    def pinger(self, namespace, address):
        """A ping running in the background (see Pinger)."""
        proc = subprocess.Popen(
            ip_lib.in_namespace(['busybox', 'ping', '-i', '0.2', address], namespace),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        self.procs.append(proc)
        return Pinger(proc)

    def ping_until(self, namespace, address, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping(namespace, address, count=1):
                return True
        return False

    def http_get(self, namespace, url, headers=None, timeout=5):
        """(status, body) of a GET from inside the namespace; status 0 when
        nothing answered."""
        code = ('import json, sys, urllib.error, urllib.request\n'
                'req = urllib.request.Request(sys.argv[1], headers=json.loads(sys.argv[2]))\n'
                'try:\n'
                '    r = urllib.request.urlopen(req, timeout=%d)\n'
                '    print(r.status); print(r.read().decode())\n'
                'except urllib.error.HTTPError as e:\n'
                '    print(e.code); print(e.read().decode())\n'
                'except OSError as e:\n'
                '    print(0); print(e)\n' % timeout)
        r = self.run(namespace, [sys.executable, '-c', code, url, json.dumps(headers or {})],
                     timeout=timeout + 10)
        status, _, body = r.stdout.partition('\n')
        return int(status or 0), body.strip()

    def tcp_server(self, namespace, port, name):
        """A server in the namespace answering each connection to `port`
        with "<name> peer=<client address>"."""
        code = ('import socket\n'
                's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n'
                's.bind(("0.0.0.0", %d)); s.listen(8)\n'
                'while True:\n'
                '    c, peer = s.accept()\n'
                '    c.sendall(("%s peer=%%s\\n" %% peer[0]).encode()); c.close()\n' % (port, name))
        self.procs.append(subprocess.Popen(
            [sys.executable, '-c', code], preexec_fn=lambda: (ip_lib.enter(namespace), os.setsid()),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.tcp(namespace, '127.0.0.1', port):
                return
            time.sleep(0.05)
        raise RuntimeError('server on %s:%d did not start' % (namespace, port))

    def tcp(self, namespace, address, port, timeout=3):
        """What a server at address:port says to a client in the namespace
        (busybox nc), or '' when it cannot be reached."""
        r = self.run(namespace, ['busybox', 'nc', '-w', str(timeout), address, str(port)],
                     input='', timeout=timeout + 5)
        return r.stdout.strip() if r.returncode == 0 else ''

    def addresses(self, namespace, ifname='eth0'):
        return self.nl.addresses(namespace, self.nl.index(namespace, ifname))

    # cleaning
    def leftovers(self):
        """Whatever is left with our prefix: namespaces, and the drivers'
        processes found by their state directories."""
        left = sorted(n for n in self.nl.namespaces() if n.startswith(self.prefix))
        return left

    def cleanup(self):
        """Remove everything: our processes, namespaces and the drivers'
        daemons and files."""
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        self.nl.close()
        for name in sorted(n for n in self.nl.namespaces() if n.startswith(self.prefix)):
            for pid in processes.pids_in_namespace(name):
                if pid != os.getpid():
                    processes.kill(pid, timeout=2)
            self.nl.delete_namespace(name)
        for pidfile in daemon_pidfiles(self.state_root):
            processes.stop(pidfile, timeout=2)
        shutil.rmtree(self.state_root, ignore_errors=True)


class Pinger:
    """Counts the replies of a running ping."""

    def __init__(self, proc):
        self.proc, self.replies = proc, 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            if 'bytes from' in line:
                self.replies += 1

    def wait_replies(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while self.replies < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.replies >= n

    def stalls(self, seconds=2.0):
        """Whether no reply comes for `seconds` (one in flight may land)."""
        time.sleep(0.3)
        before = self.replies
        time.sleep(seconds)
        return self.replies == before

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def _id():
    return str(uuid.uuid4())


def _mac(n):
    return 'fa:16:3e:%02x:%02x:%02x' % ((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)


class State:
    """Neutron-shaped dicts for hand-made host states."""

    def __init__(self, project_id=None):
        self.project_id = project_id or uuid.uuid4().hex
        self.networks, self.subnets, self.ports = {}, {}, {}
        self.security_groups, self.address_groups = {}, {}
        self.routers = {}
        self.dhcp = {}               # network id -> host
        self.vteps = {}              # host -> VTEP IP
        self.metadata = None
        self._macs = 0

    def network(self, kind='vxlan', vni=None, physnet=None, mtu=1450, external=False):
        net = {'id': _id(), 'name': 'net', 'admin_state_up': True, 'mtu': mtu,
               'provider:network_type': kind, 'provider:segmentation_id': vni,
               'provider:physical_network': physnet, 'router:external': external,
               'project_id': self.project_id, 'tenant_id': self.project_id}
        self.networks[net['id']] = net
        return net

    def subnet(self, network, cidr, gateway='auto', **extra):
        net = ipaddress.ip_network(cidr)
        if gateway == 'auto':
            gateway = str(net.network_address + 1)
        sub = {'id': _id(), 'network_id': network['id'], 'cidr': cidr,
               'ip_version': net.version, 'gateway_ip': gateway, 'enable_dhcp': True,
               'dns_nameservers': [], 'host_routes': [], 'ipv6_ra_mode': None,
               'ipv6_address_mode': None, 'project_id': self.project_id}
        sub.update(extra)
        self.subnets[sub['id']] = sub
        return sub

    def port(self, network, ips, host=None, owner='compute:nova', device_id=None,
             security_groups=(), **extra):
        """A port; an address 'slaac' is the EUI-64 one of the network's
        SLAAC subnet."""
        self._macs += 1
        subnets = [s for s in self.subnets.values() if s['network_id'] == network['id']]
        fixed = []
        for ip in ips:
            if ip == 'slaac':
                sub = next(s for s in subnets if s.get('ipv6_address_mode') == 'slaac')
                net = ipaddress.ip_network(sub['cidr'])
                eui = ipaddress.ip_address(link_local(_mac(self._macs)))
                ip = str(net.network_address + (int(eui) & ((1 << 64) - 1)))
            sub = next(s for s in subnets
                       if ipaddress.ip_address(ip) in ipaddress.ip_network(s['cidr']))
            fixed.append({'subnet_id': sub['id'], 'ip_address': ip})
        port = {'id': _id(), 'network_id': network['id'], 'mac_address': _mac(self._macs),
                'fixed_ips': fixed, 'binding:host_id': host or '', 'device_owner': owner,
                'device_id': device_id or (_id() if owner.startswith('compute:') else ''),
                'admin_state_up': True, 'port_security_enabled': owner.startswith('compute:'),
                'security_groups': [g['id'] for g in security_groups],
                'allowed_address_pairs': [], 'extra_dhcp_opts': [], 'dns_name': '',
                'project_id': self.project_id, 'tenant_id': self.project_id, 'status': 'DOWN'}
        port.update(extra)
        self.ports[port['id']] = port
        return port

    def security_group(self, rules=(), stateful=True):
        sg = {'id': _id(), 'name': 'sg', 'stateful': stateful, 'security_group_rules': [],
              'project_id': self.project_id}
        self.security_groups[sg['id']] = sg
        for rule in rules:
            self.rule(sg, **rule)
        return sg

    def rule(self, sg, direction='ingress', ethertype='IPv4', protocol=None, port_range_min=None,
             port_range_max=None, remote_ip_prefix=None, remote_group_id=None,
             remote_address_group_id=None):
        rule = {'id': _id(), 'security_group_id': sg['id'], 'direction': direction,
                'ethertype': ethertype, 'protocol': protocol, 'port_range_min': port_range_min,
                'port_range_max': port_range_max, 'remote_ip_prefix': remote_ip_prefix,
                'remote_group_id': remote_group_id,
                'remote_address_group_id': remote_address_group_id}
        sg['security_group_rules'].append(rule)
        return rule

    def router(self, host, external_network=None, gateway_ip=None, enable_snat=True):
        rid = _id()
        rtr = {'id': rid, 'name': 'router', 'admin_state_up': True, 'host': host,
               'external_gateway_info': None, 'gw_port': None, 'interfaces': [],
               'floating_ips': [], 'routes': [], 'project_id': self.project_id}
        if external_network:
            gw = self.port(external_network, [gateway_ip], host=host,
                           owner='network:router_gateway', device_id=rid)
            rtr['gw_port'] = gw
            rtr['external_gateway_info'] = {
                'network_id': external_network['id'], 'enable_snat': enable_snat,
                'external_fixed_ips': gw['fixed_ips']}
        self.routers[rid] = rtr
        return rtr

    def router_interface(self, rtr, network, ip):
        port = self.port(network, [ip], host=rtr['host'], owner='network:router_interface',
                         device_id=rtr['id'])
        rtr['interfaces'].append(port)
        return port

    def floating_ip(self, rtr, address, port=None, port_forwardings=()):
        fip = {'id': _id(), 'floating_ip_address': address, 'router_id': rtr['id'],
               'port_id': port['id'] if port else None,
               'fixed_ip_address': port['fixed_ips'][0]['ip_address'] if port else None,
               'port_forwardings': list(port_forwardings)}
        rtr['floating_ips'].append(fip)
        return fip

    def dhcp_server(self, network, host, ip):
        self.dhcp[network['id']] = host
        return self.port(network, [ip], host=host, owner='network:dhcp', device_id='dhcp')

    def for_host(self, host):
        """The state of `host`, as host_state() gives it."""
        bound = {p['network_id'] for p in self.ports.values() if p['binding:host_id'] == host}
        dhcp_nets = sorted(n for n, h in self.dhcp.items() if h == host)
        routers = [r for r in self.routers.values() if r['host'] == host]
        served = set(dhcp_nets)
        for r in routers:
            served |= {p['network_id'] for p in r['interfaces']}
            if r['gw_port']:
                served.add(r['gw_port']['network_id'])
        nets = bound | served
        ports = [p for p in self.ports.values()
                 if p['binding:host_id'] == host or p['network_id'] in served]
        groups = {}
        for sg in self.security_groups.values():
            members = sorted({ip['ip_address'] for p in self.ports.values()
                              if sg['id'] in p['security_groups'] for ip in p['fixed_ips']})
            groups[sg['id']] = dict(sg, member_ips=members)
        peers = {n: sorted(ip for h, ip in self.vteps.items() if h != host) for n in nets
                 if self.networks[n]['provider:network_type'] == 'vxlan'}
        return {
            'host': host,
            'networks': [self.networks[n] for n in sorted(nets)],
            'subnets': [s for s in self.subnets.values() if s['network_id'] in nets],
            'ports': ports,
            'security_groups': groups,
            'address_groups': dict(self.address_groups),
            'routers': routers,
            'dhcp_networks': dhcp_nets,
            'tunnel_peers': peers,
            'local_ip': self.vteps.get(host),
            'metadata': self.metadata or {},
        }
