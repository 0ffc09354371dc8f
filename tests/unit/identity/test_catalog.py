"""Regions, services, endpoints, endpoint groups, OS-EP-FILTER, the token catalog."""
import pytest

from cloudstack.identity import manager

V3 = '/identity/v3'
EPF = V3 + '/OS-EP-FILTER'


def make_user(admin, name, password='user-secret', role='member', project='admin'):
    """A user with `role` on `project` of the default domain, and its token."""
    user = admin.post(V3 + '/users', {'user': {
        'name': name, 'password': password, 'domain_id': 'default'}})
    assert user.status_int == 201, user.text
    user_id = user.json['user']['id']
    project_id = admin.get(V3 + '/projects?name=' + project).json['projects'][0]['id']
    role_id = admin.get(V3 + '/roles?name=' + role).json['roles'][0]['id']
    resp = admin.put('%s/projects/%s/users/%s/roles/%s' % (V3, project_id, user_id, role_id))
    assert resp.status_int == 204, resp.text
    resp = admin.issue_token(name, password, project=project)
    assert resp.status_int == 201, resp.text
    return user_id, resp.headers['X-Subject-Token']


def service(admin, stype='dns', name='designate', **extra):
    resp = admin.post(V3 + '/services', {'service': dict(type=stype, name=name, **extra)})
    assert resp.status_int == 201, resp.text
    return resp.json['service']


def endpoint(admin, service_id, interface='public', url='http://x/compute', **extra):
    resp = admin.post(V3 + '/endpoints', {'endpoint': dict(
        service_id=service_id, interface=interface, url=url, **extra)})
    assert resp.status_int == 201, resp.text
    return resp.json['endpoint']


def admin_project_id(admin):
    return admin.get(V3 + '/projects?name=admin').json['projects'][0]['id']


# -- regions -----------------------------------------------------------------

def test_region_crud(admin):
    resp = admin.post(V3 + '/regions', {'region': {'description': 'first'}})
    assert resp.status_int == 201, resp.text
    parent = resp.json['region']
    assert parent['description'] == 'first' and parent['parent_region_id'] is None
    assert parent['links']['self'].endswith('/identity/v3/regions/' + parent['id'])

    resp = admin.put(V3 + '/regions/child-1', {'region': {'parent_region_id': parent['id']}})
    assert resp.status_int == 201, resp.text
    child = resp.json['region']
    assert child['id'] == 'child-1' and child['description'] == ''
    assert child['parent_region_id'] == parent['id']
    assert admin.put(V3 + '/regions/child-1', {'region': {}}).status_int == 409
    assert admin.post(V3 + '/regions', {'region': {'id': 'child-1'}}).status_int == 409

    listed = admin.get(V3 + '/regions').json['regions']
    assert parent in listed and child in listed      # same shape as created
    listed = admin.get(V3 + '/regions?parent_region_id=' + parent['id']).json['regions']
    assert [r['id'] for r in listed] == ['child-1']

    resp = admin.patch(V3 + '/regions/child-1', {'region': {'description': 'new',
                                                            'parent_region_id': None}})
    assert resp.status_int == 200, resp.text
    assert resp.json['region']['description'] == 'new'
    assert resp.json['region']['parent_region_id'] is None
    assert admin.get(V3 + '/regions/child-1').json['region']['description'] == 'new'

    assert admin.delete(V3 + '/regions/child-1').status_int == 204
    assert admin.get(V3 + '/regions/child-1').status_int == 404


def test_region_errors(admin):
    resp = admin.post(V3 + '/regions', {'region': {'parent_region_id': 'nope'}})
    assert resp.status_int == 404
    assert 'nope' in resp.json['error']['message']
    admin.put(V3 + '/regions/a', {'region': {}})
    admin.put(V3 + '/regions/b', {'region': {'parent_region_id': 'a'}})
    resp = admin.patch(V3 + '/regions/a', {'region': {'parent_region_id': 'b'}})
    assert resp.status_int == 400, resp.text
    assert admin.patch(V3 + '/regions/a', {'region': {'parent_region_id': 'a'}}).status_int == 400
    resp = admin.put(V3 + '/regions/c', {'region': {'id': 'd'}})
    assert resp.status_int == 400
    assert admin.get(V3 + '/regions/zzz').status_int == 404


