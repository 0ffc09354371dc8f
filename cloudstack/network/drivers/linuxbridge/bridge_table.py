"""The frames each port may send, in a bridge-family nftables table of the
driver's own (`cs-ports`), written over netlink.

ebtables' nf_tables backend reads the whole table back before each change,
so a port more cost more with every port the host had (~10 ms at 100
ports). These rules are plain matches (the tap, the MAC, the ARP sender),
so the driver writes them itself: one netlink batch per apply, which the
kernel applies whole or not at all, and which costs the same at any number
of ports. A rule is (matches, verdict):

  matches  ('iifname', tap), ('ether_type', 0x0806), ('ether_saddr', mac),
           ('arp_ipv4',) (Ethernet and IPv4 ARP), ('arp_sha', mac),
           ('arp_spa', cidr)
  verdict  ('jump', chain), ('return',), ('drop',)

The base chain PREROUTING (the bridge's prerouting hook, before ebtables'
nat) jumps by tap to the port's chains (firewall.py renders them).
"""
import functools
import ipaddress
import os
import socket
import struct

from pyroute2 import NetlinkError

from cloudstack.network.drivers.linuxbridge import ip_lib

TABLE = 'cs-ports'
BASE_CHAIN = 'PREROUTING'
NFPROTO_BRIDGE = 7
NF_BR_PRE_ROUTING = 0
PRIORITY = -310                 # before ebtables' nat PREROUTING (-300)

NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END = 16, 17
NFT_MSG_NEWTABLE, NFT_MSG_GETTABLE, NFT_MSG_DELTABLE = 0, 1, 2
NFT_MSG_NEWCHAIN, NFT_MSG_DELCHAIN, NFT_MSG_NEWRULE, NFT_MSG_DELRULE = 3, 5, 6, 8
NLM_F_REQUEST, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP = 1, 4, 0x800, 0x400, 0x300
NLMSG_DONE = 3
NLA_F_NESTED = 0x8000

NFTA_TABLE_NAME = 1
NFTA_CHAIN_TABLE, NFTA_CHAIN_NAME, NFTA_CHAIN_HOOK, NFTA_CHAIN_POLICY, NFTA_CHAIN_TYPE = 1, 3, 4, 5, 7
NFTA_HOOK_HOOKNUM, NFTA_HOOK_PRIORITY = 1, 2
NFTA_RULE_TABLE, NFTA_RULE_CHAIN, NFTA_RULE_EXPRESSIONS = 1, 2, 4
NFTA_LIST_ELEM, NFTA_EXPR_NAME, NFTA_EXPR_DATA = 1, 1, 2
NFTA_DATA_VALUE, NFTA_DATA_VERDICT = 1, 2
NFTA_VERDICT_CODE, NFTA_VERDICT_CHAIN = 1, 2
NFT_REG_VERDICT, NFT_REG_1 = 0, 1
NFT_META_IIFNAME = 6
NFT_PAYLOAD_LL_HEADER, NFT_PAYLOAD_NETWORK_HEADER = 0, 1
NFT_CMP_EQ = 0
NF_DROP, NF_ACCEPT, NFT_JUMP, NFT_RETURN = 0, 1, -3, -5
IFNAMSIZ = 16
SOL_NETLINK, NETLINK_CAP_ACK = 270, 10
SO_SNDBUFFORCE = 32

ARP = 0x0806
ARP_IPV4 = bytes.fromhex('000108000604')    # htype Ethernet, ptype IPv4, hlen 6, plen 4
_VERDICTS = {'drop': NF_DROP, 'accept': NF_ACCEPT, 'return': NFT_RETURN, 'jump': NFT_JUMP}


# -- encoding ---------------------------------------------------------------
def _attr(kind, value):
    return (ip_lib.NLA_HEADER.pack(ip_lib.NLA_HEADER.size + len(value), kind) + value
            + b'\0' * (-len(value) % 4))


def _nest(kind, *attrs):
    return _attr(kind | NLA_F_NESTED, b''.join(attrs))


