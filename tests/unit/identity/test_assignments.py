"""Grants, OS-INHERIT, system grants, /v3/role_assignments and effective roles."""
import uuid

import pytest
import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.identity import manager
from cloudstack.identity import models

V3 = '/identity/v3'
BASE = 'http://localhost/identity/v3'


def _name(prefix):
    return '%s-%s' % (prefix, uuid.uuid4().hex[:8])


class World:
    """A domain with a project tree (top > child), a user in a group, roles."""

    def __init__(self, admin):
        m = self.m = manager.get()
        self.domain = m.create_domain({'name': _name('dom')})['id']
        self.top = m.create_project({'name': _name('top'), 'domain_id': self.domain})['id']
        self.child = m.create_project({'name': _name('child'), 'parent_id': self.top})['id']
        self.user = m.create_user({'name': _name('user'), 'domain_id': self.domain})['id']
        self.other = m.create_user({'name': _name('other'), 'domain_id': self.domain})['id']
        self.group = m.create_group({'name': _name('group'), 'domain_id': self.domain})['id']
        m.add_user_to_group(self.group, self.user)
        self.role = m.create_role({'name': _name('role')})['id']
        self.role2 = m.create_role({'name': _name('role')})['id']


@pytest.fixture
def w(admin):
    return World(admin)


def _ids(roles):
    return sorted(r['id'] for r in roles)


def _revocations(**match):
    """(user_id, project_id, domain_id) of the revocation events matching."""
    E = models.RevocationEvent
    with db_api.reader() as s:
        return s.execute(sa.select(E.user_id, E.project_id, E.domain_id)
                         .filter_by(**match)).all()


@pytest.mark.parametrize('actor', ['users', 'groups'])
@pytest.mark.parametrize('target', ['projects', 'domains'])
def test_grant_check_list_revoke(admin, w, actor, target):
    actor_id = w.user if actor == 'users' else w.group
    target_id = w.top if target == 'projects' else w.domain
    base = '%s/%s/%s/%s/%s/roles' % (V3, target, target_id, actor, actor_id)
    url = '%s/%s' % (base, w.role)

    assert admin.head(url).status_int == 404
    assert admin.put(url).status_int == 204
    assert admin.put(url).status_int == 204          # idempotent
    assert admin.head(url).status_int == 204
    assert admin.get(url).status_int == 204
    resp = admin.get(base)
    assert resp.status_int == 200
    assert [r['id'] for r in resp.json['roles']] == [w.role]
    assert resp.json['roles'][0]['links']['self'] == '%s/roles/%s' % (BASE, w.role)
    # an inherited grant is a different grant
    inherited = '%s/OS-INHERIT/%s/%s/%s/%s/roles/%s/inherited_to_projects' % (
        V3, target, target_id, actor, actor_id, w.role)
    assert admin.head(inherited).status_int == 404

    assert admin.delete(url).status_int == 204
    assert admin.head(url).status_int == 404
    assert admin.delete(url).status_int == 404
    assert admin.get(base).json['roles'] == []
    assert _revocations(user_id=w.user) == [
        (w.user, w.top, None) if target == 'projects' else (w.user, None, w.domain)]


def test_grant_needs_existing_parts(admin, w):
    ok = '%s/projects/%s/users/%s/roles/%s'
    assert admin.put(ok % (V3, w.top, w.user, 'nope')).status_int == 404
    assert admin.put(ok % (V3, w.top, 'nope', w.role)).status_int == 404
    assert admin.put(ok % (V3, 'nope', w.user, w.role)).status_int == 404
    assert admin.put('%s/domains/%s/groups/nope/roles/%s' % (V3, w.domain, w.role)).status_int == 404
    assert admin.put('%s/domains/nope/users/%s/roles/%s' % (V3, w.user, w.role)).status_int == 404
    # a project is not a domain
    assert admin.put('%s/domains/%s/users/%s/roles/%s' % (
        V3, w.top, w.user, w.role)).status_int == 404
    assert admin.get('%s/projects/nope/users/%s/roles' % (V3, w.user)).status_int == 404
    assert admin.put('%s/system/users/nope/roles/%s' % (V3, w.role)).status_int == 404


