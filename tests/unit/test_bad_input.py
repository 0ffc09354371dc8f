"""Bad input never gets a 500: what a careless or hostile client sends to the
JSON APIs through the whole WSGI app, answered with a 4xx in the API's shape."""
import io
import json

import webob

V3 = '/identity/v3'
IMG = '/image/v2/images'
NESTED = b'[' * 100000
HUGE_LENGTH = '100000000000000000000'


class Unreadable(io.RawIOBase):
    """A body that must not be read: refusals by size come first."""

    def readable(self):
        return True

    def readinto(self, buf):
        raise AssertionError('the body was read')


def _request(client, method, path, body=None, chunked=False, length=None, stream=None):
    req = webob.Request.blank(path, method=method, content_type='application/json')
    req.headers['X-Auth-Token'] = client.token
    if body is not None:
        req.body = body
    if chunked:     # as the server hands a chunked body over: no Content-Length
        req.environ['wsgi.input'] = io.BytesIO(body)
        req.environ.pop('CONTENT_LENGTH', None)
        req.headers['Transfer-Encoding'] = 'chunked'
    if length is not None:
        req.environ['CONTENT_LENGTH'] = length
        req.environ['wsgi.input'] = stream or Unreadable()
    return req.get_response(client.app)


def _big(key):
    return json.dumps({key: {'name': 'x' * (50 * 2 ** 20)}}).encode()


def test_a_50_mb_body_to_identity_is_refused_in_keystones_shape(admin):
    for path, key in ((V3 + '/projects', 'project'), (V3 + '/auth/tokens', 'auth')):
        resp = _request(admin, 'POST', path, _big(key))
        assert resp.status_int == 413, resp.text
        assert resp.json['error']['code'] == 413
        resp = _request(admin, 'POST', path, _big(key), chunked=True)
        assert resp.status_int == 413, resp.text


def test_an_absurd_content_length_is_refused_before_reading(admin):
    for path in (V3 + '/projects', V3 + '/auth/tokens', IMG):
        resp = _request(admin, 'POST', path, length=HUGE_LENGTH)
        assert resp.status_int == 413, resp.text
        assert '%s' not in resp.text and '114688' in resp.text


def test_deeply_nested_json_is_a_400(admin):
    for path in (V3 + '/projects', V3 + '/auth/tokens', V3 + '/users'):
        resp = _request(admin, 'POST', path, NESTED)
        assert resp.status_int == 400, resp.text
        assert resp.json['error']['code'] == 400
    for method, path in (('POST', IMG), ('POST', '/image/v2/tasks')):
        resp = _request(admin, method, path, NESTED)
        assert resp.status_int == 400, resp.text


def test_image_create_refuses_a_50_mb_body_by_its_size(admin):
    resp = _request(admin, 'POST', IMG, length=str(50 * 2 ** 20))
    assert resp.status_int == 413, resp.text
    body = _big('name')
    resp = _request(admin, 'POST', IMG, body, chunked=True)     # no length to trust
    assert resp.status_int == 413, resp.text
    assert admin.get(IMG).json['images'] == []


def test_chunked_json_bodies_are_read(admin):
    resp = _request(admin, 'POST', V3 + '/projects',
                    json.dumps({'project': {'name': 'chunky'}}).encode(), chunked=True)
    assert resp.status_int == 201, resp.text
    assert resp.json['project']['name'] == 'chunky'
    resp = _request(admin, 'POST', IMG, json.dumps({'name': 'chunky'}).encode(), chunked=True)
    assert resp.status_int == 201, resp.text
    assert resp.json['name'] == 'chunky'
