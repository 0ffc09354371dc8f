"""/v3/projects: CRUD, hierarchy rules, filters, tags and a user's projects."""
from cloudstack.identity import manager
from tests.unit.identity.test_domains import V3, grant, member_client


def create(admin, expect=201, **project):
    resp = admin.post(V3 + '/projects', {'project': project})
    assert resp.status_int == expect, resp.text
    return resp.json.get('project') if expect == 201 else resp


def make_domain(admin, name='dom'):
    resp = admin.post(V3 + '/domains', {'domain': {'name': name}})
    assert resp.status_int == 201
    return resp.json['domain']['id']


def ids(resp, key='projects'):
    assert resp.status_int == 200, resp.text
    return {p['id'] for p in resp.json[key]}


def test_create_defaults_to_the_tokens_domain_and_get_equals_list(admin):
    project = create(admin, name='p1', description='desc', tags=['a', 'c', 'b'], extra_key=1)
    assert {k: project[k] for k in ('name', 'description', 'enabled', 'domain_id', 'parent_id',
                                    'is_domain', 'options', 'extra_key')} == {
        'name': 'p1', 'description': 'desc', 'enabled': True, 'domain_id': 'default',
        'parent_id': 'default', 'is_domain': False, 'options': {}, 'extra_key': 1}
    assert sorted(project['tags']) == ['a', 'b', 'c']
    shown = admin.get(V3 + '/projects/' + project['id']).json['project']
    listed = [p for p in admin.get(V3 + '/projects').json['projects'] if p['id'] == project['id']]
    assert listed == [shown] and shown == project
    assert create(admin, name='p2')['description'] == ''


def test_name_rules_and_uniqueness_within_a_domain(admin):
    create(admin, name='same')
    assert create(admin, 409, name='same').json['error']['code'] == 409
    other = make_domain(admin)
    assert create(admin, name='same', domain_id=other)['domain_id'] == other
    create(admin, 400, name='')
    create(admin, 400, name='a' * 65)
    create(admin, 400, name='x', domain_id='no-such-domain')
    p = create(admin, name='p')
    resp = admin.patch(V3 + '/projects/' + p['id'], {'project': {'name': 'same'}})
    assert resp.status_int == 409


def test_hierarchy_parents_and_subtree(admin):
    dom = make_domain(admin)
    a = create(admin, name='a', domain_id=dom)
    assert a['parent_id'] == dom
    b = create(admin, name='b', parent_id=a['id'])          # domain taken from the parent
    c = create(admin, name='c', parent_id=b['id'], domain_id=dom)
    d = create(admin, name='d', parent_id=b['id'])
    assert (b['domain_id'], b['parent_id']) == (dom, a['id'])
    mgr = manager.get()
    assert mgr.project_ancestor_ids(c['id']) == [b['id'], a['id']]
    assert mgr.project_ancestor_ids(a['id']) == []
    assert set(mgr.project_subtree_ids(a['id'])) == {b['id'], c['id'], d['id']}
    assert mgr.project_subtree_ids(c['id']) == []
    resp = admin.get(V3 + '/projects/%s?parents_as_ids' % c['id'])
    assert resp.json['project']['parents'] == {b['id']: {a['id']: {dom: None}}}
    resp = admin.get(V3 + '/projects/%s?subtree_as_ids' % a['id'])
    assert resp.json['project']['subtree'] == {b['id']: {c['id']: None, d['id']: None}}
    resp = admin.get(V3 + '/projects/%s?subtree_as_ids&subtree_as_list' % a['id'])
    assert resp.status_int == 400
    # the lists show only projects the caller has a role on
    grant(admin_user_id(), a['id'])
    grant(admin_user_id(), c['id'])
    resp = admin.get(V3 + '/projects/%s?parents_as_list=true&subtree_as_list=true' % b['id'])
    assert [p['project']['id'] for p in resp.json['project']['parents']] == [a['id']]
    assert [p['project']['id'] for p in resp.json['project']['subtree']] == [c['id']]
    # a parent from another domain is refused
    create(admin, 400, name='x', parent_id=a['id'], domain_id='default')
    # parent_id and domain_id can't change
    path = V3 + '/projects/' + c['id']
    assert admin.patch(path, {'project': {'parent_id': a['id']}}).status_int == 403
    assert admin.patch(path, {'project': {'domain_id': 'default'}}).status_int == 400
    # only leaves can be deleted
    assert admin.delete(V3 + '/projects/' + b['id']).status_int == 403
    assert admin.delete(path).status_int == 204
    assert admin.get(path).status_int == 404
    assert admin.delete(path).status_int == 404


