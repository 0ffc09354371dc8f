"""OS-FEDERATION: the API, the mapping rules, and the mapped method behind a
trusted front end."""
import json

import pytest
import webob

from cloudstack.conf import CONF
from cloudstack.identity import mapping

V3 = '/identity/v3'
FED = V3 + '/OS-FEDERATION'
IDP = FED + '/identity_providers/myidp'
FRONT_END = '10.1.2.3'


@pytest.fixture
def front_end(conf):
    CONF.set_override('trusted_proxies', [FRONT_END], group='federation')
    CONF.set_override('remote_id_attribute', 'OIDC-iss', group='federation')
    yield
    for name in ('trusted_proxies', 'remote_id_attribute', 'trusted_dashboard'):
        CONF.clear_override(name, group='federation')


def from_front_end(app, path, attributes, remote_addr=FRONT_END, method='POST', query=''):
    """A request as the front end forwards it: attributes in prefixed headers."""
    req = webob.Request.blank(path + query, method=method)
    req.environ['REMOTE_ADDR'] = remote_addr
    req.headers['Accept'] = 'application/json'
    for name, value in attributes.items():
        req.headers['X-Federation-' + name] = value
    return req.get_response(app)


def put(admin, path, key, body, status=201):
    resp = admin.put(path, {key: body})
    assert resp.status_int == status, resp.text
    return resp.json.get(key) if resp.content_length else None


RULES = [
    {'local': [{'user': {'name': '{0}', 'email': '{1}'}},
               {'groups': '{2}', 'domain': {'id': 'default'}}],
     'remote': [{'type': 'OIDC-preferred_username'}, {'type': 'OIDC-email'},
                {'type': 'OIDC-groups', 'whitelist': ['devs', 'ops']},
                {'type': 'OIDC-org', 'any_one_of': ['^acme$'], 'regex': True}]},
    {'local': [{'group': {'name': 'auditors', 'domain': {'name': 'Default'}}}],
     'remote': [{'type': 'OIDC-groups', 'any_one_of': ['audit']},
                {'type': 'OIDC-org', 'not_any_of': ['evil']}]},
]


@pytest.fixture
def federation(admin, front_end):
    """An identity provider, a mapping and a protocol; groups with roles."""
    put(admin, FED + '/mappings/oidc-map', 'mapping', {'rules': RULES})
    put(admin, IDP, 'identity_provider', {'enabled': True,
                                          'remote_ids': ['https://idp.example']})
    put(admin, IDP + '/protocols/openid', 'protocol', {'mapping_id': 'oidc-map'})
    project_id = admin.get(V3 + '/projects?name=admin').json['projects'][0]['id']
    member = admin.get(V3 + '/roles?name=member').json['roles'][0]['id']
    groups = {}
    for name in ('devs', 'ops', 'auditors', 'others'):
        group = admin.post(V3 + '/groups', {'group': {'name': name}}).json['group']
        groups[name] = group['id']
    admin.put('%s/projects/%s/groups/%s/roles/%s' % (V3, project_id, groups['devs'], member))
    return {'project_id': project_id, 'groups': groups}


ALICE = {'OIDC-iss': 'https://idp.example', 'OIDC-preferred_username': 'alice',
         'OIDC-email': 'alice@acme.example', 'OIDC-groups': 'devs;others;audit',
         'OIDC-org': 'acme'}


def fed_auth(app, attributes=ALICE, **kw):
    return from_front_end(app, IDP + '/protocols/openid/auth', attributes, **kw)


def test_identity_provider_crud(admin):
    idp = put(admin, IDP, 'identity_provider', {'description': 'corp',
                                                'remote_ids': ['a', 'b']})
    assert idp['enabled'] is False and idp['remote_ids'] == ['a', 'b']
    assert idp['links']['protocols'].endswith('/identity_providers/myidp/protocols')
    # a domain of its own was made for its users
    domain = admin.get(V3 + '/domains/' + idp['domain_id']).json['domain']
    assert 'myidp' in domain['description']
    assert admin.get(IDP).json['identity_provider'] == idp
    assert [i['id'] for i in admin.get(FED + '/identity_providers?enabled=false').json[
        'identity_providers']] == ['myidp']
    assert admin.get(FED + '/identity_providers?enabled=true').json[
        'identity_providers'] == []
    put(admin, IDP, 'identity_provider', {}, status=409)
    put(admin, FED + '/identity_providers/other', 'identity_provider',
        {'remote_ids': ['b']}, status=409)
    resp = admin.patch(IDP, {'identity_provider': {'enabled': True, 'remote_ids': ['c']}})
    assert resp.status_int == 200 and resp.json['identity_provider']['remote_ids'] == ['c']
    assert admin.patch(IDP, {'identity_provider': {'domain_id': 'default'}}).status_int == 400
    put(admin, FED + '/identity_providers/two', 'identity_provider', {'domain_id': 'nope'},
        status=404)
    assert admin.delete(IDP).status_int == 204
    assert admin.get(IDP).status_int == 404


