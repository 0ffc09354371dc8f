"""OS-FEDERATION: identity providers, protocols, mappings, service providers,
federated authentication and WebSSO."""
import html

import webob

from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.identity.api import auth
from cloudstack.identity.api import common
from cloudstack.identity import manager
from cloudstack.identity import models
from cloudstack.conf import CONF

FED = '/v3/OS-FEDERATION'
IDPS = FED + '/identity_providers'
NULLABLE_TEXT = {'type': ['string', 'null']}
URL = {'type': 'string', 'minLength': 1, 'maxLength': 225,
       'pattern': '^[a-zA-Z0-9+.-]+:.+'}
REMOTE_IDS = {'type': ['array', 'null'], 'items': {'type': 'string', 'maxLength': 255},
              'uniqueItems': True}
TTL = {'type': ['integer', 'null'], 'minimum': 0}
IDP_UPDATE = {'description': NULLABLE_TEXT, 'enabled': validation.BOOLEAN,
              'remote_ids': REMOTE_IDS, 'authorization_ttl': TTL}
IDP_CREATE = dict(IDP_UPDATE, domain_id={'type': ['string', 'null'], 'maxLength': 64})
PROTOCOL = {'mapping_id': {'type': 'string', 'minLength': 1, 'maxLength': 64},
            'remote_id_attribute': {'type': 'string', 'maxLength': 64}}
SP = {'auth_url': URL, 'sp_url': URL, 'description': NULLABLE_TEXT,
      'enabled': validation.BOOLEAN, 'relay_state_prefix': NULLABLE_TEXT}
ID_IN_PATH = {'type': 'string', 'minLength': 1, 'maxLength': 64}


def _body(req, key, properties, required=(), update=False):
    entity = {'type': 'object', 'properties': properties, 'additionalProperties': False,
              'required': list(required)}
    if update:
        entity['minProperties'] = 1
    return validation.validate({'type': 'object', 'required': [key],
                                'properties': {key: entity}}, req.json_body())[key]


def _check_id(value):
    validation.validate(ID_IN_PATH, value)


def mgr():
    return manager.get()


def _idp_view(req, idp):
    self_url = common.url(req, '%s/%s' % (IDPS, idp['id']))
    return dict(idp, links={'self': self_url, 'protocols': self_url + '/protocols'})


def _protocol_view(req, protocol):
    protocol = dict(protocol)
    idp_url = common.url(req, '%s/%s' % (IDPS, protocol.pop('idp_id')))
    return dict(protocol, links={'self': '%s/protocols/%s' % (idp_url, protocol['id']),
                                 'identity_provider': idp_url})


class IdentityProviders:
    def index(self, req):
        common.authorize(req, 'identity:list_identity_providers')
        idps = mgr().list_identity_providers(
            lambda stmt: common.apply_filters(req, stmt, models.IdentityProvider,
                                              ('id', 'enabled')))
        return common.collection(req, 'identity_providers',
                                 [_idp_view(req, i) for i in idps])

    def show(self, req, idp_id):
        common.authorize(req, 'identity:get_identity_provider')
        return {'identity_provider': _idp_view(req, mgr().get_identity_provider(idp_id))}

    @wsgi.response(201)
    def create(self, req, idp_id):
        common.authorize(req, 'identity:create_identity_provider')
        _check_id(idp_id)
        body = _body(req, 'identity_provider', IDP_CREATE)
        return {'identity_provider': _idp_view(
            req, mgr().create_identity_provider(idp_id, body))}

    def update(self, req, idp_id):
        common.authorize(req, 'identity:update_identity_provider')
        body = _body(req, 'identity_provider', IDP_UPDATE, update=True)
        return {'identity_provider': _idp_view(
            req, mgr().update_identity_provider(idp_id, body))}

    def delete(self, req, idp_id):
        common.authorize(req, 'identity:delete_identity_provider')
        mgr().delete_identity_provider(idp_id)


