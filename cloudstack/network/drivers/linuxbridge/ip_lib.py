"""Netlink through pyroute2, and commands run inside namespaces.

Not for green threads: pyroute2 needs the real select and socket modules,
so under eventlet this runs in the dataplane worker process (worker.py).
Pitfalls kept in mind: IPRoute(netns=...) creates a missing namespace
unless flags=0, and opening one costs ~10 ms, so there is one per namespace,
kept open until the namespace goes.
"""
import ctypes
import dataclasses
import errno
import ipaddress
import logging
import os
import select
import socket
import struct
import subprocess
import threading
import time

from pyroute2 import IPRoute, NetlinkError, netns
from pyroute2.netlink.rtnl import RTM_DELLINK, RTMGRP_LINK

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
        setns_fd(fd)
    finally:
        os.close(fd)


def setns_fd(fd):
    """Move the calling thread into the network namespace open as `fd`."""
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def socket_in(namespace, family, kind, proto=0):
    """A socket inside `namespace`; the calling thread stays where it was."""
    home = os.open('/proc/self/ns/net', os.O_RDONLY | os.O_CLOEXEC)
    try:
        if namespace:
            enter(namespace)
        try:
            return socket.socket(family, kind | socket.SOCK_CLOEXEC, proto)
        finally:
            if namespace:
                setns_fd(home)
    finally:
        os.close(home)


def netlink_socket_in(namespace, groups):
    """A non-blocking rtnetlink socket inside `namespace`, bound to the
    multicast `groups`."""
    sock = socket_in(namespace, socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_NONBLOCK,
                     socket.NETLINK_ROUTE)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((0, groups))
    return sock


def run(argv, namespace=None, input=None, check=True, timeout=60):
    """Run a command (an argument list, never a shell string), in
    `namespace` when given; return its CompletedProcess."""
    return run_all([(argv, input)], namespace, check, timeout)[0]


def in_namespace(argv, namespace):
    """argv run inside `namespace` through nsenter: a child started without
    a preexec function is spawned with vfork, where fork() would copy this
    process's page tables (tens of milliseconds on a virtual machine)."""
    if not namespace:
        return list(argv)
    return ['nsenter', '--net=' + os.path.join(NETNS_RUN_DIR, namespace), '--'] + list(argv)


def _start(argv, namespace, with_input, text=True):
    return subprocess.Popen(
        in_namespace(argv, namespace),
        stdin=subprocess.PIPE if with_input else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=text, close_fds=True)


def namespace_inode(namespace):
    """The inode of a named namespace (None: none, or the process's own), to
    tell a namespace made again from the one a command was started in."""
    if not namespace:
        return None
    try:
        return os.stat(os.path.join(NETNS_RUN_DIR, namespace)).st_ino
    except FileNotFoundError:
        return None


def run_all(commands, namespace=None, check=True, timeout=60):
    """Run (argv, input) commands side by side; their CompletedProcesses."""
    return _finish([(argv, input, _start(argv, namespace, input is not None))
                    for argv, input in commands], namespace, check, timeout)


class ReadyCommands:
    """Commands that read all their input before acting (restore commands),
    started ahead and left waiting on their input, so that a sync does not
    wait for them to start (exec and dynamic linking, ~3 ms each and more on
    a busy host). After each run fresh ones are started, by a thread: the
    sync reports its ports meanwhile. `keep(argv)` says which may wait
    (iptables-legacy takes its lock as it starts: never)."""

    def __init__(self, namespace=None, keep=lambda argv: True):
        self.namespace, self.keep = namespace, keep
        self.waiting = {}            # argv -> (process, namespace inode)
        self.refill = None           # the thread starting the next ones

    def _settle(self):
        if self.refill is not None:
            self.refill.join()
            self.refill = None

    def _start_waiting(self, argvs, inode):
        for argv in argvs:
            try:
                self.waiting[tuple(argv)] = (_start(argv, self.namespace, True), inode)
            except OSError as e:        # started on demand next time
                LOG.warning('starting %s ahead failed: %s', argv[0], e)

    def run_all(self, commands, check=True, timeout=60):
        self._settle()
        inode = namespace_inode(self.namespace)
        procs = []
        for argv, input in commands:
            proc, where = self.waiting.pop(tuple(argv), (None, None))
            if proc is not None and (proc.poll() is not None or where != inode):
                _stop(proc)                 # died, or its namespace was made again
                proc = None
            if proc is None:
                proc = _start(argv, self.namespace, True)
            procs.append((argv, input or '', proc))
        try:
            return _finish(procs, self.namespace, check, timeout)
        finally:
            wanted = [argv for argv, _input in commands
                      if self.keep(argv) and tuple(argv) not in self.waiting]
            if wanted:
                self.refill = threading.Thread(target=self._start_waiting,
                                               args=(wanted, inode), daemon=True)
                self.refill.start()

    def close(self):
        """Stop the waiting commands (each holds the namespace)."""
        self._settle()
        waiting, self.waiting = self.waiting, {}
        for proc, _inode in waiting.values():
            _stop(proc)


