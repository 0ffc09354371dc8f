"""Objects of the Swift API: CRUD, metadata, conditions, ranges, copy, expiry."""
import email.utils
import hashlib
import io
import time

import webob

from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403

MD5_HELLO = hashlib.md5(b'hello world').hexdigest()


def _setup(swift, body=b'hello world', name='/c/o', headers=None):
    swift('PUT', '/c')
    r = swift('PUT', name, body=body, headers=headers)
    assert r.status_int == 201, r.text
    return r


def test_object_crud(swift):
    r = _setup(swift, headers={'X-Object-Meta-Color': 'blue',
                               'Content-Type': 'text/x-test',
                               'Content-Disposition': 'inline'})
    assert r.headers['ETag'] == MD5_HELLO
    assert 'Last-Modified' in r.headers and r.headers['Content-Length'] == '0'
    r = swift('GET', '/c/o')
    assert r.status_int == 200
    assert r.body == b'hello world'
    assert r.headers['ETag'] == MD5_HELLO
    assert r.headers['Content-Length'] == '11'
    assert r.headers['Content-Type'] == 'text/x-test'
    assert r.headers['X-Object-Meta-Color'] == 'blue'
    assert r.headers['Content-Disposition'] == 'inline'
    assert r.headers['Accept-Ranges'] == 'bytes'
    assert float(r.headers['X-Timestamp']) > 0
    r = swift('HEAD', '/c/o')
    assert r.status_int == 200 and r.body == b''
    assert r.headers['Content-Length'] == '11'
    assert swift('DELETE', '/c/o').status_int == 204
    assert swift('GET', '/c/o').status_int == 404
    assert swift('HEAD', '/c/o').status_int == 404
    assert swift('DELETE', '/c/o').status_int == 404


def test_object_in_missing_container(swift):
    assert swift('PUT', '/nope/o', body=b'x').status_int == 404
    assert swift('GET', '/nope/o').status_int == 404


def test_names_with_slashes_and_unicode(swift):
    swift('PUT', '/c')
    name = '/c/dir/sub/%E2%98%83 snow'
    assert swift('PUT', name, body=b'x').status_int == 201
    assert swift('GET', name).body == b'x'
    r = swift('GET', '/c?format=json')
    assert r.json[0]['name'] == 'dir/sub/\u2603 snow'


def test_content_type_defaults_by_name(swift):
    swift('PUT', '/c')
    swift('PUT', '/c/a.json', body=b'{}')
    assert swift('HEAD', '/c/a.json').headers['Content-Type'] == 'application/json'
    swift('PUT', '/c/blob', body=b'x')
    assert swift('HEAD', '/c/blob').headers['Content-Type'] == \
        'application/octet-stream'


def test_etag_verified(swift, backend):
    swift('PUT', '/c')
    r = swift('PUT', '/c/o', body=b'hello world', headers={'ETag': 'deadbeef'})
    assert r.status_int == 422
    assert swift('HEAD', '/c/o').status_int == 404
    r = swift('PUT', '/c/o', body=b'hello world', headers={'ETag': MD5_HELLO})
    assert r.status_int == 201


def test_chunked_upload_streams(app, swift, backend):
    swift('PUT', '/c')
    chunks = [b'a' * 70000, b'b' * 5]
    req = webob.Request.blank(swift.url('/c/chunky'), method='PUT')
    req.headers['X-Auth-Token'] = swift.token
    req.headers['Transfer-Encoding'] = 'chunked'
    req.environ['wsgi.input'] = io.BytesIO(b''.join(chunks))
    req.environ.pop('CONTENT_LENGTH', None)
    r = req.get_response(app)
    assert r.status_int == 201, r.text
    assert swift('GET', '/c/chunky').body == b''.join(chunks)
    assert swift('HEAD', '/c').headers['X-Container-Bytes-Used'] == '70005'


def test_length_required(app, swift):
    swift('PUT', '/c')
    req = webob.Request.blank(swift.url('/c/o'), method='PUT')
    req.headers['X-Auth-Token'] = swift.token
    req.environ.pop('CONTENT_LENGTH', None)
    assert req.get_response(app).status_int == 411


