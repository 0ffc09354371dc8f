"""POST/GET/HEAD/DELETE /v3/auth/tokens, revocation, the auth scopes."""
import re
import time

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.identity import keys
from cloudstack.identity import manager
from cloudstack.identity import models
from cloudstack.identity.manager import base
from cloudstack.identity import passwords
from cloudstack.identity import tokens
from cloudstack.identity.manager import bootstrap
from cloudstack.identity.manager import tokens as token_manager
from tests.conftest import ADMIN_PASSWORD

TOKENS = '/identity/v3/auth/tokens'
TIME = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$')


# ---- setup helpers (rows written directly, so these tests need only AUTH)

def add(row):
    with manager.get().write() as s:
        s.add(row)
        s.flush()
        return row.id


def make_domain(name, enabled=True):
    return add(models.Project(name=name, domain_id=models.ROOT_DOMAIN,
                              is_domain=True, enabled=enabled))


def make_project(name, domain_id='default', enabled=True):
    return add(models.Project(name=name, domain_id=domain_id, parent_id=domain_id,
                              enabled=enabled))


def make_user(name, password='secret', domain_id='default', **kw):
    return add(models.User(name=name, domain_id=domain_id,
                           password_hash=passwords.hash_password(password), **kw))


def make_role(name):
    return add(models.Role(name=name))


def grant(role_id, actor_id, target_id, kind='user_project', inherited=False):
    with manager.get().write() as s:
        s.add(models.Assignment(type=kind, actor_id=actor_id, target_id=target_id,
                                role_id=role_id, inherited=inherited))


def ungrant(role_id, actor_id, target_id):
    A = models.Assignment
    with manager.get().write() as s:
        s.execute(sa.delete(A).where(A.role_id == role_id, A.actor_id == actor_id,
                                     A.target_id == target_id))


def update(model, row_id, **values):
    with manager.get().write() as s:
        for k, v in values.items():
            setattr(s.get(model, row_id), k, v)


def password_auth(username, password='secret', scope=None, domain='Default'):
    auth = {'identity': {'methods': ['password'], 'password': {'user': {
        'name': username, 'domain': {'name': domain}, 'password': password}}}}
    if scope is not None:
        auth['scope'] = scope
    return {'auth': auth}


def token_auth(token_id, scope=None):
    auth = {'identity': {'methods': ['token'], 'token': {'id': token_id}}}
    if scope is not None:
        auth['scope'] = scope
    return {'auth': auth}


def role_id(name):
    with db_api.reader() as s:
        return s.scalars(sa.select(models.Role.id).where(models.Role.name == name)).one()


@pytest.fixture
def alice(admin):
    """A member of project 'alpha' (and nothing else); password 'secret'."""
    project = make_project('alpha')
    user = make_user('alice')
    grant(role_id('member'), user, project)
    return {'id': user, 'project': project}


def issue(client, body, status=201):
    resp = client.post(TOKENS, body)
    assert resp.status_int == status, resp.text
    return resp


def validate(client, token_id, query='', status=200):
    resp = client.get(TOKENS + query, headers={'X-Subject-Token': token_id})
    assert resp.status_int == status, resp.text
    return resp


# ---- issue

def test_password_project_scoped_token(admin, client):
    resp = issue(client, password_auth('admin', ADMIN_PASSWORD, scope={
        'project': {'name': 'admin', 'domain': {'id': 'default'}}}))
    token_id = resp.headers['X-Subject-Token']
    assert len(token_id) < 255 and re.fullmatch(r'[A-Za-z0-9_\-]+', token_id)
    token = resp.json['token']
    assert token['methods'] == ['password']
    assert token['user']['name'] == 'admin'
    assert token['user']['domain'] == {'id': 'default', 'name': 'Default'}
    assert token['user']['password_expires_at'] is None
    assert token['project']['name'] == 'admin'
    assert token['project']['domain'] == {'id': 'default', 'name': 'Default'}
    assert token['is_domain'] is False
    assert {r['name'] for r in token['roles']} == {'admin', 'manager', 'member', 'reader'}
    assert len(token['audit_ids']) == 1 and len(token['audit_ids'][0]) == 22
    assert TIME.match(token['expires_at']) and TIME.match(token['issued_at'])
    assert token['expires_at'] > token['issued_at']
    assert sorted(s['type'] for s in token['catalog']) == \
        sorted(t for t, _, _ in bootstrap.SERVICES)
    assert all(len(s['endpoints']) == 3 for s in token['catalog'])