def _stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


class Session:
    """A restore command kept running from one sync to the next.

    iptables' nf_tables restore commands (1.8) read their input line by
    line, commit each table at its COMMIT, and with -v echo a comment line
    (flushed) once every line before it is done: that echo is the
    acknowledgement of what was sent. At the first error they exit, saying
    why on stderr; a session whose command died, or whose namespace was made
    again, starts a fresh one at its next send."""

    MARK = b'# cs-done %d\n'

    def __init__(self, argv, namespace=None):
        self.argv, self.namespace = list(argv), namespace
        self.proc = self.inode = None
        self.sent = 0                   # the number of the last mark sent
        self.unsent = b''               # input the command has not taken yet
        self.out = self.err = b''
        self.waiting = False

    def send(self, text):
        """Hand the command `text` (whole tables, each ending in COMMIT);
        it starts on it at once. wait() tells when it is done."""
        inode = namespace_inode(self.namespace)
        if self.proc is not None and (self.proc.poll() is not None or inode != self.inode):
            self.close()
        if self.proc is None:
            self.proc = _start(self.argv, self.namespace, True, text=False)
            self.inode, self.out, self.err = inode, b'', b''
            for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                os.set_blocking(pipe.fileno(), False)
        self.sent += 1
        self.unsent += text.encode() + self.MARK % self.sent
        self.waiting = True
        self._write()

    def _write(self):
        try:
            while self.unsent:
                self.unsent = self.unsent[os.write(self.proc.stdin.fileno(), self.unsent):]
        except BlockingIOError:
            pass
        except BrokenPipeError:         # it died: its stderr says why
            self.unsent = b''

    def _read(self, pipe):
        """Take what the pipe holds; False at its end (the command exited)."""
        try:
            data = os.read(pipe.fileno(), 65536)
        except BlockingIOError:
            return True
        if pipe is self.proc.stdout:
            self.out += data
            mark = self.MARK % self.sent
            if mark in self.out:
                self.out = self.out.split(mark, 1)[1]
                self.waiting = False
        else:
            self.err = (self.err + data)[-65536:]
        return bool(data)

    def ended(self):
        """The command closed its output: reap it, read what it wrote last,
        and say why it died (None when it had done all it was sent)."""
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for pipe in (self.proc.stdout, self.proc.stderr):
            os.set_blocking(pipe.fileno(), True)
            while self._read(pipe):
                pass
        reason = None
        if self.waiting:
            reason = '%s%s: exit %d: %s' % (
                ' '.join(self.argv[:3]), ' (in %s)' % self.namespace if self.namespace else '',
                self.proc.returncode, self.err.decode(errors='replace').strip()[:2000])
        self.close()
        return reason

    def close(self):
        """End the command (it leaves at the end of its input)."""
        proc, self.proc = self.proc, None
        self.waiting, self.unsent = False, b''
        if proc is None:
            return
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def wait_sessions(sessions, timeout=60):
    """Wait until every session acknowledged what it was sent (their
    commands work side by side); CommandFailed naming those that died."""
    deadline = time.monotonic() + timeout
    failures = []
    active = [s for s in sessions if s.waiting]
    while active:
        poller = select.poll()
        pipes = {}
        for session in active:
            proc = session.proc
            if session.unsent:
                poller.register(proc.stdin.fileno(), select.POLLOUT)
                pipes[proc.stdin.fileno()] = (session, proc.stdin)
            for pipe in (proc.stdout, proc.stderr):
                poller.register(pipe.fileno(), select.POLLIN)
                pipes[pipe.fileno()] = (session, pipe)
        left = deadline - time.monotonic()
        events = poller.poll(max(0, left) * 1000) if left > 0 else []
        if not events:
            for session in active:
                failures.append('%s: no answer in %d s' % (' '.join(session.argv[:3]), timeout))
                session.proc.kill()
                session.close()
            break
        dead = set()
        for fd, _event in events:
            session, pipe = pipes[fd]
            if session in dead:
                continue
            if pipe is session.proc.stdin:
                session._write()
            elif not session._read(pipe):
                dead.add(session)
        for session in dead:
            reason = session.ended()
            if reason:
                failures.append(reason)
        active = [s for s in active if s.waiting and s not in dead]
    for session in sessions:
        if session.proc is not None and session.err:
            LOG.warning('%s: %s', session.argv[0], session.err.decode(errors='replace').strip())
            session.err = b''
    if failures:
        raise CommandFailed('; '.join(failures))