def test_domain_role_grants_stay_in_their_domain(admin, w):
    m = w.m
    role = m.create_role({'name': 'local', 'domain_id': w.domain})['id']
    assert admin.put('%s/projects/%s/users/%s/roles/%s' % (
        V3, w.top, w.user, role)).status_int == 204
    admin_project = m.find_project('admin', 'default')['id']
    resp = admin.put('%s/projects/%s/users/%s/roles/%s' % (V3, admin_project, w.user, role))
    assert resp.status_int == 403


@pytest.mark.parametrize('actor', ['users', 'groups'])
def test_system_grants(admin, w, actor):
    actor_id = w.user if actor == 'users' else w.group
    base = '%s/system/%s/%s/roles' % (V3, actor, actor_id)
    url = '%s/%s' % (base, w.role)
    assert admin.put(url).status_int == 204
    assert admin.head(url).status_int == 204
    assert _ids(admin.get(base).json['roles']) == [w.role]
    assert _ids(w.m.effective_roles(w.user, system=True)) == [w.role]
    assert admin.delete(url).status_int == 204
    assert admin.head(url).status_int == 404
    assert admin.get(base).json['roles'] == []
    assert w.m.effective_roles(w.user, system=True) == []


@pytest.mark.parametrize('actor', ['users', 'groups'])
def test_os_inherit_grants(admin, w, actor):
    actor_id = w.user if actor == 'users' else w.group
    on_domain = '%s/OS-INHERIT/domains/%s/%s/%s/roles' % (V3, w.domain, actor, actor_id)
    url = '%s/%s/inherited_to_projects' % (on_domain, w.role)
    assert admin.put(url).status_int == 204
    assert admin.head(url).status_int == 204
    resp = admin.get(on_domain + '/inherited_to_projects')
    assert resp.status_int == 200
    assert _ids(resp.json['roles']) == [w.role]
    # not a direct grant on the domain
    assert admin.get('%s/domains/%s/%s/%s/roles' % (
        V3, w.domain, actor, actor_id)).json['roles'] == []
    assert w.m.effective_roles(w.user, domain_id=w.domain) == []
    assert _ids(w.m.effective_roles(w.user, project_id=w.child)) == [w.role]
    assert admin.delete(url).status_int == 204
    assert admin.head(url).status_int == 404

    on_project = '%s/OS-INHERIT/projects/%s/%s/%s/roles/%s/inherited_to_projects' % (
        V3, w.top, actor, actor_id, w.role)
    assert admin.put(on_project).status_int == 204
    assert admin.head(on_project).status_int == 204
    assert w.m.effective_roles(w.user, project_id=w.top) == []
    assert _ids(w.m.effective_roles(w.user, project_id=w.child)) == [w.role]
    assert admin.delete(on_project).status_int == 204
    assert w.m.effective_roles(w.user, project_id=w.child) == []
    # revoked: tokens on the domain, then on the projects below `top`
    assert _revocations(user_id=w.user) == [(w.user, None, w.domain),
                                            (w.user, w.child, None)]


def test_effective_roles(admin, w):
    m = w.m
    reader = m.list_roles(refine=lambda q: q.where(models.Role.name == 'reader'))[0]
    member = m.list_roles(refine=lambda q: q.where(models.Role.name == 'member'))[0]
    local = m.create_role({'name': 'local', 'domain_id': w.domain})['id']
    m.create_implied_role(local, member['id'])
    m.create_grant(w.role, 'user', w.user, 'project', w.top)
    m.create_grant(w.role2, 'group', w.group, 'project', w.top)
    m.create_grant(local, 'user', w.user, 'domain', w.domain)

    top = m.effective_roles(w.user, project_id=w.top)
    assert _ids(top) == sorted([w.role, w.role2])
    assert {'id': w.role2, 'name': m.get_role(w.role2)['name'], 'domain_id': None} in top
    assert m.effective_roles(w.other, project_id=w.top) == []
    assert m.effective_roles(w.user, project_id=w.child) == []
    # the domain-specific role only brings what it implies
    assert _ids(m.effective_roles(w.user, domain_id=w.domain)) == \
        sorted([member['id'], reader['id']])
    assert m.effective_roles(w.user) == []


def _assignments(admin, query=''):
    resp = admin.get('%s/role_assignments%s' % (V3, query))
    assert resp.status_int == 200, resp.text
    return resp.json['role_assignments']


