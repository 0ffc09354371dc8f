"""/v3/regions, /v3/services, /v3/endpoints and OS-EP-FILTER."""
from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.identity.api import common
from cloudstack.identity import manager
from cloudstack.identity import models

STRING = {'type': 'string', 'minLength': 1, 'maxLength': 255}
NULLABLE = {'type': ['string', 'null']}
URL = {'type': 'string', 'minLength': 1,
       'pattern': '^[a-zA-Z0-9+.-]+:.+'}

REGION = {'type': 'object', 'properties': {
    'id': STRING, 'description': NULLABLE,
    'parent_region_id': {'type': ['string', 'null'], 'maxLength': 255}}}
SERVICE = {'type': 'object', 'properties': {
    'type': STRING, 'name': {'type': ['string', 'null'], 'maxLength': 255},
    'description': NULLABLE, 'enabled': {'type': 'boolean'}}}
ENDPOINT = {'type': 'object', 'properties': {
    'service_id': STRING, 'interface': {'type': 'string', 'enum': ['public', 'internal', 'admin']},
    'url': URL, 'region_id': {'type': ['string', 'null'], 'maxLength': 255},
    'region': {'type': ['string', 'null'], 'maxLength': 255},
    'enabled': {'type': 'boolean'}}}
ENDPOINT_GROUP = {'type': 'object', 'properties': {
    'name': STRING, 'description': NULLABLE, 'filters': {'type': 'object'}},
    'additionalProperties': False}


def member(req, key, schema, required=(), update=False):
    """The `key` entity of the request body, validated against `schema`."""
    schema = dict(schema, required=list(required))
    if update:
        schema['minProperties'] = 1
    body = validation.validate(
        {'type': 'object', 'properties': {key: schema}, 'required': [key]},
        req.json_body())
    return body[key]


def matching_id(entity, entity_id):
    """Drop an `id` in an update body; it must match the path's."""
    if 'id' in entity and entity.pop('id') != entity_id:
        raise exception.ValidationError('Cannot change the ID of an entity.')
    return entity


def filtered(req, model, names):
    return lambda stmt: common.apply_filters(req, stmt, model, names)


class Regions:
    PATH = '/v3/regions'

    def _one(self, req, region):
        return {'region': common.entity(req, self.PATH, region)}

    def index(self, req):
        common.authorize(req, 'identity:list_regions')
        regions = manager.get().list_regions(
            filtered(req, models.Region, ('parent_region_id',)))
        return common.collection(req, 'regions', regions, self.PATH)

    @wsgi.response(201)
    def create(self, req):
        common.authorize(req, 'identity:create_region')
        region = member(req, 'region', REGION)
        return self._one(req, manager.get().create_region(region))

    @wsgi.response(201)
    def create_with_id(self, req, region_id):
        common.authorize(req, 'identity:create_region')
        region = member(req, 'region', REGION)
        if region.get('id', region_id) != region_id:
            raise exception.ValidationError(
                'The region id in the body does not match the one in the URL.')
        region['id'] = region_id
        return self._one(req, manager.get().create_region(region))

    def show(self, req, region_id):
        common.authorize(req, 'identity:get_region')
        return self._one(req, manager.get().get_region(region_id))

    def update(self, req, region_id):
        common.authorize(req, 'identity:update_region')
        changes = matching_id(member(req, 'region', REGION, update=True), region_id)
        return self._one(req, manager.get().update_region(region_id, changes))

    def delete(self, req, region_id):
        common.authorize(req, 'identity:delete_region')
        manager.get().delete_region(region_id)


class Services:
    PATH = '/v3/services'

    def _one(self, req, service):
        return {'service': common.entity(req, self.PATH, service)}

    def index(self, req):
        common.authorize(req, 'identity:list_services')
        services = manager.get().list_services(
            filtered(req, models.Service, ('type', 'name', 'enabled')))
        return common.collection(req, 'services', services, self.PATH)

    @wsgi.response(201)
    def create(self, req):
        common.authorize(req, 'identity:create_service')
        service = member(req, 'service', SERVICE, required=('type',))
        service.pop('id', None)
        return self._one(req, manager.get().create_service(service))

    def show(self, req, service_id):
        common.authorize(req, 'identity:get_service')
        return self._one(req, manager.get().get_service(service_id))

    def update(self, req, service_id):
        common.authorize(req, 'identity:update_service')
        changes = matching_id(member(req, 'service', SERVICE, update=True), service_id)
        return self._one(req, manager.get().update_service(service_id, changes))

    def delete(self, req, service_id):
        common.authorize(req, 'identity:delete_service')
        manager.get().delete_service(service_id)


