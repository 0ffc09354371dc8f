"""Volumes of a multiattach type on several servers (Nova's rules: 2.60)."""
from tests.unit.compute.conftest import API
from tests.unit.compute.test_volume_backed import cloud, run_all  # noqa: F401
from tests.unit.compute.test_volume_swap import (
    _fake_record, _migrating, _project, _swap, _volume)
from tests.unit.volume.conftest import backend  # noqa: F401  (a fixture)


def _multiattach_volume(client, **spec):
    types = '/volume/v3/%s/types' % _project(client)
    if not any(t['name'] == 'shared' for t in client.get(types).json['volume_types']):
        resp = client.post(types, {'volume_type': {
            'name': 'shared', 'extra_specs': {'multiattach': '<is> True'}}})
        assert resp.status_int == 200, resp.text
    resp = client.post('/volume/v3/%s/volumes' % _project(client), {'volume': dict(
        spec, size=1, volume_type='shared')})
    assert resp.status_int == 202, resp.text
    run_all()
    return resp.json['volume']['id']


def _attach(client, server_id, volume_id):
    return client.post('%s/servers/%s/os-volume_attachments' % (API, server_id),
                       {'volumeAttachment': {'volumeId': volume_id}})


def _servers(client, count):
    version, client.version = client.version, '2.1'
    ids = [client.boot(name='s%d' % i, wait=False) for i in range(count)]
    client.version = version
    run_all()
    return ids


def test_one_volume_on_two_servers_from_2_60(cloud):  # noqa: F811
    volume_id = _multiattach_volume(cloud)
    first, second = _servers(cloud, 2)
    cloud.version = '2.59'
    resp = _attach(cloud, first, volume_id)
    assert resp.status_int == 400, resp.text
    assert '2.60' in resp.json['badRequest']['message']
    cloud.version = '2.60'
    devices = {}
    for server_id in (first, second):
        resp = _attach(cloud, server_id, volume_id)
        assert resp.status_int == 200, resp.text
        devices[server_id] = resp.json['volumeAttachment']['device']
        run_all()
    volume = _volume(cloud, volume_id)
    assert volume['status'] == 'in-use'
    assert sorted(a['server_id'] for a in volume['attachments']) == sorted((first, second))
    for server_id in (first, second):
        assert _fake_record(server_id)['volumes'] == {devices[server_id]: volume_id}
    # twice on one server is Nova's 400
    assert _attach(cloud, first, volume_id).status_int == 400
    # a swap of a volume attached read/write twice is refused (400), even migrating
    other = _multiattach_volume(cloud)
    _migrating(cloud, volume_id)
    resp = _swap(cloud, first, volume_id, other)
    assert resp.status_int == 400, resp.text
    assert _volume(cloud, volume_id)['status'] == 'in-use'
    assert _volume(cloud, other)['status'] == 'available'
    # detached from one server it stays in use by the other
    assert cloud.delete('%s/servers/%s/os-volume_attachments/%s' % (
        API, first, volume_id)).status_int == 202
    run_all()
    volume = _volume(cloud, volume_id)
    assert volume['status'] == 'in-use'
    assert [a['server_id'] for a in volume['attachments']] == [second]
    assert cloud.delete('%s/servers/%s/os-volume_attachments/%s' % (
        API, second, volume_id)).status_int == 202
    run_all()
    assert _volume(cloud, volume_id)['status'] == 'available'


