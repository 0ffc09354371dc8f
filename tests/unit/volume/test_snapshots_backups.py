"""Snapshots, clones, cascade delete, backups (in Object Storage), transfers."""
from cloudstack.volume.drivers import fake as fake_driver
from tests.unit.volume.conftest import VOL, run_tasks
from tests.unit.volume.test_volumes import create, wait_available

LATEST = {'OpenStack-API-Version': 'volume latest'}


def snapshot(client, volume_id, **spec):
    resp = client.post(VOL + '/snapshots', {'snapshot': dict(spec, volume_id=volume_id)})
    assert resp.status_int == 202, resp.text
    run_tasks()
    snap = client.get(VOL + '/snapshots/' + resp.json['snapshot']['id']).json['snapshot']
    assert snap['status'] == 'available', snap
    return snap


def stored():
    return {name for items in fake_driver.STORE.values() for name in items}


def test_snapshot_clone_and_cascade(cloud):
    alice = cloud['alice']
    vol = wait_available(alice, create(alice, size=2)['id'])
    snap = snapshot(alice, vol['id'], name='s1', metadata={'m': '1'})
    assert snap['size'] == 2 and snap['metadata'] == {'m': '1'}
    assert snap['os-extended-snapshot-attributes:project_id'] == alice.project_id
    assert 'snapshot-%s' % snap['id'] in stored()
    resp = alice.post(VOL + '/volumes', {'volume': {'size': 1, 'snapshot_id': snap['id']}})
    assert resp.status_int == 400                       # smaller than the snapshot
    clone = wait_available(alice, create(alice, snapshot_id=snap['id'])['id'])
    assert clone['size'] == 2 and clone['snapshot_id'] == snap['id']
    twin = wait_available(alice, create(alice, source_volid=vol['id'], size=3)['id'])
    assert twin['source_volid'] == vol['id'] and twin['size'] == 3
    # a volume with snapshots goes only with cascade
    assert alice.delete(VOL + '/volumes/' + vol['id']).status_int == 400
    assert alice.delete(VOL + '/volumes/%s?cascade=true' % vol['id']).status_int == 202
    run_tasks()
    assert alice.get(VOL + '/snapshots/' + snap['id']).status_int == 404
    assert stored() == {'volume-' + clone['id'], 'volume-' + twin['id']}
    usage = cloud['boss'].get(VOL + '/os-quota-sets/%s?usage=true'
                              % alice.project_id).json['quota_set']
    assert usage['snapshots']['in_use'] == 0 and usage['gigabytes']['in_use'] == 5


def test_snapshot_lists_and_admin_actions(cloud):
    alice, boss = cloud['alice'], cloud['boss']
    vol = wait_available(alice, create(alice)['id'])
    snaps = [snapshot(alice, vol['id'], name='s%d' % i) for i in range(3)]
    listed = alice.get(VOL + '/snapshots?sort_key=display_name&sort_dir=desc').json
    assert [s['name'] for s in listed['snapshots']] == ['s2', 's1', 's0']
    assert 'os-extended-snapshot-attributes:progress' not in listed['snapshots'][0]
    assert len(alice.get(VOL + '/snapshots?offset=2&limit=3').json['snapshots']) == 1
    assert alice.get(VOL + '/snapshots?limit=0').json['snapshots'] == []
    assert alice.get(VOL + '/snapshots?limit=invalid').status_int == 400
    assert alice.get(VOL + '/snapshots?sort_key=invalid').status_int == 400
    assert alice.get(VOL + '/snapshots?marker=' + 'f' * 32).status_int == 404
    action = VOL + '/snapshots/%s/action' % snaps[0]['id']
    assert alice.post(action, {'os-reset_status': {'status': 'error'}}).status_int == 403
    assert boss.post(action, {'os-reset_status': {'status': 'creating'}}).status_int == 202
    assert alice.post(action, {'os-update_snapshot_status': {
        'status': 'error', 'progress': '80%'}}).status_int == 202
    got = boss.get(VOL + '/snapshots/' + snaps[0]['id']).json['snapshot']
    assert (got['status'], got['os-extended-snapshot-attributes:progress']) == \
        ('error', '80%')
    assert boss.post(action, {'os-force_delete': {}}).status_int == 202
    run_tasks()
    assert alice.get(VOL + '/snapshots/' + snaps[0]['id']).status_int == 404


