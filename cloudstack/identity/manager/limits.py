"""Unified limits: registered (default) limits and project/domain limits,
with the flat enforcement model."""
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.identity import models

MODEL = {'name': 'flat',
         'description': 'Limit enforcement and validation does not take project '
                        'hierarchy into consideration.'}
SCOPE_KEYS = ('service_id', 'region_id', 'resource_name')


def registered_limit_dict(row):
    return {'id': row.id, 'service_id': row.service_id, 'region_id': row.region_id,
            'resource_name': row.resource_name, 'default_limit': row.default_limit,
            'description': row.description}


def limit_dict(row):
    return {'id': row.id, 'project_id': row.project_id, 'domain_id': row.domain_id,
            'service_id': row.service_id, 'region_id': row.region_id,
            'resource_name': row.resource_name, 'resource_limit': row.resource_limit,
            'description': row.description}


def _where(model, values, keys):
    return sa.and_(*[getattr(model, k).is_(None) if values.get(k) is None
                     else getattr(model, k) == values[k] for k in keys])


def _invalid(attribute):
    return exception.ValidationError(
        'Expecting to find %s in the existing resources. The server could not '
        'comply with the request since it is either malformed or otherwise '
        'incorrect.' % attribute)


def _check_refs(s, item):
    """400 unless the item's service, region, project and domain exist; a
    project that is a domain becomes the limit's domain_id."""
    if s.get(models.Service, item.get('service_id')) is None:
        raise _invalid('service_id')
    if item.get('region_id') is not None and s.get(models.Region, item['region_id']) is None:
        raise _invalid('region_id')
    if item.get('project_id') is not None:
        project = s.get(models.Project, item['project_id'])
        if project is None:
            raise _invalid('project_id')
        if project.is_domain:
            item['domain_id'] = item.pop('project_id')
    if item.get('domain_id') is not None:
        domain = s.get(models.Project, item['domain_id'])
        if domain is None or not domain.is_domain:
            raise _invalid('domain_id')


def _select(model, filters):
    stmt = sa.select(model).order_by(model.id)
    for key, value in (filters or {}).items():
        stmt = stmt.where(getattr(model, key) == value)
    return stmt


class Limits:

    def get_limit_model(self):
        return dict(MODEL)

    # -- registered limits -----------------------------------------------

    def create_registered_limits(self, items):
        with self.write() as s:
            rows = []
            for item in items:
                item = dict(item)
                _check_refs(s, item)
                self._registered_limit_unique(s, item)
                row = models.RegisteredLimit(**item)
                s.add(row)
                s.flush()
                rows.append(row)
            return [registered_limit_dict(r) for r in rows]

    @staticmethod
    def _registered_limit_unique(s, item, exclude=None):
        stmt = sa.select(models.RegisteredLimit.id).where(
            _where(models.RegisteredLimit, item, SCOPE_KEYS))
        if any(rid != exclude for rid in s.scalars(stmt)):
            raise exception.Conflict(
                'Conflict occurred attempting to store registered_limit - Duplicate '
                'entry found with resource_name %s.' % item['resource_name'])

    def get_registered_limit(self, limit_id):
        with self.read() as s:
            return registered_limit_dict(
                self.get_row(s, models.RegisteredLimit, limit_id, 'registered limit'))

    def list_registered_limits(self, filters=None):
        with self.read() as s:
            return [registered_limit_dict(r)
                    for r in s.scalars(_select(models.RegisteredLimit, filters))]

    def _registered_limit_in_use(self, s, row):
        return s.scalar(sa.select(sa.func.count()).select_from(models.Limit).where(
            _where(models.Limit, registered_limit_dict(row), SCOPE_KEYS)))

    def update_registered_limit(self, limit_id, changes):
        with self.write() as s:
            row = self.get_row(s, models.RegisteredLimit, limit_id, 'registered limit')
            new = dict(registered_limit_dict(row), **changes)
            if any(new[k] != getattr(row, k) for k in SCOPE_KEYS):
                if self._registered_limit_in_use(s, row):
                    raise exception.Forbidden(
                        'Cannot update registered limit %s: limits reference it.'
                        % limit_id)
                _check_refs(s, new)
                self._registered_limit_unique(s, new, exclude=limit_id)
            for key, value in changes.items():
                setattr(row, key, value)
            return registered_limit_dict(row)

    def delete_registered_limit(self, limit_id):
        with self.write() as s:
            row = self.get_row(s, models.RegisteredLimit, limit_id, 'registered limit')
            if self._registered_limit_in_use(s, row):
                raise exception.Forbidden(
                    'Cannot delete registered limit %s: limits reference it.' % limit_id)
            s.delete(row)

    # -- project and domain limits ---------------------------------------

    def create_limits(self, items):
        with self.write() as s:
            rows = []
            for item in items:
                item = dict(item)
                _check_refs(s, item)
                if s.scalar(sa.select(models.RegisteredLimit.id).where(
                        _where(models.RegisteredLimit, item, SCOPE_KEYS))) is None:
                    raise exception.Forbidden(
                        'Unable to create a limit that has no corresponding '
                        'registered limit.')
                if s.scalar(sa.select(models.Limit.id).where(_where(
                        models.Limit, item, SCOPE_KEYS + ('project_id', 'domain_id')))):
                    raise exception.Conflict(
                        'Conflict occurred attempting to store limit - Duplicate '
                        'entry found with resource_name %s.' % item['resource_name'])
                row = models.Limit(**item)
                s.add(row)
                s.flush()
                rows.append(row)
            return [limit_dict(r) for r in rows]

    def get_limit(self, limit_id):
        with self.read() as s:
            return limit_dict(self.get_row(s, models.Limit, limit_id, 'limit'))

    def list_limits(self, filters=None):
        with self.read() as s:
            return [limit_dict(r) for r in s.scalars(_select(models.Limit, filters))]

    def update_limit(self, limit_id, changes):
        with self.write() as s:
            row = self.get_row(s, models.Limit, limit_id, 'limit')
            for key in ('resource_limit', 'description'):
                if key in changes:
                    setattr(row, key, changes[key])
            return limit_dict(row)

    def delete_limit(self, limit_id):
        with self.write() as s:
            s.delete(self.get_row(s, models.Limit, limit_id, 'limit'))
