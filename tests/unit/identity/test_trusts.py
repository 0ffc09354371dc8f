"""OS-TRUST: trusts and trust-scoped tokens."""
import datetime

import pytest

from tests.unit.identity.test_auth import (
    grant, issue, make_project, make_role, make_user, password_auth, token_auth,
    ungrant, validate)

TRUSTS = '/identity/v3/OS-TRUST/trusts'


@pytest.fixture
def party(admin, client):
    """A trustor holding 'delegated' and 'kept' on a project, and a trustee."""
    project = make_project('trusted')
    trustor = make_user('trustor')
    trustee = make_user('trustee')
    roles = {name: make_role(name) for name in ('delegated', 'kept')}
    for role in roles.values():
        grant(role, trustor, project)
    token = issue(client, password_auth('trustor', scope={'project': {'id': project}}))
    return {'project': project, 'trustor': trustor, 'trustee': trustee, 'roles': roles,
            'client': client.__class__(client.app, token.headers['X-Subject-Token'])}


def trust_body(party, **kw):
    body = {'trustor_user_id': party['trustor'], 'trustee_user_id': party['trustee'],
            'project_id': party['project'], 'impersonation': True,
            'roles': [{'name': 'delegated'}]}
    body.update(kw)
    return {'trust': body}


def create(party, status=201, **kw):
    resp = party['client'].post(TRUSTS, trust_body(party, **kw))
    assert resp.status_int == status, resp.text
    return resp.json.get('trust') or resp.json


def trust_token(client, trust_id, user='trustee', status=201):
    return issue(client, password_auth(user, scope={'OS-TRUST:trust': {'id': trust_id}}), status)


def test_create_show_and_roles(party):
    expires = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).replace(microsecond=0)
    trust = create(party, expires_at=expires.isoformat() + 'Z')
    assert trust['impersonation'] is True
    assert trust['trustor_user_id'] == party['trustor']
    assert trust['trustee_user_id'] == party['trustee']
    assert trust['project_id'] == party['project']
    assert trust['expires_at'] == expires.isoformat() + '.000000Z'
    assert trust['remaining_uses'] is None and trust['allow_redelegation'] is False
    assert [r['name'] for r in trust['roles']] == ['delegated']
    assert trust['roles'][0]['links']['self'].endswith('/v3/roles/' + party['roles']['delegated'])
    assert trust['links']['self'].endswith('/v3/OS-TRUST/trusts/' + trust['id'])

    c = party['client']
    shown = c.get(TRUSTS + '/' + trust['id']).json['trust']
    assert shown == trust
    roles = c.get(TRUSTS + '/%s/roles' % trust['id']).json['roles']
    assert [r['id'] for r in roles] == [party['roles']['delegated']]
    path = TRUSTS + '/%s/roles/' % trust['id']
    role = c.get(path + party['roles']['delegated']).json['role']
    assert role['name'] == 'delegated'
    assert c.head(path + party['roles']['delegated']).status_int == 200
    assert c.get(path + party['roles']['kept']).status_int == 404
    assert c.head(path + party['roles']['kept']).status_int == 404


@pytest.mark.parametrize('change, status', [
    ({'expires_at': 'bad.123Z'}, 400),
    ({'expires_at': '2000-01-01T00:00:00Z'}, 400),
    ({'impersonation': 'yes'}, 400),
    ({'remaining_uses': 0}, 400),
    ({'roles': []}, 400),
    ({'roles': [{'name': 'nonexistent'}]}, 404),
    ({'trustee_user_id': 'nobody'}, 404),
    ({'trustee_user_id': {'id': 'x'}}, 400),
    ({'roles': [{'name': 'member'}]}, 403),          # the trustor lacks it
    ({'trustor_user_id': 'someone-else'}, 403),      # only the trustor creates
])
def test_create_errors(party, change, status):
    resp = create(party, status, **change)
    assert resp['error']['code'] == status


