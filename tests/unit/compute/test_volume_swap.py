"""Swapping an attached volume (PUT /servers/{id}/os-volume_attachments/{volume}),
which Nova serves only for Block Storage's migration of the volume."""
import json
import os

from cloudstack.conf import CONF
from tests.unit.compute.conftest import API
from tests.unit.compute.test_volume_backed import cloud, run_all  # noqa: F401
from tests.unit.volume.conftest import backend  # noqa: F401  (a fixture)


def _project(client):
    return client.get('/identity/v3/auth/projects').json['projects'][0]['id']


def _volumes(client, *sizes, **spec):
    url = '/volume/v3/%s/volumes' % _project(client)
    ids = [client.post(url, {'volume': dict(spec, size=size)}).json['volume']['id']
           for size in sizes]
    run_all()
    return ids


def _volume(client, volume_id):
    return client.get('/volume/v3/%s/volumes/%s' % (_project(client), volume_id)).json[
        'volume']


def _attach(client, server_id, volume_id):
    resp = client.post('%s/servers/%s/os-volume_attachments' % (API, server_id),
                       {'volumeAttachment': {'volumeId': volume_id}})
    assert resp.status_int == 200, resp.text
    run_all()
    return resp.json['volumeAttachment']


def _swap(client, server_id, old, new):
    return client.put('%s/servers/%s/os-volume_attachments/%s' % (API, server_id, old),
                      {'volumeAttachment': {'volumeId': new}})


def _migrating(client, volume_id):
    resp = client.post('/volume/v3/%s/volumes/%s/action' % (_project(client), volume_id),
                       {'os-reset_status': {'migration_status': 'migrating'}})
    assert resp.status_int == 202, resp.text


def _fake_record(server_id):
    path = os.path.join(CONF.data_dir, 'fake-virt', CONF.host, server_id + '.json')
    with open(path) as f:
        return json.load(f)


def test_a_volume_block_storage_is_not_migrating_is_not_swapped(cloud):  # noqa: F811
    old, new = _volumes(cloud, 1, 1)
    server_id = cloud.boot(wait=False)
    run_all()
    _attach(cloud, server_id, old)
    resp = _swap(cloud, server_id, old, new)
    assert resp.status_int == 409, resp.text
    assert 'not migrating' in resp.json['conflictingRequest']['message']
    run_all()
    listed = cloud.get('%s/servers/%s/os-volume_attachments' % (API, server_id)).json[
        'volumeAttachments']
    assert [a['volumeId'] for a in listed] == [old]
    assert (_volume(cloud, old)['status'], _volume(cloud, new)['status']) == (
        'in-use', 'available')
    # an unknown volume in the path is 404, one in the body (old migrating) 400
    assert _swap(cloud, server_id, '1ab2c3d4-0000-4000-8000-000000000000',
                 new).status_int == 404
    _migrating(cloud, old)
    resp = _swap(cloud, server_id, old, '1ab2c3d4-0000-4000-8000-000000000000')
    assert resp.status_int == 400, resp.text


def test_only_admins_and_services_swap(cloud, member):  # noqa: F811
    old, new = _volumes(member, 1, 1)
    server_id = member.boot(wait=False)
    run_all()
    _attach(member, server_id, old)
    _migrating(cloud, old)
    assert _swap(member, server_id, old, new).status_int == 403
    # from 2.85 the same volume is an update of the attachment, the owner's
    member.version = '2.85'
    resp = member.put('%s/servers/%s/os-volume_attachments/%s' % (API, server_id, old),
                      {'volumeAttachment': {'volumeId': old,
                                            'delete_on_termination': True}})
    assert resp.status_int == 202, resp.text
    member.version = '2.79'
    shown = member.get('%s/servers/%s/os-volume_attachments/%s' % (API, server_id, old))
    assert shown.json['volumeAttachment']['delete_on_termination'] is True


def test_swap_of_a_migrating_volume_moves_the_server_to_the_new_one(cloud):  # noqa: F811
    old, new = _volumes(cloud, 1, 2)
    server_id = cloud.boot(wait=False)
    run_all()
    device = _attach(cloud, server_id, old)['device']
    _migrating(cloud, old)
    resp = _swap(cloud, server_id, old, new)
    assert resp.status_int == 202, resp.text
    assert _volume(cloud, old)['status'] == 'detaching'
    run_all()
    listed = cloud.get('%s/servers/%s/os-volume_attachments' % (API, server_id)).json[
        'volumeAttachments']
    assert [(a['volumeId'], a['device']) for a in listed] == [(new, device)]
    old_volume, new_volume = _volume(cloud, old), _volume(cloud, new)
    assert (old_volume['status'], old_volume['attachments']) == ('available', [])
    assert new_volume['status'] == 'in-use'
    assert [(a['server_id'], a['device']) for a in new_volume['attachments']] == [
        (server_id, device)]
    # Block Storage was told (migrate_volume_completion)
    assert old_volume['migration_status'] == new_volume['migration_status'] == 'success'
    # the hypervisor copied the disk onto the larger volume
    assert _fake_record(server_id)['swaps'] == [
        {'mountpoint': device, 'old': old, 'new': new, 'resize_to': 2}]
    assert _fake_record(server_id)['volumes'] == {device: new}
    actions = cloud.get('%s/servers/%s/os-instance-actions' % (API, server_id)).json[
        'instanceActions']
    assert 'swap_volume' in [a['action'] for a in actions]
    # and it detaches as any volume does
    resp = cloud.delete('%s/servers/%s/os-volume_attachments/%s' % (API, server_id, new))
    assert resp.status_int == 202, resp.text
    run_all()
    assert _volume(cloud, new)['status'] == 'available'


