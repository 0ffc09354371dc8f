"""The shared API toolkit: routing, validation, microversions, paging, faults."""
import json

import pytest
import sqlalchemy as sa
import webob
from sqlalchemy import orm

from cloudstack.api import common, faults, microversion, validation, wsgi
from cloudstack import context as cs_context
from cloudstack import exception
from cloudstack.wsgi import middleware


class Things:
    @wsgi.response(201)
    @validation.body({'type': 'object', 'required': ['thing'],
                      'properties': {'thing': {'type': 'object', 'required': ['name'],
                                               'properties': {'name': validation.NAME}}}})
    def create(self, req, body):
        return {'thing': {'name': body['thing']['name']}}

    def show(self, req, thing_id):
        if thing_id == 'missing':
            raise exception.NotFound('no thing %s' % thing_id)
        return {'thing': {'id': thing_id}}

    def delete(self, req, thing_id):
        return None


def make_app(style='keystone', delay=True):
    router = wsgi.Router()
    things = Things()
    router.connect('/things', things, POST='create')
    router.connect('/things/{thing_id}', things, public=True, GET='show', DELETE='delete')
    return middleware.FaultWrapper(router, style=style)


def call(app, method, path, body=None, ctx=True, **headers):
    req = webob.Request.blank(path, method=method, headers=headers)
    if body is not None:
        req.body = json.dumps(body).encode() if not isinstance(body, bytes) else body
        req.content_type = 'application/json'
    if ctx:
        req.environ['cloudstack.context'] = cs_context.RequestContext(user_id='u')
    return req.get_response(app)


def test_routes_dispatch_by_verb_with_status_and_path_variables():
    app = make_app()
    resp = call(app, 'POST', '/things', {'thing': {'name': 'a'}})
    assert resp.status_int == 201 and resp.json == {'thing': {'name': 'a'}}
    assert call(app, 'GET', '/things/x7').json == {'thing': {'id': 'x7'}}
    assert call(app, 'DELETE', '/things/x7').status_int == 204


def test_unknown_path_is_404_and_wrong_verb_is_405_with_allow():
    app = make_app()
    assert call(app, 'GET', '/nothing').status_int == 404
    resp = call(app, 'PUT', '/things/x')
    assert resp.status_int == 405
    assert resp.headers['Allow'] == 'DELETE, GET'


def test_head_falls_back_to_get():
    assert call(make_app(), 'HEAD', '/things/x').status_int == 200


def test_private_route_needs_a_context_public_route_does_not():
    app = make_app()
    resp = call(app, 'POST', '/things', {'thing': {'name': 'a'}}, ctx=False)
    assert resp.status_int == 401
    assert resp.json['error']['code'] == 401
    assert resp.headers['WWW-Authenticate'].startswith('Keystone uri=')
    assert call(app, 'GET', '/things/x', ctx=False).status_int == 200


def test_schema_errors_are_400_in_the_service_shape():
    resp = call(make_app(), 'POST', '/things', {'thing': {}})
    assert resp.status_int == 400
    assert resp.json['error']['title'] == 'Bad Request'
    assert 'name' in resp.json['error']['message']
    resp = call(make_app(), 'POST', '/things', b'{not json')
    assert resp.status_int == 400


def test_fault_shapes_per_style():
    nova = call(make_app('nova'), 'GET', '/things/missing')
    assert nova.json == {'itemNotFound': {'code': 404, 'message': 'no thing missing'}}
    keystone = call(make_app('keystone'), 'GET', '/things/missing')
    assert keystone.json == {'error': {'code': 404, 'title': 'Not Found',
                                       'message': 'no thing missing'}}
    plain = call(make_app('plain'), 'GET', '/things/missing')
    assert plain.content_type == 'text/plain' and 'no thing missing' in plain.text


def test_unexpected_errors_are_500_without_details():
    def boom(environ, start_response):
        raise RuntimeError('secret detail')
    resp = call(middleware.FaultWrapper(boom, style='keystone'), 'GET', '/')
    assert resp.status_int == 500
    assert 'secret detail' not in resp.text


