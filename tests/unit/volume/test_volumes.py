"""Block Storage API: versions, microversions, volumes, isolation, lists."""
import pytest

from tests.unit.volume.conftest import VOL, run_tasks


def create(client, **spec):
    if not {'snapshot_id', 'source_volid', 'backup_id', 'imageRef'} & set(spec):
        spec.setdefault('size', 1)
    resp = client.post(VOL + '/volumes', {'volume': spec})
    assert resp.status_int == 202, resp.text
    return resp.json['volume']


def wait_available(client, volume_id):
    run_tasks()
    vol = client.get(VOL + '/volumes/' + volume_id).json['volume']
    assert vol['status'] == 'available', vol
    return vol


def test_versions_are_public_and_advertise_microversions(client):
    resp = client.get('/volume/')
    assert resp.status_int == 300
    version = resp.json['versions'][0]
    assert (version['id'], version['min_version'], version['version']) == \
        ('v3.0', '3.0', '3.71')
    assert version['links'][-1]['href'].endswith('/volume/v3/')
    resp = client.get('/volume/v3/')
    assert resp.status_int == 200 and resp.json['versions'][0]['id'] == 'v3.0'


def test_microversion_negotiation_and_errors_in_cinder_shape(cloud):
    alice = cloud['alice']
    resp = alice.get(VOL + '/volumes', headers={'OpenStack-API-Version': 'volume 3.50'})
    assert resp.status_int == 200
    assert resp.headers['OpenStack-API-Version'] == 'volume 3.50'
    assert alice.get(VOL + '/volumes').headers['OpenStack-API-Version'] == 'volume 3.0'
    resp = alice.get(VOL + '/volumes', headers={'OpenStack-API-Version': 'volume 3.72'})
    assert resp.status_int == 406 and resp.json['computeFault']['code'] == 406
    resp = alice.get(VOL + '/volumes/summary')      # 3.12 and later only
    assert resp.status_int == 404 and 'itemNotFound' in resp.json
    resp = alice.get(VOL + '/volumes/summary',
                     headers={'OpenStack-API-Version': 'volume latest'})
    assert resp.json == {'volume-summary': {'total_count': 0, 'total_size': 0,
                                            'metadata': {}}}
    resp = alice.get(VOL + '/volumes', token='')
    assert resp.status_int == 401 and 'unauthorized' in resp.json


def test_project_id_in_the_url_is_optional_but_must_be_the_callers(cloud):
    alice = cloud['alice']
    vol = create(alice, name='a')
    own = '/volume/v3/%s/volumes/%s' % (alice.project_id, vol['id'])
    resp = alice.get(own)
    assert resp.status_int == 200
    assert resp.json['volume']['links'][0]['href'].endswith(own)
    assert '/v3/' not in resp.json['volume']['links'][1]['href']
    other = '/volume/v3/%s/volumes' % cloud['bob'].project_id
    resp = alice.get(other)
    assert resp.status_int == 400 and 'badRequest' in resp.json


def test_create_show_update_delete(cloud):
    alice = cloud['alice']
    vol = create(alice, name='v1', description='d', metadata={'k': 'v'})
    assert vol['status'] == 'creating' and vol['volume_type'] == '__DEFAULT__'
    assert 'os-vol-tenant-attr:tenant_id' not in vol      # not in a create answer
    vol = wait_available(alice, vol['id'])
    assert vol['metadata'] == {'k': 'v'} and vol['bootable'] == 'false'
    assert vol['os-vol-tenant-attr:tenant_id'] == alice.project_id
    assert 'os-vol-host-attr:host' not in vol             # admins only
    resp = alice.put(VOL + '/volumes/' + vol['id'], {'volume': {'name': 'v2'}})
    assert resp.status_int == 200 and resp.json['volume']['name'] == 'v2'
    boss = cloud['boss']
    host = boss.get(VOL + '/volumes/' + vol['id']).json['volume']['os-vol-host-attr:host']
    assert host.endswith('@fake1#fake1') or host.endswith('@fake2#fake2')
    assert alice.delete(VOL + '/volumes/' + vol['id']).status_int == 202
    run_tasks()
    assert alice.get(VOL + '/volumes/' + vol['id']).status_int == 404


def test_another_projects_volume_is_404_and_readers_cannot_write(cloud):
    alice, bob, carol = cloud['alice'], cloud['bob'], cloud['carol']
    vol = create(alice)
    for resp in (bob.get(VOL + '/volumes/' + vol['id']),
                 bob.delete(VOL + '/volumes/' + vol['id']),
                 bob.post(VOL + '/volumes/%s/action' % vol['id'],
                          {'os-extend': {'new_size': 2}})):
        assert resp.status_int == 404, resp.text
    assert bob.get(VOL + '/volumes').json['volumes'] == []
    assert carol.get(VOL + '/volumes/' + vol['id']).status_int == 200
    resp = carol.post(VOL + '/volumes', {'volume': {'size': 1}})
    assert resp.status_int == 403 and 'forbidden' in resp.json
    resp = cloud['boss'].get(VOL + '/volumes/detail?all_tenants=1&project_id='
                             + alice.project_id)
    assert [v['id'] for v in resp.json['volumes']] == [vol['id']]


@pytest.mark.parametrize('size', ['#$%', '', '0', '-1', 0, True])
def test_bad_sizes_are_400(cloud, size):
    resp = cloud['alice'].post(VOL + '/volumes', {'volume': {'size': size}})
    assert resp.status_int == 400 and 'badRequest' in resp.json


