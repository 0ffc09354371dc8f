"""Container sync: the headers through the pipeline, and the sync pass."""
from cloudstack.object_store.middleware import container_sync
from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403


def _to(swift, container, realm='realm1', cluster='name1'):
    return '//%s/%s/%s/%s' % (realm, cluster, swift.account, container)


def test_headers_kept_and_validated(swift):
    r = swift('PUT', '/a', headers={'X-Container-Sync-To': _to(swift, 'b'),
                                    'X-Container-Sync-Key': 'k'})
    assert r.status_int == 201
    r = swift('HEAD', '/a')
    assert r.headers['X-Container-Sync-To'] == _to(swift, 'b')
    assert r.headers['X-Container-Sync-Key'] == 'k'
    assert not any('sysmeta' in k.lower() for k in r.headers)
    r = swift('POST', '/a', headers={'X-Container-Sync-To': _to(swift, 'b', 'REALM1',
                                                                 'NAME1')})
    assert r.status_int == 204
    r = swift('POST', '/a', headers={'X-Container-Sync-To': _to(swift, 'b', 'nope')})
    assert r.status_int == 400 and b'No realm key' in r.body
    r = swift('POST', '/a', headers={'X-Container-Sync-To': _to(swift, 'b',
                                                                 cluster='x')})
    assert r.status_int == 400 and b'No cluster endpoint' in r.body
    r = swift('POST', '/a', headers={'X-Container-Sync-To': '//realm1/name1/x'})
    assert r.status_int == 400
    r = swift('POST', '/a', headers={
        'X-Container-Sync-To': 'http://10.9.9.9/v1/%s/b' % swift.account})
    assert r.status_int == 400 and b'Invalid host' in r.body
    r = swift('POST', '/a', headers={
        'X-Container-Sync-To': 'http://127.0.0.1/v1/%s/b' % swift.account})
    assert r.status_int == 204
    swift('POST', '/a', headers={'X-Container-Sync-To': ''})
    assert 'X-Container-Sync-To' not in swift('HEAD', '/a').headers


def test_sync_pushes_objects_both_ways(swift):
    for name, other in (('a', 'b'), ('b', 'a')):
        swift('PUT', '/' + name, headers={'X-Container-Sync-To': _to(swift, other),
                                          'X-Container-Sync-Key': 'k'})
    swift('PUT', '/a/one', body=b'1', headers={'X-Object-Meta-M': 'v',
                                               'Content-Type': 'text/x-1'})
    swift('PUT', '/b/two', body=b'22')
    container_sync.sync_all()
    container_sync.sync_all()
    r = swift('GET', '/b/one')
    assert r.body == b'1' and r.headers['X-Object-Meta-M'] == 'v'
    assert r.headers['Content-Type'] == 'text/x-1'
    assert swift('GET', '/a/two').body == b'22'
    # nothing new: no further writes
    assert container_sync.sync_all() == 0
    swift('PUT', '/a/one', body=b'new')
    assert container_sync.sync_all() == 1
    assert swift('GET', '/b/one').body == b'new'
    assert container_sync.sync_all() == 0


def test_no_sync_without_matching_key(swift):
    swift('PUT', '/a', headers={'X-Container-Sync-To': _to(swift, 'b'),
                                'X-Container-Sync-Key': 'k'})
    swift('PUT', '/b', headers={'X-Container-Sync-Key': 'other'})
    swift('PUT', '/a/o', body=b'x')
    assert container_sync.sync_all() == 0
    assert swift('GET', '/b/o').status_int == 404
    swift('POST', '/b', headers={'X-Container-Sync-Key': 'k'})
    assert container_sync.sync_all() == 1
    assert swift('GET', '/b/o').body == b'x'


def test_info_lists_realms(swift, app):
    info = raw(app, 'GET', '/info').json['container_sync']
    assert info['realms']['REALM1']['clusters']['NAME1'] == {'current': True}


def test_sync_keeps_timestamp_and_newer_wins(swift):
    for name, other in (('a', 'b'), ('b', 'a')):
        swift('PUT', '/' + name, headers={'X-Container-Sync-To': _to(swift, other),
                                          'X-Container-Sync-Key': 'k'})
    swift('PUT', '/a/o', body=b'old')
    swift('PUT', '/b/o', body=b'newer')
    container_sync.sync_all()
    container_sync.sync_all()
    assert swift('GET', '/a/o').body == b'newer'
    assert swift('GET', '/b/o').body == b'newer'
    la, lb = (swift('GET', '/%s?format=json' % c).json for c in 'ab')
    assert la == lb