def test_unscoped_token_by_user_id(alice, client):
    body = {'auth': {'identity': {'methods': ['password'], 'password': {
        'user': {'id': alice['id'], 'password': 'secret'}}}}}
    token = issue(client, body).json['token']
    assert token['user']['id'] == alice['id']
    for key in ('project', 'domain', 'system', 'roles', 'catalog'):
        assert key not in token


def test_nocatalog(alice, client):
    resp = client.post(TOKENS + '?nocatalog', password_auth(
        'alice', scope={'project': {'id': alice['project']}}))
    assert resp.status_int == 201
    assert 'catalog' not in resp.json['token']
    assert resp.json['token']['project']['id'] == alice['project']


def test_domain_and_system_scopes(admin, client):
    user = make_user('dora')
    grant(role_id('reader'), user, 'default', kind='user_domain')
    body = password_auth('dora', scope={'domain': {'name': 'Default'}})
    token = issue(client, body).json['token']
    assert token['domain'] == {'id': 'default', 'name': 'Default'}
    assert [r['name'] for r in token['roles']] == ['reader']
    assert 'project' not in token and 'is_domain' not in token

    token = issue(client, password_auth('admin', ADMIN_PASSWORD,
                                        scope={'system': {'all': True}})).json['token']
    assert token['system'] == {'all': True}
    assert 'admin' in {r['name'] for r in token['roles']}
    issue(client, password_auth('dora', scope={'system': {'all': True}}), 401)


@pytest.mark.parametrize('change', ['password', 'unknown', 'user_disabled', 'domain_disabled'])
def test_bad_credentials_are_401(alice, client, change):
    name, password = 'alice', 'secret'
    if change == 'password':
        password = 'wrong'
    elif change == 'unknown':
        name = 'nobody'
    elif change == 'user_disabled':
        update(models.User, alice['id'], enabled=False)
    else:
        domain = make_domain('other')
        make_user('alice', domain_id=domain)
        update(models.Project, domain, enabled=False)
        resp = issue(client, password_auth('alice', domain='other'), 401)
        assert resp.json['error']['code'] == 401
        return
    resp = issue(client, password_auth(name, password), 401)
    assert resp.json['error'] == {
        'code': 401, 'title': 'Unauthorized',
        'message': 'The request you have made requires authentication.'}
    assert resp.headers['WWW-Authenticate'].startswith('Keystone uri=')


def test_expired_password_is_401(alice, client):
    update(models.User, alice['id'],
           password_expires_at=models.utcnow() - token_manager.datetime.timedelta(seconds=1))
    resp = issue(client, password_auth('alice'), 401)
    assert 'expired' in resp.json['error']['message']


def test_scope_errors(alice, client):
    other = make_project('beta')
    issue(client, password_auth('alice', scope={'project': {'id': other}}), 401)
    issue(client, password_auth('alice', scope={'project': {'id': 'missing'}}), 401)
    issue(client, password_auth('alice', scope={'domain': {'id': 'default'}}), 401)
    update(models.Project, alice['project'], enabled=False)
    issue(client, password_auth('alice', scope={'project': {'id': alice['project']}}), 401)


@pytest.mark.parametrize('body', [
    {},
    {'auth': {}},
    {'auth': {'identity': {'password': {}}}},
    {'auth': {'identity': {'methods': ['password']}}},
    {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'alice', 'password': 'secret'}}}}},
    {'auth': {'identity': {'methods': ['token'], 'token': {}}}},
    {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'id': {'x': 1}, 'password': 'secret'}}}}},
    {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'alice', 'domain': {'id': 'default'}, 'password': 7}}}}},
    dict(password_auth('alice', scope={'project': {'id': ['x']}})),
    dict(password_auth('alice', scope={'project': {'id': 'x'}, 'domain': {'id': 'y'}})),
])
def test_malformed_requests_are_400(alice, client, body):
    resp = issue(client, body, 400)
    assert resp.json['error']['code'] == 400


def test_unsupported_method_is_401(alice, client):
    body = {'auth': {'identity': {'methods': ['kerberos'], 'kerberos': {'user': {'id': alice['id']}}}}}
    issue(client, body, 401)