def test_a_failed_swap_leaves_the_old_volume_attached(cloud, monkeypatch):  # noqa: F811
    from cloudstack.compute.virt import driver, fake
    old, new = _volumes(cloud, 1, 1)
    server_id = cloud.boot(wait=False)
    run_all()
    _attach(cloud, server_id, old)
    _migrating(cloud, old)

    def refuse(self, *args):
        raise driver.NotSupported('no block copy here')
    monkeypatch.setattr(fake.FakeDriver, 'swap_volume', refuse)
    assert _swap(cloud, server_id, old, new).status_int == 202
    run_all()
    listed = cloud.get('%s/servers/%s/os-volume_attachments' % (API, server_id)).json[
        'volumeAttachments']
    assert [a['volumeId'] for a in listed] == [old]
    old_volume, new_volume = _volume(cloud, old), _volume(cloud, new)
    assert (old_volume['status'], new_volume['status']) == ('in-use', 'available')
    assert new_volume['attachments'] == []
    assert old_volume['migration_status'] is None


def test_a_smaller_or_attached_new_volume_is_400(cloud):  # noqa: F811
    old, small = _volumes(cloud, 2, 1)
    server_id = cloud.boot(wait=False)
    run_all()
    _attach(cloud, server_id, old)
    _migrating(cloud, old)
    resp = _swap(cloud, server_id, old, small)
    assert resp.status_int == 400, resp.text
    assert _volume(cloud, old)['status'] == 'in-use'


def test_a_stopped_server_is_not_swapped(cloud):  # noqa: F811
    """As Nova: swap_volume only for ACTIVE, PAUSED and RESIZED servers."""
    old, new = _volumes(cloud, 1, 1)
    server_id = cloud.boot(wait=False)
    run_all()
    _attach(cloud, server_id, old)
    _migrating(cloud, old)
    cloud.action(server_id, {'os-stop': None})
    run_all()
    resp = _swap(cloud, server_id, old, new)
    assert resp.status_int == 409, resp.text
    assert resp.json['conflictingRequest']['message'] == (
        "Cannot 'swap_volume' instance %s while it is in vm_state stopped" % server_id)
    assert (_volume(cloud, old)['status'], _volume(cloud, new)['status']) == (
        'in-use', 'available')


def test_a_swap_resumed_after_a_restart_settles_the_migration(cloud, monkeypatch):  # noqa: F811
    """After a restart the volume agent may not be up yet (NoAgent: the swap
    waits for it), and the recovery may have marked the migration no task
    held 'error': the swap finishes it all the same."""
    from cloudstack import tasks
    from cloudstack.compute import volume_api
    old, new = _volumes(cloud, 1, 1)
    server_id = cloud.boot(wait=False)
    run_all()
    _attach(cloud, server_id, old)
    _migrating(cloud, old)
    assert _swap(cloud, server_id, old, new).status_int == 202
    resp = cloud.post('/volume/v3/%s/volumes/%s/action' % (_project(cloud), old),
                      {'os-reset_status': {'migration_status': 'error'}})
    assert resp.status_int == 202, resp.text
    vm = volume_api.manager()
    real_update, refused = vm.attachment_update, []

    def agent_not_up_yet(*args):
        if not refused:
            refused.append(True)
            raise tasks.NoAgent('No volume agent is up on host h.')
        return real_update(*args)
    monkeypatch.setattr(vm, 'attachment_update', agent_not_up_yet)
    monkeypatch.setattr(volume_api.eventlet, 'sleep', lambda seconds: None)
    run_all()
    assert refused == [True]
    listed = cloud.get('%s/servers/%s/os-volume_attachments' % (API, server_id)).json[
        'volumeAttachments']
    assert [a['volumeId'] for a in listed] == [new]
    old_volume, new_volume = _volume(cloud, old), _volume(cloud, new)
    assert (old_volume['status'], new_volume['status']) == ('available', 'in-use')
    assert old_volume['migration_status'] == new_volume['migration_status'] == 'success'
