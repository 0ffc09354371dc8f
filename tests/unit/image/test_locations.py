"""Image locations: show_multiple_locations and JSON-patch on /locations, the
2.17 location API (add to a queued image, list for service users), the
read-only http store streaming from a real local web server, store weights."""
import hashlib

import pytest

from cloudstack.conf import CONF
from cloudstack.image import stores
from cloudstack.image.stores import http as http_store
from tests.unit.image.conftest import IMG
from tests.unit.image.drain import run_tasks
from tests.unit.image import webserver
from tests.unit.image.webserver import DATA

@pytest.fixture
def web(conf, override):
    with webserver.running() as port:
        override('location_allowed_hosts', ['127.0.0.1:%d' % port], group='image')
        yield 'http://127.0.0.1:%d/disk.img' % port


@pytest.fixture
def shown(override):
    override('show_multiple_locations', True, group='image')


def _loc(url, **meta):
    return {'url': url, 'metadata': meta}


def _add(client, image_id, value, pos='-'):
    return client.patch_image(image_id, [{'op': 'add', 'path': '/locations/%s' % pos,
                                          'value': value}])


def test_locations_hidden_and_refused_by_default(users, web):
    a = users['alice']
    img = a.create_image()
    assert 'locations' not in img and 'direct_url' not in img
    resp = _add(a, img['id'], _loc(web))
    assert resp.status_int == 403, resp.text
    assert a.upload(img['id'], b'x' * 10).status_int == 204
    shown = a.get(IMG + '/' + img['id']).json
    assert 'locations' not in shown and 'direct_url' not in shown


def test_direct_url_alone(users, override):
    override('show_image_direct_url', True, group='image')
    a = users['alice']
    img = a.create_image()
    assert a.upload(img['id'], b'x' * 10).status_int == 204
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['direct_url'].startswith('file://')
    assert 'locations' not in shown


def test_add_http_location_serves_its_data(users, web, shown):
    a = users['alice']
    img = a.create_image()
    assert img['locations'] == []
    resp = _add(a, img['id'], _loc(web, foo='bar'))
    assert resp.status_int == 200, resp.text
    img = resp.json
    assert img['status'] == 'active' and img['size'] == len(DATA)
    assert img['locations'] == [{'url': web, 'metadata': {'foo': 'bar'}}]
    assert img['direct_url'] == web
    assert img['os_hash_algo'] is None and img['checksum'] is None
    got = a.get(IMG + '/%s/file' % img['id'])
    assert got.status_int == 200 and got.body == DATA
    part = a.raw('GET', IMG + '/%s/file' % img['id'], headers={'Range': 'bytes=5-9'})
    assert part.status_int == 206 and part.body == DATA[5:10]
    # Deleting the image leaves the remote data alone (nothing to delete).
    assert a.delete(IMG + '/' + img['id']).status_int == 204


def test_multiple_locations_replace_and_remove(users, web, shown):
    a, boss = users['alice'], users['boss']
    img = a.create_image()
    assert _add(a, img['id'], _loc(web, foo='bar')).status_int == 200
    img = _add(a, img['id'], _loc(web + '#new', speed='88mph')).json
    locs = img['locations']
    assert [loc['url'] for loc in locs] == [web, web + '#new']
    assert img['direct_url'] == web
    # The same URLs: accepted, and new metadata kept.
    replace = [{'op': 'replace', 'path': '/locations', 'value': locs}]
    assert a.patch_image(img['id'], replace).status_int == 200
    locs[0]['metadata']['date'] = '2015-10-15'
    assert a.patch_image(img['id'], replace).status_int == 200
    # Dropping one, or swapping in another URL: 400.
    for value in ([locs[0]], [locs[0], _loc(web + '#new3')]):
        resp = a.patch_image(img['id'], [{'op': 'replace', 'path': '/locations',
                                          'value': value}])
        assert resp.status_int == 400, resp.text
    assert a.get(IMG + '/' + img['id']).json['locations'] == locs
    # A URL twice, a scheme no store reads, a file the server did not write.
    for url in (web, 'gopher://info.cern.ch', 'file:///etc/passwd',
                'http://user:pw@127.0.0.1/x'):
        resp = _add(a, img['id'], _loc(url))
        assert resp.status_int == 400, (url, resp.text)
    assert _add(a, img['id'], _loc(web + '#x'), pos='7').status_int == 400
    # Only an admin removes a location (delete_image_location), never the last.
    remove = [{'op': 'remove', 'path': '/locations/0'}]
    assert a.patch_image(img['id'], remove).status_int == 403
    img = boss.patch_image(img['id'], remove).json
    assert [loc['url'] for loc in img['locations']] == [web + '#new']
    assert img['direct_url'] == web + '#new'
    assert a.get(IMG + '/%s/file' % img['id']).body == DATA     # from '#new'
    assert boss.patch_image(img['id'], remove).status_int == 403


