"""Symlinks through the whole object_store pipeline."""
import hashlib
import json

from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403


def _md5(data):
    return hashlib.md5(data).hexdigest()


def _link(swift, name='/c/link', target='c/o', headers=None):
    h = {'X-Symlink-Target': target}
    h.update(headers or {})
    return swift('PUT', name, body=b'', headers=h)


def _setup(swift):
    swift('PUT', '/c')
    swift('PUT', '/c/o', body=b'target data', headers={'Content-Type': 'text/x-t',
                                                      'X-Object-Meta-T': '1'})


def test_follow_and_symlink_get(swift):
    _setup(swift)
    r = _link(swift, headers={'X-Object-Meta-L': '2'})
    assert r.status_int == 201, r.text
    r = swift('GET', '/c/link')
    assert r.status_int == 200
    assert r.body == b'target data'
    assert r.headers['Content-Type'] == 'text/x-t'
    assert r.headers['X-Object-Meta-T'] == '1'
    assert r.headers['Content-Location'].endswith('/c/o')
    assert not any('sysmeta' in k.lower() for k in r.headers)
    r = swift('HEAD', '/c/link')
    assert r.headers['Content-Length'] == '11'
    r = swift('GET', '/c/link', headers={'Range': 'bytes=0-5'})
    assert r.status_int == 206 and r.body == b'target'
    r = swift('GET', '/c/link?symlink=get')
    assert r.status_int == 200 and r.body == b''
    assert r.headers['X-Symlink-Target'] == 'c/o'
    assert r.headers['Content-Type'] == 'application/symlink'
    assert r.headers['X-Object-Meta-L'] == '2'
    assert 'X-Symlink-Target' not in swift('GET', '/c/link').headers


def test_conditions_judged_on_target(swift):
    _setup(swift)
    _link(swift)
    etag = _md5(b'target data')
    assert swift('GET', '/c/link', headers={'If-Match': etag}).status_int == 200
    assert swift('GET', '/c/link', headers={'If-None-Match': etag}).status_int == 304


def test_listing_shows_symlink_path(swift):
    _setup(swift)
    _link(swift)
    r = swift('GET', '/c?format=json')
    entry = [e for e in r.json if e['name'] == 'link'][0]
    assert entry['content_type'] == 'application/symlink'
    assert entry['symlink_path'] == '/v1/%s/c/o' % swift.account
    r = swift('GET', '/c?format=xml')
    assert b'<symlink_path>/v1/%s/c/o</symlink_path>' % swift.account.encode() in r.body
    assert b'symlink_target=' not in r.body


def test_broken_and_deleted_target(swift):
    _setup(swift)
    assert _link(swift, target='c/missing').status_int == 201
    assert swift('GET', '/c/link').status_int == 404
    _link(swift, name='/c/l2')
    swift('DELETE', '/c/o')
    assert swift('GET', '/c/l2').status_int == 404


def test_cross_container_and_chain_limit(swift):
    _setup(swift)
    swift('PUT', '/d')
    _link(swift, name='/d/l1', target='c/o')
    _link(swift, name='/d/l2', target='d/l1')
    assert swift('GET', '/d/l2').body == b'target data'
    _link(swift, name='/d/l3', target='d/l2')
    r = swift('GET', '/d/l3')
    assert r.status_int == 409 and b'Too many levels' in r.body


def test_validation(swift):
    _setup(swift)
    assert _link(swift, target='nocontainer').status_int == 412
    r = swift('PUT', '/c/l', body=b'data', headers={'X-Symlink-Target': 'c/o'})
    assert r.status_int == 400
    r = swift('POST', '/c/o', headers={'X-Symlink-Target': 'c/o'})
    assert r.status_int == 400
    assert _link(swift, headers={'X-Symlink-Target-Account': 'a/b'}).status_int == 412


def test_static_links(swift):
    _setup(swift)
    etag = _md5(b'target data')
    r = _link(swift, headers={'X-Symlink-Target-Etag': 'bad'})
    assert r.status_int == 409
    r = _link(swift, target='c/nope', headers={'X-Symlink-Target-Etag': etag})
    assert r.status_int == 409
    r = _link(swift, headers={'X-Symlink-Target-Etag': etag})
    assert r.status_int == 201
    r = swift('GET', '/c/link?symlink=get')
    assert r.headers['X-Symlink-Target-Etag'] == etag
    assert r.headers['X-Symlink-Target-Bytes'] == '11'
    entry = [e for e in swift('GET', '/c?format=json').json if e['name'] == 'link'][0]
    assert entry['symlink_etag'] == etag and entry['symlink_bytes'] == 11
    assert swift('GET', '/c/link').body == b'target data'
    # no Content-Type given: the target's
    assert entry['content_type'] == 'text/x-t'
    swift('PUT', '/c/o', body=b'changed')
    r = swift('HEAD', '/c/link')
    assert r.status_int == 409
    assert r.headers['Content-Location'] == swift.url('/c/o')[len('/object-store'):]


