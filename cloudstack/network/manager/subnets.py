"""Subnets: CIDRs (given or from a subnet pool), gateways, allocation pools,
DNS servers, host routes, IPv6 address modes and service types."""
import ipaddress

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.network import exceptions as exc
from cloudstack.network import ipam
from cloudstack.network import models
from cloudstack.network.manager import base

IPV6_MODES = ('slaac', 'dhcpv6-stateful', 'dhcpv6-stateless')
SUBNET_SORT = {k: k for k in ('id', 'name', 'network_id', 'ip_version', 'cidr',
                              'gateway_ip', 'enable_dhcp', 'ipv6_ra_mode',
                              'ipv6_address_mode', 'subnetpool_id', 'project_id',
                              'created_at', 'updated_at', 'revision_number',
                              'description')}
SUBNET_SORT['tenant_id'] = 'project_id'
SUBNET_COLUMNS = {k: v for k, v in SUBNET_SORT.items()
                  if k not in ('created_at', 'updated_at')}
# Service types a subnet may be restricted to.
SERVICE_TYPE_PREFIXES = ('network:', 'compute:', 'baremetal:', 'neutron:')


def _cidr(text, version=None):
    try:
        iface = ipaddress.ip_interface(text)
    except (TypeError, ValueError):
        raise exc.InvalidInput(error="'%s' is not a valid IP subnet" % (text,))
    net = iface.network
    if iface.ip != net.network_address:
        raise exc.InvalidInput(error="'%s' isn't a recognized IP subnet cidr, '%s' is "
                                     "recommended" % (text, net))
    if version is not None and net.version != version:
        raise exc.InvalidInput(error='Cidr %s does not match ip_version %s' % (text, version))
    return net


def _ip(text, version, what):
    try:
        value = ipaddress.ip_address(text)
    except (TypeError, ValueError):
        raise exc.InvalidInput(error="'%s' is not a valid IP address" % (text,))
    if value.version != version:
        raise exc.InvalidInput(error='%s %s does not match the ip_version %s' % (
            what, text, version))
    return str(value)


def check_dns(servers, version=None):
    out = []
    if len(servers) > CONF.network.max_dns_nameservers:
        raise exc.BadRequest('Number of DNS nameservers exceeds the limit %d' %
                             CONF.network.max_dns_nameservers)
    for server in servers:
        try:
            value = str(ipaddress.ip_address(server))
        except (TypeError, ValueError):
            raise exc.InvalidInput(error="'%s' is not a valid nameserver" % (server,))
        if value in out:
            raise exc.InvalidInput(error="Duplicate nameserver '%s'" % server)
        out.append(value)
    return out


def check_host_routes(routes, version):
    out = []
    if len(routes) > CONF.network.max_routes:
        raise exc.BadRequest('Number of host routes exceeds the limit %d' %
                             CONF.network.max_routes)
    for route in routes:
        if not isinstance(route, dict) or set(route) != {'destination', 'nexthop'}:
            raise exc.InvalidInput(error='Invalid host route %s' % (route,))
        dest = _cidr(route['destination'])
        hop = _ip(route['nexthop'], dest.version, 'Nexthop')
        if dest.version != version:
            raise exc.InvalidInput(error='Host route %s does not match the ip_version '
                                         '%s' % (route, version))
        item = {'destination': str(dest), 'nexthop': hop}
        if item in out:
            raise exc.InvalidInput(error='Duplicate hostroute %s' % route)
        out.append(item)
    return out


def check_service_types(types):
    for item in types:
        if not isinstance(item, str) or not item.startswith(SERVICE_TYPE_PREFIXES):
            raise exc.InvalidInput(error='Invalid service type %s' % (item,))
    return list(types)


def subnet_dict(row, tags, external=False):
    out = {
        'id': row.id, 'name': row.name, 'network_id': row.network_id,
        'ip_version': row.ip_version, 'cidr': row.cidr, 'gateway_ip': row.gateway_ip,
        'enable_dhcp': row.enable_dhcp, 'ipv6_ra_mode': row.ipv6_ra_mode,
        'ipv6_address_mode': row.ipv6_address_mode, 'subnetpool_id': row.subnetpool_id,
        'allocation_pools': [dict(p) for p in row.allocation_pools or []],
        'dns_nameservers': list(row.dns_nameservers or []),
        'host_routes': [dict(r) for r in row.host_routes or []],
        'service_types': list(row.service_types or []),
        'router:external': external,
    }
    base.owned(out, row.project_id)
    return base.standard(row, out, tags)


