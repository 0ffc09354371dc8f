"""Attachments: the manager contract Compute uses, the 3.27 API, the older
actions, extend of an attached volume."""
import pytest

from cloudstack import context
from cloudstack.volume import manager
from cloudstack.volume.targets import fake as fake_target
from tests.unit.volume.conftest import VOL, run_tasks
from tests.unit.volume.test_volumes import create, wait_available

CONNECTOR = {'host': 'compute-1', 'ip': '10.0.0.5', 'platform': 'x86_64',
             'os_type': 'linux', 'multipath': False,
             'initiator': 'iqn.1993-08.org.debian:01:abc'}
NEW_ATTACH = {'OpenStack-API-Version': 'volume 3.44'}


def exports():
    return {vid for found in fake_target.EXPORTS.values() for vid in found}


def ctx_of(client):
    resp = client.get('/identity/v3/auth/tokens',
                      headers={'X-Subject-Token': client.token})
    return context.RequestContext.from_token(resp.json['token'], client.token)


def test_manager_attachment_contract(cloud):
    """attachment_create/update/complete/delete, as doc/design.md has them."""
    alice = cloud['alice']
    vol = wait_available(alice, create(alice)['id'])
    mgr, ctx = manager.get(), ctx_of(alice)
    att = mgr.attachment_create(ctx, vol['id'], 'server-1')
    assert att['status'] == 'reserved' and att['connection_info'] is None
    assert mgr.get_volume(ctx, vol['id'])['status'] == 'reserved'
    att = mgr.attachment_update(ctx, att['id'], CONNECTOR)
    info = att['connection_info']
    assert info['driver_volume_type'] == 'iscsi'
    data = info['data']
    assert {'target_portal', 'target_iqn', 'target_lun', 'auth_method', 'auth_username',
            'auth_password', 'volume_id', 'access_mode'} <= set(data)
    assert (data['volume_id'], data['access_mode'], data['auth_method']) == \
        (vol['id'], 'rw', 'CHAP')
    assert data['target_iqn'].endswith('volume-' + vol['id'])
    assert exports() == {vol['id']}
    assert mgr.get_volume(ctx, vol['id'])['status'] == 'attaching'
    mgr.attachment_complete(ctx, att['id'])
    got = alice.get(VOL + '/volumes/' + vol['id']).json['volume']
    assert got['status'] == 'in-use'
    assert [(a['server_id'], a['attachment_id']) for a in got['attachments']] == \
        [('server-1', att['id'])]
    # a second attachment of a volume that is not multiattach is refused
    with pytest.raises(Exception):
        mgr.attachment_create(ctx, vol['id'], 'server-2')
    mgr.attachment_delete(ctx, att['id'])
    assert exports() == set()
    assert mgr.get_volume(ctx, vol['id'])['status'] == 'available'


def test_attachments_api_and_multiattach(cloud):
    alice, boss = cloud['alice'], cloud['boss']
    resp = boss.post(VOL + '/types', {'volume_type': {
        'name': 'shared', 'extra_specs': {'multiattach': '<is> True'}}})
    assert resp.status_int == 200, resp.text
    vol = wait_available(alice, create(alice, volume_type='shared')['id'])
    assert vol['multiattach'] is True
    ids = []
    for server in ('s1', 's2'):
        resp = alice.post(VOL + '/attachments', {'attachment': {
            'volume_uuid': vol['id'], 'instance_uuid': server, 'connector': CONNECTOR}},
            headers=NEW_ATTACH)
        assert resp.status_int == 200, resp.text
        att = resp.json['attachment']
        assert att['status'] == 'attaching' and att['connection_info']['data']
        resp = alice.post(VOL + '/attachments/%s/action' % att['id'],
                          {'os-complete': {}}, headers=NEW_ATTACH)
        assert resp.status_int == 204, resp.text
        ids.append(att['id'])
    listed = alice.get(VOL + '/attachments?volume_id=' + vol['id'], headers=NEW_ATTACH)
    assert sorted(a['id'] for a in listed.json['attachments']) == sorted(ids)
    assert cloud['bob'].get(VOL + '/attachments/' + ids[0],
                            headers=NEW_ATTACH).status_int == 404
    resp = alice.delete(VOL + '/attachments/' + ids[0], headers=NEW_ATTACH)
    assert resp.status_int == 200
    assert exports() == {vol['id']}         # the other attachment still uses it
    assert alice.get(VOL + '/volumes/' + vol['id']).json['volume']['status'] == 'in-use'
    alice.delete(VOL + '/attachments/' + ids[1], headers=NEW_ATTACH)
    assert exports() == set()
    assert alice.get(VOL + '/volumes/' + vol['id']).json['volume']['status'] == 'available'