def test_booting_from_a_multiattach_volume_needs_2_60(cloud):  # noqa: F811
    volume_id = _multiattach_volume(cloud, imageRef=cloud.image_id)
    server = {'name': 'bfv', 'flavorRef': '1', 'imageRef': '', 'networks': 'none',
              'block_device_mapping_v2': [{
                  'boot_index': 0, 'uuid': volume_id, 'source_type': 'volume',
                  'destination_type': 'volume', 'delete_on_termination': False}]}
    cloud.version = '2.59'
    resp = cloud.post(API + '/servers', {'server': server})
    assert resp.status_int == 400, resp.text
    cloud.version = '2.60'
    resp = cloud.post(API + '/servers', {'server': server})
    assert resp.status_int == 202, resp.text
    run_all()
    server_id = resp.json['server']['id']
    assert cloud.server(server_id)['status'] == 'ACTIVE'
    # and a second server may use it too
    (other,) = _servers(cloud, 1)
    assert _attach(cloud, other, volume_id).status_int == 200
    run_all()
    assert len(_volume(cloud, volume_id)['attachments']) == 2


def test_no_multiattach_volume_for_a_shelved_offloaded_server(cloud):  # noqa: F811
    volume_id = _multiattach_volume(cloud)
    (server_id,) = _servers(cloud, 1)
    assert cloud.post('%s/servers/%s/action' % (API, server_id),
                      {'shelve': None}).status_int == 202
    run_all()
    assert cloud.server(server_id)['status'] == 'SHELVED_OFFLOADED'
    cloud.version = '2.60'
    resp = _attach(cloud, server_id, volume_id)
    assert resp.status_int == 400, resp.text
    assert 'shelved-offloaded' in resp.json['badRequest']['message']
    assert _volume(cloud, volume_id)['status'] == 'available'


def test_a_read_only_volume_is_attached_read_only(cloud):  # noqa: F811
    volume_id = _multiattach_volume(cloud)
    resp = cloud.post('/volume/v3/%s/volumes/%s/action' % (_project(cloud), volume_id),
                      {'os-update_readonly_flag': {'readonly': True}})
    assert resp.status_int == 202, resp.text
    first, second = _servers(cloud, 2)
    cloud.version = '2.60'
    for server_id in (first, second):
        assert _attach(cloud, server_id, volume_id).status_int == 200
        run_all()
    volume = _volume(cloud, volume_id)
    assert volume['status'] == 'in-use'
    modes = [cloud.get('/volume/v3/%s/attachments/%s' % (_project(cloud), a[
        'attachment_id']), headers={'OpenStack-API-Version': 'volume 3.27'}).json[
        'attachment']['attach_mode'] for a in volume['attachments']]
    assert modes == ['ro', 'ro']


def test_a_resized_server_takes_its_volumes_along(cloud, monkeypatch):  # noqa: F811
    """The host a server is resized onto (or reverted to) gets its volumes to
    attach (Block Storage exports them there), as Nova does on a move."""
    from cloudstack.compute.virt import fake
    given = []
    for name in ('finish_migration', 'finish_revert_migration'):
        def spy(self, *args, _real=getattr(fake.FakeDriver, name), _name=name, **kw):
            bdi = args[7] if _name == 'finish_migration' else args[3]
            given.append((_name, sorted(b['volume_id'] for b in bdi['block_device_mapping'])))
            return _real(self, *args, **kw)
        monkeypatch.setattr(fake.FakeDriver, name, spy)
    volume_id = _multiattach_volume(cloud)
    first, second = _servers(cloud, 2)
    cloud.version = '2.60'
    for server_id in (first, second):
        assert _attach(cloud, server_id, volume_id).status_int == 200
        run_all()
    cloud.action(first, {'resize': {'flavorRef': '2'}})
    run_all()
    assert cloud.server(first)['status'] == 'VERIFY_RESIZE'
    cloud.action(first, {'revertResize': None})
    run_all()
    assert cloud.server(first)['status'] == 'ACTIVE'
    assert given == [('finish_migration', [volume_id]),
                     ('finish_revert_migration', [volume_id])]
    volume = _volume(cloud, volume_id)
    assert volume['status'] == 'in-use'
    assert sorted(a['server_id'] for a in volume['attachments']) == sorted((first, second))
    assert _fake_record(first)['volumes'] == {'/dev/vdb': volume_id}