def test_deletions_are_pushed_and_a_newer_write_survives_them(swift):
    for name, other in (('a', 'b'), ('b', 'a')):
        swift('PUT', '/' + name, headers={'X-Container-Sync-To': _to(swift, other),
                                          'X-Container-Sync-Key': 'k'})
    for obj in ('gone', 'kept', 'again'):
        swift('PUT', '/a/' + obj, body=obj.encode())
    assert container_sync.sync_all() == 3
    assert swift('DELETE', '/a/gone').status_int == 204
    swift('DELETE', '/a/again')
    swift('PUT', '/a/again', body=b'back')     # written after its deletion
    container_sync.sync_all()
    assert swift('GET', '/b/gone').status_int == 404
    assert swift('GET', '/b/kept').body == b'kept'
    assert swift('GET', '/b/again').body == b'back'
    # a deletion older than the target's write leaves the write
    swift('DELETE', '/b/kept')
    swift('PUT', '/a/kept', body=b'newer')
    container_sync.sync_all()
    container_sync.sync_all()
    assert swift('GET', '/a/kept').body == b'newer'
    assert swift('GET', '/b/kept').body == b'newer'
    assert container_sync.sync_all() == 0
    # pushed deletions are not kept
    from cloudstack.db import api as db_api
    from cloudstack.object_store import models
    with db_api.reader() as session:
        assert session.query(models.SyncDeletion).count() == 0


# --- another cluster, over HTTP --------------------------------------------
import contextlib  # noqa: E402
import json  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import wsgiref.simple_server  # noqa: E402

import webob  # noqa: E402


