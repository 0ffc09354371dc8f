"""Servers through the API: boot, list, show, actions, delete, isolation."""
import concurrent.futures

import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.compute import models
from tests.unit.compute.conftest import API, run_tasks


def test_version_documents(client):
    resp = client.get('/compute')
    assert resp.status_int == 200
    assert [v['id'] for v in resp.json['versions']] == ['v2.0', 'v2.1']
    doc = client.get('/compute/v2.1').json['version']
    assert (doc['min_version'], doc['version']) == ('2.1', '2.104')


def test_microversion_headers(compute):
    compute.version = '2.60'
    resp = compute.get(API + '/servers')
    assert resp.headers['OpenStack-API-Version'] == 'compute 2.60'
    assert resp.headers['X-OpenStack-Nova-API-Version'] == '2.60'
    # Nova's own request id header too, the same id
    assert resp.headers['x-compute-request-id'].startswith('req-')
    assert resp.headers['x-compute-request-id'] == resp.headers['x-openstack-request-id']
    compute.version = '2.999'
    assert compute.get(API + '/servers').status_int == 406


def test_boot_to_active_and_delete(compute):
    server_id = compute.boot()
    server = compute.server(server_id)
    assert server['status'] == 'ACTIVE'
    assert server['OS-EXT-STS:power_state'] == 1
    assert server['OS-EXT-SRV-ATTR:host']
    resp = compute.delete(API + '/servers/' + server_id)
    assert resp.status_int == 204
    run_tasks()
    assert compute.get(API + '/servers/' + server_id).status_int == 404
    with db_api.reader() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(models.Allocation)) == 0


def test_another_projects_server_is_404(member, other):
    server_id = member.boot()
    assert other.get(API + '/servers/' + server_id).status_int == 404
    assert other.delete(API + '/servers/' + server_id).status_int == 404
    assert other.get(API + '/servers').json['servers'] == []


def test_reader_cannot_change_anything(member, reader, admin):
    member.boot()
    resp = reader.post(API + '/servers', {'server': {
        'name': 'x', 'imageRef': reader.image_id, 'flavorRef': '1'}})
    assert resp.status_int == 403


def test_actions_walk_the_states(compute):
    server_id = compute.boot()
    for body, status in (({'os-stop': None}, 'SHUTOFF'), ({'os-start': None}, 'ACTIVE'),
                         ({'pause': None}, 'PAUSED'), ({'unpause': None}, 'ACTIVE'),
                         ({'suspend': None}, 'SUSPENDED'), ({'resume': None}, 'ACTIVE'),
                         ({'reboot': {'type': 'SOFT'}}, 'ACTIVE'),
                         ({'resize': {'flavorRef': '2'}}, 'VERIFY_RESIZE'),
                         ({'revertResize': None}, 'ACTIVE'),
                         ({'shelve': None}, 'SHELVED_OFFLOADED'),
                         ({'unshelve': None}, 'ACTIVE')):
        compute.action(server_id, body)
        server = compute.server(server_id)
        assert (server['status'], server['OS-EXT-STS:task_state']) == (status, None), body
    assert compute.server(server_id)['flavor']['id'] == '1'


def test_action_in_the_wrong_state_is_409(compute):
    server_id = compute.boot()
    compute.action(server_id, {'unpause': None}, status=409)


def test_console_output(compute):
    server_id = compute.boot(name='console')
    resp = compute.action(server_id, {'os-getConsoleOutput': {'length': 1}}, status=200)
    assert resp.json['output'] == 'console login:'


def test_bad_body_is_400_in_novas_shape(compute):
    resp = compute.post(API + '/servers', {'server': {'name': 'x'}})
    assert resp.status_int == 400
    assert 'badRequest' in resp.json


def test_quota_is_exact(compute, member):
    resp = compute.put(API + '/os-quota-sets/' + member.project_id,
                       {'quota_set': {'instances': 2}})
    assert resp.status_int == 200, resp.text
    member.boot(wait=False)
    member.boot(wait=False)
    resp = member.post(API + '/servers', {'server': {
        'name': 'x', 'imageRef': member.image_id, 'flavorRef': '1'}})
    assert resp.status_int == 403


