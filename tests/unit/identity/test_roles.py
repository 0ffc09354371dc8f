"""Roles, domain-specific roles and implied roles through the v3 API."""
import uuid

import pytest
import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.identity import manager
from cloudstack.identity import models

ROLES = '/identity/v3/roles'


def _name(prefix='role'):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:8])


def _create(admin, **role):
    role.setdefault('name', _name())
    resp = admin.post(ROLES, {'role': role})
    assert resp.status_int == 201, resp.text
    return resp.json['role']


@pytest.fixture
def domain(admin):
    return manager.get().create_domain({'name': _name('dom')})


def test_role_create_show_update_list_delete(admin):
    role = _create(admin, name='ops', description='operators')
    assert role == {
        'id': role['id'], 'name': 'ops', 'description': 'operators',
        'domain_id': None, 'options': {},
        'links': {'self': 'http://localhost/identity/v3/roles/%s' % role['id']}}

    resp = admin.get('%s/%s' % (ROLES, role['id']))
    assert resp.status_int == 200
    assert resp.json['role'] == role

    resp = admin.patch('%s/%s' % (ROLES, role['id']), {'role': {'name': 'ops2'}})
    assert resp.status_int == 200, resp.text
    assert resp.json['role']['name'] == 'ops2'
    assert resp.json['role']['description'] == 'operators'
    role['name'] = 'ops2'

    listed = admin.get(ROLES).json
    assert role in listed['roles']
    assert {'admin', 'member', 'reader'} <= {r['name'] for r in listed['roles']}
    assert listed['links']['self'].endswith('/v3/roles')

    assert admin.delete('%s/%s' % (ROLES, role['id'])).status_int == 204
    resp = admin.get('%s/%s' % (ROLES, role['id']))
    assert resp.status_int == 404
    assert resp.json['error']['code'] == 404


def test_role_name_filter_and_conflicts(admin):
    role = _create(admin, name='auditor')
    resp = admin.get(ROLES + '?name=auditor')
    assert [r['id'] for r in resp.json['roles']] == [role['id']]

    resp = admin.post(ROLES, {'role': {'name': 'auditor'}})
    assert resp.status_int == 409
    other = _create(admin)
    resp = admin.patch('%s/%s' % (ROLES, other['id']), {'role': {'name': 'auditor'}})
    assert resp.status_int == 409


def test_role_validation(admin):
    assert admin.post(ROLES, {'role': {}}).status_int == 400
    assert admin.post(ROLES, {'role': {'name': ''}}).status_int == 400
    assert admin.post(ROLES, {}).status_int == 400
    assert admin.post(ROLES, {'role': {'name': _name(), 'options': {'bogus': 1}}}).status_int == 400
    role = _create(admin)
    resp = admin.patch('%s/%s' % (ROLES, role['id']), {'role': {}})
    assert resp.status_int == 400
    resp = admin.patch('%s/%s' % (ROLES, role['id']), {'role': {'domain_id': 'default'}})
    assert resp.status_int == 400
    assert admin.patch('%s/missing' % ROLES, {'role': {'name': 'x'}}).status_int == 404
    assert admin.delete('%s/missing' % ROLES).status_int == 404


def test_role_extra_attributes_are_kept(admin):
    role = _create(admin, color='blue')
    assert role['color'] == 'blue'
    assert admin.get('%s/%s' % (ROLES, role['id'])).json['role']['color'] == 'blue'


def test_immutable_role(admin):
    role = _create(admin, options={'immutable': True})
    assert role['options'] == {'immutable': True}
    url = '%s/%s' % (ROLES, role['id'])
    assert admin.patch(url, {'role': {'name': _name()}}).status_int == 403
    assert admin.delete(url).status_int == 403

    resp = admin.patch(url, {'role': {'options': {'immutable': False}}})
    assert resp.status_int == 200, resp.text
    assert resp.json['role']['options'] == {'immutable': False}
    resp = admin.patch(url, {'role': {'options': {'immutable': None}}})
    assert resp.json['role']['options'] == {}
    assert admin.delete(url).status_int == 204


