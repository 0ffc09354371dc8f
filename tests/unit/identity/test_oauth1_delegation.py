"""OS-OAUTH1 delegation: request token, authorization, access token, and
authentication with it, signed by oauthlib's own client."""
import urllib.parse

import pytest
from oauthlib import oauth1

V3 = '/identity/v3'
OAUTH = V3 + '/OS-OAUTH1'
BASE = 'http://localhost'


def signed_post(client, path, oauth_client, body=None, headers=None):
    """POST `path` with the Authorization header oauthlib's Client signs."""
    uri, signed, _ = oauth_client.sign(BASE + path, http_method='POST')
    return client.post(path, body, headers=dict(headers or {}, **signed), token='')


def form(resp):
    assert resp.content_type == 'application/x-www-form-urlencoded', resp.text
    return dict(urllib.parse.parse_qsl(resp.text))


@pytest.fixture
def delegation(admin, client):
    """A consumer, the admin project and its ids, the admin's roles there."""
    consumer = admin.post(OAUTH + '/consumers', {'consumer': {'description': 'app'}}).json[
        'consumer']
    token = admin.get(V3 + '/auth/tokens', headers={'X-Subject-Token': admin.token}).json[
        'token']
    return {'consumer': consumer, 'project_id': token['project']['id'],
            'user_id': token['user']['id'],
            'role_ids': sorted(r['id'] for r in token['roles'])}


def request_token(client, d, secret=None):
    signer = oauth1.Client(d['consumer']['id'], client_secret=secret or d['consumer']['secret'],
                           callback_uri='oob')
    return signed_post(client, OAUTH + '/request_token', signer,
                       headers={'Requested-Project-Id': d['project_id']})


def dance(admin, client, d, role_ids=None):
    """Request token, authorization, access token: the access token's form."""
    resp = request_token(client, d)
    assert resp.status_int == 201, resp.text
    rt = form(resp)
    assert rt['oauth_token'] and rt['oauth_token_secret'] and rt['oauth_expires_at']
    roles = [{'id': r} for r in (role_ids or d['role_ids'][:1])]
    resp = admin.put(OAUTH + '/authorize/' + rt['oauth_token'], {'roles': roles})
    assert resp.status_int == 200, resp.text
    verifier = resp.json['token']['oauth_verifier']
    signer = oauth1.Client(d['consumer']['id'], client_secret=d['consumer']['secret'],
                           resource_owner_key=rt['oauth_token'],
                           resource_owner_secret=rt['oauth_token_secret'], verifier=verifier)
    resp = signed_post(client, OAUTH + '/access_token', signer)
    assert resp.status_int == 201, resp.text
    return form(resp)


def oauth_token(client, d, at, secret=None):
    signer = oauth1.Client(d['consumer']['id'], client_secret=d['consumer']['secret'],
                           resource_owner_key=at['oauth_token'],
                           resource_owner_secret=secret or at['oauth_token_secret'])
    return signed_post(client, V3 + '/auth/tokens', signer, {'auth': {'identity': {
        'methods': ['oauth1'], 'oauth1': {}}}})


def test_the_whole_dance_gives_a_project_scoped_token(admin, client, delegation):
    d = delegation
    at = dance(admin, client, d)
    resp = oauth_token(client, d, at)
    assert resp.status_int == 201, resp.text
    token = resp.json['token']
    assert token['methods'] == ['oauth1']
    assert token['project']['id'] == d['project_id']
    assert token['user']['id'] == d['user_id']
    assert [r['id'] for r in token['roles']] == d['role_ids'][:1]
    assert token['OS-OAUTH1'] == {'access_token_id': at['oauth_token'],
                                  'consumer_id': d['consumer']['id']}
    # the token validates, and cannot be traded for another
    token_id = resp.headers['X-Subject-Token']
    assert admin.get(V3 + '/auth/tokens', headers={
        'X-Subject-Token': token_id}).status_int == 200
    resp = client.post(V3 + '/auth/tokens', {'auth': {'identity': {
        'methods': ['token'], 'token': {'id': token_id}}}})
    assert resp.status_int == 403


