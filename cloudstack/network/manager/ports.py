"""Ports: MACs, fixed IPs (through IPAM), security groups, allowed address
pairs, extra DHCP options, DNS names and host binding."""
import ipaddress
import random
import re

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from cloudstack.conf import CONF
from cloudstack.network import exceptions as exc
from cloudstack.network import ipam
from cloudstack.network import models
from cloudstack.network.drivers import base as driver_base
from cloudstack.network.manager import base

VNIC_TYPES = ('normal', 'direct', 'macvtap', 'baremetal', 'direct-physical',
              'virtio-forwarder', 'smart-nic', 'vdpa', 'remote-managed')
BINDABLE_VNIC_TYPES = ('normal',)
MAC_RE = re.compile(r'^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$')
DNS_LABEL_RE = re.compile(r'^(?!-)[a-z0-9-]{1,63}(?<!-)$', re.I)
MAC_ATTEMPTS = 16
PORT_SORT = {k: k for k in ('id', 'name', 'network_id', 'mac_address', 'admin_state_up',
                            'status', 'device_id', 'device_owner', 'project_id',
                            'created_at', 'updated_at', 'revision_number',
                            'description', 'dns_name', 'port_security_enabled')}
PORT_SORT.update({'tenant_id': 'project_id', 'binding:host_id': 'host',
                  'binding:vnic_type': 'vnic_type'})
PORT_COLUMNS = {k: v for k, v in PORT_SORT.items() if k not in ('created_at',
                                                                 'updated_at')}
PORT_COLUMNS['binding:vif_type'] = 'vif_type'


def normalize_mac(mac):
    if not isinstance(mac, str) or not MAC_RE.match(mac):
        raise exc.InvalidInput(error="'%s' is not a valid MAC address" % (mac,))
    mac = mac.lower().replace('-', ':')
    if int(mac.split(':')[0], 16) & 1 or mac == '00:00:00:00:00:00':
        raise exc.InvalidInput(error="'%s' is not a valid MAC address" % mac)
    return mac


def random_mac():
    """A MAC from base_mac: its non-zero leading octets kept, the rest random."""
    octets = CONF.network.base_mac.lower().split(':')
    out = []
    for i, octet in enumerate(octets):
        keep = i < 3 or octet != '00'
        out.append(octet if keep else '%02x' % random.randint(0, 255))
    return ':'.join(out)


def check_dns_name(name):
    if not name:
        return ''
    if len(name) > 255:
        raise exc.InvalidInput(error="'%s' exceeds the 255 character FQDN limit" % name)
    labels = name.rstrip('.').split('.')
    for label in labels:
        if not DNS_LABEL_RE.match(label):
            raise exc.InvalidInput(error="'%s' not a valid PQDN or FQDN" % name)
    return name


def check_address_pairs(pairs, mac):
    if len(pairs) > CONF.network.max_allowed_address_pair:
        raise exc.Conflict('Exceeded maximum amount of allowed address pairs %d' %
                           CONF.network.max_allowed_address_pair)
    out = []
    for pair in pairs:
        if not isinstance(pair, dict) or 'ip_address' not in pair or \
                set(pair) - {'ip_address', 'mac_address'}:
            raise exc.InvalidInput(error='Allowed address pair must contain ip_address')
        ip = pair['ip_address']
        try:
            net = ipaddress.ip_network(ip, strict=False)
        except (TypeError, ValueError):
            raise exc.InvalidInput(error="'%s' is not a valid IP address" % (ip,))
        if net.is_multicast:
            raise exc.InvalidInput(error='Multicast address %s is not allowed' % ip)
        text = str(net.network_address) if net.num_addresses == 1 and '/' not in str(ip) \
            else str(net)
        item = {'ip_address': text,
                'mac_address': normalize_mac(pair.get('mac_address') or mac)}
        if item in out:
            raise exc.BadRequest('Request contains duplicate address pair: '
                                 'mac_address %s ip_address %s.' % (
                                     item['mac_address'], item['ip_address']))
        out.append(item)
    return out


