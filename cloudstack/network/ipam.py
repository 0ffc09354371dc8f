"""IP address management: allocation pools and exact allocation.

An address is held by a row of `ip_allocations`, whose primary key is
(subnet, address): two workers may pick the same free address, but only one
insert of it succeeds; the other rolls back to its savepoint, reads the
allocations again and tries the next free one. So an address is never handed
out twice, on SQLite (one writer at a time) and PostgreSQL (concurrent
writers, the unique index deciding) alike, and a request fails with
IpAddressGenerationFailure only when it saw no free address left.
"""
import ipaddress
import random

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from cloudstack.network import exceptions as exc
from cloudstack.network import models

# Pick among this many of the lowest free addresses, so that concurrent
# requests seldom race for the same one.
SPREAD = 8
ATTEMPTS = 200
# Pools larger than this are probed at random first.
ROOMY = 1024
AUTO_ADDRESS_MODES = ('slaac', 'dhcpv6-stateless')


def network(cidr):
    return ipaddress.ip_network(cidr, strict=False)


def address(text):
    return ipaddress.ip_address(text)


def canonical(ip):
    """An address as stored and shown: compressed, lower case."""
    return str(ipaddress.ip_address(ip))


def is_auto_address(subnet):
    """A SLAAC or DHCPv6-stateless subnet: ports get an EUI-64 address."""
    return subnet.ip_version == 6 and subnet.ipv6_address_mode in AUTO_ADDRESS_MODES


def eui64(cidr, mac):
    """The EUI-64 address of `mac` in the /64 `cidr`."""
    octets = [int(x, 16) for x in mac.split(':')]
    octets[0] ^= 0x02
    iid = octets[:3] + [0xff, 0xfe] + octets[3:]
    value = int.from_bytes(bytes(iid), 'big')
    return str(network(cidr).network_address + value)


def default_pools(cidr, gateway_ip):
    """Neutron's pools: every usable address but the gateway (and, for
    IPv4, the network and broadcast addresses; for IPv6 the subnet-router
    anycast address)."""
    net = network(cidr)
    if net.version == 4 and net.prefixlen >= 31:
        first, last = net.network_address, net.broadcast_address
    elif net.version == 4:
        first, last = net.network_address + 1, net.broadcast_address - 1
    else:
        if net.prefixlen == 128:
            return [{'start': str(net.network_address), 'end': str(net.network_address)}]
        first, last = net.network_address + 1, net.broadcast_address
    ranges = [(first, last)]
    if gateway_ip:
        gw = address(gateway_ip)
        split = []
        for lo, hi in ranges:
            if lo <= gw <= hi:
                if lo < gw:
                    split.append((lo, gw - 1))
                if gw < hi:
                    split.append((gw + 1, hi))
            else:
                split.append((lo, hi))
        ranges = split
    return [{'start': str(lo), 'end': str(hi)} for lo, hi in ranges]


def validate_pools(cidr, pools, gateway_ip):
    """Canonical, sorted pools, or InvalidInput / a conflict with the gateway."""
    net = network(cidr)
    out = []
    for pool in pools:
        try:
            start, end = address(pool['start']), address(pool['end'])
        except (KeyError, TypeError, ValueError):
            raise exc.InvalidInput(error='Invalid allocation pool %s' % (pool,))
        if start.version != net.version or end.version != net.version:
            raise exc.InvalidInput(error='Allocation pool %s-%s is of a different IP '
                                         'version than the subnet' % (start, end))
        if start > end:
            raise exc.InvalidInput(error='Invalid allocation pool %s-%s: start after '
                                         'end' % (start, end))
        if start not in net or end not in net:
            raise exc.BadRequest('The allocation pool %s-%s spans beyond the subnet '
                                 'cidr %s.' % (start, end, cidr))
        if net.version == 4 and net.prefixlen < 31 and (
                start == net.network_address or end == net.broadcast_address):
            raise exc.BadRequest('The allocation pool %s-%s spans beyond the subnet '
                                 'cidr %s.' % (start, end, cidr))
        out.append((start, end))
    out.sort()
    for (s1, e1), (s2, e2) in zip(out, out[1:]):
        if s2 <= e1:
            raise exc.BadRequest('Found overlapping allocation pools: %s-%s and '
                                 '%s-%s' % (s1, e1, s2, e2))
    if gateway_ip:
        gw = address(gateway_ip)
        for start, end in out:
            if start <= gw <= end:
                raise GatewayConflictWithAllocationPools(
                    'Gateway ip %s conflicts with allocation pool %s-%s.' % (
                        gw, start, end))
    return [{'start': str(s), 'end': str(e)} for s, e in out]


