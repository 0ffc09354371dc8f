"""Object versioning (X-Versions-Enabled) through the whole pipeline."""
import hashlib
import json

from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403

MARKER = 'application/x-deleted;swift_versions_deleted=1'


def _md5(data):
    return hashlib.md5(data).hexdigest()


def _versioned(swift, name='/c'):
    r = swift('PUT', name, headers={'X-Versions-Enabled': 'true'})
    assert r.status_int == 201, r.text


def _put(swift, path, data, ctype='text/plain', headers=None):
    h = {'Content-Type': ctype}
    h.update(headers or {})
    r = swift('PUT', path, body=data, headers=h)
    assert r.status_int == 201, r.text
    return r.headers['X-Object-Version-Id']


def _versions(swift, query=''):
    r = swift('GET', '/c?versions&format=json' + query)
    assert r.status_int == 200, r.text
    listing = r.json
    for entry in listing:
        entry.pop('last_modified', None)
    return listing


def test_enable_disable_and_info(swift, app):
    _versioned(swift)
    assert swift('HEAD', '/c').headers['X-Versions-Enabled'] == 'True'
    assert swift('POST', '/c', headers={'X-Versions-Enabled': 'false'}).status_int == 204
    assert swift('HEAD', '/c').headers['X-Versions-Enabled'] == 'False'
    info = raw(app, 'GET', '/info').json
    assert 'object_versioning' in info


def test_overwrite_keeps_versions(swift):
    _versioned(swift)
    v1 = _put(swift, '/c/o', b'first', 'text/one')
    v2 = _put(swift, '/c/o', b'second!', 'text/two', {'X-Object-Meta-Color': 'red'})
    assert v1 != v2
    r = swift('GET', '/c/o')
    assert r.body == b'second!' and r.headers['Content-Type'] == 'text/two'
    assert r.headers['X-Object-Version-Id'] == v2
    assert r.headers['Content-Location'] == '/v1/%s/c/o?version-id=%s' % (
        swift.account, v2)
    r = swift('GET', '/c/o?version-id=' + v1)
    assert r.status_int == 200 and r.body == b'first'
    assert r.headers['Content-Type'] == 'text/one'
    assert 'X-Object-Meta-Color' not in r.headers
    assert r.headers['X-Object-Version-Id'] == v1
    assert _versions(swift) == [
        {'name': 'o', 'bytes': 7, 'hash': _md5(b'second!'), 'content_type': 'text/two',
         'version_id': v2, 'is_latest': True},
        {'name': 'o', 'bytes': 5, 'hash': _md5(b'first'), 'content_type': 'text/one',
         'version_id': v1, 'is_latest': False}]
    # the container shows the current version, with its size and bytes
    entry = swift('GET', '/c?format=json').json[0]
    assert (entry['name'], entry['bytes'], entry['hash']) == ('o', 7, _md5(b'second!'))
    h = swift('HEAD', '/c').headers
    assert h['X-Container-Object-Count'] == '1'
    assert h['X-Container-Bytes-Used'] == '12'


def test_delete_writes_a_marker(swift):
    _versioned(swift)
    v1 = _put(swift, '/c/o', b'data')
    r = swift('DELETE', '/c/o')
    assert r.status_int == 204
    marker = r.headers['X-Object-Version-Id']
    assert swift('GET', '/c/o').status_int == 404
    r = swift('DELETE', '/c/o')
    assert r.status_int == 404 and r.headers['X-Object-Version-Id'] != marker
    listing = _versions(swift)
    assert [(e['version_id'], e['content_type'], e['is_latest']) for e in listing] == [
        (r.headers['X-Object-Version-Id'], MARKER, True), (marker, MARKER, False),
        (v1, 'text/plain', False)]
    r = swift('HEAD', '/c/o?version-id=' + marker)
    assert r.status_int == 404 and r.headers['X-Object-Version-Id'] == marker
    assert r.headers['Content-Type'] == MARKER
    assert swift('GET', '/c?format=json').json == []


def test_delete_and_restore_a_version(swift):
    _versioned(swift)
    v1 = _put(swift, '/c/o', b'one')
    v2 = _put(swift, '/c/o', b'two')
    r = swift('PUT', '/c/o?version-id=' + v1, body=b'')
    assert r.status_int == 201, r.text
    assert swift('GET', '/c/o').body == b'one'
    # the current version deleted: the link goes too
    r = swift('DELETE', '/c/o?version-id=' + v1)
    assert r.status_int == 204
    assert r.headers['X-Object-Current-Version-Id'] == 'null'
    assert swift('GET', '/c/o').status_int == 404
    assert [e['version_id'] for e in _versions(swift)] == [v2]
    r = swift('PUT', '/c/o?version-id=' + v1, body=b'')
    assert r.status_int == 404
    assert swift('PUT', '/c/o?version-id=' + v2, body=b'x').status_int == 400
    assert swift('PUT', '/c/o?version-id=null', body=b'').status_int == 400