def check_dhcp_opts(opts, old=()):
    """The port's options after `opts` (an opt_value of None removes one)."""
    current = {(o['opt_name'], o.get('ip_version', 4)): dict(o) for o in old}
    for opt in opts:
        if not isinstance(opt, dict) or not opt.get('opt_name'):
            raise exc.InvalidInput(error='Invalid extra DHCP option %s' % (opt,))
        version = opt.get('ip_version', 4)
        if isinstance(version, str) and version.isdigit():
            version = int(version)
        if version not in (4, 6):
            raise exc.InvalidInput(error='Invalid ip_version %s' % (version,))
        key = (opt['opt_name'], version)
        if opt.get('opt_value') in (None, ''):
            current.pop(key, None)
            continue
        current[key] = {'opt_name': opt['opt_name'], 'opt_value': str(opt['opt_value']),
                        'ip_version': version}
    return list(current.values())


def binding_of(network_id, host, vnic_type, agent_alive):
    """(vif_type, vif_details) of a port on `network_id` bound to `host`: as
    ML2's, binding_failed when nothing there can plug it (no live network
    agent on the host, or a vnic_type no driver handles)."""
    if not host:
        return 'unbound', {}
    if vnic_type not in BINDABLE_VNIC_TYPES or not agent_alive:
        return 'binding_failed', {}
    return 'bridge', driver_base.vif_details(network_id)


