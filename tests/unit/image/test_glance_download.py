"""The glance-download import: an image filled from an image of the Image
service of a region in the catalog, with the caller's token; its formats and
chosen properties copied; everything put back when it fails."""
import io
import subprocess
import sys

import pytest
import webob

from cloudstack import exception
from cloudstack.image.manager import imports
from cloudstack.tasks import queue
from tests.unit.image.conftest import IMG
from tests.unit.image.drain import run_tasks

SOURCE_DATA = b'\x07' * 3000
PUBLIC = 'http://localhost'     # the bootstrapped catalog's endpoints


class _Answer(io.BytesIO):
    def __init__(self, body):
        super().__init__(body)


@pytest.fixture
def remote(users, monkeypatch, override):
    """glance-download on, its HTTP calls served by this test's own cloud (the
    catalog's only region); `remote.cut` shortens the data it serves."""
    override('enabled_import_methods', ['glance-direct', 'glance-download'],
             group='image')
    app = users['boss'].app

    class Remote:
        cut = 0
        seen = []

    def open_remote(url, auth_token):
        assert url.startswith(PUBLIC + '/image/v2/images/'), url
        Remote.seen.append((url, auth_token))
        req = webob.Request.blank(url[len(PUBLIC):])
        req.headers['X-Auth-Token'] = auth_token
        resp = req.get_response(app)
        if resp.status_int >= 400:
            raise exception.BadRequest('%s answered %d' % (url, resp.status_int))
        body = resp.body
        if url.endswith('/file') and Remote.cut:
            body = body[:-Remote.cut]
        return _Answer(body)
    monkeypatch.setattr(imports, 'open_remote', open_remote)
    return Remote


def _source(client, **props):
    img = client.create_image(name='src', **props)
    assert client.upload(img['id'], SOURCE_DATA).status_int == 204
    return img


def _download(client, image_id, **params):
    method = dict({'name': 'glance-download', 'glance_region': 'RegionOne'}, **params)
    return client.post(IMG + '/%s/import' % image_id, {'method': method})


def _target(client):
    dst = client.create_image(name='dst', disk_format='iso', container_format='ovf',
                              hw_cpu_cores='1', os_distro='windows')
    return dst['id']


def test_offered_only_when_enabled(users, conf, override):
    methods = users['alice'].get('/image/v2/info/import').json['import-methods']
    assert 'glance-download' not in methods['value']
    override('enabled_import_methods', ['glance-download'], group='image')
    methods = users['alice'].get('/image/v2/info/import').json['import-methods']
    assert methods['value'] == ['glance-download']


def test_copies_formats_chosen_properties_and_data(users, remote):
    a = users['alice']
    src = _source(a, hw_cpu_cores='5', os_distro='rhel', speed='88mph',
                  **{'trait:STORAGE_DISK_SSD': 'required'})
    dst = _target(a)
    resp = _download(a, dst, glance_image_id=src['id'])
    assert resp.status_int == 202, resp.text
    assert a.get(IMG + '/' + dst).json['status'] == 'importing'
    [queued] = queue.claim('peek', limit=10)
    queue.release('peek', [queued.id])
    assert queued.args['auth_token'] == a.token
    run_tasks()
    shown = a.get(IMG + '/' + dst).json
    assert shown['status'] == 'active', shown
    assert (shown['disk_format'], shown['container_format']) == ('raw', 'bare')
    assert shown['hw_cpu_cores'] == '5' and shown['os_distro'] == 'rhel'
    assert shown['trait:STORAGE_DISK_SSD'] == 'required'
    assert 'speed' not in shown and shown['name'] == 'dst'
    assert shown['size'] == len(SOURCE_DATA)
    assert shown['checksum'] == a.get(IMG + '/' + src['id']).json['checksum']
    assert a.get(IMG + '/%s/file' % dst).body == SOURCE_DATA
    [task] = a.get(IMG + '/%s/tasks' % dst).json['tasks']
    assert task['status'] == 'success', task
    method = task['input']['import_req']['method']
    assert method['glance_service_interface'] == 'public'
    assert a.token not in repr(task)
    assert {token for _, token in remote.seen} == {a.token}


@pytest.mark.parametrize('params, message', [
    ({'glance_image_id': 'foo'}, 'image id does not look like a UUID'),
    ({}, "'glance_image_id' needs to be set"),
    ({'glance_image_id': '36d4b546-64a2-4bb9-bdd0-ba676aa48f2c', 'glance_region': None},
     'glance_region must be a string'),
])
def test_bad_requests_are_refused_at_once(users, remote, params, message):
    a = users['alice']
    dst = _target(a)
    resp = _download(a, dst, **params)
    assert resp.status_int == 400 and message in resp.text, resp.text
    assert a.get(IMG + '/' + dst).json['status'] == 'queued'