def test_reader_sees_locations_and_cannot_set_them(users, web, shown):
    a, carol, bob = users['alice'], users['carol'], users['bob']
    img = a.create_image(visibility='community')
    assert _add(a, img['id'], _loc(web)).status_int == 200
    assert len(carol.get(IMG + '/' + img['id']).json['locations']) == 1
    assert _add(carol, img['id'], _loc(web + '#c')).status_int == 403
    # Another project sees the community image, not where its data lives.
    other = bob.get(IMG + '/' + img['id']).json
    assert other['locations'] == [] and 'direct_url' not in other


def test_validation_data_on_locations(users, web, shown):
    a = users['alice']
    img = a.create_image()
    valid = {'checksum': '1' * 32, 'os_hash_algo': 'sha512',
             'os_hash_value': 'deadbeef' * 16}
    img = _add(a, img['id'], dict(_loc(web), validation_data=valid)).json
    assert (img['checksum'], img['os_hash_algo'], img['os_hash_value']) == (
        '1' * 32, 'sha512', 'deadbeef' * 16)
    assert 'validation_data' not in img['locations'][0]
    assert _add(a, img['id'], dict(_loc(web + '#2'), validation_data=valid)
                ).status_int == 200
    # A difference is a conflict, found before the form (a sha512 value with
    # sha256 named is a 409, as Glance).
    for key, value in (('checksum', '2' * 32), ('os_hash_value', 'beefdead' * 16),
                       ('os_hash_algo', 'sha256')):
        other = dict(valid, **{key: value})
        resp = _add(a, img['id'], dict(_loc(web + '#3'), validation_data=other))
        assert resp.status_int == 409, (key, resp.text)
    bad_form = dict(_loc(web + '#4'), validation_data={'checksum': 'xyz'})
    assert _add(a, img['id'], bad_form).status_int == 409       # differs
    queued = a.create_image()['id']
    assert _add(a, queued, bad_form).status_int == 400


def _post_location(client, image_id, url, validation=None):
    body = {'url': url}
    if validation is not None:
        body['validation_data'] = validation
    return client.post(IMG + '/%s/locations' % image_id, body)


def test_add_location_api_hashes_the_data(users, web):
    a, boss = users['alice'], users['boss']
    img = a.create_image()
    sha256 = hashlib.sha256(DATA).hexdigest()
    for bad in ({'os_hash_algo': 'sha512', 'os_hash_value': 'dbc9e0f8'},
                {'os_hash_value': hashlib.sha512(DATA).hexdigest()},
                {'os_hash_algo': 'sha123', 'os_hash_value': sha256},
                {'os_hash_algo': 'sha512', 'os_hash_value': sha256}):
        assert _post_location(a, img['id'], web, bad).status_int == 400, bad
    assert _post_location(a, img['id'], 'ftp://x/y').status_int == 400
    resp = _post_location(a, img['id'], web,
                          {'os_hash_algo': 'sha256', 'os_hash_value': sha256})
    assert resp.status_int == 202, resp.text
    assert a.get(IMG + '/' + img['id']).json['status'] == 'importing'
    run_tasks()
    [task] = a.get(IMG + '/%s/tasks' % img['id']).json['tasks']
    assert task['status'] == 'success' and task['type'] == 'location_import'
    img = a.get(IMG + '/' + img['id']).json
    assert img['status'] == 'active' and img['size'] == len(DATA)
    assert (img['os_hash_algo'], img['os_hash_value']) == ('sha256', sha256)
    assert img['checksum'] == hashlib.md5(DATA).hexdigest()
    # Only a queued image takes a location.
    assert _post_location(a, img['id'], web + '#2').status_int == 409
    # Listing them is for service users (and admins).
    assert a.get(IMG + '/%s/locations' % img['id']).status_int == 403
    listed = boss.get(IMG + '/%s/locations' % img['id'])
    assert listed.status_int == 200 and listed.json == [{'url': web, 'metadata': {}}]
    assert a.get(IMG + '/%s/file' % img['id']).body == DATA


def test_add_location_api_wrong_hash_goes_back_to_queued(users, web):
    a = users['alice']
    img = a.create_image()
    resp = _post_location(a, img['id'], web, {'os_hash_algo': 'sha512',
                                              'os_hash_value': 'beefdead' * 16})
    assert resp.status_int == 202
    run_tasks()
    [task] = a.get(IMG + '/%s/tasks' % img['id']).json['tasks']
    assert task['status'] == 'failure'
    img = a.get(IMG + '/' + img['id']).json
    assert img['status'] == 'queued' and img['os_hash_value'] is None


def test_add_location_api_without_secure_hash(users, web, override):
    override('do_secure_hash', False, group='image')
    a = users['alice']
    img = a.create_image()
    assert _post_location(a, img['id'], web).status_int == 202
    run_tasks()
    img = a.get(IMG + '/' + img['id']).json
    assert img['status'] == 'active' and img['size'] == len(DATA)
    assert img['checksum'] is None and img['os_hash_value'] is None


