"""Security groups, their rules (remote IP prefixes, remote groups, remote
address groups) and address groups; the default group of each project."""
import ipaddress

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from cloudstack.network import exceptions as exc
from cloudstack.network import models
from cloudstack.network.manager import base

# IANA protocol numbers of the names Neutron accepts.
PROTOCOLS = {
    'ah': 51, 'dccp': 33, 'egp': 8, 'esp': 50, 'gre': 47, 'hopopt': 0, 'icmp': 1,
    'igmp': 2, 'ipip': 4, 'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-icmp': 58,
    'icmpv6': 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, 'ipv6-route': 43, 'ospf': 89,
    'pgm': 113, 'rsvp': 46, 'sctp': 132, 'tcp': 6, 'udp': 17, 'udplite': 136,
    'vrrp': 112,
}
PORT_PROTOCOLS = (6, 17, 33, 132, 136)
ICMP_PROTOCOLS = (1, 58)
DIRECTIONS = ('ingress', 'egress')
ETHERTYPES = ('IPv4', 'IPv6')
DEFAULT_NAME = 'default'
GROUP_SORT = {k: k for k in ('id', 'name', 'project_id', 'created_at', 'updated_at',
                             'revision_number', 'description', 'stateful')}
GROUP_SORT['tenant_id'] = 'project_id'
GROUP_COLUMNS = {k: v for k, v in GROUP_SORT.items() if k not in ('created_at',
                                                                   'updated_at')}
RULE_SORT = {k: k for k in ('id', 'security_group_id', 'direction', 'ethertype',
                            'protocol', 'port_range_min', 'port_range_max',
                            'remote_ip_prefix', 'remote_group_id',
                            'remote_address_group_id', 'project_id', 'created_at',
                            'updated_at', 'revision_number', 'description')}
RULE_SORT['tenant_id'] = 'project_id'
RULE_COLUMNS = {k: v for k, v in RULE_SORT.items() if k not in ('created_at', 'updated_at')}
ADDRESS_GROUP_SORT = {k: k for k in ('id', 'name', 'project_id', 'created_at',
                                     'updated_at', 'revision_number', 'description')}
ADDRESS_GROUP_SORT['tenant_id'] = 'project_id'


def protocol_number(protocol):
    """The IANA number of a rule's protocol, or None for any."""
    if protocol in (None, '', 'any'):
        return None
    text = str(protocol).lower()
    if text in PROTOCOLS:
        return PROTOCOLS[text]
    if text.isdigit() and 0 <= int(text) <= 255:
        return int(text)
    raise exc.BadRequest('Security group rule protocol %s not supported. Only protocol '
                         'values %s and integer representations [0 to 255] are '
                         'supported.' % (protocol, sorted(PROTOCOLS)))


def _port(value, what):
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise exc.InvalidInput(error='Invalid value for %s %s' % (what, value))
    return number


def check_ports(number, pmin, pmax):
    """Validate a rule's port range (or ICMP type and code) as Neutron does."""
    for value in (pmin, pmax):
        if value is not None and not 0 <= value <= 65535:
            raise exc.InvalidInput(error='Invalid value for port %s' % value)
    if number in PORT_PROTOCOLS:
        if (pmin is None) != (pmax is None) or (
                pmin is not None and pmin > pmax):
            raise exc.BadRequest('For TCP/UDP protocols, port_range_min must be <= '
                                 'port_range_max')
        if pmin == 0:
            raise exc.InvalidInput(error='Invalid value for port 0')
    elif number in ICMP_PROTOCOLS:
        if pmin is not None and not 0 <= pmin <= 255:
            raise exc.BadRequest('Invalid value for ICMP type (port-range-min): %s' % pmin)
        if pmax is not None and not 0 <= pmax <= 255:
            raise exc.BadRequest('Invalid value for ICMP code (port-range-max): %s' % pmax)
        if pmin is None and pmax is not None:
            raise exc.BadRequest('ICMP code (port-range-max) %s is provided but ICMP type '
                                 '(port-range-min) is missing.' % pmax)
    elif pmin is not None or pmax is not None:
        raise exc.BadRequest('Protocol %s does not support port ranges' % number
                             if number is not None else
                             'Port range requires a protocol')