def _str(kind, text):
    return _attr(kind, text.encode() + b'\0')


def _u32(kind, value):
    return _attr(kind, struct.pack('!i' if value < 0 else '!I', value))


def _expr(name, *attrs):
    return _nest(NFTA_LIST_ELEM, _str(NFTA_EXPR_NAME, name), _nest(NFTA_EXPR_DATA, *attrs))


def _payload(base, offset, length):
    return _expr('payload', _u32(1, NFT_REG_1), _u32(2, base), _u32(3, offset), _u32(4, length))


def _cmp(value):
    return _expr('cmp', _u32(1, NFT_REG_1), _u32(2, NFT_CMP_EQ),
                 _nest(3, _attr(NFTA_DATA_VALUE, value)))


def _bitwise(mask):
    return _expr('bitwise', _u32(1, NFT_REG_1), _u32(2, NFT_REG_1), _u32(3, len(mask)),
                 _nest(4, _attr(NFTA_DATA_VALUE, mask)),
                 _nest(5, _attr(NFTA_DATA_VALUE, b'\0' * len(mask))))


def _mac(mac):
    return bytes(int(b, 16) for b in mac.split(':'))


def _match(match):
    kind = match[0]
    if kind == 'iifname':
        return [_expr('meta', _u32(1, NFT_REG_1), _u32(2, NFT_META_IIFNAME)),
                _cmp(match[1].encode().ljust(IFNAMSIZ, b'\0'))]
    if kind == 'ether_type':
        return [_payload(NFT_PAYLOAD_LL_HEADER, 12, 2), _cmp(struct.pack('!H', match[1]))]
    if kind == 'ether_saddr':
        return [_payload(NFT_PAYLOAD_LL_HEADER, 6, 6), _cmp(_mac(match[1]))]
    if kind == 'arp_ipv4':
        return [_payload(NFT_PAYLOAD_NETWORK_HEADER, 0, 6), _cmp(ARP_IPV4)]
    if kind == 'arp_sha':
        return [_payload(NFT_PAYLOAD_NETWORK_HEADER, 8, 6), _cmp(_mac(match[1]))]
    if kind == 'arp_spa':
        net = ipaddress.IPv4Network(match[1], strict=False)
        out = [_payload(NFT_PAYLOAD_NETWORK_HEADER, 14, 4)]
        if net.prefixlen < 32:
            out.append(_bitwise(net.netmask.packed))
        return out + [_cmp(net.network_address.packed)]
    raise ValueError('unknown match %r' % (match,))


def _verdict(verdict):
    attrs = [_u32(NFTA_VERDICT_CODE, _VERDICTS[verdict[0]])]
    if verdict[0] == 'jump':
        attrs.append(_str(NFTA_VERDICT_CHAIN, verdict[1]))
    return _expr('immediate', _u32(1, NFT_REG_VERDICT),
                 _nest(2, _nest(NFTA_DATA_VERDICT, *attrs)))


@functools.lru_cache(maxsize=65536)
def rule_expressions(rule):
    """The NFTA_RULE_EXPRESSIONS attribute of a (matches, verdict) rule."""
    matches, verdict = rule
    exprs = [e for match in matches for e in _match(match)]
    return _nest(NFTA_RULE_EXPRESSIONS, *exprs, _verdict(verdict))


@functools.lru_cache(maxsize=65536)
def text(rule):
    """A rule in nft's words (for logs and tests)."""
    words = {'iifname': 'iifname %s', 'ether_type': 'ether type 0x%04x',
             'ether_saddr': 'ether saddr %s', 'arp_ipv4': 'arp htype 1 ptype ip hlen 6 plen 4',
             'arp_sha': 'arp saddr ether %s', 'arp_spa': 'arp saddr ip %s'}
    matches, verdict = rule
    return ' '.join([words[m[0]] % m[1:] for m in matches] + [' '.join(verdict)])