def test_region_delete_cascades_unless_endpoints(admin):
    admin.put(V3 + '/regions/top', {'region': {}})
    admin.put(V3 + '/regions/mid', {'region': {'parent_region_id': 'top'}})
    admin.put(V3 + '/regions/low', {'region': {'parent_region_id': 'mid'}})
    svc = service(admin)
    ep = endpoint(admin, svc['id'], region_id='low')
    assert admin.delete(V3 + '/regions/top').status_int == 403
    assert admin.get(V3 + '/regions/low').status_int == 200
    assert admin.delete(V3 + '/endpoints/' + ep['id']).status_int == 204
    assert admin.delete(V3 + '/regions/top').status_int == 204
    for rid in ('top', 'mid', 'low'):
        assert admin.get(V3 + '/regions/' + rid).status_int == 404


def test_region_with_limits_but_no_endpoints_can_be_deleted(admin):
    """Keystone blocks a region delete on endpoints only; limits keep naming it."""
    admin.put(V3 + '/regions/r1', {'region': {}})
    svc = service(admin)
    resp = admin.post(V3 + '/registered_limits', {'registered_limits': [{
        'service_id': svc['id'], 'region_id': 'r1', 'resource_name': 'cores',
        'default_limit': 5}]})
    assert resp.status_int == 201, resp.text
    reg = resp.json['registered_limits'][0]
    resp = admin.delete(V3 + '/regions/r1')
    assert resp.status_int == 204, resp.text
    assert admin.get(V3 + '/registered_limits/' + reg['id']).json[
        'registered_limit']['region_id'] == 'r1'
    assert admin.delete(V3 + '/registered_limits/' + reg['id']).status_int == 204


def test_region_policy(admin, client):
    _, token = make_user(admin, 'alice')
    assert client.get(V3 + '/regions').status_int == 401
    assert client.get(V3 + '/regions', token=token).status_int == 200
    assert client.post(V3 + '/regions', {'region': {}}, token=token).status_int == 403


# -- services ----------------------------------------------------------------

def test_service_crud(admin):
    svc = service(admin, 'shared-file-system', 'manila', description='block',
                  color='blue')
    assert svc['type'] == 'shared-file-system' and svc['name'] == 'manila'
    assert svc['enabled'] is True and svc['description'] == 'block'
    assert svc['color'] == 'blue'           # extra attributes are kept
    plain = service(admin, 'placement', 'placement')
    assert 'description' not in plain

    listed = admin.get(V3 + '/services?type=shared-file-system').json['services']
    assert listed == [svc]
    assert [s['id'] for s in admin.get(V3 + '/services?name=placement').json['services']] == \
        [plain['id']]

    resp = admin.patch(V3 + '/services/' + svc['id'],
                       {'service': {'description': 'blocks', 'enabled': False}})
    assert resp.status_int == 200
    updated = resp.json['service']
    assert updated['description'] == 'blocks' and updated['enabled'] is False
    assert admin.get(V3 + '/services/' + svc['id']).json['service'] == updated

    ep = endpoint(admin, svc['id'])
    assert admin.delete(V3 + '/services/' + svc['id']).status_int == 204
    assert admin.get(V3 + '/services/' + svc['id']).status_int == 404
    assert admin.get(V3 + '/endpoints/' + ep['id']).status_int == 404


def test_deleting_a_service_leaves_its_limits(admin):
    """As in Keystone: the service's limits stay until an operator deletes them."""
    svc = service(admin)
    reg = admin.post(V3 + '/registered_limits', {'registered_limits': [{
        'service_id': svc['id'], 'resource_name': 'cores', 'default_limit': 5}]}
    ).json['registered_limits'][0]
    assert admin.delete(V3 + '/services/' + svc['id']).status_int == 204
    assert admin.get(V3 + '/registered_limits/' + reg['id']).status_int == 200
    assert admin.delete(V3 + '/registered_limits/' + reg['id']).status_int == 204