def test_null_version_kept_on_overwrite(swift):
    swift('PUT', '/c')
    swift('PUT', '/c/o', body=b'plain')
    assert _versions(swift) == [{'name': 'o', 'bytes': 5, 'hash': _md5(b'plain'),
                                 'content_type': 'application/octet-stream',
                                 'version_id': 'null', 'is_latest': True}]
    swift('POST', '/c', headers={'X-Versions-Enabled': 'true'})
    r = swift('GET', '/c/o')
    assert r.headers['X-Object-Version-Id'] == 'null'
    v2 = _put(swift, '/c/o', b'new')
    listing = _versions(swift)
    assert [e['version_id'] for e in listing][0] == v2
    assert len(listing) == 2 and listing[1]['hash'] == _md5(b'plain')
    assert swift('GET', '/c/o?version-id=%s' % listing[1]['version_id']).body == b'plain'
    assert swift('GET', '/c/o?version-id=null').status_int == 404


def test_post_updates_the_current_version(swift):
    _versioned(swift)
    v1 = _put(swift, '/c/o', b'data')
    r = swift('POST', '/c/o', headers={'X-Object-Meta-Fu': 'baz'})
    assert r.status_int == 202, r.text
    assert swift('HEAD', '/c/o').headers['X-Object-Meta-Fu'] == 'baz'
    assert swift('HEAD', '/c/o?version-id=' + v1).headers['X-Object-Meta-Fu'] == 'baz'
    assert len(_versions(swift)) == 1


def test_version_id_requests_refused(swift):
    swift('PUT', '/plain')
    swift('PUT', '/plain/o', body=b'x')
    assert swift('GET', '/plain/o?version-id=1.0').status_int == 400
    assert swift('GET', '/plain/o?version-id=null').status_int == 200
    _versioned(swift)
    _put(swift, '/c/o', b'x')
    assert swift('POST', '/c/o?version-id=null').status_int == 400
    assert swift('GET', '/c/o?version-id=junk').status_int == 400
    assert swift('GET', '/c?versions&format=xml').status_int == 406
    assert swift('GET', '/c?versions&version_marker=1.0').status_int == 400
    assert swift('GET', '/c?versions&delimiter=1').status_int == 400


def test_legacy_versioning_is_exclusive(swift):
    swift('PUT', '/archive')
    swift('PUT', '/old', headers={'X-Versions-Location': 'archive'})
    r = swift('POST', '/old', headers={'X-Versions-Enabled': 'true'})
    assert r.status_int == 400
    assert 'legacy' in r.text
    _versioned(swift)
    r = swift('POST', '/c', headers={'X-History-Location': 'archive'})
    assert r.status_int == 400


def test_hidden_container_and_delete(swift):
    _versioned(swift)
    swift('PUT', '/d')
    _put(swift, '/c/o', b'12345')
    _put(swift, '/c/o', b'123')
    listing = swift('GET', '?format=json').json
    assert [e['name'] for e in listing] == ['c', 'd']
    assert listing[0]['bytes'] == 8
    assert swift('GET', '').text.split() == ['c', 'd']
    assert swift('GET', '?reverse=true').text.split() == ['d', 'c']
    swift('DELETE', '/c/o')
    assert swift('DELETE', '/c').status_int == 409
    for e in _versions(swift):
        assert swift('DELETE', '/c/o?version-id=' + e['version_id']).status_int == 204
    assert swift('DELETE', '/c').status_int == 204
    assert swift('GET', '?format=json').json == [{'name': 'd', 'count': 0, 'bytes': 0,
                                                   'last_modified': listing[1][
                                                       'last_modified']}]
    assert swift('PUT', '/\x01versions\x01x').status_int == 400


def test_readers_of_the_container_read_the_current_version_only(swift, other):
    _versioned(swift)
    v1 = _put(swift, '/c/o', b'data')
    url = swift.url('/c/o')
    assert raw(swift.app, 'GET', url, other.token).status_int == 403
    swift('POST', '/c', headers={'X-Container-Read': '%s:*' % other.project_id})
    r = raw(swift.app, 'GET', url, other.token)
    assert r.status_int == 200 and r.body == b'data'
    assert raw(swift.app, 'GET', url + '?version-id=' + v1, other.token).status_int == 403