def admin_user_id():
    return manager.get().find_user('admin', 'default')['id']


def test_depth_is_limited(admin):
    parent = None
    for level in range(5):
        under = {'parent_id': parent['id']} if parent else {}
        parent = create(admin, name='l%d' % level, **under)
    assert create(admin, 403, name='too-deep', parent_id=parent['id']).status_int == 403


def test_enabled_rules_along_the_hierarchy(admin):
    parent = create(admin, name='parent')
    child = create(admin, name='child', parent_id=parent['id'])
    ppath, cpath = V3 + '/projects/' + parent['id'], V3 + '/projects/' + child['id']
    assert admin.patch(ppath, {'project': {'enabled': False}}).status_int == 403
    assert admin.patch(cpath, {'project': {'enabled': False}}).status_int == 200
    assert admin.patch(ppath, {'project': {'enabled': False}}).json['project']['enabled'] is False
    create(admin, 400, name='under-disabled', parent_id=parent['id'])
    assert admin.patch(cpath, {'project': {'enabled': True}}).status_int == 403
    assert admin.patch(ppath, {'project': {'enabled': True}}).status_int == 200
    assert admin.patch(cpath, {'project': {'enabled': True}}).json['project']['enabled'] is True


def test_update_fields(admin):
    p = create(admin, name='before', description='d1', enabled=False)
    resp = admin.patch(V3 + '/projects/' + p['id'], {'project': {
        'name': 'after', 'description': 'd2', 'enabled': True, 'note': 'x'}})
    assert resp.status_int == 200
    shown = admin.get(V3 + '/projects/' + p['id']).json['project']
    assert (shown['name'], shown['description'], shown['enabled'], shown['note']) == (
        'after', 'd2', True, 'x')
    assert admin.patch(V3 + '/projects/' + p['id'], {'project': {}}).status_int == 400


def test_immutable_option_blocks_changes_until_cleared(admin):
    p = create(admin, name='frozen', options={'immutable': True})
    path = V3 + '/projects/' + p['id']
    assert admin.patch(path, {'project': {'description': 'x'}}).status_int == 403
    assert admin.delete(path).status_int == 403
    assert admin.patch(path, {'project': {'options': {'immutable': False}}}).status_int == 200
    assert admin.delete(path).status_int == 204


def test_is_domain_project_is_a_domain(admin):
    p = create(admin, name='pdom', is_domain=True, domain_id=None)
    assert (p['is_domain'], p['domain_id'], p['parent_id']) == (True, None, None)
    assert p['id'] in ids(admin.get(V3 + '/domains'), 'domains')
    assert p['id'] in ids(admin.get(V3 + '/projects?is_domain=true'))
    assert p['id'] not in ids(admin.get(V3 + '/projects'))
    path = V3 + '/projects/' + p['id']
    assert admin.delete(path).status_int == 403             # enabled domain
    admin.patch(path, {'project': {'enabled': False}})
    assert admin.delete(path).status_int == 204
    assert admin.get(V3 + '/domains/' + p['id']).status_int == 404


