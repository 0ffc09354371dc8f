"""Dynamic large objects through the whole object_store pipeline."""
import hashlib

from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403


def _md5(data):
    return hashlib.md5(data).hexdigest()


def _dlo(swift, parts=(b'abc', b'defg', b'hi'), prefix='seg/'):
    swift('PUT', '/c')
    swift('PUT', '/segs')
    for i, part in enumerate(parts):
        r = swift('PUT', '/segs/%s%02d' % (prefix, i), body=part)
        assert r.status_int == 201
    r = swift('PUT', '/c/big', body=b'',
              headers={'X-Object-Manifest': 'segs/' + prefix})
    assert r.status_int == 201
    return b''.join(parts), '"%s"' % _md5(''.join(_md5(p) for p in parts).encode())


def test_get_and_head_concatenate_segments(swift):
    data, etag = _dlo(swift)
    r = swift('GET', '/c/big')
    assert r.status_int == 200, r.text
    assert r.body == data
    assert r.headers['ETag'] == etag
    assert r.headers['Content-Length'] == str(len(data))
    assert r.headers['X-Object-Manifest'] == 'segs/seg/'
    r = swift('HEAD', '/c/big')
    assert r.status_int == 200 and r.body == b''
    assert r.headers['ETag'] == etag
    assert r.headers['Content-Length'] == str(len(data))


def test_segments_read_in_name_order_and_prefix_only(swift):
    data, _ = _dlo(swift, parts=(b'1', b'2', b'3'))
    swift('PUT', '/segs/other', body=b'XXXX')
    swift('PUT', '/segs/seg/00', body=b'0')      # replaces the first
    assert swift('GET', '/c/big').body == b'023'


def test_multipart_manifest_get_returns_manifest(swift):
    _dlo(swift)
    r = swift('GET', '/c/big?multipart-manifest=get')
    assert r.status_int == 200
    assert r.body == b''
    assert r.headers['ETag'] == _md5(b'')


def test_range_over_segments(swift):
    data, _ = _dlo(swift)
    r = swift('GET', '/c/big', headers={'Range': 'bytes=2-5'})
    assert r.status_int == 206
    assert r.body == data[2:6]
    assert r.headers['Content-Range'] == 'bytes 2-5/%d' % len(data)
    r = swift('GET', '/c/big', headers={'Range': 'bytes=-3'})
    assert r.body == data[-3:]
    r = swift('GET', '/c/big', headers={'Range': 'bytes=100-'})
    assert r.status_int == 416


def test_conditions_apply_to_the_whole(swift):
    data, etag = _dlo(swift)
    assert swift('GET', '/c/big', headers={'If-Match': etag}).status_int == 200
    assert swift('GET', '/c/big',
                 headers={'If-Match': _md5(b'')}).status_int == 412
    assert swift('GET', '/c/big',
                 headers={'If-None-Match': etag}).status_int == 304
    r = swift('GET', '/c/big', headers={'If-None-Match': _md5(b'')})
    assert r.status_int == 200 and r.body == data


def test_manifest_set_by_post_and_empty_listing(swift):
    swift('PUT', '/c')
    swift('PUT', '/c/m', body=b'')
    r = swift('POST', '/c/m', headers={'X-Object-Manifest': 'c/p/'})
    assert r.status_int == 202
    r = swift('GET', '/c/m')
    assert r.status_int == 200 and r.body == b''
    assert r.headers['ETag'] == '"%s"' % _md5(b'')
    swift('PUT', '/c/p/1', body=b'xy')
    assert swift('GET', '/c/m').body == b'xy'


def test_bad_manifest_value(swift):
    swift('PUT', '/c')
    r = swift('PUT', '/c/m', body=b'', headers={'X-Object-Manifest': 'nocontainer'})
    assert r.status_int == 400


def test_missing_segment_container_reads_empty(swift):
    swift('PUT', '/c')
    swift('PUT', '/c/m', body=b'', headers={'X-Object-Manifest': 'gone/p'})
    r = swift('GET', '/c/m')
    assert r.status_int == 200 and r.body == b''


def test_info_lists_dlo(swift, app):
    r = raw(app, 'GET', '/info')
    assert 'dlo' in r.json


def test_copy_makes_plain_object(swift):
    data, _ = _dlo(swift)
    r = swift('COPY', '/c/big', headers={'Destination': 'c/plain'})
    assert r.status_int == 201, r.text
    r = swift('GET', '/c/plain')
    assert r.body == data and 'X-Object-Manifest' not in r.headers
    assert r.headers['ETag'] == _md5(data)
    r = swift('COPY', '/c/big?multipart-manifest=get',
              headers={'Destination': 'c/man'})
    assert r.status_int == 201
    r = swift('GET', '/c/man')
    assert r.headers['X-Object-Manifest'] == 'segs/seg/' and r.body == data


def test_utf8_container_and_prefix(swift):
    """A manifest header as a client sends it: UTF-8 bytes (latin-1 in WSGI)."""
    import urllib.parse
    from cloudstack.object_store.api import util
    seg_container, prefix = 'sègs\u2603', 'préfix\u00e9/'
    q = urllib.parse.quote
    assert swift('PUT', '/c').status_int == 201
    assert swift('PUT', '/' + q(seg_container)).status_int == 201
    for i, part in enumerate((b'abc', b'def')):
        r = swift('PUT', '/%s/%s%d' % (q(seg_container), q(prefix), i), body=part)
        assert r.status_int == 201
    r = swift('PUT', '/c/big', body=b'', headers={
        'X-Object-Manifest': util.to_wsgi('%s/%s' % (seg_container, prefix))})
    assert r.status_int == 201
    r = swift('GET', '/c/big')
    assert r.status_int == 200 and r.body == b'abcdef'
    # the quoted form means the same
    r = swift('PUT', '/c/big2', body=b'', headers={
        'X-Object-Manifest': q('%s/%s' % (seg_container, prefix))})
    assert swift('GET', '/c/big2').body == b'abcdef'


def test_several_ranges_get_the_whole_with_200(swift):
    data, _ = _dlo(swift)
    r = swift('GET', '/c/big', headers={'Range': 'bytes=0-1,4-5'})
    assert r.status_int == 200 and r.body == data
    r = swift('GET', '/c/big', headers={'Range': 'bytes=1-4'})
    assert r.status_int == 206 and r.body == data[1:5]


def test_referrer_acl_needed_on_the_segment_container_too(swift):
    data, _ = _dlo(swift)
    anon = {'Referer': 'http://www.example.com/page'}
    assert swift('POST', '/c', headers={
        'X-Container-Read': '.r:.example.com,.rlistings'}).status_int == 204
    assert swift('GET', '/c/big', headers=anon, token=None).status_int in (401, 403)
    r = swift('GET', '/c/big?multipart-manifest=get', headers=anon, token=None)
    assert r.status_int == 200, r.status
    assert swift('POST', '/segs', headers={
        'X-Container-Read': '.r:.example.com,.rlistings'}).status_int == 204
    r = swift('GET', '/segs/seg/00', headers=anon, token=None)
    assert r.status_int == 200, r.status
    r = swift('GET', '/c/big', headers=anon, token=None)
    assert r.status_int == 200 and r.body == data
    r = swift('GET', '/c/big', headers={'Referer': 'http://other.org/'}, token=None)
    assert r.status_int in (401, 403)