def test_a_users_own_quota_binds_within_the_projects(compute, member):
    user_id = member.get('/identity/v3/auth/tokens', headers={
        'X-Subject-Token': member.token}).json['token']['user']['id']
    resp = compute.put(API + '/os-quota-sets/' + member.project_id,
                       {'quota_set': {'instances': 5, 'metadata_items': 1}})
    assert resp.status_int == 200, resp.text
    resp = compute.put('%s/os-quota-sets/%s?user_id=%s' % (API, member.project_id, user_id),
                       {'quota_set': {'instances': 1}})
    assert resp.status_int == 200, resp.text
    resp = member.post(API + '/servers', {'server': {
        'name': 'y', 'imageRef': member.image_id, 'flavorRef': '1',
        'metadata': {'a': '1', 'b': '2'}}})
    assert resp.status_int == 403 and 'metadata' in resp.text, resp.text
    member.boot(wait=False)
    resp = member.post(API + '/servers', {'server': {
        'name': 'x', 'imageRef': member.image_id, 'flavorRef': '1'}})
    assert resp.status_int == 403 and 'instances' in resp.text, resp.text
    resp = compute.get('%s/os-quota-sets/%s/detail' % (API, member.project_id))
    assert resp.json['quota_set']['instances'] == {'limit': 5, 'in_use': 1, 'reserved': 0}


def test_concurrent_boots_never_overbook_a_host(compute, conf):
    """50 boots at once onto a host with room for 10: exactly 10 are placed and
    the others are ERROR with a NoValidHost fault."""
    from cloudstack.compute import agent, manager
    conf.set_override('vcpus', 10, group='fake_driver')
    conf.set_override('cpu_allocation_ratio', 1.0, group='compute')
    conf.set_override('instances', -1, group='quota')
    conf.set_override('cores', -1, group='quota')
    conf.set_override('ram', -1, group='quota')
    agent.get_agent().update_available_resource()
    mgr = manager.get()
    from cloudstack.context import RequestContext
    ctx = RequestContext(user_id='u', project_id='p', roles=['member'])
    flavor = mgr.get_flavor(None, '1')
    image = {'id': compute.image_id, 'status': 'active', 'size': 1024}

    def boot(n):
        return mgr.create_servers(ctx, {'name': 'c%d' % n, 'flavor': flavor,
                                        'image': image, 'image_ref': image['id']})
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(boot, range(50)))
    with db_api.reader() as s:
        placed = s.scalar(sa.select(sa.func.count()).where(
            models.Instance.host.is_not(None)))
        errors = s.scalar(sa.select(sa.func.count()).where(
            models.Instance.vm_state == 'error'))
        faults = s.scalars(sa.select(models.InstanceFault.message)).all()
        used = s.scalar(sa.select(models.ComputeNode.vcpus_used))
    assert (placed, errors) == (10, 40)
    assert len(faults) == 40 and all('No valid host' in m for m in faults)
    assert used == 10
    for key in ('vcpus', 'cpu_allocation_ratio', 'instances', 'cores', 'ram'):
        conf.clear_override(key, group={'vcpus': 'fake_driver',
                                        'cpu_allocation_ratio': 'compute'}.get(key, 'quota'))


def _anti_affinity_group(compute):
    resp = compute.post(API + '/os-server-groups', {'server_group': {
        'name': 'g', 'policy': 'anti-affinity'}})
    assert resp.status_int == 200, resp.text
    return resp.json['server_group']['id']


def _create_in_group(compute, name, group):
    return compute.post(API + '/servers', {
        'server': {'name': name, 'imageRef': compute.image_id, 'flavorRef': '1',
                   'networks': 'none'}, 'os:scheduler_hints': {'group': group}})


def test_server_group_members_and_usage(compute):
    compute.version = '2.64'
    group = _anti_affinity_group(compute)
    resp = _create_in_group(compute, 'g1', group)
    assert resp.status_int == 202, resp.text
    run_tasks()
    members = compute.get(API + '/os-server-groups/' + group).json['server_group']['members']
    assert members == [resp.json['server']['id']]
    # one host: a second member of an anti-affinity group fits nowhere
    resp = _create_in_group(compute, 'g2', group)
    run_tasks()
    assert compute.server(resp.json['server']['id'])['status'] == 'ERROR'
    usage = compute.get(API + '/os-simple-tenant-usage?detailed=1')
    assert usage.status_int == 200, usage.text
    assert usage.json['tenant_usages'][0]['server_usages'], usage.json


def test_soft_delete_restore_and_force_delete(compute, conf):
    conf.set_override('reclaim_instance_interval', 3600, group='compute')
    server_id = compute.boot()
    assert compute.delete(API + '/servers/' + server_id).status_int == 204
    run_tasks()
    assert compute.server(server_id)['status'] == 'SOFT_DELETED'
    compute.action(server_id, {'restore': None})
    assert compute.server(server_id)['status'] == 'ACTIVE'
    compute.delete(API + '/servers/' + server_id)
    run_tasks()
    compute.action(server_id, {'forceDelete': None})
    assert compute.get(API + '/servers/' + server_id).status_int == 404
    conf.clear_override('reclaim_instance_interval', group='compute')