def test_list_and_filters(party, admin):
    trust = create(party)
    c = party['client']
    listed = c.get(TRUSTS + '?trustor_user_id=' + party['trustor']).json['trusts']
    assert [t['id'] for t in listed] == [trust['id']]
    assert 'roles' not in listed[0] and listed[0]['impersonation'] is True
    assert c.get(TRUSTS + '/?trustor_user_id=' + party['trustor']).json['trusts'] == listed
    assert c.get(TRUSTS + '?trustee_user_id=' + party['trustee']).status_int == 403
    assert c.get(TRUSTS).status_int == 403
    assert [t['id'] for t in admin.get(TRUSTS).json['trusts']] == [trust['id']]
    assert admin.get(TRUSTS + '?trustee_user_id=' + party['trustee']).json['trusts'] == listed


@pytest.mark.parametrize('impersonation', [True, False])
def test_trust_scoped_token(party, client, admin, impersonation):
    trust = create(party, impersonation=impersonation)
    resp = trust_token(client, trust['id'])
    token = resp.json['token']
    assert token['user']['id'] == party['trustor' if impersonation else 'trustee']
    assert token['project']['id'] == party['project']
    assert [r['name'] for r in token['roles']] == ['delegated']
    assert token['OS-TRUST:trust'] == {
        'id': trust['id'], 'impersonation': impersonation,
        'trustee_user': {'id': party['trustee']}, 'trustor_user': {'id': party['trustor']}}
    assert 'catalog' in token
    token_id = resp.headers['X-Subject-Token']
    assert validate(admin, token_id).json['token']['OS-TRUST:trust']['id'] == trust['id']
    # a trust-scoped token cannot make another token
    issue(client, token_auth(token_id, {'project': {'id': party['project']}}), 403)
    issue(client, token_auth(token_id), 403)
    # only the trustee may use the trust
    trust_token(client, trust['id'], user='trustor', status=403)

    assert party['client'].delete(TRUSTS + '/' + trust['id']).status_int == 204
    validate(admin, token_id, status=404)
    assert party['client'].get(TRUSTS + '/' + trust['id']).status_int == 404
    assert party['client'].delete(TRUSTS + '/' + trust['id']).status_int == 404
    trust_token(client, trust['id'], status=404)


def test_trust_token_follows_the_trustor(party, client, admin):
    trust = create(party)
    token_id = trust_token(client, trust['id']).headers['X-Subject-Token']
    validate(admin, token_id)
    # the trustor losing the delegated role invalidates the trust's tokens
    ungrant(party['roles']['delegated'], party['trustor'], party['project'])
    validate(admin, token_id, status=404)
    trust_token(client, trust['id'], status=401)


def test_remaining_uses_and_expiry(party, client, admin):
    trust = create(party, remaining_uses=1)
    first = trust_token(client, trust['id'])
    assert first.json['token']['user']['id'] == party['trustor']
    trust_token(client, trust['id'], status=403)
    assert party['client'].get(TRUSTS + '/' + trust['id']).json['trust']['remaining_uses'] == 0
    # the one token made stays valid
    validate(admin, first.headers['X-Subject-Token'])

    soon = datetime.datetime.utcnow() + datetime.timedelta(seconds=90)
    trust = create(party, expires_at=soon.isoformat() + 'Z')
    token = trust_token(client, trust['id']).json['token']
    assert token['expires_at'] == soon.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def test_redelegation(party, client):
    parent = create(party, allow_redelegation=True)
    assert parent['allow_redelegation'] is True and parent['redelegation_count'] == 3
    third = make_user('third')
    resp = trust_token(client, parent['id'])
    as_trustor = client.__class__(client.app, resp.headers['X-Subject-Token'])
    with_trustee = dict(trust_body(party)['trust'], trustee_user_id=third)
    resp = as_trustor.post(TRUSTS, {'trust': with_trustee})
    assert resp.status_int == 201, resp.text
    child = resp.json['trust']
    assert child['redelegated_trust_id'] == parent['id']
    assert child['redelegation_count'] == 2
    # a redelegated trust cannot grant more than its parent
    more = dict(with_trustee, roles=[{'name': 'kept'}])
    assert as_trustor.post(TRUSTS, {'trust': more}).status_int == 403
    # deleting the parent deletes the redelegated trust
    assert party['client'].delete(TRUSTS + '/' + parent['id']).status_int == 204
    assert party['client'].get(TRUSTS + '/' + child['id']).status_int == 404