def test_service_validation(admin, client):
    assert admin.post(V3 + '/services', {'service': {'name': 'x'}}).status_int == 400
    assert admin.post(V3 + '/services', {'service': {'type': 'x', 'enabled': 'yes'}}).status_int == 400
    assert admin.patch(V3 + '/services/nope', {'service': {'name': 'y'}}).status_int == 404
    _, token = make_user(admin, 'bob')
    assert client.get(V3 + '/services', token=token).status_int == 403


# -- endpoints ---------------------------------------------------------------

def test_endpoint_crud(admin):
    svc = service(admin)
    ep = endpoint(admin, svc['id'], region='NewRegion', enabled=True)
    assert ep['region'] == 'NewRegion' and ep['region_id'] == 'NewRegion'
    assert ep['interface'] == 'public' and ep['enabled'] is True
    assert admin.get(V3 + '/regions/NewRegion').status_int == 200   # auto-created

    other = service(admin, 'image', 'glance')
    internal = endpoint(admin, other['id'], interface='internal', region_id='NewRegion')
    ids = lambda q: {e['id'] for e in admin.get(V3 + '/endpoints' + q).json['endpoints']}
    assert ids('?service_id=' + svc['id']) == {ep['id']}
    assert internal['id'] in ids('?interface=internal') and ep['id'] not in ids('?interface=internal')
    assert ids('?region_id=NewRegion') == {ep['id'], internal['id']}

    resp = admin.patch(V3 + '/endpoints/' + ep['id'], {'endpoint': {
        'service_id': other['id'], 'interface': 'internal', 'url': 'http://y/',
        'region': 'Region2', 'enabled': False}})
    assert resp.status_int == 200, resp.text
    updated = resp.json['endpoint']
    assert (updated['service_id'], updated['interface'], updated['url'], updated['region'],
            updated['enabled']) == (other['id'], 'internal', 'http://y/', 'Region2', False)
    assert admin.get(V3 + '/endpoints/' + ep['id']).json['endpoint'] == updated
    assert admin.get(V3 + '/regions/Region2').status_int == 200

    assert admin.delete(V3 + '/endpoints/' + ep['id']).status_int == 204
    assert admin.get(V3 + '/endpoints/' + ep['id']).status_int == 404
    assert ep['id'] not in ids('')


@pytest.mark.parametrize('change', [
    {'enabled': 'True'}, {'enabled': 'False'}, {'interface': 'private'},
    {'url': 'not a url'}, {'service_id': 'nope'}, {'region_id': 'nope'},
    {'url': 'http://x/%(unknown)s'}])
def test_endpoint_bad_values(admin, change):
    svc = service(admin)
    body = dict(service_id=svc['id'], interface='public', url='http://x/')
    body.update(change)
    resp = admin.post(V3 + '/endpoints', {'endpoint': body})
    assert resp.status_int == 400, resp.text
    ep = endpoint(admin, svc['id'])
    resp = admin.patch(V3 + '/endpoints/' + ep['id'], {'endpoint': change})
    assert resp.status_int == 400, resp.text


def test_endpoint_required(admin):
    svc = service(admin)
    for missing in ('service_id', 'interface', 'url'):
        body = dict(service_id=svc['id'], interface='public', url='http://x/')
        del body[missing]
        resp = admin.post(V3 + '/endpoints', {'endpoint': body})
        assert resp.status_int == 400 and missing in resp.json['error']['message']


# -- endpoint groups and OS-EP-FILTER ----------------------------------------

