"""Quotas, quota classes, usage and limits.

A project's limit of a resource is its own (os-quota-sets), else the
'default' quota class's, else the configured default. Usage lives in
volume_quota_usages and changes in the same transaction as the rows it
counts: the usage rows are locked (SELECT ... FOR UPDATE, always in the same
order), checked against their limits and grown, so concurrent requests can
never together pass a limit: the row locks order them and the second one
reads the first one's result.
"""
import functools

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.volume import models
from cloudstack.volume.manager.base import OverQuota, reader

RESOURCES = ('volumes', 'snapshots', 'gigabytes', 'backups', 'backup_gigabytes',
             'groups', 'per_volume_gigabytes')
# Also limited per volume type, as <resource>_<type name>.
TYPE_RESOURCES = ('volumes', 'snapshots', 'gigabytes')
# Limits without a usage of their own.
NOT_COUNTED = ('per_volume_gigabytes',)
DEFAULT_CLASS = 'default'

_USAGE = models.QuotaUsage.__table__


def config_default(resource):
    return {
        'volumes': CONF.volume.quota_volumes,
        'snapshots': CONF.volume.quota_snapshots,
        'gigabytes': CONF.volume.quota_gigabytes,
        'backups': CONF.volume.quota_backups,
        'backup_gigabytes': CONF.volume.quota_backup_gigabytes,
        'groups': CONF.volume.quota_groups,
        'per_volume_gigabytes': CONF.volume.per_volume_size_limit,
    }.get(resource, -1)


def usage_deltas(size=0, volumes=0, snapshots=0, type_name=None):
    """The usage a volume or snapshot of `size` GiB changes, in and per type."""
    deltas = {}
    if volumes:
        deltas['volumes'] = volumes
    if snapshots:
        deltas['snapshots'] = snapshots
    if size:
        deltas['gigabytes'] = size
    if type_name:
        for key, value in list(deltas.items()):
            deltas['%s_%s' % (key, type_name)] = value
    return deltas


def _insert_missing(session, project_id, resources):
    """Create usage rows at 0 where none exist (racing inserts are fine)."""
    rows = [{'project_id': project_id, 'resource': r, 'in_use': 0} for r in resources]
    dialect = session.get_bind().dialect.name
    if dialect == 'postgresql':
        stmt = postgresql.insert(_USAGE).on_conflict_do_nothing()
    elif dialect == 'sqlite':
        stmt = sqlite.insert(_USAGE).on_conflict_do_nothing()
    else:
        stmt = _USAGE.insert().prefix_with('IGNORE')
    session.execute(stmt, rows)


@functools.cache
def _limits_query():
    """(resource, limit, 1 if the project's own) of bind parameters
    `project_id` and `resources` (built once: every create runs it)."""
    Q, C = models.Quota, models.QuotaClass
    resources = sa.bindparam('resources', expanding=True)
    return sa.union_all(
        sa.select(C.resource, C.hard_limit, sa.literal(0)).where(
            C.class_name == DEFAULT_CLASS, C.resource.in_(resources)),
        sa.select(Q.resource, Q.hard_limit, sa.literal(1)).where(
            Q.project_id == sa.bindparam('project_id'), Q.resource.in_(resources)))


@functools.cache
def _lock_usage_query():
    c = _USAGE.c
    return (sa.select(c.resource, c.in_use).where(
        c.project_id == sa.bindparam('project_id'),
        c.resource.in_(sa.bindparam('names', expanding=True)))
        .order_by(c.resource).with_for_update())


