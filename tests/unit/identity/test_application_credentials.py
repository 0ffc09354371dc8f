"""Application credentials, their tokens, and access rules."""
import datetime

import pytest

from cloudstack.identity import models
from tests.unit.identity.test_auth import (
    grant, issue, make_project, make_role, make_user, password_auth, role_id, update,
    validate)


@pytest.fixture
def owner(admin, client):
    """A user with member (so also reader) and 'extra' on a project, and a client
    holding its project-scoped token."""
    project = make_project('apps')
    user = make_user('owner')
    extra = make_role('extra')
    grant(role_id('member'), user, project)
    grant(extra, user, project)
    resp = issue(client, password_auth('owner', scope={'project': {'id': project}}))
    return {'id': user, 'project': project, 'extra': extra,
            'path': '/identity/v3/users/%s/application_credentials' % user,
            'rules': '/identity/v3/users/%s/access_rules' % user,
            'client': client.__class__(client.app, resp.headers['X-Subject-Token'])}


def create(owner, status=201, client=None, **body):
    body.setdefault('name', 'cred')
    resp = (client or owner['client']).post(owner['path'], {'application_credential': body})
    assert resp.status_int == status, resp.text
    return resp.json.get('application_credential') or resp.json


def app_cred_auth(**cred):
    return {'auth': {'identity': {'methods': ['application_credential'],
                                  'application_credential': cred}}}


def test_create_show_list_delete(owner):
    cred = create(owner, description='for ci')
    assert len(cred['secret']) >= 64
    assert cred['project_id'] == owner['project']
    assert cred['unrestricted'] is False and cred['expires_at'] is None
    assert cred['description'] == 'for ci' and cred['access_rules'] == []
    assert {r['name'] for r in cred['roles']} == {'member', 'reader', 'extra'}
    assert cred['links']['self'].endswith('/application_credentials/' + cred['id'])
    c = owner['client']
    shown = c.get(owner['path'] + '/' + cred['id']).json['application_credential']
    assert 'secret' not in shown
    assert shown == {k: v for k, v in cred.items() if k != 'secret'}
    create(owner, name='second')
    assert len(c.get(owner['path']).json['application_credentials']) == 2
    listed = c.get(owner['path'] + '?name=second').json['application_credentials']
    assert [x['name'] for x in listed] == ['second']
    assert all('secret' not in x for x in listed)
    create(owner, 409)
    assert c.delete(owner['path'] + '/' + cred['id']).status_int == 204
    assert c.get(owner['path'] + '/' + cred['id']).status_int == 404
    assert c.delete(owner['path'] + '/' + cred['id']).status_int == 404


def test_roles_expiry_and_errors(owner):
    cred = create(owner, roles=[{'id': owner['extra']}], secret='my-secret')
    assert [r['id'] for r in cred['roles']] == [owner['extra']]
    assert cred['secret'] == 'my-secret'
    expires = datetime.datetime.utcnow() + datetime.timedelta(hours=1)
    cred = create(owner, name='expiring', expires_at=expires.isoformat())
    assert cred['expires_at'] == expires.isoformat()
    assert create(owner, 404, name='x', roles=[{'name': 'admin'}])['error']['code'] == 404
    create(owner, 400, name='y', expires_at='tomorrow')
    create(owner, 400, name='')
    create(owner, 400, name='z', access_rules=[{'service': 'compute', 'path': '/',
                                                 'method': 'BREW'}])


def test_policy_owner_only(owner, client, admin):
    make_user('other')
    other = issue(client, password_auth('other')).headers['X-Subject-Token']
    other_client = client.__class__(client.app, other)
    assert other_client.get(owner['path']).status_int == 403
    create(owner, 403, client=other_client)
    create(owner, 403, client=admin)       # only the owner creates
    create(owner, name='mine')
    assert len(admin.get(owner['path']).json['application_credentials']) == 1
    # an unscoped token cannot create one
    unscoped = issue(client, password_auth('owner')).headers['X-Subject-Token']
    create(owner, 400, client=client.__class__(client.app, unscoped), name='u')