def test_default_project_scoping(alice, client):
    update(models.User, alice['id'], default_project_id=alice['project'])
    token = issue(client, password_auth('alice')).json['token']
    assert token['project']['id'] == alice['project']
    assert 'catalog' in token
    body = password_auth('alice')
    body['auth']['scope'] = 'unscoped'
    assert 'project' not in issue(client, body).json['token']
    # a default project without a role on it gives an unscoped token
    update(models.User, alice['id'], default_project_id=make_project('norole'))
    assert 'project' not in issue(client, password_auth('alice')).json['token']


# ---- rescoping

def test_rescope_unscoped_token(alice, client):
    beta = make_project('beta')
    grant(role_id('reader'), alice['id'], beta)
    first = issue(client, password_auth('alice'))
    unscoped_id, unscoped = first.headers['X-Subject-Token'], first.json['token']
    time.sleep(0.01)
    resp = issue(client, token_auth(unscoped_id, {'project': {
        'name': 'alpha', 'domain': {'id': 'default'}}}))
    scoped_id, scoped = resp.headers['X-Subject-Token'], resp.json['token']
    assert scoped['expires_at'] == unscoped['expires_at']
    assert scoped['issued_at'] > unscoped['issued_at']
    assert set(scoped['methods']) == {'password', 'token'}
    assert scoped['user'] == unscoped['user']
    assert scoped['project']['id'] == alice['project']
    assert {r['name'] for r in scoped['roles']} == {'member', 'reader'}
    assert scoped['audit_ids'][1] == unscoped['audit_ids'][0]
    assert scoped['audit_ids'][0] != unscoped['audit_ids'][0]
    assert isinstance(scoped['catalog'], list)

    # revoking the scoped token leaves the unscoped one usable
    admin_client = client.__class__(client.app, scoped_id)
    assert admin_client.delete(TOKENS, headers={'X-Subject-Token': scoped_id}).status_int == 204
    validate(client.__class__(client.app, unscoped_id), scoped_id, status=404)
    resp = issue(client, token_auth(unscoped_id, {'project': {'id': beta}}))
    again = resp.json['token']
    assert again['project']['id'] == beta
    assert again['audit_ids'][1] == unscoped['audit_ids'][0]
    # rescoping a rescoped token keeps the chain to the original
    chained = issue(client, token_auth(resp.headers['X-Subject-Token'], {
        'project': {'id': alice['project']}})).json['token']
    assert chained['audit_ids'][1] == unscoped['audit_ids'][0]
    assert chained['expires_at'] == unscoped['expires_at']


def test_rescope_errors(admin, client):
    system = issue(client, password_auth('admin', ADMIN_PASSWORD,
                                         scope={'system': {'all': True}}))
    issue(client, token_auth(system.headers['X-Subject-Token'],
                             {'project': {'name': 'admin', 'domain': {'id': 'default'}}}), 403)
    issue(client, token_auth('not-a-token', {'system': {'all': True}}), 404)
    # token plus password of another user
    make_user('eve')
    body = token_auth(admin.token)
    body['auth']['identity']['methods'].append('password')
    body['auth']['identity']['password'] = password_auth('eve')['auth']['identity']['password']
    issue(client, body, 401)


# ---- validate, check, revoke

def test_validate_check_revoke(alice, admin, client):
    resp = issue(client, password_auth('alice', scope={'project': {'id': alice['project']}}))
    token_id, issued = resp.headers['X-Subject-Token'], resp.json['token']
    alice_client = client.__class__(client.app, token_id)

    got = validate(alice_client, token_id)
    assert got.headers['X-Subject-Token'] == token_id
    assert got.json['token'] == issued
    assert 'catalog' not in validate(admin, token_id, '?nocatalog').json['token']
    head = alice_client.head(TOKENS, headers={'X-Subject-Token': token_id})
    assert head.status_int == 200 and head.headers['X-Subject-Token'] == token_id

    # another non-admin user may not look at alice's token
    make_user('bob')
    bob = issue(client, password_auth('bob')).headers['X-Subject-Token']
    resp = validate(client.__class__(client.app, bob), token_id, status=403)
    assert resp.json['error']['code'] == 403
    # a caller token is required
    assert client.get(TOKENS, headers={'X-Subject-Token': token_id}).status_int == 401

    assert alice_client.delete(TOKENS, headers={'X-Subject-Token': token_id}).status_int == 204
    resp = validate(admin, token_id, status=404)
    assert resp.json['error']['code'] == 404
    assert admin.head(TOKENS, headers={'X-Subject-Token': token_id}).status_int == 404
    assert admin.delete(TOKENS, headers={'X-Subject-Token': token_id}).status_int == 404
    # the revoked token no longer authenticates API calls
    assert alice_client.get('/identity/v3/auth/projects').status_int == 401
    validate(admin, 'garbage', status=404)
    validate(admin, '', status=404)


