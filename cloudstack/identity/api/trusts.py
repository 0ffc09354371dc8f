"""/v3/OS-TRUST/trusts."""
import webob

from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.identity.api import common
from cloudstack.identity import manager

PATH = '/v3/OS-TRUST/trusts'


def _role(req, role):
    return common.entity(req, '/v3/roles', dict(role))


def _show(req, trust):
    trust = common.entity(req, PATH, trust)
    if trust.get('roles') is not None:
        trust['roles'] = [_role(req, r) for r in trust['roles']]
        trust['roles_links'] = {'self': common.url(req, '%s/%s/roles' % (PATH, trust['id'])),
                                'previous': None, 'next': None}
    return trust


def _parties(trust):
    return {'trust': {'trustor_user_id': trust['trustor_user_id'],
                      'trustee_user_id': trust['trustee_user_id']}}


class Trusts:
    @wsgi.response(201)
    def create(self, req):
        body = req.json_body()
        trust = body.get('trust') if isinstance(body, dict) else None
        if not isinstance(trust, dict):
            raise exception.ValidationError("'trust' is a required property.")
        common.authorize(req, 'identity:create_trust',
                         trust={'trustor_user_id': trust.get('trustor_user_id')})
        created = manager.get().create_trust(req.context.token, trust)
        return {'trust': _show(req, created)}

    def index(self, req):
        trustor = req.GET.get('trustor_user_id')
        trustee = req.GET.get('trustee_user_id')
        if trustor is not None:
            common.authorize(req, 'identity:list_trusts_for_trustor',
                             trust={'trustor_user_id': trustor})
        if trustee is not None:
            common.authorize(req, 'identity:list_trusts_for_trustee',
                             trust={'trustee_user_id': trustee})
        if trustor is None and trustee is None:
            common.authorize(req, 'identity:list_trusts')
        trusts = manager.get().list_trusts(trustor, trustee)
        return common.collection(req, 'trusts', [_show(req, t) for t in trusts])

    def _get(self, req, trust_id, rule):
        trust = manager.get().get_trust(trust_id)
        common.authorize(req, rule, **_parties(trust))
        return trust

    def show(self, req, trust_id):
        return {'trust': _show(req, self._get(req, trust_id, 'identity:get_trust'))}

    def delete(self, req, trust_id):
        self._get(req, trust_id, 'identity:delete_trust')
        manager.get().delete_trust(trust_id)

    def roles(self, req, trust_id):
        trust = self._get(req, trust_id, 'identity:list_roles_for_trust')
        return {'roles': [_role(req, r) for r in trust['roles']],
                'links': {'self': req.url, 'previous': None, 'next': None}}

    def role(self, req, trust_id, role_id):
        self._get(req, trust_id, 'identity:get_role_for_trust')
        return {'role': _role(req, manager.get().get_trust_role(trust_id, role_id))}

    def check_role(self, req, trust_id, role_id):
        self.role(req, trust_id, role_id)
        return webob.Response(status=200, content_type=None)


def add_routes(router):
    trusts = Trusts()
    for path in (PATH, PATH + '/'):
        router.connect(path, trusts, POST='create', GET='index')
    router.connect(PATH + '/{trust_id}', trusts, GET='show', DELETE='delete')
    router.connect(PATH + '/{trust_id}/roles', trusts, GET='roles')
    router.connect(PATH + '/{trust_id}/roles/{role_id}', trusts, GET='role',
                   HEAD='check_role')