class _Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serving(app):
    """The app on a real HTTP port (another cluster): its URL."""
    server = wsgiref.simple_server.make_server('127.0.0.1', 0, app,
                                               handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield 'http://127.0.0.1:%d' % server.server_port
    finally:
        server.shutdown()
        server.server_close()


def _realms(tmp_path, override, endpoint='http://127.0.0.1:9/v1/', key='realm-key'):
    path = tmp_path / 'container-sync-realms.conf'
    path.write_text('[far]\nkey = %s\nkey2 = other-key\ncluster_there = %s\n' % (
        key, endpoint))
    override('container_sync_realms_conf', str(path), group='object_store')
    return path


def _signed_put(app, swift, container, name, body, key='realm-key', user_key='k',
                ts='1600000000.00000', path=None):
    path = path or swift.url('/%s/%s' % (container, name))
    nonce = 'n0nce'
    sig = container_sync.signature('PUT', path, ts, nonce, key, user_key)
    req = webob.Request.blank(path, method='PUT', body=body, headers={
        'X-Timestamp': ts, 'X-Container-Sync-Auth': 'far %s %s' % (nonce, sig)})
    return req.get_response(app)


def test_realm_clusters_from_the_realms_file(swift, tmp_path, override):
    _realms(tmp_path, override)
    r = swift('PUT', '/a', headers={'X-Container-Sync-To': _to(swift, 'b', 'FAR', 'there')})
    assert r.status_int == 201, r.text
    r = swift('POST', '/a', headers={'X-Container-Sync-To': _to(swift, 'b', 'far', 'nowhere')})
    assert r.status_int == 400 and b'No cluster endpoint' in r.body
    target = container_sync.resolve_target(_to(swift, 'b', 'far', 'there'))
    assert target.url == 'http://127.0.0.1:9/v1/%s/b' % swift.account
    assert target.realm == 'FAR' and target.realm_key == 'realm-key'
    # a versioned container is no sync source
    swift('PUT', '/v', headers={'X-Versions-Enabled': 'true'})
    r = swift('POST', '/v', headers={'X-Container-Sync-To': _to(swift, 'b')})
    assert r.status_int == 400 and b'object versioning' in r.body


def test_signed_writes_are_the_owners_and_keep_their_timestamp(swift, app, tmp_path,
                                                               override):
    _realms(tmp_path, override)
    swift('PUT', '/b', headers={'X-Container-Sync-Key': 'k'})
    r = _signed_put(app, swift, 'b', 'o', b'synced')
    assert r.status_int == 201, r.text
    h = swift('HEAD', '/b/o').headers
    assert h['X-Timestamp'] == '1600000000.00000'
    # key2 signs too
    r = _signed_put(app, swift, 'b', 'o2', b'two', key='other-key')
    assert r.status_int == 201
    assert swift('GET', '/b/o2').body == b'two'
    for bad in ({'key': 'wrong'}, {'user_key': 'not-k'}):
        r = _signed_put(app, swift, 'b', 'x', b'no', **bad)
        assert r.status_int == 401, bad
        assert r.headers['WWW-Authenticate'].startswith('SwiftContainerSync')
    # the signature covers the timestamp
    good = _signed_put(app, swift, 'b', 'y', b'', ts='1600000002.00000')
    assert good.status_int == 201
    req = webob.Request.blank(swift.url('/b/z'), method='PUT', body=b'', headers={
        'X-Timestamp': '1600000003.00000',
        'X-Container-Sync-Auth': 'far n0nce ' + container_sync.signature(
            'PUT', swift.url('/b/z'), '1600000002.00000', 'n0nce', 'realm-key', 'k')})
    assert req.get_response(app).status_int == 401
    assert swift('GET', '/b/x').status_int == 404


def test_sync_to_another_cluster_over_http(swift, other, app, tmp_path, override):
    with _serving(app) as url:
        _realms(tmp_path, override, endpoint=url + '/v1/')
        other('PUT', '/inbox', headers={'X-Container-Sync-Key': 'k'})
        to = '//far/there/%s/inbox' % other.account
        r = swift('PUT', '/outbox', headers={'X-Container-Sync-To': to,
                                             'X-Container-Sync-Key': 'k'})
        assert r.status_int == 201, r.text
        swift('PUT', '/outbox/one', body=b'1', headers={'X-Object-Meta-M': 'v',
                                                        'Content-Type': 'text/x-1'})
        swift('PUT', '/outbox/d%C3%A9j%C3%A0%20vu', body=b'22')
        assert container_sync.sync_all() == 2
        r = other('GET', '/inbox/one')
        assert r.body == b'1' and r.headers['X-Object-Meta-M'] == 'v'
        assert r.headers['Content-Type'] == 'text/x-1'
        assert r.headers['X-Timestamp'] == swift('HEAD', '/outbox/one').headers[
            'X-Timestamp']
        assert other('GET', '/inbox/d%C3%A9j%C3%A0%20vu').body == b'22'
        assert container_sync.sync_all() == 0
        # a deletion: pushed as a signed DELETE carrying its timestamp
        swift('DELETE', '/outbox/d%C3%A9j%C3%A0%20vu')
        assert container_sync.sync_all() == 1
        assert other('GET', '/inbox/d%C3%A9j%C3%A0%20vu').status_int == 404
        # one older than the write there: refused there (409), not retried
        swift('PUT', '/outbox/gone', body=b'g')
        assert container_sync.sync_all() == 1
        swift('DELETE', '/outbox/gone')
        time.sleep(0.001)       # a later timestamp there
        other('PUT', '/inbox/gone', body=b'newer there')
        assert container_sync.sync_all() == 0
        assert container_sync.sync_all() == 0
        assert other('GET', '/inbox/gone').body == b'newer there'
        # a key that does not match: refused there, retried from the same point
        other('POST', '/inbox', headers={'X-Container-Sync-Key': 'changed'})
        swift('PUT', '/outbox/two', body=b'2')
        assert container_sync.sync_all() == 0
        assert other('GET', '/inbox/two').status_int == 404
        other('POST', '/inbox', headers={'X-Container-Sync-Key': 'k'})
        assert container_sync.sync_all() == 1
        assert other('GET', '/inbox/two').body == b'2'
    # a cluster that does not answer: nothing lost, tried again later
    swift('PUT', '/outbox/three', body=b'3')
    assert container_sync.sync_all() == 0
    with _serving(app) as url:
        _realms(tmp_path, override, endpoint=url + '/v1/')
        assert container_sync.sync_all() == 1
    assert other('GET', '/inbox/three').body == b'3'


def test_an_slo_manifest_syncs_as_a_manifest(swift, other, app, tmp_path, override):
    with _serving(app) as url:
        _realms(tmp_path, override, endpoint=url + '/v1/')
        other('PUT', '/inbox', headers={'X-Container-Sync-Key': 'k'})
        swift('PUT', '/outbox', headers={
            'X-Container-Sync-To': '//far/there/%s/inbox' % other.account,
            'X-Container-Sync-Key': 'k'})
        swift('PUT', '/outbox/seg1', body=b'a' * 10)
        swift('PUT', '/outbox/seg2', body=b'b' * 5)
        manifest = json.dumps([{'path': '/outbox/seg1'}, {'path': '/outbox/seg2'}])
        r = swift('PUT', '/outbox/big?multipart-manifest=put', body=manifest.encode())
        assert r.status_int == 201, r.text
        assert container_sync.sync_all() == 3
        # the manifest there names segments in its own account's same-named
        # container, as Swift's does: sync them into 'outbox' there too
        other('PUT', '/outbox')
        other('PUT', '/outbox/seg1', body=b'a' * 10)
        other('PUT', '/outbox/seg2', body=b'b' * 5)
        r = other('GET', '/inbox/big')
        assert r.status_int == 200 and r.body == b'a' * 10 + b'b' * 5
        here = swift('HEAD', '/outbox/big').headers
        assert r.headers['Etag'] == here['Etag']
        assert r.headers['X-Static-Large-Object'] == 'True'
        # a user's own PUT may not claim to be a manifest
        r = other('PUT', '/inbox/fake', body=b'x',
                  headers={'X-Static-Large-Object': 'True'})
        assert r.status_int == 400
