"""Unified limits: /v3/registered_limits, /v3/limits, /v3/limits/model."""
import pytest

from tests.unit.identity.test_catalog import V3, admin_project_id, make_user, service

REG = V3 + '/registered_limits'
LIM = V3 + '/limits'


@pytest.fixture
def svc(admin):
    return service(admin)['id']


def register(admin, service_id, name='cores', default=10, **kw):
    resp = admin.post(REG, {'registered_limits': [dict(
        service_id=service_id, resource_name=name, default_limit=default, **kw)]})
    assert resp.status_int == 201, resp.text
    return resp.json['registered_limits'][0]


def test_limit_model(admin):
    resp = admin.get(LIM + '/model')
    assert resp.status_int == 200
    assert resp.json['model']['name'] == 'flat' and resp.json['model']['description']


def test_registered_limits(admin, svc):
    resp = admin.post(REG, {'registered_limits': [
        {'service_id': svc, 'resource_name': 'cores', 'default_limit': 10},
        {'service_id': svc, 'region_id': 'RegionOne', 'resource_name': 'ram',
         'default_limit': 1024, 'description': 'MB'}]})
    assert resp.status_int == 201, resp.text
    cores, ram = resp.json['registered_limits']
    assert (cores['resource_name'], cores['default_limit'], cores['region_id']) == \
        ('cores', 10, None)
    assert ram['region_id'] == 'RegionOne' and ram['description'] == 'MB'
    assert cores['links']['self'].endswith('/v3/registered_limits/' + cores['id'])

    dup = {'service_id': svc, 'resource_name': 'cores', 'default_limit': 5}
    assert admin.post(REG, {'registered_limits': [dup]}).status_int == 409
    for bad in ({'service_id': 'nope', 'resource_name': 'x', 'default_limit': 1},
                {'service_id': svc, 'region_id': 'nope', 'resource_name': 'x',
                 'default_limit': 1},
                {'service_id': svc, 'resource_name': 'x'},
                {'service_id': svc, 'resource_name': 'x', 'default_limit': -2},
                {'service_id': svc, 'resource_name': 'x', 'default_limit': 1, 'bad': 1}):
        assert admin.post(REG, {'registered_limits': [bad]}).status_int == 400, bad
    assert admin.post(REG, {'registered_limits': []}).status_int == 400

    names = lambda q: sorted(r['resource_name'] for r in admin.get(REG + q).json[
        'registered_limits'])
    assert names('') == ['cores', 'ram']
    assert names('?region_id=RegionOne') == ['ram']
    assert names('?resource_name=cores&service_id=' + svc) == ['cores']

    resp = admin.patch(REG + '/' + cores['id'], {'registered_limit': {'default_limit': 20}})
    assert resp.status_int == 200 and resp.json['registered_limit']['default_limit'] == 20
    assert admin.get(REG + '/' + cores['id']).json['registered_limit']['default_limit'] == 20
    resp = admin.patch(REG + '/' + cores['id'], {'registered_limit': {'resource_name': 'ram',
                                                                      'region_id': 'RegionOne'}})
    assert resp.status_int == 409
    assert admin.delete(REG + '/' + cores['id']).status_int == 204
    assert admin.get(REG + '/' + cores['id']).status_int == 404


def test_limits(admin, client, svc):
    project_id = admin_project_id(admin)
    reg = register(admin, svc)
    body = {'service_id': svc, 'project_id': project_id, 'resource_name': 'cores',
            'resource_limit': 5}
    resp = admin.post(LIM, {'limits': [body]})
    assert resp.status_int == 201, resp.text
    limit = resp.json['limits'][0]
    assert (limit['project_id'], limit['domain_id'], limit['resource_limit']) == \
        (project_id, None, 5)
    assert admin.post(LIM, {'limits': [body]}).status_int == 409
    # a domain given as project_id is a domain limit
    resp = admin.post(LIM, {'limits': [dict(body, project_id='default')]})
    assert resp.status_int == 201, resp.text
    domain_limit = resp.json['limits'][0]
    assert (domain_limit['project_id'], domain_limit['domain_id']) == (None, 'default')

    # no registered limit for it: 403; bad references: 400
    assert admin.post(LIM, {'limits': [dict(body, resource_name='ram')]}).status_int == 403
    for bad in (dict(body, project_id='nope'), dict(body, service_id='nope'),
                dict(body, domain_id='default'), {'service_id': svc, 'resource_name': 'cores',
                                                  'resource_limit': 1}):
        assert admin.post(LIM, {'limits': [bad]}).status_int == 400, bad

    ids = lambda q, tok=None: {x['id'] for x in client.get(
        LIM + q, token=tok or admin.token).json['limits']}
    assert ids('') == {limit['id'], domain_limit['id']}
    assert ids('?domain_id=default') == {domain_limit['id']}
    assert ids('?project_id=' + project_id) == {limit['id']}

    resp = admin.patch(LIM + '/' + limit['id'], {'limit': {'resource_limit': 7,
                                                           'description': 'more'}})
    assert resp.status_int == 200
    assert (resp.json['limit']['resource_limit'], resp.json['limit']['description']) == \
        (7, 'more')
    assert admin.patch(LIM + '/' + limit['id'], {'limit': {'service_id': svc}}).status_int == 400

    # a project member sees its project's limits only
    _, token = make_user(admin, 'gina')
    assert ids('', token) == {limit['id']}
    assert client.get(LIM + '/' + limit['id'], token=token).status_int == 200
    assert client.get(LIM + '/' + domain_limit['id'], token=token).status_int == 403
    assert client.post(LIM, {'limits': [body]}, token=token).status_int == 403
    assert client.get(REG, token=token).status_int == 200

    # a registered limit in use can be neither deleted nor moved
    assert admin.delete(REG + '/' + reg['id']).status_int == 403
    resp = admin.patch(REG + '/' + reg['id'], {'registered_limit': {'resource_name': 'x'}})
    assert resp.status_int == 403
    assert admin.delete(LIM + '/' + limit['id']).status_int == 204
    assert admin.get(LIM + '/' + limit['id']).status_int == 404
    assert admin.delete(LIM + '/' + domain_limit['id']).status_int == 204
    assert admin.delete(REG + '/' + reg['id']).status_int == 204