def test_microversion_negotiation():
    n = microversion.Negotiator('compute', '2.1', '2.90', 'X-OpenStack-Nova-API-Version')
    hdrs = webob.Request.blank('/').headers
    assert n.negotiate(hdrs) == (2, 1)
    hdrs['OpenStack-API-Version'] = 'compute 2.10'
    assert str(n.negotiate(hdrs)) == '2.10' and n.negotiate(hdrs) > (2, 9)
    hdrs['OpenStack-API-Version'] = 'compute latest'
    assert str(n.negotiate(hdrs)) == '2.90'
    hdrs['OpenStack-API-Version'] = 'volume 3.5'
    hdrs['X-OpenStack-Nova-API-Version'] = '2.3'
    assert str(n.negotiate(hdrs)) == '2.3'
    hdrs['OpenStack-API-Version'] = 'compute 2.91'
    with pytest.raises(exception.NotAcceptable):
        n.negotiate(hdrs)
    hdrs['OpenStack-API-Version'] = 'compute two'
    with pytest.raises(exception.BadRequest):
        n.negotiate(hdrs)
    assert n.response_headers(microversion.APIVersion('2.5'))[
        'OpenStack-API-Version'] == 'compute 2.5'


def test_since_hides_a_method_below_its_version():
    class C:
        @microversion.since('2.5')
        def show(self, req):
            return 'ok'
    req = webob.Request.blank('/')
    req.environ['cloudstack.api_version'] = microversion.APIVersion('2.4')
    req = wsgi.Request(req.environ)
    with pytest.raises(exception.NotFound):
        C().show(req)
    req.environ['cloudstack.api_version'] = microversion.APIVersion('2.5')
    assert C().show(req) == 'ok'


class _Base(orm.DeclarativeBase):
    pass


class Row(_Base):
    __tablename__ = 'rows'
    id = sa.Column(sa.String, primary_key=True)
    size = sa.Column(sa.Integer)


def test_keyset_pagination_walks_every_row_once_in_order():
    engine = sa.create_engine('sqlite://')
    _Base.metadata.create_all(engine)
    with orm.Session(engine) as s:
        s.add_all(Row(id='r%02d' % i, size=i % 4) for i in range(23))
        s.commit()
        seen, marker = [], None
        while True:
            stmt = common.paginate(sa.select(Row), Row, 5, marker,
                                   sort=[('size', 'desc')])
            page = s.scalars(stmt).all()
            seen += page
            if len(page) < 5:
                break
            marker = page[-1]
        assert len(seen) == 23 and len({r.id for r in seen}) == 23
        assert [r.size for r in seen] == sorted((r.size for r in seen), reverse=True)


def test_limit_marker_and_sort_params_validate_input():
    req = webob.Request.blank('/x?limit=5&marker=m&sort=name:asc,size')
    assert common.limit_marker(req, max_limit=3) == (3, 'm')
    assert common.sort_params(req, {'name', 'size'}) == [('name', 'asc'), ('size', 'desc')]
    with pytest.raises(exception.BadRequest):
        common.limit_marker(webob.Request.blank('/x?limit=-1'))
    with pytest.raises(exception.BadRequest):
        common.sort_params(webob.Request.blank('/x?sort_key=secret'), {'name'})


def test_next_link_only_when_the_page_is_full():
    req = webob.Request.blank('http://h/v/things?limit=2&marker=a')
    assert common.next_link(req, [{'id': 'b'}, {'id': 'c'}], 2) == \
        'http://h/v/things?limit=2&marker=c'
    assert common.next_link(req, [{'id': 'b'}], 2) is None


def test_validation_formats_the_failing_field():
    schema = {'type': 'object', 'properties': {'enabled': validation.BOOLEAN},
              'additionalProperties': False}
    with pytest.raises(exception.ValidationError, match="enabled"):
        validation.validate(schema, {'enabled': 'yes'})
    with pytest.raises(exception.ValidationError, match='extra'):
        validation.validate(schema, {'extra': 1})
    assert validation.validate(schema, {'enabled': True}) == {'enabled': True}


def test_faults_render_headers():
    resp = faults.render('keystone', 409, 'Conflict', 'dup', {'X-A': 'b'})
    assert resp.status_int == 409 and resp.headers['X-A'] == 'b'
    assert resp.json['error']['message'] == 'dup'


def test_faults_cinder_shape():
    assert faults.render('cinder', 413, 'Over', 'quota').json == {
        'overLimit': {'code': 413, 'message': 'quota'}}
    assert 'serviceUnavailable' in faults.render('cinder', 503, 'x', 'y').json
    assert 'computeFault' in faults.render('cinder', 406, 'x', 'y').json
