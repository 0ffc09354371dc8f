"""RBAC policies (a network shared with projects or offered to them as
external), quotas, tags and IP availability."""
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from cloudstack.conf import CONF
from cloudstack.network import exceptions as exc
from cloudstack.network import ipam
from cloudstack.network import models
from cloudstack.network.manager import base

RBAC_OBJECT_TYPES = ('network',)
RBAC_ACTIONS = ('access_as_shared', 'access_as_external')
RBAC_SORT = {'id': 'id', 'object_type': 'object_type', 'object_id': 'object_id',
             'action': 'action', 'target_tenant': 'target_project',
             'target_project': 'target_project', 'project_id': 'project_id',
             'tenant_id': 'project_id'}
QUOTA_RESOURCES = {
    'network': models.Network, 'subnet': models.Subnet, 'subnetpool': models.SubnetPool,
    'port': models.Port, 'router': models.Router, 'floatingip': models.FloatingIP,
    'security_group': models.SecurityGroup,
    'security_group_rule': models.SecurityGroupRule, 'rbac_policy': models.RBACPolicy,
}
# Quotas a project is held to that the API does not list.
UNLISTED_QUOTAS = {'address_group': models.AddressGroup}
# Collection name in the URL -> (model, singular name)
TAGGABLE = {
    'networks': (models.Network, 'network'), 'subnets': (models.Subnet, 'subnet'),
    'ports': (models.Port, 'port'), 'routers': (models.Router, 'router'),
    'floatingips': (models.FloatingIP, 'floatingip'),
    'security-groups': (models.SecurityGroup, 'security_group'),
    'security_groups': (models.SecurityGroup, 'security_group'),
    'subnetpools': (models.SubnetPool, 'subnetpool'),
    'address-scopes': (models.AddressScope, 'address_scope'),
    'address_scopes': (models.AddressScope, 'address_scope'),
}
MAX_TAG_LENGTH = 255
MAX_TAGS = 50


class DuplicateRbacPolicy(exc.Conflict):
    message = 'An RBAC policy already exists with those values.'


class RbacPolicyInUse(exc.Conflict):
    message = 'RBAC policy on object %(object_id)s cannot be removed because other ' \
              'objects depend on it.\nDetails: %(details)s'


def rbac_dict(row):
    out = {'id': row.id, 'object_type': row.object_type, 'object_id': row.object_id,
           'action': row.action, 'target_tenant': row.target_project,
           'target_project': row.target_project}
    return base.owned(out, row.project_id)


def check_tag(tag):
    if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_LENGTH or ',' in tag:
        raise exc.BadRequest("Invalid tag %r: a tag is 1 to %d characters, no ','" % (
            tag, MAX_TAG_LENGTH))
    return tag


