"""The link cache follows netlink events (decoded by pyroute2)."""
import socket

from pyroute2.netlink.rtnl import RTM_DELLINK, RTM_NEWLINK
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from cloudstack.network.drivers.linuxbridge import ip_lib


def _event(kind, index, name, master=None, mtu=1500, up=True, family=socket.AF_UNSPEC):
    msg = ifinfmsg()
    msg['header']['type'] = kind
    msg['family'] = family
    msg['index'] = index
    msg['flags'] = ip_lib.IFF_UP if up else 0
    msg['attrs'] = [('IFLA_IFNAME', name), ('IFLA_MTU', mtu)]
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
