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
