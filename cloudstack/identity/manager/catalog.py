"""Regions, services, endpoints, endpoint groups, project endpoints, and the
catalog tokens carry."""
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.identity.manager import base
from cloudstack.identity import models

INTERFACES = ('public', 'internal', 'admin')
GROUP_FILTERS = ('service_id', 'region_id', 'interface')
# What an endpoint URL may substitute, as `%(name)s` or `$(name)s`.
URL_VARIABLES = ('tenant_id', 'project_id', 'user_id')


class _Subs(dict):
    """Substitutions for one catalog; an unknown or unset one is a KeyError."""

    def __getitem__(self, key):
        value = dict.get(self, key)
        if value is None:
            raise KeyError(key)
        return value


def format_url(url, subs):
    """The endpoint URL with its substitutions made, or None when one is
    unknown or unset (such an endpoint is left out of the catalog)."""
    try:
        return url.replace('$(', '%(') % _Subs(subs)
    except (KeyError, ValueError, TypeError):
        return None


def check_url(url):
    if format_url(url, {k: 'x' for k in URL_VARIABLES}) is None:
        raise exception.ValidationError(
            'Malformed endpoint URL (%s), see ERROR log for details.' % url)


def region_dict(row):
    return base.with_extra({'id': row.id, 'description': row.description or '',
                            'parent_region_id': row.parent_region_id}, row.extra)


def service_dict(row):
    svc = {'id': row.id, 'type': row.type, 'enabled': row.enabled}
    for key in ('name', 'description'):
        if getattr(row, key) is not None:
            svc[key] = getattr(row, key)
    return base.with_extra(svc, row.extra)


def endpoint_dict(row):
    return base.with_extra({
        'id': row.id, 'service_id': row.service_id, 'interface': row.interface,
        'url': row.url, 'region_id': row.region_id, 'region': row.region_id,
        'enabled': row.enabled}, row.extra)


def endpoint_group_dict(row):
    return {'id': row.id, 'name': row.name, 'description': row.description,
            'filters': row.filters or {}}


def _list_rows(manager, model, render, where=None):
    """Every row of `model`, `where(stmt)` applied to the select first."""
    stmt = sa.select(model)
    if where is not None:
        stmt = where(stmt)
    with manager.read() as s:
        return [render(r) for r in s.scalars(stmt.order_by(model.id))]


def _check_group_filters(filters, required=True):
    """Keystone requires filters when a group is created; an update may
    clear them ({} matches every endpoint)."""
    if required and not filters:
        raise exception.ValidationError('filters field is required and cannot be empty')
    bad = set(filters) - set(GROUP_FILTERS)
    if bad:
        raise exception.ValidationError(
            'Invalid filter %s: valid filters are %s.'
            % (', '.join(sorted(bad)), ', '.join(GROUP_FILTERS)))
    if 'interface' in filters and filters['interface'] not in INTERFACES:
        raise exception.ValidationError('Invalid interface %s.' % filters['interface'])


def _matches(endpoint, filters):
    return all(getattr(endpoint, k, None) == v for k, v in filters.items())