class Ports:

    # -- dicts ------------------------------------------------------------

    def port_dicts(self, session, rows):
        ids = [r.id for r in rows]
        fixed, groups = {}, {}
        if ids:
            for chunk in base._chunks(ids):
                for pid, sid, ip in session.execute(
                        sa.select(models.IPAllocation.port_id, models.IPAllocation.subnet_id,
                                  models.IPAllocation.ip_address)
                        .where(models.IPAllocation.port_id.in_(chunk))):
                    fixed.setdefault(pid, []).append({'subnet_id': sid, 'ip_address': ip})
                for pid, gid in session.execute(
                        sa.select(models.PortSecurityGroup.port_id,
                                  models.PortSecurityGroup.security_group_id)
                        .where(models.PortSecurityGroup.port_id.in_(chunk))):
                    groups.setdefault(pid, []).append(gid)
        tags = base.load_tags(session, ids)
        domains = self._dns_domains(session, {r.network_id for r in rows})
        default = CONF.network.dns_domain
        return [self.port_dict(r, fixed.get(r.id, []), groups.get(r.id, []), tags,
                               domains.get(r.network_id) or default) for r in rows]

    @staticmethod
    def _dns_domains(session, network_ids):
        if not network_ids:
            return {}
        return base.pairs(session, (sa.select(models.Network.id, models.Network.dns_domain)
                                    .where(models.Network.id.in_(list(network_ids)))))

    @staticmethod
    def port_dict(row, fixed_ips, groups, tags, dns_domain=None):
        if len(fixed_ips) > 1:
            fixed_ips = sorted(fixed_ips, key=lambda f: (
                ':' in f['ip_address'], f['subnet_id'], f['ip_address']))
        domain = (dns_domain or CONF.network.dns_domain).strip('.')
        assignment = []
        for item in fixed_ips:
            host = row.dns_name or 'host-%s' % item['ip_address'].replace(
                '.', '-').replace(':', '-')
            assignment.append({'hostname': host, 'ip_address': item['ip_address'],
                               'fqdn': '%s.%s.' % (host, domain) if domain else host + '.'})
        out = {
            'id': row.id, 'name': row.name, 'network_id': row.network_id,
            'mac_address': row.mac_address, 'admin_state_up': row.admin_state_up,
            'status': row.status, 'device_id': row.device_id,
            'device_owner': row.device_owner, 'fixed_ips': fixed_ips,
            'security_groups': sorted(groups),
            'allowed_address_pairs': [dict(p) for p in row.allowed_address_pairs or []],
            'extra_dhcp_opts': [dict(o) for o in row.extra_dhcp_opts or []],
            'port_security_enabled': row.port_security_enabled,
            'binding:host_id': row.host, 'binding:vif_type': row.vif_type,
            'binding:vif_details': dict(row.vif_details or {}),
            'binding:vnic_type': row.vnic_type, 'binding:profile': dict(row.profile or {}),
            'dns_name': row.dns_name or '', 'dns_assignment': assignment,
            'ip_allocation': 'immediate', 'resource_request': None,
        }
        base.owned(out, row.project_id)
        return base.standard(row, out, tags)

    # -- reads ------------------------------------------------------------

    def port_clause(self, ctx):
        if base.sees_every_project(ctx):
            return None
        return sa.or_(models.Port.project_id == ctx.project_id,
                      models.Port.network_id.in_(self.owned_networks(ctx)))

    def get_port_row(self, session, ctx, port_id, for_update=False):
        stmt = sa.select(models.Port).where(models.Port.id == port_id)
        clause = self.port_clause(ctx)
        if clause is not None:
            stmt = stmt.where(clause)
        if for_update:
            stmt = stmt.with_for_update()
        row = session.scalars(stmt).first() if port_id else None
        if row is None:
            raise exc.not_found('port', port_id)
        return row

    def get_port(self, ctx, port_id):
        with self.read() as s:
            return self.port_dicts(s, [self.get_port_row(s, ctx, port_id)])[0]

    def list_ports(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            return self.port_dicts(s, self._port_rows(s, ctx, query))

    def _port_rows(self, session, ctx, query):
        filters = dict(query.filters)
        clauses = base.tag_filters(models.Port, filters)
        visible = self.port_clause(ctx)
        if visible is not None:
            clauses.append(visible)
        if 'fixed_ips' in filters:
            clauses.append(self._fixed_ip_filter(filters.pop('fixed_ips')))
        if 'security_groups' in filters:
            clauses.append(models.Port.id.in_(sa.select(models.PortSecurityGroup.port_id)
                                              .where(models.PortSecurityGroup
                                                     .security_group_id.in_(
                                                         filters.pop('security_groups')))))
        if 'mac_address' in filters:
            filters['mac_address'] = [str(m).lower() for m in filters['mac_address']]
        for key in ('binding:profile', 'binding:vif_details', 'allowed_address_pairs',
                    'extra_dhcp_opts', 'dns_assignment', 'ip_allocation'):
            filters.pop(key, None)
        converters = {'admin_state_up': base.to_bool, 'port_security_enabled': base.to_bool,
                      'revision_number': int}
        clauses += self.column_filters(models.Port, filters, PORT_COLUMNS, converters)
        self.unknown_filters(filters)
        return self.fetch(session, models.Port, query, clauses, PORT_SORT, 'port')

    @staticmethod
    def _fixed_ip_filter(values):
        wanted = {}
        for value in values:
            key, sep, wanted_value = str(value).partition('=')
            if not sep or key not in ('ip_address', 'subnet_id', 'ip_address_substr'):
                raise exc.BadRequest('Invalid fixed_ips filter %s' % value)
            wanted.setdefault(key, []).append(wanted_value)
        stmt = sa.select(models.IPAllocation.port_id)
        if 'ip_address' in wanted:
            stmt = stmt.where(models.IPAllocation.ip_address.in_(wanted['ip_address']))
        if 'subnet_id' in wanted:
            stmt = stmt.where(models.IPAllocation.subnet_id.in_(wanted['subnet_id']))
        for part in wanted.get('ip_address_substr', []):
            stmt = stmt.where(models.IPAllocation.ip_address.contains(part, autoescape=True))
        return models.Port.id.in_(stmt)

    # -- create -----------------------------------------------------------

    def create_port(self, ctx, body):
        base.check_project(ctx, body)
        return self.create_ports(ctx, [body])[0]

    def create_ports(self, ctx, bodies):
        for attempt in range(MAC_ATTEMPTS):
            events = []
            try:
                with self.write() as s:
                    out = [self._create_port(s, ctx, b, events) for b in bodies]
                break
            except sa_exc.IntegrityError as error:
                # A random MAC that another port of the network has: rare
                # enough that the whole transaction goes again.
                if 'mac_address' not in str(error) or attempt == MAC_ATTEMPTS - 1:
                    raise
        self.notify_compute(events)
        return out

    def _create_port(self, session, ctx, body, events, internal=False):
        network = self.get_network_row(session, ctx, body.get('network_id'))
        project = base.project_for(ctx, body)
        if not internal:
            self.check_quota(session, project, 'port', 1)
        owner = body.get('device_owner') or ''
        security = body.get('port_security_enabled')
        if security is None:
            security = network.port_security_enabled
        row = models.Port(
            id=body.get('id') or base.new_uuid(), project_id=project,
            network_id=network.id, name=body.get('name') or '',
            description=body.get('description') or '',
            admin_state_up=body.get('admin_state_up', True), status='DOWN',
            device_id=body.get('device_id') or '', device_owner=owner,
            port_security_enabled=bool(security),
            vnic_type=body.get('binding:vnic_type') or 'normal',
            profile=dict(body.get('binding:profile') or {}),
            dns_name=check_dns_name(body.get('dns_name') or ''))
        if row.vnic_type not in VNIC_TYPES:
            raise exc.InvalidInput(error="'%s' is not in %s" % (row.vnic_type,
                                                                list(VNIC_TYPES)))
        self._insert_with_mac(session, row, body.get('mac_address'))
        pairs = body.get('allowed_address_pairs') or []
        if pairs and not row.port_security_enabled:
            raise exc.Conflict('Port Security must be enabled in order to have allowed '
                               'address pairs on a port.')
        row.allowed_address_pairs = check_address_pairs(pairs, row.mac_address)
        row.extra_dhcp_opts = check_dhcp_opts(body.get('extra_dhcp_opts') or [])
        fixed = self.allocate_fixed_ips(session, row, network, body.get('fixed_ips'))
        groups = self._set_groups(session, ctx, row, body.get('security_groups'),
                                  creating=True)
        self._bind(session, row, body.get('binding:host_id') or '')
        session.flush()
        out = self.port_dict(row, [{'subnet_id': sid, 'ip_address': ip} for sid, ip in fixed],
                             groups, {}, network.dns_domain)
        self.port_changed(session, row, None, events, after=out)
        return out

    @staticmethod
    def _insert_with_mac(session, row, mac):
        """Insert the port with the MAC asked for (MacAddressInUse when the
        network has it), else a random one (a clash fails the transaction,
        which create_ports runs again)."""
        if mac:
            row.mac_address = normalize_mac(mac)
            try:
                with session.begin_nested():
                    session.add(row)
            except sa_exc.IntegrityError:
                raise exc.MacAddressInUse(net_id=row.network_id, mac=row.mac_address)
            return
        row.mac_address = random_mac()
        session.add(row)
        session.flush()

    # -- fixed IPs --------------------------------------------------------

    def _network_subnets(self, session, network_id):
        return list(session.scalars(sa.select(models.Subnet).where(
            models.Subnet.network_id == network_id).order_by(
            models.Subnet.created_at, models.Subnet.id)))

    def _eligible(self, subnets, owner):
        """Subnets a port of `owner` takes addresses from by default: those
        whose service types name it, else those without service types."""
        typed = [s for s in subnets if owner and owner in (s.service_types or [])]
        if typed:
            return typed
        return [s for s in subnets if not s.service_types]

    def allocate_fixed_ips(self, session, port, network, requested):
        """Give a new port its fixed IPs; [(subnet id, ip)]."""
        subnets = self._network_subnets(session, network.id)
        by_id = {s.id: s for s in subnets}
        router_port = port.device_owner in base.ROUTER_OWNERS
        held = []
        if requested is None:
            eligible = self._eligible(subnets, port.device_owner)
            for version_subnets in (
                    [s for s in eligible if s.ip_version == 4],
                    [s for s in eligible if s.ip_version == 6
                     and not ipam.is_auto_address(s)]):
                if not version_subnets:
                    continue
                for subnet in version_subnets:
                    ip = ipam.allocate_any(session, subnet, port.id)
                    if ip is not None:
                        held.append((subnet.id, ip))
                        break
                else:
                    raise exc.IpAddressGenerationFailure(net_id=network.id)
            auto = [s for s in eligible if ipam.is_auto_address(s)]
        else:
            if len(requested) > CONF.network.max_fixed_ips_per_port:
                raise exc.InvalidInput(error='Exceeded maximum amount of fixed ips per '
                                             'port.')
            seen = set()
            for item in requested:
                subnet, ip = self._resolve_fixed_ip(item, subnets, by_id, network.id)
                key = (subnet.id, ip or len(seen))
                if key in seen:
                    raise exc.InvalidInput(error='Duplicate IP address %s' % ip)
                seen.add(key)
                held.append((subnet.id, self._allocate_one(session, port, subnet, ip,
                                                           router_port)))
            requested_ids = {self._resolve_fixed_ip(i, subnets, by_id, network.id)[0].id
                             for i in requested}
            auto = [s for s in self._eligible(subnets, port.device_owner)
                    if ipam.is_auto_address(s) and s.id not in requested_ids]
        if not router_port:
            for subnet in auto:
                ip = ipam.eui64(subnet.cidr, port.mac_address)
                if ipam.hold(session, subnet, port.id, ip):
                    held.append((subnet.id, ip))
        return held

    def _allocate_one(self, session, port, subnet, ip, router_port):
        if ip is not None:
            if ipam.is_auto_address(subnet) and not router_port:
                raise exc.InvalidInput(error='IPv6 address %s cannot be directly assigned '
                                             'to a port on subnet %s since the subnet is '
                                             'configured for automatic addresses' % (
                                                 ip, subnet.id))
            return ipam.allocate_specific(session, subnet, port.id, ip)
        if ipam.is_auto_address(subnet) and not router_port:
            ip = ipam.eui64(subnet.cidr, port.mac_address)
            return ipam.allocate_specific(session, subnet, port.id, ip)
        got = ipam.allocate_any(session, subnet, port.id)
        if got is None:
            raise exc.IpAddressGenerationFailure(net_id=subnet.network_id)
        return got

    @staticmethod
    def _resolve_fixed_ip(item, subnets, by_id, network_id):
        """(subnet, canonical ip or None) of one requested fixed IP."""
        if not isinstance(item, dict) or not (set(item) & {'subnet_id', 'ip_address'}) or \
                set(item) - {'subnet_id', 'ip_address'}:
            raise exc.InvalidInput(error='Invalid fixed IP %s' % (item,))
        ip = item.get('ip_address')
        if ip is not None:
            try:
                value = ipaddress.ip_address(ip)
            except (TypeError, ValueError):
                raise exc.InvalidInput(error="'%s' is not a valid IP address" % (ip,))
            ip = str(value)
        if item.get('subnet_id'):
            subnet = by_id.get(item['subnet_id'])
            if subnet is None:
                raise exc.InvalidInput(error='Failed to create port on network %s, because '
                                             'fixed_ips included invalid subnet %s' % (
                                                 network_id, item['subnet_id']))
            if ip is not None and ipaddress.ip_address(ip) not in ipam.network(subnet.cidr):
                raise exc.InvalidIpForSubnet(ip_address=ip)
            return subnet, ip
        if ip is None:
            raise exc.InvalidInput(error='Invalid fixed IP %s' % (item,))
        for subnet in subnets:
            if ipaddress.ip_address(ip) in ipam.network(subnet.cidr):
                return subnet, ip
        raise exc.InvalidIpForNetwork(ip_address=ip)

    def update_fixed_ips(self, session, port, requested):
        """Make the port hold exactly `requested`: keep what it asks for that
        the port has, release the rest, allocate what is new."""
        if len(requested) > CONF.network.max_fixed_ips_per_port:
            raise exc.InvalidInput(error='Exceeded maximum amount of fixed ips per port.')
        subnets = self._network_subnets(session, port.network_id)
        by_id = {s.id: s for s in subnets}
        current = [(sid, ip) for sid, ip in session.execute(
            sa.select(models.IPAllocation.subnet_id, models.IPAllocation.ip_address)
            .where(models.IPAllocation.port_id == port.id))]
        router_port = port.device_owner in base.ROUTER_OWNERS
        keep, specific, anywhere = [], [], []
        for item in requested:
            subnet, ip = self._resolve_fixed_ip(item, subnets, by_id, port.network_id)
            if ip is not None:
                if (subnet.id, ip) in keep or (subnet.id, ip) in specific:
                    raise exc.InvalidInput(error='Duplicate IP address %s' % ip)
                (keep if (subnet.id, ip) in current else specific).append((subnet.id, ip))
            else:
                anywhere.append(subnet.id)
        for sid in list(anywhere):
            held = [c for c in current if c[0] == sid and c not in keep]
            if held:
                keep.append(held[0])
                anywhere.remove(sid)
        for sid, ip in current:
            if (sid, ip) not in keep:
                ipam.release(session, port.id, sid, ip)
        session.flush()
        for sid, ip in specific:
            self._allocate_one(session, port, by_id[sid], ip, router_port)
        for sid in anywhere:
            self._allocate_one(session, port, by_id[sid], None, router_port)
        return {sid for sid, _ in current} | {sid for sid, _ in specific} | set(anywhere)

    # -- security groups and binding --------------------------------------

    def _set_groups(self, session, ctx, port, groups, creating=False):
        """Set the port's security groups (on create, None means the
        project's default group); returns them."""
        if groups is None:
            if not creating:
                return None
            if not port.port_security_enabled or port.device_owner.startswith('network:'):
                groups = []
            else:
                groups = [self.ensure_default_group(session, port.project_id)]
        else:
            groups = list(dict.fromkeys(groups))
            if groups and not port.port_security_enabled:
                raise exc.BadRequest('Port security must be enabled and port must have '
                                     'an IP address in order to use security groups.')
            for gid in groups:
                self.check_group_usable(session, ctx, port.project_id, gid)
        if not creating:
            session.execute(sa.delete(models.PortSecurityGroup).where(
                models.PortSecurityGroup.port_id == port.id))
        for gid in groups:
            session.add(models.PortSecurityGroup(port_id=port.id, security_group_id=gid))
        return groups

    def _bind(self, session, port, host, agent=None):
        """Bind the port to `host` ('' unbinds); it is DOWN until that host's
        agent reports it wired, or ACTIVE at once when that agent's driver
        builds nothing (noop). With no live agent on the host the binding
        fails (tried again on the port's next update and when the host's
        agent syncs). `agent`: what that agent reported, when the caller is it."""
        if (host or '') != port.host:
            port.status = 'DOWN'
        port.host = host or ''
        if agent is None and port.host:
            agent = self.live_agent_details(port.host)
        port.vif_type, port.vif_details = binding_of(port.network_id, port.host,
                                                     port.vnic_type, agent is not None)
        if port.vif_type == 'bridge' and port.admin_state_up and \
                (agent or {}).get('driver') == 'noop':
            port.status = 'ACTIVE'

    # -- update -----------------------------------------------------------

    def update_port(self, ctx, port_id, body, if_match=None):
        events = []
        with self.write() as s:
            out = self._update_port(s, ctx, port_id, body, if_match, events)
        self.notify_compute(events)
        return out

    def _update_port(self, session, ctx, port_id, body, if_match, events):
        row = self.get_port_row(session, ctx, port_id, for_update=True)
        base.check_revision(row, if_match)
        before = self.port_dicts(session, [row])[0]
        if 'network_id' in body and body['network_id'] != row.network_id:
            raise exc.BadRequest('Cannot update read-only attribute network_id')
        for key in ('name', 'description', 'device_id', 'device_owner'):
            if key in body:
                setattr(row, key, body[key] or '')
        if 'admin_state_up' in body:
            row.admin_state_up = bool(body['admin_state_up'])
        if 'dns_name' in body:
            row.dns_name = check_dns_name(body['dns_name'] or '')
        if 'mac_address' in body and body['mac_address'] != row.mac_address:
            if row.vif_type not in ('unbound', 'binding_failed'):
                raise exc.Conflict('Unable to complete operation on port %s, port is '
                                   'already bound, port type: %s, old_mac %s, new_mac '
                                   '%s.' % (row.id, row.vif_type, row.mac_address,
                                            body['mac_address']))
            row.mac_address = normalize_mac(body['mac_address'])
            try:
                with session.begin_nested():
                    session.flush()
            except sa_exc.IntegrityError:
                raise exc.MacAddressInUse(net_id=row.network_id, mac=row.mac_address)
        if 'port_security_enabled' in body:
            row.port_security_enabled = bool(body['port_security_enabled'])
        if 'allowed_address_pairs' in body:
            row.allowed_address_pairs = check_address_pairs(
                body['allowed_address_pairs'] or [], row.mac_address)
        if 'extra_dhcp_opts' in body:
            row.extra_dhcp_opts = check_dhcp_opts(body['extra_dhcp_opts'] or [],
                                                  row.extra_dhcp_opts or [])
        if 'security_groups' in body:
            self._set_groups(session, ctx, row, body['security_groups'] or [])
        if not row.port_security_enabled:
            if 'security_groups' not in body and session.scalar(
                    sa.select(sa.func.count()).select_from(models.PortSecurityGroup)
                    .where(models.PortSecurityGroup.port_id == row.id)):
                raise exc.Conflict('Port has security group associated. Cannot disable '
                                   'port security or ip address until security group is '
                                   'removed')
            if row.allowed_address_pairs:
                raise exc.Conflict('Port Security must be enabled in order to have '
                                   'allowed address pairs on a port.')
        if 'fixed_ips' in body:
            requested = body['fixed_ips'] or []
            self.update_fixed_ips(session, row, requested)
            self.check_fixed_ips_in_use(session, row)
        if 'binding:vnic_type' in body:
            if body['binding:vnic_type'] not in VNIC_TYPES:
                raise exc.InvalidInput(error="'%s' is not in %s" % (
                    body['binding:vnic_type'], list(VNIC_TYPES)))
            row.vnic_type = body['binding:vnic_type']
        if 'binding:profile' in body:
            row.profile = dict(body['binding:profile'] or {})
        if 'binding:host_id' in body or 'binding:vnic_type' in body or \
                row.vif_type == 'binding_failed':
            self._bind(session, row, body.get('binding:host_id', row.host))
        base.touch(row)
        session.flush()
        self.port_changed(session, row, before, events)
        return self.port_dicts(session, [row])[0]

    # -- delete -----------------------------------------------------------

    def delete_port(self, ctx, port_id, l3_check=True):
        events = []
        with self.write() as s:
            row = self.get_port_row(s, ctx, port_id, for_update=True)
            if l3_check and row.device_owner in base.ROUTER_OWNERS + (base.FLOATINGIP_OWNER,):
                raise L3PortInUse(port_id=row.id, device_owner=row.device_owner)
            self.remove_port(s, row, events)
        self.notify_compute(events)

    def remove_port(self, session, row, events):
        """Delete a port and what hangs on it, in the caller's transaction."""
        before = self.port_dicts(session, [row])[0]
        self.port_removing(session, row)
        base.delete_tags(session, row.id)
        session.delete(row)
        session.flush()
        self.port_changed(session, None, before, events)


class L3PortInUse(exc.Conflict):
    message = ('Port %(port_id)s has owner %(device_owner)s and therefore cannot be '
               'deleted directly via the port API.')