def test_add_location_api_unreadable_url(users, web):
    a = users['alice']
    img = a.create_image()
    missing = web.rsplit('/', 1)[0] + '/missing'
    assert _post_location(a, img['id'], missing).status_int == 202
    run_tasks()
    [task] = a.get(IMG + '/%s/tasks' % img['id']).json['tasks']
    assert task['status'] == 'failure'
    assert a.get(IMG + '/' + img['id']).json['status'] == 'queued'


def test_deleting_the_image_stops_reading_its_location(users, web, monkeypatch):
    from cloudstack.image.manager import locations
    monkeypatch.setattr(locations, 'CANCEL_CHECK_CHUNKS', 1)
    a = users['alice']
    img = a.create_image()
    read = []
    real_get = http_store.HttpStore.get

    def get_then_delete(store, location, **kw):
        for chunk in real_get(store, location, **kw):
            if not read:
                assert a.delete(IMG + '/' + img['id']).status_int == 204
            read.append(chunk)
            yield chunk
    monkeypatch.setattr(http_store.HttpStore, 'get', get_then_delete)
    big = web.rsplit('/', 1)[0] + '/big'
    assert _post_location(a, img['id'], big).status_int == 202
    run_tasks()
    assert 0 < len(read) < len(DATA) * 60 // 65536
    assert a.get(IMG + '/' + img['id']).status_int == 404


def test_another_project_cannot_add_a_location(users, web):
    img = users['alice'].create_image(visibility='community')
    assert _post_location(users['bob'], img['id'], web).status_int == 403


def test_http_store_reads_ranges_and_refuses_writes(web, conf):
    store = stores.get_store(CONF, 'http')
    assert store.read_only and store.size(web) == len(DATA)
    assert b''.join(store.get(web, chunk_size=7, offset=3, length=10)) == DATA[3:13]
    with pytest.raises(stores.base.StoreError):
        store.add('x', [b'data'])
    with pytest.raises(stores.base.NotFound):
        store.get(web.rsplit('/', 1)[0] + '/missing')
    # Only the allowed hosts, redirects included.
    with pytest.raises(stores.base.StoreError):
        store.get(web.rsplit('/', 1)[0] + '/away')
    for url in ('file:///etc/passwd', 'gopher://h/x', 'http:///nohost',
                'http://127.0.0.1:1/x', 'http://169.254.169.254/latest',
                'http://u:p@' + web[len('http://'):], 'http://127.0.0.1:99999999/x'):
        with pytest.raises(ValueError):
            store.check_location(url)
    store.check_location(web + '#fragment')


def test_locations_only_from_allowed_hosts(users, web, shown, override):
    a = users['alice']
    img = a.create_image()
    for url in ('http://127.0.0.1:1/x', 'http://10.0.0.1/disk.img'):
        resp = _add(a, img['id'], _loc(url))
        assert resp.status_int == 400 and 'does not pass filtering' in resp.text
        assert _post_location(a, img['id'], url).status_int == 400
    override('location_allowed_hosts', [], group='image')
    assert _post_location(a, img['id'], web).status_int == 400
    assert a.get(IMG + '/' + img['id']).json['status'] == 'queued'


@pytest.fixture
def weighted(override):
    override('enabled_backends', {'fast': 'file', 'slow': 'file', 'web': 'http'},
             group='image')
    override('default_store', 'fast', group='image')
    override('enabled_import_methods', ['glance-direct', 'copy-image'],
             group='image')
    override('weight', {'slow': 100, 'fast': 10}, group='image')


def test_store_weights_order_stores_and_reads(users, weighted, web, override):
    override('show_image_direct_url', True, group='image')
    a = users['alice']
    info = a.get('/image/v2/info/stores').json['stores']
    assert {s['id']: (s['weight'], s.get('read-only')) for s in info} == {
        'fast': (10, None), 'slow': (100, None), 'web': (0, 'true')}
    img = a.create_image()
    assert a.upload(img['id'], b'weighted data').status_int == 204
    resp = users['boss'].post(IMG + '/%s/import' % img['id'],
                              {'method': {'name': 'copy-image'}, 'stores': ['slow']})
    assert resp.status_int == 202, resp.text
    run_tasks()
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['stores'] == 'slow,fast'
    # Reads go to the heavier store first, and fall back when it lost the data.
    slow = stores.get_store(CONF, 'slow')
    [(_, location)] = [c for c in slow.contents() if c[0] == img['id']]
    assert shown['direct_url'] == location
    slow.delete(location)
    assert a.get(IMG + '/%s/file' % img['id']).body == b'weighted data'
    # Read-only stores take no data.
    assert a.upload(a.create_image()['id'], b'x', headers={
        'X-Image-Meta-Store': 'web'}).status_int == 400


def test_version_2_17_is_current(client):
    versions = client.get('/image/versions').json['versions']
    assert versions[0] == dict(versions[0], id='v2.17', status='CURRENT')
