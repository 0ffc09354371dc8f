"""Subnet pools (prefixes subnets are cut from) and address scopes."""
import ipaddress

import sqlalchemy as sa

from cloudstack.network import exceptions as exc
from cloudstack.network import models
from cloudstack.network.manager import base

POOL_SORT = {k: k for k in ('id', 'name', 'ip_version', 'default_prefixlen',
                            'min_prefixlen', 'max_prefixlen', 'shared', 'is_default',
                            'default_quota', 'address_scope_id', 'project_id',
                            'created_at', 'updated_at', 'revision_number', 'description')}
POOL_SORT['tenant_id'] = 'project_id'
POOL_COLUMNS = {k: v for k, v in POOL_SORT.items() if k not in ('created_at', 'updated_at')}
SCOPE_SORT = {k: k for k in ('id', 'name', 'ip_version', 'shared', 'project_id',
                             'created_at', 'updated_at', 'revision_number', 'description')}
SCOPE_SORT['tenant_id'] = 'project_id'
SCOPE_COLUMNS = {k: v for k, v in SCOPE_SORT.items() if k not in ('created_at', 'updated_at')}


class SubnetAllocationError(exc.Conflict):
    message = 'Failed to allocate subnet: %(reason)s.'


class SubnetPoolInUse(exc.Conflict):
    message = 'Subnet pool %(subnet_pool_id)s cannot be deleted: subnets use it.'


def _prefixes(prefixes, version=None):
    nets = []
    for item in prefixes or []:
        try:
            net = ipaddress.ip_network(item, strict=False)
        except (TypeError, ValueError):
            raise exc.InvalidInput(error="'%s' is not a valid IP subnet" % (item,))
        nets.append(net)
    if not nets:
        raise exc.InvalidInput(error='A subnet pool needs at least one prefix')
    versions = {n.version for n in nets}
    if len(versions) > 1 or (version is not None and versions != {version}):
        raise exc.InvalidInput(error='Prefixes of a subnet pool are of one IP version')
    return list(ipaddress.collapse_addresses(nets))


def pool_dict(row, tags):
    out = {'id': row.id, 'name': row.name, 'ip_version': row.ip_version,
           'prefixes': list(row.prefixes or []),
           'default_prefixlen': row.default_prefixlen, 'min_prefixlen': row.min_prefixlen,
           'max_prefixlen': row.max_prefixlen, 'shared': row.shared,
           'is_default': row.is_default, 'default_quota': row.default_quota,
           'address_scope_id': row.address_scope_id}
    base.owned(out, row.project_id)
    return base.standard(row, out, tags)


def scope_dict(row, tags):
    out = {'id': row.id, 'name': row.name, 'ip_version': row.ip_version,
           'shared': row.shared}
    base.owned(out, row.project_id)
    return base.standard(row, out, tags)