def test_strict_bodies_from_3_53(cloud):
    alice = cloud['alice']
    vol = wait_available(alice, create(alice)['id'])
    url = VOL + '/volumes/' + vol['id']
    assert alice.put(url, {'volume': {'name': 'x', 'bogus': 1}}).status_int == 200
    resp = alice.put(url, {'volume': {'name': 'x', 'bogus': 1}},
                     headers={'OpenStack-API-Version': 'volume 3.53'})
    assert resp.status_int == 400
    resp = alice.put(url, {'volume': {}}, headers={'OpenStack-API-Version': 'volume 3.53'})
    assert resp.status_int == 400


def test_missing_things_are_404(cloud):
    alice = cloud['alice']
    for spec in ({'volume_type': 'nope'}, {'snapshot_id': 'f' * 32},
                 {'source_volid': 'f' * 32}):
        resp = alice.post(VOL + '/volumes', {'volume': dict(spec, size=1)})
        assert resp.status_int == 404, (spec, resp.text)
    assert alice.get(VOL + '/volumes/nope').status_int == 404
    assert alice.put(VOL + '/volumes/', {'volume': {'name': 'n'}}).status_int in (404, 405)


def test_list_filters_sort_and_paging(cloud):
    alice = cloud['alice']
    ids = [create(alice, name='n%d' % i, metadata={'Type': 'work' if i else 'play'})['id']
           for i in range(3)]
    run_tasks()
    got = alice.get(VOL + "/volumes/detail?metadata={'Type': 'work'}").json['volumes']
    assert sorted(v['id'] for v in got) == sorted(ids[1:])
    got = alice.get(VOL + '/volumes?name=n1').json['volumes']
    assert [v['id'] for v in got] == [ids[1]]
    assert alice.get(VOL + '/volumes?status=null').json['volumes'] == []
    got = alice.get(VOL + '/volumes/detail?sort_key=name&sort_dir=asc').json['volumes']
    assert [v['name'] for v in got] == ['n0', 'n1', 'n2']
    page = alice.get(VOL + '/volumes?limit=2&sort=name:asc').json
    assert len(page['volumes']) == 2 and page['volumes_links'][0]['rel'] == 'next'
    nxt = page['volumes_links'][0]['href'].split('/volume/v3', 1)[1]
    page = alice.get('/volume/v3' + nxt).json
    assert [v['name'] for v in page['volumes']] == ['n2'] and 'volumes_links' not in page
    got = alice.get(VOL + '/volumes?sort=name:asc&offset=1&limit=1').json['volumes']
    assert [v['name'] for v in got] == ['n1']
    assert alice.get(VOL + '/volumes?sort_key=bogus').status_int == 400
    assert alice.get(VOL + '/volumes?limit=x').status_int == 400
    assert alice.get(VOL + '/volumes?marker=' + 'f' * 32).status_int == 404
    resp = alice.get(VOL + '/volumes?with_count=true',
                     headers={'OpenStack-API-Version': 'volume 3.45'})
    assert resp.json['count'] == 3
    resp = alice.get(VOL + '/volumes/summary',
                     headers={'OpenStack-API-Version': 'volume 3.36'})
    assert resp.json['volume-summary']['total_size'] == 3
    assert sorted(resp.json['volume-summary']['metadata']['Type']) == ['play', 'work']


def test_metadata_and_readonly_and_bootable(cloud):
    alice = cloud['alice']
    vol = wait_available(alice, create(alice, metadata={'a': '1'})['id'])
    url = VOL + '/volumes/%s/metadata' % vol['id']
    assert alice.post(url, {'metadata': {'b': '2'}}).json == {'metadata': {'a': '1', 'b': '2'}}
    assert alice.put(url, {'metadata': {'c': '3'}}).json == {'metadata': {'c': '3'}}
    assert alice.get(url + '/c').json == {'meta': {'c': '3'}}
    assert alice.put(url + '/c', {'meta': {'c': '4'}}).json == {'meta': {'c': '4'}}
    assert alice.put(url + '/c', {'meta': {'d': '4'}}).status_int == 400
    assert alice.delete(url + '/c').status_int == 200
    assert alice.get(url + '/c').status_int == 404
    action = VOL + '/volumes/%s/action' % vol['id']
    assert alice.post(action, {'os-update_readonly_flag': {'readonly': True}}
                      ).status_int == 202
    assert alice.post(action, {'os-set_bootable': {'bootable': True}}).status_int == 200
    got = alice.get(VOL + '/volumes/' + vol['id']).json['volume']
    assert got['metadata'] == {'readonly': 'True'} and got['bootable'] == 'true'
    assert alice.post(action, {'os-bogus': {}}).status_int == 400


def test_quotas_hold_under_concurrent_creates(cloud):
    import threading
    alice, boss = cloud['alice'], cloud['boss']
    resp = boss.put(VOL + '/os-quota-sets/' + alice.project_id,
                    {'quota_set': {'volumes': 3}})
    assert resp.status_int == 200, resp.text
    results = []

    def one():
        results.append(alice.post(VOL + '/volumes', {'volume': {'size': 1}}).status_int)
    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [202] * 3 + [413] * 5
    usage = boss.get(VOL + '/os-quota-sets/%s?usage=true' % alice.project_id).json
    assert usage['quota_set']['volumes'] == {'limit': 3, 'in_use': 3, 'reserved': 0,
                                             'allocated': 0}
    assert usage['quota_set']['gigabytes']['in_use'] == 3
    limits = alice.get(VOL + '/limits').json['limits']['absolute']
    assert (limits['totalVolumesUsed'], limits['maxTotalVolumes']) == (3, 3)
    resp = alice.post(VOL + '/volumes', {'volume': {'size': 1}})
    assert resp.status_int == 413 and 'overLimit' in resp.json
