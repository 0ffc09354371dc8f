"""/v3/registered_limits, /v3/limits and /v3/limits/model (unified limits)."""
from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack.identity.api import common
from cloudstack.identity import manager
from cloudstack import policy

ID = {'type': 'string', 'minLength': 1, 'maxLength': 64}
NULLABLE_ID = {'type': ['string', 'null'], 'maxLength': 255}
COUNT = {'type': 'integer', 'minimum': -1, 'maximum': 0x7FFFFFFF}
DESCRIPTION = {'type': ['string', 'null']}
RESOURCE = {'type': 'string', 'minLength': 1, 'maxLength': 255}

REGISTERED_LIMIT = {'type': 'object', 'additionalProperties': False, 'properties': {
    'service_id': ID, 'region_id': NULLABLE_ID, 'resource_name': RESOURCE,
    'default_limit': COUNT, 'description': DESCRIPTION}}
LIMIT = {'type': 'object', 'additionalProperties': False, 'properties': {
    'project_id': ID, 'domain_id': ID, 'service_id': ID, 'region_id': NULLABLE_ID,
    'resource_name': RESOURCE, 'resource_limit': COUNT, 'description': DESCRIPTION}}
LIMIT_UPDATE = {'type': 'object', 'additionalProperties': False, 'minProperties': 1,
                'properties': {'resource_limit': COUNT, 'description': DESCRIPTION}}


def _create_schema(key, item):
    return {'type': 'object', 'required': [key], 'properties': {
        key: {'type': 'array', 'minItems': 1, 'items': item}}}


def _update_schema(key, item):
    return {'type': 'object', 'required': [key], 'properties': {key: item}}


CREATE_REGISTERED = _create_schema('registered_limits', dict(
    REGISTERED_LIMIT, required=['service_id', 'resource_name', 'default_limit']))
UPDATE_REGISTERED = _update_schema('registered_limit', dict(REGISTERED_LIMIT, minProperties=1))
CREATE_LIMITS = _create_schema('limits', dict(
    LIMIT, required=['service_id', 'resource_name', 'resource_limit'],
    oneOf=[{'required': ['project_id']}, {'required': ['domain_id']}]))
UPDATE_LIMIT = _update_schema('limit', LIMIT_UPDATE)


def _filters(req, names):
    return {k: req.GET[k] for k in names if k in req.GET}


class RegisteredLimits:
    PATH = '/v3/registered_limits'

    def index(self, req):
        common.authorize(req, 'identity:list_registered_limits')
        items = manager.get().list_registered_limits(
            _filters(req, ('service_id', 'region_id', 'resource_name')))
        return common.collection(req, 'registered_limits', items, self.PATH)

    @wsgi.response(201)
    def create(self, req):
        common.authorize(req, 'identity:create_registered_limits')
        body = validation.validate(CREATE_REGISTERED, req.json_body())
        items = manager.get().create_registered_limits(body['registered_limits'])
        return {'registered_limits': [common.entity(req, self.PATH, i) for i in items]}

    def show(self, req, registered_limit_id):
        common.authorize(req, 'identity:get_registered_limit')
        item = manager.get().get_registered_limit(registered_limit_id)
        return {'registered_limit': common.entity(req, self.PATH, item)}

    def update(self, req, registered_limit_id):
        common.authorize(req, 'identity:update_registered_limit')
        body = validation.validate(UPDATE_REGISTERED, req.json_body())
        item = manager.get().update_registered_limit(registered_limit_id,
                                                     body['registered_limit'])
        return {'registered_limit': common.entity(req, self.PATH, item)}

    def delete(self, req, registered_limit_id):
        common.authorize(req, 'identity:delete_registered_limit')
        manager.get().delete_registered_limit(registered_limit_id)


def _limit_target(item):
    """A limit as `identity:get_limit` reads it: with its project (and that
    project's domain) or its domain."""
    limit = dict(item)
    if item.get('project_id'):
        limit['project'] = common.lookup('project', item['project_id'])
    if item.get('domain_id'):
        limit['domain'] = {'id': item['domain_id']}
    return {'limit': limit}


class Limits:
    PATH = '/v3/limits'

    def model(self, req):
        common.authorize(req, 'identity:get_limit_model')
        return {'model': manager.get().get_limit_model()}

    def index(self, req):
        """Every limit the caller may see: all for an admin or system reader,
        otherwise those of the caller's project."""
        common.authorize(req, 'identity:list_limits')
        items = manager.get().list_limits(_filters(
            req, ('service_id', 'region_id', 'resource_name', 'project_id', 'domain_id')))
        items = [i for i in items
                 if policy.check(req.context, 'identity:get_limit', _limit_target(i))]
        return common.collection(req, 'limits', items, self.PATH)

    @wsgi.response(201)
    def create(self, req):
        common.authorize(req, 'identity:create_limits')
        body = validation.validate(CREATE_LIMITS, req.json_body())
        items = manager.get().create_limits(body['limits'])
        return {'limits': [common.entity(req, self.PATH, i) for i in items]}

    def show(self, req, limit_id):
        item = manager.get().get_limit(limit_id)
        common.authorize(req, 'identity:get_limit', **_limit_target(item))
        return {'limit': common.entity(req, self.PATH, item)}

    def update(self, req, limit_id):
        common.authorize(req, 'identity:update_limit')
        body = validation.validate(UPDATE_LIMIT, req.json_body())
        item = manager.get().update_limit(limit_id, body['limit'])
        return {'limit': common.entity(req, self.PATH, item)}

    def delete(self, req, limit_id):
        common.authorize(req, 'identity:delete_limit')
        manager.get().delete_limit(limit_id)


def add_routes(router):
    registered = RegisteredLimits()
    router.connect(RegisteredLimits.PATH, registered, GET='index', POST='create')
    router.connect(RegisteredLimits.PATH + '/{registered_limit_id}', registered,
                   GET='show', PATCH='update', DELETE='delete')
    limits = Limits()
    router.connect(Limits.PATH, limits, GET='index', POST='create')
    router.connect(Limits.PATH + '/model', limits, GET='model')
    router.connect(Limits.PATH + '/{limit_id}', limits, GET='show', PATCH='update',
                   DELETE='delete')