def test_domain_roles(admin, domain):
    global_role = _create(admin, name='dev')
    # The same name is free in a domain, but taken twice in one domain.
    domain_role = _create(admin, name='dev', domain_id=domain['id'])
    assert domain_role['domain_id'] == domain['id']
    resp = admin.post(ROLES, {'role': {'name': 'dev', 'domain_id': domain['id']}})
    assert resp.status_int == 409

    resp = admin.get(ROLES + '?domain_id=%s' % domain['id'])
    assert resp.json['roles'] == [domain_role]
    assert domain_role['id'] not in [r['id'] for r in admin.get(ROLES).json['roles']]
    assert global_role in admin.get(ROLES).json['roles']

    resp = admin.post(ROLES, {'role': {'name': 'x', 'domain_id': 'nowhere'}})
    assert resp.status_int == 404

    assert admin.delete('%s/%s' % (ROLES, domain_role['id'])).status_int == 204
    assert admin.get(ROLES + '?domain_id=%s' % domain['id']).json['roles'] == []


def test_implied_roles(admin):
    prior, implied, other = _create(admin), _create(admin), _create(admin)
    url = '%s/%s/implies/%s' % (ROLES, prior['id'], implied['id'])

    resp = admin.put(url)
    assert resp.status_int == 201, resp.text
    base = 'http://localhost/identity/v3/roles/'
    assert resp.json['role_inference'] == {
        'prior_role': {'id': prior['id'], 'name': prior['name'],
                       'links': {'self': base + prior['id']}},
        'implies': {'id': implied['id'], 'name': implied['name'],
                    'links': {'self': base + implied['id']}}}
    assert admin.put(url).status_int == 409

    assert admin.get(url).json['role_inference']['implies']['id'] == implied['id']
    assert admin.head(url).status_int == 204
    admin.put('%s/%s/implies/%s' % (ROLES, prior['id'], other['id']))

    listed = admin.get('%s/%s/implies' % (ROLES, prior['id'])).json
    assert listed['role_inference']['prior_role']['id'] == prior['id']
    assert sorted(r['id'] for r in listed['role_inference']['implies']) == \
        sorted([implied['id'], other['id']])

    rules = admin.get('/identity/v3/role_inferences').json['role_inferences']
    mine = [r for r in rules if r['prior_role']['id'] == prior['id']]
    assert len(mine) == 1 and len(mine[0]['implies']) == 2
    # bootstrap's admin -> member -> reader chain is listed too
    assert {r['prior_role']['name'] for r in rules} >= {'admin', 'member'}

    assert admin.delete(url).status_int == 204
    assert admin.get(url).status_int == 404
    assert admin.head(url).status_int == 404
    assert admin.delete(url).status_int == 404
    assert admin.put('%s/%s/implies/missing' % (ROLES, prior['id'])).status_int == 404
    assert admin.get('%s/missing/implies' % ROLES).status_int == 404


def test_implied_role_rules(admin, domain):
    global_role = _create(admin)
    d1, d2 = _create(admin, domain_id=domain['id']), _create(admin, domain_id=domain['id'])
    assert admin.put('%s/%s/implies/%s' % (ROLES, d1['id'], d2['id'])).status_int == 201
    assert admin.put('%s/%s/implies/%s' % (ROLES, d1['id'], global_role['id'])).status_int == 201
    # a global role can't imply a domain-specific one
    assert admin.put('%s/%s/implies/%s' % (ROLES, global_role['id'], d1['id'])).status_int == 403
    # and nothing may imply admin
    admin_role = admin.get(ROLES + '?name=admin').json['roles'][0]
    assert admin.put('%s/%s/implies/%s' % (
        ROLES, global_role['id'], admin_role['id'])).status_int == 403