def test_mappings_protocols_and_service_providers(admin):
    assert admin.put(FED + '/mappings/bad', {'mapping': {'rules': [
        {'local': [{'user': {'name': '{0}'}}], 'remote': []}]}}).status_int == 400
    assert admin.put(FED + '/mappings/bad', {'mapping': {'rules': [{'local': [], 'remote': [
        {'type': 'x', 'any_one_of': ['a'], 'not_any_of': ['b']}]}]}}).status_int == 400
    m = put(admin, FED + '/mappings/m1', 'mapping', {'rules': RULES})
    assert m['rules'] == RULES and m['links']['self'].endswith('/mappings/m1')
    assert [x['id'] for x in admin.get(FED + '/mappings').json['mappings']] == ['m1']
    resp = admin.patch(FED + '/mappings/m1', {'mapping': {'rules': RULES[:1]}})
    assert resp.json['mapping']['rules'] == RULES[:1]

    put(admin, IDP, 'identity_provider', {})
    put(admin, IDP + '/protocols/saml2', 'protocol', {'mapping_id': 'nope'}, status=400)
    proto = put(admin, IDP + '/protocols/saml2', 'protocol', {'mapping_id': 'm1'})
    assert proto['id'] == 'saml2' and proto['mapping_id'] == 'm1'
    assert proto['links']['identity_provider'].endswith('/identity_providers/myidp')
    assert admin.get(IDP + '/protocols').json['protocols'] == [proto]
    assert admin.delete(FED + '/mappings/m1').status_int == 204
    assert admin.delete(IDP + '/protocols/saml2').status_int == 204
    assert admin.get(IDP + '/protocols/saml2').status_int == 404

    sp = put(admin, FED + '/service_providers/sp1', 'service_provider', {
        'auth_url': 'https://sp/v3/OS-FEDERATION/identity_providers/x/protocols/saml2/auth',
        'sp_url': 'https://sp/Shibboleth.sso/SAML2/ECP'})
    assert sp['enabled'] is False and sp['relay_state_prefix'] == 'ss:mem:'
    token = admin.get(V3 + '/auth/tokens', headers={'X-Subject-Token': admin.token}).json
    assert 'service_providers' not in token['token']
    resp = admin.patch(FED + '/service_providers/sp1', {'service_provider': {'enabled': True}})
    assert resp.json['service_provider']['enabled'] is True
    # tokens list the enabled service providers, as Keystone's do
    token = admin.get(V3 + '/auth/tokens', headers={'X-Subject-Token': admin.token}).json
    assert token['token']['service_providers'] == [
        {'id': 'sp1', 'auth_url': sp['auth_url'], 'sp_url': sp['sp_url']}]
    put(admin, FED + '/service_providers/sp2', 'service_provider', {'sp_url': 'x'}, status=400)
    assert admin.delete(FED + '/service_providers/sp1').status_int == 204


def test_mapping_rules_semantics():
    out = mapping.apply('m', RULES, {'OIDC-preferred_username': 'alice',
                                     'OIDC-email': 'a@x', 'OIDC-groups': 'devs;x;ops',
                                     'OIDC-org': 'acme'})
    assert out['user'] == {'name': 'alice', 'email': 'a@x', 'type': 'ephemeral'}
    assert sorted(g['name'] for g in out['group_names']) == ['devs', 'ops']
    # regex any_one_of fails: the first rule does not apply; neither does the second
    with pytest.raises(Exception, match='Could not map'):
        mapping.apply('m', RULES, {'OIDC-preferred_username': 'a', 'OIDC-email': 'e',
                                   'OIDC-groups': 'devs', 'OIDC-org': 'acme-evil'})
    # not_any_of and a blacklist
    rules = [{'local': [{'user': {'name': '{0}', 'type': 'local',
                                  'domain': {'id': 'default'}}},
                        {'group_ids': '{1}'}],
              'remote': [{'type': 'REMOTE_USER'},
                         {'type': 'ids', 'blacklist': ['^b'], 'regex': True},
                         {'type': 'org', 'not_any_of': ['evil']}]}]
    out = mapping.apply('m', rules, {'Remote-User': 'bob', 'ids': 'a1;b2;c3', 'org': 'ok'})
    assert out['user']['type'] == 'local' and sorted(out['group_ids']) == ['a1', 'c3']
    with pytest.raises(Exception):
        mapping.apply('m', rules, {'Remote-User': 'bob', 'ids': 'a1', 'org': 'evil'})