class Sharing:

    # -- RBAC -------------------------------------------------------------

    @staticmethod
    def add_rbac(session, project_id, object_type, object_id, action, target):
        row = models.RBACPolicy(id=base.new_uuid(), project_id=project_id,
                                object_type=object_type, object_id=object_id,
                                action=action, target_project=target)
        try:
            with session.begin_nested():
                session.add(row)
        except sa_exc.IntegrityError:
            raise DuplicateRbacPolicy()
        return row

    def _rbac_row(self, session, ctx, policy_id, for_update=False):
        return self.get_owned(session, ctx, models.RBACPolicy, policy_id, 'rbac_policy',
                              for_update=for_update)

    def get_rbac_policy(self, ctx, policy_id):
        with self.read() as s:
            return rbac_dict(self._rbac_row(s, ctx, policy_id))

    def list_rbac_policies(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            filters = dict(query.filters)
            clauses = []
            if not base.is_admin(ctx):
                clauses.append(models.RBACPolicy.project_id == ctx.project_id)
            clauses += self.column_filters(models.RBACPolicy, filters, RBAC_SORT)
            self.unknown_filters(filters)
            rows = self.fetch(s, models.RBACPolicy, query, clauses, RBAC_SORT,
                              'rbac_policy')
            return [rbac_dict(r) for r in rows]

    def create_rbac_policy(self, ctx, body):
        base.check_project(ctx, body)
        object_type, action = body.get('object_type'), body.get('action')
        if object_type not in RBAC_OBJECT_TYPES:
            raise exc.InvalidInput(error="'%s' is not in %s" % (object_type,
                                                                list(RBAC_OBJECT_TYPES)))
        if action not in RBAC_ACTIONS:
            raise exc.InvalidInput(error="'%s' is not in %s" % (action, list(RBAC_ACTIONS)))
        target = body.get('target_project') or body.get('target_tenant')
        if not target:
            raise exc.InvalidInput(error='target_tenant or target_project is required')
        with self.write() as s:
            project = base.project_for(ctx, body)
            self.check_quota(s, project, 'rbac_policy', 1)
            network = s.get(models.Network, body.get('object_id'))
            if network is None or (not base.is_admin(ctx) and
                                   network.project_id != ctx.project_id):
                raise exc.not_found('network', body.get('object_id'))
            row = self.add_rbac(s, project, object_type, network.id, action, target)
            if action == 'access_as_external' and not network.external:
                network.external = True
                base.touch(network)
            s.flush()
            return rbac_dict(row)

    def update_rbac_policy(self, ctx, policy_id, body):
        with self.write() as s:
            row = self._rbac_row(s, ctx, policy_id, for_update=True)
            target = body.get('target_project') or body.get('target_tenant')
            if target and target != row.target_project:
                self._check_rbac_unused(s, row)
                row.target_project = target
                try:
                    with s.begin_nested():
                        s.flush()
                except sa_exc.IntegrityError:
                    raise DuplicateRbacPolicy()
            return rbac_dict(row)

    def delete_rbac_policy(self, ctx, policy_id):
        with self.write() as s:
            row = self._rbac_row(s, ctx, policy_id, for_update=True)
            self._check_rbac_unused(s, row)
            s.delete(row)
            if row.action == 'access_as_external':
                s.flush()
                network = s.get(models.Network, row.object_id)
                if network is not None and not s.scalar(
                        sa.select(models.RBACPolicy.id).where(
                            models.RBACPolicy.object_id == network.id,
                            models.RBACPolicy.action == 'access_as_external').limit(1)):
                    network.external = False
                    base.touch(network)

    def _check_rbac_unused(self, session, row):
        network = session.get(models.Network, row.object_id)
        if network is None:
            return
        if row.action == 'access_as_shared':
            used = self._foreign_users(session, network, 'access_as_shared', row,
                                       [models.Port, models.Subnet])
        else:
            used = self._foreign_users(session, network, 'access_as_external', row,
                                       [models.FloatingIP])
        if used:
            raise RbacPolicyInUse(object_id=network.id,
                                  details='projects %s use it' % ', '.join(sorted(used)))

    def _foreign_users(self, session, network, action, leaving, resources):
        """Projects other than the owner that use the network and would lose
        their access without `leaving`."""
        remaining = set(session.scalars(sa.select(models.RBACPolicy.target_project).where(
            models.RBACPolicy.object_id == network.id, models.RBACPolicy.action == action,
            models.RBACPolicy.id != leaving.id)))
        if '*' in remaining:
            return set()
        users = set()
        for model in resources:
            column = model.floating_network_id if model is models.FloatingIP \
                else model.network_id
            users |= set(session.scalars(sa.select(model.project_id).distinct().where(
                column == network.id, model.project_id != network.project_id,
                model.project_id != '')))
        if leaving.target_project != '*':
            users &= {leaving.target_project}
        return users - remaining

    def check_unshare(self, session, network, wildcard):
        self._check_rbac_unused(session, wildcard)

    # -- quotas -----------------------------------------------------------

    @staticmethod
    def quota_defaults():
        resources = list(QUOTA_RESOURCES) + list(UNLISTED_QUOTAS)
        return {r: getattr(CONF.network_quotas, 'quota_%s' % r) for r in resources}

    def quota_limits(self, session, project_id):
        limits = self.quota_defaults()
        for row in session.scalars(sa.select(models.Quota).where(
                models.Quota.project_id == project_id)):
            limits[row.resource] = row.limit
        return limits

    @staticmethod
    def quota_usage(session, project_id, resource):
        model = QUOTA_RESOURCES.get(resource) or UNLISTED_QUOTAS[resource]
        return session.scalar(sa.select(sa.func.count()).select_from(model).where(
            model.project_id == project_id))

    def check_quota(self, session, project_id, resource, count):
        limit = session.scalar(sa.select(models.Quota.limit).where(
            models.Quota.project_id == project_id, models.Quota.resource == resource))
        if limit is None:
            limit = getattr(CONF.network_quotas, 'quota_%s' % resource)
        if limit < 0:
            return
        if self.quota_usage(session, project_id, resource) + count > limit:
            raise exc.OverQuota(overs=resource)

    @staticmethod
    def _listed(limits):
        return {k: v for k, v in limits.items() if k in QUOTA_RESOURCES}

    def get_quota(self, ctx, project_id):
        with self.read() as s:
            return self._listed(self.quota_limits(s, project_id))

    def get_quota_defaults(self, ctx, project_id):
        return self._listed(self.quota_defaults())

    def get_quota_details(self, ctx, project_id):
        with self.read() as s:
            limits = self._listed(self.quota_limits(s, project_id))
            return {r: {'limit': limit, 'used': self.quota_usage(s, project_id, r),
                        'reserved': 0} for r, limit in limits.items()}

    def list_quotas(self, ctx):
        with self.read() as s:
            projects = sorted(set(s.scalars(sa.select(models.Quota.project_id))))
            out = []
            for project in projects:
                item = self._listed(self.quota_limits(s, project))
                out.append(base.owned(item, project))
            return out

    def update_quota(self, ctx, project_id, body):
        for resource, limit in body.items():
            if resource not in QUOTA_RESOURCES and resource not in UNLISTED_QUOTAS:
                raise exc.BadRequest('Unrecognized attribute(s) \'%s\'' % resource)
            if isinstance(limit, bool) or not isinstance(limit, int) and not (
                    isinstance(limit, str) and limit.lstrip('-').isdigit()):
                raise exc.InvalidInput(error="'%s' is not an integer" % (limit,))
            if int(limit) < -1:
                raise exc.InvalidInput(error="'%s' should be >= -1" % (limit,))
        with self.write() as s:
            for resource, limit in body.items():
                row = s.get(models.Quota, (project_id, resource))
                if row is None:
                    s.add(models.Quota(project_id=project_id, resource=resource,
                                       limit=int(limit)))
                else:
                    row.limit = int(limit)
            s.flush()
            return self._listed(self.quota_limits(s, project_id))

    def delete_quota(self, ctx, project_id):
        with self.write() as s:
            s.execute(sa.delete(models.Quota).where(models.Quota.project_id == project_id))

    # -- tags -------------------------------------------------------------

    def _tagged(self, ctx, collection, resource_id):
        """The visible resource's row in a write transaction, or 404."""
        if collection not in TAGGABLE:
            raise exc.NotFound('The resource could not be found.')
        _model, kind = TAGGABLE[collection]
        getattr(self, 'get_%s' % kind)(ctx, resource_id)     # 404 unless visible
        return TAGGABLE[collection]

    def _touch_tagged(self, session, model, resource_id):
        row = session.get(model, resource_id, with_for_update=True)
        if row is not None:
            base.touch(row)

    def get_tags(self, ctx, collection, resource_id):
        self._tagged(ctx, collection, resource_id)
        with self.read() as s:
            return sorted(base.load_tags(s, [resource_id]).get(resource_id, []))

    def has_tag(self, ctx, collection, resource_id, tag):
        if tag not in self.get_tags(ctx, collection, resource_id):
            raise exc.NotFound('Tag %s could not be found for %s %s.' % (
                tag, collection, resource_id))

    def add_tag(self, ctx, collection, resource_id, tag):
        model, kind = self._tagged(ctx, collection, resource_id)
        check_tag(tag)
        with self.write() as s:
            if s.get(models.Tag, (resource_id, tag)) is not None:
                return
            if len(base.load_tags(s, [resource_id]).get(resource_id, [])) >= MAX_TAGS:
                raise exc.BadRequest('Too many tags: at most %d' % MAX_TAGS)
            try:
                with s.begin_nested():
                    s.add(models.Tag(resource_id=resource_id, tag=tag, resource_type=kind))
            except sa_exc.IntegrityError:
                return
            self._touch_tagged(s, model, resource_id)

    def replace_tags(self, ctx, collection, resource_id, tags):
        model, kind = self._tagged(ctx, collection, resource_id)
        tags = sorted({check_tag(t) for t in tags})
        if len(tags) > MAX_TAGS:
            raise exc.BadRequest('Too many tags: at most %d' % MAX_TAGS)
        with self.write() as s:
            base.delete_tags(s, resource_id)
            for tag in tags:
                s.add(models.Tag(resource_id=resource_id, tag=tag, resource_type=kind))
            self._touch_tagged(s, model, resource_id)
        return tags

    def delete_tag(self, ctx, collection, resource_id, tag):
        model, _kind = self._tagged(ctx, collection, resource_id)
        with self.write() as s:
            deleted = s.execute(sa.delete(models.Tag).where(
                models.Tag.resource_id == resource_id, models.Tag.tag == tag)).rowcount
            if not deleted:
                raise exc.NotFound('Tag %s could not be found for %s %s.' % (
                    tag, collection, resource_id))
            self._touch_tagged(s, model, resource_id)

    def delete_tags(self, ctx, collection, resource_id):
        model, _kind = self._tagged(ctx, collection, resource_id)
        with self.write() as s:
            base.delete_tags(s, resource_id)
            self._touch_tagged(s, model, resource_id)

    # -- IP availability ----------------------------------------------------

    def list_network_ip_availabilities(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        filters = dict(query.filters)
        with self.read() as s:
            stmt = sa.select(models.Network).order_by(models.Network.id)
            clause = self.network_clause(ctx)
            if clause is not None:
                stmt = stmt.where(clause)
            for key, column in (('network_id', models.Network.id),
                                ('network_name', models.Network.name),
                                ('project_id', models.Network.project_id),
                                ('tenant_id', models.Network.project_id)):
                if key in filters:
                    stmt = stmt.where(column.in_(filters.pop(key)))
            versions = {int(v) for v in filters.pop('ip_version', [])}
            self.unknown_filters(filters)
            networks = list(s.scalars(stmt))
            used = base.pairs(s, (sa.select(models.IPAllocation.subnet_id, sa.func.count())
                                  .group_by(models.IPAllocation.subnet_id)))
            subnets = {}
            for subnet in s.scalars(sa.select(models.Subnet).where(
                    models.Subnet.network_id.in_([n.id for n in networks] or ['']))
                    .order_by(models.Subnet.created_at)):
                if versions and subnet.ip_version not in versions:
                    continue
                subnets.setdefault(subnet.network_id, []).append({
                    'subnet_id': subnet.id, 'subnet_name': subnet.name,
                    'cidr': subnet.cidr, 'ip_version': subnet.ip_version,
                    'total_ips': ipam.pool_size(subnet.allocation_pools or []),
                    'used_ips': used.get(subnet.id, 0)})
            out = []
            for network in networks:
                if versions and network.id not in subnets:
                    continue
                items = subnets.get(network.id, [])
                out.append(base.owned({
                    'network_id': network.id, 'network_name': network.name,
                    'subnet_ip_availability': items,
                    'total_ips': sum(i['total_ips'] for i in items),
                    'used_ips': sum(i['used_ips'] for i in items)}, network.project_id))
            return out

    def get_network_ip_availability(self, ctx, network_id):
        found = self.list_network_ip_availabilities(ctx, network_id=network_id)
        if not found:
            raise exc.not_found('network', network_id)
        return found[0]
