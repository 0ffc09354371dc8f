"""/os-assisted-volume-snapshots: Block Storage asks the hypervisor of the
server a volume is attached to for a snapshot; the host reports back."""
import json
import urllib.parse

import pytest

from cloudstack.compute import agent
from cloudstack.compute.virt import driver as virt
from tests.unit.compute.conftest import API, V3, _member
from tests.unit.compute.test_volume_backed import _admin_project, cloud, run_all  # noqa: F401
from tests.unit.volume.conftest import backend  # noqa: F401  (a fixture)

AVS = API + '/os-assisted-volume-snapshots'


@pytest.fixture
def service(cloud, admin):  # noqa: F811
    """A user with the service role (what Block Storage calls Compute as)."""
    if not admin.get(V3 + '/roles?name=service').json['roles']:
        admin.post(V3 + '/roles', {'role': {'name': 'service'}})
    return _member(admin, 'cinder', role='service')


@pytest.fixture
def attached(cloud):  # noqa: F811
    """(server id, volume id, project id): a volume attached to a server."""
    project_id = _admin_project(cloud)
    volume_id = cloud.post('/volume/v3/%s/volumes' % project_id,
                           {'volume': {'size': 1}}).json['volume']['id']
    run_all()
    server_id = cloud.boot(wait=False)
    run_all()
    resp = cloud.post('%s/servers/%s/os-volume_attachments' % (API, server_id),
                      {'volumeAttachment': {'volumeId': volume_id}})
    assert resp.status_int == 200, resp.text
    run_all()
    return server_id, volume_id, project_id


def _snapshot_in(cloud, project_id, volume_id, status):
    """A Block Storage snapshot in `status`, as its file-based driver leaves
    it while Compute works."""
    snap = cloud.post('/volume/v3/%s/snapshots' % project_id, {'snapshot': {
        'volume_id': volume_id, 'force': True}}).json['snapshot']
    run_all()
    resp = cloud.post('/volume/v3/%s/snapshots/%s/action' % (project_id, snap['id']),
                      {'os-reset_status': {'status': status}})
    assert resp.status_int == 202, resp.text
    return snap['id']


def _snapshot(cloud, project_id, snapshot_id):
    return cloud.get('/volume/v3/%s/snapshots/%s' % (project_id, snapshot_id)).json[
        'snapshot']


def _create(client, volume_id, snapshot_id, **extra):
    return client.post(AVS, {'snapshot': {'volume_id': volume_id, 'create_info': dict(
        {'snapshot_id': snapshot_id, 'type': 'qcow2', 'new_file': 'volume.snap'}, **extra)}})


def _delete(client, volume_id, snapshot_id, query=None):
    query = {'delete_info': json.dumps({'volume_id': volume_id})} if query is None else query
    return client.delete('%s/%s?%s' % (AVS, snapshot_id, urllib.parse.urlencode(query)))


def test_the_host_snapshots_the_volume_and_reports_to_block_storage(service, cloud,
                                                                    attached):
    server_id, volume_id, project_id = attached
    snapshot_id = _snapshot_in(cloud, project_id, volume_id, 'creating')
    resp = _create(service, volume_id, snapshot_id, id=snapshot_id)
    assert resp.status_int == 200, resp.text
    assert resp.json == {'snapshot': {'id': snapshot_id, 'volumeId': volume_id}}
    run_all()
    state = agent.get_agent().driver._load(server_id)
    assert state['volume_snapshots'] == {snapshot_id: {'volume_id': volume_id,
                                                       'new_file': 'volume.snap'}}
    snap = _snapshot(cloud, project_id, snapshot_id)
    assert (snap['status'], snap['os-extended-snapshot-attributes:progress']) == (
        'creating', '90%')

    cloud.post('/volume/v3/%s/snapshots/%s/action' % (project_id, snapshot_id),
               {'os-reset_status': {'status': 'deleting'}})
    resp = _delete(service, volume_id, snapshot_id)
    assert resp.status_int == 204, resp.text
    run_all()
    assert agent.get_agent().driver._load(server_id)['volume_snapshots'] == {}
    assert _snapshot(cloud, project_id, snapshot_id)['status'] == 'deleting'


