"""/v3/groups and group membership."""
from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack.identity.api import common
from cloudstack.identity.api import projects
from cloudstack.identity.api import users as users_api
from cloudstack.identity import models

PROPS = {'name': projects.NAME, 'domain_id': validation.ID,
         'description': validation.DESCRIPTION}
CREATE = {'type': 'object', 'required': ['group'], 'properties': {'group': {
    'type': 'object', 'required': ['name'], 'properties': PROPS}}}
UPDATE = {'type': 'object', 'required': ['group'], 'properties': {'group': {
    'type': 'object', 'minProperties': 1, 'properties': PROPS}}}


def group_target(group_id, user_id=None):
    target = {'group': common.lookup('group', group_id)}
    if user_id is not None:
        target['user'] = common.lookup('user', user_id)
    return target


class Groups:
    def index(self, req):
        common.authorize(req, 'identity:list_groups', **common.list_target(req, 'group'))
        domain_id = req.context.domain_id

        def query(stmt):
            stmt = common.apply_filters(req, stmt, models.Group, ('name', 'domain_id'))
            return stmt.where(models.Group.domain_id == domain_id) if domain_id else stmt
        items, truncated = projects.mgr().list_groups(query=query)
        return common.collection(req, 'groups', items, '/v3/groups', truncated)

    @wsgi.response(201)
    @validation.body(CREATE)
    def create(self, req, body):
        group = dict(body['group'])
        common.authorize(req, 'identity:create_group', group=dict(group))
        group.setdefault('domain_id', projects.scope_domain_id(req))
        return {'group': common.entity(req, '/v3/groups', projects.mgr().create_group(group))}

    def show(self, req, group_id):
        common.authorize(req, 'identity:get_group', **group_target(group_id))
        return {'group': common.entity(req, '/v3/groups', projects.mgr().get_group(group_id))}

    @validation.body(UPDATE)
    def update(self, req, group_id, body):
        common.authorize(req, 'identity:update_group', **group_target(group_id))
        group = projects.matching_id(dict(body['group']), group_id)
        return {'group': common.entity(req, '/v3/groups',
                                       projects.mgr().update_group(group_id, group))}

    def delete(self, req, group_id):
        common.authorize(req, 'identity:delete_group', **group_target(group_id))
        projects.mgr().delete_group(group_id)

    def users(self, req, group_id):
        common.authorize(req, 'identity:list_users_in_group', **group_target(group_id))
        items, truncated = projects.mgr().list_group_users(
            group_id, query=lambda stmt: common.apply_filters(
                req, stmt, models.User, users_api.FILTERS))
        return common.collection(req, 'users', items, '/v3/users', truncated)

    def add_user(self, req, group_id, user_id):
        common.authorize(req, 'identity:add_user_to_group', **group_target(group_id, user_id))
        projects.mgr().add_user_to_group(group_id, user_id)

    def check_user(self, req, group_id, user_id):
        common.authorize(req, 'identity:check_user_in_group',
                         **group_target(group_id, user_id))
        projects.mgr().check_user_in_group(group_id, user_id)

    def remove_user(self, req, group_id, user_id):
        common.authorize(req, 'identity:remove_user_from_group',
                         **group_target(group_id, user_id))
        projects.mgr().remove_user_from_group(group_id, user_id)


def add_routes(router):
    groups = Groups()
    router.connect('/v3/groups', groups, GET='index', POST='create')
    router.connect('/v3/groups/{group_id}', groups, GET='show', PATCH='update', DELETE='delete')
    router.connect('/v3/groups/{group_id}/users', groups, GET='users')
    router.connect('/v3/groups/{group_id}/users/{user_id}', groups,
                   PUT='add_user', GET='check_user', HEAD='check_user', DELETE='remove_user')
