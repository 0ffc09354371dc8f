"""Nova's os-volumes and os-snapshots proxies to Block Storage (until 2.36)."""
from tests.unit.compute.conftest import API
from tests.unit.compute.test_volume_backed import cloud, run_all  # noqa: F401
from tests.unit.volume.conftest import backend  # noqa: F401  (a fixture)


def test_volumes_and_snapshots_through_compute(cloud):  # noqa: F811
    resp = cloud.post(API + '/os-volumes', {'volume': {
        'size': 1, 'display_name': 'v1', 'display_description': 'd', 'metadata': {'k': 'v'}}})
    assert resp.status_int == 200, resp.text
    vol = resp.json['volume']
    assert resp.headers['Location'].endswith('/os-volumes/' + vol['id'])
    assert (vol['displayName'], vol['displayDescription'], vol['size'],
            vol['metadata'], vol['attachments']) == ('v1', 'd', 1, {'k': 'v'}, [{}])
    assert set(vol) == {'id', 'status', 'size', 'availabilityZone', 'createdAt',
                        'attachments', 'displayName', 'displayDescription', 'volumeType',
                        'snapshotId', 'metadata'}
    run_all()
    assert cloud.get(API + '/os-volumes/' + vol['id']).json['volume']['status'] == 'available'
    second = cloud.post(API + '/os-volumes', {'volume': {'size': '1'}}).json['volume']
    run_all()
    listed = cloud.get(API + '/os-volumes').json['volumes']
    assert {v['id'] for v in listed} == {vol['id'], second['id']}
    paged = cloud.get(API + '/os-volumes/detail?limit=1&offset=1').json['volumes']
    assert [v['id'] for v in paged] == [listed[1]['id']]

    resp = cloud.post(API + '/os-snapshots', {'snapshot': {
        'volume_id': vol['id'], 'display_name': 's1', 'force': 'true'}})
    assert resp.status_int == 200, resp.text
    snap = resp.json['snapshot']
    assert (snap['volumeId'], snap['displayName'], snap['size']) == (vol['id'], 's1', 1)
    run_all()
    assert cloud.get(API + '/os-snapshots/' + snap['id']).json['snapshot'][
        'status'] == 'available'
    assert [s['id'] for s in cloud.get(API + '/os-snapshots/detail').json['snapshots']] == [
        snap['id']]
    assert cloud.delete(API + '/os-snapshots/' + snap['id']).status_int == 202
    run_all()
    assert cloud.get(API + '/os-snapshots/' + snap['id']).status_int == 404
    assert cloud.delete(API + '/os-volumes/' + second['id']).status_int == 202
    run_all()
    assert cloud.get(API + '/os-volumes/' + second['id']).status_int == 404


def test_bad_sizes_are_400_and_the_proxies_end_at_2_36(cloud):  # noqa: F811
    for body in ({'size': 0}, {'size': '#$?'}, {'display_name': 'no size'}):
        resp = cloud.post(API + '/os-volumes', {'volume': body})
        assert resp.status_int == 400, body
        assert 'badRequest' in resp.json
    assert cloud.get(API + '/os-volumes/nonexistent').status_int == 404
    assert cloud.delete(API + '/os-volumes/nonexistent').status_int == 404
    cloud.version = '2.36'
    assert cloud.get(API + '/os-volumes').status_int == 404
    assert cloud.get(API + '/os-snapshots').status_int == 404