# Inputs up to this size are written to all the commands before any is
# waited for, so that they work side by side (a pipe holds 64 KiB).
EARLY_INPUT = 60000


def _finish(procs, namespace, check, timeout):
    """Feed started (argv, input, process) their input; their results."""
    results, failures = [], []
    for i, (argv, input, proc) in enumerate(procs):
        if input and proc.stdin and len(input) < EARLY_INPUT:
            try:
                proc.stdin.write(input)
                proc.stdin.flush()
            except BrokenPipeError:
                pass                # it failed already: its stderr says why
            procs[i] = (argv, None, proc)
    for argv, input, proc in procs:
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        result = subprocess.CompletedProcess(argv, proc.returncode, out, err)
        results.append(result)
        if check and result.returncode != 0:
            failures.append('%s%s: exit %d: %s' % (
                ' '.join(argv[:3]), ' (in %s)' % namespace if namespace else '',
                result.returncode, result.stderr.strip()[:2000]))
    if failures:
        raise CommandFailed('; '.join(failures))
    return results


def attr(msg, *path):
    """An attribute of a netlink message, following nested attributes."""
    value = msg
    for name in path:
        if value is None:
            return None
        value = value.get_attr(name)
    return value


@dataclasses.dataclass
class LinkInfo:
    index: int
    kind: str | None
    master: int | None
    mtu: int
    up: bool


def _info(msg):
    return LinkInfo(msg['index'], attr(msg, 'IFLA_LINKINFO', 'IFLA_INFO_KIND'),
                    msg.get_attr('IFLA_MASTER') or None, msg.get_attr('IFLA_MTU'),
                    bool(msg['flags'] & IFF_UP))


# rtnetlink by hand, for the two hot paths of a sync (reading link events,
# setting a link): pyroute2 decodes every attribute of a message and runs
# each request through an event loop, ~1 ms and ~3 ms where these take ~20 us.
NLMSG_HEADER = struct.Struct('=IHHII')          # length, type, flags, seq, pid
IFINFOMSG = struct.Struct('=BBHiII')            # family, pad, type, index, flags, change
NLA_HEADER = struct.Struct('=HH')               # length, type
NLMSG_ERROR = 2
RTM_NEWLINK = 16
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLA_TYPE_MASK = 0x3fff
IFLA_IFNAME, IFLA_MTU, IFLA_MASTER, IFLA_LINKINFO, IFLA_INFO_KIND = 3, 4, 10, 18, 1


def _attributes(data, start, end):
    """(type, value start, value end) of the attributes in data[start:end]."""
    while start + NLA_HEADER.size <= end:
        length, kind = NLA_HEADER.unpack_from(data, start)
        if length < NLA_HEADER.size:
            return
        yield kind & NLA_TYPE_MASK, start + NLA_HEADER.size, min(start + length, end)
        start += (length + 3) & ~3


def _string(data, start, end):
    return bytes(data[start:end]).split(b'\0', 1)[0].decode()


def parse_link(data, start, length):
    """(message type, name, LinkInfo) of a link message at data[start:]."""
    msg_type = NLMSG_HEADER.unpack_from(data, start)[1]
    _family, _, _, index, flags, _ = IFINFOMSG.unpack_from(data, start + NLMSG_HEADER.size)
    name = kind = master = None
    mtu = 0
    body = start + NLMSG_HEADER.size + IFINFOMSG.size
    for attr_type, a, b in _attributes(data, body, start + length):
        if attr_type == IFLA_IFNAME:
            name = _string(data, a, b)
        elif attr_type == IFLA_MTU:
            mtu = struct.unpack_from('=I', data, a)[0]
        elif attr_type == IFLA_MASTER:
            master = struct.unpack_from('=I', data, a)[0] or None
        elif attr_type == IFLA_LINKINFO:
            for inner, c, d in _attributes(data, a, b):
                if inner == IFLA_INFO_KIND:
                    kind = _string(data, c, d)
    return msg_type, name, LinkInfo(index, kind, master, mtu, bool(flags & IFF_UP))


def _u32_attribute(attr_type, value):
    return NLA_HEADER.pack(8, attr_type) + struct.pack('=I', value)


