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


def _project(client):
    return client.get('/identity/v3/auth/projects').json['projects'][0]['id']


def test_an_attached_volume_names_its_server_and_device(cloud):  # noqa: F811
    vol = cloud.post(API + '/os-volumes', {'volume': {'size': 1}}).json['volume']
    run_all()
    server_id = cloud.boot(wait=False)
    run_all()
    resp = cloud.post('%s/servers/%s/os-volume_attachments' % (API, server_id),
                      {'volumeAttachment': {'volumeId': vol['id']}})
    assert resp.status_int == 200, resp.text
    run_all()
    shown = cloud.get(API + '/os-volumes/' + vol['id']).json['volume']
    assert shown['status'] == 'in-use'
    assert shown['attachments'] == [{'id': vol['id'], 'volumeId': vol['id'],
                                     'serverId': server_id, 'device': '/dev/vdb'}]
    # from the device Compute gave Block Storage, which shows it too
    cinder = cloud.get('/volume/v3/%s/volumes/%s' % (_project(cloud), vol['id'])).json
    assert [a['device'] for a in cinder['volume']['attachments']] == ['/dev/vdb']
    # an in-use volume is snapshotted only when forced (Block Storage's rule)
    resp = cloud.post(API + '/os-snapshots', {'snapshot': {'volume_id': vol['id']}})
    assert resp.status_int in (400, 409), resp.text
    resp = cloud.post(API + '/os-snapshots', {'snapshot': {'volume_id': vol['id'],
                                                           'force': True}})
    assert resp.status_int == 200, resp.text


def test_bad_snapshot_bodies_and_paging(cloud):  # noqa: F811
    for body in ({}, {'display_name': 'no volume'}, {'volume_id': 'x', 'size': 1},
                 {'volume_id': 'x', 'force': 'maybe'}):
        resp = cloud.post(API + '/os-snapshots', {'snapshot': body})
        assert resp.status_int == 400, (body, resp.text)
    resp = cloud.post(API + '/os-snapshots', {'snapshot': {'volume_id': 'nonexistent'}})
    assert resp.status_int == 404 and 'itemNotFound' in resp.json
    assert cloud.get(API + '/os-snapshots/nonexistent').status_int == 404
    for query in ('limit=x', 'offset=-1'):
        assert cloud.get(API + '/os-volumes?' + query).status_int == 400, query
    resp = cloud.post(API + '/os-volumes', {'volume': {'size': 1, 'bogus': 1}})
    assert resp.status_int == 400


def test_volumes_of_a_shelved_server_change_from_2_20_only(cloud):  # noqa: F811
    """Before 2.20 Nova answers 409 for a shelved (or offloaded) server."""
    project_id = _project(cloud)
    first, second = [cloud.post('/volume/v3/%s/volumes' % project_id, {'volume': {
        'size': 1}}).json['volume']['id'] for _ in range(2)]
    run_all()
    server_id = cloud.boot(wait=False)
    run_all()
    assert cloud.post('%s/servers/%s/action' % (API, server_id),
                      {'shelve': None}).status_int == 202
    run_all()
    assert cloud.server(server_id)['status'] == 'SHELVED_OFFLOADED'
    attachments = '%s/servers/%s/os-volume_attachments' % (API, server_id)
    cloud.version = '2.19'
    resp = cloud.post(attachments, {'volumeAttachment': {'volumeId': first}})
    assert resp.status_int == 409 and 'shelved_offloaded' in resp.json[
        'conflictingRequest']['message']
    cloud.version = '2.20'
    for volume_id in (first, second):
        resp = cloud.post(attachments, {'volumeAttachment': {'volumeId': volume_id}})
        assert resp.status_int == 200, resp.text
    cloud.version = '2.19'
    assert cloud.delete('%s/%s' % (attachments, first)).status_int == 409
    cloud.version = '2.20'
    assert cloud.delete('%s/%s' % (attachments, first)).status_int == 202
    assert [a['volumeId'] for a in cloud.get(attachments).json['volumeAttachments']] == [
        second]
    # the proxy shows the offloaded server's volume in use, with no device yet
    cloud.version = '2.1'
    shown = cloud.get(API + '/os-volumes/' + second).json['volume']
    assert shown['attachments'] == [{'id': second, 'volumeId': second,
                                     'serverId': server_id}]
    assert cloud.get(API + '/os-volumes/' + first).json['volume']['status'] == 'available'
    # unshelved, it is connected and named
    assert cloud.post('%s/servers/%s/action' % (API, server_id),
                      {'unshelve': None}).status_int == 202
    run_all()
    shown = cloud.get(API + '/os-volumes/' + second).json['volume']
    assert shown['attachments'][0]['device'] == '/dev/vdb'