def test_role_assignments_list(admin, w):
    m = w.m
    m.create_grant(w.role, 'user', w.user, 'project', w.top)
    m.create_grant(w.role, 'group', w.group, 'domain', w.domain, inherited=True)
    m.create_grant(w.role2, 'user', w.user, 'system')

    resp = admin.get('%s/role_assignments?user.id=%s' % (V3, w.user))
    assert resp.json['links']['self'].startswith(BASE + '/role_assignments')
    got = resp.json['role_assignments']
    assert {'role': {'id': w.role}, 'user': {'id': w.user},
            'scope': {'project': {'id': w.top}},
            'links': {'assignment': '%s/projects/%s/users/%s/roles/%s' % (
                BASE, w.top, w.user, w.role)}} in got
    assert {'role': {'id': w.role2}, 'user': {'id': w.user},
            'scope': {'system': {'all': True}},
            'links': {'assignment': '%s/system/users/%s/roles/%s' % (
                BASE, w.user, w.role2)}} in got
    assert len(got) == 2

    got = _assignments(admin, '?group.id=%s' % w.group)
    assert got == [{'role': {'id': w.role}, 'group': {'id': w.group},
                    'scope': {'domain': {'id': w.domain},
                              'OS-INHERIT:inherited_to': 'projects'},
                    'links': {'assignment': '%s/OS-INHERIT/domains/%s/groups/%s/roles/%s'
                              '/inherited_to_projects' % (BASE, w.domain, w.group, w.role)}}]

    assert len(_assignments(admin, '?scope.project.id=%s' % w.top)) == 1
    assert len(_assignments(admin, '?scope.domain.id=%s' % w.domain)) == 1
    assert len(_assignments(admin, '?scope.OS-INHERIT:inherited_to=projects&user.id=%s'
                            % w.user)) == 0
    assert [a['role']['id'] for a in _assignments(admin, '?scope.system=all')
            if a['user']['id'] == w.user] == [w.role2]
    assert len(_assignments(admin, '?role.id=%s' % w.role)) == 2


def test_role_assignments_effective(admin, w):
    m = w.m
    local = m.create_role({'name': 'local', 'domain_id': w.domain})['id']
    m.create_implied_role(w.role, w.role2)
    m.create_grant(w.role, 'group', w.group, 'project', w.top)
    m.create_grant(local, 'user', w.user, 'project', w.top)
    m.create_grant(w.role2, 'user', w.other, 'domain', w.domain, inherited=True)

    got = _assignments(admin, '?effective&scope.project.id=%s' % w.top)
    by_role = sorted(((a['user']['id'], a['role']['id']) for a in got))
    assert by_role == sorted([(w.user, w.role), (w.user, w.role2), (w.other, w.role2)])
    via_group = [a for a in got if a['user']['id'] == w.user and a['role']['id'] == w.role][0]
    assert via_group['links'] == {
        'assignment': '%s/projects/%s/groups/%s/roles/%s' % (BASE, w.top, w.group, w.role),
        'membership': '%s/groups/%s/users/%s' % (BASE, w.group, w.user)}
    implied = [a for a in got if a['user']['id'] == w.user and a['role']['id'] == w.role2][0]
    assert implied['links']['prior_role'] == '%s/roles/%s/implies/%s' % (
        BASE, w.role, w.role2)
    inherited = [a for a in got if a['user']['id'] == w.other][0]
    assert inherited['scope'] == {'project': {'id': w.top},
                                  'OS-INHERIT:inherited_to': 'projects'}
    assert inherited['links']['assignment'] == (
        '%s/OS-INHERIT/domains/%s/users/%s/roles/%s/inherited_to_projects'
        % (BASE, w.domain, w.other, w.role2))

    # the inherited grant reaches the child too, the group grant does not
    got = _assignments(admin, '?effective&scope.project.id=%s' % w.child)
    assert [(a['user']['id'], a['role']['id']) for a in got] == [(w.other, w.role2)]
    got = _assignments(admin, '?effective=true&user.id=%s' % w.other)
    assert sorted(a['scope']['project']['id'] for a in got) == sorted([w.top, w.child])
    assert _assignments(admin, '?effective=false&user.id=%s' % w.other)[0]['scope'] == {
        'domain': {'id': w.domain}, 'OS-INHERIT:inherited_to': 'projects'}

    got = _assignments(admin, '?effective&user.id=%s&role.id=%s' % (w.user, w.role2))
    assert len(got) == 1 and got[0]['links']['prior_role']

    m.delete_implied_role(w.role, w.role2)
    got = _assignments(admin, '?effective&scope.project.id=%s&user.id=%s' % (w.top, w.user))
    assert [a['role']['id'] for a in got] == [w.role]


