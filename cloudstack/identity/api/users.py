"""/v3/users, a user's password, groups and projects."""
from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack.identity.api import common
from cloudstack.identity.api import projects
from cloudstack.identity.manager import users as users_manager
from cloudstack.identity import models

NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255, 'pattern': r'\S'}
PASSWORD = {'type': ['string', 'null']}
# Keystone's user options: flags, and MFA rules as a list of lists of method names.
FLAG = {'type': ['boolean', 'null']}
MFA_RULES = {'type': ['array', 'null'], 'uniqueItems': True, 'items': {
    'type': 'array', 'minItems': 1, 'uniqueItems': True, 'items': {'type': 'string'}}}
OPTIONS = {'type': 'object', 'additionalProperties': False,
           'properties': {o: MFA_RULES if o == 'multi_factor_auth_rules' else FLAG
                          for o in users_manager.USER_OPTIONS}}
PROPS = {'name': NAME, 'domain_id': validation.ID, 'enabled': validation.BOOLEAN,
         'default_project_id': validation.NULLABLE_ID, 'password': PASSWORD,
         'description': validation.DESCRIPTION, 'options': OPTIONS}
CREATE = {'type': 'object', 'required': ['user'], 'properties': {'user': {
    'type': 'object', 'required': ['name'], 'properties': PROPS}}}
UPDATE = {'type': 'object', 'required': ['user'], 'properties': {'user': {
    'type': 'object', 'minProperties': 1, 'properties': PROPS}}}
PASSWORD_CHANGE = {'type': 'object', 'required': ['user'], 'properties': {'user': {
    'type': 'object', 'required': ['password', 'original_password'],
    'properties': {'password': {'type': 'string'},
                   'original_password': {'type': 'string'}}}}}
FILTERS = ('name', 'enabled', 'domain_id')


def user_target(user_id):
    """The user a rule reads (`target.user.domain_id`) and the path's
    `user_id` (Keystone's `rule:owner`)."""
    return {'user_id': user_id, 'user': common.lookup('user', user_id)}


class Users:
    def index(self, req):
        common.authorize(req, 'identity:list_users', **common.list_target(req))
        domain_id = req.context.domain_id

        def query(stmt):
            stmt = common.apply_filters(req, stmt, models.User, FILTERS)
            return stmt.where(models.User.domain_id == domain_id) if domain_id else stmt
        items, truncated = projects.mgr().list_users(query=query)
        return common.collection(req, 'users', items, '/v3/users', truncated)

    @wsgi.response(201)
    @validation.body(CREATE)
    def create(self, req, body):
        user = dict(body['user'])
        # Judged as the body names it, before the domain defaults (as Keystone).
        common.authorize(req, 'identity:create_user', user=dict(user))
        user.setdefault('domain_id', projects.scope_domain_id(req))
        return {'user': common.entity(req, '/v3/users', projects.mgr().create_user(user))}

    def show(self, req, user_id):
        common.authorize(req, 'identity:get_user', **user_target(user_id))
        return {'user': common.entity(req, '/v3/users', projects.mgr().get_user(user_id))}

    @validation.body(UPDATE)
    def update(self, req, user_id, body):
        common.authorize(req, 'identity:update_user', **user_target(user_id))
        user = projects.matching_id(dict(body['user']), user_id)
        return {'user': common.entity(req, '/v3/users',
                                      projects.mgr().update_user(user_id, user))}

    def delete(self, req, user_id):
        common.authorize(req, 'identity:delete_user', **user_target(user_id))
        projects.mgr().delete_user(user_id)

    def revoke_tokens(self, req, user_id):
        common.authorize(req, 'identity:revoke_tokens_for_user', **user_target(user_id))
        projects.mgr().revoke_user_tokens(user_id)

    @validation.body(PASSWORD_CHANGE)
    def change_password(self, req, user_id, body):
        """Public: the original password authenticates the change."""
        user = body['user']
        projects.mgr().change_password(user_id, user['original_password'], user['password'])

    def list_groups(self, req, user_id):
        common.authorize(req, 'identity:list_groups_for_user', **user_target(user_id))
        items, truncated = projects.mgr().list_user_groups(
            user_id, query=lambda stmt: common.apply_filters(req, stmt, models.Group, ('name',)))
        return common.collection(req, 'groups', items, '/v3/groups', truncated)

    def list_projects(self, req, user_id):
        common.authorize(req, 'identity:list_user_projects', **user_target(user_id))
        items = projects.filter_views(req, projects.mgr().list_user_projects(user_id),
                                      ('domain_id', 'enabled', 'name'))
        return common.collection(req, 'projects', items, '/v3/projects')


def add_routes(router):
    users = Users()
    router.connect('/v3/users', users, GET='index', POST='create')
    router.connect('/v3/users/{user_id}', users, GET='show', PATCH='update', DELETE='delete')
    router.connect('/v3/users/{user_id}/password', users, public=True, POST='change_password')
    router.connect('/v3/users/{user_id}/tokens', users, DELETE='revoke_tokens')
    router.connect('/v3/users/{user_id}/groups', users, GET='list_groups')
    router.connect('/v3/users/{user_id}/projects', users, GET='list_projects')
