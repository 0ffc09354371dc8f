"""/v3/users: CRUD, filters, passwords and the lookups authentication uses."""
import pytest

from cloudstack import exception
from cloudstack.identity import manager
from cloudstack.identity import passwords
from tests.unit.identity.test_domains import V3, member_client


def create(admin, expect=201, **user):
    resp = admin.post(V3 + '/users', {'user': user})
    assert resp.status_int == expect, resp.text
    return resp.json['user'] if expect == 201 else resp


def make_domain(admin, name='dom'):
    return admin.post(V3 + '/domains', {'domain': {'name': name}}).json['domain']['id']


def test_create_shows_keystones_user_shape_without_the_password(admin):
    user = create(admin, name='bob', password='s3cret', email='bob@example.com',
                  description='Bob', project_id='p1')
    assert {k: v for k, v in user.items() if k not in ('id', 'links')} == {
        'name': 'bob', 'domain_id': 'default', 'enabled': True,
        'password_expires_at': None, 'options': {}, 'email': 'bob@example.com',
        'description': 'Bob', 'project_id': 'p1'}
    assert user['links']['self'].endswith('/v3/users/' + user['id'])
    assert admin.get(V3 + '/users/' + user['id']).json['user'] == user
    assert user in admin.get(V3 + '/users').json['users']
    record = manager.get().user_auth_record(user['id'])
    assert passwords.check_password('s3cret', record['password_hash'])
    assert (record['domain_enabled'], record['domain_name'], record['name']) == (
        True, 'Default', 'bob')


def test_name_unique_per_domain_and_domain_must_exist(admin):
    create(admin, name='dup')
    create(admin, 409, name='dup')
    other = make_domain(admin)
    assert create(admin, name='dup', domain_id=other)['domain_id'] == other
    create(admin, 404, name='x', domain_id='no-such-domain')
    create(admin, 400, name='')
    create(admin, 400, password='x')
    create(admin, 400, name='x', enabled='yes')


def test_default_project_rules(admin):
    project = admin.post(V3 + '/projects', {'project': {'name': 'home'}}).json['project']
    user = create(admin, name='u', default_project_id=project['id'])
    assert user['default_project_id'] == project['id']
    create(admin, 400, name='v', default_project_id='default')      # a domain


def test_list_filters(admin):
    dom = make_domain(admin)
    a = create(admin, name='alpha', domain_id=dom)
    b = create(admin, name='beta', enabled=False)

    def ids(query):
        resp = admin.get(V3 + '/users' + query)
        assert resp.status_int == 200, resp.text
        return {u['id'] for u in resp.json['users']}
    assert ids('?domain_id=' + dom) == {a['id']}
    assert ids('?enabled=false') == {b['id']}
    assert ids('?name=alpha') == {a['id']}
    assert ids('?name__icontains=ET') == {b['id']}
    assert {a['id'], b['id']} <= ids('')


def test_update(admin):
    user = create(admin, name='old', email='o@x', enabled=False)
    path = V3 + '/users/' + user['id']
    changes = {'name': 'new', 'description': 'd', 'project_id': 'p', 'email': 'n@x',
               'enabled': True}
    resp = admin.patch(path, {'user': changes})
    assert resp.status_int == 200
    shown = admin.get(path).json['user']
    for body in (resp.json['user'], shown):
        assert {k: body[k] for k in changes} == changes
    assert admin.patch(path, {'user': {'domain_id': make_domain(admin)}}).status_int == 400
    create(admin, name='taken')
    assert admin.patch(path, {'user': {'name': 'taken'}}).status_int == 409
    assert admin.patch(V3 + '/users/nope', {'user': {'name': 'x'}}).status_int == 404


def test_disable_or_admin_password_reset_revokes_tokens(admin, client):
    member, user = member_client(admin, client)
    path = V3 + '/users/' + user['id']
    assert member.get(path).status_int == 200
    assert admin.patch(path, {'user': {'password': 'reset-pw'}}).status_int == 200
    assert member.get(path).status_int == 401
    assert passwords.check_password(
        'reset-pw', manager.get().user_auth_record(user['id'])['password_hash'])
    assert admin.patch(path, {'user': {'enabled': False}}).json['user']['enabled'] is False
    assert client.issue_token('alice', 'reset-pw', project='admin').status_int == 401


def test_change_own_password(admin, client):
    member, user = member_client(admin, client)
    path = V3 + '/users/%s/password' % user['id']
    wrong = client.post(path, {'user': {'original_password': 'nope', 'password': 'new-pw'}})
    assert wrong.status_int == 401
    assert client.post(path, {'user': {'password': 'new-pw'}}).status_int == 400
    assert client.post(V3 + '/users/nope/password', {'user': {
        'original_password': 'alice-pw', 'password': 'x'}}).status_int == 401
    resp = client.post(path, {'user': {'original_password': 'alice-pw', 'password': 'new-pw'}})
    assert resp.status_int == 204, resp.text
    record = manager.get().user_auth_record(user['id'])
    assert passwords.check_password('new-pw', record['password_hash'])
    assert not passwords.check_password('alice-pw', record['password_hash'])
    assert member.get(V3 + '/users/' + user['id']).status_int == 401   # tokens revoked
    assert client.issue_token('alice', 'alice-pw', project='admin').status_int == 401


def test_delete(admin):
    user = create(admin, name='gone')
    path = V3 + '/users/' + user['id']
    assert admin.delete(path).status_int == 204
    assert admin.get(path).status_int == 404
    assert admin.delete(path).status_int == 404


def test_users_read_themselves_only(admin, client):
    member, user = member_client(admin, client)
    other = create(admin, name='other')
    assert member.get(V3 + '/users/' + user['id']).status_int == 200
    assert member.get(V3 + '/users/' + other['id']).status_int == 403
    assert member.get(V3 + '/users').status_int == 403
    assert member.post(V3 + '/users', {'user': {'name': 'x'}}).status_int == 403
    assert member.patch(V3 + '/users/' + user['id'], {'user': {'name': 'x'}}).status_int == 403
    assert member.delete(V3 + '/users/' + other['id']).status_int == 403


def test_manager_lookups(admin):
    mgr = manager.get()
    admin_user = mgr.find_user('admin', 'default')
    assert mgr.get_user(admin_user['id']) == admin_user
    assert mgr.list_user_group_ids(admin_user['id']) == []
    with pytest.raises(exception.NotFound):
        mgr.find_user('admin', 'nowhere')
    with pytest.raises(exception.NotFound):
        mgr.user_auth_record('nope')