def test_list_filters(admin):
    dom = make_domain(admin)
    off = create(admin, name='off', enabled=False, tags=['x', 'y'])
    top = create(admin, name='top', tags=['y'])
    kid = create(admin, name='kid', parent_id=top['id'])
    there = create(admin, name='there', domain_id=dom)
    assert ids(admin.get(V3 + '/projects?enabled=false')) == {off['id']}
    assert ids(admin.get(V3 + '/projects?name=kid')) == {kid['id']}
    assert ids(admin.get(V3 + '/projects?name__icontains=KI')) == {kid['id']}
    assert ids(admin.get(V3 + '/projects?domain_id=' + dom)) == {there['id']}
    assert ids(admin.get(V3 + '/projects?parent_id=' + top['id'])) == {kid['id']}
    assert ids(admin.get(V3 + '/projects?tags=x,y')) == {off['id']}
    assert ids(admin.get(V3 + '/projects?tags-any=x,y')) == {off['id'], top['id']}
    everyone = ids(admin.get(V3 + '/projects'))
    assert ids(admin.get(V3 + '/projects?not-tags=x,y')) == everyone - {off['id']}
    assert ids(admin.get(V3 + '/projects?not-tags-any=x,y')) == everyone - {off['id'], top['id']}


def test_tags_api(admin):
    p = create(admin, name='tagged')
    base = V3 + '/projects/%s/tags' % p['id']
    resp = admin.put(base + '/one')
    assert resp.status_int == 201 and resp.headers['Location'].endswith('/tags/one')
    assert admin.get(base + '/one').status_int == 204
    assert admin.head(base + '/one').status_int == 204
    assert admin.get(base + '/two').status_int == 404
    resp = admin.put(base, {'tags': ['b', 'a', 'c']})
    assert resp.status_int == 200 and sorted(resp.json['tags']) == ['a', 'b', 'c']
    assert sorted(admin.get(base).json['tags']) == ['a', 'b', 'c']
    assert admin.get(base + '/one').status_int == 404
    assert admin.delete(base + '/a').status_int == 204
    assert admin.delete(base + '/a').status_int == 404
    assert admin.put(base + '/a,b').status_int == 400
    assert admin.put(base, {'tags': ['x/y']}).status_int == 400
    assert admin.put(base, {'tags': ['t%d' % i for i in range(81)]}).status_int == 400
    assert admin.put(base, {'tags': ['d', 'd']}).status_int == 400
    assert admin.delete(base).status_int == 204
    assert admin.get(base).json['tags'] == []
    assert admin.get(V3 + '/projects/nope/tags').status_int == 404


def test_non_admin_rules(admin, client):
    member, _ = member_client(admin, client)
    own = manager.get().find_project('admin', 'default')['id']
    assert member.get(V3 + '/projects/' + own).status_int == 200
    assert member.get(V3 + '/projects').status_int == 403
    assert member.post(V3 + '/projects', {'project': {'name': 'x'}}).status_int == 403
    other = create(admin, name='other')
    assert member.get(V3 + '/projects/' + other['id']).status_int == 403
    assert member.delete(V3 + '/projects/' + other['id']).status_int == 403
    assert member.put(V3 + '/projects/%s/tags/t' % own).status_int == 403


def test_user_projects_direct_group_and_inherited(admin, client):
    member, user = member_client(admin, client)
    admin_project = manager.get().find_project('admin', 'default')['id']
    dom = make_domain(admin)
    direct = create(admin, name='direct')
    via_group = create(admin, name='via-group')
    parent = create(admin, name='parent')
    below = create(admin, name='below', parent_id=parent['id'])
    in_dom = create(admin, name='in-dom', domain_id=dom)
    create(admin, name='unrelated')
    group = admin.post(V3 + '/groups', {'group': {'name': 'g'}}).json['group']
    admin.put(V3 + '/groups/%s/users/%s' % (group['id'], user['id']))
    grant(user['id'], direct['id'])
    grant(group['id'], via_group['id'], kind='group_project')
    grant(user['id'], parent['id'], kind='user_project', inherited=True)
    grant(user['id'], dom, kind='user_domain', inherited=True)
    grant(user['id'], 'default', kind='user_domain')        # not inherited: no projects
    expected = {admin_project, direct['id'], via_group['id'], below['id'], in_dom['id']}
    path = V3 + '/users/%s/projects' % user['id']
    assert ids(member.get(path)) == expected
    assert ids(admin.get(path + '?domain_id=' + dom)) == {in_dom['id']}
    assert ids(admin.get(path + '?name=direct')) == {direct['id']}
    assert member.get(V3 + '/users/%s/projects' % admin_user_id()).status_int == 403
    assert admin.get(V3 + '/users/nope/projects').status_int == 404
