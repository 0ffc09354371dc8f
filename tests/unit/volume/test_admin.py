"""Types, extra specs, access, encryption, QoS, default types, groups,
services, pools, hosts and user messages."""
from tests.unit.volume.conftest import VOL, run_tasks
from tests.unit.volume.test_volumes import create, wait_available

LATEST = {'OpenStack-API-Version': 'volume latest'}


def test_types_extra_specs_access_and_encryption(cloud):
    alice, boss = cloud['alice'], cloud['boss']
    resp = boss.post(VOL + '/types', {'volume_type': {
        'name': 'gold', 'description': 'd', 'extra_specs': {'vendor_name': 'Open Source'},
        'os-volume-type-access:is_public': False}})
    assert resp.status_int == 200, resp.text
    gold = resp.json['volume_type']
    assert gold['os-volume-type-access:is_public'] is False
    assert boss.post(VOL + '/types', {'volume_type': {'name': 'gold'}}).status_int == 409
    assert boss.post(VOL + '/types', {'volume_type': {'name': ''}}).status_int == 400
    assert alice.post(VOL + '/types', {'volume_type': {'name': 'x'}}).status_int == 403
    # private: alice cannot see or use it until her project has access
    assert alice.get(VOL + '/types/' + gold['id']).status_int == 404
    assert alice.post(VOL + '/volumes', {'volume': {'size': 1, 'volume_type': 'gold'}}
                      ).status_int == 404
    action = VOL + '/types/%s/action' % gold['id']
    assert boss.post(action, {'addProjectAccess': {'project': alice.project_id}}
                     ).status_int == 202
    access = boss.get(VOL + '/types/%s/os-volume-type-access' % gold['id']).json
    assert access['volume_type_access'] == [{'volume_type_id': gold['id'],
                                             'project_id': alice.project_id}]
    shown = alice.get(VOL + '/types/gold').json['volume_type']
    assert shown['extra_specs'] == {} and 'qos_specs_id' not in shown   # not an admin
    vol = wait_available(alice, create(alice, volume_type='gold')['id'])
    assert vol['volume_type'] == 'gold'
    # extra specs
    specs = VOL + '/types/%s/extra_specs' % gold['id']
    assert boss.post(specs, {'extra_specs': {'k1': 'v1'}}).json == {'extra_specs': {'k1': 'v1'}}
    assert boss.put(specs + '/k1', {'k1': 'v2'}).json == {'k1': 'v2'}
    assert boss.put(specs + '/k1', {'k2': 'v2'}).status_int == 400
    assert boss.put(specs + '/k1', {'k1': 'v', 'k2': 'v'}).status_int == 400
    assert boss.get(specs + '/nope').status_int == 404
    assert boss.delete(specs + '/k1').status_int == 202
    # encryption (refused while the type has volumes)
    enc = VOL + '/types/%s/encryption' % gold['id']
    body = {'encryption': {'provider': 'luks', 'cipher': 'aes-xts-plain64',
                           'key_size': 256, 'control_location': 'front-end'}}
    assert boss.post(enc, body).status_int == 400
    resp = boss.post(VOL + '/types', {'volume_type': {'name': 'secret'}})
    secret = resp.json['volume_type']['id']
    enc = VOL + '/types/%s/encryption' % secret
    created = boss.post(enc, body).json['encryption']
    assert boss.get(enc).json['key_size'] == 256
    assert boss.get(enc + '/cipher').json == {'cipher': 'aes-xts-plain64'}
    assert boss.put(enc + '/' + created['encryption_id'],
                    {'encryption': {'key_size': 128}}).status_int == 200
    assert boss.delete(enc + '/' + created['encryption_id']).status_int == 202
    assert boss.get(enc).json == {}
    # a type in use cannot go; the default type never
    assert boss.delete(VOL + '/types/' + gold['id']).status_int == 400
    default = alice.get(VOL + '/types/default').json['volume_type']
    assert default['name'] == '__DEFAULT__'
    assert boss.delete(VOL + '/types/' + default['id']).status_int == 400


def test_project_default_type(cloud):
    alice, boss = cloud['alice'], cloud['boss']
    boss.post(VOL + '/types', {'volume_type': {'name': 'silver'}})
    url = VOL + '/default-types/' + alice.project_id
    assert boss.put(url, {'default_type': {'volume_type': 'silver'}}).status_int == 404
    resp = boss.put(url, {'default_type': {'volume_type': 'silver'}}, headers=LATEST)
    assert resp.status_int == 200, resp.text
    vol = create(alice)
    assert vol['volume_type'] == 'silver'
    assert boss.delete(url, headers=LATEST).status_int == 204
    assert create(alice)['volume_type'] == '__DEFAULT__'


