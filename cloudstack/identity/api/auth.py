"""/v3/auth: issue, validate, check and revoke tokens; the scopes and the
catalog a token may use; OS-REVOKE events."""
import webob

from cloudstack.api import common as api_common
from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.identity.api import common
from cloudstack.identity import manager
from cloudstack.identity.manager import multi_factor
from cloudstack.identity.manager import tokens as token_manager


def caller(req):
    """The request's context; 401 on a public route called without a token."""
    if req.context is None:
        raise exception.Unauthorized('The request you have made requires authentication.')
    return req.context


def federated_groups(ctx):
    """The group ids a federated token's mapping gave its user."""
    federation = ctx.token['user'].get('OS-FEDERATION') or {}
    return [g['id'] for g in federation.get('groups', ())]


def with_catalog(req, token):
    """The token with its catalog (unless ?nocatalog or unscoped) and the
    enabled federation service providers, as Keystone shows them."""
    providers = manager.get().token_service_providers()
    if providers:
        token = dict(token, service_providers=providers)
    if 'nocatalog' in req.GET:
        return token
    catalog = manager.get().token_catalog(token)
    return token if catalog is None else dict(token, catalog=catalog)


class Tokens:
    def issue(self, req):
        body = req.json_body()
        auth = body.get('auth') if isinstance(body, dict) else None
        if not isinstance(auth, dict):
            raise exception.ValidationError("'auth' is a required property.")
        try:
            token_id, token = manager.get().authenticate(
                auth, req.headers.get(multi_factor.RECEIPT_HEADER),
                common.request_facts(req))
        except multi_factor.InsufficientAuthMethods as partial:
            return wsgi.json_response(partial.body, 401,
                                      {multi_factor.RECEIPT_HEADER: partial.receipt_id})
        return wsgi.json_response({'token': with_catalog(req, token)}, 201,
                                  {'X-Subject-Token': token_id})

    @staticmethod
    def _subject(req, rule):
        caller(req)
        allow = api_common.bool_param(req.GET.get('allow_expired', 'false'))
        token_id = req.headers.get('X-Subject-Token', '')
        # The middleware read the identity revision for this request already.
        token = manager.get().validate_token(token_id, allow_expired=allow, recheck=False)
        common.authorize(req, rule, token={'user_id': token['user']['id']})
        return token_id, token

    def validate(self, req):
        token_id, token = self._subject(req, 'identity:validate_token')
        return wsgi.json_response({'token': with_catalog(req, token)}, 200,
                                  {'X-Subject-Token': token_id})

    def check(self, req):
        token_id, _token = self._subject(req, 'identity:check_token')
        resp = webob.Response(status=200, content_type=None)
        resp.headers['X-Subject-Token'] = token_id
        return resp

    def revoke(self, req):
        caller(req)
        token_id = req.headers.get('X-Subject-Token', '')
        token = manager.get().validate_token(token_id, recheck=False)
        common.authorize(req, 'identity:revoke_token', token={'user_id': token['user']['id']})
        manager.get().revoke_token(token_id)


class Scopes:
    def catalog(self, req):
        ctx = caller(req)
        common.authorize(req, 'identity:get_auth_catalog')
        if 'project' not in ctx.token:
            raise exception.Forbidden(
                'A project-scoped token is required to produce a service catalog.')
        return {'catalog': manager.get().token_catalog(ctx.token),
                'links': {'self': common.url(req, '/v3/auth/catalog')}}

    def projects(self, req):
        ctx = caller(req)
        common.authorize(req, 'identity:get_auth_projects')
        return common.collection(req, 'projects', manager.get().list_auth_projects(
            ctx.user_id, federated_groups(ctx)), '/v3/projects')

    def domains(self, req):
        ctx = caller(req)
        common.authorize(req, 'identity:get_auth_domains')
        return common.collection(req, 'domains', manager.get().list_auth_domains(
            ctx.user_id, federated_groups(ctx)), '/v3/domains')

    def system(self, req):
        ctx = caller(req)
        common.authorize(req, 'identity:get_auth_system')
        return {'system': manager.get().list_auth_system(ctx.user_id),
                'links': {'self': common.url(req, '/v3/auth/system')}}


class RevokeEvents:
    def index(self, req):
        common.authorize(req, 'identity:list_revoke_events')
        since = req.GET.get('since')
        if since is not None:
            since = token_manager.parse_time(since, 'since')
        return {'events': manager.get().list_revoke_events(since),
                'links': {'self': req.url, 'previous': None, 'next': None}}


def add_routes(router):
    # Public because POST needs no token; the other verbs check for one.
    router.connect('/v3/auth/tokens', Tokens(), public=True, POST='issue',
                   GET='validate', HEAD='check', DELETE='revoke')
    scopes = Scopes()
    for name in ('catalog', 'projects', 'domains', 'system'):
        router.connect('/v3/auth/' + name, scopes, GET=name)
    router.connect('/v3/OS-REVOKE/events', RevokeEvents(), GET='index')
