"""The shared middleware."""
import io

import webob

from cloudstack.conf import CONF
from cloudstack.wsgi import middleware


@webob.dec.wsgify
def echo(req):
    return webob.Response(json={'url': req.application_url, 'path': req.path,
                                'body': req.body.decode()})


def test_request_id_is_set_and_answered():
    resp = webob.Request.blank('/').get_response(middleware.RequestId(echo))
    assert resp.headers['x-openstack-request-id'].startswith('req-')
    other = webob.Request.blank('/').get_response(middleware.RequestId(echo))
    assert other.headers['x-openstack-request-id'] != resp.headers['x-openstack-request-id']


def test_proxy_headers_change_scheme_host_and_prefix():
    req = webob.Request.blank('/v3', headers={
        'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'cloud.example',
        'X-Forwarded-Prefix': '/api'})
    resp = req.get_response(middleware.HTTPProxyToWSGI(echo))
    assert resp.json['url'] == 'https://cloud.example/api'


def test_size_limit_refuses_large_bodies_declared_or_streamed(conf):
    app = middleware.FaultWrapper(middleware.SizeLimit(echo, max_body_size='10'))
    req = webob.Request.blank('/', method='POST', body=b'x' * 11)
    assert req.get_response(app).status_int == 413
    req = webob.Request.blank('/', method='POST', body=b'x' * 10)
    assert req.get_response(app).status_int == 200
    req = webob.Request.blank('/', method='POST')
    req.environ['wsgi.input'] = io.BytesIO(b'y' * 50)
    req.environ.pop('CONTENT_LENGTH', None)
    req.environ['wsgi.input_terminated'] = True     # as eventlet marks chunked input
    assert req.get_response(app).status_int == 413


def test_cors_only_for_allowed_origins(conf):
    CONF.set_override('cors_allowed_origins', ['https://ui.example'])
    try:
        app = middleware.CORS(echo)
        pre = webob.Request.blank('/', method='OPTIONS', headers={
            'Origin': 'https://ui.example', 'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'X-Auth-Token'}).get_response(app)
        assert pre.headers['Access-Control-Allow-Origin'] == 'https://ui.example'
        assert pre.headers['Access-Control-Allow-Headers'] == 'X-Auth-Token'
        other = webob.Request.blank('/', headers={'Origin': 'https://evil.example'}
                                    ).get_response(app)
        assert 'Access-Control-Allow-Origin' not in other.headers
    finally:
        CONF.clear_override('cors_allowed_origins')


def test_authtoken_rejects_missing_token_unless_delayed(conf):
    strict = middleware.FaultWrapper(middleware.AuthToken(echo))
    assert webob.Request.blank('/').get_response(strict).status_int == 401
    delayed = middleware.AuthToken(echo, delay_auth_decision='true')
    assert webob.Request.blank('/').get_response(delayed).status_int == 200