def test_too_large(swift):
    swift('PUT', '/c')
    r = swift('PUT', '/c/o', headers={'Content-Length': str(5 * 1024 ** 3 + 1)})
    assert r.status_int == 413


def test_object_name_length(swift):
    swift('PUT', '/c')
    assert swift('PUT', '/c/' + 'a' * 1024, body=b'x').status_int == 201
    r = swift('PUT', '/c/' + 'a' * 1025, body=b'x')
    assert r.status_int == 400
    assert r.text == 'Object name length of 1025 longer than 1024'


def test_object_metadata_limits(swift):
    swift('PUT', '/c')
    r = swift('PUT', '/c/o', body=b'x', headers={'X-Object-Meta-' + 'n' * 129: 'v'})
    assert r.status_int == 400
    r = swift('PUT', '/c/o', body=b'x', headers={'X-Object-Meta-n': 'v' * 257})
    assert r.status_int == 400
    assert swift('PUT', '/c/o', body=b'x',
                 headers={'X-Object-Meta-' + 'n' * 128: 'v' * 256}).status_int == 201


def test_post_replaces_metadata(swift):
    _setup(swift, headers={'X-Object-Meta-A': '1', 'X-Object-Meta-B': '2'})
    r = swift('POST', '/c/o', headers={'X-Object-Meta-C': '3',
                                       'Content-Type': 'text/new'})
    assert r.status_int == 202
    r = swift('HEAD', '/c/o')
    assert r.headers['X-Object-Meta-C'] == '3'
    assert 'X-Object-Meta-A' not in r.headers
    assert r.headers['Content-Type'] == 'text/new'
    assert swift('GET', '/c/o').body == b'hello world'
    assert swift('POST', '/c/missing').status_int == 404


def test_put_if_none_match(swift):
    swift('PUT', '/c')
    h = {'If-None-Match': '*'}
    assert swift('PUT', '/c/o', body=b'x', headers=h).status_int == 201
    assert swift('PUT', '/c/o', body=b'y', headers=h).status_int == 412
    assert swift('GET', '/c/o').body == b'x'
    assert swift('PUT', '/c/o', body=b'y',
                 headers={'If-None-Match': 'abc'}).status_int == 400


def test_conditional_get(swift):
    _setup(swift)
    lm = swift('HEAD', '/c/o').headers['Last-Modified']
    assert swift('GET', '/c/o', headers={'If-Match': MD5_HELLO}).status_int == 200
    assert swift('GET', '/c/o', headers={'If-Match': '"%s"' % MD5_HELLO}).status_int == 200
    assert swift('GET', '/c/o', headers={'If-Match': '*'}).status_int == 200
    assert swift('GET', '/c/o', headers={'If-Match': 'nope'}).status_int == 412
    r = swift('GET', '/c/o', headers={'If-None-Match': MD5_HELLO})
    assert r.status_int == 304 and r.body == b''
    assert r.headers['ETag'] == MD5_HELLO
    assert swift('HEAD', '/c/o', headers={'If-None-Match': MD5_HELLO}).status_int == 304
    assert swift('GET', '/c/o', headers={'If-None-Match': 'other'}).status_int == 200
    assert swift('GET', '/c/o', headers={'If-Modified-Since': lm}).status_int == 304
    past = email.utils.formatdate(time.time() - 3600, usegmt=True)
    future = email.utils.formatdate(time.time() + 3600, usegmt=True)
    assert swift('GET', '/c/o', headers={'If-Modified-Since': past}).status_int == 200
    assert swift('GET', '/c/o', headers={'If-Unmodified-Since': past}).status_int == 412
    assert swift('GET', '/c/o', headers={'If-Unmodified-Since': future}).status_int == 200
    assert swift('GET', '/c/o', headers={'If-Modified-Since': 'garbage'}).status_int == 200
    # each condition on its own, in Swift's order
    assert swift('GET', '/c/o', headers={'If-Match': MD5_HELLO,
                                         'If-Unmodified-Since': past}).status_int == 412
    assert swift('GET', '/c/o', headers={'If-None-Match': 'other',
                                         'If-Modified-Since': future}).status_int == 304
    assert swift('GET', '/c/o', headers={'If-None-Match': MD5_HELLO,
                                         'If-Match': 'nope'}).status_int == 304
    r = swift('GET', '/c/o', headers={'If-None-Match': MD5_HELLO})
    assert r.headers['Accept-Ranges'] == 'bytes'


