"""Routers (external gateways with SNAT, interfaces, extra routes), floating
IPs and their port forwardings."""
import ipaddress

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from cloudstack.conf import CONF
from cloudstack import context as cs_context
from cloudstack.network import exceptions as exc
from cloudstack.network import ipam
from cloudstack.network import models
from cloudstack.network.manager import base

ROUTER_SORT = {k: k for k in ('id', 'name', 'status', 'admin_state_up', 'project_id',
                              'created_at', 'updated_at', 'revision_number',
                              'description')}
ROUTER_SORT['tenant_id'] = 'project_id'
ROUTER_COLUMNS = {k: v for k, v in ROUTER_SORT.items() if k not in ('created_at',
                                                                     'updated_at')}
FIP_SORT = {k: k for k in ('id', 'floating_network_id', 'floating_ip_address',
                           'fixed_ip_address', 'router_id', 'status', 'project_id',
                           'created_at', 'updated_at', 'revision_number', 'description',
                           'dns_name', 'dns_domain')}
FIP_SORT.update({'tenant_id': 'project_id', 'port_id': 'fixed_port_id'})
FIP_COLUMNS = {k: v for k, v in FIP_SORT.items() if k not in ('created_at', 'updated_at')}
PF_SORT = {k: k for k in ('id', 'internal_port_id', 'internal_ip_address', 'internal_port',
                          'external_port', 'protocol', 'description')}
PF_PROTOCOLS = ('tcp', 'udp')


def _admin():
    return cs_context.RequestContext.admin()


class RouterInUse(exc.Conflict):
    message = 'Router %(router_id)s %(reason)s'


class RouterInterfaceNotFound(exc.NotFound):
    message = 'Router %(router_id)s does not have an interface with id %(port_id)s'


class RouterInterfaceNotFoundForSubnet(exc.NotFound):
    message = 'Router %(router_id)s has no interface on subnet %(subnet_id)s'


class RouterInterfaceInUseByRoute(exc.Conflict):
    message = ('Router interface for subnet %(subnet_id)s on router %(router_id)s cannot '
               'be deleted, as it is required by one or more routes.')


class RouterExternalGatewayInUseByFloatingIp(exc.Conflict):
    message = ('Gateway cannot be updated for router %(router_id)s, since a gateway to '
               'external network %(net_id)s is required by one or more floating IPs.')


class InvalidRoutes(exc.BadRequest):
    message = 'Invalid format for routes: %(routes)s, %(reason)s'


