"""/os-keypairs."""
import webob

from cloudstack.api import wsgi
from cloudstack.compute import manager
from cloudstack.compute.api import common

NAME_PATTERN = r'^[a-zA-Z0-9 _-]+$'
NAME_PATTERN_292 = r'^[a-zA-Z0-9 @._-]+$'


def _schema(req):
    props = {'name': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                      'pattern': NAME_PATTERN_292 if common.at_least(req, '2.92')
                      else NAME_PATTERN},
             'public_key': {'type': 'string'}}
    required = ['name']
    if common.at_least(req, '2.2'):
        props['type'] = {'type': 'string', 'enum': ['ssh', 'x509']}
    if common.at_least(req, '2.10'):
        props['user_id'] = {'type': 'string'}
    if common.at_least(req, '2.92'):
        required.append('public_key')
    return {'type': 'object',
            'properties': {'keypair': {'type': 'object', 'properties': props,
                                       'required': required,
                                       'additionalProperties': False}},
            'required': ['keypair'], 'additionalProperties': False}


def view(req, k, detail=False):
    out = {'name': k['name'], 'public_key': k['public_key'],
           'fingerprint': k['fingerprint']}
    if common.at_least(req, '2.2'):
        out['type'] = k['type']
    if detail:
        out.update({'user_id': k['user_id'], 'deleted': False, 'id': k['id'],
                    'created_at': k['created_at'].isoformat(), 'deleted_at': None,
                    'updated_at': None})
    return out


class Keypairs:
    def __init__(self):
        self.manager = manager.get()

    def _user(self, req, value=None):
        if value is None and common.at_least(req, '2.10'):
            value = req.GET.get('user_id')
        return value or req.context.user_id

    def create(self, req):
        body = common.body(req, _schema(req))['keypair']
        user_id = self._user(req, body.get('user_id'))
        common.authorize(req, 'os_compute_api:os-keypairs:create', user_id=user_id)
        k = self.manager.create_keypair(req.context, user_id, body['name'],
                                        body.get('type', 'ssh'), body.get('public_key'))
        out = view(req, k)
        out['user_id'] = k['user_id']
        if 'private_key' in k:
            out['private_key'] = k['private_key']
        return wsgi.json_response({'keypair': out},
                                  201 if common.at_least(req, '2.2') else 200)

    def index(self, req):
        user_id = self._user(req)
        common.authorize(req, 'os_compute_api:os-keypairs:index', user_id=user_id)
        limit = marker = None
        if common.at_least(req, '2.35'):
            limit, marker = common.limit_marker(req)
        found = self.manager.list_keypairs(req.context, user_id, limit, marker)
        out = {'keypairs': [{'keypair': view(req, k)} for k in found]}
        if common.at_least(req, '2.35'):
            more = common.collection_links(req, 'os-keypairs',
                                           [{'id': k['name']} for k in found], limit)
            if more:
                out['keypairs_links'] = more
        return out

    def show(self, req, name):
        user_id = self._user(req)
        common.authorize(req, 'os_compute_api:os-keypairs:show', user_id=user_id)
        return {'keypair': view(req, self.manager.get_keypair(req.context, user_id, name),
                                detail=True)}

    def delete(self, req, name):
        user_id = self._user(req)
        common.authorize(req, 'os_compute_api:os-keypairs:delete', user_id=user_id)
        self.manager.delete_keypair(req.context, user_id, name)
        return webob.Response(status=204 if common.at_least(req, '2.2') else 202,
                              content_type=None)


def add_routes(router):
    k = Keypairs()
    router.connect('/os-keypairs', k, GET='index', POST='create')
    router.connect('/os-keypairs/{name}', k, GET='show', DELETE='delete')
