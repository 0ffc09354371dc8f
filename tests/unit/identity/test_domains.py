"""/v3/domains: CRUD, filters, the disable-before-delete rule and cascades."""
import sqlalchemy as sa

from cloudstack.identity import manager
from cloudstack.identity import models
from tests import conftest

V3 = '/identity/v3'


def grant(actor_id, target_id, role='member', kind='user_project', inherited=False):
    mgr = manager.get()
    with mgr.write() as s:
        role_id = s.scalar(sa.select(models.Role.id).where(models.Role.name == role))
        s.add(models.Assignment(type=kind, actor_id=actor_id, target_id=target_id,
                                role_id=role_id, inherited=inherited))


def member_client(admin, client, name='alice', password='alice-pw'):
    """A client holding a token of a new user with `member` on project admin."""
    user = admin.post(V3 + '/users', {'user': {'name': name, 'password': password}})
    assert user.status_int == 201, user.text
    grant(user.json['user']['id'], manager.get().find_project('admin', 'default')['id'])
    resp = client.issue_token(name, password, project='admin')
    assert resp.status_int == 201, resp.text
    return conftest.Client(client.app, resp.headers['X-Subject-Token']), user.json['user']


def create(admin, **domain):
    domain.setdefault('name', 'dom-%d' % len(domain))
    resp = admin.post(V3 + '/domains', {'domain': domain})
    assert resp.status_int == 201, resp.text
    return resp.json['domain']


def test_default_domain_exists_and_is_readable_by_its_members(admin, client):
    resp = admin.get(V3 + '/domains/default')
    assert resp.status_int == 200
    assert resp.json['domain']['name'] == 'Default' and resp.json['domain']['enabled']
    member, _ = member_client(admin, client)
    assert member.get(V3 + '/domains/default').status_int == 200


def test_create_shows_keystones_domain_shape_and_list_matches(admin):
    domain = create(admin, name='d1', description='first', color='blue')
    assert domain['links']['self'].endswith('/v3/domains/' + domain['id'])
    assert {k: domain[k] for k in ('name', 'description', 'enabled', 'tags', 'options',
                                   'color')} == {
        'name': 'd1', 'description': 'first', 'enabled': True, 'tags': [],
        'options': {}, 'color': 'blue'}
    assert 'domain_id' not in domain and 'parent_id' not in domain
    assert create(admin, name='d2')['description'] == ''
    listed = admin.get(V3 + '/domains').json['domains']
    assert domain in listed
    assert admin.get(V3 + '/domains/' + domain['id']).json['domain'] == domain


def test_list_filters_by_name_and_enabled(admin):
    on = create(admin, name='on')
    off = create(admin, name='off', enabled=False)
    by_name = admin.get(V3 + '/domains?name=on').json['domains']
    assert [d['id'] for d in by_name] == [on['id']]
    enabled = admin.get(V3 + '/domains?enabled=true').json['domains']
    assert on in enabled and off not in enabled and all(d['enabled'] for d in enabled)
    disabled = admin.get(V3 + '/domains?enabled=false').json['domains']
    assert [d['id'] for d in disabled] == [off['id']]


def test_name_rules(admin):
    create(admin, name='dup')
    assert admin.post(V3 + '/domains', {'domain': {'name': 'dup'}}).status_int == 409
    assert admin.post(V3 + '/domains', {'domain': {'name': ''}}).status_int == 400
    assert admin.post(V3 + '/domains', {'domain': {'name': 'a' * 65}}).status_int == 400
    assert admin.post(V3 + '/domains', {'domain': {}}).status_int == 400


def test_update_and_delete_only_when_disabled(admin):
    domain = create(admin, name='old')
    path = V3 + '/domains/' + domain['id']
    assert admin.delete(path).status_int == 403
    resp = admin.patch(path, {'domain': {'name': 'new', 'description': 'd', 'enabled': False}})
    assert resp.status_int == 200
    assert (resp.json['domain']['name'], resp.json['domain']['description'],
            resp.json['domain']['enabled']) == ('new', 'd', False)
    assert admin.get(path).json['domain']['name'] == 'new'
    assert admin.delete(path).status_int == 204
    assert admin.get(path).status_int == 404
    assert domain['id'] not in [d['id'] for d in admin.get(V3 + '/domains').json['domains']]
    assert admin.delete(V3 + '/domains/nope').status_int == 404


def test_rename_to_a_taken_name_conflicts(admin):
    create(admin, name='taken')
    other = create(admin, name='other')
    resp = admin.patch(V3 + '/domains/' + other['id'], {'domain': {'name': 'taken'}})
    assert resp.status_int == 409


def test_delete_cascades_to_projects_users_groups_roles_and_grants(admin):
    domain = create(admin, name='doomed')
    did = domain['id']
    top = admin.post(V3 + '/projects', {'project': {'name': 'top', 'domain_id': did}})
    child = admin.post(V3 + '/projects', {'project': {
        'name': 'kid', 'parent_id': top.json['project']['id']}})
    assert child.status_int == 201, child.text
    user = admin.post(V3 + '/users', {'user': {'name': 'u', 'domain_id': did}}).json['user']
    group = admin.post(V3 + '/groups', {'group': {'name': 'g', 'domain_id': did}}).json['group']
    assert admin.put(V3 + '/groups/%s/users/%s' % (group['id'], user['id'])).status_int == 204
    mgr = manager.get()
    with mgr.write() as s:
        s.add(models.Role(id='domrole', name='r', domain_id=did))
    grant(user['id'], top.json['project']['id'])
    grant(group['id'], did, kind='group_domain')
    admin.patch(V3 + '/domains/' + did, {'domain': {'enabled': False}})
    assert admin.delete(V3 + '/domains/' + did).status_int == 204
    assert admin.get(V3 + '/users/' + user['id']).status_int == 404
    assert admin.get(V3 + '/groups/' + group['id']).status_int == 404
    assert admin.get(V3 + '/projects/' + top.json['project']['id']).status_int == 404
    with mgr.read() as s:
        assert s.get(models.Role, 'domrole') is None
        assert s.scalar(sa.select(sa.func.count()).select_from(models.Assignment).where(
            models.Assignment.actor_id.in_([user['id'], group['id']]))) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(models.Project).where(
            models.Project.domain_id == did)) == 0


def test_non_admin_cannot_list_create_or_change_domains(admin, client):
    member, _ = member_client(admin, client)
    assert member.get(V3 + '/domains').status_int == 403
    assert member.post(V3 + '/domains', {'domain': {'name': 'x'}}).status_int == 403
    resp = member.patch(V3 + '/domains/default', {'domain': {'description': 'x'}})
    assert resp.status_int == 403
    other = create(admin, name='elsewhere')
    assert member.get(V3 + '/domains/' + other['id']).status_int == 403
    assert client.get(V3 + '/domains').status_int == 401


def test_manager_lookups(admin):
    mgr = manager.get()
    assert mgr.get_domain('default')['name'] == 'Default'
    assert mgr.find_domain_by_name('Default')['id'] == 'default'
    project_id = mgr.find_project('admin', 'default')['id']
    for call in (lambda: mgr.get_domain(project_id), lambda: mgr.find_domain_by_name('x')):
        try:
            call()
        except Exception as exc:
            assert getattr(exc, 'code', None) == 404
        else:
            raise AssertionError('expected NotFound')