def test_backup_restore_incremental_and_records(cloud):
    alice, boss = cloud['alice'], cloud['boss']
    vol = wait_available(alice, create(alice, metadata={'k': 'v'})['id'])
    resp = alice.post(VOL + '/backups', {'backup': {'volume_id': vol['id'], 'name': 'b1',
                                                    'container': 'box'}})
    assert resp.status_int == 202, resp.text
    backup_id = resp.json['backup']['id']
    assert alice.get(VOL + '/volumes/' + vol['id']).json['volume']['status'] == 'backing-up'
    run_tasks()
    full = alice.get(VOL + '/backups/' + backup_id).json['backup']
    assert (full['status'], full['container'], full['is_incremental']) == \
        ('available', 'box', False), full
    assert alice.get(VOL + '/volumes/' + vol['id']).json['volume']['status'] == 'available'
    resp = alice.post(VOL + '/backups', {'backup': {'volume_id': vol['id'],
                                                    'incremental': True}})
    assert resp.status_int == 202, resp.text
    run_tasks()
    inc = alice.get(VOL + '/backups/' + resp.json['backup']['id']).json['backup']
    assert inc['is_incremental'] and inc['container'] == 'box'
    assert alice.get(VOL + '/backups/' + backup_id).json['backup']['has_dependent_backups']
    assert alice.delete(VOL + '/backups/' + backup_id).status_int == 400
    # restore into a new volume: the volume's metadata comes back
    resp = alice.post(VOL + '/backups/%s/restore' % inc['id'], {'restore': {}})
    assert resp.status_int == 202, resp.text
    restored = resp.json['restore']['volume_id']
    run_tasks()
    got = alice.get(VOL + '/volumes/' + restored).json['volume']
    assert got['status'] == 'available' and got['metadata'] == {'k': 'v'}
    # export, import under a new id, delete the copy: the original still restores
    record = boss.get(VOL + '/backups/%s/export_record' % backup_id).json['backup-record']
    assert record['backup_service'].startswith('cinder.backup.drivers')
    import base64
    import json
    data = json.loads(base64.b64decode(record['backup_url']))
    data['id'] = 'e' * 8 + '-0000-4000-8000-' + 'e' * 12
    resp = boss.post(VOL + '/backups/import_record', {'backup-record': {
        'backup_service': record['backup_service'],
        'backup_url': base64.b64encode(json.dumps(data).encode()).decode()}})
    assert resp.status_int == 201, resp.text
    run_tasks()
    assert boss.get(VOL + '/backups/' + data['id']).json['backup']['status'] == 'available'
    assert boss.delete(VOL + '/backups/' + data['id']).status_int == 202
    run_tasks()
    resp = alice.post(VOL + '/backups/%s/restore' % backup_id, {'restore': {
        'volume_id': restored}})
    assert resp.status_int == 202, resp.text
    run_tasks()
    assert alice.get(VOL + '/volumes/' + restored).json['volume']['status'] == 'available'
    # quotas: backups count, and go with their backups
    assert alice.delete(VOL + '/backups/' + inc['id']).status_int == 202
    assert alice.delete(VOL + '/backups/' + backup_id).status_int == 400  # deleting inc
    run_tasks()
    assert alice.delete(VOL + '/backups/' + backup_id).status_int == 202
    run_tasks()
    usage = boss.get(VOL + '/os-quota-sets/%s?usage=true'
                     % alice.project_id).json['quota_set']
    assert usage['backups']['in_use'] == 0 and usage['backup_gigabytes']['in_use'] == 0


def test_transfer_moves_the_volume_and_its_quota(cloud):
    alice, bob, boss = cloud['alice'], cloud['bob'], cloud['boss']
    vol = wait_available(alice, create(alice, size=2)['id'])
    resp = alice.post(VOL + '/os-volume-transfer', {'transfer': {'volume_id': vol['id']}})
    assert resp.status_int == 202, resp.text
    transfer = resp.json['transfer']
    assert alice.get(VOL + '/volumes/' + vol['id']).json['volume']['status'] == \
        'awaiting-transfer'
    url = VOL + '/os-volume-transfer/%s/accept' % transfer['id']
    assert bob.post(url, {'accept': {'auth_key': 'wrong'}}).status_int == 400
    assert bob.post(url, {'accept': {'auth_key': transfer['auth_key']}}).status_int == 202
    got = bob.get(VOL + '/volumes/' + vol['id']).json['volume']
    assert got['status'] == 'available' and got['os-vol-tenant-attr:tenant_id'] == \
        bob.project_id
    assert alice.get(VOL + '/volumes/' + vol['id']).status_int == 404

    def used(project):
        return boss.get(VOL + '/os-quota-sets/%s?usage=true' % project).json[
            'quota_set']['gigabytes']['in_use']
    assert (used(alice.project_id), used(bob.project_id)) == (0, 2)
    resp = alice.get(VOL + '/volume-transfers/' + transfer['id'], headers=LATEST)
    assert resp.status_int == 404                       # accepted: gone from listings