class Catalog:

    # -- regions ---------------------------------------------------------

    def create_region(self, region):
        own, extra = base.split_extra(region, ('id', 'description', 'parent_region_id'))
        if own.get('id') is None:
            own.pop('id', None)
        with self.write() as s:
            if own.get('id') and s.get(models.Region, own['id']) is not None:
                raise exception.Conflict(
                    'Conflict occurred attempting to store region - Duplicate ID, %s.'
                    % own['id'])
            if own.get('parent_region_id') is not None:
                self.get_row(s, models.Region, own['parent_region_id'], 'region')
            row = models.Region(extra=extra, **own)
            s.add(row)
            s.flush()
            return region_dict(row)

    def get_region(self, region_id):
        with self.read() as s:
            return region_dict(self.get_row(s, models.Region, region_id, 'region'))

    def list_regions(self, where=None):
        return _list_rows(self, models.Region, region_dict, where)

    def update_region(self, region_id, changes):
        own, extra = base.split_extra(changes, ('description', 'parent_region_id'))
        with self.write() as s:
            row = self.get_row(s, models.Region, region_id, 'region')
            parent = own.get('parent_region_id')
            while parent is not None:
                if parent == region_id:
                    raise exception.ValidationError(
                        'This is not a recognized region hierarchy: %s would be '
                        'its own ancestor.' % region_id)
                parent = self.get_row(s, models.Region, parent,
                                      'region').parent_region_id
            for key, value in own.items():
                setattr(row, key, value)
            if extra:
                row.extra = dict(row.extra or {}, **extra)
            return region_dict(row)

    def delete_region(self, region_id):
        """Delete the region and every region below it, unless one of them
        still has endpoints. Limits name a region without holding it, as in
        Keystone."""
        with self.write() as s:
            self.get_row(s, models.Region, region_id, 'region')
            order, todo = [], [region_id]
            while todo:
                order.extend(todo)
                todo = list(s.scalars(sa.select(models.Region.id).where(
                    models.Region.parent_region_id.in_(todo))))
            if s.scalar(sa.select(sa.func.count()).select_from(models.Endpoint).where(
                    models.Endpoint.region_id.in_(order))):
                raise exception.Forbidden(
                        'Unable to delete region %s because it or its child regions '
                        'have associated endpoints.' % region_id)
            for rid in reversed(order):
                s.execute(sa.delete(models.Region).where(models.Region.id == rid))

    # -- services --------------------------------------------------------

    def create_service(self, service):
        own, extra = base.split_extra(service, ('type', 'name', 'description', 'enabled'))
        with self.write() as s:
            row = models.Service(extra=extra, **own)
            s.add(row)
            s.flush()
            return service_dict(row)

    def get_service(self, service_id):
        with self.read() as s:
            return service_dict(self.get_row(s, models.Service, service_id, 'service'))

    def list_services(self, where=None):
        return _list_rows(self, models.Service, service_dict, where)

    def update_service(self, service_id, changes):
        own, extra = base.split_extra(changes, ('type', 'name', 'description', 'enabled'))
        with self.write() as s:
            row = self.get_row(s, models.Service, service_id, 'service')
            for key, value in own.items():
                setattr(row, key, value)
            if extra:
                row.extra = dict(row.extra or {}, **extra)
            return service_dict(row)

    def delete_service(self, service_id):
        """Delete the service with its endpoints. Its limits stay, naming a
        service that is gone, as in Keystone: an operator deletes them."""
        with self.write() as s:
            row = self.get_row(s, models.Service, service_id, 'service')
            s.execute(sa.delete(models.Endpoint).where(models.Endpoint.service_id == service_id))
            s.delete(row)

    # -- endpoints -------------------------------------------------------

    def _endpoint_refs(self, s, own, legacy_region):
        """Check the endpoint's service and region; a legacy `region` that
        does not exist is created, as Keystone does."""
        if 'service_id' in own and s.get(models.Service, own['service_id']) is None:
            raise exception.ValidationError(
                'service_id %s does not exist.' % own['service_id'])
        if own.get('region_id') is None and legacy_region is not None:
            own['region_id'] = legacy_region
            if s.get(models.Region, legacy_region) is None:
                s.add(models.Region(id=legacy_region, extra={}))
                s.flush()
        elif own.get('region_id') is not None and \
                s.get(models.Region, own['region_id']) is None:
            raise exception.ValidationError(
                'region_id %s does not exist.' % own['region_id'])
        if 'url' in own:
            check_url(own['url'])

    _ENDPOINT_KEYS = ('service_id', 'interface', 'url', 'region_id', 'enabled')

    def create_endpoint(self, endpoint):
        endpoint = dict(endpoint)
        legacy_region = endpoint.pop('region', None)
        endpoint.pop('id', None)
        own, extra = base.split_extra(endpoint, self._ENDPOINT_KEYS)
        with self.write() as s:
            self._endpoint_refs(s, own, legacy_region)
            row = models.Endpoint(extra=extra, **own)
            s.add(row)
            s.flush()
            return endpoint_dict(row)

    def get_endpoint(self, endpoint_id):
        with self.read() as s:
            return endpoint_dict(self.get_row(s, models.Endpoint, endpoint_id, 'endpoint'))

    def list_endpoints(self, where=None):
        return _list_rows(self, models.Endpoint, endpoint_dict, where)

    def update_endpoint(self, endpoint_id, changes):
        changes = dict(changes)
        legacy_region = changes.pop('region', None)
        own, extra = base.split_extra(changes, self._ENDPOINT_KEYS)
        with self.write() as s:
            row = self.get_row(s, models.Endpoint, endpoint_id, 'endpoint')
            self._endpoint_refs(s, own, legacy_region)
            for key, value in own.items():
                setattr(row, key, value)
            if extra:
                row.extra = dict(row.extra or {}, **extra)
            return endpoint_dict(row)

    def delete_endpoint(self, endpoint_id):
        with self.write() as s:
            row = self.get_row(s, models.Endpoint, endpoint_id, 'endpoint')
            s.execute(sa.delete(models.ProjectEndpoint).where(
                models.ProjectEndpoint.endpoint_id == endpoint_id))
            s.delete(row)

    # -- endpoint groups -------------------------------------------------

    def create_endpoint_group(self, group):
        _check_group_filters(group.get('filters'))
        with self.write() as s:
            row = models.EndpointGroup(name=group['name'],
                                       description=group.get('description'),
                                       filters=group['filters'])
            s.add(row)
            s.flush()
            return endpoint_group_dict(row)

    def get_endpoint_group(self, group_id):
        with self.read() as s:
            return endpoint_group_dict(
                self.get_row(s, models.EndpointGroup, group_id, 'endpoint group'))

    def list_endpoint_groups(self, where=None):
        return _list_rows(self, models.EndpointGroup, endpoint_group_dict, where)

    def update_endpoint_group(self, group_id, changes):
        if 'filters' in changes:
            _check_group_filters(changes['filters'] or {}, required=False)
        with self.write() as s:
            row = self.get_row(s, models.EndpointGroup, group_id, 'endpoint group')
            for key in ('name', 'description', 'filters'):
                if key in changes:
                    setattr(row, key, changes[key])
            return endpoint_group_dict(row)

    def delete_endpoint_group(self, group_id):
        with self.write() as s:
            row = self.get_row(s, models.EndpointGroup, group_id, 'endpoint group')
            s.execute(sa.delete(models.ProjectEndpointGroup).where(
                models.ProjectEndpointGroup.endpoint_group_id == group_id))
            s.delete(row)

    def list_endpoints_in_group(self, group_id):
        with self.read() as s:
            group = self.get_row(s, models.EndpointGroup, group_id, 'endpoint group')
            return [endpoint_dict(e) for e in s.scalars(
                sa.select(models.Endpoint).order_by(models.Endpoint.id))
                if _matches(e, group.filters or {})]

    # -- OS-EP-FILTER associations ---------------------------------------

    def add_endpoint_to_project(self, project_id, endpoint_id):
        self.get_project(project_id)
        with self.write() as s:
            self.get_row(s, models.Endpoint, endpoint_id, 'endpoint')
            if s.get(models.ProjectEndpoint, (endpoint_id, project_id)) is None:
                s.add(models.ProjectEndpoint(endpoint_id=endpoint_id,
                                             project_id=project_id))

    def check_endpoint_in_project(self, project_id, endpoint_id):
        self.get_project(project_id)
        with self.read() as s:
            self.get_row(s, models.Endpoint, endpoint_id, 'endpoint')
            if s.get(models.ProjectEndpoint, (endpoint_id, project_id)) is None:
                raise exception.NotFound(
                    'Endpoint %s not found in project %s.' % (endpoint_id, project_id))

    def remove_endpoint_from_project(self, project_id, endpoint_id):
        with self.write() as s:
            row = s.get(models.ProjectEndpoint, (endpoint_id, project_id))
            if row is None:
                raise exception.NotFound(
                    'Endpoint %s not found in project %s.' % (endpoint_id, project_id))
            s.delete(row)

    def list_projects_for_endpoint(self, endpoint_id):
        with self.read() as s:
            self.get_row(s, models.Endpoint, endpoint_id, 'endpoint')
            ids = list(s.scalars(sa.select(models.ProjectEndpoint.project_id).where(
                models.ProjectEndpoint.endpoint_id == endpoint_id)))
        return self._ep_filter_projects(ids)

    def list_endpoints_for_project(self, project_id):
        """The endpoints associated with the project, directly or through
        endpoint groups."""
        self.get_project(project_id)
        with self.read() as s:
            ids = self._project_endpoint_ids(s).get(project_id, set())
            rows = s.scalars(sa.select(models.Endpoint).where(
                models.Endpoint.id.in_(ids)).order_by(models.Endpoint.id))
            return [endpoint_dict(r) for r in rows]

    def add_endpoint_group_to_project(self, group_id, project_id):
        self.get_project(project_id)
        with self.write() as s:
            self.get_row(s, models.EndpointGroup, group_id, 'endpoint group')
            if s.get(models.ProjectEndpointGroup, (group_id, project_id)) is None:
                s.add(models.ProjectEndpointGroup(endpoint_group_id=group_id,
                                                  project_id=project_id))

    def get_endpoint_group_in_project(self, group_id, project_id):
        self.get_project(project_id)
        with self.read() as s:
            self.get_row(s, models.EndpointGroup, group_id, 'endpoint group')
            if s.get(models.ProjectEndpointGroup, (group_id, project_id)) is None:
                raise exception.NotFound(
                    'Could not find endpoint group %s in project %s.'
                    % (group_id, project_id))
        return {'endpoint_group_id': group_id, 'project_id': project_id}

    def remove_endpoint_group_from_project(self, group_id, project_id):
        self.get_endpoint_group_in_project(group_id, project_id)
        with self.write() as s:
            s.execute(sa.delete(models.ProjectEndpointGroup).where(
                models.ProjectEndpointGroup.endpoint_group_id == group_id,
                models.ProjectEndpointGroup.project_id == project_id))

    def list_projects_for_endpoint_group(self, group_id):
        with self.read() as s:
            self.get_row(s, models.EndpointGroup, group_id, 'endpoint group')
            ids = list(s.scalars(sa.select(models.ProjectEndpointGroup.project_id).where(
                models.ProjectEndpointGroup.endpoint_group_id == group_id)))
        return self._ep_filter_projects(ids)

    def list_endpoint_groups_for_project(self, project_id):
        self.get_project(project_id)
        with self.read() as s:
            rows = s.scalars(sa.select(models.EndpointGroup).join(
                models.ProjectEndpointGroup,
                models.ProjectEndpointGroup.endpoint_group_id == models.EndpointGroup.id)
                .where(models.ProjectEndpointGroup.project_id == project_id)
                .order_by(models.EndpointGroup.id))
            return [endpoint_group_dict(r) for r in rows]

    def _ep_filter_projects(self, ids):
        projects = []
        for project_id in sorted(ids):
            try:
                projects.append(self.get_project(project_id))
            except exception.NotFound:
                pass
        return projects

    @staticmethod
    def _project_endpoint_ids(s):
        """{project_id: {endpoint ids}} for every project with associations."""
        result = {}
        for pe in s.scalars(sa.select(models.ProjectEndpoint)):
            result.setdefault(pe.project_id, set()).add(pe.endpoint_id)
        links = list(s.scalars(sa.select(models.ProjectEndpointGroup)))
        if links:
            groups = {g.id: g.filters or {} for g in s.scalars(sa.select(models.EndpointGroup))}
            endpoints = list(s.scalars(sa.select(models.Endpoint)))
            for link in links:
                filters = groups.get(link.endpoint_group_id)
                if filters is None:
                    continue
                ids = result.setdefault(link.project_id, set())
                ids.update(e.id for e in endpoints if _matches(e, filters))
        return result

    # -- the token catalog -----------------------------------------------

    def _load_catalog(self):
        with self.read() as s:
            services = list(s.scalars(sa.select(models.Service).where(
                models.Service.enabled.is_(True)).order_by(models.Service.type,
                                                            models.Service.id)))
            endpoints = {}
            for e in s.scalars(sa.select(models.Endpoint).where(
                    models.Endpoint.enabled.is_(True)).order_by(models.Endpoint.id)):
                endpoints.setdefault(e.service_id, []).append(
                    {'id': e.id, 'interface': e.interface, 'region': e.region_id,
                     'region_id': e.region_id, 'url': e.url})
            catalog = [{'type': svc.type, 'name': svc.name or '', 'id': svc.id,
                        'endpoints': endpoints.get(svc.id, [])} for svc in services]
            return catalog, self._project_endpoint_ids(s)

    def get_catalog(self, user_id, project_id):
        """The catalog a token shows: enabled services and endpoints, limited
        to the project's OS-EP-FILTER associations when it has any. The full
        catalog is cached until the identity revision changes."""
        revision = base.current_revision()
        cached = getattr(self, '_catalog_cache', None)
        if cached is None or cached[0] != revision:
            cached = (revision,) + self._load_catalog()
            self._catalog_cache = cached
        _, catalog, by_project = cached
        allowed = by_project.get(project_id) if project_id else None
        subs = {'tenant_id': project_id, 'project_id': project_id, 'user_id': user_id}
        result = []
        for svc in catalog:
            endpoints = []
            for ep in svc['endpoints']:
                if allowed is not None and ep['id'] not in allowed:
                    continue
                url = format_url(ep['url'], subs)
                if url is not None:
                    endpoints.append(dict(ep, url=url))
            if endpoints or allowed is None:
                result.append(dict(svc, endpoints=endpoints))
        return result