def test_static_links_through_other_links(swift):
    _setup(swift)
    etag = _md5(b'target data')
    assert _link(swift, '/c/dyn').status_int == 201
    # a static link to a dynamic link counts by the link's own ETag
    r = _link(swift, '/c/s1', 'c/dyn', headers={'X-Symlink-Target-Etag': etag})
    assert r.status_int == 409
    r = _link(swift, '/c/s1', 'c/dyn', headers={'X-Symlink-Target-Etag': _md5(b'')})
    assert r.status_int == 201, r.text
    assert swift('GET', '/c/s1').body == b'target data'
    # to a static link: by that link's target ETag, then followed
    assert _link(swift, '/c/st', 'c/o', headers={
        'X-Symlink-Target-Etag': etag}).status_int == 201
    r = _link(swift, '/c/s2', 'c/st', headers={'X-Symlink-Target-Etag': _md5(b'')})
    assert r.status_int == 409
    assert r.text == 'X-Symlink-Target-Etag headers do not match'
    r = _link(swift, '/c/s2', 'c/st', headers={'X-Symlink-Target-Etag': etag})
    assert r.status_int == 201, r.text
    r = swift('GET', '/c/s2')
    assert r.status_int == 200 and r.body == b'target data'
    assert r.headers['Content-Location'].endswith('/c/o')


def test_post_answers_307_and_updates_link(swift):
    _setup(swift)
    _link(swift)
    r = swift('POST', '/c/link', headers={'X-Object-Meta-New': 'x'})
    assert r.status_int == 307
    # relative, as Swift answers a POST to a link
    assert r.headers['Location'] == swift.url('/c/o')
    r = swift('GET', '/c/link?symlink=get')
    assert r.headers['X-Object-Meta-New'] == 'x'
    assert r.headers['X-Symlink-Target'] == 'c/o'
    assert swift('POST', '/c/o', headers={'X-Object-Meta-A': 'b'}).status_int == 202


def test_delete_removes_only_link(swift):
    _setup(swift)
    _link(swift)
    assert swift('DELETE', '/c/link').status_int == 204
    assert swift('GET', '/c/o').body == b'target data'


def test_link_to_large_objects(swift):
    _setup(swift)
    swift('PUT', '/c/seg/1', body=b'ab')
    swift('PUT', '/c/seg/2', body=b'cd')
    swift('PUT', '/c/dlo', body=b'', headers={'X-Object-Manifest': 'c/seg/'})
    _link(swift, name='/c/ldlo', target='c/dlo')
    assert swift('GET', '/c/ldlo').body == b'abcd'
    manifest = [{'path': '/c/seg/1'}, {'path': '/c/seg/2'}]
    r = swift('PUT', '/c/slo?multipart-manifest=put',
              body=json.dumps(manifest).encode())
    assert r.status_int == 201
    _link(swift, name='/c/lslo', target='c/slo')
    assert swift('GET', '/c/lslo').body == b'abcd'
    assert swift('HEAD', '/c/lslo').headers['Content-Length'] == '4'


def test_info(swift, app):
    info = raw(app, 'GET', '/info').json['symlink']
    assert info['symloop_max'] == 2 and info['static_links'] is True


def test_copy_of_link_copies_target(swift):
    _setup(swift)
    _link(swift)
    r = swift('COPY', '/c/link', headers={'Destination': 'c/copy'})
    assert r.status_int == 201, r.text
    r = swift('GET', '/c/copy?symlink=get')
    assert r.body == b'target data' and 'X-Symlink-Target' not in r.headers
    r = swift('PUT', '/c/copy2', body=b'', headers={'X-Copy-From': 'c/link'})
    assert r.status_int == 201
    assert swift('GET', '/c/copy2?symlink=get').body == b'target data'
    r = swift('COPY', '/c/link?symlink=get', headers={'Destination': 'c/link2'})
    assert r.status_int == 201
    assert swift('GET', '/c/link2?symlink=get').headers['X-Symlink-Target'] == 'c/o'
    assert swift('GET', '/c/link2').body == b'target data'


def test_static_link_conditions_and_slo_targets(swift):
    _setup(swift)
    etag = _md5(b'target data')
    assert _link(swift, headers={'X-Symlink-Target-Etag': etag}).status_int == 201
    r = swift('GET', '/c/link', headers={'If-None-Match': etag})
    assert r.status_int == 304 and r.headers['Accept-Ranges'] == 'bytes'
    swift('PUT', '/c/o', body=b'changed')
    # the target changed: 409, whatever the conditions say
    for cond in ({'If-Match': _md5(b'changed')}, {'If-Match': 'nope'}):
        r = swift('GET', '/c/link', headers=cond)
        assert r.status_int == 409, (cond, r.status)
        assert r.headers['Content-Location'].endswith('/c/o')
    # an SLO target: by the manifest's own ETag, not the large object's
    swift('PUT', '/c/s', body=b'seg')
    manifest = json.dumps([{'path': '/c/s'}]).encode()
    assert swift('PUT', '/c/m?multipart-manifest=put', body=manifest).status_int == 201
    own = swift('HEAD', '/c/m?multipart-manifest=get').headers['ETag'].strip('"')
    large = swift('HEAD', '/c/m').headers['ETag'].strip('"')
    assert own != large
    assert _link(swift, '/c/l2', 'c/m', headers={
        'X-Symlink-Target-Etag': large}).status_int == 409
    assert _link(swift, '/c/l2', 'c/m', headers={
        'X-Symlink-Target-Etag': own}).status_int == 201
    assert swift('GET', '/c/l2').body == b'seg'