def test_ranges(swift):
    body = bytes(range(100))
    _setup(swift, body=body)
    r = swift('GET', '/c/o', headers={'Range': 'bytes=10-19'})
    assert r.status_int == 206
    assert r.body == body[10:20]
    assert r.headers['Content-Range'] == 'bytes 10-19/100'
    assert r.headers['Content-Length'] == '10'
    r = swift('GET', '/c/o', headers={'Range': 'bytes=90-'})
    assert r.body == body[90:]
    r = swift('GET', '/c/o', headers={'Range': 'bytes=-5'})
    assert r.body == body[-5:] and r.headers['Content-Range'] == 'bytes 95-99/100'
    r = swift('GET', '/c/o', headers={'Range': 'bytes=95-500'})
    assert r.body == body[95:]
    r = swift('GET', '/c/o', headers={'Range': 'bytes=100-'})
    assert r.status_int == 416
    assert r.headers['Content-Range'] == 'bytes */100'
    r = swift('GET', '/c/o', headers={'Range': 'bytes=20-10'})
    assert r.status_int == 200 and r.body == body
    r = swift('GET', '/c/o', headers={'Range': 'pages=1-2'})
    assert r.status_int == 200
    r = swift('GET', '/c/o', headers={'Range': 'bytes=0-1,5-6'})
    assert r.status_int == 206
    ctype = r.headers['Content-Type']
    assert ctype.startswith('multipart/byteranges;boundary=')
    boundary = ctype.split('=', 1)[1].encode()
    assert r.headers['Content-Length'] == str(len(r.body))
    parts = r.body.split(b'--' + boundary)
    assert parts[-1] == b'--'
    assert parts[1].endswith(b'\r\n\r\n\x00\x01\r\n')
    assert b'Content-Range: bytes 5-6/100' in parts[2]


def test_copy_and_copy_from(swift):
    _setup(swift, headers={'X-Object-Meta-A': '1', 'Content-Type': 'text/x'})
    r = swift('COPY', '/c/o', headers={'Destination': '/c/o2',
                                       'X-Object-Meta-B': '2', 'X-Object-Meta-E': ''})
    assert r.status_int == 201, r.text
    assert r.headers['X-Copied-From'] == 'c/o'
    assert 'X-Copied-From-Last-Modified' in r.headers
    assert r.headers['ETag'] == MD5_HELLO
    assert r.headers['X-Object-Meta-A'] == '1' and r.headers['X-Object-Meta-B'] == '2'
    r = swift('GET', '/c/o2')
    assert r.body == b'hello world'
    assert r.headers['X-Object-Meta-A'] == '1' and r.headers['X-Object-Meta-B'] == '2'
    assert r.headers['X-Object-Meta-E'] == ''
    assert r.headers['Content-Type'] == 'text/x'
    swift('PUT', '/d')
    r = swift('PUT', '/d/o3', headers={'X-Copy-From': 'c/o',
                                       'X-Fresh-Metadata': 'true',
                                       'X-Object-Meta-C': '3',
                                       'Content-Length': '0'})
    assert r.status_int == 201, r.text
    r = swift('HEAD', '/d/o3')
    assert 'X-Object-Meta-A' not in r.headers and r.headers['X-Object-Meta-C'] == '3'
    assert swift('HEAD', '/d').headers['X-Container-Object-Count'] == '1'
    assert swift('COPY', '/c/missing', headers={'Destination': 'c/x'}).status_int == 404
    assert swift('COPY', '/c/o').status_int == 412
    assert swift('COPY', '/c/o', headers={'Destination': 'nocontainer'}).status_int == 412
    assert swift('COPY', '/c/o', headers={'Destination': 'zz/o'}).status_int == 404


