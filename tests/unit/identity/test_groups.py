"""/v3/groups and membership."""
from cloudstack.identity import manager
from tests.unit.identity.test_domains import V3, member_client


def create(admin, expect=201, **group):
    resp = admin.post(V3 + '/groups', {'group': group})
    assert resp.status_int == expect, resp.text
    return resp.json['group'] if expect == 201 else resp


def new_user(admin, name):
    return admin.post(V3 + '/users', {'user': {'name': name, 'password': 'pw'}}).json['user']


def test_crud(admin):
    dom = admin.post(V3 + '/domains', {'domain': {'name': 'd'}}).json['domain']['id']
    group = create(admin, name='g', description='first', domain_id=dom)
    assert {k: group[k] for k in ('name', 'description', 'domain_id')} == {
        'name': 'g', 'description': 'first', 'domain_id': dom}
    assert group['links']['self'].endswith('/v3/groups/' + group['id'])
    path = V3 + '/groups/' + group['id']
    assert admin.get(path).json['group'] == group
    assert group in admin.get(V3 + '/groups').json['groups']
    assert create(admin, name='plain')['domain_id'] == 'default'
    resp = admin.patch(path, {'group': {'name': 'g2'}})
    assert resp.status_int == 200
    assert (resp.json['group']['name'], resp.json['group']['description']) == ('g2', 'first')
    assert admin.patch(path, {'group': {'domain_id': 'default'}}).status_int == 400
    assert [g['id'] for g in admin.get(V3 + '/groups?name=g2').json['groups']] == [group['id']]
    assert admin.delete(path).status_int == 204
    assert admin.get(path).status_int == 404
    assert admin.delete(path).status_int == 404


def test_name_rules(admin):
    create(admin, name='dup')
    create(admin, 409, name='dup')
    create(admin, 404, name='x', domain_id='no-such-domain')
    create(admin, 400, name='')
    create(admin, 400, name='a' * 65)


def test_membership(admin):
    group = create(admin, name='team')
    users = [new_user(admin, 'u%d' % i) for i in range(3)]
    base = V3 + '/groups/%s/users/' % group['id']
    for user in users:
        assert admin.put(base + user['id']).status_int == 204
    assert admin.put(base + users[0]['id']).status_int == 204     # again: no change
    listed = admin.get(V3 + '/groups/%s/users' % group['id']).json['users']
    assert sorted(listed, key=lambda u: u['name']) == users
    assert admin.head(base + users[0]['id']).status_int == 204
    assert admin.get(V3 + '/users/%s/groups' % users[0]['id']).json['groups'] == [group]
    assert manager.get().list_user_group_ids(users[0]['id']) == [group['id']]
    for user in users:
        assert admin.delete(base + user['id']).status_int == 204
    assert admin.get(V3 + '/groups/%s/users' % group['id']).json['users'] == []
    assert admin.head(base + users[0]['id']).status_int == 404
    assert admin.delete(base + users[0]['id']).status_int == 404
    assert admin.put(base + 'nope').status_int == 404
    assert admin.put(V3 + '/groups/nope/users/' + users[0]['id']).status_int == 404
    assert admin.get(V3 + '/groups/nope/users').status_int == 404
    assert admin.get(V3 + '/users/nope/groups').status_int == 404


def test_deleting_user_or_group_drops_membership(admin):
    group = create(admin, name='team')
    keep, gone = new_user(admin, 'keep'), new_user(admin, 'gone')
    for user in (keep, gone):
        admin.put(V3 + '/groups/%s/users/%s' % (group['id'], user['id']))
    admin.delete(V3 + '/users/' + gone['id'])
    assert [u['id'] for u in admin.get(V3 + '/groups/%s/users' % group['id']).json['users']] \
        == [keep['id']]
    admin.delete(V3 + '/groups/' + group['id'])
    assert admin.get(V3 + '/users/%s/groups' % keep['id']).json['groups'] == []


def test_removal_from_a_group_revokes_the_users_tokens(admin, client):
    member, user = member_client(admin, client)
    group = create(admin, name='team')
    path = V3 + '/groups/%s/users/%s' % (group['id'], user['id'])
    admin.put(path)
    assert member.get(V3 + '/users/%s/groups' % user['id']).status_int == 200
    assert admin.delete(path).status_int == 204
    assert member.get(V3 + '/users/%s/groups' % user['id']).status_int == 401


def test_non_admin(admin, client):
    member, user = member_client(admin, client)
    group = create(admin, name='team')
    assert member.get(V3 + '/groups').status_int == 403
    assert member.post(V3 + '/groups', {'group': {'name': 'x'}}).status_int == 403
    assert member.put(V3 + '/groups/%s/users/%s' % (group['id'], user['id'])).status_int == 403
    assert member.get(V3 + '/users/%s/groups' % user['id']).status_int == 200
