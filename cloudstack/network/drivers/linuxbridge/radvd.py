"""Router advertisements for a router's IPv6 subnets (what radvd does for
Neutron's routers), as a small daemon in the router's namespace.

For each router interface on an IPv6 subnet with an ipv6_ra_mode it
advertises the prefix, with the flags of the mode: slaac (A), dhcpv6-stateless
(A and O), dhcpv6-stateful (M and O: addresses come from the DHCP server).
It answers router solicitations at once and advertises unsolicited now and
then (three times a second apart after a start or a change).
Reloads its JSON config on SIGHUP; writes a pid file.

    python -m cloudstack.network.drivers.linuxbridge.radvd --config FILE.json \
        --pid-file FILE [--foreground]

config: [{"interface": "qr-...", "mac": "fa:16:3e:...", "mtu": 1450,
          "prefixes": [{"prefix": "fd00::/64", "mode": "slaac"}]}]
"""
import argparse
import ipaddress
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

from cloudstack.network.drivers.linuxbridge import daemon

ICMPV6_RS, ICMPV6_RA = 133, 134
ALL_NODES, ALL_ROUTERS = 'ff02::1', 'ff02::2'
ROUTER_LIFETIME = 1800
VALID_LIFETIME, PREFERRED_LIFETIME = 86400, 14400
INITIAL_ADVERTISEMENTS, INITIAL_INTERVAL = 3, 1.0
MIN_INTERVAL, MAX_INTERVAL = 30.0, 100.0
ICMP6_FILTER = 1
IPV6_JOIN_GROUP = getattr(socket, 'IPV6_JOIN_GROUP', 20)


def advertisement(entry):
    """The ICMPv6 router advertisement (checksum left to the kernel)."""
    modes = {p['mode'] for p in entry['prefixes']}
    managed = 'dhcpv6-stateful' in modes
    other = managed or 'dhcpv6-stateless' in modes
    flags = (0x80 if managed else 0) | (0x40 if other else 0)
    packet = struct.pack('!BBHBBHII', ICMPV6_RA, 0, 0, 64, flags, ROUTER_LIFETIME, 0, 0)
    packet += struct.pack('!BB6s', 1, 1, bytes(int(b, 16) for b in entry['mac'].split(':')))
    if entry.get('mtu'):
        packet += struct.pack('!BBHI', 5, 1, 0, entry['mtu'])
    for prefix in entry['prefixes']:
        net = ipaddress.IPv6Network(prefix['prefix'], strict=False)
        autonomous = prefix['mode'] in ('slaac', 'dhcpv6-stateless')
        packet += struct.pack('!BBBBIII16s', 3, 4, net.prefixlen, 0x80 | (0x40 if autonomous else 0),
                              VALID_LIFETIME, PREFERRED_LIFETIME, 0, net.network_address.packed)
    return packet


class Advertiser:
    def __init__(self, config_file):
        self.config_file = config_file
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
        self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
        self.sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
        # receive router solicitations only
        blocked = [0xffffffff] * 8
        blocked[ICMPV6_RS >> 5] &= ~(1 << (ICMPV6_RS & 31))
        self.sock.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, struct.pack('=8I', *blocked))
        self.entries, self.joined = {}, set()
        self.load()

    def load(self):
        with open(self.config_file) as f:
            entries = json.load(f)
        self.entries = {}
        for entry in entries:
            try:
                index = socket.if_nametoindex(entry['interface'])
            except OSError:
                continue                            # not there (yet)
            self.entries[index] = (entry, advertisement(entry))
            if index not in self.joined:
                mreq = socket.inet_pton(socket.AF_INET6, ALL_ROUTERS) + struct.pack('@I', index)
                try:
                    self.sock.setsockopt(socket.IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq)
                    self.joined.add(index)
                except OSError:
                    pass
        self.initial = INITIAL_ADVERTISEMENTS

    def advertise(self, index=None):
        for idx, (_, packet) in self.entries.items():
            if index is None or idx == index:
                try:
                    self.sock.sendto(packet, (ALL_NODES, 0, 0, idx))
                except OSError:
                    pass                            # no link-local address yet

    def serve(self, reload_flag):
        next_at = time.monotonic()
        while True:
            if reload_flag:
                reload_flag.clear()
                try:
                    self.load()
                except (OSError, ValueError) as e:
                    sys.stderr.write('reload failed: %s\n' % e)
                next_at = time.monotonic()
            now = time.monotonic()
            if now >= next_at:
                self.advertise()
                if self.initial > 0:
                    self.initial -= 1
                    next_at = now + INITIAL_INTERVAL
                else:
                    next_at = now + random.uniform(MIN_INTERVAL, MAX_INTERVAL)
            try:
                ready, _, _ = select.select([self.sock], [], [], max(0.0, next_at - now))
            except InterruptedError:
                continue
            if ready:
                try:
                    _, _, _, address = self.sock.recvmsg(1500)
                except OSError:
                    continue
                self.advertise(address[3] if len(address) > 3 else None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', required=True)
    parser.add_argument('--pid-file', required=True)
    parser.add_argument('--foreground', action='store_true')
    args = parser.parse_args(argv)
    advertiser = Advertiser(args.config)
    if args.foreground:
        daemon.write_pid(args.pid_file)
    else:
        daemon.daemonize(args.pid_file)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)
    flag = set()

    class Flag:
        def __bool__(self):
            return bool(flag)

        def clear(self):
            flag.clear()

    signal.signal(signal.SIGHUP, lambda s, f: flag.add(1))
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(0))
    advertiser.serve(Flag())


if __name__ == '__main__':
    main()