class Batch:
    """nf_tables requests for the driver's bridge table, sent as one batch."""

    def __init__(self):
        self.messages = []
        self.steps = []             # what each request does, in words

    def _add(self, step, msg_type, flags, *attrs):
        self.steps.append(step)
        self.messages.append((msg_type, flags, b''.join(attrs)))

    def table(self, delete=False):
        self._add(('delete table' if delete else 'add table',),
                  NFT_MSG_DELTABLE if delete else NFT_MSG_NEWTABLE,
                  0 if delete else NLM_F_CREATE, _str(NFTA_TABLE_NAME, TABLE))

    def chain(self, name, delete=False):
        attrs = [_str(NFTA_CHAIN_TABLE, TABLE), _str(NFTA_CHAIN_NAME, name)]
        if name == BASE_CHAIN and not delete:
            attrs += [_nest(NFTA_CHAIN_HOOK, _u32(NFTA_HOOK_HOOKNUM, NF_BR_PRE_ROUTING),
                            _u32(NFTA_HOOK_PRIORITY, PRIORITY)),
                      _u32(NFTA_CHAIN_POLICY, NF_ACCEPT), _str(NFTA_CHAIN_TYPE, 'filter')]
        self._add(('delete chain' if delete else 'add chain', name),
                  NFT_MSG_DELCHAIN if delete else NFT_MSG_NEWCHAIN,
                  0 if delete else NLM_F_CREATE, *attrs)

    def flush(self, chain):
        self._add(('flush chain', chain), NFT_MSG_DELRULE, 0, _str(NFTA_RULE_TABLE, TABLE),
                  _str(NFTA_RULE_CHAIN, chain))

    def rule(self, chain, rule):
        self._add(('add rule', chain, text(rule)), NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
                  _str(NFTA_RULE_TABLE, TABLE), _str(NFTA_RULE_CHAIN, chain),
                  rule_expressions(rule))

    def encode(self, first_seq):
        """The batch's bytes; the sequence numbers its requests carry."""
        def header(msg_type, flags, seq, family, res_id, body):
            return ip_lib.NLMSG_HEADER.pack(
                ip_lib.NLMSG_HEADER.size + ip_lib.NFGENMSG.size + len(body), msg_type,
                NLM_F_REQUEST | flags, seq, 0) + ip_lib.NFGENMSG.pack(family, 0, res_id) + body
        seq = first_seq
        out = [header(NFNL_MSG_BATCH_BEGIN, 0, seq, socket.AF_UNSPEC,
                      socket.htons(NFNL_SUBSYS_NFTABLES), b'')]
        seqs = []
        for msg_type, flags, body in self.messages:
            seq += 1
            seqs.append(seq)
            out.append(header((NFNL_SUBSYS_NFTABLES << 8) | msg_type, flags | NLM_F_ACK, seq,
                              NFPROTO_BRIDGE, 0, body))
        seq += 1
        out.append(header(NFNL_MSG_BATCH_END, 0, seq, socket.AF_UNSPEC,
                          socket.htons(NFNL_SUBSYS_NFTABLES), b''))
        return b''.join(out), seqs


def changes(have, want):
    """The batch making the table's chains `want` ({chain: rules}) where
    they are `have` (None: unknown, the table is made again whole; want
    None: the table goes)."""
    batch = Batch()
    if want is None or have is None:
        batch.table()               # so that deleting it cannot fail
        batch.table(delete=True)
        if want is None:
            return batch
        have = {}
    if not have:
        batch.table()
    new = [c for c in want if c not in have]
    for chain in sorted(new, key=lambda c: c != BASE_CHAIN):
        batch.chain(chain)
    for chain, rules in want.items():
        before = have.get(chain)
        if before == rules:
            continue
        if before and chain == BASE_CHAIN and set(before) <= set(rules):
            # its jumps match distinct taps, in any order: a port more is appended
            known = set(before)
            rules = [rule for rule in rules if rule not in known]
        elif before:
            batch.flush(chain)
        for rule in rules:
            batch.rule(chain, rule)
    gone = [c for c in have if c not in want]
    for chain in gone:                          # no rule may jump to a chain deleted
        batch.flush(chain)
    for chain in gone:
        batch.chain(chain, delete=True)
    return batch


