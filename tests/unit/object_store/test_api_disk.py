"""The API over the real DiskBackend (ring + replicas on directories)."""
import hashlib

import pytest

from cloudstack.object_store import manager
from tests.unit.object_store.test_api_fixtures import Swift, _project_id, _tables


@pytest.fixture
def disk_swift(app, admin, monkeypatch):
    _tables()
    monkeypatch.setattr(manager, '_backends', {})
    return Swift(app, admin.token, _project_id(admin, admin.token))


def test_object_lifecycle_on_disk(disk_swift):
    s = disk_swift
    body = bytes(range(256)) * 1000
    assert s('PUT', '/c').status_int == 201
    r = s('PUT', '/c/dir/o', body=body, headers={'X-Object-Meta-A': '1'})
    assert r.status_int == 201, r.text
    assert r.headers['ETag'] == hashlib.md5(body).hexdigest()
    r = s('GET', '/c/dir/o')
    assert r.body == body and r.headers['X-Object-Meta-A'] == '1'
    r = s('GET', '/c/dir/o', headers={'Range': 'bytes=1000-1999'})
    assert r.status_int == 206 and r.body == body[1000:2000]
    assert s('PUT', '/c/bad', body=b'x', headers={'ETag': 'f' * 32}).status_int == 422
    assert s('HEAD', '/c/bad').status_int == 404
    assert s('POST', '/c/dir/o', headers={'X-Object-Meta-B': '2'}).status_int == 202
    assert s('HEAD', '/c/dir/o').headers['X-Object-Meta-B'] == '2'
    r = s('COPY', '/c/dir/o', headers={'Destination': 'c/copy'})
    assert r.status_int == 201, r.text
    assert s('GET', '/c/copy').body == body
    assert s('DELETE', '/c/dir/o').status_int == 204
    assert s('GET', '/c/dir/o').status_int == 404
    assert s('GET', '/c').text == 'copy\n'
    assert manager._backend().head(s.account, 'c', 'copy').size == len(body)
    with pytest.raises(KeyError):
        manager._backend().head(s.account, 'c', 'dir/o')


def _put_stream(s, path, data, headers):
    import io
    import webob
    req = webob.Request.blank(s.url(path), method='PUT')
    req.headers['X-Auth-Token'] = s.token
    req.environ.pop('CONTENT_LENGTH', None)
    for k, v in headers.items():
        req.headers[k] = v
    req.environ['wsgi.input'] = io.BytesIO(data)
    return req.get_response(s.app)


def test_oversized_and_truncated_uploads_leave_nothing(disk_swift, monkeypatch):
    s = disk_swift
    s('PUT', '/c')
    monkeypatch.setattr(manager, 'MAX_FILE_SIZE', 100000)
    r = _put_stream(s, '/c/big', b'x' * 100001, {'Transfer-Encoding': 'chunked'})
    assert r.status_int == 413
    r = _put_stream(s, '/c/short', b'x' * 10, {'Content-Length': '20'})
    assert r.status_int == 499
    r = _put_stream(s, '/c/ok', b'x' * 100000, {'Transfer-Encoding': 'chunked'})
    assert r.status_int == 201
    for name in ('big', 'short'):
        assert s('HEAD', '/c/' + name).status_int == 404
        with pytest.raises(KeyError):
            manager._backend().head(s.account, 'c', name)
    assert s('HEAD', '/c').headers['X-Container-Object-Count'] == '1'