def test_role_assignments_subtree_and_names(admin, w):
    m = w.m
    m.create_grant(w.role, 'user', w.user, 'project', w.child)
    m.create_grant(w.role2, 'user', w.user, 'project', w.top, inherited=True)

    got = _assignments(admin, '?scope.project.id=%s&include_subtree' % w.top)
    assert sorted(a['scope']['project']['id'] for a in got) == sorted([w.top, w.child])
    got = _assignments(admin, '?scope.project.id=%s&include_subtree&effective' % w.top)
    assert sorted((a['scope']['project']['id'], a['role']['id']) for a in got) == \
        sorted([(w.child, w.role), (w.child, w.role2)])
    resp = admin.get('%s/role_assignments?include_subtree' % V3)
    assert resp.status_int == 400

    got = _assignments(admin, '?scope.project.id=%s&include_names' % w.child)
    domain_name = m.get_domain(w.domain)['name']
    assert got[0]['user'] == {'id': w.user, 'name': m.get_user(w.user)['name'],
                              'domain': {'id': w.domain, 'name': domain_name}}
    assert got[0]['scope']['project'] == {
        'id': w.child, 'name': m.get_project(w.child)['name'],
        'domain': {'id': w.domain, 'name': domain_name}}
    assert got[0]['role'] == {'id': w.role, 'name': m.get_role(w.role)['name']}


@pytest.mark.parametrize('query', [
    'scope.project.id=a&scope.domain.id=b', 'scope.system=all&scope.domain.id=b',
    'scope.system=all&scope.project.id=a', 'user.id=a&group.id=b',
    'effective&group.id=b',
    'effective&scope.domain.id=b&scope.OS-INHERIT:inherited_to=projects'])
def test_role_assignments_bad_filters(admin, query):
    assert admin.get('%s/role_assignments?%s' % (V3, query)).status_int == 400


def test_revoking_group_grant_revokes_members_tokens(admin, w):
    w.m.create_grant(w.role, 'group', w.group, 'project', w.top)
    w.m.add_user_to_group(w.group, w.other)
    assert admin.delete('%s/projects/%s/groups/%s/roles/%s' % (
        V3, w.top, w.group, w.role)).status_int == 204
    assert {e[0] for e in _revocations(project_id=w.top)} == {w.user, w.other}


def test_delete_assignments(admin, w):
    m = w.m
    m.create_grant(w.role, 'user', w.user, 'project', w.top)
    m.create_grant(w.role, 'user', w.other, 'project', w.top)
    m.create_grant(w.role, 'user', w.user, 'domain', w.domain)
    with m.write() as s:
        m.delete_assignments(s)                      # no filter: nothing
        m.delete_assignments(s, actor_id=w.user)
    assert _ids(m.effective_roles(w.other, project_id=w.top)) == [w.role]
    assert m.effective_roles(w.user, domain_id=w.domain) == []
    with m.write() as s:
        m.delete_assignments(s, target_id=w.top)
    assert m.effective_roles(w.other, project_id=w.top) == []


def test_grants_need_admin(admin, client, w):
    m = w.m
    m.update_user(w.user, {'password': 'secret-1'})
    m.create_grant(w.role, 'user', w.user, 'project', w.top)
    resp = client.issue_token(m.get_user(w.user)['name'], 'secret-1',
                              project=m.get_project(w.top)['name'],
                              domain=m.get_domain(w.domain)['name'])
    assert resp.status_int == 201, resp.text
    assert [r['id'] for r in resp.json['token']['roles']] == [w.role]
    token = resp.headers['X-Subject-Token']
    url = '%s/projects/%s/users/%s/roles/%s' % (V3, w.top, w.other, w.role)
    assert client.put(url, token=token).status_int == 403
    assert client.get('%s/role_assignments' % V3, token=token).status_int == 403
