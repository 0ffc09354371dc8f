"""Quotas: limits (per project, per user, per class, defaults from config) and
usage counted from the rows themselves, under a per-project lock so that
concurrent requests cannot both take the last of a limit."""
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.compute import models
from cloudstack.compute.manager.base import QuotaExceeded

RESOURCES = ('instances', 'cores', 'ram', 'metadata_items', 'injected_files',
             'injected_file_content_bytes', 'injected_file_path_bytes', 'key_pairs',
             'server_groups', 'server_group_members')
# Nova's network quotas, shown before 2.36 with these fixed values.
LEGACY_NETWORK = {'floating_ips': 10, 'fixed_ips': -1, 'security_groups': 10,
                  'security_group_rules': 20}
PER_USER = ('instances', 'cores', 'ram', 'key_pairs')
_CONF_NAME = {'injected_file_path_bytes': 'injected_file_path_length'}


def default_limit(resource):
    return getattr(CONF.quota, _CONF_NAME.get(resource, resource))


class Quotas:

    def lock_project(self, session, project_id):
        """Hold the project's quota lock until `session` ends."""
        if db_api.is_sqlite():
            return      # writer() already holds the database's one write lock
        stmt = postgresql.insert(models.ProjectLock).values(
            project_id=project_id).on_conflict_do_nothing()
        session.execute(stmt)
        session.execute(sa.select(models.ProjectLock).where(
            models.ProjectLock.project_id == project_id).with_for_update())

    # Limits ------------------------------------------------------------------

    def class_limits(self, session, class_name='default'):
        limits = {r: default_limit(r) for r in RESOURCES}
        limits.update(LEGACY_NETWORK)
        for row in session.scalars(sa.select(models.QuotaClass).where(
                models.QuotaClass.class_name == class_name)):
            if row.resource in limits:
                limits[row.resource] = row.hard_limit
        return limits

    def project_limits(self, session, project_id, user_id=None):
        return self._limits(session, project_id, user_id)[1 if user_id else 0]

    def _limits(self, session, project_id, user_id=None):
        """(the project's limits, those with `user_id`'s own on top), in two queries."""
        limits = self.class_limits(session)
        QL = models.QuotaLimit
        own = {}
        for uid, resource, hard_limit in session.execute(sa.select(
                QL.user_id, QL.resource, QL.hard_limit).where(
                QL.project_id == project_id,
                QL.user_id.in_(['', user_id] if user_id else ['']))):
            (own if uid else limits)[resource] = hard_limit
        return limits, dict(limits, **own)

    # Usage -------------------------------------------------------------------

    def usage(self, session, project_id, user_id=None, resources=None):
        """What the project (or user) uses: of every resource, or of
        `resources` and perhaps more."""
        I = models.Instance
        stmt = sa.select(sa.func.count(I.id), sa.func.coalesce(sa.func.sum(I.vcpus), 0),
                         sa.func.coalesce(sa.func.sum(I.memory_mb), 0)).where(
            I.project_id == project_id, I.deleted.is_(False))
        if user_id:
            stmt = stmt.where(I.user_id == user_id)
        count, cores, ram = session.execute(stmt).one()
        used = {'instances': int(count), 'cores': int(cores), 'ram': int(ram)}
        if resources is not None and not {'server_groups', 'key_pairs'} & set(resources):
            return used
        used['server_groups'] = int(session.scalar(sa.select(sa.func.count(
            models.ServerGroup.id)).where(models.ServerGroup.project_id == project_id)))
        if user_id:
            used['key_pairs'] = int(session.scalar(sa.select(sa.func.count(
                models.KeyPair.id)).where(models.KeyPair.user_id == user_id)))
        else:
            used['key_pairs'] = 0
        for r in RESOURCES:
            used.setdefault(r, 0)
        return used

    def check_quota(self, session, project_id, user_id, deltas):
        """Raise QuotaExceeded unless `deltas` ({resource: n}) fit, for the
        project and, where a user has limits of their own, the user. The
        caller holds the project's lock (lock_project)."""
        limits, user_limits = self._limits(session, project_id, user_id)
        used = self.usage(session, project_id, resources=deltas)
        self._over(deltas, limits, used)
        if user_limits != limits:
            self._over({k: v for k, v in deltas.items() if k in PER_USER},
                       user_limits, self.usage(session, project_id, user_id, deltas))

    @staticmethod
    def _over(deltas, limits, used):
        over = [r for r, n in deltas.items()
                if n > 0 and limits.get(r, -1) >= 0 and used.get(r, 0) + n > limits[r]]
        if over:
            raise QuotaExceeded(
                resources=', '.join(over),
                req=', '.join(str(deltas[r]) for r in over),
                used=', '.join(str(used.get(r, 0)) for r in over),
                allowed=', '.join(str(limits[r]) for r in over))

    def check_simple_limit(self, session, project_id, resource, count, message=None):
        """For per-request limits (metadata items, personality files)."""
        if count <= 0:
            return      # within any limit
        limit = self.project_limits(session, project_id)[resource]
        if 0 <= limit < count:
            raise exception.Forbidden(message or 'Quota exceeded for %s: %d of %d allowed'
                                      % (resource, count, limit))

    # The API's view ------------------------------------------------------------

    def get_quota_set(self, ctx, project_id, user_id=None, defaults=False):
        with self.read() as s:
            if defaults:
                return self.class_limits(s), None
            return self.project_limits(s, project_id, user_id), \
                self.usage(s, project_id, user_id)

    def update_quota_set(self, ctx, project_id, values, user_id=None, force=False):
        with self.write() as s:
            self.lock_project(s, project_id)
            if not force:
                used = self.usage(s, project_id, user_id)
                for resource, limit in values.items():
                    if limit >= 0 and used.get(resource, 0) > limit:
                        raise exception.BadRequest(
                            'Quota limit %d for %s must be greater than or equal to '
                            'already used and reserved %d.' % (
                                limit, resource, used[resource]))
            for resource, limit in values.items():
                row = s.get(models.QuotaLimit, (project_id, user_id or '', resource))
                if row is None:
                    s.add(models.QuotaLimit(project_id=project_id, user_id=user_id or '',
                                            resource=resource, hard_limit=limit))
                else:
                    row.hard_limit = limit
            s.flush()
            return self.project_limits(s, project_id, user_id)

    def delete_quota_set(self, ctx, project_id, user_id=None):
        with self.write() as s:
            stmt = sa.delete(models.QuotaLimit).where(
                models.QuotaLimit.project_id == project_id)
            if user_id:
                stmt = stmt.where(models.QuotaLimit.user_id == user_id)
            s.execute(stmt)

    def get_quota_class(self, ctx, class_name):
        with self.read() as s:
            return self.class_limits(s, class_name)

    def update_quota_class(self, ctx, class_name, values):
        with self.write() as s:
            for resource, limit in values.items():
                row = s.get(models.QuotaClass, (class_name, resource))
                if row is None:
                    s.add(models.QuotaClass(class_name=class_name, resource=resource,
                                            hard_limit=limit))
                else:
                    row.hard_limit = limit
            s.flush()
            return self.class_limits(s, class_name)