def test_copy_into_versioned_container_and_from_a_version(swift):
    _versioned(swift)
    swift('PUT', '/src')
    swift('PUT', '/src/s', body=b'source', headers={'Content-Type': 'text/src'})
    v1 = _put(swift, '/c/o', b'one')
    r = swift('COPY', '/src/s', headers={'Destination': 'c/o'})
    assert r.status_int == 201, r.text
    assert swift('GET', '/c/o').body == b'source'
    assert len(_versions(swift)) == 2
    r = swift('COPY', '/c/o?version-id=' + v1, headers={'Destination': 'c/o'})
    assert r.status_int == 201, r.text
    assert swift('GET', '/c/o').body == b'one'
    assert len(_versions(swift)) == 3


def test_versions_listing_pages(swift):
    _versioned(swift)
    a1 = _put(swift, '/c/a', b'1')
    a2 = _put(swift, '/c/a', b'2')
    b1 = _put(swift, '/c/b', b'3')
    pairs = [(e['name'], e['version_id']) for e in _versions(swift)]
    assert pairs == [('a', a2), ('a', a1), ('b', b1)]
    assert [(e['name'], e['version_id']) for e in _versions(swift, '&limit=2')] == \
        [('a', a2), ('a', a1)]
    assert [(e['name'], e['version_id']) for e in _versions(
        swift, '&marker=a&version_marker=' + a2)] == [('a', a1), ('b', b1)]
    assert [e['name'] for e in _versions(swift, '&marker=a')] == ['b']
    assert [(e['name'], e['version_id']) for e in _versions(swift, '&reverse=true')] == \
        [('b', b1), ('a', a1), ('a', a2)]
    assert [e['name'] for e in _versions(swift, '&prefix=b')] == ['b']
    assert json.loads(swift('GET', '/c?versions').body)[0]['name'] == 'a'


def test_versioned_links(swift):
    _versioned(swift)
    _put(swift, '/c/t', b'target data', 'text/t1')
    etag = _md5(b'target data')
    r = swift('PUT', '/c/static', body=b'', headers={'X-Symlink-Target': 'c/t',
                                                   'X-Symlink-Target-Etag': etag})
    assert r.status_int == 201, r.text
    v1 = r.headers['X-Object-Version-Id']
    assert swift('GET', '/c/static').body == b'target data'
    listing = {e['name']: e for e in _versions(swift)}
    assert (listing['static']['bytes'], listing['static']['content_type']) == (0, 'text/t1')
    h = swift('HEAD', '/c/static?symlink=get&version-id=' + v1).headers
    assert h['X-Symlink-Target'] == 'c/t'
    _put(swift, '/c/t', b'changed', 'text/t2')
    assert swift('GET', '/c/static').status_int == 409
    r = swift('PUT', '/c/dynamic', body=b'', headers={'X-Symlink-Target': 'c/t'})
    assert swift('GET', '/c/dynamic').body == b'changed'
    assert swift('HEAD', '/c/dynamic?symlink=get').headers['Content-Type'] == \
        'application/symlink'


def _slo(swift, segs):
    manifest = json.dumps([{'path': '/segs/%s' % s} for s in segs]).encode()
    r = swift('PUT', '/c/big?multipart-manifest=put', body=manifest)
    assert r.status_int == 201, r.text
    return r.headers['X-Object-Version-Id']