def read_acks(sock, seqs):
    """(seq, errno or 0) of the kernel's acks to the requests numbered `seqs`,
    until every one has answered."""
    seqs = set(seqs)
    while seqs:
        data = sock.recv(65536)
        offset = 0
        while offset + NLMSG_HEADER.size <= len(data):
            length, msg_type, _, seq, _ = NLMSG_HEADER.unpack_from(data, offset)
            if length < NLMSG_HEADER.size:
                break
            if msg_type == NLMSG_ERROR and seq in seqs:
                seqs.discard(seq)
                (code,) = struct.unpack_from('=i', data, offset + NLMSG_HEADER.size)
                yield seq, -code
            offset += (length + 3) & ~3


class LinkSetter:
    """RTM_NEWLINK requests on one socket of a namespace: master, MTU and
    up/down of an existing link, acknowledged (errors as NetlinkError)."""

    def __init__(self, namespace):
        self.sock = socket_in(namespace, socket.AF_NETLINK, socket.SOCK_RAW,
                              socket.NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self):
        self.sock.close()

    def set(self, index, master=None, mtu=None, state=None):
        flags = change = 0
        if state is not None:
            flags, change = (IFF_UP if state == 'up' else 0), IFF_UP
        body = IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, index, flags, change)
        if master is not None:
            body += _u32_attribute(IFLA_MASTER, master)
        if mtu is not None:
            body += _u32_attribute(IFLA_MTU, mtu)
        self.seq += 1
        self.sock.send(NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), RTM_NEWLINK,
                                         NLM_F_REQUEST | NLM_F_ACK, self.seq, 0) + body)
        for _, code in read_acks(self.sock, {self.seq}):
            if code:
                raise NetlinkError(code, os.strerror(code))


class LinkCache:
    """The links of a namespace by name, kept current by netlink events, so
    that a sync looks at its taps without asking the kernel for each. One
    dump at the start (and after the event queue overflowed); afterwards
    only the links that changed are decoded."""

    def __init__(self, netlink, namespace):
        self.netlink, self.namespace = netlink, namespace
        self.sock = netlink_socket_in(namespace, RTMGRP_LINK)
        self.links = None            # name -> LinkInfo
        self.names = {}              # index -> name

    def close(self):
        self.sock.close()

    def refresh(self):
        if self.links is not None:
            try:
                self._drain()
                return self.links
            except OSError as e:
                if e.errno != errno.ENOBUFS:
                    raise
                LOG.warning('link events of %s overflowed: reading all links',
                            self.namespace or 'this namespace')
        self._drain(discard=True)
        self.links, self.names = {}, {}
        for name, msg in self.netlink.links(self.namespace).items():
            self._set(name, _info(msg))
        return self.links

    def _set(self, name, info):
        old = self.names.get(info.index)
        if old is not None and old != name:
            self.links.pop(old, None)
        self.links[name] = info
        self.names[info.index] = name

    def _drain(self, discard=False):
        while True:
            try:
                data = self.sock.recv(1 << 20)
            except BlockingIOError:
                return
            except OSError as e:
                if discard and e.errno == errno.ENOBUFS:
                    continue
                raise
            if discard:
                continue
            offset = 0
            while offset + 16 <= len(data):
                (length,) = struct.unpack_from('=I', data, offset)
                if length < 16:
                    break
                start, offset = offset, offset + ((length + 3) & ~3)
                # the bridge's own notices about its ports (AF_BRIDGE) are not links
                if length < 17 or data[start + 16] != socket.AF_UNSPEC:
                    continue
                msg_type, name, info = parse_link(data, start, length)
                if msg_type == RTM_DELLINK:
                    gone = self.names.pop(info.index, name)
                    if self.links.get(gone) is not None and self.links[gone].index == info.index:
                        del self.links[gone]
                elif name:
                    self._set(name, info)


# ipset's netlink protocol (netfilter's subsystem 6), for members only.
NETLINK_NETFILTER = 12
NFGENMSG = struct.Struct('=BBH')                # family, version, resource id
NLA_F_NESTED, NLA_F_NET_BYTEORDER = 0x8000, 0x4000
IPSET_MESSAGE = {True: (6 << 8) | 9, False: (6 << 8) | 10}     # add, delete
IPSET_PROTOCOL = 7
IPSET_ATTR_PROTOCOL, IPSET_ATTR_SETNAME, IPSET_ATTR_DATA = 1, 2, 7
IPSET_ATTR_IP, IPSET_ATTR_CIDR = 1, 3
IPSET_ATTR_IPADDR = {4: 1, 6: 2}


