"""Make a host match its state: the level-triggered core of the driver.

`Dataplane.sync(state)` compiles the state into a plan (plan.py), compares it
part by part with the plan applied last and applies only what differs. The
first sync after a start knows nothing applied, so it compares with the host
itself: it keeps what is right (a running dnsmasq, a bridge), repairs what is
not, and removes everything under its names that the state no longer wants
(namespaces, bridges, VXLANs, veths, daemons, chains, ipsets), which is what
cleans up after a kill -9.

A part that fails to apply is logged, its ports are reported down, and it is
tried again at the next sync.

A metadata proxy the last sync left running (same command line) is checked
and given its new address map once the sync has reported its ports, from a
thread of the dataplane's that the next sync waits for first: the map is
no part of a port being up, and its reload is no longer in each port's way.
"""
import dataclasses
import errno
import grp
import ipaddress
import logging
import os
import pwd
import queue
import shutil
import signal
import socket
import stat
import threading
import time

from pyroute2 import NetlinkError

from cloudstack.network.drivers.linuxbridge import dhcp
from cloudstack.network.drivers.linuxbridge import ip_lib
from cloudstack.network.drivers.linuxbridge import iptables
from cloudstack.network.drivers.linuxbridge import names
from cloudstack.network.drivers.linuxbridge import plan as planner
from cloudstack.network.drivers.linuxbridge import processes

LOG = logging.getLogger(__name__)

IFF_UP = ip_lib.IFF_UP


def _kind(msg):
    return ip_lib.attr(msg, 'IFLA_LINKINFO', 'IFLA_INFO_KIND')


