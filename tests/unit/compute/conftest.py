"""Fixtures of the Compute tests: a compute node of the fake driver, a flavor,
an image, and clients of two projects."""
import pytest

from cloudstack.conf import CONF
from cloudstack.tasks import agents, queue
from tests.conftest import Client

V3 = '/identity/v3'
API = '/compute/v2.1'


def run_tasks(rounds=20):
    """Run the queued tasks in this process, as the engine would."""
    ran = 0
    for _ in range(rounds):
        claimed = queue.claim('test:1', limit=100, roles=(None, 'compute'),
                              host=CONF.host)
        if not claimed:
            return ran
        for task in claimed:
            try:
                result = queue.resolve(task.handler)(**task.args)
            except Exception as exc:
                queue.fail(task.id, 'test:1', exc)
            else:
                queue.complete(task.id, 'test:1', result)
            ran += 1
    return ran


class ComputeClient(Client):
    version = '2.1'
    project_id = None

    def request(self, method, path, body=None, headers=None, token=None):
        headers = dict(headers or {})
        headers.setdefault('OpenStack-API-Version', 'compute ' + self.version)
        return super().request(method, path, body, headers, token)

    def boot(self, name='vm', image=None, flavor='1', wait=True, **extra):
        server = {'name': name, 'imageRef': image or self.image_id, 'flavorRef': flavor}
        server.update(extra)
        resp = self.post(API + '/servers', {'server': server})
        assert resp.status_int == 202, resp.text
        if wait:
            run_tasks()
        return resp.json['server']['id']

    def server(self, server_id):
        resp = self.get(API + '/servers/' + server_id)
        assert resp.status_int == 200, resp.text
        return resp.json['server']

    def action(self, server_id, body, status=202):
        resp = self.post('%s/servers/%s/action' % (API, server_id), body)
        assert resp.status_int == status, resp.text
        run_tasks()
        return resp


def _member(admin, name, role='member'):
    resp = admin.post(V3 + '/projects', {'project': {'name': name, 'domain_id': 'default'}})
    assert resp.status_int == 201, resp.text
    project_id = resp.json['project']['id']
    resp = admin.post(V3 + '/users', {'user': {'name': name, 'password': 'pw-' + name,
                                               'domain_id': 'default'}})
    user_id = resp.json['user']['id']
    role_id = admin.get(V3 + '/roles?name=' + role).json['roles'][0]['id']
    admin.put('%s/projects/%s/users/%s/roles/%s' % (V3, project_id, user_id, role_id))
    resp = admin.issue_token(name, 'pw-' + name, project=name)
    assert resp.status_int == 201, resp.text
    c = ComputeClient(admin.app, resp.headers['X-Subject-Token'])
    c.project_id = project_id
    return c


@pytest.fixture
def compute(admin, conf, monkeypatch):
    """The admin as a compute client, with a node, flavors 1 and 2 and an image.
    The agent's synchronous calls run in this process (no engine here)."""
    from cloudstack import tasks
    from cloudstack.compute import agent
    monkeypatch.setattr(tasks, 'call', lambda name, args, **kw: queue.resolve(name)(**args))
    agent._agents.clear()
    agents.register(CONF.host, 'compute', 'cloudstack-compute')
    agents.beat(CONF.host, {'compute': None})
    agent.get_agent().update_available_resource()
    c = ComputeClient(admin.app, admin.token)
    for fid, ram in (('1', 128), ('2', 256)):
        resp = c.post(API + '/flavors', {'flavor': {'name': 'f' + fid, 'ram': ram,
                                                    'vcpus': 1, 'disk': 1, 'id': fid}})
        assert resp.status_int == 200, resp.text
    resp = c.post('/image/v2/images', {'name': 'img', 'disk_format': 'raw',
                                       'container_format': 'bare', 'visibility': 'public'})
    image_id = resp.json['id']
    req_headers = {'Content-Type': 'application/octet-stream'}
    import webob
    req = webob.Request.blank('/image/v2/images/%s/file' % image_id, method='PUT')
    req.headers.update(req_headers)
    req.headers['X-Auth-Token'] = admin.token
    req.body = b'\0' * 1024
    assert req.get_response(admin.app).status_int == 204
    c.image_id = image_id
    ComputeClient.image_id = image_id
    yield c
    agent._agents.clear()
    from cloudstack.compute import manager
    manager._manager = None


@pytest.fixture
def member(compute, admin):
    c = _member(admin, 'alice')
    c.image_id = compute.image_id
    return c


@pytest.fixture
def other(compute, admin):
    c = _member(admin, 'bob')
    c.image_id = compute.image_id
    return c


@pytest.fixture
def reader(compute, admin):
    c = _member(admin, 'rita', role='reader')
    c.image_id = compute.image_id
    return c
