"""Networks: segments (VXLAN, flat, local), MTU, sharing and external access
through RBAC policies."""
import random

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from cloudstack.conf import CONF
from cloudstack.network import exceptions as exc
from cloudstack.network import models
from cloudstack.network.manager import base

NETWORK_TYPES = ('vxlan', 'flat', 'local')
VXLAN_OVERHEAD = 50
MAX_VNI = 2 ** 24 - 1
NETWORK_SORT = {k: k for k in ('id', 'name', 'status', 'admin_state_up', 'mtu',
                               'project_id', 'created_at', 'updated_at',
                               'revision_number', 'description')}
NETWORK_SORT.update({'tenant_id': 'project_id', 'router:external': 'external',
                     'port_security_enabled': 'port_security_enabled',
                     'provider:network_type': 'network_type',
                     'provider:physical_network': 'physical_network',
                     'provider:segmentation_id': 'segmentation_id',
                     'is_default': 'is_default', 'dns_domain': 'dns_domain'})
NETWORK_COLUMNS = dict(NETWORK_SORT)
NETWORK_COLUMNS.pop('created_at')
NETWORK_COLUMNS.pop('updated_at')


def vni_ranges():
    out = []
    for item in CONF.network.vni_ranges:
        first, _, last = item.partition(':')
        try:
            first, last = int(first), int(last or first)
        except ValueError:
            continue
        out.append((max(first, 1), min(last, MAX_VNI)))
    return out


def mtu_for(network_type):
    overhead = VXLAN_OVERHEAD if network_type == 'vxlan' else 0
    return CONF.network.global_physnet_mtu - overhead