def test_unknown_region_or_interface_fails_the_task(users, remote):
    a = users['alice']
    src = _source(a)
    dst = _target(a)
    for params in ({'glance_region': 'not a region'},
                   {'glance_service_interface': 'not an interface'}):
        assert _download(a, dst, glance_image_id=src['id'], **params).status_int == 202
        run_tasks()
        shown = a.get(IMG + '/' + dst).json
        assert shown['status'] == 'queued' and shown['hw_cpu_cores'] == '1'
        assert shown['os_distro'] == 'windows' and shown['disk_format'] == 'iso'
    tasks = a.get(IMG + '/%s/tasks' % dst).json['tasks']
    assert [t['status'] for t in tasks] == ['failure', 'failure']
    assert 'region not a region' in tasks[0]['message']
    assert remote.seen == []


def test_an_image_the_caller_cannot_see_fails_the_task(users, remote):
    hidden = _source(users['alice'])          # private to alice's project
    b = users['bob']
    dst = _target(b)
    assert _download(b, dst, glance_image_id=hidden['id']).status_int == 202
    run_tasks()
    assert b.get(IMG + '/' + dst).json['status'] == 'queued'
    [task] = b.get(IMG + '/%s/tasks' % dst).json['tasks']
    assert task['status'] == 'failure' and '404' in task['message']


def test_a_source_not_active_fails_the_task(users, remote):
    a = users['alice']
    queued = a.create_image(name='empty')
    dst = _target(a)
    assert _download(a, dst, glance_image_id=queued['id']).status_int == 202
    run_tasks()
    [task] = a.get(IMG + '/%s/tasks' % dst).json['tasks']
    assert task['status'] == 'failure'
    assert 'should be active instead of queued' in task['message']


def test_short_data_puts_formats_and_properties_back(users, remote):
    a = users['alice']
    src = _source(a, hw_cpu_cores='5', hw_machine_type='q35')
    dst = _target(a)
    remote.cut = 10
    assert _download(a, dst, glance_image_id=src['id']).status_int == 202
    run_tasks()
    shown = a.get(IMG + '/' + dst).json
    assert shown['status'] == 'queued', shown
    assert (shown['disk_format'], shown['container_format']) == ('iso', 'ovf')
    assert shown['hw_cpu_cores'] == '1' and 'hw_machine_type' not in shown
    assert shown['os_glance_failed_import'] == 'file'
    [task] = a.get(IMG + '/%s/tasks' % dst).json['tasks']
    assert task['status'] == 'failure' and 'Received 2990 bytes' in task['message']


def test_a_lost_token_fails_the_task(users, remote):
    """A task queued before a restart that lost its token (or by an older
    server) fails and leaves the image queued, instead of running unauthenticated."""
    a = users['alice']
    src = _source(a)
    dst = _target(a)
    assert _download(a, dst, glance_image_id=src['id']).status_int == 202
    [queued] = queue.claim('test:1', limit=10)
    from cloudstack.image import manager
    manager.run_task(queued.args['task_id'])
    queue.complete(queued.id, 'test:1')
    assert a.get(IMG + '/' + dst).json['status'] == 'queued'
    [task] = a.get(IMG + '/%s/tasks' % dst).json['tasks']
    assert task['status'] == 'failure' and 'token' in task['message']


def test_glance_endpoint_picks_region_and_interface():
    catalog = [{'type': 'identity', 'endpoints': [
                   {'region_id': 'R1', 'interface': 'public', 'url': 'http://k'}]},
               {'type': 'image', 'endpoints': [
                   {'region_id': 'R1', 'interface': 'internal', 'url': 'http://i1/'},
                   {'region_id': 'R2', 'interface': 'public', 'url': 'http://p2/image'},
                   {'region_id': 'R3', 'interface': 'public', 'url': 'file:///etc'}]}]
    assert imports.glance_endpoint(catalog, 'r2', 'public') == 'http://p2/image'
    assert imports.glance_endpoint(catalog, 'R1', 'internal') == 'http://i1'
    for region, interface in (('R1', 'public'), ('R3', 'public'), ('R9', 'public')):
        with pytest.raises(exception.NotFound):
            imports.glance_endpoint(catalog, region, interface)


_REMOTE = r"""
import http.server, sys

class Remote(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == '/away':
            self.send_response(302)
            self.send_header('Location', 'http://169.254.169.254/')
            body = b''
        elif self.headers.get('X-Auth-Token') != 'tok':
            self.send_response(401)
            body = b''
        else:
            self.send_response(200)
            body = b'{"ok": true}'
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

srv = http.server.HTTPServer(('127.0.0.1', 0), Remote)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"""


@pytest.fixture
def real_remote(conf):
    # A fresh interpreter: this one's threads and sockets may be green by now.
    proc = subprocess.Popen([sys.executable, '-c', _REMOTE], stdout=subprocess.PIPE)
    try:
        yield 'http://127.0.0.1:%d' % int(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait()


def test_open_remote_sends_the_token_and_never_follows_redirects(real_remote):
    with imports.open_remote(real_remote + '/v2/images/x', 'tok') as resp:
        assert resp.read() == b'{"ok": true}'
    with pytest.raises(exception.BadRequest, match='answered 401'):
        imports.open_remote(real_remote + '/v2/images/x', 'other')
    with pytest.raises(exception.BadRequest, match='redirected'):
        imports.open_remote(real_remote + '/away', 'tok')