def test_versioned_manifests(swift):
    _versioned(swift)
    swift('PUT', '/segs')
    swift('PUT', '/segs/a', body=b'a' * 10)
    swift('PUT', '/segs/b', body=b'b' * 7)
    v1 = _slo(swift, 'a')
    v2 = _slo(swift, 'bb')
    assert swift('GET', '/c/big').body == b'b' * 14
    assert swift('GET', '/c/big?version-id=' + v1).body == b'a' * 10
    assert swift('HEAD', '/c/big?version-id=' + v1).headers['Content-Length'] == '10'
    r = swift('GET', '/c/big?version-id=%s' % v1, headers={'Range': 'bytes=0-2'})
    assert r.status_int == 206 and r.body == b'aaa'
    r = swift('GET', '/c/big?multipart-manifest=get&version-id=' + v1)
    assert r.headers['X-Static-Large-Object'] == 'True'
    assert [e['name'] for e in r.json] == ['/segs/a']
    entry = swift('GET', '/c?format=json').json[0]
    assert entry['bytes'] == 14 and entry['version_symlink'] is True
    assert entry['slo_etag'] == swift('HEAD', '/c/big').headers['ETag']
    # a manifest version copied back is a manifest again
    swift('DELETE', '/c/big')
    r = swift('COPY', '/c/big?multipart-manifest=get&version-id=' + v1,
              headers={'Destination': 'c/big'})
    assert r.status_int == 201, r.text
    assert swift('GET', '/c/big').body == b'a' * 10
    assert swift('HEAD', '/c/big?multipart-manifest=get').headers[
        'X-Static-Large-Object'] == 'True'
    # deleting a manifest version with its segments
    r = swift('DELETE', '/c/big?multipart-manifest=delete&version-id=' + v2,
              headers={'Accept': 'application/json'})
    assert r.status_int == 200 and r.json['Number Deleted'] == 2, r.text
    assert v2 not in [e['version_id'] for e in _versions(swift)]
    assert swift('GET', '/segs/b').status_int == 404
    assert swift('GET', '/c/big').body == b'a' * 10


def test_temp_urls_read_the_current_version(swift, app):
    import hmac
    import time
    _versioned(swift)
    v1 = _put(swift, '/c/o', b'one')
    _put(swift, '/c/o', b'two')
    swift('POST', '', headers={'X-Account-Meta-Temp-URL-Key': 'secret'})
    expires = int(time.time()) + 600
    path = swift.url('/c/o')
    sig = hmac.new(b'secret', ('GET\n%d\n%s' % (expires, path)).encode(),
                   'sha256').hexdigest()
    url = '%s?temp_url_sig=%s&temp_url_expires=%d' % (path, sig, expires)
    r = raw(app, 'GET', url)
    assert r.status_int == 200 and r.body == b'two'
    # the URL signs no version: a version-id is ignored, as Swift ignores it
    r = raw(app, 'GET', url + '&version-id=' + v1)
    assert r.status_int == 200 and r.body == b'two'


def test_utf8_names(swift):
    container = '/' + '%E2%98%83' * 12             # 12 snowmen
    name = container + '/' + '%E2%9D%84' * 20      # 20 snowflakes
    r = swift('PUT', container, headers={'X-Versions-Enabled': 'true'})
    assert r.status_int == 201, r.text
    v1 = _put(swift, name, b'one')
    _put(swift, name, b'two')
    assert swift('GET', name).body == b'two'
    assert swift('GET', name + '?version-id=' + v1).body == b'one'
    listing = swift('GET', container + '?versions&format=json').json
    assert [e['name'] for e in listing] == ['\u2744' * 20] * 2
    # the link's stored content type fits its column (PostgreSQL enforces it)
    from cloudstack.object_store import manager
    crow = manager.get().container_row(swift.account, '\u2603' * 12)
    assert len(manager.Manager._object_row(crow.id, '\u2744' * 20).content_type) <= 256


def test_links_answer_the_version_they_reach(swift):
    _versioned(swift)
    swift('PUT', '/plain')
    swift('PUT', '/plain/t', body=b'plain target')
    t1 = _put(swift, '/c/t', b'target')
    _put(swift, '/c/link', b'', headers={'X-Symlink-Target': 'c/t'})
    r = swift('GET', '/c/link')
    assert r.body == b'target' and r.headers['X-Object-Version-Id'] == t1
    assert r.headers['Content-Location'].endswith('/c/link?version-id=' + t1)
    _put(swift, '/c/out', b'', headers={'X-Symlink-Target': 'plain/t'})
    r = swift('GET', '/c/out')
    assert r.body == b'plain target' and r.headers['X-Object-Version-Id'] == 'null'
    assert r.headers['Content-Location'].endswith('/plain/t')
    # part numbers of a version's manifest name the version in every answer
    swift('PUT', '/segs')
    swift('PUT', '/segs/a', body=b'a' * 10)
    v1 = _slo(swift, 'a')
    r = swift('HEAD', '/c/big?part-number=2&version-id=' + v1)
    assert r.status_int == 416 and r.headers['X-Object-Version-Id'] == v1
    assert 'Last-Modified' in r.headers


def test_null_in_names_is_the_apps_412(swift):
    _versioned(swift)
    for path in ('/abc%00def', '/c/o%00x', '/abc%00def/o'):
        r = swift('PUT', path, body=b'', headers={'X-Versions-Location': 'x'})
        assert r.status_int == 412, (path, r.text)