def test_qos_specs(cloud):
    boss = cloud['boss']
    resp = boss.post(VOL + '/qos-specs', {'qos_specs': {
        'name': 'fast', 'consumer': 'front-end', 'read_iops_sec': '2000'}})
    assert resp.status_int == 200, resp.text
    qos = resp.json['qos_specs']
    assert qos['specs'] == {'read_iops_sec': '2000'}
    url = VOL + '/qos-specs/' + qos['id']
    assert boss.put(url, {'qos_specs': {'iops_bytes': '500'}}).json == \
        {'qos_specs': {'iops_bytes': '500'}}
    assert boss.put(url + '/delete_keys', {'keys': ['iops_bytes']}).status_int == 202
    assert boss.get(url).json['qos_specs']['specs'] == {'read_iops_sec': '2000'}
    vtype = boss.post(VOL + '/types', {'volume_type': {'name': 't'}}).json['volume_type']
    assert boss.get(url + '/associate?vol_type_id=' + vtype['id']).status_int == 202
    assert boss.get(url + '/associations').json['qos_associations'] == [
        {'association_type': 'volume_type', 'name': 't', 'id': vtype['id']}]
    assert boss.get(VOL + '/types/' + vtype['id']).json['volume_type'][
        'qos_specs_id'] == qos['id']
    assert boss.delete(url).status_int == 400           # still associated
    assert boss.get(url + '/disassociate_all').status_int == 202
    assert boss.delete(url).status_int == 202
    assert boss.get(url).status_int == 404


def test_groups_group_types_and_group_snapshots(cloud):
    alice, boss = cloud['alice'], cloud['boss']
    vtype = boss.post(VOL + '/types', {'volume_type': {'name': 'g'}}).json['volume_type']
    resp = boss.post(VOL + '/group_types', {'group_type': {
        'name': 'gt', 'group_specs': {'consistent_group_snapshot_enabled': '<is> False'}}},
        headers=LATEST)
    assert resp.status_int == 202, resp.text
    gtype = resp.json['group_type']
    resp = alice.post(VOL + '/groups', {'group': {
        'name': 'grp', 'group_type': gtype['id'], 'volume_types': [vtype['id']]}},
        headers=LATEST)
    assert resp.status_int == 202, resp.text
    group = alice.get(VOL + '/groups/' + resp.json['group']['id'],
                      headers=LATEST).json['group']
    assert group['status'] == 'available' and group['volume_types'] == [vtype['id']]
    resp = alice.post(VOL + '/volumes', {'volume': {
        'size': 1, 'volume_type': vtype['id'], 'group_id': group['id']}}, headers=LATEST)
    assert resp.status_int == 202, resp.text
    vol = resp.json['volume']
    assert vol['group_id'] == group['id']
    run_tasks()
    resp = alice.post(VOL + '/group_snapshots', {'group_snapshot': {
        'group_id': group['id'], 'name': 'gs'}}, headers=LATEST)
    assert resp.status_int == 202, resp.text
    gsnap_id = resp.json['group_snapshot']['id']
    run_tasks()
    assert alice.get(VOL + '/group_snapshots/' + gsnap_id, headers=LATEST).json[
        'group_snapshot']['status'] == 'available'
    snaps = alice.get(VOL + '/snapshots/detail', headers=LATEST).json['snapshots']
    assert [s['group_snapshot_id'] for s in snaps] == [gsnap_id]
    resp = alice.post(VOL + '/groups/action', {'create-from-src': {
        'group_snapshot_id': gsnap_id, 'name': 'copy'}}, headers=LATEST)
    assert resp.status_int == 202, resp.text
    copy_id = resp.json['group']['id']
    run_tasks()
    copy = alice.get(VOL + '/groups/' + copy_id, headers=LATEST).json['group']
    assert copy['status'] == 'available' and len(copy['volumes']) == 1
    # groups with volumes go only with delete-volumes
    action = VOL + '/groups/%s/action' % copy_id
    assert alice.post(action, {'delete': {}}, headers=LATEST).status_int == 400
    assert alice.post(action, {'delete': {'delete-volumes': True}},
                      headers=LATEST).status_int == 202
    run_tasks()
    assert alice.get(VOL + '/groups/' + copy_id, headers=LATEST).status_int == 404
    assert alice.delete(VOL + '/group_snapshots/' + gsnap_id,
                        headers=LATEST).status_int == 202
    run_tasks()
    assert alice.get(VOL + '/group_snapshots/' + gsnap_id,
                     headers=LATEST).status_int == 404
    resp = alice.put(VOL + '/groups/' + group['id'], {'group': {
        'remove_volumes': vol['id']}}, headers=LATEST)
    assert resp.status_int == 202, resp.text
    assert alice.get(VOL + '/volumes/' + vol['id'], headers=LATEST).json[
        'volume']['group_id'] is None