def test_user_revokes_all_its_tokens(alice, admin, client):
    """DELETE /v3/users/{user_id}/tokens (Keystone 30): the user itself or
    an admin; every token issued until then stops working."""
    scoped = password_auth('alice', scope={'project': {'id': alice['project']}})
    first = issue(client, scoped).headers['X-Subject-Token']
    second = issue(client, password_auth('alice')).headers['X-Subject-Token']
    alice_client = client.__class__(client.app, first)
    make_user('bob')
    bob = client.__class__(client.app, issue(client, password_auth('bob'))
                           .headers['X-Subject-Token'])
    path = '/identity/v3/users/%s/tokens' % alice['id']
    assert bob.delete(path).status_int == 403
    assert alice_client.delete(path).status_int == 204
    for token_id in (first, second):
        validate(admin, token_id, status=404)
    assert alice_client.get('/identity/v3/auth/projects').status_int == 401
    # a new token works; an admin revokes it too
    third = issue(client, scoped).headers['X-Subject-Token']
    assert admin.delete(path).status_int == 204
    validate(admin, third, status=404)
    assert admin.delete('/identity/v3/users/missing/tokens').status_int == 404


def _forge(user_id, seconds, **kw):
    """A token of ours whose expiry is `seconds` from now."""
    now = token_manager.now_us()
    p = tokens.Payload(user_id=user_id, methods=['password'], issued_at=now - 10 ** 6,
                       expires_at=now + seconds * 10 ** 6,
                       audit_ids=[tokens.new_audit_id()], **kw)
    mgr = manager.get()
    mgr._fresh_cache()
    return mgr._token_cache().codec.encode(p)


def test_expired_tokens(alice, admin):
    expired = _forge(alice['id'], -5, scope='project', scope_id=alice['project'])
    validate(admin, expired, status=404)
    token = validate(admin, expired, '?allow_expired=1').json['token']
    assert token['project']['id'] == alice['project']
    assert token['expires_at'] < token_manager.isotime(models.utcnow())
    long_ago = _forge(alice['id'], -CONF.token.allow_expired_window_seconds - 5)
    validate(admin, long_ago, '?allow_expired=true', status=404)
    validate(admin, expired, '?allow_expired=maybe', status=400)


def test_validation_rechecks_user_scope_and_roles(alice, admin, client):
    scoped = issue(client, password_auth('alice', scope={
        'project': {'id': alice['project']}})).headers['X-Subject-Token']
    unscoped = issue(client, password_auth('alice')).headers['X-Subject-Token']
    validate(admin, scoped)
    ungrant(role_id('member'), alice['id'], alice['project'])
    validate(admin, scoped, status=404)
    validate(admin, unscoped)
    grant(role_id('member'), alice['id'], alice['project'])
    validate(admin, scoped)
    update(models.Project, alice['project'], enabled=False)
    validate(admin, scoped, status=404)
    validate(admin, unscoped)
    update(models.User, alice['id'], enabled=False)
    validate(admin, unscoped, status=404)


def test_revocation_events(alice, admin, client):
    before = issue(client, password_auth('alice')).headers['X-Subject-Token']
    mgr = manager.get()
    with mgr.write() as s:
        mgr.revoke_tokens(s, user_id=alice['id'])
    validate(admin, before, status=404)
    after = issue(client, password_auth('alice')).headers['X-Subject-Token']
    validate(admin, after)
    # an event must match on every field it has
    with mgr.write() as s:
        mgr.revoke_tokens(s, user_id=alice['id'], project_id=alice['project'])
    validate(admin, after)

    events = admin.get('/identity/v3/OS-REVOKE/events').json['events']
    assert events[0]['user_id'] == alice['id'] and 'project_id' not in events[0]
    assert TIME.match(events[0]['issued_before']) and TIME.match(events[0]['revoked_at'])
    assert events[1]['project_id'] == alice['project']
    assert admin.get('/identity/v3/OS-REVOKE/events?since=2999-01-01T00:00:00Z'
                     ).json['events'] == []
    assert admin.get('/identity/v3/OS-REVOKE/events?since=soon').status_int == 400
    alice_client = client.__class__(client.app, after)
    assert alice_client.get('/identity/v3/OS-REVOKE/events').status_int == 403

    assert mgr.purge_expired_revocations() == 0
    with mgr.write() as s:
        s.execute(sa.update(models.RevocationEvent).values(
            issued_before=models.utcnow() - token_manager.datetime.timedelta(days=30)))
    assert mgr.purge_expired_revocations() == 2