def _attribute(attr_type, value):
    return (NLA_HEADER.pack(NLA_HEADER.size + len(value), attr_type) + value
            + b'\0' * (-len(value) % 4))


def ipset_message(add, name, member, seq):
    """The request adding `member` (an address or CIDR) to the hash:net set
    `name`, or deleting it; an existing member added or a missing one
    deleted is no error (no NLM_F_EXCL: ipset's -exist)."""
    net = ipaddress.ip_network(member, strict=False)
    address = _attribute(IPSET_ATTR_IPADDR[net.version] | NLA_F_NET_BYTEORDER,
                         net.network_address.packed)
    data = (_attribute(IPSET_ATTR_IP | NLA_F_NESTED, address)
            + _attribute(IPSET_ATTR_CIDR, bytes([net.prefixlen])))
    body = (NFGENMSG.pack(socket.AF_INET if net.version == 4 else socket.AF_INET6, 0, 0)
            + _attribute(IPSET_ATTR_PROTOCOL, bytes([IPSET_PROTOCOL]))
            + _attribute(IPSET_ATTR_SETNAME, name.encode() + b'\0')
            + _attribute(IPSET_ATTR_DATA | NLA_F_NESTED, data))
    return NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), IPSET_MESSAGE[add],
                             NLM_F_REQUEST | NLM_F_ACK, seq, 0) + body


class IpsetMembers:
    """Adds and deletes ipset members over netlink, as `ipset add/del
    -exist` would, without starting a command."""

    def __init__(self, namespace=None):
        self.sock = socket_in(namespace, socket.AF_NETLINK, socket.SOCK_RAW,
                              NETLINK_NETFILTER)
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self):
        self.sock.close()

    def change(self, changes):
        """Apply [(add, set name, member)] in order; NetlinkError on the first
        refused (ipset's own codes are above 4096)."""
        waiting = {}
        for add, name, member in changes:
            self.seq += 1
            waiting[self.seq] = '%s %s %s' % ('add' if add else 'del', name, member)
            self.sock.send(ipset_message(add, name, member, self.seq))
        errors = [(code, waiting[seq]) for seq, code in read_acks(self.sock, set(waiting))
                  if code]
        if errors:
            code, what = errors[0]
            raise NetlinkError(code, 'ipset %s: error %d' % (what, code))


class Netlink:
    """One IPRoute per namespace (None: the process's own)."""

    def __init__(self):
        self._handles = {}
        self._setters = {}

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
        setter = self._setters.pop(namespace, None)
        if setter is not None:
            setter.close()

    def close(self):
        for namespace in set(self._handles) | set(self._setters):
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

    def link(self, namespace, ifname):
        """The link's message, or None when there is no such link."""
        try:
            return self.ipr(namespace).link('get', ifname=ifname)[0]
        except NetlinkError as e:
            if e.code == errno.ENODEV:
                return None
            raise

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
        if set(kwargs) <= {'master', 'mtu', 'state'}:
            setter = self._setters.get(namespace)
            if setter is None:
                setter = self._setters[namespace] = LinkSetter(namespace)
            setter.set(index, **kwargs)
        else:
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
        """Make the link's addresses `wanted`; the ones added."""
        ipr = self.ipr(namespace)
        have = self.addresses(namespace, index)
        for cidr in sorted(have - set(wanted)):
            address, plen = cidr.split('/')
            ipr.addr('del', index=index, address=address, prefixlen=int(plen))
        added = sorted(set(wanted) - have)
        for cidr in added:
            address, plen = cidr.split('/')
            kwargs = {'flags': IFA_F_NODAD} if ':' in address else {}
            try:
                ipr.addr('add', index=index, address=address, prefixlen=int(plen), **kwargs)
            except NetlinkError as e:
                if e.code != errno.EEXIST:
                    raise
        return added

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


def gratuitous_arp(address, mac):
    """An Ethernet frame announcing that `address` is at `mac`."""
    hw = bytes(int(b, 16) for b in mac.split(':'))
    ip = socket.inet_aton(address)
    return (b'\xff' * 6 + hw + b'\x08\x06'
            + struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + hw + ip + b'\0' * 6 + ip)


def announce(namespace, ifname, mac, addresses):
    """Send a gratuitous ARP for each IPv4 address from `ifname`, so that
    neighbours learn at once where an address (a floating IP) now is."""
    sock = socket_in(namespace, socket.AF_PACKET, socket.SOCK_RAW)
    try:
        sock.bind((ifname, 0))
        for address in addresses:
            sock.send(gratuitous_arp(address, mac))
    finally:
        sock.close()


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