def test_authenticate(owner, client, admin):
    cred = create(owner, roles=[{'name': 'extra'}])
    resp = issue(client, app_cred_auth(id=cred['id'], secret=cred['secret']))
    token = resp.json['token']
    assert token['methods'] == ['application_credential']
    assert token['user']['id'] == owner['id']
    assert token['project']['id'] == owner['project']
    assert [r['id'] for r in token['roles']] == [owner['extra']]
    assert token['application_credential'] == {
        'id': cred['id'], 'name': 'cred', 'restricted': True}
    assert 'catalog' in token
    token_id = resp.headers['X-Subject-Token']
    assert validate(admin, token_id).json['token'] == token

    by_name = app_cred_auth(name='cred', secret=cred['secret'],
                            user={'name': 'owner', 'domain': {'id': 'default'}})
    assert issue(client, by_name).json['token']['application_credential']['id'] == cred['id']
    issue(client, app_cred_auth(id=cred['id'], secret='wrong'), 401)
    issue(client, app_cred_auth(id='missing', secret='x'), 401)
    other = make_project('other')
    body = app_cred_auth(id=cred['id'], secret=cred['secret'])
    body['auth']['scope'] = {'project': {'id': other}}
    issue(client, body, 401)

    # deleting the credential ends its tokens
    assert owner['client'].delete(owner['path'] + '/' + cred['id']).status_int == 204
    validate(admin, token_id, status=404)


def test_expired_credential_cannot_authenticate(owner, client):
    cred = create(owner)
    update(models.ApplicationCredential, cred['id'],
           expires_at=models.utcnow() - datetime.timedelta(seconds=1))
    issue(client, app_cred_auth(id=cred['id'], secret=cred['secret']), 401)


def test_token_expiry_capped_by_credential(owner, client):
    soon = datetime.datetime.utcnow() + datetime.timedelta(seconds=120)
    cred = create(owner, expires_at=soon.isoformat())
    token = issue(client, app_cred_auth(id=cred['id'], secret=cred['secret'])).json['token']
    assert token['expires_at'] == soon.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def test_restricted_credentials_cannot_delegate(owner, client):
    restricted = create(owner, name='restricted')
    unrestricted = create(owner, name='free', unrestricted=True)
    for cred, status in ((restricted, 403), (unrestricted, 201)):
        token = issue(client, app_cred_auth(id=cred['id'], secret=cred['secret']))
        c = client.__class__(client.app, token.headers['X-Subject-Token'])
        create(owner, status, client=c, name='from-' + cred['name'])
        trust = {'trust': {'trustor_user_id': owner['id'], 'trustee_user_id': owner['id'],
                           'project_id': owner['project'], 'impersonation': False,
                           'roles': [{'name': 'member'}]}}
        assert c.post('/identity/v3/OS-TRUST/trusts', trust).status_int == status
        # nor rescope their token
        body = {'auth': {'identity': {'methods': ['token'], 'token': {
            'id': token.headers['X-Subject-Token']}}}}
        issue(client, body, 403)


def test_access_rules(owner):
    rules = [{'path': '/v2.1/servers/*/ips', 'method': 'GET', 'service': 'compute'}]
    cred = create(owner, access_rules=rules)
    rule = dict(cred['access_rules'][0])
    rule_id = rule.pop('id')
    assert rule == rules[0]
    c = owner['client']
    listed = c.get(owner['rules']).json['access_rules']
    assert [r['id'] for r in listed] == [rule_id]
    assert listed[0]['links']['self'].endswith('/access_rules/' + rule_id)
    shown = c.get(owner['rules'] + '/' + rule_id).json['access_rule']
    assert shown['service'] == 'compute'
    # the same rule is reused, by value or by id
    again = create(owner, name='again', access_rules=rules)
    by_id = create(owner, name='by-id', access_rules=[{'id': rule_id}])
    assert again['access_rules'][0]['id'] == by_id['access_rules'][0]['id'] == rule_id
    assert len(c.get(owner['rules']).json['access_rules']) == 1

    token = issue(c, app_cred_auth(id=cred['id'], secret=cred['secret'])).json['token']
    assert token['application_credential']['access_rules'] == [dict(rules[0], id=rule_id)]

    assert c.delete(owner['rules'] + '/' + rule_id).status_int == 403
    for x in (cred, again, by_id):
        assert c.delete(owner['path'] + '/' + x['id']).status_int == 204
    assert c.delete(owner['rules'] + '/' + rule_id).status_int == 204
    assert c.get(owner['rules']).json['access_rules'] == []
    assert c.get(owner['rules'] + '/' + rule_id).status_int == 404