def test_key_rotation(alice, admin, client):
    old = issue(client, password_auth('alice')).headers['X-Subject-Token']
    keys.rotate_fernet()
    validate(admin, old)
    new = issue(client, password_auth('alice')).headers['X-Subject-Token']
    validate(admin, new)
    keys.rotate_fernet()      # max_active_keys=3: the key of `old` is gone
    caller = client.__class__(client.app, new)
    validate(caller, new)
    validate(caller, old, status=404)
    assert admin.get('/identity/v3/auth/projects').status_int == 401


def test_every_identity_write_moves_the_revision_by_one(db):
    mgr = manager.get()
    before = base.current_revision()
    for n in range(40):                     # spread over the revision's rows
        with mgr.write() as s:
            s.add(models.Region(id='r%d' % n, extra={}))
        assert base.current_revision() == before + n + 1
    with pytest.raises(RuntimeError):
        with mgr.write() as s:
            s.add(models.Region(id='never', extra={}))
            raise RuntimeError('rolled back: no bump')
    assert base.current_revision() == before + 40
    with db_api.reader() as s:
        assert 1 < s.scalar(sa.select(sa.func.count()).select_from(models.Revision)) <= \
            base.REVISION_SLOTS


def test_warm_validation_is_one_query(alice, admin):
    if not db_api.is_sqlite():
        pytest.skip("counts statements with SQLite's trace callback")
    token_id = issue(admin, password_auth('alice', scope={
        'project': {'id': alice['project']}})).headers['X-Subject-Token']
    mgr = manager.get()
    mgr.validate_token(token_id)
    statements = []
    engine = db_api.get_engine()

    def trace(dbapi_conn, record, proxy):      # every statement, ORM or raw
        dbapi_conn.set_trace_callback(statements.append)

    event.listen(engine, 'checkout', trace)
    try:
        assert mgr.validate_token(token_id)['user']['id'] == alice['id']
        warm = list(statements)
        manager._manager = None                   # a new worker: cold cache
        assert manager.get().validate_token(token_id)['project']['id'] == alice['project']
    finally:
        event.remove(engine, 'checkout', trace)
    assert [s for s in warm if not s.startswith(('BEGIN', 'ROLLBACK', 'PRAGMA'))] == [
        base.REVISION_QUERY]
    assert len([s for s in statements if s.startswith('SELECT')]) <= 12


# ---- what a token may scope to

def test_auth_scopes_and_catalog(alice, admin, client):
    group = add(models.Group(name='g', domain_id='default'))
    with manager.get().write() as s:
        s.add(models.Membership(user_id=alice['id'], group_id=group))
    dom = make_domain('dom')
    inherited = make_project('child', domain_id=dom)
    grant(role_id('reader'), group, dom, kind='group_domain')
    grant(role_id('reader'), group, dom, kind='group_domain', inherited=True)
    make_project('disabled', domain_id=dom, enabled=False)
    unscoped = issue(client, password_auth('alice')).headers['X-Subject-Token']
    alice_client = client.__class__(client.app, unscoped)

    resp = alice_client.get('/identity/v3/auth/projects')
    assert resp.status_int == 200
    projects = resp.json['projects']
    assert sorted(p['id'] for p in projects) == sorted([alice['project'], inherited])
    assert projects[0]['links']['self'].endswith('/v3/projects/' + projects[0]['id'])
    domains = alice_client.get('/identity/v3/auth/domains').json['domains']
    assert [d['id'] for d in domains] == [dom]
    assert alice_client.get('/identity/v3/auth/system').json['system'] == []
    assert admin.get('/identity/v3/auth/system').json['system'] == [{'all': True}]

    assert alice_client.get('/identity/v3/auth/catalog').status_int == 403
    resp = admin.get('/identity/v3/auth/catalog')
    assert resp.status_int == 200
    assert 'identity' in [s['type'] for s in resp.json['catalog']]
    assert resp.json['links']['self'].endswith('/v3/auth/catalog')
    assert client.get('/identity/v3/auth/projects').status_int == 401