GONE = 'gone'                   # BridgeTable.chains when the table does not exist


class BridgeTable:
    """The driver's bridge table in one namespace, as last applied."""

    def __init__(self, namespace=None, timeout=30):
        self.namespace, self.timeout = namespace, timeout
        self.sock = None
        self.seq = 0
        self.chains = None          # {chain: rules} applied; None: unknown; or GONE

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def forget(self):
        """What the table holds is unknown: the next apply writes it whole."""
        self.chains = None

    def apply(self, chains, enabled=True):
        """Make the table hold `chains` ({chain: rules}); with `enabled`
        False, make it go."""
        want = dict(chains) if enabled else None
        if (want is None and self.chains == GONE) or (want is not None and self.chains == want):
            return
        batch = changes({} if self.chains == GONE else self.chains, want)
        if batch.messages:
            self._send(batch)
        self.chains = GONE if want is None else want

    def _send(self, batch):
        if self.sock is None:
            self.sock = ip_lib.socket_in(self.namespace, socket.AF_NETLINK, socket.SOCK_RAW,
                                         ip_lib.NETLINK_NETFILTER)
            self.sock.bind((0, 0))
            self.sock.settimeout(self.timeout)
            # an error's answer without the request it answers
            self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
            self.sndbuf = 0
        begin = self.seq + 1
        data, seqs = batch.encode(begin)
        self.seq = seqs[-1] + 1 if seqs else begin + 1
        waiting, errors = set(seqs), []
        try:
            if len(data) > self.sndbuf:     # a batch is one message, however long
                self.sndbuf = max(len(data) * 2, 1 << 20)
                self.sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, self.sndbuf)
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.sndbuf)
            self.sock.send(data)
            for seq, code in ip_lib.read_acks(self.sock, waiting | {begin}):
                if code:
                    errors.append(code)
                if seq == begin:            # the batch itself was refused
                    break
                waiting.discard(seq)
                if not waiting:
                    break
        except OSError:
            self.close()
            self.chains = None
            raise
        if errors:
            self.chains = None              # refused whole: what is there is unknown
            raise NetlinkError(errors[0], 'nftables table bridge %s: %s'
                               % (TABLE, os.strerror(errors[0])))


def tables(namespace=None):
    """The names of the bridge-family nftables tables of a namespace."""
    sock = ip_lib.socket_in(namespace, socket.AF_NETLINK, socket.SOCK_RAW,
                            ip_lib.NETLINK_NETFILTER)
    try:
        sock.bind((0, 0))
        sock.send(ip_lib.NLMSG_HEADER.pack(
            ip_lib.NLMSG_HEADER.size + ip_lib.NFGENMSG.size,
            (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
            + ip_lib.NFGENMSG.pack(NFPROTO_BRIDGE, 0, 0))
        names = []
        while True:
            data = sock.recv(65536)
            offset = 0
            while offset + ip_lib.NLMSG_HEADER.size <= len(data):
                length, msg_type = ip_lib.NLMSG_HEADER.unpack_from(data, offset)[:2]
                if msg_type == NLMSG_DONE:
                    return names
                if msg_type == ip_lib.NLMSG_ERROR:
                    (code,) = struct.unpack_from('=i', data, offset + ip_lib.NLMSG_HEADER.size)
                    if code:
                        raise OSError(-code, os.strerror(-code))
                    return names
                body = offset + ip_lib.NLMSG_HEADER.size + ip_lib.NFGENMSG.size
                for kind, a, b in ip_lib._attributes(data, body, offset + length):
                    if kind == NFTA_TABLE_NAME:
                        names.append(ip_lib._string(data, a, b))
                offset += (length + 3) & ~3
    finally:
        sock.close()