class SubnetPools:

    # -- subnet pools -------------------------------------------------------

    def pool_clause(self, ctx):
        if base.is_admin(ctx):
            return None
        return sa.or_(models.SubnetPool.project_id == ctx.project_id,
                      models.SubnetPool.shared.is_(True))

    def get_subnetpool(self, ctx, pool_id):
        with self.read() as s:
            row = self.get_owned(s, ctx, models.SubnetPool, pool_id, 'subnetpool',
                                 extra=models.SubnetPool.shared.is_(True))
            return pool_dict(row, base.load_tags(s, [row.id]))

    def list_subnetpools(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            filters = dict(query.filters)
            clauses = base.tag_filters(models.SubnetPool, filters)
            visible = self.pool_clause(ctx)
            if visible is not None:
                clauses.append(visible)
            filters.pop('prefixes', None)
            ints = {k: int for k in ('ip_version', 'default_prefixlen', 'min_prefixlen',
                                     'max_prefixlen', 'default_quota', 'revision_number')}
            ints.update(shared=base.to_bool, is_default=base.to_bool)
            clauses += self.column_filters(models.SubnetPool, filters, POOL_COLUMNS, ints)
            self.unknown_filters(filters)
            rows = self.fetch(s, models.SubnetPool, query, clauses, POOL_SORT, 'subnetpool')
            tags = base.load_tags(s, [r.id for r in rows])
            return [pool_dict(r, tags) for r in rows]

    def _check_lengths(self, row):
        limit = 32 if row.ip_version == 4 else 128
        for key in ('min_prefixlen', 'max_prefixlen', 'default_prefixlen'):
            value = getattr(row, key)
            if not isinstance(value, int) or not 0 <= value <= limit:
                raise exc.InvalidInput(error='Illegal %s %s' % (key, value))
        if not row.min_prefixlen <= row.default_prefixlen <= row.max_prefixlen:
            raise exc.InvalidInput(error='Illegal prefix bounds: min_prefixlen <= '
                                         'default_prefixlen <= max_prefixlen is required')

    def _check_scope(self, session, ctx, row, scope_id):
        if not scope_id:
            return None
        scope = self.get_owned(session, ctx, models.AddressScope, scope_id, 'address_scope',
                               extra=models.AddressScope.shared.is_(True))
        if scope.ip_version != row.ip_version:
            raise exc.BadRequest('Illegal subnetpool association: subnetpool %s cannot be '
                                 'associated with address scope %s: ip_version mismatch'
                                 % (row.id, scope_id))
        if row.shared and not scope.shared:
            raise exc.BadRequest('Illegal subnetpool association: a shared subnet pool '
                                 'cannot be in a private address scope')
        return scope.id

    def _only_default_pool(self, session, row):
        if row.is_default and session.scalar(sa.select(models.SubnetPool.id).where(
                models.SubnetPool.is_default.is_(True),
                models.SubnetPool.ip_version == row.ip_version,
                models.SubnetPool.id != row.id)):
            raise exc.InvalidInput(error='A default subnetpool for this IP family has '
                                         'already been set. Only one default may exist '
                                         'per IP family')

    def create_subnetpool(self, ctx, body):
        base.check_project(ctx, body)
        nets = _prefixes(body.get('prefixes'))
        version = nets[0].version
        with self.write() as s:
            project = base.project_for(ctx, body)
            self.check_quota(s, project, 'subnetpool', 1)
            limit = 32 if version == 4 else 128
            minimum = body.get('min_prefixlen')
            minimum = int(minimum) if minimum is not None else (8 if version == 4 else 64)
            row = models.SubnetPool(
                id=base.new_uuid(), project_id=project, name=body.get('name') or '',
                description=body.get('description') or '', ip_version=version,
                prefixes=[str(n) for n in nets], min_prefixlen=minimum,
                max_prefixlen=int(body['max_prefixlen']) if body.get('max_prefixlen')
                is not None else limit,
                default_prefixlen=int(body['default_prefixlen'])
                if body.get('default_prefixlen') is not None else minimum,
                shared=bool(body.get('shared', False)),
                is_default=bool(body.get('is_default', False)),
                default_quota=body.get('default_quota'))
            self._check_lengths(row)
            row.address_scope_id = self._check_scope(s, ctx, row,
                                                     body.get('address_scope_id'))
            self._only_default_pool(s, row)
            s.add(row)
            s.flush()
            return pool_dict(row, {})

    def update_subnetpool(self, ctx, pool_id, body, if_match=None):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.SubnetPool, pool_id, 'subnetpool',
                                 for_update=True)
            base.check_revision(row, if_match)
            for key in ('name', 'description'):
                if key in body:
                    setattr(row, key, body[key] or '')
            for key in ('min_prefixlen', 'max_prefixlen', 'default_prefixlen'):
                if body.get(key) is not None:
                    setattr(row, key, int(body[key]))
            if 'default_quota' in body:
                row.default_quota = body['default_quota']
            if 'is_default' in body:
                row.is_default = bool(body['is_default'])
                self._only_default_pool(s, row)
            if 'prefixes' in body:
                old = [ipaddress.ip_network(p) for p in row.prefixes]
                new = _prefixes(body['prefixes'], row.ip_version)
                for prefix in old:
                    if not any(prefix.subnet_of(n) for n in new):
                        raise exc.BadRequest('Illegal update to prefixes: existing prefixes '
                                             'may only grow')
                row.prefixes = [str(n) for n in new]
            if 'address_scope_id' in body:
                row.address_scope_id = self._check_scope(s, ctx, row,
                                                         body['address_scope_id'])
            self._check_lengths(row)
            base.touch(row)
            s.flush()
            return pool_dict(row, base.load_tags(s, [row.id]))

    def change_prefixes(self, ctx, pool_id, prefixes, add):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.SubnetPool, pool_id, 'subnetpool',
                                 for_update=True)
            given = _prefixes(prefixes, row.ip_version)
            current = [ipaddress.ip_network(p) for p in row.prefixes]
            if add:
                nets = list(ipaddress.collapse_addresses(current + given))
            else:
                nets = []
                for prefix in current:
                    parts = [prefix]
                    for gone in given:
                        split = []
                        for part in parts:
                            if gone.overlaps(part):
                                if part.subnet_of(gone):
                                    continue
                                split.extend(part.address_exclude(gone))
                            else:
                                split.append(part)
                        parts = split
                    nets.extend(parts)
                for cidr in s.scalars(sa.select(models.Subnet.cidr).where(
                        models.Subnet.subnetpool_id == row.id)):
                    net = ipaddress.ip_network(cidr)
                    if not any(net.subnet_of(n) for n in nets):
                        raise exc.BadRequest('Illegal update to prefixes: %s is in use' % net)
                nets = list(ipaddress.collapse_addresses(nets))
            if not nets:
                raise exc.BadRequest('Illegal update to prefixes: a pool keeps a prefix')
            row.prefixes = [str(n) for n in nets]
            base.touch(row)
            return list(row.prefixes)

    def delete_subnetpool(self, ctx, pool_id):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.SubnetPool, pool_id, 'subnetpool',
                                 for_update=True)
            if s.scalar(sa.select(models.Subnet.id).where(
                    models.Subnet.subnetpool_id == row.id).limit(1)):
                raise SubnetPoolInUse(subnet_pool_id=row.id)
            base.delete_tags(s, row.id)
            s.delete(row)

    # -- subnets from pools -------------------------------------------------

    def _subnet_pool(self, session, ctx, body, version):
        """The pool a new subnet comes from, locked, or None."""
        pool_id = body.get('subnetpool_id')
        if not pool_id and body.get('use_default_subnetpool'):
            pool_id = session.scalar(sa.select(models.SubnetPool.id).where(
                models.SubnetPool.is_default.is_(True),
                models.SubnetPool.ip_version == version))
            if pool_id is None:
                raise exc.BadRequest('No default subnetpool found for IPv%s' % version)
        if not pool_id:
            return None
        pool = self.get_owned(session, ctx, models.SubnetPool, pool_id, 'subnetpool',
                              for_update=True, extra=models.SubnetPool.shared.is_(True))
        if pool.ip_version != version:
            raise exc.BadRequest('Cannot allocate IPv%s subnet from IPv%s subnet pool' % (
                version, pool.ip_version))
        return pool

    def _pool_subnets(self, session, pool):
        return [ipaddress.ip_network(c) for c in session.scalars(
            sa.select(models.Subnet.cidr).where(models.Subnet.subnetpool_id == pool.id))]

    def check_in_pool(self, session, pool, net):
        if not any(net.subnet_of(ipaddress.ip_network(p)) for p in pool.prefixes):
            raise SubnetAllocationError(reason='Cidr %s not within the prefixes of subnet '
                                               'pool %s' % (net, pool.id))
        if not pool.min_prefixlen <= net.prefixlen <= pool.max_prefixlen:
            raise exc.BadRequest('Unsupported prefix length %s: the pool allows %s to %s' % (
                net.prefixlen, pool.min_prefixlen, pool.max_prefixlen))
        for used in self._pool_subnets(session, pool):
            if used.overlaps(net):
                raise SubnetAllocationError(reason='Cidr %s overlaps with subnet %s of '
                                                   'the pool' % (net, used))

    def allocate_prefix(self, session, pool, prefixlen):
        """The first free prefix of the wanted length in the (locked) pool."""
        length = int(prefixlen) if prefixlen is not None else pool.default_prefixlen
        if not pool.min_prefixlen <= length <= pool.max_prefixlen:
            raise exc.BadRequest('Unsupported prefix length %s: the pool allows %s to %s' % (
                length, pool.min_prefixlen, pool.max_prefixlen))
        used = self._pool_subnets(session, pool)
        for prefix in map(ipaddress.ip_network, pool.prefixes):
            if prefix.prefixlen > length:
                continue
            for candidate in prefix.subnets(new_prefix=length):
                if not any(candidate.overlaps(u) for u in used):
                    return candidate
        raise SubnetAllocationError(reason='Insufficient prefix space to allocate subnet '
                                           'size /%s' % length)

    # -- address scopes -----------------------------------------------------

    def get_address_scope(self, ctx, scope_id):
        with self.read() as s:
            row = self.get_owned(s, ctx, models.AddressScope, scope_id, 'address_scope',
                                 extra=models.AddressScope.shared.is_(True))
            return scope_dict(row, base.load_tags(s, [row.id]))

    def list_address_scopes(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            filters = dict(query.filters)
            clauses = base.tag_filters(models.AddressScope, filters)
            if not base.is_admin(ctx):
                clauses.append(sa.or_(models.AddressScope.project_id == ctx.project_id,
                                      models.AddressScope.shared.is_(True)))
            clauses += self.column_filters(models.AddressScope, filters, SCOPE_COLUMNS,
                                           {'ip_version': int, 'shared': base.to_bool,
                                            'revision_number': int})
            self.unknown_filters(filters)
            rows = self.fetch(s, models.AddressScope, query, clauses, SCOPE_SORT,
                              'address_scope')
            tags = base.load_tags(s, [r.id for r in rows])
            return [scope_dict(r, tags) for r in rows]

    def create_address_scope(self, ctx, body):
        base.check_project(ctx, body)
        if body.get('ip_version') not in (4, 6):
            raise exc.InvalidInput(error='ip_version must be 4 or 6')
        with self.write() as s:
            row = models.AddressScope(id=base.new_uuid(),
                                      project_id=base.project_for(ctx, body),
                                      name=body.get('name') or '',
                                      description=body.get('description') or '',
                                      ip_version=body['ip_version'],
                                      shared=bool(body.get('shared', False)))
            s.add(row)
            s.flush()
            return scope_dict(row, {})

    def update_address_scope(self, ctx, scope_id, body, if_match=None):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.AddressScope, scope_id, 'address_scope',
                                 for_update=True)
            base.check_revision(row, if_match)
            for key in ('name', 'description'):
                if key in body:
                    setattr(row, key, body[key] or '')
            if 'shared' in body:
                if row.shared and not body['shared']:
                    raise exc.BadRequest('Unable to unshare address scope %s' % row.id)
                row.shared = bool(body['shared'])
            base.touch(row)
            s.flush()
            return scope_dict(row, base.load_tags(s, [row.id]))

    def delete_address_scope(self, ctx, scope_id):
        with self.write() as s:
            row = self.get_owned(s, ctx, models.AddressScope, scope_id, 'address_scope',
                                 for_update=True)
            if s.scalar(sa.select(models.SubnetPool.id).where(
                    models.SubnetPool.address_scope_id == row.id).limit(1)):
                raise exc.Conflict('Unable to complete operation on address scope %s. '
                                   'There are one or more subnet pools in use on the '
                                   'address scope' % row.id)
            base.delete_tags(s, row.id)
            s.delete(row)