class GatewayConflictWithAllocationPools(exc.Conflict):
    pass


def pool_size(pools):
    return sum(int(address(p['end'])) - int(address(p['start'])) + 1 for p in pools)


def in_pools(ip, pools):
    ip = address(ip)
    return any(address(p['start']) <= ip <= address(p['end']) for p in pools)


def check_fixed_ip(subnet, ip):
    """400 unless `ip` may be given to a port on `subnet`."""
    try:
        value = address(ip)
    except ValueError:
        raise exc.InvalidInput(error="'%s' is not a valid IP address" % ip)
    net = network(subnet.cidr)
    if value not in net:
        raise exc.InvalidIpForSubnet(ip_address=ip)
    if net.version == 4 and net.prefixlen < 31 and value in (
            net.network_address, net.broadcast_address):
        raise exc.InvalidIpForSubnet(ip_address=ip)
    return str(value)


def used_addresses(session, subnet_id):
    return set(session.scalars(sa.select(models.IPAllocation.ip_address).where(
        models.IPAllocation.subnet_id == subnet_id)))


def _free_candidates(pools, used, count):
    """Up to `count` free addresses of `pools`, lowest first."""
    taken = {int(address(ip)) for ip in used}
    found = []
    for pool in pools:
        start, end = address(pool['start']), address(pool['end'])
        kind = type(start)
        current, last = int(start), int(end)
        while current <= last:
            if current not in taken:
                found.append(str(kind(current)))
                if len(found) >= count:
                    return found
            current += 1
    return found


def hold(session, subnet, port_id, ip):
    """Record `ip` of `subnet` for the port; False when someone holds it."""
    try:
        with session.begin_nested():
            session.add(models.IPAllocation(subnet_id=subnet.id, ip_address=ip,
                                            port_id=port_id, network_id=subnet.network_id))
        return True
    except sa_exc.IntegrityError:
        return False


def allocate_specific(session, subnet, port_id, ip):
    ip = check_fixed_ip(subnet, ip)
    if not hold(session, subnet, port_id, ip):
        if session.get(models.Subnet, subnet.id) is None:
            raise exc.not_found('subnet', subnet.id)
        raise exc.IpAddressInUse(net_id=subnet.network_id, ip_address=ip)
    return ip


def _random_candidates(pools, count):
    """`count` random addresses of `pools` (weighted by pool size)."""
    ranges = [(int(address(p['start'])), int(address(p['end'])), type(address(p['start'])))
              for p in pools]
    sizes = [last - first + 1 for first, last, _ in ranges]
    out = set()
    for _ in range(count):
        first, last, kind = random.choices(ranges, weights=sizes)[0]
        out.add(str(kind(random.randint(first, last))))
    return list(out)


def _probe(session, subnet, pools):
    """Free addresses among a few random ones of a roomy pool (one query)."""
    candidates = _random_candidates(pools, SPREAD)
    taken = set(session.scalars(sa.select(models.IPAllocation.ip_address).where(
        models.IPAllocation.subnet_id == subnet.id,
        models.IPAllocation.ip_address.in_(candidates))))
    return [c for c in candidates if c not in taken]


def allocate_any(session, subnet, port_id):
    """A free address of the subnet's pools, held for the port, or None when
    there is none left. In a large pool a few random addresses are tried
    first (checking them costs one small query); when none of them is free,
    or the pool is small, the allocations are read and the lowest free ones
    tried, so that the last free address is found and a full pool is
    reported as full."""
    pools = subnet.allocation_pools or []
    roomy = pool_size(pools) > ROOMY
    for attempt in range(ATTEMPTS):
        candidates = _probe(session, subnet, pools) if roomy and attempt < 3 else None
        if not candidates:
            candidates = _free_candidates(pools, used_addresses(session, subnet.id), SPREAD)
            if not candidates:
                return None
        ip = random.choice(candidates)
        if hold(session, subnet, port_id, ip):
            return ip
        if session.get(models.Subnet, subnet.id) is None:
            raise exc.not_found('subnet', subnet.id)
    return None


def release(session, port_id, subnet_id, ip):
    session.execute(sa.delete(models.IPAllocation).where(
        models.IPAllocation.port_id == port_id, models.IPAllocation.subnet_id == subnet_id,
        models.IPAllocation.ip_address == ip))