def test_implication_cycles_terminate(admin):
    a, b = _create(admin), _create(admin)
    admin.put('%s/%s/implies/%s' % (ROLES, a['id'], b['id']))
    assert admin.put('%s/%s/implies/%s' % (ROLES, b['id'], a['id'])).status_int == 201
    roles = manager.get().expand_implied([a['id']])
    assert [r['id'] for r in roles] == [a['id'], b['id']]


def test_expand_implied_drops_domain_roles(admin, domain):
    reader = admin.get(ROLES + '?name=reader').json['roles'][0]
    member = admin.get(ROLES + '?name=member').json['roles'][0]
    d = _create(admin, domain_id=domain['id'])
    admin.put('%s/%s/implies/%s' % (ROLES, d['id'], member['id']))
    roles = manager.get().expand_implied([d['id'], 'missing'])
    assert roles == [{'id': member['id'], 'name': 'member', 'domain_id': None},
                     {'id': reader['id'], 'name': 'reader', 'domain_id': None}]


def test_delete_role_removes_assignments_and_revokes(admin):
    m = manager.get()
    role = _create(admin)
    implied = _create(admin)
    admin.put('%s/%s/implies/%s' % (ROLES, role['id'], implied['id']))
    user = m.create_user({'name': _name('u'), 'domain_id': 'default'})
    project = m.find_project('admin', 'default')
    m.create_grant(role['id'], 'user', user['id'], 'project', project['id'])

    assert admin.delete('%s/%s' % (ROLES, role['id'])).status_int == 204
    with db_api.reader() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(models.Assignment)
                        .where(models.Assignment.role_id == role['id'])) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(models.ImpliedRole)
                        .where(models.ImpliedRole.prior_role_id == role['id'])) == 0
        events = s.scalars(sa.select(models.RevocationEvent)
                           .where(models.RevocationEvent.role_id == role['id'])).all()
    assert len(events) == 1
    assert m.effective_roles(user['id'], project_id=project['id']) == []
    assert admin.get('%s/%s' % (ROLES, implied['id'])).status_int == 200


def test_roles_need_a_token_and_admin(admin, client):
    assert client.get(ROLES).status_int == 401
    m = manager.get()
    user = m.create_user({'name': 'plain', 'domain_id': 'default', 'password': 'secret-1'})
    project = m.find_project('admin', 'default')
    member = admin.get(ROLES + '?name=member').json['roles'][0]
    m.create_grant(member['id'], 'user', user['id'], 'project', project['id'])
    resp = client.issue_token('plain', 'secret-1', project='admin')
    assert resp.status_int == 201, resp.text
    token = resp.headers['X-Subject-Token']
    assert client.post(ROLES, {'role': {'name': _name()}}, token=token).status_int == 403
    assert client.get(ROLES, token=token).status_int == 403


def _inferences(admin):
    rules = admin.get('/identity/v3/role_inferences').json['role_inferences']
    return {(r['prior_role']['name'], i['name']) for r in rules for i in r['implies']}


def test_bootstrap_creates_keystone_default_roles(admin):
    names = {r['name'] for r in admin.get(ROLES).json['roles']}
    assert names >= {'admin', 'manager', 'member', 'reader', 'service'}
    assert _inferences(admin) == {
        ('admin', 'manager'), ('manager', 'member'), ('member', 'reader')}
    token = admin.get('/identity/v3/auth/tokens',
                      headers={'X-Subject-Token': admin.token}).json['token']
    assert {r['name'] for r in token['roles']} == {'admin', 'manager', 'member', 'reader'}


def test_bootstrap_replaces_the_admin_member_implication(admin):
    ids = {r['name']: r['id'] for r in admin.get(ROLES).json['roles']}
    # a cloud bootstrapped before the manager role
    admin.put('%s/%s/implies/%s' % (ROLES, ids['admin'], ids['member']))
    assert ('admin', 'member') in _inferences(admin)
    manager.get().bootstrap(None, public_url='http://localhost')
    assert _inferences(admin) == {
        ('admin', 'manager'), ('manager', 'member'), ('member', 'reader')}