class Endpoints:
    PATH = '/v3/endpoints'

    def _one(self, req, endpoint):
        return {'endpoint': common.entity(req, self.PATH, endpoint)}

    def index(self, req):
        common.authorize(req, 'identity:list_endpoints')
        endpoints = manager.get().list_endpoints(
            filtered(req, models.Endpoint, ('service_id', 'interface', 'region_id', 'enabled')))
        return common.collection(req, 'endpoints', endpoints, self.PATH)

    @wsgi.response(201)
    def create(self, req):
        common.authorize(req, 'identity:create_endpoint')
        endpoint = member(req, 'endpoint', ENDPOINT,
                          required=('service_id', 'interface', 'url'))
        return self._one(req, manager.get().create_endpoint(endpoint))

    def show(self, req, endpoint_id):
        common.authorize(req, 'identity:get_endpoint')
        return self._one(req, manager.get().get_endpoint(endpoint_id))

    def update(self, req, endpoint_id):
        common.authorize(req, 'identity:update_endpoint')
        changes = matching_id(member(req, 'endpoint', ENDPOINT, update=True), endpoint_id)
        return self._one(req, manager.get().update_endpoint(endpoint_id, changes))

    def delete(self, req, endpoint_id):
        common.authorize(req, 'identity:delete_endpoint')
        manager.get().delete_endpoint(endpoint_id)


class EndpointGroups:
    PATH = '/v3/OS-EP-FILTER/endpoint_groups'

    def _one(self, req, group):
        return {'endpoint_group': common.entity(req, self.PATH, group)}

    def index(self, req):
        common.authorize(req, 'identity:list_endpoint_groups')
        groups = manager.get().list_endpoint_groups(
            filtered(req, models.EndpointGroup, ('name',)))
        return common.collection(req, 'endpoint_groups', groups, self.PATH)

    @wsgi.response(201)
    def create(self, req):
        common.authorize(req, 'identity:create_endpoint_group')
        group = member(req, 'endpoint_group', ENDPOINT_GROUP, required=('name', 'filters'))
        return self._one(req, manager.get().create_endpoint_group(group))

    def show(self, req, endpoint_group_id):
        common.authorize(req, 'identity:get_endpoint_group')
        return self._one(req, manager.get().get_endpoint_group(endpoint_group_id))

    def update(self, req, endpoint_group_id):
        common.authorize(req, 'identity:update_endpoint_group')
        schema = dict(ENDPOINT_GROUP, properties=dict(ENDPOINT_GROUP['properties'], id=STRING))
        changes = matching_id(member(req, 'endpoint_group', schema, update=True),
                              endpoint_group_id)
        return self._one(req, manager.get().update_endpoint_group(endpoint_group_id, changes))

    def delete(self, req, endpoint_group_id):
        common.authorize(req, 'identity:delete_endpoint_group')
        manager.get().delete_endpoint_group(endpoint_group_id)

    def projects(self, req, endpoint_group_id):
        common.authorize(req, 'identity:list_projects_associated_with_endpoint_group')
        projects = manager.get().list_projects_for_endpoint_group(endpoint_group_id)
        return common.collection(req, 'projects', projects, '/v3/projects')

    def endpoints(self, req, endpoint_group_id):
        common.authorize(req, 'identity:list_endpoints_associated_with_endpoint_group')
        endpoints = manager.get().list_endpoints_in_group(endpoint_group_id)
        return common.collection(req, 'endpoints', endpoints, Endpoints.PATH)

    def show_project(self, req, endpoint_group_id, project_id):
        common.authorize(req, 'identity:get_endpoint_group_in_project')
        ref = manager.get().get_endpoint_group_in_project(endpoint_group_id, project_id)
        ref['links'] = {'self': common.url(req, '%s/%s/projects/%s' % (
            self.PATH, endpoint_group_id, project_id))}
        return {'project_endpoint_group': ref}

    def add_project(self, req, endpoint_group_id, project_id):
        common.authorize(req, 'identity:add_endpoint_group_to_project')
        manager.get().add_endpoint_group_to_project(endpoint_group_id, project_id)

    def remove_project(self, req, endpoint_group_id, project_id):
        common.authorize(req, 'identity:remove_endpoint_group_from_project')
        manager.get().remove_endpoint_group_from_project(endpoint_group_id, project_id)