def test_delete_after_and_delete_at(swift, backend, monkeypatch):
    swift('PUT', '/c')
    assert swift('PUT', '/c/o', body=b'x', headers={'X-Delete-After': '-1'}).status_int == 400
    assert swift('PUT', '/c/o', body=b'x', headers={'X-Delete-At': '1'}).status_int == 400
    assert swift('PUT', '/c/o', body=b'x', headers={'X-Delete-At': 'x'}).status_int == 400
    r = swift('PUT', '/c/o', body=b'x', headers={'X-Delete-After': '60'})
    assert r.status_int == 201
    at = int(swift('HEAD', '/c/o').headers['X-Delete-At'])
    assert abs(at - (time.time() + 60)) < 5
    swift('PUT', '/c/p', body=b'y')
    swift('POST', '/c/p', headers={'X-Delete-At': str(at)})
    assert swift('HEAD', '/c/p').headers['X-Delete-At'] == str(at)
    swift('PUT', '/c/keep', body=b'z')
    real = time.time
    monkeypatch.setattr(time, 'time', lambda: real() + 120)
    assert swift('GET', '/c/o').status_int == 404       # lazily removed
    assert ('AUTH_' + swift.project_id, 'c', 'o') not in backend.objects
    from cloudstack.object_store import manager
    assert manager.expire_objects() == 1                 # the sweep takes p
    assert swift('GET', '/c?format=json').json[0]['name'] == 'keep'
    r = swift('HEAD', '/c')
    assert r.headers['X-Container-Object-Count'] == '1'
    assert r.headers['X-Container-Bytes-Used'] == '1'


def test_backend_loss_self_heals(swift, backend):
    _setup(swift)
    backend.objects.clear()
    assert swift('GET', '/c/o').status_int == 404
    assert swift('HEAD', '/c').headers['X-Container-Object-Count'] == '0'


def test_unknown_method(swift):
    _setup(swift)
    assert swift('PATCH', '/c/o').status_int == 405


def test_invalid_utf8_and_nul_names(swift):
    swift('PUT', '/c')
    assert swift('PUT', '/c/bad%FFname', body=b'x').status_int == 412
    r = swift('PUT', '/c/nul%00name', body=b'x')
    assert r.status_int == 412 and r.text == 'Invalid UTF8 or contains NULL'


def test_zero_byte_object(swift):
    swift('PUT', '/c')
    r = swift('PUT', '/c/empty', headers={'Content-Length': '0'})
    assert r.status_int == 201
    assert r.headers['ETag'] == 'd41d8cd98f00b204e9800998ecf8427e'
    r = swift('GET', '/c/empty')
    assert r.status_int == 200 and r.body == b'' and r.headers['Content-Length'] == '0'


def test_expiry_sweep_is_a_periodic_task():
    from cloudstack.tasks import queue
    from cloudstack.object_store import manager
    assert queue.periodics.get('object_store.expire_objects')
    assert queue.resolve('object_store.expire_objects') is manager.expire_objects


def test_object_headers_kept(swift):
    swift('PUT', '/c')
    headers = {'Content-Encoding': 'gzip', 'Cache-Control': 'no-cache',
               'X-Object-Manifest': 'c/seg', 'X-Object-Meta-Empty': ''}
    assert swift('PUT', '/c/o', body=b'x', headers=headers).status_int == 201
    r = swift('HEAD', '/c/o')
    assert r.headers['Content-Encoding'] == 'gzip'
    assert r.headers['Cache-Control'] == 'no-cache'
    assert r.headers['X-Object-Manifest'] == 'c/seg'
    assert r.headers['X-Object-Meta-Empty'] == ''
    # Only an SLO manifest PUT may mark an object a static large object.
    assert swift('PUT', '/c/p', body=b'x', headers={
        'X-Static-Large-Object': 'True'}).status_int == 400
    r = swift('POST', '/c/o', headers={'X-Remove-Object-Meta-Empty': 'x'})
    assert 'X-Object-Meta-Empty' not in swift('HEAD', '/c/o').headers
