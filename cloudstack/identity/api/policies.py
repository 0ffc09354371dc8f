"""/v3/policies: policy documents stored for services to fetch."""
from cloudstack.api import wsgi
from cloudstack.identity.api import catalog
from cloudstack.identity.api import common
from cloudstack.identity import manager

PATH = '/v3/policies'
POLICY = {'type': 'object', 'properties': {
    'type': {'type': 'string', 'minLength': 1, 'maxLength': 255},
    'blob': {'type': 'string'}}}


def _one(req, policy):
    return {'policy': common.entity(req, PATH, policy)}


class Policies:

    def index(self, req):
        common.authorize(req, 'identity:list_policies')
        policies = manager.get().list_policies(req.GET.get('type'))
        return common.collection(req, 'policies', policies, PATH)

    @wsgi.response(201)
    def create(self, req):
        common.authorize(req, 'identity:create_policy')
        policy = catalog.member(req, 'policy', POLICY, required=('type', 'blob'))
        policy.pop('id', None)
        return _one(req, manager.get().create_policy(policy))

    def show(self, req, policy_id):
        common.authorize(req, 'identity:get_policy')
        return _one(req, manager.get().get_policy(policy_id))

    def update(self, req, policy_id):
        common.authorize(req, 'identity:update_policy')
        changes = catalog.matching_id(
            catalog.member(req, 'policy', POLICY, update=True), policy_id)
        return _one(req, manager.get().update_policy(policy_id, changes))

    def delete(self, req, policy_id):
        common.authorize(req, 'identity:delete_policy')
        manager.get().delete_policy(policy_id)


def add_routes(router):
    policies = Policies()
    router.connect(PATH, policies, GET='index', POST='create')
    router.connect(PATH + '/{policy_id}', policies, GET='show', PATCH='update',
                   DELETE='delete')