class Subnets:

    def subnet_dicts(self, session, rows):
        tags = base.load_tags(session, [r.id for r in rows])
        network_ids = list({r.network_id for r in rows})
        external = set(session.scalars(sa.select(models.Network.id).where(
            models.Network.id.in_(network_ids or ['']), models.Network.external.is_(True))))
        return [subnet_dict(r, tags, r.network_id in external) for r in rows]

    def subnet_clause(self, ctx):
        if base.sees_every_project(ctx):
            return None
        return sa.or_(models.Subnet.project_id == ctx.project_id,
                      models.Subnet.network_id.in_(self.owned_networks(ctx)),
                      models.Subnet.network_id.in_(self.visible_network_ids(ctx)))

    def get_subnet_row(self, session, ctx, subnet_id, for_update=False):
        stmt = sa.select(models.Subnet).where(models.Subnet.id == subnet_id)
        clause = self.subnet_clause(ctx)
        if clause is not None:
            stmt = stmt.where(clause)
        if for_update:
            stmt = stmt.with_for_update()
        row = session.scalars(stmt).first()
        if row is None:
            raise exc.not_found('subnet', subnet_id)
        return row

    def get_subnet(self, ctx, subnet_id):
        with self.read() as s:
            return self.subnet_dicts(s, [self.get_subnet_row(s, ctx, subnet_id)])[0]

    def list_subnets(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            filters = dict(query.filters)
            clauses = base.tag_filters(models.Subnet, filters)
            visible = self.subnet_clause(ctx)
            if visible is not None:
                clauses.append(visible)
            if 'router:external' in filters:
                wanted = {base.to_bool(v) for v in filters.pop('router:external')}
                external = models.Subnet.network_id.in_(sa.select(models.Network.id).where(
                    models.Network.external.is_(True)))
                if wanted == {True}:
                    clauses.append(external)
                elif wanted == {False}:
                    clauses.append(sa.not_(external))
            if 'shared' in filters:
                wanted = {base.to_bool(v) for v in filters.pop('shared')}
                shared = models.Subnet.network_id.in_(sa.select(
                    models.RBACPolicy.object_id).where(
                    models.RBACPolicy.object_type == 'network',
                    models.RBACPolicy.action == 'access_as_shared',
                    models.RBACPolicy.target_project == '*'))
                if wanted == {True}:
                    clauses.append(shared)
                elif wanted == {False}:
                    clauses.append(sa.not_(shared))
            if 'segment_id' in filters:
                if any(v not in (None, '', 'None') for v in filters.pop('segment_id')):
                    clauses.append(sa.false())
            for key in ('dns_nameservers', 'host_routes', 'allocation_pools',
                        'service_types'):
                filters.pop(key, None)      # not filterable in SQL; Neutron ignores them too
            converters = {'enable_dhcp': base.to_bool, 'ip_version': int,
                          'revision_number': int}
            clauses += self.column_filters(models.Subnet, filters, SUBNET_COLUMNS,
                                           converters)
            self.unknown_filters(filters)
            rows = self.fetch(s, models.Subnet, query, clauses, SUBNET_SORT, 'subnet')
            return self.subnet_dicts(s, rows)

    # -- create -----------------------------------------------------------

    def create_subnet(self, ctx, body):
        base.check_project(ctx, body)
        with self.write() as s:
            return self._create_subnet(s, ctx, body)

    def create_subnets(self, ctx, bodies):
        with self.write() as s:
            return [self._create_subnet(s, ctx, b) for b in bodies]

    def _create_subnet(self, session, ctx, body):
        network = self.get_network_row(session, ctx, body.get('network_id'),
                                       for_update=True)
        project = base.project_for(ctx, body)
        self.check_quota(session, project, 'subnet', 1)
        version = body.get('ip_version')
        if version not in (4, 6):
            raise exc.InvalidInput(error='ip_version must be 4 or 6')
        pool = self._subnet_pool(session, ctx, body, version)
        if body.get('cidr'):
            net = _cidr(body['cidr'], version)
            if pool is not None:
                self.check_in_pool(session, pool, net)
        elif pool is not None:
            net = self.allocate_prefix(session, pool, body.get('prefixlen'))
        else:
            raise exc.BadRequest('Bad subnets request: a cidr must be specified in the '
                                 'absence of a subnet pool')
        if version == 4 and net.prefixlen > 32 or version == 6 and net.prefixlen > 128:
            raise exc.InvalidInput(error='Invalid prefix length')
        cidr = str(net)
        self._check_overlap(session, network.id, net, None)
        ra_mode, addr_mode = self._ipv6_modes(body, version, net)
        if 'gateway_ip' in body:
            gateway = body['gateway_ip']
            if gateway is not None:
                gateway = self._check_gateway(_ip(gateway, version, 'Gateway'), net)
        else:
            gateway = str(net.network_address + 1) if net.num_addresses > 2 or \
                version == 6 and net.num_addresses > 1 else None
        if body.get('allocation_pools'):
            pools = ipam.validate_pools(cidr, body['allocation_pools'], gateway)
        else:
            pools = ipam.default_pools(cidr, gateway)
        service_types = check_service_types(body.get('service_types') or [])
        row = models.Subnet(
            id=body.get('id') or base.new_uuid(), project_id=project,
            network_id=network.id, name=body.get('name') or '',
            description=body.get('description') or '', ip_version=version, cidr=cidr,
            gateway_ip=gateway, enable_dhcp=body.get('enable_dhcp', True),
            ipv6_ra_mode=ra_mode, ipv6_address_mode=addr_mode,
            subnetpool_id=pool.id if pool is not None else None,
            allocation_pools=pools,
            dns_nameservers=check_dns(body.get('dns_nameservers') or []),
            host_routes=check_host_routes(body.get('host_routes') or [], version),
            service_types=service_types,
            dns_publish_fixed_ip=bool(body.get('dns_publish_fixed_ip', False)))
        session.add(row)
        session.flush()
        if ipam.is_auto_address(row):
            self.add_auto_addresses(session, row)
        base.touch(network)
        self.subnet_changed(session, network, row)
        return self.subnet_dicts(session, [row])[0]

    @staticmethod
    def _check_gateway(gateway, net):
        gw = ipaddress.ip_address(gateway)
        if gw in net and net.version == 4 and net.prefixlen < 31 and gw in (
                net.network_address, net.broadcast_address):
            raise exc.InvalidInput(error='Gateway is not valid on subnet')
        return gateway

    @staticmethod
    def _ipv6_modes(body, version, net):
        ra_mode = body.get('ipv6_ra_mode')
        addr_mode = body.get('ipv6_address_mode')
        if version == 4:
            if ra_mode or addr_mode:
                raise exc.InvalidInput(error='ipv6_ra_mode or ipv6_address_mode cannot '
                                             'be set when enable_dhcp is set to False or '
                                             'ip_version is 4')
            return None, None
        for mode in (ra_mode, addr_mode):
            if mode is not None and mode not in IPV6_MODES:
                raise exc.InvalidInput(error="'%s' is not in %s" % (mode, list(IPV6_MODES)))
        if ra_mode and addr_mode and ra_mode != addr_mode:
            raise exc.InvalidInput(error='ipv6_ra_mode set to %r with ipv6_address_mode '
                                         'set to %r is not valid. If both attributes '
                                         'are set, they must be the same value' % (
                                             ra_mode, addr_mode))
        if (ra_mode or addr_mode) and body.get('enable_dhcp') is False and \
                'dhcpv6' in (ra_mode or addr_mode or ''):
            raise exc.InvalidInput(error='ipv6_ra_mode or ipv6_address_mode cannot be '
                                         'set when enable_dhcp is set to False')
        if addr_mode in ipam.AUTO_ADDRESS_MODES and net.prefixlen != 64:
            raise exc.InvalidInput(error='Invalid CIDR %s for IPv6 address mode. OpenStack '
                                         'uses the EUI-64 address format, which requires '
                                         'the prefix to be /64' % net)
        return ra_mode, addr_mode

    def _check_overlap(self, session, network_id, net, own_id):
        for sid, cidr in session.execute(sa.select(models.Subnet.id, models.Subnet.cidr).where(
                models.Subnet.network_id == network_id)):
            other = ipaddress.ip_network(cidr)
            if sid != own_id and other.version == net.version and net.overlaps(other):
                raise exc.InvalidInput(error='Requested subnet with cidr: %s for network: '
                                             '%s overlaps with another subnet' % (
                                                 net, network_id))

    def add_auto_addresses(self, session, subnet):
        """Give every port of the network an EUI-64 address on a new SLAAC
        subnet (router ports excepted), as Neutron does."""
        for port in session.scalars(sa.select(models.Port).where(
                models.Port.network_id == subnet.network_id)):
            if port.device_owner in base.ROUTER_OWNERS or \
                    not self.service_type_allows(subnet, port.device_owner):
                continue
            ipam.hold(session, subnet, port.id, ipam.eui64(subnet.cidr, port.mac_address))
            base.touch(port)

    @staticmethod
    def service_type_allows(subnet, device_owner):
        types = subnet.service_types or []
        return not types or device_owner in types

    # -- update and delete ------------------------------------------------

    def update_subnet(self, ctx, subnet_id, body, if_match=None):
        with self.write() as s:
            row = self.get_subnet_row(s, ctx, subnet_id, for_update=True)
            network = s.get(models.Network, row.network_id)
            if not base.is_admin(ctx) and ctx.project_id not in (row.project_id,
                                                                 network.project_id):
                raise exc.not_found('subnet', subnet_id)
            base.check_revision(row, if_match)
            net = ipaddress.ip_network(row.cidr)
            for key in ('cidr', 'ip_version', 'network_id', 'subnetpool_id',
                        'ipv6_ra_mode', 'ipv6_address_mode', 'prefixlen'):
                if key in body and body[key] != getattr(row, key, None):
                    raise exc.BadRequest('Cannot update read-only attribute %s' % key)
            for key in ('name', 'description'):
                if key in body:
                    setattr(row, key, body[key] or '')
            if 'enable_dhcp' in body:
                row.enable_dhcp = bool(body['enable_dhcp'])
            gateway = row.gateway_ip
            if 'gateway_ip' in body:
                gateway = body['gateway_ip']
                if gateway is not None:
                    gateway = self._check_gateway(_ip(gateway, row.ip_version, 'Gateway'),
                                                  net)
                    self._gateway_free(s, row, gateway)
            pools = body.get('allocation_pools')
            if pools is not None:
                row.allocation_pools = ipam.validate_pools(row.cidr, pools, gateway)
            elif gateway and 'gateway_ip' in body and ipam.in_pools(gateway,
                                                                   row.allocation_pools):
                raise ipam.GatewayConflictWithAllocationPools(
                    'Gateway ip %s conflicts with allocation pool.' % gateway)
            row.gateway_ip = gateway
            if 'dns_nameservers' in body:
                row.dns_nameservers = check_dns(body['dns_nameservers'] or [])
            if 'host_routes' in body:
                row.host_routes = check_host_routes(body['host_routes'] or [],
                                                    row.ip_version)
            if 'service_types' in body:
                row.service_types = check_service_types(body['service_types'] or [])
            if 'dns_publish_fixed_ip' in body:
                row.dns_publish_fixed_ip = bool(body['dns_publish_fixed_ip'])
            base.touch(row)
            self.subnet_changed(s, network, row)
            s.flush()
            return self.subnet_dicts(s, [row])[0]

    @staticmethod
    def _gateway_free(session, subnet, gateway):
        holder = session.scalar(sa.select(models.Port.device_owner).join(
            models.IPAllocation, models.IPAllocation.port_id == models.Port.id).where(
            models.IPAllocation.subnet_id == subnet.id,
            models.IPAllocation.ip_address == gateway))
        if holder is not None and holder not in base.ROUTER_OWNERS:
            raise exc.Conflict('Gateway ip %s conflicts with a port on the subnet.' % gateway)

    def delete_subnet(self, ctx, subnet_id):
        with self.write() as s:
            row = self.get_subnet_row(s, ctx, subnet_id, for_update=True)
            network = s.get(models.Network, row.network_id)
            if not base.is_admin(ctx) and ctx.project_id not in (row.project_id,
                                                                 network.project_id):
                raise exc.not_found('subnet', subnet_id)
            holders = list(s.execute(sa.select(models.Port, models.IPAllocation.ip_address)
                                     .join(models.IPAllocation,
                                           models.IPAllocation.port_id == models.Port.id)
                                     .where(models.IPAllocation.subnet_id == subnet_id)))
            auto = ipam.is_auto_address(row)
            for port, _ip_address in holders:
                if port.device_owner in base.AUTO_DELETE_OWNERS:
                    continue
                if auto and port.device_owner not in base.ROUTER_OWNERS:
                    continue        # SLAAC addresses go with the subnet
                raise exc.SubnetInUse(subnet_id=subnet_id,
                                      reason='One or more ports have an IP allocation '
                                             'from this subnet.')
            s.execute(sa.delete(models.IPAllocation).where(
                models.IPAllocation.subnet_id == subnet_id))
            for port, _ip_address in holders:
                base.touch(port)
            base.delete_tags(s, subnet_id)
            s.delete(row)
            s.flush()
            base.touch(network)
            self.subnet_changed(s, network, None)