class Quotas:

    # --- limits --------------------------------------------------------------
    @staticmethod
    def _resource_names(session):
        names = list(RESOURCES)
        for type_name in session.scalars(sa.select(models.VolumeType.name)
                                         .order_by(models.VolumeType.name)):
            names += ['%s_%s' % (r, type_name) for r in TYPE_RESOURCES]
        return names

    def _class_limits(self, session, class_name=DEFAULT_CLASS):
        limits = {name: config_default(name) for name in self._resource_names(session)}
        limits.update(session.execute(
            sa.select(models.QuotaClass.resource, models.QuotaClass.hard_limit)
            .where(models.QuotaClass.class_name == class_name)).all())
        return limits

    def _limits(self, session, project_id):
        limits = self._class_limits(session)
        limits.update(session.execute(
            sa.select(models.Quota.resource, models.Quota.hard_limit)
            .where(models.Quota.project_id == project_id)).all())
        return limits

    def _usage(self, session, project_id):
        return dict(session.execute(
            sa.select(models.QuotaUsage.resource, models.QuotaUsage.in_use)
            .where(models.QuotaUsage.project_id == project_id)).all())

    # --- reserving -------------------------------------------------------------
    @staticmethod
    def _limits_of(session, project_id, resources):
        """{resource: limit} of just `resources`: the project's, else the
        default class's, else the configured default (one query)."""
        found = {}
        for resource, limit, own in session.execute(_limits_query(), {
                'project_id': project_id, 'resources': list(resources)}):
            if own or resource not in found:
                found[resource] = limit
        return {r: found.get(r, config_default(r)) for r in resources}

    def _reserve(self, session, project_id, deltas, volume_size=None):
        """Add `deltas` to the project's usage, or OverQuota (413) and no change:
        every row grows within its limit, or none does. With `volume_size`,
        the per-volume limit is checked too."""
        positive = {r: d for r, d in deltas.items() if d > 0 and r not in NOT_COUNTED}
        if volume_size is not None:
            limits = self._limits_of(session, project_id,
                                     sorted(positive) + ['per_volume_gigabytes'])
            limit = limits['per_volume_gigabytes']
            if limit >= 0 and volume_size > limit:
                raise OverQuota('Requested volume size %dG is larger than maximum '
                                'allowed limit %dG.' % (volume_size, limit))
        elif positive:
            limits = self._limits_of(session, project_id, sorted(positive))
        if positive:
            names = sorted(positive)
            for attempt in (1, 2):
                short = self._grow(session, project_id, positive, limits)
                if not short:
                    break
                missing = [r for r in names if r not in short]
                if missing and attempt == 1:
                    _insert_missing(session, project_id, missing)   # first use
                    continue
                over = [r for r in names if 0 <= limits[r] < short.get(r, 0) + positive[r]]
                r = (over or names)[0]
                raise self._over(r, positive[r], limits[r], short.get(r, 0))
        negative = {r: d for r, d in deltas.items() if d < 0 and r not in NOT_COUNTED}
        if negative:
            self._release(session, project_id, {r: -d for r, d in negative.items()})

    @staticmethod
    def _grow(session, project_id, positive, limits):
        """Grow every row of `positive` within its limit, or none: {} when
        done, else {resource: in use} of the rows there are. The rows are
        locked first, in one order by everyone (no deadlock between two
        requests growing the same rows), so what they hold is current and
        stays so until the commit."""
        c = _USAGE.c
        names = sorted(positive)
        used = dict(session.execute(_lock_usage_query(), {
            'project_id': project_id, 'names': names}).all())
        if len(used) < len(names) or any(
                0 <= limits[r] < used[r] + positive[r] for r in names):
            return used or {'': 0}
        session.execute(sa.update(_USAGE).where(
            c.project_id == project_id, c.resource.in_(names)
        ).values(in_use=c.in_use + sa.case(positive, value=c.resource)))
        return {}

    @staticmethod
    def _over(resource, delta, limit, used):
        base = resource.split('_', 1)[0] if resource not in RESOURCES else resource
        if base in ('gigabytes', 'backup'):
            what = 'backup_gigabytes' if resource.startswith('backup_') else resource
            return OverQuota(
                'Requested volume or snapshot exceeds allowed %s quota. Requested '
                '%sG, quota is %sG and %sG has been consumed.' % (what, delta, limit, used))
        return OverQuota("Maximum number of %s allowed (%d) exceeded for quota '%s'."
                         % (base, limit, resource))

    @staticmethod
    def _release(session, project_id, amounts):
        """Give back usage (never below zero)."""
        for resource, amount in sorted(amounts.items()):
            if amount <= 0 or resource in NOT_COUNTED:
                continue
            session.execute(sa.update(_USAGE).where(
                _USAGE.c.project_id == project_id, _USAGE.c.resource == resource
            ).values(in_use=sa.case((_USAGE.c.in_use > amount, _USAGE.c.in_use - amount),
                                    else_=0)))

    # --- the API -------------------------------------------------------------
    def get_quotas(self, ctx, project_id, usage=False, defaults=False):
        """{resource: limit} (or {resource: {limit, in_use, reserved,
        allocated}} with usage), with 'id'."""
        with reader() as s:
            limits = self._class_limits(s) if defaults else self._limits(s, project_id)
            out = {'id': project_id}
            if usage:
                used = self._usage(s, project_id)
                for name, limit in limits.items():
                    out[name] = {'limit': limit, 'in_use': used.get(name, 0),
                                 'reserved': 0, 'allocated': 0}
            else:
                out.update(limits)
            return out

    def update_quotas(self, ctx, project_id, values):
        with db_api.writer() as s:
            known = set(self._resource_names(s))
            for resource, limit in values.items():
                if resource not in known:
                    raise exception.BadRequest('Bad key(s) in quota set: %s' % resource)
                if limit < -1:
                    raise exception.BadRequest(
                        'Quota limit %s for %s must be -1 or greater.' % (limit, resource))
                row = s.get(models.Quota, (project_id, resource))
                if row is None:
                    s.add(models.Quota(project_id=project_id, resource=resource,
                                       hard_limit=limit))
                else:
                    row.hard_limit = limit
        return self.get_quotas(ctx, project_id)

    def delete_quotas(self, ctx, project_id):
        with db_api.writer() as s:
            s.execute(sa.delete(models.Quota).where(models.Quota.project_id == project_id))

    def get_quota_class(self, ctx, class_name):
        with reader() as s:
            out = self._class_limits(s, class_name)
        out['id'] = class_name
        return out

    def update_quota_class(self, ctx, class_name, values):
        with db_api.writer() as s:
            known = set(self._resource_names(s))
            for resource, limit in values.items():
                if resource not in known:
                    raise exception.BadRequest('Bad key(s) in quota set: %s' % resource)
                row = s.get(models.QuotaClass, (class_name, resource))
                if row is None:
                    s.add(models.QuotaClass(class_name=class_name, resource=resource,
                                            hard_limit=limit))
                else:
                    row.hard_limit = limit
        out = self.get_quota_class(ctx, class_name)
        out.pop('id')
        return out

    def absolute_limits(self, ctx, project_id):
        """Cinder's /limits 'absolute' block."""
        with reader() as s:
            limits = self._limits(s, project_id)
            used = self._usage(s, project_id)
        return {
            'maxTotalVolumes': limits['volumes'],
            'maxTotalSnapshots': limits['snapshots'],
            'maxTotalVolumeGigabytes': limits['gigabytes'],
            'maxTotalBackups': limits['backups'],
            'maxTotalBackupGigabytes': limits['backup_gigabytes'],
            'totalVolumesUsed': used.get('volumes', 0),
            'totalSnapshotsUsed': used.get('snapshots', 0),
            'totalGigabytesUsed': used.get('gigabytes', 0),
            'totalBackupsUsed': used.get('backups', 0),
            'totalBackupGigabytesUsed': used.get('backup_gigabytes', 0),
        }