class Protocols:
    def index(self, req, idp_id):
        common.authorize(req, 'identity:list_protocols')
        return common.collection(req, 'protocols', [
            _protocol_view(req, p) for p in mgr().list_protocols(idp_id)])

    def show(self, req, idp_id, protocol_id):
        common.authorize(req, 'identity:get_protocol')
        return {'protocol': _protocol_view(req, mgr().get_protocol(idp_id, protocol_id))}

    @wsgi.response(201)
    def create(self, req, idp_id, protocol_id):
        common.authorize(req, 'identity:create_protocol')
        _check_id(protocol_id)
        body = _body(req, 'protocol', PROTOCOL, required=('mapping_id',))
        return {'protocol': _protocol_view(req, mgr().create_protocol(
            idp_id, protocol_id, body))}

    def update(self, req, idp_id, protocol_id):
        common.authorize(req, 'identity:update_protocol')
        body = _body(req, 'protocol', PROTOCOL, required=('mapping_id',))
        return {'protocol': _protocol_view(req, mgr().update_protocol(
            idp_id, protocol_id, body))}

    def delete(self, req, idp_id, protocol_id):
        common.authorize(req, 'identity:delete_protocol')
        mgr().delete_protocol(idp_id, protocol_id)

    def authenticate(self, req, idp_id, protocol_id):
        """Public: the front end authenticated the user for this protocol."""
        return _federated_token(req, idp_id, protocol_id)


def _federated_token(req, idp_id, protocol_id):
    token_id, token = mgr().authenticate(
        {'identity': {'methods': ['mapped'], 'mapped': {
            'identity_provider': idp_id, 'protocol': protocol_id}}},
        request=common.request_facts(req))
    return wsgi.json_response({'token': auth.with_catalog(req, token)}, 201,
                              {'X-Subject-Token': token_id})


def _mapping_body(req, mapping_id):
    body = validation.validate({'type': 'object', 'required': ['mapping'], 'properties': {
        'mapping': {'type': 'object'}}}, req.json_body())['mapping']
    if body.pop('id', mapping_id) != mapping_id:    # the CLI repeats the id
        raise exception.ValidationError('Cannot change the ID of a mapping.')
    return body


def _mapping_view(req, mapping):
    return common.entity(req, FED + '/mappings', dict(mapping))


class Mappings:
    def index(self, req):
        common.authorize(req, 'identity:list_mappings')
        return common.collection(req, 'mappings', mgr().list_mappings(), FED + '/mappings')

    def show(self, req, mapping_id):
        common.authorize(req, 'identity:get_mapping')
        return {'mapping': _mapping_view(req, mgr().get_mapping(mapping_id))}

    @wsgi.response(201)
    def create(self, req, mapping_id):
        common.authorize(req, 'identity:create_mapping')
        _check_id(mapping_id)
        return {'mapping': _mapping_view(req, mgr().create_mapping(
            mapping_id, _mapping_body(req, mapping_id)))}

    def update(self, req, mapping_id):
        common.authorize(req, 'identity:update_mapping')
        return {'mapping': _mapping_view(req, mgr().update_mapping(
            mapping_id, _mapping_body(req, mapping_id)))}

    def delete(self, req, mapping_id):
        common.authorize(req, 'identity:delete_mapping')
        mgr().delete_mapping(mapping_id)


class ServiceProviders:
    PATH = FED + '/service_providers'

    def index(self, req):
        common.authorize(req, 'identity:list_service_providers')
        sps = mgr().list_service_providers(
            lambda stmt: common.apply_filters(req, stmt, models.ServiceProvider,
                                              ('id', 'enabled')))
        return common.collection(req, 'service_providers', sps, self.PATH)

    def show(self, req, sp_id):
        common.authorize(req, 'identity:get_service_provider')
        return {'service_provider': common.entity(req, self.PATH,
                                                  mgr().get_service_provider(sp_id))}

    @wsgi.response(201)
    def create(self, req, sp_id):
        common.authorize(req, 'identity:create_service_provider')
        _check_id(sp_id)
        body = _body(req, 'service_provider', SP, required=('auth_url', 'sp_url'))
        return {'service_provider': common.entity(
            req, self.PATH, mgr().create_service_provider(sp_id, body))}

    def update(self, req, sp_id):
        common.authorize(req, 'identity:update_service_provider')
        body = _body(req, 'service_provider', SP, update=True)
        return {'service_provider': common.entity(
            req, self.PATH, mgr().update_service_provider(sp_id, body))}

    def delete(self, req, sp_id):
        common.authorize(req, 'identity:delete_service_provider')
        mgr().delete_service_provider(sp_id)