def test_older_attach_actions(cloud):
    alice, boss = cloud['alice'], cloud['boss']
    vol = wait_available(alice, create(alice)['id'])
    action = VOL + '/volumes/%s/action' % vol['id']

    def status():
        return alice.get(VOL + '/volumes/' + vol['id']).json['volume']['status']
    assert alice.post(action, {'os-reserve': {}}).status_int == 202
    assert status() == 'attaching'
    assert alice.post(action, {'os-reserve': {}}).status_int == 400
    resp = alice.post(action, {'os-initialize_connection': {'connector': CONNECTOR}})
    assert resp.status_int == 200 and resp.json['connection_info']['data']
    assert alice.post(action, {'os-attach': {'instance_uuid': 's1',
                                             'mountpoint': '/dev/vdb'}}).status_int == 202
    got = alice.get(VOL + '/volumes/' + vol['id']).json['volume']
    assert got['status'] == 'in-use' and got['attachments'][0]['device'] == '/dev/vdb'
    assert got['metadata']['attached_mode'] == 'rw'
    assert alice.post(action, {'os-begin_detaching': {}}).status_int == 202
    assert status() == 'detaching'
    assert alice.post(action, {'os-roll_detaching': {}}).status_int == 202
    assert status() == 'in-use'
    # an admin forces the detach of a volume in error
    assert boss.post(action, {'os-reset_status': {'status': 'error'}}).status_int == 202
    att_id = got['attachments'][0]['attachment_id']
    assert boss.post(action, {'os-force_detach': {'attachment_id': att_id}}
                     ).status_int == 202
    got = alice.get(VOL + '/volumes/' + vol['id']).json['volume']
    assert got['status'] == 'available' and got['attachments'] == []
    assert exports() == set()


def test_extend_attached_volume_needs_3_42(cloud):
    alice = cloud['alice']
    vol = wait_available(alice, create(alice)['id'])
    action = VOL + '/volumes/%s/action' % vol['id']
    alice.post(action, {'os-attach': {'instance_uuid': 's1', 'mountpoint': '/dev/vdb'}})
    assert alice.post(action, {'os-extend': {'new_size': 2}}).status_int == 400
    resp = alice.post(action, {'os-extend': {'new_size': 2}},
                      headers={'OpenStack-API-Version': 'volume 3.42'})
    assert resp.status_int == 202, resp.text
    got = alice.get(VOL + '/volumes/' + vol['id']).json['volume']
    assert got['status'] == 'extending'
    run_tasks()
    got = alice.get(VOL + '/volumes/' + vol['id']).json['volume']
    assert (got['status'], got['size']) == ('in-use', 2)
    assert alice.post(action, {'os-extend': {'new_size': 1}},
                      headers={'OpenStack-API-Version': 'volume 3.42'}).status_int == 400


@pytest.mark.parametrize('version', ['volume 3.0', 'volume 3.71'])
def test_lists_show_each_volume_as_its_show_does(cloud, version):
    """Lists read volumes, metadata and attachments in batches: each volume
    still gets its own (and the same body as GET /volumes/{id})."""
    alice, boss = cloud['alice'], cloud['boss']
    boss.post(VOL + '/types', {'volume_type': {
        'name': 'shared', 'extra_specs': {'multiattach': '<is> True'}}})
    plain = wait_available(alice, create(alice, name='plain')['id'])
    tagged = wait_available(alice, create(alice, name='tagged',
                                          metadata={'k': 'v', 'x': 'y'})['id'])
    shared = wait_available(alice, create(alice, name='shared', volume_type='shared',
                                          metadata={'k': 'other'})['id'])
    alice.post(VOL + '/volumes/%s/action' % tagged['id'],
               {'os-set_image_metadata': {'metadata': {'image_name': 'cirros'}}})
    for server in ('s1', 's2'):
        att = alice.post(VOL + '/attachments', {'attachment': {
            'volume_uuid': shared['id'], 'instance_uuid': server,
            'connector': CONNECTOR}}, headers=NEW_ATTACH).json['attachment']
        alice.post(VOL + '/attachments/%s/action' % att['id'], {'os-complete': {}},
                   headers=NEW_ATTACH)
    create(cloud['bob'], name='elsewhere')
    headers = {'OpenStack-API-Version': version}
    for client, query in ((alice, ''), (boss, '?all_tenants=1')):
        listed = client.get(VOL + '/volumes/detail' + query, headers=headers).json
        own = [v for v in listed['volumes'] if v['name'] != 'elsewhere']
        assert len(listed['volumes']) == (3 if client is alice else 4)
        for vol in own:
            shown = client.get(VOL + '/volumes/' + vol['id'], headers=headers).json
            assert vol == shown['volume']
        by_name = {v['name']: v for v in own}
        assert by_name['tagged']['metadata'] == {'k': 'v', 'x': 'y'}
        assert by_name['shared']['metadata'] == {'k': 'other', 'attached_mode': 'rw'}
        assert by_name['plain']['metadata'] == {} and by_name['plain']['attachments'] == []
        assert by_name['tagged']['volume_image_metadata'] == {'image_name': 'cirros'}
        assert 'volume_image_metadata' not in by_name['plain']
        assert sorted(a['server_id'] for a in by_name['shared']['attachments']) == [
            's1', 's2']
        assert by_name['shared']['status'] == 'in-use'
        summary = client.get(VOL + '/volumes' + query, headers=headers).json['volumes']
        assert sorted((v['id'], v['name'], v['links'][0]['href']) for v in summary) == \
            sorted((v['id'], v['name'], v['links'][0]['href'])
                   for v in listed['volumes'])
        assert all(set(v) == {'id', 'name', 'links'} for v in summary)
    assert plain['id'] in {v['id'] for v in own}
