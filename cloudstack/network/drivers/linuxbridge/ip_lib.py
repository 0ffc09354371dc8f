"""Netlink through pyroute2, and commands run inside namespaces.

Not for green threads: pyroute2 needs the real select and socket modules,
so under eventlet this runs in the dataplane worker process (worker.py).
Pitfalls kept in mind: IPRoute(netns=...) creates a missing namespace
unless flags=0, and opening one costs ~10 ms, so there is one per namespace,
kept open until the namespace goes.
"""
import ctypes
import errno
import logging
import os
import subprocess

from pyroute2 import IPRoute, NetlinkError, netns

LOG = logging.getLogger(__name__)

NETNS_RUN_DIR = '/run/netns'
CLONE_NEWNET = 0x40000000
IFF_UP = 1
IFA_F_NODAD = 0x02
ZERO_MAC = '00:00:00:00:00:00'

_libc = ctypes.CDLL(None, use_errno=True)


class CommandFailed(RuntimeError):
    pass


def enter(namespace):
    """Move the calling thread into a named network namespace."""
    fd = os.open(os.path.join(NETNS_RUN_DIR, namespace), os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
    finally:
        os.close(fd)


def run(argv, namespace=None, input=None, check=True, timeout=60):
    """Run a command (an argument list, never a shell string), in
    `namespace` when given; return its CompletedProcess."""
    preexec = (lambda: enter(namespace)) if namespace else None
    result = subprocess.run(argv, input=input, capture_output=True, text=True,
                            preexec_fn=preexec, timeout=timeout, close_fds=True,
                            stdin=None if input is not None else subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise CommandFailed('%s%s: exit %d: %s' % (
            ' '.join(argv[:3]), ' (in %s)' % namespace if namespace else '',
            result.returncode, result.stderr.strip()[:2000]))
    return result


def attr(msg, *path):
    """An attribute of a netlink message, following nested attributes."""
    value = msg
    for name in path:
        if value is None:
            return None
        value = value.get_attr(name)
    return value


class Netlink:
    """One IPRoute per namespace (None: the process's own)."""

    def __init__(self):
        self._handles = {}

    def ipr(self, namespace=None):
        handle = self._handles.get(namespace)
        if handle is None:
            handle = IPRoute(netns=namespace, flags=0) if namespace else IPRoute()
            self._handles[namespace] = handle
        return handle

    def forget(self, namespace):
        handle = self._handles.pop(namespace, None)
        if handle is not None:
            handle.close()

    def close(self):
        for namespace in list(self._handles):
            self.forget(namespace)

    # namespaces
    @staticmethod
    def namespaces():
        try:
            return set(os.listdir(NETNS_RUN_DIR))
        except FileNotFoundError:
            return set()

    def create_namespace(self, name):
        if name not in self.namespaces():
            netns.create(name)
        ipr = self.ipr(name)
        lo = ipr.link_lookup(ifname='lo')
        if lo:
            ipr.link('set', index=lo[0], state='up')

    def delete_namespace(self, name):
        self.forget(name)
        if name in self.namespaces():
            netns.remove(name)

    # links
    def links(self, namespace=None):
        """{ifname: message} of every link in the namespace."""
        return {m.get_attr('IFLA_IFNAME'): m for m in self.ipr(namespace).link('dump')}

    def index(self, namespace, ifname):
        found = self.ipr(namespace).link_lookup(ifname=ifname)
        return found[0] if found else None

    def delete_link(self, namespace, ifname):
        idx = self.index(namespace, ifname)
        if idx is not None:
            try:
                self.ipr(namespace).link('del', index=idx)
            except NetlinkError as e:
                if e.code != errno.ENODEV:
                    raise

    def set_link(self, namespace, index, **kwargs):
        self.ipr(namespace).link('set', index=index, **kwargs)

    # addresses and routes
    def addresses(self, namespace, index):
        """{'address/prefixlen'} on the link, IPv6 link-local left out."""
        out = set()
        for msg in self.ipr(namespace).addr('dump', index=index):
            address = msg.get_attr('IFA_ADDRESS')
            if address and not address.lower().startswith('fe80:'):
                out.add('%s/%d' % (address, msg['prefixlen']))
        return out

    def set_addresses(self, namespace, index, wanted):
        ipr = self.ipr(namespace)
        have = self.addresses(namespace, index)
        for cidr in sorted(have - set(wanted)):
            address, plen = cidr.split('/')
            ipr.addr('del', index=index, address=address, prefixlen=int(plen))
        for cidr in sorted(set(wanted) - have):
            address, plen = cidr.split('/')
            kwargs = {'flags': IFA_F_NODAD} if ':' in address else {}
            try:
                ipr.addr('add', index=index, address=address, prefixlen=int(plen), **kwargs)
            except NetlinkError as e:
                if e.code != errno.EEXIST:
                    raise

    def gateway_routes(self, namespace):
        """{(destination, gateway)} of the main table's routes via a gateway."""
        out = set()
        for family in (2, 10):
            for msg in self.ipr(namespace).route('dump', family=family, table=254):
                gateway = msg.get_attr('RTA_GATEWAY')
                if not gateway:
                    continue
                dst = msg.get_attr('RTA_DST')
                default = '0.0.0.0' if family == 2 else '::'
                out.add(('%s/%d' % (dst or default, msg['dst_len']), gateway))
        return out

    def set_routes(self, namespace, wanted):
        ipr = self.ipr(namespace)
        have = self.gateway_routes(namespace)
        for dst, gateway in sorted(have - set(wanted)):
            try:
                ipr.route('del', dst=dst, gateway=gateway)
            except NetlinkError as e:
                if e.code != errno.ESRCH:
                    raise
        for dst, gateway in sorted(set(wanted) - have):
            try:
                ipr.route('replace', dst=dst, gateway=gateway)
            except NetlinkError as e:
                # the next hop is not (yet) on a connected network
                LOG.warning('%s: route %s via %s: %s', namespace, dst, gateway, e)

    # bridge forwarding database (VXLAN flood entries)
    def flood_peers(self, namespace, index):
        out = set()
        for msg in self.ipr(namespace).fdb('dump', ifindex=index):
            if msg.get_attr('NDA_LLADDR') == ZERO_MAC and msg.get_attr('NDA_DST'):
                out.add(msg.get_attr('NDA_DST'))
        return out

    def set_flood_peers(self, namespace, index, wanted):
        ipr = self.ipr(namespace)
        have = self.flood_peers(namespace, index)
        for peer in sorted(have - set(wanted)):
            ipr.fdb('del', ifindex=index, lladdr=ZERO_MAC, dst=peer)
        for peer in sorted(set(wanted) - have):
            ipr.fdb('append', ifindex=index, lladdr=ZERO_MAC, dst=peer)


def write_sysctls(namespace, pairs):
    """Write /proc/sys keys inside a namespace (pairs of ('net/ipv4/ip_forward', '1'))."""
    if namespace:
        netns.pushns(namespace)
    try:
        for key, value in pairs:
            with open(os.path.join('/proc/sys', key), 'w') as f:
                f.write(value)
    finally:
        if namespace:
            netns.popns()
