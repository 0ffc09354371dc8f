"""The router advertisement a router sends for its IPv6 subnets."""
import struct

from cloudstack.network.drivers.linuxbridge import radvd


def _options(packet):
    options, offset = {}, 16
    while offset < len(packet):
        kind, length = packet[offset], packet[offset + 1] * 8
        options.setdefault(kind, []).append(packet[offset:offset + length])
        offset += length
    return options


def test_slaac_prefix_mtu_and_source_address():
    packet = radvd.advertisement({'interface': 'qr-x', 'mac': 'fa:16:3e:00:00:01', 'mtu': 1450,
                                  'prefixes': [{'prefix': 'fd00:1::/64', 'mode': 'slaac'}]})
    kind, code, _, hop_limit, flags, lifetime = struct.unpack_from('!BBHBBH', packet)
    assert (kind, code, hop_limit, flags, lifetime) == (134, 0, 64, 0, radvd.ROUTER_LIFETIME)
    options = _options(packet)
    assert options[1] == [bytes([1, 1, 0xfa, 0x16, 0x3e, 0, 0, 1])]
    assert struct.unpack('!BBHI', options[5][0]) == (5, 1, 0, 1450)
    prefix = options[3][0]
    assert prefix[2] == 64 and prefix[3] == 0xc0                  # on-link, autonomous
    assert prefix[16:] == bytes.fromhex('fd000001000000000000000000000000')


def test_dhcpv6_modes_set_managed_and_other():
    stateful = radvd.advertisement({'mac': '00:00:00:00:00:01', 'prefixes': [
        {'prefix': 'fd00:2::/64', 'mode': 'dhcpv6-stateful'}]})
    assert stateful[5] == 0xc0                                    # M and O
    assert _options(stateful)[3][0][3] == 0x80                    # on-link, no SLAAC
    stateless = radvd.advertisement({'mac': '00:00:00:00:00:01', 'prefixes': [
        {'prefix': 'fd00:3::/64', 'mode': 'dhcpv6-stateless'}]})
    assert stateless[5] == 0x40 and _options(stateless)[3][0][3] == 0xc0