def test_an_id_nova_was_not_given_is_null_and_unknown_snapshots_are_only_logged(
        service, attached):
    server_id, volume_id, _ = attached
    resp = _create(service, volume_id, '8aee84a3-1b1f-42e4-9b00-613931ccac24')
    assert resp.status_int == 200, resp.text
    assert resp.json['snapshot'] == {'id': None, 'volumeId': volume_id}
    run_all()
    assert agent.get_agent().driver._load(server_id)['volume_snapshots']
    resp = _delete(service, volume_id, 'None')
    assert resp.status_int == 204, resp.text


def test_a_hypervisor_failure_sets_the_snapshot_to_error(service, cloud, attached,
                                                         monkeypatch):
    _, volume_id, project_id = attached
    snapshot_id = _snapshot_in(cloud, project_id, volume_id, 'creating')

    def refuse(*args):
        raise virt.NotSupported('no qcow2 here')
    monkeypatch.setattr(agent.get_agent().driver, 'volume_snapshot_create', refuse)
    assert _create(service, volume_id, snapshot_id).status_int == 200
    run_all()
    assert _snapshot(cloud, project_id, snapshot_id)['status'] == 'error'


def test_only_the_service_role_may_ask(cloud, member, attached):
    _, volume_id, _ = attached
    for client in (cloud, member):
        assert _create(client, volume_id, 'x').status_int == 403
        assert _delete(client, volume_id, 'x').status_int == 403


def test_bad_requests_are_400_in_novas_shape(service, cloud, attached):
    server_id, volume_id, project_id = attached
    resp = _create(service, volume_id, 'x', type='raw')
    assert resp.status_int == 400 and 'badRequest' in resp.json
    assert _create(service, volume_id, 'x', extra='1').status_int == 400
    loose = cloud.post('/volume/v3/%s/volumes' % project_id,
                       {'volume': {'size': 1}}).json['volume']['id']
    resp = _create(service, loose, 'x')
    assert resp.status_int == 400
    assert 'No volume Block Device Mapping' in resp.json['badRequest']['message']
    assert _delete(service, volume_id, 'x', query={}).status_int == 400
    assert _delete(service, volume_id, 'x', query={'delete_info': '{'}).status_int == 400
    assert _delete(service, volume_id, 'x', query={
        'delete_info': json.dumps({'id': 'x'})}).status_int == 400
    extra = {'delete_info': json.dumps({'volume_id': volume_id}), 'more': '1'}
    assert _delete(service, volume_id, 'x', query=extra).status_int == 204
    service.version = '2.75'
    assert _delete(service, volume_id, 'x', query=extra).status_int == 400


def test_a_busy_server_refuses_with_400_and_merging_needs_a_running_one(
        service, cloud, attached):
    import sqlalchemy as sa
    from cloudstack.compute import models
    from cloudstack.db import api as db_api
    server_id, volume_id, _ = attached
    cloud.action(server_id, {'os-stop': None})
    merge = {'delete_info': json.dumps({'volume_id': volume_id, 'file_to_merge': 'a',
                                        'merge_target_file': 'base'})}
    resp = _delete(service, volume_id, 'x', query=merge)
    assert resp.status_int == 400
    assert 'vm_state stopped' in resp.json['badRequest']['message']
    assert _delete(service, volume_id, 'x').status_int == 204
    with db_api.writer() as s:
        s.execute(sa.update(models.Instance).where(models.Instance.uuid == server_id)
                  .values(task_state='powering-on'))
    resp = _create(service, volume_id, 'x')
    assert resp.status_int == 400
    assert 'task_state powering-on' in resp.json['badRequest']['message']