def test_endpoint_group_crud(admin):
    svc = service(admin)
    resp = admin.post(EPF + '/endpoint_groups', {'endpoint_group': {
        'name': 'g1', 'description': 'd', 'filters': {'service_id': svc['id']}}})
    assert resp.status_int == 201, resp.text
    group = resp.json['endpoint_group']
    assert group['filters'] == {'service_id': svc['id']} and group['name'] == 'g1'
    assert group in admin.get(EPF + '/endpoint_groups').json['endpoint_groups']
    assert admin.get(EPF + '/endpoint_groups/' + group['id']).json['endpoint_group'] == group
    assert admin.head(EPF + '/endpoint_groups/' + group['id']).status_int == 200

    resp = admin.patch(EPF + '/endpoint_groups/' + group['id'], {'endpoint_group': {
        'name': 'g2', 'filters': {'interface': 'admin'}}})
    assert resp.status_int == 200
    assert resp.json['endpoint_group']['name'] == 'g2'
    assert resp.json['endpoint_group']['filters'] == {'interface': 'admin'}

    assert admin.delete(EPF + '/endpoint_groups/' + group['id']).status_int == 204
    assert admin.head(EPF + '/endpoint_groups/' + group['id']).status_int == 404


def test_endpoint_group_update_may_clear_its_filters(admin):
    """Keystone requires filters on create only; {} then matches every endpoint."""
    svc = service(admin)
    ep = endpoint(admin, svc['id'], interface='internal')
    group = admin.post(EPF + '/endpoint_groups', {'endpoint_group': {
        'name': 'g', 'filters': {'interface': 'admin'}}}).json['endpoint_group']
    resp = admin.patch(EPF + '/endpoint_groups/' + group['id'],
                       {'endpoint_group': {'filters': {}}})
    assert resp.status_int == 200, resp.text
    assert resp.json['endpoint_group']['filters'] == {}
    listed = admin.get(EPF + '/endpoint_groups/%s/endpoints' % group['id']).json['endpoints']
    assert ep['id'] in [e['id'] for e in listed]
    resp = admin.patch(EPF + '/endpoint_groups/' + group['id'],
                       {'endpoint_group': {'filters': {'url': 'x'}}})
    assert resp.status_int == 400


def test_endpoint_group_validation(admin):
    for body in ({'name': 'g'}, {'name': 'g', 'filters': {}},
                 {'name': 'g', 'filters': {'url': 'x'}}, {'filters': {'interface': 'public'}}):
        resp = admin.post(EPF + '/endpoint_groups', {'endpoint_group': body})
        assert resp.status_int == 400, body


def test_project_endpoints(admin):
    project_id = admin_project_id(admin)
    svc = service(admin)
    ep = endpoint(admin, svc['id'])
    path = '%s/projects/%s/endpoints/%s' % (EPF, project_id, ep['id'])
    assert admin.head(path).status_int == 404
    assert admin.put(path).status_int == 204
    assert admin.head(path).status_int == 204
    assert admin.get(path).status_int == 204
    listed = admin.get('%s/projects/%s/endpoints' % (EPF, project_id)).json['endpoints']
    assert [e['id'] for e in listed] == [ep['id']]
    projects = admin.get('%s/endpoints/%s/projects' % (EPF, ep['id'])).json['projects']
    assert [p['id'] for p in projects] == [project_id]
    assert projects[0]['links']['self'].endswith('/v3/projects/' + project_id)
    assert admin.delete(path).status_int == 204
    assert admin.delete(path).status_int == 404
    assert admin.get('%s/projects/%s/endpoints' % (EPF, project_id)).json['endpoints'] == []
    assert admin.put('%s/projects/nope/endpoints/%s' % (EPF, ep['id'])).status_int == 404
    assert admin.put('%s/projects/%s/endpoints/nope' % (EPF, project_id)).status_int == 404


def test_project_endpoint_groups(admin):
    project_id = admin_project_id(admin)
    svc = service(admin)
    public = endpoint(admin, svc['id'])
    endpoint(admin, svc['id'], interface='admin')
    group = admin.post(EPF + '/endpoint_groups', {'endpoint_group': {
        'name': 'pub', 'filters': {'service_id': svc['id'], 'interface': 'public'}}}
    ).json['endpoint_group']
    gpath = EPF + '/endpoint_groups/' + group['id']
    eps = admin.get(gpath + '/endpoints').json['endpoints']
    assert [e['id'] for e in eps] == [public['id']]

    assert admin.get('%s/projects/%s' % (gpath, project_id)).status_int == 404
    assert admin.put('%s/projects/%s' % (gpath, project_id)).status_int == 204
    resp = admin.get('%s/projects/%s' % (gpath, project_id))
    assert resp.status_int == 200
    assoc = resp.json['project_endpoint_group']
    assert (assoc['endpoint_group_id'], assoc['project_id']) == (group['id'], project_id)
    assert [p['id'] for p in admin.get(gpath + '/projects').json['projects']] == [project_id]
    groups = admin.get('%s/projects/%s/endpoint_groups' % (EPF, project_id)).json
    assert [g['id'] for g in groups['endpoint_groups']] == [group['id']]
    listed = admin.get('%s/projects/%s/endpoints' % (EPF, project_id)).json['endpoints']
    assert [e['id'] for e in listed] == [public['id']]

    assert admin.delete('%s/projects/%s' % (gpath, project_id)).status_int == 204
    assert admin.get(gpath + '/projects').json['projects'] == []


