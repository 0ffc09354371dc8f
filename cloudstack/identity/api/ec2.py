"""/v3/users/{user_id}/credentials/OS-EC2: a user's EC2 access/secret pairs."""
from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack.identity.api import common
from cloudstack.identity import manager

CREATE = {'type': 'object', 'properties': {
    'tenant_id': {'type': 'string', 'minLength': 1, 'maxLength': 64}},
    'required': ['tenant_id']}


def _path(user_id):
    return '/v3/users/%s/credentials/OS-EC2' % user_id


def _linked(req, cred):
    cred['links'] = {'self': common.url(req, '%s/%s' % (_path(cred['user_id']),
                                                        cred['access']))}
    return cred


class EC2Credentials:

    def index(self, req, user_id):
        common.authorize(req, 'identity:ec2_list_credentials', user_id=user_id)
        creds = [_linked(req, c) for c in manager.get().list_ec2_credentials(user_id)]
        return common.collection(req, 'credentials', creds)

    @wsgi.response(201)
    def create(self, req, user_id):
        common.authorize(req, 'identity:ec2_create_credential', user_id=user_id,
                         credential={'user_id': user_id})
        body = validation.validate(CREATE, req.json_body())
        ctx = req.context
        cred = manager.get().create_ec2_credential(
            user_id, body['tenant_id'], trust_id=ctx.trust_id, app_cred_id=ctx.app_cred_id)
        return {'credential': _linked(req, cred)}

    def show(self, req, user_id, credential_id):
        common.authorize(req, 'identity:ec2_get_credential',
                         credential={'user_id': user_id})
        cred = manager.get().get_ec2_credential(user_id, credential_id)
        return {'credential': _linked(req, cred)}

    def delete(self, req, user_id, credential_id):
        common.authorize(req, 'identity:ec2_delete_credential',
                         credential={'user_id': user_id})
        manager.get().delete_ec2_credential(user_id, credential_id)


def add_routes(router):
    ec2 = EC2Credentials()
    router.connect(_path('{user_id}'), ec2, GET='index', POST='create')
    router.connect(_path('{user_id}') + '/{credential_id}', ec2, GET='show',
                   DELETE='delete')
