"""/os-server-groups."""
import webob

from cloudstack.compute import manager
from cloudstack.compute.api import common

P = 'os_compute_api:os-server-groups:'
POLICIES = ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']


def _schema(req):
    if common.at_least(req, '2.64'):
        props = {'name': common.NAME, 'policy': {'type': 'string', 'enum': POLICIES},
                 'rules': {'type': 'object', 'properties': {'max_server_per_host': {
                     'type': ['integer', 'string'], 'pattern': '^[0-9]*$', 'minimum': 1}},
                     'additionalProperties': False}}
        required = ['name', 'policy']
    else:
        policies = POLICIES if common.at_least(req, '2.15') else POLICIES[:2]
        props = {'name': common.NAME, 'policies': {
            'type': 'array', 'items': [{'type': 'string', 'enum': policies}],
            'uniqueItems': True, 'minItems': 1, 'maxItems': 1, 'additionalItems': False}}
        required = ['name', 'policies']
    return {'type': 'object', 'properties': {'server_group': {
        'type': 'object', 'properties': props, 'required': required,
        'additionalProperties': False}}, 'required': ['server_group'],
        'additionalProperties': False}


def view(req, g):
    out = {'id': g['id'], 'name': g['name'], 'members': g['members']}
    if common.at_least(req, '2.64'):
        out['policy'] = g['policy']
        out['rules'] = g['rules']
    else:
        out['policies'] = [g['policy']]
        out['metadata'] = {}
    if common.at_least(req, '2.13'):
        out['project_id'] = g['project_id']
        out['user_id'] = g['user_id']
    return out


class ServerGroups:
    def __init__(self):
        self.manager = manager.get()

    def create(self, req):
        common.authorize(req, P + 'create')
        body = common.body(req, _schema(req))['server_group']
        policy = body.get('policy') or body['policies'][0]
        rules = body.get('rules') or {}
        if rules and policy != 'anti-affinity':
            from cloudstack import exception
            raise exception.BadRequest('Only anti-affinity policy supports rules.')
        rules = {k: int(v) for k, v in rules.items()}
        g = self.manager.create_server_group(req.context, body['name'], policy, rules)
        return {'server_group': view(req, g)}

    def index(self, req):
        common.authorize(req, P + 'index')
        all_projects = False
        if common.strip_bool(req.GET.get('all_projects', 'false')):
            all_projects = common.can(req, P + 'index:all_projects')
        limit, _ = common.limit_marker(req)
        offset = int(req.GET.get('offset', 0) or 0)
        found = self.manager.list_server_groups(req.context, all_projects, None, limit,
                                                offset)
        return {'server_groups': [view(req, g) for g in found]}

    def show(self, req, group_id):
        g = self.manager.get_server_group(req.context, group_id)
        common.authorize(req, P + 'show', g['project_id'], g['user_id'])
        return {'server_group': view(req, g)}

    def delete(self, req, group_id):
        g = self.manager.get_server_group(req.context, group_id)
        common.authorize(req, P + 'delete', g['project_id'], g['user_id'])
        self.manager.delete_server_group(req.context, group_id)
        return webob.Response(status=204, content_type=None)


def add_routes(router):
    g = ServerGroups()
    router.connect('/os-server-groups', g, GET='index', POST='create')
    router.connect('/os-server-groups/{group_id}', g, GET='show', DELETE='delete')