# -- the token catalog -------------------------------------------------------

def _urls(catalog, stype):
    return sorted((e['interface'], e['url']) for s in catalog if s['type'] == stype
                  for e in s['endpoints'])


def test_catalog_from_bootstrap(admin):
    catalog = manager.get().get_catalog(None, admin_project_id(admin))
    identity = [s for s in catalog if s['type'] == 'identity']
    assert len(identity) == 1 and identity[0]['name'] == 'keystone'
    assert _urls(catalog, 'identity') == [(i, 'http://localhost/identity')
                                         for i in ('admin', 'internal', 'public')]
    ep = identity[0]['endpoints'][0]
    assert set(ep) == {'id', 'interface', 'region', 'region_id', 'url'}
    assert ep['region'] == ep['region_id'] == 'RegionOne'


def test_catalog_enabled_substitution_and_cache(admin):
    mgr = manager.get()
    project_id = admin_project_id(admin)
    svc = service(admin)
    ep = endpoint(admin, svc['id'], url='http://c/v2.1/%(tenant_id)s')
    endpoint(admin, svc['id'], interface='internal', url='http://c/$(project_id)s/$(user_id)s')
    endpoint(admin, svc['id'], interface='admin', url='http://c/off', enabled=False)
    catalog = mgr.get_catalog('u1', project_id)
    assert _urls(catalog, 'dns') == [('internal', 'http://c/%s/u1' % project_id),
                                        ('public', 'http://c/v2.1/' + project_id)]
    # unscoped: endpoints needing a project are left out, the service stays
    assert _urls(mgr.get_catalog('u1', None), 'dns') == []
    assert 'dns' in [s['type'] for s in mgr.get_catalog('u1', None)]

    admin.patch(V3 + '/endpoints/' + ep['id'], {'endpoint': {'url': 'http://c/new'}})
    assert ('public', 'http://c/new') in _urls(mgr.get_catalog('u1', project_id), 'dns')
    admin.patch(V3 + '/services/' + svc['id'], {'service': {'enabled': False}})
    assert 'dns' not in [s['type'] for s in mgr.get_catalog('u1', project_id)]


def test_catalog_honours_ep_filter(admin):
    mgr = manager.get()
    project_id = admin_project_id(admin)
    svc = service(admin)
    public = endpoint(admin, svc['id'])
    internal = endpoint(admin, svc['id'], interface='internal')
    admin.put('%s/projects/%s/endpoints/%s' % (EPF, project_id, public['id']))
    catalog = mgr.get_catalog(None, project_id)
    assert [s['type'] for s in catalog] == ['dns']     # identity filtered away
    assert [e['id'] for e in catalog[0]['endpoints']] == [public['id']]

    group = admin.post(EPF + '/endpoint_groups', {'endpoint_group': {
        'name': 'int', 'filters': {'interface': 'internal'}}}).json['endpoint_group']
    admin.put('%s/endpoint_groups/%s/projects/%s' % (EPF, group['id'], project_id))
    catalog = mgr.get_catalog(None, project_id)
    ids = {e['id'] for s in catalog for e in s['endpoints']}
    assert public['id'] in ids and internal['id'] in ids
    assert 'identity' in [s['type'] for s in catalog]        # its internal endpoint
    assert _urls(catalog, 'identity') == [('internal', 'http://localhost/identity')]
