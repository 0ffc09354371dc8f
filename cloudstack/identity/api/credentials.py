"""/v3/credentials."""
import json

from cloudstack.api import wsgi
from cloudstack.identity.api import catalog
from cloudstack.identity.api import common
from cloudstack.identity import manager
from cloudstack import policy

PATH = '/v3/credentials'
STRING = {'type': 'string', 'minLength': 1, 'maxLength': 255}
CREDENTIAL = {'type': 'object', 'properties': {
    'type': STRING, 'blob': {'type': 'string'}, 'user_id': STRING,
    'project_id': {'type': ['string', 'null'], 'maxLength': 64}}}


def _one(req, cred):
    return {'credential': common.entity(req, PATH, cred)}


def _target(cred):
    return {'credential': {'user_id': cred['user_id'], 'project_id': cred.get('project_id')}}


class Credentials:

    def index(self, req):
        # Anyone but a system user lists (at most) its own.
        own = {} if req.context.system_scope else {'credential': {'user_id': req.context.user_id}}
        common.authorize(req, 'identity:list_credentials', **own)
        creds = manager.get().list_credentials(user_id=req.GET.get('user_id'),
                                               cred_type=req.GET.get('type'))
        creds = [c for c in creds
                 if policy.check(req.context, 'identity:get_credential', _target(c))]
        return common.collection(req, 'credentials', creds, PATH)

    @wsgi.response(201)
    def create(self, req):
        cred = catalog.member(req, 'credential', CREDENTIAL,
                              required=('type', 'blob', 'user_id'))
        common.authorize(req, 'identity:create_credential', **_target(cred))
        cred.pop('id', None)
        ctx = req.context
        if cred['type'] == 'ec2' and (ctx.trust_id or ctx.app_cred_id):
            # An EC2 credential made with a delegated token keeps its scope.
            try:
                blob = json.loads(cred['blob'])
            except ValueError:
                blob = None
            if isinstance(blob, dict):
                blob.update({k: v for k, v in (('trust_id', ctx.trust_id),
                                               ('app_cred_id', ctx.app_cred_id)) if v})
                cred['blob'] = json.dumps(blob)
        return _one(req, manager.get().create_credential(cred))

    def show(self, req, credential_id):
        cred = manager.get().get_credential(credential_id)
        common.authorize(req, 'identity:get_credential', **_target(cred))
        return _one(req, cred)

    def update(self, req, credential_id):
        changes = catalog.matching_id(
            catalog.member(req, 'credential', CREDENTIAL, update=True), credential_id)
        mgr = manager.get()
        common.authorize(req, 'identity:update_credential',
                         **_target(mgr.get_credential(credential_id)))
        if 'user_id' in changes:
            common.authorize(req, 'identity:update_credential', **_target(changes))
        return _one(req, mgr.update_credential(credential_id, changes))

    def delete(self, req, credential_id):
        mgr = manager.get()
        common.authorize(req, 'identity:delete_credential',
                         **_target(mgr.get_credential(credential_id)))
        mgr.delete_credential(credential_id)


def add_routes(router):
    creds = Credentials()
    router.connect(PATH, creds, GET='index', POST='create')
    router.connect(PATH + '/{credential_id}', creds, GET='show', PATCH='update',
                   DELETE='delete')