class Routers:

    # -- dicts ------------------------------------------------------------

    def router_dicts(self, session, rows):
        ids = [r.id for r in rows]
        gw_ports = {r.gw_port_id for r in rows if r.gw_port_id}
        fixed = {}
        if gw_ports:
            for pid, sid, ip in session.execute(
                    sa.select(models.IPAllocation.port_id, models.IPAllocation.subnet_id,
                              models.IPAllocation.ip_address)
                    .where(models.IPAllocation.port_id.in_(list(gw_ports)))):
                fixed.setdefault(pid, []).append({'subnet_id': sid, 'ip_address': ip})
        networks = base.pairs(session, (sa.select(models.Port.id, models.Port.network_id)
                                        .where(models.Port.id.in_(list(gw_ports) or ['']))))
        tags = base.load_tags(session, ids)
        out = []
        for row in rows:
            info = None
            if row.gw_port_id:
                info = {'network_id': networks.get(row.gw_port_id),
                        'enable_snat': row.enable_snat,
                        'external_fixed_ips': sorted(
                            fixed.get(row.gw_port_id, []),
                            key=lambda f: (ipam.address(f['ip_address']).version,
                                           f['subnet_id']))}
            item = {'id': row.id, 'name': row.name, 'status': row.status,
                    'admin_state_up': row.admin_state_up, 'external_gateway_info': info,
                    'routes': [dict(r) for r in row.routes or []],
                    'availability_zone_hints': list(row.availability_zone_hints or []),
                    'availability_zones': [self.host_zone(row.host)] if row.host else []}
            base.owned(item, row.project_id)
            out.append(base.standard(row, item, tags))
        return out

    def router_states(self, session, ctx, rows):
        """Routers as a host's dataplane needs them: with their ports and
        floating IPs."""
        out = self.router_dicts(session, rows)
        for router in out:
            ports = self.port_dicts(session, base.rows(
                session, models.Port, models.Port.id.in_(
                    sa.select(models.RouterPort.port_id).where(
                        models.RouterPort.router_id == router['id'])),
                order_by=(models.Port.created_at, models.Port.id)))
            router['interfaces'] = [p for p in ports
                                    if p['device_owner'] == base.ROUTER_INTERFACE_OWNER]
            router['gw_port'] = next((p for p in ports
                                      if p['device_owner'] == base.ROUTER_GATEWAY_OWNER),
                                     None)
            fips = base.rows(session, models.FloatingIP,
                             models.FloatingIP.router_id == router['id'])
            router['floating_ips'] = self.floatingip_dicts(session, fips)
        return out

    # -- reads ------------------------------------------------------------

    def get_router(self, ctx, router_id):
        with self.read() as s:
            row = self.get_owned(s, ctx, models.Router, router_id, 'router')
            return self.router_dicts(s, [row])[0]

    def list_routers(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            filters = dict(query.filters)
            clauses = base.tag_filters(models.Router, filters)
            if not base.is_admin(ctx):
                clauses.append(models.Router.project_id == ctx.project_id)
            for key in ('external_gateway_info', 'routes', 'availability_zone_hints',
                        'availability_zones'):
                filters.pop(key, None)
            clauses += self.column_filters(models.Router, filters, ROUTER_COLUMNS,
                                           {'admin_state_up': base.to_bool,
                                            'revision_number': int})
            self.unknown_filters(filters)
            rows = self.fetch(s, models.Router, query, clauses, ROUTER_SORT, 'router')
            return self.router_dicts(s, rows)

    # -- create, update, delete ---------------------------------------------

    def create_router(self, ctx, body):
        base.check_project(ctx, body)
        with self.write() as s:
            project = base.project_for(ctx, body)
            self.check_quota(s, project, 'router', 1)
            hints = list(body.get('availability_zone_hints') or [])
            self.check_zones(hints)
            row = models.Router(id=base.new_uuid(), project_id=project,
                                name=body.get('name') or '',
                                description=body.get('description') or '',
                                admin_state_up=body.get('admin_state_up', True),
                                status='ACTIVE', availability_zone_hints=hints,
                                routes=[], host='')
            s.add(row)
            s.flush()
            self.schedule_router(s, row)
            if body.get('external_gateway_info'):
                self._set_gateway(s, ctx, row, body['external_gateway_info'])
            s.flush()
            return self.router_dicts(s, [row])[0]

    def update_router(self, ctx, router_id, body, if_match=None):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.Router, router_id, 'router',
                                 for_update=True)
            base.check_revision(row, if_match)
            for key in ('name', 'description'):
                if key in body:
                    setattr(row, key, body[key] or '')
            if 'admin_state_up' in body:
                row.admin_state_up = bool(body['admin_state_up'])
            if 'external_gateway_info' in body:
                self._set_gateway(s, ctx, row, body['external_gateway_info'])
            if 'routes' in body:
                row.routes = self._check_routes(s, row, body['routes'] or [])
            base.touch(row)
            self.request_sync(s, [row.host])
            s.flush()
            return self.router_dicts(s, [row])[0]

    def delete_router(self, ctx, router_id):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.Router, router_id, 'router',
                                 for_update=True)
            if s.scalar(sa.select(models.RouterPort.port_id).where(
                    models.RouterPort.router_id == row.id,
                    models.RouterPort.port_type == base.ROUTER_INTERFACE_OWNER).limit(1)):
                raise RouterInUse(router_id=row.id, reason='still has ports')
            if s.scalar(sa.select(models.FloatingIP.id).where(
                    models.FloatingIP.router_id == row.id).limit(1)):
                raise RouterInUse(router_id=row.id, reason='still has floating IPs')
            self._set_gateway(s, ctx, row, None)
            host = row.host
            base.delete_tags(s, row.id)
            s.delete(row)
            self.request_sync(s, [host])

    # -- the gateway --------------------------------------------------------

    def _set_gateway(self, session, ctx, router, info):
        events = []
        gw = session.get(models.Port, router.gw_port_id) if router.gw_port_id else None
        if not info:
            if gw is not None:
                self._check_gateway_unused(session, router, gw.network_id)
                router.gw_port_id = None
                self.remove_port(session, gw, events)
            return
        network_id = info.get('network_id')
        if not network_id:
            raise exc.BadRequest('Invalid input for external_gateway_info: network_id '
                                 'is required')
        network = self.get_network_row(session, ctx, network_id)
        if not network.external:
            raise exc.BadRequest('Bad router request: Network %s is not an external '
                                 'network.' % network_id)
        if 'enable_snat' in info and info['enable_snat'] is not None:
            router.enable_snat = bool(info['enable_snat'])
        elif gw is None or gw.network_id != network_id:
            router.enable_snat = True
        fixed = info.get('external_fixed_ips')
        if gw is not None and gw.network_id == network_id:
            if fixed is not None:
                self.update_fixed_ips(session, gw, fixed)
                base.touch(gw)
                self.port_changed(session, gw, None, events)
            return
        if gw is not None:
            self._check_gateway_unused(session, router, gw.network_id)
            router.gw_port_id = None
            self.remove_port(session, gw, events)
        if fixed is None:
            fixed = self._one_per_version(session, network_id, base.ROUTER_GATEWAY_OWNER)
        port = self._create_port(session, _admin(), {
            'network_id': network_id, 'tenant_id': '', 'fixed_ips': fixed,
            'device_id': router.id, 'device_owner': base.ROUTER_GATEWAY_OWNER,
            'admin_state_up': True, 'name': '', 'binding:host_id': router.host},
            events, internal=True)
        session.add(models.RouterPort(port_id=port['id'], router_id=router.id,
                                      port_type=base.ROUTER_GATEWAY_OWNER))
        router.gw_port_id = port['id']
        session.flush()

    def _one_per_version(self, session, network_id, owner):
        """Fixed IPs for a gateway or floating IP port: one subnet per IP
        version that has a free address (IPv6 only when asked for a router)."""
        subnets = self._eligible(self._network_subnets(session, network_id), owner)
        out = []
        for version in (4, 6):
            of_version = [s for s in subnets if s.ip_version == version]
            if version == 6 and owner != base.ROUTER_GATEWAY_OWNER:
                continue
            for subnet in of_version:
                used = ipam.used_addresses(session, subnet.id)
                if ipam.pool_size(subnet.allocation_pools or []) > len(
                        [ip for ip in used if ipam.in_pools(ip, subnet.allocation_pools)]):
                    out.append({'subnet_id': subnet.id})
                    break
            else:
                if of_version and version == 4:
                    raise exc.IpAddressGenerationFailure(net_id=network_id)
        return out

    def _check_gateway_unused(self, session, router, network_id):
        if session.scalar(sa.select(models.FloatingIP.id).where(
                models.FloatingIP.router_id == router.id,
                models.FloatingIP.floating_network_id == network_id).limit(1)):
            raise RouterExternalGatewayInUseByFloatingIp(router_id=router.id,
                                                         net_id=network_id)

    # -- routes -----------------------------------------------------------

    def _interface_cidrs(self, session, router_id, owner=base.ROUTER_INTERFACE_OWNER):
        return [ipam.network(cidr) for cidr in session.scalars(
            sa.select(models.Subnet.cidr).join(
                models.IPAllocation, models.IPAllocation.subnet_id == models.Subnet.id)
            .join(models.RouterPort, models.RouterPort.port_id == models.IPAllocation.port_id)
            .where(models.RouterPort.router_id == router_id,
                   models.RouterPort.port_type == owner))]

    def _router_ips(self, session, router_id):
        return set(session.scalars(sa.select(models.IPAllocation.ip_address).join(
            models.RouterPort, models.RouterPort.port_id == models.IPAllocation.port_id)
            .where(models.RouterPort.router_id == router_id)))

    def _check_routes(self, session, router, routes):
        if len(routes) > CONF.network.max_routes:
            raise InvalidRoutes(routes=routes, reason='number of routes exceeds the '
                                                      'maximum %d' % CONF.network.max_routes)
        cidrs = self._interface_cidrs(session, router.id)
        cidrs += self._interface_cidrs(session, router.id, base.ROUTER_GATEWAY_OWNER)
        own = self._router_ips(session, router.id)
        out = []
        for route in routes:
            if not isinstance(route, dict) or set(route) != {'destination', 'nexthop'}:
                raise InvalidRoutes(routes=routes, reason='each route needs destination '
                                                          'and nexthop')
            try:
                dest = ipaddress.ip_network(route['destination'], strict=False)
                hop = ipaddress.ip_address(route['nexthop'])
            except (TypeError, ValueError):
                raise InvalidRoutes(routes=routes, reason='invalid destination or nexthop')
            if str(hop) in own:
                raise InvalidRoutes(routes=routes, reason='the nexthop is used by router')
            if not any(hop in cidr for cidr in cidrs):
                raise InvalidRoutes(routes=routes, reason='the nexthop is not connected '
                                                          'with router')
            item = {'destination': str(dest), 'nexthop': str(hop)}
            if item not in out:
                out.append(item)
        return out

    def change_routes(self, ctx, router_id, routes, add):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.Router, router_id, 'router',
                                 for_update=True)
            current = [dict(r) for r in row.routes or []]
            given = self._check_routes(s, row, routes or []) if add else [
                {'destination': str(ipaddress.ip_network(r['destination'], strict=False)),
                 'nexthop': str(ipaddress.ip_address(r['nexthop']))} for r in routes or []]
            if add:
                row.routes = self._check_routes(s, row, current + [
                    r for r in given if r not in current])
            else:
                row.routes = [r for r in current if r not in given]
            base.touch(row)
            self.request_sync(s, [row.host])
            s.flush()
            return self.router_dicts(s, [row])[0]

    # -- interfaces -------------------------------------------------------

    def add_router_interface(self, ctx, router_id, body):
        events = []
        with self.write() as s:
            router = self.get_owned(s, ctx, models.Router, router_id, 'router',
                                    for_update=True)
            port_id, subnet_id = body.get('port_id'), body.get('subnet_id')
            if bool(port_id) == bool(subnet_id):
                raise exc.BadRequest('Bad router request: Cannot specify both subnet-id '
                                     'and port-id' if port_id else
                                     'Bad router request: Either subnet_id or port_id '
                                     'must be specified')
            if port_id:
                port = self.get_port_row(s, ctx, port_id, for_update=True)
                if port.device_id:
                    raise exc.PortInUse(port_id=port.id, net_id=port.network_id,
                                        device_id=port.device_id)
                subnet_ids = list(s.scalars(sa.select(models.IPAllocation.subnet_id).where(
                    models.IPAllocation.port_id == port.id)))
                if not subnet_ids:
                    raise exc.BadRequest('Bad router request: Router port must have at '
                                         'least one fixed IP')
                subnets = [s.get(models.Subnet, sid) for sid in subnet_ids]
                for subnet in subnets:
                    self._check_interface_subnet(s, router, subnet)
                port.device_id, port.device_owner = router.id, base.ROUTER_INTERFACE_OWNER
                s.add(models.RouterPort(port_id=port.id, router_id=router.id,
                                        port_type=base.ROUTER_INTERFACE_OWNER))
                self._bind(s, port, router.host)
                base.touch(port)
                s.flush()
                self.port_changed(s, port, None, events)
            else:
                subnet = self.get_subnet_row(s, ctx, subnet_id)
                if not subnet.gateway_ip:
                    raise exc.BadRequest('Bad router request: Subnet for router interface '
                                         'must have a gateway IP')
                self._check_interface_subnet(s, router, subnet)
                created = self._create_port(s, _admin(), {
                    'network_id': subnet.network_id, 'tenant_id': subnet.project_id,
                    'fixed_ips': [{'subnet_id': subnet.id,
                                   'ip_address': subnet.gateway_ip}],
                    'device_id': router.id, 'device_owner': base.ROUTER_INTERFACE_OWNER,
                    'admin_state_up': True, 'name': '',
                    'binding:host_id': router.host}, events, internal=True)
                port = s.get(models.Port, created['id'])
                s.add(models.RouterPort(port_id=port.id, router_id=router.id,
                                        port_type=base.ROUTER_INTERFACE_OWNER))
                subnets = [subnet]
            base.touch(router)
            self.request_sync(s, [router.host])
            s.flush()
            out = self._interface_info(router, port, [x.id for x in subnets])
        self.notify_compute(events)
        return out

    @staticmethod
    def _interface_info(router, port, subnet_ids):
        return {'id': router.id, 'tenant_id': router.project_id,
                'project_id': router.project_id, 'port_id': port.id,
                'network_id': port.network_id, 'subnet_id': subnet_ids[0],
                'subnet_ids': subnet_ids}

    def _check_interface_subnet(self, session, router, subnet):
        net = ipam.network(subnet.cidr)
        network = session.get(models.Network, subnet.network_id)
        if router.gw_port_id and network.external and session.scalar(
                sa.select(models.Port.network_id).where(
                    models.Port.id == router.gw_port_id)) == network.id:
            raise exc.BadRequest('Bad router request: Router already has a port on '
                                 'external network %s' % network.id)
        for existing in session.scalars(sa.select(models.Subnet).join(
                models.IPAllocation, models.IPAllocation.subnet_id == models.Subnet.id)
                .join(models.RouterPort,
                      models.RouterPort.port_id == models.IPAllocation.port_id)
                .where(models.RouterPort.router_id == router.id,
                       models.RouterPort.port_type == base.ROUTER_INTERFACE_OWNER)):
            if existing.id == subnet.id:
                raise exc.BadRequest('Bad router request: Router already has a port on '
                                     'subnet %s' % subnet.id)
            other = ipam.network(existing.cidr)
            if other.version == net.version and other.overlaps(net):
                raise exc.BadRequest('Bad router request: Cidr %s of subnet %s overlaps '
                                     'with cidr %s of subnet %s' % (
                                         subnet.cidr, subnet.id, existing.cidr, existing.id))

    def remove_router_interface(self, ctx, router_id, body):
        events = []
        with self.write() as s:
            router = self.get_owned(s, ctx, models.Router, router_id, 'router',
                                    for_update=True)
            port_id, subnet_id = body.get('port_id'), body.get('subnet_id')
            if not port_id and not subnet_id:
                raise exc.BadRequest('Bad router request: Either subnet_id or port_id '
                                     'must be specified')
            ports = list(s.scalars(sa.select(models.Port).join(
                models.RouterPort, models.RouterPort.port_id == models.Port.id).where(
                models.RouterPort.router_id == router.id,
                models.RouterPort.port_type == base.ROUTER_INTERFACE_OWNER)))
            held = {}
            for pid, sid in s.execute(sa.select(models.IPAllocation.port_id,
                                                models.IPAllocation.subnet_id).where(
                    models.IPAllocation.port_id.in_([p.id for p in ports] or ['']))):
                held.setdefault(pid, []).append(sid)
            if port_id:
                port = next((p for p in ports if p.id == port_id), None)
                if port is None:
                    raise RouterInterfaceNotFound(router_id=router.id, port_id=port_id)
                if subnet_id and subnet_id not in held.get(port.id, []):
                    raise exc.Conflict('Subnet %s is not on port %s' % (subnet_id, port_id))
            else:
                port = next((p for p in ports if subnet_id in held.get(p.id, [])), None)
                if port is None:
                    raise RouterInterfaceNotFoundForSubnet(router_id=router.id,
                                                           subnet_id=subnet_id)
            subnet_ids = held.get(port.id, [])
            self._check_interface_unused(s, router, port, subnet_ids)
            out = self._interface_info(router, port, subnet_ids or [subnet_id])
            self.remove_port(s, port, events)
            base.touch(router)
            self.request_sync(s, [router.host])
        self.notify_compute(events)
        return out

    def _check_interface_unused(self, session, router, port, subnet_ids):
        for subnet_id in subnet_ids:
            subnet = session.get(models.Subnet, subnet_id)
            net = ipam.network(subnet.cidr)
            for route in router.routes or []:
                if ipam.address(route['nexthop']) in net:
                    raise RouterInterfaceInUseByRoute(router_id=router.id,
                                                      subnet_id=subnet_id)
            users = session.scalars(sa.select(models.FloatingIP.fixed_ip_address).where(
                models.FloatingIP.router_id == router.id,
                models.FloatingIP.fixed_ip_address.is_not(None)))
            if any(ipam.address(ip) in net for ip in users):
                raise exc.RouterInterfaceInUseByFloatingIP(router_id=router.id,
                                                           subnet_id=subnet_id)

    # -- floating IPs -------------------------------------------------------

    def floatingip_dicts(self, session, rows):
        ids = [r.id for r in rows]
        tags = base.load_tags(session, ids)
        fixed_ports = {r.fixed_port_id for r in rows if r.fixed_port_id}
        details = {}
        for port in session.scalars(sa.select(models.Port).where(
                models.Port.id.in_(list(fixed_ports) or ['']))):
            details[port.id] = {'name': port.name, 'network_id': port.network_id,
                                'mac_address': port.mac_address,
                                'admin_state_up': port.admin_state_up,
                                'status': port.status, 'device_id': port.device_id,
                                'device_owner': port.device_owner}
        forwardings = {}
        for pf in session.scalars(sa.select(models.PortForwarding).where(
                models.PortForwarding.floatingip_id.in_(ids or ['']))):
            forwardings.setdefault(pf.floatingip_id, []).append(pf)
        out = []
        for row in rows:
            item = {
                'id': row.id, 'floating_network_id': row.floating_network_id,
                'floating_ip_address': row.floating_ip_address,
                'fixed_ip_address': row.fixed_ip_address, 'port_id': row.fixed_port_id,
                'router_id': row.router_id, 'status': row.status,
                'dns_name': row.dns_name or '', 'dns_domain': row.dns_domain or '',
                'port_details': details.get(row.fixed_port_id),
                'port_forwardings': [self.forwarding_dict(pf, short=True)
                                     for pf in forwardings.get(row.id, [])],
            }
            base.owned(item, row.project_id)
            out.append(base.standard(row, item, tags))
        return out

    def get_floatingip(self, ctx, fip_id):
        with self.read() as s:
            row = self.get_owned(s, ctx, models.FloatingIP, fip_id, 'floatingip')
            return self.floatingip_dicts(s, [row])[0]

    def list_floatingips(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            filters = dict(query.filters)
            clauses = base.tag_filters(models.FloatingIP, filters)
            if not base.is_admin(ctx):
                clauses.append(models.FloatingIP.project_id == ctx.project_id)
            for key in ('port_details', 'port_forwardings'):
                filters.pop(key, None)
            clauses += self.column_filters(models.FloatingIP, filters, FIP_COLUMNS,
                                           {'revision_number': int})
            self.unknown_filters(filters)
            rows = self.fetch(s, models.FloatingIP, query, clauses, FIP_SORT, 'floatingip')
            return self.floatingip_dicts(s, rows)

    def create_floatingip(self, ctx, body):
        base.check_project(ctx, body)
        events = []
        with self.write() as s:
            project = base.project_for(ctx, body)
            self.check_quota(s, project, 'floatingip', 1)
            network = self.get_network_row(s, ctx, body.get('floating_network_id'))
            if not network.external:
                raise exc.BadRequest('Bad floatingip request: Network %s is not a valid '
                                     'external network.' % network.id)
            fip_id = base.new_uuid()
            fixed = None
            if body.get('floating_ip_address'):
                fixed = [{'ip_address': body['floating_ip_address']}]
                if body.get('subnet_id'):
                    fixed[0]['subnet_id'] = body['subnet_id']
            elif body.get('subnet_id'):
                fixed = [{'subnet_id': body['subnet_id']}]
            else:
                fixed = self._one_per_version(s, network.id, base.FLOATINGIP_OWNER)
            port = self._create_port(s, _admin(), {
                'network_id': network.id, 'tenant_id': '', 'fixed_ips': fixed,
                'device_id': fip_id, 'device_owner': base.FLOATINGIP_OWNER,
                'admin_state_up': True, 'name': ''}, events, internal=True)
            v4 = [f['ip_address'] for f in port['fixed_ips']
                  if ipam.address(f['ip_address']).version == 4]
            if not v4:
                raise exc.IpAddressGenerationFailure(net_id=network.id)
            row = models.FloatingIP(id=fip_id, project_id=project,
                                    floating_network_id=network.id,
                                    floating_ip_address=v4[0], floating_port_id=port['id'],
                                    description=body.get('description') or '',
                                    dns_name=body.get('dns_name') or '',
                                    dns_domain=body.get('dns_domain') or '', status='DOWN')
            s.add(row)
            s.flush()
            if body.get('port_id'):
                self._associate(s, ctx, row, body['port_id'], body.get('fixed_ip_address'))
                self.floating_ip_moved(s, (None, None), row, events)
            s.flush()
            out = self.floatingip_dicts(s, [row])[0]
        self.notify_compute(events)
        return out

    def update_floatingip(self, ctx, fip_id, body, if_match=None):
        events = []
        with self.write() as s:
            row = self.get_owned(s, ctx, models.FloatingIP, fip_id, 'floatingip',
                                 for_update=True)
            base.check_revision(row, if_match)
            before = (row.fixed_port_id, row.fixed_ip_address)
            if 'description' in body:
                row.description = body['description'] or ''
            if 'port_id' in body:
                if body['port_id']:
                    self._associate(s, ctx, row, body['port_id'],
                                    body.get('fixed_ip_address'))
                else:
                    self.disassociate(s, row)
                self.floating_ip_moved(s, before, row, events)
            base.touch(row)
            s.flush()
            out = self.floatingip_dicts(s, [row])[0]
        self.notify_compute(events)
        return out

    def delete_floatingip(self, ctx, fip_id):
        events = []
        with self.write() as s:
            row = self.get_owned(s, ctx, models.FloatingIP, fip_id, 'floatingip',
                                 for_update=True)
            host = self._router_host(s, row.router_id)
            port = s.get(models.Port, row.floating_port_id)
            self.floating_ip_moved(s, (row.fixed_port_id, row.fixed_ip_address), None,
                                   events)
            base.delete_tags(s, row.id)
            s.delete(row)
            s.flush()
            if port is not None:
                self.remove_port(s, port, events)
            self.request_sync(s, [host])
        self.notify_compute(events)

    @staticmethod
    def _router_host(session, router_id):
        if not router_id:
            return ''
        return session.scalar(sa.select(models.Router.host).where(
            models.Router.id == router_id)) or ''

    def _fip_status(self, session, router_id):
        """As Neutron's L3 agents report it: ACTIVE while a host serves the router."""
        return 'ACTIVE' if self._router_host(session, router_id) else 'DOWN'

    def _associate(self, session, ctx, fip, port_id, fixed_ip):
        port = self.get_port_row(session, ctx, port_id)
        if not base.is_admin(ctx) and port.project_id != fip.project_id:
            raise exc.not_found('port', port_id)
        if port.device_owner.startswith('network:'):
            raise exc.BadRequest('Bad floatingip request: Port %s has owner %s' % (
                port.id, port.device_owner))
        if session.scalar(sa.select(models.PortForwarding.id).where(
                models.PortForwarding.floatingip_id == fip.id).limit(1)):
            raise exc.BadRequest('Bad floatingip request: floating IP %s has port '
                                 'forwardings' % fip.id)
        held = {ip: sid for sid, ip in session.execute(
            sa.select(models.IPAllocation.subnet_id, models.IPAllocation.ip_address)
            .where(models.IPAllocation.port_id == port.id))}
        if fixed_ip:
            fixed_ip = ipam.canonical(fixed_ip)
            if fixed_ip not in held:
                raise exc.BadRequest('Bad floatingip request: Port %s does not have fixed '
                                     'ip %s' % (port.id, fixed_ip))
        else:
            v4 = [ip for ip in held if ipam.address(ip).version == 4]
            if not v4:
                raise exc.BadRequest('Bad floatingip request: Port %s does not have any '
                                     'IPv4 address' % port.id)
            if len(v4) > 1:
                raise exc.BadRequest('Port %s has multiple fixed IPv4 addresses. Must '
                                     'provide a specific IPv4 address when assigning a '
                                     'floating IP' % port.id)
            fixed_ip = v4[0]
        if ipam.address(fixed_ip).version != 4:
            raise exc.BadRequest('Bad floatingip request: Cannot process floating IP '
                                 'association with %s, since that is not an IPv4 '
                                 'address' % fixed_ip)
        router_id = self._router_for(session, fip.floating_network_id, held[fixed_ip],
                                     port)
        clash = session.scalar(sa.select(models.FloatingIP.id).where(
            models.FloatingIP.fixed_port_id == port.id,
            models.FloatingIP.fixed_ip_address == fixed_ip, models.FloatingIP.id != fip.id))
        if clash:
            raise exc.FloatingIPPortAlreadyAssociated(
                floating_ip_address=fip.floating_ip_address, fip_id=fip.id, port_id=port.id,
                fixed_ip=fixed_ip, net_id=fip.floating_network_id)
        old_host = self._router_host(session, fip.router_id)
        fip.fixed_port_id, fip.fixed_ip_address, fip.router_id = port.id, fixed_ip, router_id
        fip.status = self._fip_status(session, router_id)
        try:
            with session.begin_nested():
                session.flush()
        except sa_exc.IntegrityError:
            raise exc.FloatingIPPortAlreadyAssociated(
                floating_ip_address=fip.floating_ip_address, fip_id=fip.id, port_id=port.id,
                fixed_ip=fixed_ip, net_id=fip.floating_network_id)
        self.request_sync(session, [old_host, self._router_host(session, router_id)])

    def _router_for(self, session, external_network_id, subnet_id, port):
        """The router joining the port's subnet to the external network."""
        gateway_routers = sa.select(models.RouterPort.router_id).join(
            models.Port, models.Port.id == models.RouterPort.port_id).where(
            models.RouterPort.port_type == base.ROUTER_GATEWAY_OWNER,
            models.Port.network_id == external_network_id)
        found = session.scalars(sa.select(models.RouterPort.router_id).join(
            models.IPAllocation, models.IPAllocation.port_id == models.RouterPort.port_id)
            .where(models.RouterPort.port_type == base.ROUTER_INTERFACE_OWNER,
                   models.IPAllocation.subnet_id == subnet_id,
                   models.RouterPort.router_id.in_(gateway_routers))).first()
        if found is None:
            raise exc.ExternalGatewayForFloatingIPNotFound(
                external_network_id=external_network_id, subnet_id=subnet_id,
                port_id=port.id)
        return found

    def disassociate(self, session, fip):
        host = self._router_host(session, fip.router_id)
        fip.fixed_port_id = fip.fixed_ip_address = fip.router_id = None
        fip.status = 'DOWN'
        self.request_sync(session, [host])

    def port_removing(self, session, port):
        """A port is about to go: its floating IPs let go of it."""
        for fip in session.scalars(sa.select(models.FloatingIP).where(
                models.FloatingIP.fixed_port_id == port.id)):
            self.disassociate(session, fip)
            base.touch(fip)
        session.flush()

    def check_fixed_ips_in_use(self, session, port):
        """After a port's fixed IPs changed: floating IPs on a lost one let go."""
        held = set(session.scalars(sa.select(models.IPAllocation.ip_address).where(
            models.IPAllocation.port_id == port.id)))
        for fip in session.scalars(sa.select(models.FloatingIP).where(
                models.FloatingIP.fixed_port_id == port.id)):
            if fip.fixed_ip_address not in held:
                self.disassociate(session, fip)

    # -- port forwardings ---------------------------------------------------

    @staticmethod
    def forwarding_dict(row, short=False):
        out = {'protocol': row.protocol, 'internal_ip_address': row.internal_ip_address,
               'internal_port': row.internal_port, 'external_port': row.external_port}
        if short:
            return out
        out.update(id=row.id, internal_port_id=row.internal_port_id,
                   description=row.description or '')
        return out

    def list_port_forwardings(self, ctx, fip_id, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            self.get_owned(s, ctx, models.FloatingIP, fip_id, 'floatingip')
            filters = dict(query.filters)
            clauses = [models.PortForwarding.floatingip_id == fip_id]
            clauses += self.column_filters(models.PortForwarding, filters,
                                           dict(PF_SORT), {'internal_port': int,
                                                           'external_port': int})
            self.unknown_filters(filters)
            rows = self.fetch(s, models.PortForwarding, query, clauses, PF_SORT,
                              'port_forwarding')
            return [self.forwarding_dict(r) for r in rows]

    def get_port_forwarding(self, ctx, fip_id, pf_id):
        with self.read() as s:
            self.get_owned(s, ctx, models.FloatingIP, fip_id, 'floatingip')
            row = s.get(models.PortForwarding, pf_id)
            if row is None or row.floatingip_id != fip_id:
                raise exc.not_found('port_forwarding', pf_id)
            return self.forwarding_dict(row)

    def _check_forwarding(self, session, ctx, fip, values):
        if fip.fixed_port_id:
            raise exc.BadRequest('Bad port forwarding request: floating IP %s is '
                                 'associated with port %s' % (fip.id, fip.fixed_port_id))
        if values['protocol'] not in PF_PROTOCOLS:
            raise exc.InvalidInput(error="'%s' is not in %s" % (values['protocol'],
                                                                list(PF_PROTOCOLS)))
        for key in ('internal_port', 'external_port'):
            if not 1 <= int(values[key]) <= 65535:
                raise exc.InvalidInput(error='Invalid value for %s %s' % (key, values[key]))
        port = self.get_port_row(session, ctx, values['internal_port_id'])
        held = {ip: sid for sid, ip in session.execute(
            sa.select(models.IPAllocation.subnet_id, models.IPAllocation.ip_address)
            .where(models.IPAllocation.port_id == port.id))}
        ip = ipam.canonical(values['internal_ip_address'])
        if ip not in held:
            raise exc.BadRequest('Bad port forwarding request: internal IP %s is not on '
                                 'port %s' % (ip, port.id))
        return self._router_for(session, fip.floating_network_id, held[ip], port), ip

    def create_port_forwarding(self, ctx, fip_id, body):
        with self.write() as s:
            fip = self.get_owned(s, ctx, models.FloatingIP, fip_id, 'floatingip',
                                 for_update=True)
            values = dict(body)
            router_id, ip = self._check_forwarding(s, ctx, fip, values)
            if fip.router_id and fip.router_id != router_id:
                raise exc.BadRequest('Bad port forwarding request: another router serves '
                                     'floating IP %s' % fip.id)
            row = models.PortForwarding(
                id=base.new_uuid(), floatingip_id=fip.id,
                internal_port_id=values['internal_port_id'], internal_ip_address=ip,
                internal_port=int(values['internal_port']),
                external_port=int(values['external_port']), protocol=values['protocol'],
                description=values.get('description') or '')
            try:
                with s.begin_nested():
                    s.add(row)
            except sa_exc.IntegrityError:
                raise exc.Conflict('A duplicate port forwarding entry with same '
                                   'attributes already exists')
            fip.router_id = router_id
            fip.status = self._fip_status(s, router_id)
            base.touch(fip)
            self.request_sync(s, [self._router_host(s, router_id)])
            s.flush()
            return self.forwarding_dict(row)

    def update_port_forwarding(self, ctx, fip_id, pf_id, body):
        with self.write() as s:
            fip = self.get_owned(s, ctx, models.FloatingIP, fip_id, 'floatingip',
                                 for_update=True)
            row = s.get(models.PortForwarding, pf_id)
            if row is None or row.floatingip_id != fip_id:
                raise exc.not_found('port_forwarding', pf_id)
            values = self.forwarding_dict(row)
            values.update(body)
            self._check_forwarding(s, ctx, fip, values)
            row.internal_port_id = values['internal_port_id']
            row.internal_ip_address = ipam.canonical(values['internal_ip_address'])
            row.internal_port = int(values['internal_port'])
            row.external_port = int(values['external_port'])
            row.protocol = values['protocol']
            row.description = values.get('description') or ''
            try:
                with s.begin_nested():
                    s.flush()
            except sa_exc.IntegrityError:
                raise exc.Conflict('A duplicate port forwarding entry with same '
                                   'attributes already exists')
            base.touch(fip)
            self.request_sync(s, [self._router_host(s, fip.router_id)])
            return self.forwarding_dict(row)

    def delete_port_forwarding(self, ctx, fip_id, pf_id):
        with self.write() as s:
            fip = self.get_owned(s, ctx, models.FloatingIP, fip_id, 'floatingip',
                                 for_update=True)
            row = s.get(models.PortForwarding, pf_id)
            if row is None or row.floatingip_id != fip_id:
                raise exc.not_found('port_forwarding', pf_id)
            s.delete(row)
            s.flush()
            host = self._router_host(s, fip.router_id)
            if not s.scalar(sa.select(models.PortForwarding.id).where(
                    models.PortForwarding.floatingip_id == fip.id).limit(1)):
                fip.router_id, fip.status = None, 'DOWN'
            base.touch(fip)
            self.request_sync(s, [host])