class Dataplane:
    def __init__(self, settings):
        os.makedirs(settings.state_dir, mode=0o711, exist_ok=True)
        self.settings = dataclasses.replace(
            settings, dnsmasq_user=_user_reaching(settings.dnsmasq_user, settings.state_dir))
        self.host = settings.host_namespace
        self.nl = ip_lib.Netlink()
        self.firewall = iptables.HostFirewall(self.host)
        self.applied = None          # the Plan applied last; None until the first sync
        self.zones = {}
        self.links = None            # ip_lib.LinkCache of the host namespace
        self.timings = {}            # seconds per phase of the last sync
        self.later = None            # the thread updating what may wait (started once)
        self.waiting = queue.Queue()  # its work: lists of (key, process, as before)

    def close(self):
        self._settle(stop=True)
        if self.links is not None:
            self.links.close()
        self.firewall.close()
        self.nl.close()

    # -- the sync -------------------------------------------------------
    def _settle(self, stop=False):
        if self.later is not None:
            if stop:
                self.waiting.put(None)
            self.waiting.join()
            if stop:
                self.later.join()
                self.later = None

    def _update_later(self):
        while True:
            deferred = self.waiting.get()
            try:
                for key, proc, old in deferred or ():
                    try:
                        self._ensure_process(proc, old, False)
                    except Exception:       # noqa: BLE001 (tried again next sync)
                        LOG.exception('%s failed', key)
                        self.applied.processes.pop(key, None)
            finally:
                self.waiting.task_done()
            if deferred is None:
                return

    def sync(self, state):
        self._settle()
        self.timings = {}
        clock = [time.perf_counter()]

        def mark(phase):
            now = time.perf_counter()
            self.timings[phase] = self.timings.get(phase, 0.0) + now - clock[0]
            clock[0] = now

        first = self.applied is None
        if first:
            self.zones = self.firewall.observe()
            if self.links is None:
                self.links = ip_lib.LinkCache(self.nl, self.host)
            self.links.links = None          # read them all again
        plan = planner.compile_state(state, self.settings, self.zones)
        self.zones = plan.zones
        mark('compile')
        old = self.applied or planner.Plan()
        done = planner.Plan(zones=plan.zones)      # what got applied, for the next diff
        failed = set()                              # port ids whose parts failed
        errors = []

        def attempt(what, ports, func, *args):
            try:
                func(*args)
                return True
            except Exception as e:                  # noqa: BLE001 (one part fails, not the sync)
                LOG.exception('%s failed', what)
                errors.append('%s: %s' % (what, e))
                failed.update(ports)
                return False

        by_bridge, by_namespace = {}, {}
        for item in list(plan.taps.values()) + list(plan.veths.values()):
            by_bridge.setdefault(item.bridge, set()).add(item.port_id)
        for veth in plan.veths.values():
            by_namespace.setdefault(veth.namespace, set()).add(veth.port_id)

        for name, bridge in plan.bridges.items():
            if first or old.bridges.get(name) != bridge:
                if not attempt('bridge %s' % name, by_bridge.get(name, ()),
                               self._ensure_bridge, bridge):
                    continue
            done.bridges[name] = bridge

        namespaces = self.nl.namespaces()
        for name, ns in plan.namespaces.items():
            if first or name not in old.namespaces or name not in namespaces:
                attempt('namespace %s' % name, by_namespace.get(name, ()),
                        self._ensure_namespace, ns, plan)
        namespaces = self.nl.namespaces()

        for tap, veth in plan.veths.items():
            if veth.bridge not in done.bridges or veth.namespace not in namespaces:
                failed.add(veth.port_id)
                continue
            if first or old.veths.get(tap) != veth:
                if not attempt('port %s' % veth.port_id, [veth.port_id], self._ensure_veth, veth):
                    continue
            done.veths[tap] = veth

        for name, ns in plan.namespaces.items():
            if name not in namespaces:
                continue
            if first or old.namespaces.get(name) != ns or any(
                    old.veths.get(t) != v for t, v in plan.veths.items() if v.namespace == name):
                if not attempt('namespace %s' % name, by_namespace.get(name, ()),
                               self._configure_namespace, ns):
                    continue
            done.namespaces[name] = ns

        mark('bridges and namespaces')
        # The rules are sent first; while they are committed the daemons get
        # their files (the DHCP entries), told to read them (SIGHUP) once the
        # rules are in place, so as not to compete with the restore commands.
        # The taps go onto the bridges only then.
        rules = attempt('security groups', set(plan.taps), self.firewall.begin, plan.firewall,
                        bool(plan.bridges))
        mark('rules sent')
        deferred, reload = [], []
        for key, proc in plan.processes.items():
            ports = {v.port_id for v in plan.veths.values() if v.namespace == proc.namespace}
            if proc.namespace not in done.namespaces:
                continue
            before = old.processes.get(key)
            if (key.startswith('metadata-') and not first and before is not None
                    and before.argv == proc.argv):
                deferred.append((key, proc, before))        # kept running, its map updated
                done.processes[key] = proc
                continue
            if attempt('%s' % key, ports, self._ensure_process, proc, before, first, reload):
                done.processes[key] = proc

        for network_id, leases in plan.leases.items():
            if 'dhcp-' + network_id in done.processes and (
                    first or old.leases.get(network_id) != leases):
                attempt('releasing leases of %s' % network_id, (), self._release, leases)
        done.leases = plan.leases
        mark('daemons')
        links = self.links.refresh()
        mark('link events')
        if rules and attempt('security groups', set(plan.taps), self.firewall.finish):
            done.firewall, done.tracked = plan.firewall, plan.tracked
            if not first:
                attempt('connection tracking', (), self._forget_connections, old, plan)
        else:
            attempt('reading the firewall', (), self.firewall.observe)
        mark('rules in place')
        for key, pid in reload:
            attempt('reloading %s' % key, (), os.kill, pid, signal.SIGHUP)

        attempt('unknown taps', (), self._unplug_strangers, plan, links)
        up, down = set(), set(plan.down)
        for port_id, tap in plan.taps.items():
            if tap.bridge not in done.bridges or port_id in failed:
                down.add(port_id)
                continue
            try:
                bridge = links.get(tap.bridge)
                index = bridge.index if bridge else self._ensure_bridge(plan.bridges[tap.bridge])
                wired = self._plug_tap(tap, index, links.get(tap.name))
            except Exception as e:          # noqa: BLE001 (this port only)
                LOG.warning('port %s: %s', port_id, e)
                wired = False
            (up if wired else down).add(port_id)
            done.taps[port_id] = tap

        mark('taps')
        self._remove(plan, old, first, attempt)
        mark('removals')

        for tap, veth in done.veths.items():
            if veth.port_id not in failed:
                (up if veth.up else down).add(veth.port_id)
        down |= failed | {v.port_id for v in plan.veths.values() if v.tap not in done.veths}
        up -= down
        self.applied = done
        if deferred:
            if self.later is None:
                self.later = threading.Thread(target=self._update_later, daemon=True)
                self.later.start()
            self.waiting.put(deferred)
        LOG.debug('synced: %d up, %d down in %.0f ms (%s)', len(up), len(down),
                  sum(self.timings.values()) * 1000,
                  ', '.join('%s %.0f' % (k, v * 1000) for k, v in self.timings.items()))
        result = {'up': sorted(up), 'down': sorted(down)}
        if errors:
            result['errors'] = errors
        return result

    # -- layer 2 ----------------------------------------------------------
    def _ensure_bridge(self, bridge):
        ipr = self.nl.ipr(self.host)
        msg = self.nl.link(self.host, bridge.name)
        if msg is not None and _kind(msg) != 'bridge':
            raise RuntimeError('%s exists and is not a bridge' % bridge.name)
        if msg is None:
            ipr.link('add', ifname=bridge.name, kind='bridge')
        index = self.nl.index(self.host, bridge.name)
        if bridge.vni is not None:
            self._ensure_vxlan(bridge, index)
        if bridge.physical:
            phys = self.nl.index(self.host, bridge.physical)
            if phys is None:
                raise RuntimeError('physical interface %s is missing' % bridge.physical)
            self.nl.set_link(self.host, phys, master=index, state='up')
        if bridge.mtu:
            self.nl.set_link(self.host, index, mtu=bridge.mtu)
        self.nl.set_link(self.host, index, state='up')
        return index

    def _ensure_vxlan(self, bridge, bridge_index):
        if not bridge.local_ip:
            raise RuntimeError('no local_ip (VTEP) for VXLAN %d' % bridge.vni)
        ipr = self.nl.ipr(self.host)
        name = names.vxlan(bridge.vni)
        msg = self.nl.link(self.host, name)
        if msg is not None:
            data = ('IFLA_LINKINFO', 'IFLA_INFO_DATA')
            same = (_kind(msg) == 'vxlan'
                    and ip_lib.attr(msg, *data, 'IFLA_VXLAN_ID') == bridge.vni
                    and ip_lib.attr(msg, *data, 'IFLA_VXLAN_LOCAL') == bridge.local_ip
                    and ip_lib.attr(msg, *data, 'IFLA_VXLAN_PORT') == self.settings.vxlan_port)
            if not same:
                self.nl.delete_link(self.host, name)
                msg = None
        if msg is None:
            # vxlan_port must be given: the kernel's default is 8472, not 4789
            kwargs = {'mtu': bridge.mtu} if bridge.mtu else {}
            ipr.link('add', ifname=name, kind='vxlan', vxlan_id=bridge.vni,
                     vxlan_local=bridge.local_ip, vxlan_port=self.settings.vxlan_port,
                     vxlan_learning=1, **kwargs)
        index = self.nl.index(self.host, name)
        kwargs = {'mtu': bridge.mtu} if bridge.mtu else {}
        self.nl.set_link(self.host, index, master=bridge_index, state='up', **kwargs)
        self.nl.set_flood_peers(self.host, index, bridge.peers)

    def _forget_connections(self, old, plan):
        """Drop the tracked connections rules no longer allow: all of a port
        that went (or whose addresses changed), those made towards a port
        that lost ingress rules, those it made when it lost egress rules."""
        deletes = set()
        for port_id, (zone, addresses) in old.tracked.items():
            now = plan.tracked.get(port_id)
            if now is None or now != (zone, addresses):
                deletes.update((zone, ip, d) for ip in addresses for d in ('-s', '-d'))
                continue
            for family in (4, 6):
                before = old.firewall.chains[family]['filter']
                after = plan.firewall.chains[family]['filter']
                for kind, direction in (('i', '-d'), ('o', '-s')):
                    chain = names.port_chain(kind, port_id)
                    was, now = before.get(chain, ()), after.get(chain, ())
                    if was != now and not set(was) <= set(now):
                        deletes.update((zone, ip, direction) for ip in addresses
                                       if (':' in ip) == (family == 6))
        commands = [(['conntrack', '-D', '-f', 'ipv6' if ':' in ip else 'ipv4', '-w', str(zone),
                      direction, ip], None) for zone, ip, direction in sorted(deletes)]
        for result in ip_lib.run_all(commands, self.host, check=False) if commands else ():
            if result.returncode not in (0, 1):         # 1: there were none
                LOG.warning('%s: %s', ' '.join(result.args), result.stderr.strip())

    def _plug_tap(self, tap, bridge_index, info):
        """Put an instance's tap on its bridge; True when it is wired."""
        if info is None:
            return False
        changes = {}
        if info.master != bridge_index:
            changes['master'] = bridge_index
        if tap.mtu and info.mtu != tap.mtu:
            changes['mtu'] = tap.mtu
        if info.up != tap.up:
            changes['state'] = 'up' if tap.up else 'down'
        if changes:
            self.nl.set_link(self.host, info.index, **changes)
        return tap.up

    def _unplug_strangers(self, plan, links):
        """Take off our bridges the taps of ports this host no longer has
        (a deleted port's tap would otherwise be there unfiltered)."""
        known = {t.name for t in plan.taps.values()} | set(plan.veths)
        bridges = {links[b].index for b in plan.bridges if b in links}
        for ifname, info in links.items():
            if (ifname.startswith(names.TAP) and ifname not in known
                    and info.master in bridges):
                LOG.info('%s belongs to no port of this host: unplugged', ifname)
                self.nl.set_link(self.host, info.index, master=0)

    def _ensure_veth(self, veth):
        ipr = self.nl.ipr(self.host)
        msg = self.nl.link(self.host, veth.tap)
        if msg is not None and _kind(msg) != 'veth':
            raise RuntimeError('%s exists and is not ours' % veth.tap)
        peer_index = self.nl.index(veth.namespace, veth.ifname)
        if msg is None:
            if peer_index is not None:          # a stale end left in the namespace
                self.nl.delete_link(veth.namespace, veth.ifname)
            ipr.link('add', ifname=veth.tap, kind='veth',
                     peer={'ifname': veth.ifname, 'net_ns_fd': veth.namespace,
                           'address': veth.mac})
            peer_index = self.nl.index(veth.namespace, veth.ifname)
        elif peer_index is None:
            # our tap whose peer is elsewhere: start again
            self.nl.delete_link(self.host, veth.tap)
            return self._ensure_veth(veth)
        tap_index = self.nl.index(self.host, veth.tap)
        mtu = {'mtu': veth.mtu} if veth.mtu else {}
        self.nl.set_link(self.host, tap_index, master=self.nl.index(self.host, veth.bridge),
                         state='up', **mtu)
        peer = self.nl.ipr(veth.namespace).link('get', index=peer_index)[0]
        if (peer.get_attr('IFLA_ADDRESS') or '').lower() != veth.mac:
            self.nl.set_link(veth.namespace, peer_index, address=veth.mac)
        self.nl.set_link(veth.namespace, peer_index, state='up' if veth.up else 'down', **mtu)
        added = self.nl.set_addresses(veth.namespace, peer_index, veth.addresses)
        fresh = [a.split('/')[0] for a in added if ':' not in a]
        if fresh and veth.ifname.startswith(names.GATEWAY_IF) and veth.up:
            try:
                ip_lib.announce(veth.namespace, veth.ifname, veth.mac, fresh)
            except OSError as e:
                LOG.warning('%s: gratuitous ARP: %s', veth.ifname, e)

    # -- namespaces ---------------------------------------------------------
    def _ensure_namespace(self, ns, plan):
        self.nl.create_namespace(ns.name)
        if ns.sysctls:
            ip_lib.write_sysctls(ns.name, ns.sysctls)
        wanted = {v.ifname for v in plan.veths.values() if v.namespace == ns.name}
        for ifname in self.nl.links(ns.name):
            if ifname != 'lo' and ifname not in wanted:
                self.nl.delete_link(ns.name, ifname)

    def _configure_namespace(self, ns):
        self.nl.set_routes(ns.name, ns.routes)
        if ns.iptables is not None:
            ip_lib.run(['iptables-restore', '-w', '10'], ns.name, input=ns.iptables)

    # -- daemons --------------------------------------------------------------
    def _ensure_process(self, proc, old, first, reload=None):
        """Keep the daemon running with its files; `reload`: a list to add
        (key, pid) to when it must be told to read them (else it is told)."""
        pid, argv = processes.running(proc.pidfile)
        if pid is not None and tuple(argv) == proc.argv:
            if (first or old != proc) and processes.update_files(
                    proc, pid, None if first or old is None else old.files,
                    reload=reload is None):
                if reload is not None:
                    reload.append((proc.key, pid))
            return
        if pid is not None:
            processes.kill(pid)
        processes.start(proc)

    def _release(self, leases):
        """Make dnsmasq forget the leases its hosts file no longer gives out
        (a deleted port's, whose address a new port may get)."""
        servers = [(ipaddress.ip_address(a), ipaddress.ip_network(c, strict=False))
                   for a, c in leases.servers]
        stale = [(mac, ip, cid) for mac, ip, cid in dhcp.read_leases(leases.leasefile)
                 if (mac, ip) not in leases.pairs]
        if not stale or not servers:
            return
        sock = ip_lib.socket_in(leases.namespace, socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, leases.interface.encode())
            for mac, ip, cid in stale:
                server = next((a for a, net in servers if ipaddress.ip_address(ip) in net),
                              servers[0][0])
                LOG.info('releasing the DHCP lease of %s on %s', mac, ip)
                sock.sendto(dhcp.release_packet(mac, ip, str(server), cid), (str(server), 67))
        finally:
            sock.close()

    # -- removal ----------------------------------------------------------------
    def _remove(self, plan, old, first, attempt):
        prefix = self.settings.namespace_prefix
        ours = (prefix + names.DHCP_NS, prefix + names.ROUTER_NS)
        # daemons first: a proxy's socket would keep its namespace alive
        stale = {key: proc.pidfile for key, proc in old.processes.items() if key not in plan.processes}
        if first:
            stale.update(self._pidfiles_on_disk(plan))
        for key, pidfile in stale.items():
            attempt('stop %s' % key, (), self._stop_process, pidfile)
        namespaces = self.nl.namespaces()
        doomed = {n for n in namespaces if n.startswith(ours)} if first else set(old.namespaces)
        for name in sorted(doomed - set(plan.namespaces)):
            attempt('delete namespace %s' % name, (), self._delete_namespace, name)
        for tap, veth in old.veths.items():
            if tap not in plan.veths:
                attempt('delete %s' % tap, (), self.nl.delete_link, self.host, tap)
        keep = set(plan.bridges) | {names.vxlan(b.vni) for b in plan.bridges.values()
                                    if b.vni is not None}
        if first:
            links = self.links.refresh()
            doomed = {n: None for n, info in links.items()
                      if (n.startswith(names.BRIDGE) and info.kind == 'bridge')
                      or (n.startswith(names.VXLAN) and info.kind == 'vxlan')}
            for name in [n for n in doomed if n.startswith(names.BRIDGE) and n not in keep]:
                index = links[name].index
                doomed[name] = [n for n, info in links.items() if info.master == index
                                and not n.startswith((names.TAP, names.VXLAN))]
        else:
            doomed = {}
            for name, bridge in old.bridges.items():
                doomed[name] = [bridge.physical] if bridge.physical else []
                if bridge.vni is not None:
                    doomed[names.vxlan(bridge.vni)] = None
        for name in sorted(set(doomed) - keep):
            attempt('delete %s' % name, (), self._delete_l2, name, doomed[name] or ())

    def _pidfiles_on_disk(self, plan):
        wanted = {proc.pidfile for proc in plan.processes.values()}
        found = {}
        base = self.settings.state_dir
        dhcp_dir = os.path.join(base, 'dhcp')
        for network_id in _listdir(dhcp_dir):
            pidfile = os.path.join(dhcp_dir, network_id, 'pid')
            if pidfile not in wanted:
                found['dhcp-' + network_id] = pidfile
        for kind in ('metadata', 'ra'):
            directory = os.path.join(base, kind)
            for entry in _listdir(directory):
                if entry.endswith('.pid'):
                    pidfile = os.path.join(directory, entry)
                    if pidfile not in wanted:
                        found['%s-%s' % (kind, entry[:-4])] = pidfile
        return found

    def _stop_process(self, pidfile):
        processes.stop(pidfile)
        directory = os.path.dirname(pidfile)
        if os.path.basename(os.path.dirname(directory)) == 'dhcp':
            shutil.rmtree(directory, ignore_errors=True)
        else:
            stem = pidfile[:-len('.pid')]
            for suffix in ('.pid', '.json', '.secret', '.log'):
                _unlink(stem + suffix)

    def _delete_namespace(self, name):
        for pid in processes.pids_in_namespace(name):
            LOG.info('stopping pid %d left in %s', pid, name)
            processes.kill(pid)
        if name in self.nl.namespaces():
            for ifname in self.nl.links(name):
                if ifname != 'lo':
                    self.nl.delete_link(name, ifname)
        self.nl.delete_namespace(name)

    def _delete_l2(self, name, physical):
        """Delete a bridge or VXLAN; a bridge's physical interfaces are given
        back, never deleted."""
        index = self.nl.index(self.host, name)
        if index is None:
            return
        for ifname in physical:
            msg = self.nl.link(self.host, ifname)
            if msg is not None and msg.get_attr('IFLA_MASTER') == index:
                self.nl.set_link(self.host, msg['index'], master=0)
        try:
            self.nl.ipr(self.host).link('del', index=index)
        except NetlinkError as e:
            if e.code != errno.ENODEV:
                raise


def _user_reaching(user, directory):
    """`user` when it can reach files in `directory` (dnsmasq re-reads its
    files after dropping to it), else root, with a warning."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        LOG.warning('no user %s: dnsmasq runs as root', user)
        return 'root'
    if entry.pw_uid == 0:
        return user
    groups = {g.gr_gid for g in grp.getgrall() if user in g.gr_mem} | {entry.pw_gid}
    path = os.path.abspath(directory)
    while True:
        st = os.stat(path)
        if st.st_uid == entry.pw_uid:
            bit = stat.S_IXUSR
        elif st.st_gid in groups:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            LOG.warning('%s cannot reach %s (%s is closed to it): dnsmasq runs as root; '
                        'set [linuxbridge] state_path to a directory it can reach',
                        user, directory, path)
            return 'root'
        if path == '/':
            return user
        path = os.path.dirname(path)


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except FileNotFoundError:
        return []


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