def test_services_pools_hosts_and_messages(cloud):
    alice, boss = cloud['alice'], cloud['boss']
    services = boss.get(VOL + '/os-services').json['services']
    binaries = sorted(s['binary'] for s in services)
    assert binaries == ['cinder-backup', 'cinder-scheduler', 'cinder-volume',
                        'cinder-volume']
    assert all(s['state'] == 'up' for s in services)
    assert alice.get(VOL + '/os-services').status_int == 403
    volume_host = [s['host'] for s in services if s['binary'] == 'cinder-volume'][0]
    assert '@' in volume_host
    resp = boss.put(VOL + '/os-services/disable', {'host': 'nowhere',
                                                   'binary': 'cinder-volume'})
    assert resp.status_int == 404
    assert boss.put(VOL + '/os-services/freeze', {'host': 'nowhere'}).status_int == 400
    pools = boss.get(VOL + '/scheduler-stats/get_pools?detail=true').json['pools']
    assert sorted(p['capabilities']['volume_backend_name'] for p in pools) == \
        ['fake1', 'fake2']
    caps = boss.get(VOL + '/capabilities/' + volume_host).json
    assert caps['vendor_name'] == 'Open Source'
    hosts = boss.get(VOL + '/os-hosts').json['hosts']
    assert len(hosts) >= 2
    assert boss.get(VOL + '/os-hosts/' + volume_host).json['host'][0]['resource'][
        'project'] == '(total)'
    zones = alice.get(VOL + '/os-availability-zone').json['availabilityZoneInfo']
    assert zones == [{'zoneName': 'nova', 'zoneState': {'available': True}}]
    # a type no backend satisfies: the volume errs, with a user message
    boss.post(VOL + '/types', {'volume_type': {'name': 'bogus', 'extra_specs': {
        'storage_protocol': 'carrier-pigeon'}}})
    vol = create(alice, volume_type='bogus')
    assert vol['status'] == 'error'
    msgs = alice.get(VOL + '/messages', headers=LATEST).json['messages']
    assert [m['resource_uuid'] for m in msgs] == [vol['id']]
    assert 'No valid backend' in msgs[0]['user_message']
    assert alice.get(VOL + '/messages').status_int == 404       # 3.3 and later
    assert alice.delete(VOL + '/messages/' + msgs[0]['id'],
                        headers=LATEST).status_int == 204


def test_manage_unmanage_and_manageable_lists(cloud):
    alice, boss = cloud['alice'], cloud['boss']
    vol = wait_available(alice, create(alice)['id'])
    host = boss.get(VOL + '/volumes/' + vol['id']).json['volume']['os-vol-host-attr:host']
    url = VOL + '/manageable_volumes/detail?host=' + host
    assert boss.get(url).status_int == 404                      # 3.8 and later
    found = boss.get(url, headers=LATEST).json['manageable-volumes']
    assert [(m['reference'], m['safe_to_manage'], m['cinder_id']) for m in found] == \
        [({'source-name': 'volume-' + vol['id']}, False, vol['id'])]
    action = VOL + '/volumes/%s/action' % vol['id']
    assert boss.post(action, {'os-unmanage': {}}).status_int == 202
    run_tasks()
    assert alice.get(VOL + '/volumes/' + vol['id']).status_int == 404
    found = boss.get(url, headers=LATEST).json['manageable-volumes']
    assert [m['safe_to_manage'] for m in found] == [True]
    resp = boss.post(VOL + '/os-volume-manage', {'volume': {
        'host': host, 'ref': {'source-name': 'volume-' + vol['id']}, 'name': 'adopted'}})
    assert resp.status_int == 202, resp.text
    run_tasks()
    adopted = boss.get(VOL + '/volumes/' + resp.json['volume']['id']).json['volume']
    assert (adopted['status'], adopted['size'], adopted['name']) == (
        'available', 1, 'adopted')