def test_signatures_and_verifiers_are_checked(admin, client, delegation):
    d = delegation
    assert request_token(client, d, secret='wrong').status_int == 401
    rt = form(request_token(client, d))
    admin.put(OAUTH + '/authorize/' + rt['oauth_token'], {'roles': [{'id': d['role_ids'][0]}]})
    signer = oauth1.Client(d['consumer']['id'], client_secret=d['consumer']['secret'],
                           resource_owner_key=rt['oauth_token'],
                           resource_owner_secret=rt['oauth_token_secret'], verifier='bad')
    assert signed_post(client, OAUTH + '/access_token', signer).status_int == 401
    at = dance(admin, client, d)
    assert oauth_token(client, d, at, secret='wrong').status_int == 401
    # a request token is good for one access token only
    resp = admin.put(OAUTH + '/authorize/' + rt['oauth_token'], {'roles': [{'name': 'admin'}]})
    assert resp.status_int == 200


def test_authorizing_roles_the_user_does_not_hold(admin, client, delegation):
    rt = form(request_token(client, delegation))
    resp = admin.post(V3 + '/roles', {'role': {'name': 'unheld'}})
    resp = admin.put(OAUTH + '/authorize/' + rt['oauth_token'],
                     {'roles': [{'id': resp.json['role']['id']}]})
    assert resp.status_int == 401
    assert admin.put(OAUTH + '/authorize/nope', {'roles': [{'name': 'admin'}]}).status_int == 404


def test_list_show_roles_and_revoke_access_tokens(admin, client, delegation):
    d = delegation
    at = dance(admin, client, d)
    path = V3 + '/users/%s/OS-OAUTH1/access_tokens' % d['user_id']
    listed = admin.get(path).json['access_tokens']
    assert [t['id'] for t in listed] == [at['oauth_token']]
    shown = admin.get(path + '/' + at['oauth_token']).json['access_token']
    assert shown['consumer_id'] == d['consumer']['id'] and shown['project_id'] == d['project_id']
    assert 'access_secret' not in shown and shown['links']['roles'].endswith('/roles')
    roles = admin.get(path + '/%s/roles' % at['oauth_token']).json['roles']
    assert [r['id'] for r in roles] == d['role_ids'][:1]
    assert admin.get(path + '/%s/roles/%s' % (at['oauth_token'], d['role_ids'][0])).json[
        'role']['id'] == d['role_ids'][0]
    assert admin.get(path + '/%s/roles/nope' % at['oauth_token']).status_int == 404

    token_id = oauth_token(client, d, at).headers['X-Subject-Token']
    assert admin.delete(path + '/' + at['oauth_token']).status_int == 204
    assert admin.get(V3 + '/auth/tokens', headers={
        'X-Subject-Token': token_id}).status_int == 404
    assert oauth_token(client, d, at).status_int == 401
    assert admin.get(path).json['access_tokens'] == []


def test_deleting_the_consumer_revokes_its_tokens(admin, client, delegation):
    d = delegation
    at = dance(admin, client, d)
    token_id = oauth_token(client, d, at).headers['X-Subject-Token']
    assert admin.delete(OAUTH + '/consumers/' + d['consumer']['id']).status_int == 204
    assert admin.get(V3 + '/auth/tokens', headers={
        'X-Subject-Token': token_id}).status_int == 404


def test_an_oauth_token_cannot_authorize_or_manage_access_tokens(admin, client, delegation):
    d = delegation
    at = dance(admin, client, d, role_ids=d['role_ids'])
    token_id = oauth_token(client, d, at).headers['X-Subject-Token']
    rt = form(request_token(client, d))
    resp = client.put(OAUTH + '/authorize/' + rt['oauth_token'],
                      {'roles': [{'id': d['role_ids'][0]}]}, token=token_id)
    assert resp.status_int == 403
    resp = client.get(V3 + '/users/%s/OS-OAUTH1/access_tokens' % d['user_id'], token=token_id)
    assert resp.status_int == 403
