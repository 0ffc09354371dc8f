"""Compute with Block Storage: a server booted from a volume, and its snapshot."""
import json

import pytest

from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.tasks import agents, queue
from tests.unit.compute.conftest import API
from tests.unit.volume.conftest import backend  # noqa: F401  (a fixture)


def run_all(rounds=30):
    """Run what the engine, the compute agent and the volume agent would."""
    for _ in range(rounds):
        claimed = queue.claim('test:1', limit=100, roles=(None, 'compute', 'volume'),
                              host=CONF.host)
        if not claimed:
            return
        for task in claimed:
            try:
                result = queue.resolve(task.handler)(**task.args)
            except Exception as exc:
                queue.fail(task.id, 'test:1', exc)
            else:
                queue.complete(task.id, 'test:1', result)


@pytest.fixture
def cloud(compute, backend, monkeypatch):  # noqa: F811
    from cloudstack.volume import agent
    monkeypatch.setattr(tasks, 'call',
                        lambda name, args=None, **kw: queue.resolve(name)(**(args or {})))
    for role, binary in ((None, 'cloudstack-engine'), ('volume', 'cloudstack-volume')):
        agents.register(CONF.host, role, binary)
        agents.beat(CONF.host, {role: None})
    agent.get().report()
    return compute


def test_snapshot_of_a_volume_backed_server_is_an_active_image_of_volume_snapshots(cloud):
    project_id = _admin_project(cloud)
    resp = cloud.post('/volume/v3/%s/volumes' % project_id, {'volume': {
        'size': 1, 'imageRef': cloud.image_id}})
    assert resp.status_int == 202, resp.text
    volume_id = resp.json['volume']['id']
    run_all()
    resp = cloud.post(API + '/servers', {'server': {
        'name': 'bfv', 'flavorRef': '1', 'imageRef': '',
        'block_device_mapping_v2': [{
            'boot_index': 0, 'uuid': volume_id, 'source_type': 'volume',
            'destination_type': 'volume', 'delete_on_termination': True}]}})
    assert resp.status_int == 202, resp.text
    server_id = resp.json['server']['id']
    run_all()
    server = cloud.server(server_id)
    assert server['status'] == 'ACTIVE', server
    assert [v['id'] for v in server['os-extended-volumes:volumes_attached']] == [volume_id]

    resp = cloud.post('%s/servers/%s/action' % (API, server_id),
                      {'createImage': {'name': 'bfv-snap'}})
    assert resp.status_int == 202, resp.text
    image_id = resp.headers['Location'].rsplit('/', 1)[1]
    run_all()
    image = cloud.get('/image/v2/images/' + image_id).json
    assert image['status'] == 'active' and image['size'] == 0
    assert image['bdm_v2'] == 'True' and image['root_device_name'] == '/dev/vda'
    [mapping] = json.loads(image['block_device_mapping'])
    assert mapping['source_type'] == 'snapshot' and mapping['boot_index'] == 0
    assert mapping['volume_size'] == 1 and 'volume_id' not in mapping
    snap = cloud.get('/volume/v3/%s/snapshots/%s' % (
        project_id, mapping['snapshot_id'])).json['snapshot']
    assert snap['volume_id'] == volume_id and snap['status'] == 'available'


def _admin_project(client):
    return client.get('/identity/v3/auth/projects').json['projects'][0]['id']


def test_an_admin_attaches_its_volume_to_another_projects_server(cloud, member):
    project_id = _admin_project(cloud)
    resp = cloud.post('/volume/v3/%s/volumes' % project_id, {'volume': {'size': 1}})
    volume_id = resp.json['volume']['id']
    run_all()
    server_id = member.boot(wait=False)
    run_all()
    assert member.server(server_id)['status'] == 'ACTIVE'
    resp = cloud.post('%s/servers/%s/os-volume_attachments' % (API, server_id),
                      {'volumeAttachment': {'volumeId': volume_id}})
    assert resp.status_int == 200, resp.text
    run_all()
    volume = cloud.get('/volume/v3/%s/volumes/%s' % (project_id, volume_id)).json['volume']
    assert volume['status'] == 'in-use'
    assert [a['server_id'] for a in volume['attachments']] == [server_id]


def test_volumes_attach_to_a_shelved_offloaded_server_and_connect_on_unshelve(cloud):
    """As Nova: the attachment is complete at once (the volume in-use) with no
    device yet; unshelving connects it and names its device. A detach while
    offloaded only deletes the attachment."""
    from cloudstack.compute import agent
    project_id = _admin_project(cloud)
    kept, dropped = [cloud.post('/volume/v3/%s/volumes' % project_id, {'volume': {
        'size': 1}}).json['volume']['id'] for _ in range(2)]
    run_all()
    server_id = cloud.boot(wait=False)
    run_all()
    cloud.version = '2.20'
    assert cloud.post('%s/servers/%s/action' % (API, server_id),
                      {'shelve': None}).status_int == 202
    run_all()
    assert cloud.server(server_id)['status'] == 'SHELVED_OFFLOADED'
    attachments = '%s/servers/%s/os-volume_attachments' % (API, server_id)
    for volume_id in (kept, dropped):
        resp = cloud.post(attachments, {'volumeAttachment': {'volumeId': volume_id}})
        assert resp.status_int == 200, resp.text
        assert resp.json['volumeAttachment']['device'] is None
        volume = cloud.get('/volume/v3/%s/volumes/%s' % (project_id, volume_id)).json
        assert volume['volume']['status'] == 'in-use'
    assert cloud.delete('%s/%s' % (attachments, dropped)).status_int == 202
    volume = cloud.get('/volume/v3/%s/volumes/%s' % (project_id, dropped)).json['volume']
    assert volume['status'] == 'available' and volume['attachments'] == []
    assert cloud.post('%s/servers/%s/action' % (API, server_id),
                      {'unshelve': None}).status_int == 202
    run_all()
    assert cloud.server(server_id)['status'] == 'ACTIVE'
    [attached] = cloud.get(attachments).json['volumeAttachments']
    assert attached['volumeId'] == kept and attached['device'] == '/dev/vdb'
    state = agent.get_agent().driver._load(server_id)
    assert state['volumes'] == {'/dev/vdb': kept}