WEBSSO_PAGE = '''<!DOCTYPE html>
<html><head><title>Signing in</title></head>
<body onload="document.getElementById('websso').submit()">
<form id="websso" method="post" action="{origin}">
<input type="hidden" name="token" value="{token}">
<noscript><p>Continue to the dashboard:</p><button type="submit">Continue</button></noscript>
</form>
</body></html>
'''


class WebSSO:
    """The dashboard sends the browser here (behind the front end that signs
    the user in); the token goes back to the dashboard in a form post."""

    @staticmethod
    def _origin(req):
        origin = req.params.get('origin')
        if not origin:
            raise exception.ValidationError('Request must have an origin query parameter')
        if origin not in CONF.federation.trusted_dashboard:
            raise exception.Unauthorized('%s is not a trusted dashboard host' % origin)
        return origin

    def _page(self, req, origin, idp_id, protocol_id):
        token_id, _token = mgr().authenticate(
            {'identity': {'methods': ['mapped'], 'mapped': {
                'identity_provider': idp_id, 'protocol': protocol_id}}},
            request=common.request_facts(req))
        resp = webob.Response(status=200, content_type='text/html', charset='utf-8')
        resp.text = WEBSSO_PAGE.format(origin=html.escape(origin, quote=True),
                                       token=html.escape(token_id, quote=True))
        return resp

    def by_protocol(self, req, protocol_id):
        origin = self._origin(req)
        remote_id = mgr().remote_id_of(common.request_facts(req))
        if not remote_id:
            raise exception.Unauthorized('Could not find Identity Provider identifier '
                                         'in environment')
        return self._page(req, origin, mgr().find_identity_provider_by_remote_id(remote_id),
                          protocol_id)

    def by_idp(self, req, idp_id, protocol_id):
        return self._page(req, self._origin(req), idp_id, protocol_id)


def add_routes(router):
    idps = IdentityProviders()
    router.connect(IDPS, idps, GET='index')
    router.connect(IDPS + '/{idp_id}', idps, GET='show', PUT='create', PATCH='update',
                   DELETE='delete')
    protocols = Protocols()
    router.connect(IDPS + '/{idp_id}/protocols', protocols, GET='index')
    router.connect(IDPS + '/{idp_id}/protocols/{protocol_id}', protocols, GET='show',
                   PUT='create', PATCH='update', DELETE='delete')
    router.connect(IDPS + '/{idp_id}/protocols/{protocol_id}/auth', protocols,
                   public=True, GET='authenticate', POST='authenticate')
    mappings = Mappings()
    router.connect(FED + '/mappings', mappings, GET='index')
    router.connect(FED + '/mappings/{mapping_id}', mappings, GET='show', PUT='create',
                   PATCH='update', DELETE='delete')
    sps = ServiceProviders()
    router.connect(FED + '/service_providers', sps, GET='index')
    router.connect(FED + '/service_providers/{sp_id}', sps, GET='show', PUT='create',
                   PATCH='update', DELETE='delete')
    # Keystone's older names for /v3/auth/projects and /v3/auth/domains.
    scopes = auth.Scopes()
    router.connect(FED + '/projects', scopes, GET='projects')
    router.connect(FED + '/domains', scopes, GET='domains')
    websso = WebSSO()
    router.connect('/v3/auth/OS-FEDERATION/websso/{protocol_id}', websso, public=True,
                   GET='by_protocol', POST='by_protocol')
    router.connect('/v3/auth/OS-FEDERATION/identity_providers/{idp_id}/protocols/'
                   '{protocol_id}/websso', websso, public=True, GET='by_idp', POST='by_idp')
