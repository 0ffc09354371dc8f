"""Roles, domain-specific roles and implied roles (role inference rules)."""
from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.identity import manager
from cloudstack.identity import models
from cloudstack.identity.api import common

OPTIONS = {'type': 'object',
           'properties': {'immutable': {'type': ['boolean', 'null']}},
           'additionalProperties': False}
ROLE = {
    'name': dict(validation.NAME, pattern=r'\S'),
    'description': validation.DESCRIPTION,
    'domain_id': validation.NULLABLE_ID,
    'options': OPTIONS,
}
CREATE = {'type': 'object', 'required': ['role'], 'properties': {'role': {
    'type': 'object', 'properties': ROLE, 'required': ['name']}}}
UPDATE = {'type': 'object', 'required': ['role'], 'properties': {'role': {
    'type': 'object', 'properties': ROLE, 'minProperties': 1}}}


def _role(req, role):
    return common.entity(req, '/v3/roles', role)


def _authorize(req, action, role):
    """Domain-specific roles have their own rules (e.g. get_domain_role)."""
    rule = 'identity:%s_%s' % (action, 'domain_role' if role.get('domain_id') else 'role')
    common.authorize(req, rule, role=role)


def _load(req, action, role_id):
    """The role, once the caller may `action` it; a missing role is a 404
    only for callers allowed to act on global roles."""
    try:
        role = manager.get().get_role(role_id)
    except exception.NotFound:
        _authorize(req, action, {})
        raise
    _authorize(req, action, role)
    return role


class Roles:
    def index(self, req):
        domain_id = req.GET.get('domain_id') or None
        common.authorize(req, 'identity:list_domain_roles' if domain_id
                         else 'identity:list_roles', domain_id=domain_id)
        roles = manager.get().list_roles(domain_id, refine=lambda stmt: common.apply_filters(
            req, stmt, models.Role, ['name']))
        return common.collection(req, 'roles', roles, '/v3/roles')

    def show(self, req, role_id):
        role = _load(req, 'get', role_id)
        return {'role': _role(req, role)}

    @wsgi.response(201)
    @validation.body(CREATE)
    def create(self, req, body):
        _authorize(req, 'create', body['role'])
        return {'role': _role(req, manager.get().create_role(body['role']))}

    @validation.body(UPDATE)
    def update(self, req, role_id, body):
        _load(req, 'update', role_id)
        return {'role': _role(req, manager.get().update_role(role_id, body['role']))}

    def delete(self, req, role_id):
        _load(req, 'delete', role_id)
        manager.get().delete_role(role_id)


def _brief(req, role):
    return {'id': role['id'], 'name': role['name'],
            'links': {'self': common.url(req, '/v3/roles/%s' % role['id'])}}


class ImpliedRoles:
    def _inference(self, req, prior, implied):
        return {'role_inference': {'prior_role': _brief(req, prior),
                                   'implies': _brief(req, implied)},
                'links': {'self': common.url(req, '/v3/roles/%s/implies/%s' % (
                    prior['id'], implied['id']))}}

    def index(self, req, prior_role_id):
        common.authorize(req, 'identity:list_implied_roles')
        prior, implied = manager.get().list_implied_roles(prior_role_id)
        return {'role_inference': {'prior_role': _brief(req, prior),
                                   'implies': [_brief(req, r) for r in implied]},
                'links': {'self': common.url(req, '/v3/roles/%s/implies' % prior_role_id)}}

    def show(self, req, prior_role_id, implied_role_id):
        common.authorize(req, 'identity:get_implied_role')
        return self._inference(
            req, *manager.get().get_implied_role(prior_role_id, implied_role_id))

    def check(self, req, prior_role_id, implied_role_id):
        common.authorize(req, 'identity:check_implied_role')
        manager.get().get_implied_role(prior_role_id, implied_role_id)

    @wsgi.response(201)
    def create(self, req, prior_role_id, implied_role_id):
        common.authorize(req, 'identity:create_implied_role')
        return self._inference(
            req, *manager.get().create_implied_role(prior_role_id, implied_role_id))

    def delete(self, req, prior_role_id, implied_role_id):
        common.authorize(req, 'identity:delete_implied_role')
        manager.get().delete_implied_role(prior_role_id, implied_role_id)

    def rules(self, req):
        common.authorize(req, 'identity:list_role_inference_rules')
        rules = [{'prior_role': _brief(req, prior),
                  'implies': [_brief(req, r) for r in implied]}
                 for prior, implied in manager.get().list_role_inference_rules()]
        return {'role_inferences': rules,
                'links': {'self': common.url(req, '/v3/role_inferences'),
                          'previous': None, 'next': None}}


def add_routes(router):
    roles, implied = Roles(), ImpliedRoles()
    router.connect('/v3/roles', roles, GET='index', POST='create')
    router.connect('/v3/roles/{role_id}', roles, GET='show', PATCH='update',
                   DELETE='delete')
    router.connect('/v3/roles/{prior_role_id}/implies', implied, GET='index')
    router.connect('/v3/roles/{prior_role_id}/implies/{implied_role_id}', implied,
                   GET='show', HEAD='check', PUT='create', DELETE='delete')
    router.connect('/v3/role_inferences', implied, GET='rules')