def test_mapped_auth_makes_an_ephemeral_user_with_the_mapped_groups(
        app, admin, federation):
    resp = fed_auth(app)
    assert resp.status_int == 201, resp.text
    token = resp.json['token']
    assert token['methods'] == ['mapped']
    fed = token['user']['OS-FEDERATION']
    assert fed['identity_provider'] == {'id': 'myidp'} and fed['protocol'] == {'id': 'openid'}
    groups = federation['groups']
    assert sorted(g['id'] for g in fed['groups']) == sorted(
        [groups['devs'], groups['auditors']])
    assert token['user']['name'] == 'alice'
    user_id = token['user']['id']
    idp_domain = admin.get(IDP).json['identity_provider']['domain_id']
    assert token['user']['domain']['id'] == idp_domain
    # the same person again is the same shadow user
    again = fed_auth(app).json['token']
    assert again['user']['id'] == user_id

    # the unscoped token sees the project its groups have roles on, and scopes to it
    unscoped = resp.headers['X-Subject-Token']
    listed = admin.get(V3 + '/auth/projects', token=unscoped).json['projects']
    assert [p['id'] for p in listed] == [federation['project_id']]
    assert admin.get(FED + '/projects', token=unscoped).json['projects'] == listed
    resp = admin.post(V3 + '/auth/tokens', {'auth': {
        'identity': {'methods': ['token'], 'token': {'id': unscoped}},
        'scope': {'project': {'id': federation['project_id']}}}}, token='')
    assert resp.status_int == 201, resp.text
    scoped = resp.json['token']
    assert 'member' in [r['name'] for r in scoped['roles']]
    assert 'OS-FEDERATION' in scoped['user'] and sorted(scoped['methods']) == ['mapped',
                                                                              'token']
    # deleting the identity provider removes its users and their tokens
    assert admin.delete(IDP).status_int == 204
    assert admin.get(V3 + '/users/' + user_id).status_int == 404
    assert admin.get(V3 + '/auth/tokens', headers={
        'X-Subject-Token': resp.headers['X-Subject-Token']}).status_int == 404


def test_mapped_auth_to_a_local_user(app, admin, front_end):
    rules = [{'local': [{'user': {'name': '{0}', 'type': 'local',
                                  'domain': {'name': 'Default'}}}],
              'remote': [{'type': 'REMOTE_USER'}]}]
    put(admin, FED + '/mappings/local', 'mapping', {'rules': rules})
    put(admin, IDP, 'identity_provider', {'enabled': True})
    put(admin, IDP + '/protocols/saml2', 'protocol', {'mapping_id': 'local'})
    resp = from_front_end(app, IDP + '/protocols/saml2/auth', {'Remote-User': 'admin'})
    assert resp.status_int == 201, resp.text
    assert resp.json['token']['user']['name'] == 'admin'
    assert resp.json['token']['user']['domain']['id'] == 'default'
    resp = from_front_end(app, IDP + '/protocols/saml2/auth', {'Remote-User': 'nobody'})
    assert resp.status_int == 401


def test_only_a_trusted_front_end_and_a_known_identity_provider(app, admin, federation):
    assert fed_auth(app, remote_addr='10.9.9.9').status_int == 401
    resp = fed_auth(app, dict(ALICE, **{'OIDC-iss': 'https://evil.example'}))
    assert resp.status_int == 403
    attributes = dict(ALICE)
    del attributes['OIDC-iss']
    assert fed_auth(app, attributes).status_int == 400
    admin.patch(IDP, {'identity_provider': {'enabled': False}})
    assert fed_auth(app).status_int == 403
    # by default no front end is trusted
    CONF.clear_override('trusted_proxies', group='federation')
    admin.patch(IDP, {'identity_provider': {'enabled': True}})
    assert fed_auth(app).status_int == 401


def test_websso_posts_the_token_to_a_trusted_dashboard(app, admin, federation):
    dashboard = 'https://horizon.example/auth/websso/'
    CONF.set_override('trusted_dashboard', [dashboard], group='federation')
    resp = from_front_end(app, V3 + '/auth/OS-FEDERATION/websso/openid', ALICE,
                          method='GET', query='?origin=' + dashboard)
    assert resp.status_int == 200, resp.text
    assert 'action="%s"' % dashboard in resp.text and 'name="token"' in resp.text
    resp = from_front_end(app, (IDP + '/protocols/openid/websso').replace(
        FED, V3 + '/auth/OS-FEDERATION'), ALICE, method='GET', query='?origin=' + dashboard)
    assert resp.status_int == 200, resp.text
    resp = from_front_end(app, V3 + '/auth/OS-FEDERATION/websso/openid', ALICE,
                          method='GET', query='?origin=https://evil.example/')
    assert resp.status_int == 401
    assert json.loads(from_front_end(app, V3 + '/auth/OS-FEDERATION/websso/openid', ALICE,
                                     method='GET').text)['error']['code'] == 400
