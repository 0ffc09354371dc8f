"""The shared middleware: oslo.middleware's filters over our configuration,
and ours (fault wrapper, auth)."""
import io
import json
import re
import uuid

from oslo_context import context as oslo_context
import webob
import webob.dec

from cloudstack.wsgi import middleware
from tests.conftest import Client


@webob.dec.wsgify
def echo(req):
    return webob.Response(json={'url': req.application_url, 'path': req.path,
                                'body': req.body.decode()})


def test_request_id_is_set_and_answered():
    app = middleware.request_id_factory({})(echo)
    resp = webob.Request.blank('/').get_response(app)
    assert re.match(r'^req-[0-9a-f-]{36}$', resp.headers['x-openstack-request-id'])
    other = webob.Request.blank('/').get_response(app)
    assert other.headers['x-openstack-request-id'] != resp.headers['x-openstack-request-id']


def test_request_id_is_the_current_log_context():
    seen = []

    @webob.dec.wsgify
    def remember(req):
        seen.append(oslo_context.get_current())
        return webob.Response()
    resp = webob.Request.blank('/').get_response(middleware.request_id_factory({})(remember))
    assert seen[0].request_id == resp.headers['x-openstack-request-id']


SPOOFED = {'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'cloud.example',
           'X-Forwarded-Prefix': '/api', 'X-Forwarded-For': '192.0.2.9'}


def test_proxy_headers_are_ignored_unless_the_operator_trusts_a_proxy(conf):
    app = middleware.http_proxy_to_wsgi_factory({})(echo)
    resp = webob.Request.blank('/v3', headers=SPOOFED).get_response(app)
    assert resp.json['url'] == 'http://localhost'


def test_proxy_headers_change_scheme_host_and_prefix_when_trusted(override):
    override('enable_proxy_headers_parsing', True, group='oslo_middleware')
    app = middleware.http_proxy_to_wsgi_factory({})(echo)
    resp = webob.Request.blank('/v3', headers=SPOOFED).get_response(app)
    assert resp.json['url'] == 'https://cloud.example/api'


def test_size_limit_refuses_large_bodies_declared_or_streamed(override):
    override('max_request_body_size', 10, group='oslo_middleware')
    app = middleware.FaultWrapper(middleware.SizeLimit.factory({})(echo))
    req = webob.Request.blank('/', method='POST', body=b'x' * 11)
    assert req.get_response(app).status_int == 413
    req = webob.Request.blank('/', method='POST', body=b'x' * 10)
    assert req.get_response(app).status_int == 200
    req = webob.Request.blank('/', method='POST')
    req.environ['wsgi.input'] = io.BytesIO(b'y' * 50)
    req.environ.pop('CONTENT_LENGTH', None)
    req.environ['wsgi.input_terminated'] = True     # as eventlet marks chunked input
    assert req.get_response(app).status_int == 413


def test_a_too_large_body_gets_the_apis_own_error_shape(override, client):
    override('max_request_body_size', 100, group='oslo_middleware')
    big = json.dumps({'auth': {'padding': 'x' * 200}}).encode()
    declared = webob.Request.blank('/identity/v3/auth/tokens', method='POST', body=big,
                                   content_type='application/json')
    streamed = webob.Request.blank('/identity/v3/auth/tokens', method='POST',
                                   content_type='application/json')
    streamed.environ['wsgi.input'] = io.BytesIO(big)
    streamed.environ.pop('CONTENT_LENGTH', None)
    streamed.environ['wsgi.input_terminated'] = True
    for req in (declared, streamed):
        resp = req.get_response(client.app)
        assert resp.status_int == 413
        assert resp.json['error']['code'] == 413        # Keystone's shape


def test_cors_only_for_allowed_origins(override):
    assert middleware.cors_factory({})(echo) is echo       # none allowed: no filter
    override('allowed_origin', ['https://ui.example'], group='cors')
    app = middleware.cors_factory({})(echo)
    pre = webob.Request.blank('/', method='OPTIONS', headers={
        'Origin': 'https://ui.example', 'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'X-Auth-Token'}).get_response(app)
    assert pre.headers['Access-Control-Allow-Origin'] == 'https://ui.example'
    assert pre.headers['Access-Control-Allow-Headers'] == 'X-Auth-Token'
    actual = webob.Request.blank('/', headers={'Origin': 'https://ui.example'}
                                 ).get_response(app)
    assert 'X-Subject-Token' in actual.headers['Access-Control-Expose-Headers']
    other = webob.Request.blank('/', headers={'Origin': 'https://evil.example'}
                                ).get_response(app)
    assert 'Access-Control-Allow-Origin' not in other.headers


def test_authtoken_rejects_missing_token_unless_delayed(conf):
    strict = middleware.FaultWrapper(middleware.AuthToken(echo))
    assert webob.Request.blank('/').get_response(strict).status_int == 401
    delayed = middleware.AuthToken(echo, delay_auth_decision='true')
    assert webob.Request.blank('/').get_response(delayed).status_int == 200


def test_spoofed_forwarded_headers_do_not_change_the_links_we_hand_out(client):
    resp = client.get('/identity/v3', headers=SPOOFED)
    assert resp.json['version']['links'][0]['href'] == 'http://localhost/identity/v3/'
    assert 'cloud.example' not in resp.text


def test_a_trusted_proxy_changes_the_links(override, db):
    from cloudstack.wsgi import app as wsgi_app
    override('enable_proxy_headers_parsing', True, group='oslo_middleware')
    resp = Client(wsgi_app.load_app()).get('/identity/v3', headers=SPOOFED)
    assert resp.json['version']['links'][0]['href'] == 'https://cloud.example/api/identity/v3/'


def test_a_valid_inbound_request_id_is_the_global_request_id():
    seen = []

    @webob.dec.wsgify
    def remember(req):
        seen.append(oslo_context.get_current().global_request_id)
        return webob.Response()
    app = middleware.request_id_factory({})(remember)
    given = 'req-%s' % uuid.uuid4()
    resp = webob.Request.blank('/', headers={'X-Openstack-Request-Id': given}).get_response(app)
    assert seen == [given] and resp.headers['x-openstack-request-id'] != given
    webob.Request.blank('/', headers={'X-Openstack-Request-Id': 'bogus'}).get_response(app)
    assert seen[1] is None