def test_pinned_availability_zone_update_at_2_104(member):
    member.version = '2.104'
    server_id = member.boot(availability_zone='nova', networks='none')
    url = API + '/servers/' + server_id

    def pin(zone, status=200):
        resp = member.put(url, {'server': {'pinned_availability_zone': zone}})
        assert resp.status_int == status, resp.text
        return resp.json['server']['pinned_availability_zone'] if status == 200 else None
    assert member.server(server_id)['pinned_availability_zone'] == 'nova'
    assert pin('nova') == 'nova'
    pin('elsewhere', 409)               # unpin first
    assert pin(None) is None and pin(None) is None
    assert member.server(server_id)['pinned_availability_zone'] is None
    pin('elsewhere', 409)               # not where the server is
    assert pin('nova') == 'nova'
    member.version = '2.103'
    pin(None, 400)


def test_admin_tenant_id_without_all_tenants_lists_the_admins_own(compute, member):
    theirs = member.boot(name='theirs')
    ours = compute.boot(name='ours')
    for query in ('?tenant_id=' + member.project_id, ''):
        listed = compute.get(API + '/servers/detail' + query).json['servers']
        assert [s['id'] for s in listed] == [ours]
    listed = compute.get(API + '/servers/detail?all_tenants=1&tenant_id=' +
                         member.project_id).json['servers']
    assert [s['id'] for s in listed] == [theirs]


def test_resize_sets_the_disk_config_it_is_given(compute):
    server_id = compute.boot()
    assert compute.server(server_id)['OS-DCF:diskConfig'] == 'MANUAL'
    compute.action(server_id, {'resize': {'flavorRef': '2', 'OS-DCF:diskConfig': 'AUTO'}})
    assert compute.server(server_id)['OS-DCF:diskConfig'] == 'AUTO'
    compute.action(server_id, {'confirmResize': None}, status=204)
    compute.action(server_id, {'resize': {'flavorRef': '1'}})
    assert compute.server(server_id)['OS-DCF:diskConfig'] == 'AUTO'


def test_host_status_follows_the_compute_service_in_lists_and_shows(compute):
    """2.16's host_status, for an admin: UP, MAINTENANCE when the host's
    service is disabled, DOWN when forced down (one read of the services per
    list, whatever the number of servers)."""
    from cloudstack.conf import CONF
    ids = [compute.boot('hs%d' % n) for n in range(3)]
    v216 = {'OpenStack-API-Version': 'compute 2.16'}

    def statuses():
        listed = compute.get(API + '/servers/detail', headers=v216).json['servers']
        shown = [compute.get(API + '/servers/' + i, headers=v216).json['server']
                 for i in ids]
        return ({s['host_status'] for s in listed if s['id'] in ids},
                {s['host_status'] for s in shown})

    assert statuses() == ({'UP'}, {'UP'})
    body = {'host': CONF.host, 'binary': 'nova-compute'}
    compute.put(API + '/os-services/disable', body)
    assert statuses() == ({'MAINTENANCE'}, {'MAINTENANCE'})
    compute.put(API + '/os-services/enable', body)
    compute.put(API + '/os-services/force-down', dict(body, forced_down=True),
                headers={'OpenStack-API-Version': 'compute 2.11'})
    assert statuses() == ({'DOWN'}, {'DOWN'})


def test_a_server_shows_its_group_from_2_71(compute):
    compute.version = '2.71'
    group_id = _anti_affinity_group(compute)
    resp = _create_in_group(compute, 'in-group', group_id)
    assert resp.status_int == 202, resp.text
    server_id = resp.json['server']['id']
    assert compute.server(server_id)['server_groups'] == [group_id]
    compute.version = '2.70'
    assert 'server_groups' not in compute.server(server_id)


def _build_event(compute, uuid):
    compute.version = '2.84'
    [action] = [a for a in compute.get('%s/servers/%s/os-instance-actions' % (API, uuid))
                .json['instanceActions'] if a['action'] == 'create']
    resp = compute.get('%s/servers/%s/os-instance-actions/%s' % (API, uuid,
                                                                 action['request_id']))
    action = resp.json['instanceAction']
    [event] = [e for e in action['events']
               if e['event'] == 'compute__do_build_and_run_instance']
    return action, event


def test_a_build_records_its_event_as_it_ends(compute, monkeypatch):
    uuid = compute.boot('good')
    action, event = _build_event(compute, uuid)
    assert (event['result'], event['traceback'], action['message']) == ('Success', None, None)
    assert event['finish_time'] and event['finish_time'] >= event['start_time']
    from cloudstack.compute.virt import fake

    def broken(*args, **kwargs):
        raise RuntimeError('the hypervisor broke')
    monkeypatch.setattr(fake.FakeDriver, 'spawn', broken)
    compute.version = '2.1'
    uuid = compute.boot('bad')
    assert compute.server(uuid)['status'] == 'ERROR'
    action, event = _build_event(compute, uuid)
    assert (event['result'], action['message']) == ('Error', 'Error')
    assert 'the hypervisor broke' in event['traceback'] and event['finish_time']
    assert 'the hypervisor broke' in event['details']