class ProjectEndpoints:
    """/v3/OS-EP-FILTER/projects/... and /v3/OS-EP-FILTER/endpoints/..."""

    def endpoints(self, req, project_id):
        common.authorize(req, 'identity:list_endpoints_for_project')
        endpoints = manager.get().list_endpoints_for_project(project_id)
        return common.collection(req, 'endpoints', endpoints, Endpoints.PATH)

    def check(self, req, project_id, endpoint_id):
        common.authorize(req, 'identity:check_endpoint_in_project')
        manager.get().check_endpoint_in_project(project_id, endpoint_id)

    def add(self, req, project_id, endpoint_id):
        common.authorize(req, 'identity:add_endpoint_to_project')
        manager.get().add_endpoint_to_project(project_id, endpoint_id)

    def remove(self, req, project_id, endpoint_id):
        common.authorize(req, 'identity:remove_endpoint_from_project')
        manager.get().remove_endpoint_from_project(project_id, endpoint_id)

    def endpoint_groups(self, req, project_id):
        common.authorize(req, 'identity:list_endpoint_groups_for_project')
        groups = manager.get().list_endpoint_groups_for_project(project_id)
        return common.collection(req, 'endpoint_groups', groups, EndpointGroups.PATH)

    def projects(self, req, endpoint_id):
        common.authorize(req, 'identity:list_projects_for_endpoint')
        projects = manager.get().list_projects_for_endpoint(endpoint_id)
        return common.collection(req, 'projects', projects, '/v3/projects')


def add_routes(router):
    crud = dict(GET='show', PATCH='update', DELETE='delete')
    regions = Regions()
    router.connect('/v3/regions', regions, GET='index', POST='create')
    router.connect('/v3/regions/{region_id}', regions, PUT='create_with_id', **crud)
    services = Services()
    router.connect('/v3/services', services, GET='index', POST='create')
    router.connect('/v3/services/{service_id}', services, **crud)
    endpoints = Endpoints()
    router.connect('/v3/endpoints', endpoints, GET='index', POST='create')
    router.connect('/v3/endpoints/{endpoint_id}', endpoints, **crud)

    groups = EndpointGroups()
    prefix = '/v3/OS-EP-FILTER'
    router.connect(prefix + '/endpoint_groups', groups, GET='index', POST='create')
    router.connect(prefix + '/endpoint_groups/{endpoint_group_id}', groups, **crud)
    router.connect(prefix + '/endpoint_groups/{endpoint_group_id}/projects', groups,
                   GET='projects')
    router.connect(prefix + '/endpoint_groups/{endpoint_group_id}/endpoints', groups,
                   GET='endpoints')
    router.connect(prefix + '/endpoint_groups/{endpoint_group_id}/projects/{project_id}',
                   groups, GET='show_project', PUT='add_project', DELETE='remove_project')
    pe = ProjectEndpoints()
    router.connect(prefix + '/projects/{project_id}/endpoints', pe, GET='endpoints')
    router.connect(prefix + '/projects/{project_id}/endpoints/{endpoint_id}', pe,
                   GET='check', HEAD='check', PUT='add', DELETE='remove')
    router.connect(prefix + '/projects/{project_id}/endpoint_groups', pe,
                   GET='endpoint_groups')
    router.connect(prefix + '/endpoints/{endpoint_id}/projects', pe, GET='projects')
