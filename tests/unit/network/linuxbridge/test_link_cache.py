"""The link cache follows netlink events; links are set with requests made
by hand (both checked against pyroute2's own encoder and decoder)."""
import socket
import struct

import pytest
from pyroute2 import NetlinkError

from pyroute2.netlink.rtnl import RTM_DELLINK, RTM_NEWLINK
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from cloudstack.network.drivers.linuxbridge import ip_lib


def _event(kind, index, name, master=None, mtu=1500, up=True, family=socket.AF_UNSPEC,
           extra=()):
    msg = ifinfmsg()
    msg['header']['type'] = kind
    msg['family'] = family
    msg['index'] = index
    msg['flags'] = ip_lib.IFF_UP if up else 0
    msg['attrs'] = [('IFLA_IFNAME', name), ('IFLA_MTU', mtu)] + list(extra)
    if master:
        msg['attrs'].append(('IFLA_MASTER', master))
    msg.encode()
    return bytes(msg.data)


class FakeSocket:
    def __init__(self):
        self.datagrams = []

    def recv(self, size):
        if not self.datagrams:
            raise BlockingIOError()
        return self.datagrams.pop(0)

    def close(self):
        pass


def _cache():
    cache = ip_lib.LinkCache.__new__(ip_lib.LinkCache)
    cache.netlink, cache.namespace, cache.sock = None, None, FakeSocket()
    cache.links, cache.names = {}, {}
    return cache


def test_new_changed_renamed_and_deleted_links():
    cache = _cache()
    cache.sock.datagrams = [_event(RTM_NEWLINK, 7, 'tapabc', up=False)
                            + _event(RTM_NEWLINK, 8, 'brqnet')]
    links = cache.refresh()
    assert links['tapabc'] == ip_lib.LinkInfo(7, None, None, 1500, False)
    cache.sock.datagrams = [_event(RTM_NEWLINK, 7, 'tapabc', master=8, mtu=1450)]
    assert cache.refresh()['tapabc'] == ip_lib.LinkInfo(7, None, 8, 1450, True)
    cache.sock.datagrams = [_event(RTM_NEWLINK, 7, 'tapxyz', master=8)]
    links = cache.refresh()
    assert 'tapabc' not in links and links['tapxyz'].index == 7
    cache.sock.datagrams = [_event(RTM_DELLINK, 7, 'tapxyz')]
    assert set(cache.refresh()) == {'brqnet'}


def test_the_bridges_notices_about_its_ports_are_not_links():
    cache = _cache()
    cache.sock.datagrams = [_event(RTM_NEWLINK, 7, 'tapabc', master=8)]
    cache.refresh()
    # a port leaving the bridge: AF_BRIDGE DELLINK, then the link itself changes
    cache.sock.datagrams = [_event(RTM_DELLINK, 7, 'tapabc', family=socket.AF_BRIDGE)]
    assert cache.refresh()['tapabc'].master == 8


def test_a_link_message_reads_as_pyroute2_reads_it():
    data = b'\0' * 8 + _event(RTM_NEWLINK, 9, 'vxlan-42', master=3, mtu=1450, extra=[
        ('IFLA_ADDRESS', 'fa:16:3e:00:00:01'), ('IFLA_TXQLEN', 1000),
        ('IFLA_LINKINFO', {'attrs': [('IFLA_INFO_KIND', 'vxlan')]})])
    msg_type, name, info = ip_lib.parse_link(data, 8, len(data) - 8)
    decoded = ifinfmsg(data, offset=8)
    decoded.decode()
    assert (msg_type, name) == (RTM_NEWLINK, 'vxlan-42')
    assert info == ip_lib._info(decoded) == ip_lib.LinkInfo(9, 'vxlan', 3, 1450, True)


class AnsweringSocket(FakeSocket):
    """Takes requests; answers each with an acknowledgement carrying `error`."""

    def __init__(self, error=0):
        super().__init__()
        self.sent, self.error = [], error

    def send(self, data):
        self.sent.append(data)
        length, _type, _flags, seq, _pid = ip_lib.NLMSG_HEADER.unpack_from(data)
        other = ip_lib.NLMSG_HEADER.pack(20, ip_lib.NLMSG_ERROR, 0, seq + 100, 0) + \
            struct.pack('=i', 0)
        ack = ip_lib.NLMSG_HEADER.pack(36, ip_lib.NLMSG_ERROR, 0, seq, 0) + \
            struct.pack('=i', -self.error) + data[:16]
        self.datagrams.append(other + ack)


def _setter(error=0):
    setter = ip_lib.LinkSetter.__new__(ip_lib.LinkSetter)
    setter.sock, setter.seq = AnsweringSocket(error), 0
    return setter


def test_setting_a_link_sends_one_acknowledged_request():
    setter = _setter()
    setter.set(7, master=8, mtu=1450, state='up')
    setter.set(7, master=0, state='down')
    first, second = [ifinfmsg(d) for d in setter.sock.sent]
    for msg in (first, second):
        msg.decode()
    assert first['header']['type'] == RTM_NEWLINK and first['index'] == 7
    assert first['header']['flags'] == 1 | 4          # a request, acknowledged
    assert (first['flags'], first['change']) == (ip_lib.IFF_UP, ip_lib.IFF_UP)
    assert (first.get_attr('IFLA_MASTER'), first.get_attr('IFLA_MTU')) == (8, 1450)
    assert (second['flags'], second['change']) == (0, ip_lib.IFF_UP)
    assert (second.get_attr('IFLA_MASTER'), second.get_attr('IFLA_MTU')) == (0, None)
    assert second['header']['sequence_number'] == first['header']['sequence_number'] + 1
    mtu_only = _setter()
    mtu_only.set(5, mtu=9000)
    msg = ifinfmsg(mtu_only.sock.sent[0])
    msg.decode()
    assert msg['change'] == 0 and msg.get_attr('IFLA_MASTER') is None


def test_a_refused_request_raises_the_kernels_error():
    with pytest.raises(NetlinkError) as caught:
        _setter(error=19).set(7, master=8)
    assert caught.value.code == 19