def group_dict(row, rules, tags, shared=False):
    out = {'id': row.id, 'name': row.name, 'stateful': row.stateful,
           'shared': shared, 'security_group_rules': rules}
    base.owned(out, row.project_id)
    return base.standard(row, out, tags)


def rule_dict(row, default_ids):
    prefix = row.remote_ip_prefix
    out = {
        'id': row.id, 'security_group_id': row.security_group_id,
        'direction': row.direction, 'ethertype': row.ethertype,
        'protocol': row.protocol, 'port_range_min': row.port_range_min,
        'port_range_max': row.port_range_max, 'remote_ip_prefix': prefix,
        'normalized_cidr': str(ipaddress.ip_network(prefix, strict=False))
        if prefix else None,
        'remote_group_id': row.remote_group_id,
        'remote_address_group_id': row.remote_address_group_id,
        'belongs_to_default_sg': row.security_group_id in default_ids,
    }
    base.owned(out, row.project_id)
    return base.standard(row, out)


class SecurityGroups:

    # -- dicts ------------------------------------------------------------

    def group_dicts(self, session, rows):
        ids = [r.id for r in rows]
        rules = {}
        defaults = self._default_ids(session, ids)
        if ids:
            for chunk in base._chunks(ids):
                for rule in session.scalars(sa.select(models.SecurityGroupRule).where(
                        models.SecurityGroupRule.security_group_id.in_(chunk)).order_by(
                        models.SecurityGroupRule.created_at, models.SecurityGroupRule.id)):
                    rules.setdefault(rule.security_group_id, []).append(
                        rule_dict(rule, defaults))
        tags = base.load_tags(session, ids)
        return [group_dict(r, rules.get(r.id, []), tags) for r in rows]

    @staticmethod
    def _default_ids(session, group_ids):
        if not group_ids:
            return set()
        return set(session.scalars(sa.select(
            models.DefaultSecurityGroup.security_group_id).where(
            models.DefaultSecurityGroup.security_group_id.in_(list(group_ids)))))

    def group_owners(self, group_ids):
        """{security group id: its project}."""
        ids = sorted(set(group_ids))
        if not ids:
            return {}
        with self.read() as s:
            return base.pairs(s, sa.select(models.SecurityGroup.id,
                                           models.SecurityGroup.project_id)
                              .where(models.SecurityGroup.id.in_(ids)))

    # -- the default group ------------------------------------------------

    def ensure_default_group(self, session, project_id):
        """The id of the project's default group, made on first need. Two
        workers making it at once: the primary key of default_security_groups
        lets one win; the other drops its own and uses the winner's."""
        found = session.scalar(sa.select(models.DefaultSecurityGroup.security_group_id)
                               .where(models.DefaultSecurityGroup.project_id == project_id))
        if found:
            return found
        try:
            with session.begin_nested():
                group = self._new_group(session, project_id, DEFAULT_NAME,
                                        'Default security group', True)
                session.add(models.DefaultSecurityGroup(project_id=project_id,
                                                        security_group_id=group.id))
                for ethertype in ETHERTYPES:
                    self._new_rule(session, group, {
                        'direction': 'ingress', 'ethertype': ethertype,
                        'remote_group_id': group.id}, default_ids={group.id})
                session.flush()
            return group.id
        except sa_exc.IntegrityError:
            return session.scalar(sa.select(models.DefaultSecurityGroup.security_group_id)
                                  .where(models.DefaultSecurityGroup.project_id == project_id))

    def _new_group(self, session, project_id, name, description, stateful):
        group = models.SecurityGroup(id=base.new_uuid(), project_id=project_id, name=name,
                                     description=description or '', stateful=stateful)
        session.add(group)
        session.flush()
        for ethertype in ETHERTYPES:
            self._new_rule(session, group, {'direction': 'egress', 'ethertype': ethertype})
        return group

    def ensure_default_for(self, ctx):
        """Neutron makes a project's default group when it first looks."""
        if not ctx.project_id:
            return
        with self.read() as s:
            if s.scalar(sa.select(models.DefaultSecurityGroup.security_group_id).where(
                    models.DefaultSecurityGroup.project_id == ctx.project_id)):
                return
        with self.write() as s:
            self.ensure_default_group(s, ctx.project_id)

    # -- groups -----------------------------------------------------------

    def group_clause(self, ctx):
        if base.is_admin(ctx):
            return None
        return models.SecurityGroup.project_id == ctx.project_id

    def get_security_group(self, ctx, group_id):
        with self.read() as s:
            row = self.get_owned(s, ctx, models.SecurityGroup, group_id, 'security_group')
            return self.group_dicts(s, [row])[0]

    def list_security_groups(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        self.ensure_default_for(ctx)
        with self.read() as s:
            filters = dict(query.filters)
            clauses = base.tag_filters(models.SecurityGroup, filters)
            visible = self.group_clause(ctx)
            if visible is not None:
                clauses.append(visible)
            if 'shared' in filters:
                if {base.to_bool(v) for v in filters.pop('shared')} == {True}:
                    clauses.append(sa.false())
            filters.pop('security_group_rules', None)
            clauses += self.column_filters(models.SecurityGroup, filters, GROUP_COLUMNS,
                                           {'stateful': base.to_bool,
                                            'revision_number': int})
            self.unknown_filters(filters)
            rows = self.fetch(s, models.SecurityGroup, query, clauses, GROUP_SORT,
                              'security_group')
            return self.group_dicts(s, rows)

    def create_security_group(self, ctx, body):
        base.check_project(ctx, body)
        project = base.project_for(ctx, body)
        with self.write() as s:
            self.ensure_default_group(s, project)
            if (body.get('name') or '') == DEFAULT_NAME:
                raise SecurityGroupDefaultAlreadyExists()
            self.check_quota(s, project, 'security_group', 1)
            group = self._new_group(s, project, body.get('name') or '',
                                    body.get('description'), body.get('stateful', True))
            return self.group_dicts(s, [group])[0]

    def update_security_group(self, ctx, group_id, body, if_match=None):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.SecurityGroup, group_id, 'security_group',
                                 for_update=True)
            base.check_revision(row, if_match)
            is_default = bool(self._default_ids(s, [row.id]))
            if 'name' in body and body['name'] != row.name:
                if is_default or body['name'] == DEFAULT_NAME:
                    raise SecurityGroupCannotUpdateDefault()
                row.name = body['name'] or ''
            if 'description' in body:
                row.description = body['description'] or ''
            if 'stateful' in body and body['stateful'] != row.stateful:
                if s.scalar(sa.select(models.PortSecurityGroup.port_id).where(
                        models.PortSecurityGroup.security_group_id == row.id).limit(1)):
                    raise exc.SecurityGroupInUse(id=row.id, reason='in use')
                row.stateful = bool(body['stateful'])
            base.touch(row)
            self.request_sync(s, self.group_hosts(s, [row.id]))
            s.flush()
            return self.group_dicts(s, [row])[0]

    def delete_security_group(self, ctx, group_id):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.SecurityGroup, group_id, 'security_group',
                                 for_update=True)
            if self._default_ids(s, [row.id]) and not base.is_admin(ctx):
                raise SecurityGroupCannotRemoveDefault()
            if s.scalar(sa.select(models.PortSecurityGroup.port_id).where(
                    models.PortSecurityGroup.security_group_id == row.id).limit(1)):
                raise exc.SecurityGroupInUse(id=row.id, reason='in use')
            hosts = self.group_hosts(s, [row.id])
            s.execute(sa.delete(models.DefaultSecurityGroup).where(
                models.DefaultSecurityGroup.security_group_id == row.id))
            base.delete_tags(s, row.id)
            s.delete(row)
            self.request_sync(s, hosts)

    def check_group_usable(self, session, ctx, project_id, group_id):
        """404 unless the port's project (or an admin) may use the group."""
        stmt = sa.select(models.SecurityGroup.id).where(models.SecurityGroup.id == group_id)
        if not base.is_admin(ctx):
            stmt = stmt.where(models.SecurityGroup.project_id.in_(
                (project_id, ctx.project_id)))
        if session.scalar(stmt) is None:
            raise exc.not_found('security_group', group_id)

    def group_hosts(self, session, group_ids):
        """Hosts whose rules depend on the groups: ports in them, and ports in
        groups whose rules name them as remote group."""
        if not group_ids:
            return set()
        referring = sa.select(models.SecurityGroupRule.security_group_id).where(
            models.SecurityGroupRule.remote_group_id.in_(list(group_ids)))
        return set(session.scalars(
            sa.select(models.Port.host).distinct().join(
                models.PortSecurityGroup, models.PortSecurityGroup.port_id == models.Port.id)
            .where(models.Port.host != '',
                   sa.or_(models.PortSecurityGroup.security_group_id.in_(list(group_ids)),
                          models.PortSecurityGroup.security_group_id.in_(referring)))))

    # -- rules ------------------------------------------------------------

    def rule_clause(self, ctx):
        if base.is_admin(ctx):
            return None
        return sa.or_(models.SecurityGroupRule.project_id == ctx.project_id,
                      models.SecurityGroupRule.security_group_id.in_(
                          sa.select(models.SecurityGroup.id).where(
                              models.SecurityGroup.project_id == ctx.project_id)))

    def get_security_group_rule(self, ctx, rule_id):
        with self.read() as s:
            row = self.get_owned(s, ctx, models.SecurityGroupRule, rule_id,
                                 'security_group_rule', extra=self.rule_clause(ctx))
            return rule_dict(row, self._default_ids(s, [row.security_group_id]))

    def list_security_group_rules(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            filters = dict(query.filters)
            clauses = []
            visible = self.rule_clause(ctx)
            if visible is not None:
                clauses.append(visible)
            if 'protocol' in filters:
                filters['protocol'] = [None if v in ('', 'any') else v
                                       for v in filters['protocol']]
            if 'belongs_to_default_sg' in filters:
                wanted = {base.to_bool(v) for v in filters.pop('belongs_to_default_sg')}
                default = models.SecurityGroupRule.security_group_id.in_(
                    sa.select(models.DefaultSecurityGroup.security_group_id))
                if wanted == {True}:
                    clauses.append(default)
                elif wanted == {False}:
                    clauses.append(sa.not_(default))
            filters.pop('normalized_cidr', None)
            clauses += self.column_filters(models.SecurityGroupRule, filters, RULE_COLUMNS,
                                           {'port_range_min': int, 'port_range_max': int,
                                            'revision_number': int})
            self.unknown_filters(filters)
            rows = self.fetch(s, models.SecurityGroupRule, query, clauses, RULE_SORT,
                              'security_group_rule')
            defaults = self._default_ids(s, {r.security_group_id for r in rows})
            return [rule_dict(r, defaults) for r in rows]

    def create_security_group_rule(self, ctx, body):
        base.check_project(ctx, body)
        with self.write() as s:
            return self._create_rule(s, ctx, body)

    def create_security_group_rules(self, ctx, bodies):
        with self.write() as s:
            return [self._create_rule(s, ctx, b) for b in bodies]

    def _create_rule(self, session, ctx, body):
        group = self.get_owned(session, ctx, models.SecurityGroup,
                               body.get('security_group_id'), 'security_group')
        project = base.project_for(ctx, body) if body.get('project_id') or \
            body.get('tenant_id') else group.project_id
        self.check_quota(session, project, 'security_group_rule', 1)
        if body.get('remote_group_id'):
            self.check_group_usable(session, ctx, group.project_id, body['remote_group_id'])
        if body.get('remote_address_group_id'):
            self.get_owned(session, ctx, models.AddressGroup,
                           body['remote_address_group_id'], 'address_group')
        rule = self._new_rule(session, group, body, project=project)
        self.request_sync(session, self.group_hosts(session, [group.id]))
        return rule_dict(rule, self._default_ids(session, [group.id]))

    def _new_rule(self, session, group, body, project=None, default_ids=None):
        direction = body.get('direction')
        if direction not in DIRECTIONS:
            raise exc.InvalidInput(error="'%s' is not in %s" % (direction, list(DIRECTIONS)))
        ethertype = body.get('ethertype') or 'IPv4'
        if ethertype not in ETHERTYPES:
            raise exc.InvalidInput(error="'%s' is not in %s" % (ethertype, list(ETHERTYPES)))
        protocol = body.get('protocol')
        protocol = None if protocol in (None, '', 'any') else str(protocol)
        number = protocol_number(protocol)
        pmin = _port(body.get('port_range_min'), 'port')
        pmax = _port(body.get('port_range_max'), 'port')
        check_ports(number, pmin, pmax)
        if number in PORT_PROTOCOLS and pmin == 1 and pmax == 65535:
            pmin = pmax = None      # the whole range is no range
        prefix = body.get('remote_ip_prefix')
        remote_group = body.get('remote_group_id')
        remote_ag = body.get('remote_address_group_id')
        if sum(bool(x) for x in (prefix, remote_group, remote_ag)) > 1:
            raise exc.BadRequest('Only remote_ip_prefix or remote_group_id may be '
                                 'provided.')
        if prefix:
            try:
                net = ipaddress.ip_network(prefix, strict=False)
            except (TypeError, ValueError):
                raise exc.InvalidInput(error="'%s' is not a valid IP subnet" % (prefix,))
            if 'IPv%d' % net.version != ethertype:
                raise exc.BadRequest('Conflicting value ethertype %s for CIDR %s' % (
                    ethertype, prefix))
        key = '|'.join(str(x) for x in (
            direction, ethertype, number, pmin, pmax,
            str(ipaddress.ip_network(prefix, strict=False)) if prefix else None,
            remote_group, remote_ag))
        existing = session.scalar(sa.select(models.SecurityGroupRule.id).where(
            models.SecurityGroupRule.security_group_id == group.id,
            models.SecurityGroupRule.rule_key == key))
        if existing:
            raise exc.SecurityGroupRuleExists(rule_id=existing)
        rule = models.SecurityGroupRule(
            id=body.get('id') or base.new_uuid(), project_id=project or group.project_id,
            security_group_id=group.id, direction=direction, ethertype=ethertype,
            protocol=protocol, port_range_min=pmin, port_range_max=pmax,
            remote_ip_prefix=prefix or None, remote_group_id=remote_group or None,
            remote_address_group_id=remote_ag or None, rule_key=key,
            description=body.get('description') or '')
        try:
            with session.begin_nested():
                session.add(rule)
        except sa_exc.IntegrityError:
            raise exc.SecurityGroupRuleExists(rule_id='')
        base.touch(group)
        return rule

    def delete_security_group_rule(self, ctx, rule_id):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.SecurityGroupRule, rule_id,
                                 'security_group_rule', extra=self.rule_clause(ctx))
            hosts = self.group_hosts(s, [row.security_group_id])
            group = s.get(models.SecurityGroup, row.security_group_id)
            s.delete(row)
            base.touch(group)
            self.request_sync(s, hosts)

    # -- address groups ---------------------------------------------------

    @staticmethod
    def address_group_dict(row, tags=None):
        out = {'id': row.id, 'name': row.name, 'addresses': list(row.addresses or [])}
        base.owned(out, row.project_id)
        return base.standard(row, out, tags)

    def get_address_group(self, ctx, group_id):
        with self.read() as s:
            row = self.get_owned(s, ctx, models.AddressGroup, group_id, 'address_group')
            return self.address_group_dict(row)

    def list_address_groups(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            filters = dict(query.filters)
            clauses = []
            if not base.is_admin(ctx):
                clauses.append(models.AddressGroup.project_id == ctx.project_id)
            filters.pop('addresses', None)
            clauses += self.column_filters(models.AddressGroup, filters,
                                           {k: v for k, v in ADDRESS_GROUP_SORT.items()
                                            if k not in ('created_at', 'updated_at')},
                                           {'revision_number': int})
            self.unknown_filters(filters)
            rows = self.fetch(s, models.AddressGroup, query, clauses, ADDRESS_GROUP_SORT,
                              'address_group')
            return [self.address_group_dict(r) for r in rows]

    @staticmethod
    def _addresses(addresses):
        out = []
        for item in addresses or []:
            try:
                net = ipaddress.ip_network(item, strict=False)
            except (TypeError, ValueError):
                raise exc.InvalidInput(error="'%s' is not a valid IP subnet" % (item,))
            if str(net) not in out:
                out.append(str(net))
        return out

    def create_address_group(self, ctx, body):
        base.check_project(ctx, body)
        project = base.project_for(ctx, body)
        with self.write() as s:
            self.check_quota(s, project, 'address_group', 1)
            row = models.AddressGroup(id=base.new_uuid(), project_id=project,
                                      name=body.get('name') or '',
                                      description=body.get('description') or '',
                                      addresses=self._addresses(body.get('addresses')))
            s.add(row)
            s.flush()
            return self.address_group_dict(row)

    def update_address_group(self, ctx, group_id, body, if_match=None):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.AddressGroup, group_id, 'address_group',
                                 for_update=True)
            base.check_revision(row, if_match)
            for key in ('name', 'description'):
                if key in body:
                    setattr(row, key, body[key] or '')
            base.touch(row)
            s.flush()
            return self.address_group_dict(row)

    def change_addresses(self, ctx, group_id, addresses, add):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.AddressGroup, group_id, 'address_group',
                                 for_update=True)
            given = self._addresses(addresses)
            current = list(row.addresses or [])
            if add:
                clash = [a for a in given if a in current]
                if clash:
                    raise exc.BadRequest('Addresses %s already present in address group '
                                         '%s' % (clash, row.id))
                row.addresses = current + given
            else:
                missing = [a for a in given if a not in current]
                if missing:
                    raise exc.NotFound('Addresses %s not found in the address group '
                                       '%s' % (missing, row.id))
                row.addresses = [a for a in current if a not in given]
            base.touch(row)
            self.request_sync(s, self._address_group_hosts(s, row.id))
            s.flush()
            return self.address_group_dict(row)

    def _address_group_hosts(self, session, group_id):
        groups = list(session.scalars(sa.select(models.SecurityGroupRule.security_group_id)
                                      .where(models.SecurityGroupRule
                                             .remote_address_group_id == group_id)))
        return self.group_hosts(session, groups)

    def delete_address_group(self, ctx, group_id):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.AddressGroup, group_id, 'address_group',
                                 for_update=True)
            if s.scalar(sa.select(models.SecurityGroupRule.id).where(
                    models.SecurityGroupRule.remote_address_group_id == row.id).limit(1)):
                raise exc.AddressGroupInUse(address_group_id=row.id)
            base.delete_tags(s, row.id)
            s.delete(row)


class SecurityGroupDefaultAlreadyExists(exc.Conflict):
    message = 'Default security group already exists.'


class SecurityGroupCannotUpdateDefault(exc.Conflict):
    message = 'Updating default security group not allowed.'


class SecurityGroupCannotRemoveDefault(exc.Conflict):
    message = 'Removing default security group not allowed.'