class Networks:

    # -- dicts ------------------------------------------------------------

    def network_dicts(self, session, ctx, rows):
        """Neutron network dicts of `rows`, with their subnets, sharing,
        address scopes, availability zones and tags."""
        ids = [r.id for r in rows]
        subnets, scopes, shared, zones = {}, {}, {}, {}
        tags = base.load_tags(session, ids)
        if ids:
            for chunk in base._chunks(ids):
                for sid, nid, version, scope in session.execute(
                        sa.select(models.Subnet.id, models.Subnet.network_id,
                                  models.Subnet.ip_version,
                                  models.SubnetPool.address_scope_id)
                        .outerjoin(models.SubnetPool,
                                   models.SubnetPool.id == models.Subnet.subnetpool_id)
                        .where(models.Subnet.network_id.in_(chunk))
                        .order_by(models.Subnet.created_at, models.Subnet.id)):
                    subnets.setdefault(nid, []).append(sid)
                    if scope:
                        scopes[(nid, version)] = scope
                viewer = ('*', ctx.project_id or '')
                for nid, target in session.execute(
                        sa.select(models.RBACPolicy.object_id,
                                  models.RBACPolicy.target_project).where(
                            models.RBACPolicy.object_type == 'network',
                            models.RBACPolicy.action == 'access_as_shared',
                            models.RBACPolicy.object_id.in_(chunk))):
                    if target in viewer:
                        shared[nid] = True
                for nid, host in session.execute(
                        sa.select(models.NetworkDHCPHost.network_id,
                                  models.NetworkDHCPHost.host)
                        .where(models.NetworkDHCPHost.network_id.in_(chunk))):
                    zones.setdefault(nid, set()).add(self.host_zone(host))
        return [self.network_dict(r, subnets.get(r.id, []), shared.get(r.id, False),
                                  scopes, zones.get(r.id, ()), tags) for r in rows]

    @staticmethod
    def network_dict(row, subnet_ids, shared, scopes, zones, tags):
        out = {
            'id': row.id, 'name': row.name, 'status': row.status,
            'admin_state_up': row.admin_state_up, 'mtu': row.mtu,
            'subnets': subnet_ids, 'shared': shared,
            'router:external': row.external, 'is_default': row.is_default,
            'port_security_enabled': row.port_security_enabled,
            'availability_zone_hints': list(row.availability_zone_hints or []),
            'availability_zones': sorted(zones),
            'ipv4_address_scope': scopes.get((row.id, 4)),
            'ipv6_address_scope': scopes.get((row.id, 6)),
            'l2_adjacency': True,
            'dns_domain': row.dns_domain or '',
            'provider:network_type': row.network_type,
            'provider:physical_network': row.physical_network,
            'provider:segmentation_id': row.segmentation_id,
        }
        base.owned(out, row.project_id)
        return base.standard(row, out, tags)

    def network_facts(self, ctx, network_ids, visible=False):
        """{network id: {'project_id', 'shared', 'router:external'}} for
        policy targets of what lives on those networks, in one query; with
        `visible`, only the networks the caller can see."""
        ids = sorted({i for i in network_ids if i})
        if not ids:
            return {}
        shared = sa.exists().where(
            models.RBACPolicy.object_id == models.Network.id,
            models.RBACPolicy.object_type == 'network',
            models.RBACPolicy.action == 'access_as_shared',
            models.RBACPolicy.target_project.in_(('*', ctx.project_id or '')))
        stmt = sa.select(models.Network.id, models.Network.project_id,
                         models.Network.external, shared).where(models.Network.id.in_(ids))
        clause = self.network_clause(ctx) if visible else None
        if clause is not None:
            stmt = stmt.where(clause)
        with self.read() as s:
            return {nid: {'project_id': project, 'shared': bool(is_shared),
                          'router:external': ext}
                    for nid, project, ext, is_shared in s.execute(stmt)}

    def _one_network(self, session, ctx, row):
        return self.network_dicts(session, ctx, [row])[0]

    # -- reads ------------------------------------------------------------

    def get_network(self, ctx, network_id):
        with self.read() as s:
            return self._one_network(s, ctx, self.get_network_row(s, ctx, network_id))

    def list_networks(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            return self.network_dicts(s, ctx, self._network_rows(s, ctx, query))

    def _network_rows(self, session, ctx, query):
        filters = dict(query.filters)
        clauses = base.tag_filters(models.Network, filters)
        visible = self.network_clause(ctx)
        if visible is not None:
            clauses.append(visible)
        for key in ('shared',):
            if key in filters:
                wanted = {base.to_bool(v) for v in filters.pop(key)}
                sharing = models.Network.id.in_(sa.select(models.RBACPolicy.object_id).where(
                    models.RBACPolicy.object_type == 'network',
                    models.RBACPolicy.action == 'access_as_shared',
                    models.RBACPolicy.target_project.in_(('*', ctx.project_id or ''))))
                if wanted == {True}:
                    clauses.append(sharing)
                elif wanted == {False}:
                    clauses.append(sa.not_(sharing))
        if 'availability_zone' in filters:
            wanted = filters.pop('availability_zone')
            hosts = [h for h in self.zone_hosts() if self.host_zone(h) in wanted]
            clauses.append(models.Network.id.in_(
                sa.select(models.NetworkDHCPHost.network_id).where(
                    models.NetworkDHCPHost.host.in_(hosts))))
        if 'subnets' in filters:
            clauses.append(models.Network.id.in_(sa.select(models.Subnet.network_id).where(
                models.Subnet.id.in_(filters.pop('subnets')))))
        converters = {k: base.to_bool for k in (
            'admin_state_up', 'router:external', 'port_security_enabled', 'is_default')}
        converters.update({'mtu': int, 'revision_number': int,
                           'provider:segmentation_id': int})
        clauses += self.column_filters(models.Network, filters, NETWORK_COLUMNS,
                                       converters)
        self.unknown_filters(filters)
        return self.fetch(session, models.Network, query, clauses, NETWORK_SORT,
                          'network')

    # -- writes -----------------------------------------------------------

    def create_network(self, ctx, body):
        base.check_project(ctx, body)
        with self.write() as s:
            return self._create_network(s, ctx, body)

    def create_networks(self, ctx, bodies):
        with self.write() as s:
            return [self._create_network(s, ctx, b) for b in bodies]

    def _create_network(self, session, ctx, body):
        project = base.project_for(ctx, body)
        self.check_quota(session, project, 'network', 1)
        row = models.Network(
            id=body.get('id') or base.new_uuid(), project_id=project,
            name=body.get('name') or '', description=body.get('description') or '',
            admin_state_up=body.get('admin_state_up', True),
            port_security_enabled=body.get('port_security_enabled', True),
            external=bool(body.get('router:external', False)),
            is_default=bool(body.get('is_default', False)),
            availability_zone_hints=list(body.get('availability_zone_hints') or []),
            dns_domain=body.get('dns_domain') or None, status='ACTIVE')
        self.check_zones(row.availability_zone_hints)
        self._segment(session, row, body)
        if row.is_default:
            self._only_default(session, row)
        self._insert_network(session, row, body.get('mtu'))
        if body.get('shared'):
            self.add_rbac(session, row.project_id, 'network', row.id, 'access_as_shared', '*')
        if row.external:
            self.add_rbac(session, row.project_id, 'network', row.id,
                          'access_as_external', '*')
        # New: no subnets, DHCP servers nor tags yet.
        return self.network_dict(row, [], bool(body.get('shared')), {}, (), {})

    def _segment(self, session, row, body):
        """Give the network its segment: the provider attributes asked for,
        else the first tenant network type with room."""
        kind = body.get('provider:network_type')
        physnet = body.get('provider:physical_network')
        seg_id = body.get('provider:segmentation_id')
        if kind is None:
            if physnet is not None or seg_id is not None:
                raise exc.InvalidInput(error='provider:network_type required')
            return                  # _insert_network picks a project network type
        if kind not in NETWORK_TYPES:
            raise exc.InvalidInput(error='network_type value %r not supported' % kind)
        row.network_type = kind
        if kind == 'local':
            if physnet is not None or seg_id is not None:
                raise exc.InvalidInput(error='local network has no physical network '
                                             'nor segmentation id')
        elif kind == 'flat':
            if seg_id is not None:
                raise exc.InvalidInput(error='segmentation_id not allowed for flat '
                                             'network type')
            if not physnet:
                raise exc.InvalidInput(error='physical_network required for flat '
                                             'provider network')
            allowed = CONF.network.flat_networks
            if '*' not in allowed and physnet not in allowed:
                raise exc.InvalidInput(error='physical_network %r unknown for flat '
                                             'provider network' % physnet)
            row.physical_network = physnet
            self._claim_segment(session, row, 'flat:%s' % physnet,
                                'Unable to create the flat network. Physical network '
                                '%s is in use.' % physnet)
        else:
            if physnet is not None:
                raise exc.InvalidInput(error='provider:physical_network specified for '
                                             'VXLAN network')
            if seg_id is None:
                row.network_type = None     # _insert_network picks the VNI
                return
            if not 1 <= seg_id <= MAX_VNI:
                raise exc.InvalidInput(error='%s out of range (1 through %d)' % (
                    seg_id, MAX_VNI))
            row.segmentation_id = seg_id
            self._claim_segment(session, row, 'vxlan:%d' % seg_id,
                                'Unable to create the network. The tunnel ID %d is in '
                                'use.' % seg_id)

    @staticmethod
    def _claim_segment(session, row, key, message):
        if session.scalar(sa.select(models.Network.id).where(
                models.Network.segment_key == key)) is not None:
            raise exc.Conflict(message)
        row.segment_key = key

    @staticmethod
    def _free_vnis(session, count=8):
        """Up to `count` free VNIs of the configured ranges: random ones
        checked in one query, else (the ranges nearly full) the lowest."""
        ranges = vni_ranges()
        sizes = [last - first + 1 for first, last in ranges]
        if not ranges:
            return []
        probes = {'vxlan:%d' % random.randint(*random.choices(ranges, weights=sizes)[0])
                  for _ in range(count)}
        taken = set(session.scalars(sa.select(models.Network.segment_key).where(
            models.Network.segment_key.in_(probes))))
        free = [int(k[6:]) for k in probes - taken]
        if free:
            return free
        used = {int(k.partition(':')[2]) for k in session.scalars(
            sa.select(models.Network.segment_key).where(
                models.Network.segment_key.like('vxlan:%')))}
        for first, last in ranges:
            for vni in range(first, last + 1):
                if vni not in used:
                    free.append(vni)
                    if len(free) == count:
                        return free
        return free

    def _insert_network(self, session, row, mtu):
        """Insert `row` with its MTU. Without a type asked for, it gets the
        first project network type with room (a VNI free for vxlan, the
        unique segment key settling races with other workers)."""
        if row.network_type is not None:
            self._set_mtu(row, mtu)
            try:
                with session.begin_nested():
                    session.add(row)
            except sa_exc.IntegrityError:
                raise exc.Conflict('Unable to create the network: its segment %s is '
                                   'in use.' % row.segment_key)
            return
        for kind in CONF.network.tenant_network_types:
            if kind == 'local':
                row.network_type = 'local'
                self._set_mtu(row, mtu)
                session.add(row)
                session.flush()
                return
            if kind != 'vxlan':
                continue
            for _attempt in range(20):
                candidates = self._free_vnis(session)
                if not candidates:
                    break
                vni = random.choice(candidates)
                row.network_type, row.segmentation_id = 'vxlan', vni
                row.segment_key = 'vxlan:%d' % vni
                self._set_mtu(row, mtu)
                try:
                    with session.begin_nested():
                        session.add(row)
                    return
                except sa_exc.IntegrityError:
                    row.network_type = row.segmentation_id = row.segment_key = None
        raise exc.NetworkVxlanRangeExhausted()

    @staticmethod
    def _set_mtu(row, mtu):
        largest = mtu_for(row.network_type)
        if mtu is not None and mtu > largest:
            raise exc.InvalidInput(error='Requested MTU is too big, maximum is %d' % largest)
        row.mtu = mtu if mtu is not None else largest

    @staticmethod
    def _only_default(session, row):
        if not row.external:
            raise exc.InvalidInput(error='only an external network can be the default')
        other = session.scalar(sa.select(models.Network.id).where(
            models.Network.is_default.is_(True), models.Network.id != row.id))
        if other:
            raise exc.Conflict('Unable to update default external network. '
                               'Network %s is already the default.' % other)

    def update_network(self, ctx, network_id, body, if_match=None):
        with self.write() as s:
            row = self.get_network_row(s, ctx, network_id, for_update=True)
            if not base.is_admin(ctx) and row.project_id != ctx.project_id:
                raise exc.not_found('network', network_id)
            base.check_revision(row, if_match)
            for key in ('provider:network_type', 'provider:physical_network',
                        'provider:segmentation_id'):
                if key in body and body[key] != getattr(
                        row, {'provider:network_type': 'network_type',
                              'provider:physical_network': 'physical_network',
                              'provider:segmentation_id': 'segmentation_id'}[key]):
                    raise exc.InvalidInput(
                        error='Plugin does not support updating provider attributes')
            for key in ('name', 'description', 'admin_state_up', 'port_security_enabled',
                        'dns_domain'):
                if key in body:
                    setattr(row, key, body[key] if body[key] is not None or
                            key == 'dns_domain' else '')
            if 'mtu' in body:
                max_mtu = mtu_for(row.network_type)
                if body['mtu'] > max_mtu:
                    raise exc.InvalidInput(
                        error='Requested MTU is too big, maximum is %d' % max_mtu)
                row.mtu = body['mtu']
            if 'shared' in body:
                self._set_shared(s, ctx, row, body['shared'])
            if 'router:external' in body and body['router:external'] != row.external:
                self._set_external(s, row, body['router:external'])
            if 'is_default' in body:
                row.is_default = bool(body['is_default'])
                if row.is_default:
                    self._only_default(s, row)
            base.touch(row)
            self.request_sync(s, self.network_hosts(s, row.id))
            s.flush()
            return self._one_network(s, ctx, row)

    def _set_shared(self, session, ctx, row, shared):
        wildcard = session.scalars(sa.select(models.RBACPolicy).where(
            models.RBACPolicy.object_type == 'network',
            models.RBACPolicy.object_id == row.id,
            models.RBACPolicy.action == 'access_as_shared',
            models.RBACPolicy.target_project == '*')).first()
        if shared and wildcard is None:
            self.add_rbac(session, row.project_id, 'network', row.id, 'access_as_shared', '*')
        elif not shared and wildcard is not None:
            self.check_unshare(session, row, wildcard)
            session.delete(wildcard)

    def _set_external(self, session, row, external):
        if not external:
            in_use = session.scalar(sa.select(sa.func.count()).select_from(models.Port).where(
                models.Port.network_id == row.id,
                models.Port.device_owner.in_((base.ROUTER_GATEWAY_OWNER,
                                              base.FLOATINGIP_OWNER))))
            if in_use:
                raise exc.InUse('Unable to reconfigure sharing settings for network %s. '
                                'Multiple tenants are using it.' % row.id)
            session.execute(sa.delete(models.RBACPolicy).where(
                models.RBACPolicy.object_type == 'network',
                models.RBACPolicy.object_id == row.id,
                models.RBACPolicy.action == 'access_as_external'))
            row.is_default = False
        else:
            self.add_rbac(session, row.project_id, 'network', row.id,
                          'access_as_external', '*')
        row.external = bool(external)

    def delete_network(self, ctx, network_id):
        with self.write() as s:
            row = self.get_network_row(s, ctx, network_id, for_update=True)
            if not base.is_admin(ctx) and row.project_id != ctx.project_id:
                raise exc.not_found('network', network_id)
            ports = list(s.scalars(sa.select(models.Port).where(
                models.Port.network_id == network_id)))
            if any(p.device_owner not in base.AUTO_DELETE_OWNERS + (base.FLOATINGIP_OWNER,)
                   for p in ports):
                raise exc.NetworkInUse(net_id=network_id)
            hosts = self.network_hosts(s, network_id)
            for fip in s.scalars(sa.select(models.FloatingIP).where(
                    models.FloatingIP.floating_network_id == network_id)):
                hosts.add(self._router_host(s, fip.router_id))
                base.delete_tags(s, fip.id)
                s.delete(fip)
            s.flush()
            for port in ports:
                s.delete(port)
                base.delete_tags(s, port.id)
            s.flush()
            for subnet in s.scalars(sa.select(models.Subnet).where(
                    models.Subnet.network_id == network_id)):
                base.delete_tags(s, subnet.id)
                s.delete(subnet)
            s.execute(sa.delete(models.RBACPolicy).where(
                models.RBACPolicy.object_type == 'network',
                models.RBACPolicy.object_id == network_id))
            base.delete_tags(s, network_id)
            s.flush()
            s.delete(row)
            self.request_sync(s, hosts)

    def network_hosts(self, session, network_id):
        """Hosts with something of the network: bound ports, its DHCP server."""
        hosts = set(session.scalars(sa.select(models.Port.host).distinct().where(
            models.Port.network_id == network_id, models.Port.host != '')))
        hosts.update(session.scalars(sa.select(models.NetworkDHCPHost.host).where(
            models.NetworkDHCPHost.network_id == network_id)))
        return hosts

    @staticmethod
    def unknown_filters(filters):
        """400 for filters left over (Neutron's filter-validation)."""
        left = sorted(filters)
        if left:
            raise exc.BadRequest('%s is invalid attribute for filtering' % left[0])
