"""OS-OAUTH1: consumers, request and access tokens, a user's access tokens."""
import webob

from cloudstack.api import validation
from cloudstack import exception
from cloudstack.identity.api import common
from cloudstack.identity import manager
from cloudstack.api import wsgi

PATH = '/v3/OS-OAUTH1/consumers'
CONSUMER = {'type': 'object', 'properties': {
    'consumer': {'type': 'object', 'properties': {
        'description': {'type': ['string', 'null']}}}},
    'required': ['consumer']}
ROLE_REF = {'type': 'object', 'minProperties': 1, 'maxProperties': 1, 'properties': {
    'id': {'type': 'string'}, 'name': {'type': 'string'}}}
AUTHORIZE = {'type': 'object', 'required': ['roles'], 'properties': {
    'roles': {'type': 'array', 'minItems': 1, 'items': ROLE_REF}}}


def _one(req, consumer):
    return {'consumer': common.entity(req, PATH, consumer)}


def _form(token, status=201):
    """An OAuth1 token answer: application/x-www-form-urlencoded."""
    # Keystone writes the values as they are (ids, URL-safe secrets and an
    # ISO time), and clients read them so: no percent-encoding.
    body = 'oauth_token=%s&oauth_token_secret=%s' % (token['id'], token['secret'])
    if token.get('expires_at'):
        body += '&oauth_expires_at=' + token['expires_at']
    resp = webob.Response(status=status, content_type='application/x-www-form-urlencoded',
                          charset=None)
    resp.body = body.encode()
    return resp


class Consumers:

    def index(self, req):
        common.authorize(req, 'identity:list_consumers')
        return common.collection(req, 'consumers', manager.get().list_consumers(), PATH)

    @wsgi.response(201)
    def create(self, req):
        common.authorize(req, 'identity:create_consumer')
        body = validation.validate(CONSUMER, req.json_body())
        return _one(req, manager.get().create_consumer(body['consumer']))

    def show(self, req, consumer_id):
        common.authorize(req, 'identity:get_consumer')
        return _one(req, manager.get().get_consumer(consumer_id))

    def update(self, req, consumer_id):
        common.authorize(req, 'identity:update_consumer')
        changes = validation.validate(CONSUMER, req.json_body())['consumer']
        if changes.get('id', consumer_id) != consumer_id:
            raise exception.ValidationError('Cannot change the ID of a consumer.')
        return _one(req, manager.get().update_consumer(consumer_id, changes))

    def delete(self, req, consumer_id):
        common.authorize(req, 'identity:delete_consumer')
        manager.get().delete_consumer(consumer_id)


class Delegation:
    """Request tokens, their authorization, access tokens: the consumer's
    side is public and authenticated by its OAuth1 signature."""

    def request_token(self, req):
        token = manager.get().create_request_token(
            common.request_facts(req), req.headers.get('Requested-Project-Id'))
        return _form(token)

    def access_token(self, req):
        return _form(manager.get().create_access_token(common.request_facts(req)))

    @validation.body(AUTHORIZE)
    def authorize(self, req, request_token_id, body):
        common.authorize(req, 'identity:authorize_request_token')
        if common.delegated(req):
            raise exception.Forbidden(
                'Cannot authorize a request token with a token issued via delegation.')
        verifier = manager.get().authorize_request_token(
            request_token_id, req.context.user_id, body['roles'])
        return {'token': {'oauth_verifier': verifier}}


def _access_token_view(req, user_id, token):
    base = common.url(req, '/v3/users/%s/OS-OAUTH1/access_tokens/%s' % (user_id, token['id']))
    return dict(token, links={'self': base, 'roles': base + '/roles'})


class AccessTokens:
    """A user's access tokens: /v3/users/{user_id}/OS-OAUTH1/access_tokens."""

    @staticmethod
    def _not_delegated(req):
        if common.delegated(req):
            raise exception.Forbidden('Cannot manage OAuth access tokens with a token '
                                      'issued via delegation.')

    def index(self, req, user_id):
        common.authorize(req, 'identity:list_access_tokens')
        self._not_delegated(req)
        tokens = [_access_token_view(req, user_id, t)
                  for t in manager.get().list_access_tokens(user_id)]
        return common.collection(req, 'access_tokens', tokens)

    def show(self, req, user_id, access_token_id):
        common.authorize(req, 'identity:get_access_token')
        self._not_delegated(req)
        token = manager.get().get_access_token(user_id, access_token_id)
        return {'access_token': _access_token_view(req, user_id, token)}

    def delete(self, req, user_id, access_token_id):
        # Keystone checks this rule for it: the owner may revoke.
        common.authorize(req, 'identity:ec2_delete_credential',
                         credential={'user_id': user_id})
        self._not_delegated(req)
        manager.get().delete_access_token(user_id, access_token_id)

    def roles(self, req, user_id, access_token_id):
        common.authorize(req, 'identity:list_access_token_roles')
        roles = manager.get().list_access_token_roles(user_id, access_token_id)
        return common.collection(req, 'roles', roles, '/v3/roles')

    def role(self, req, user_id, access_token_id, role_id):
        common.authorize(req, 'identity:get_access_token_role')
        role = manager.get().get_access_token_role(user_id, access_token_id, role_id)
        return {'role': common.entity(req, '/v3/roles', role)}


def add_routes(router):
    consumers = Consumers()
    router.connect(PATH, consumers, GET='index', POST='create')
    router.connect(PATH + '/{consumer_id}', consumers, GET='show', PATCH='update',
                   DELETE='delete')
    delegation = Delegation()
    router.connect('/v3/OS-OAUTH1/request_token', delegation, public=True,
                   POST='request_token')
    router.connect('/v3/OS-OAUTH1/access_token', delegation, public=True,
                   POST='access_token')
    router.connect('/v3/OS-OAUTH1/authorize/{request_token_id}', delegation,
                   PUT='authorize')
    tokens = AccessTokens()
    base = '/v3/users/{user_id}/OS-OAUTH1/access_tokens'
    router.connect(base, tokens, GET='index')
    router.connect(base + '/{access_token_id}', tokens, GET='show', DELETE='delete')
    router.connect(base + '/{access_token_id}/roles', tokens, GET='roles')
    router.connect(base + '/{access_token_id}/roles/{role_id}', tokens, GET='role')
