"""kill -9 of the whole tree during image uploads and imports: after the
restart no image stays in a transitional state, and after the clean-up
interval no partial or orphaned file stays on disk.

In flight when the tree dies: an upload (saving) streaming in an API worker, a
staging (uploading) likewise, and a web-download import (importing) running as
a task in the engine, each stalled halfway. After the restart the engine's
recovery moves the upload and the staging back to queued (their leases died
with their worker) and the import resumes through its task.
"""
import http.server
import os
import threading

import pytest
import requests

from tests.functional.conftest import ADMIN_PASSWORD, crash_and_restart

MIB = 1 << 20
IMAGES = '/image/v2/images'


class Stalling:
    """A chunked request body in a thread: `before` MiB, then it stalls."""

    def __init__(self, method, url, headers, before=2):
        self.block = os.urandom(MIB)
        self.before = before
        self.go = threading.Event()
        self.thread = threading.Thread(target=self._send, args=(method, url, headers),
                                       daemon=True)
        self.thread.start()

    def _body(self):
        for _ in range(self.before):
            yield self.block
        self.go.wait(120)

    def _send(self, method, url, headers):
        try:
            requests.request(method, url, data=self._body(), timeout=120, headers=dict(
                headers, **{'Content-Type': 'application/octet-stream'}))
        except requests.RequestException:
            pass        # the server died under it


class SlowImage(http.server.BaseHTTPRequestHandler):
    """Serves 4 MiB; the first request stalls after 1 MiB until released."""
    data = os.urandom(4 * MIB)
    first = threading.Event()
    release = threading.Event()

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', str(len(self.data)))
        self.end_headers()
        stall = not SlowImage.first.is_set()
        SlowImage.first.set()
        try:
            self.wfile.write(self.data[:MIB])
            if stall:
                SlowImage.release.wait(120)
            self.wfile.write(self.data[MIB:])
        except OSError:
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    SlowImage.first.clear()
    SlowImage.release.clear()
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), SlowImage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield 'http://127.0.0.1:%d/disk.img' % server.server_address[1]
    SlowImage.release.set()
    server.shutdown()


class Glance:
    def __init__(self, cloud):
        cloud.ready('/identity/v3')
        resp = requests.post(cloud.url + '/identity/v3/auth/tokens', timeout=10, json={
            'auth': {'identity': {'methods': ['password'], 'password': {'user': {
                'name': 'admin', 'domain': {'id': 'default'}, 'password': ADMIN_PASSWORD}}},
                'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}})
        resp.raise_for_status()
        self.url = cloud.url + '/image/v2/images'
        self.headers = {'X-Auth-Token': resp.headers['X-Subject-Token']}

    def create(self, name):
        resp = requests.post(self.url, json={'name': name, 'disk_format': 'raw',
                                             'container_format': 'bare'},
                             headers=self.headers, timeout=10)
        assert resp.status_code == 201, resp.text
        return resp.json()['id']

    def get(self, image_id):
        return requests.get('%s/%s' % (self.url, image_id), headers=self.headers,
                            timeout=10).json()

    def status(self, image_id):
        return self.get(image_id)['status']


def _files(directory):
    try:
        return sorted(os.listdir(directory))
    except FileNotFoundError:
        return []


def test_nothing_stays_stuck_after_the_tree_is_killed(cloud, web):
    cloud.options['image'] = {'web_download_allowed_hosts': web.split('/')[2]}
    cloud.options['engine']['recovery_interval'] = 3
    proc = cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    glance = Glance(cloud)
    store = os.path.join(cloud.data_dir, 'images')
    staging = os.path.join(cloud.data_dir, 'image-staging')

    uploaded, staged, imported = (glance.create(n) for n in ('upload', 'stage', 'import'))
    Stalling('PUT', '%s/%s/file' % (glance.url, uploaded), glance.headers)
    Stalling('PUT', '%s/%s/stage' % (glance.url, staged), glance.headers)
    resp = requests.post('%s/%s/import' % (glance.url, imported), headers=glance.headers,
                         timeout=10, json={'method': {'name': 'web-download', 'uri': web}})
    assert resp.status_code == 202, resp.text

    def partial(image_id):
        return any(n.startswith('.tmp-%s-' % image_id) and
                   os.path.getsize(os.path.join(store, n)) >= MIB for n in _files(store))

    def midway():
        return (partial(uploaded) and partial(imported)
                and os.path.exists(os.path.join(staging, staged + '.part'))
                and [glance.status(i) for i in (uploaded, staged, imported)] == [
                    'saving', 'uploading', 'importing'])
    # The import's second try gets all of it.
    proc = crash_and_restart(cloud, proc, midway, '--admin-password', ADMIN_PASSWORD,
                             before_restart=SlowImage.release.set)
    glance = Glance(cloud)
    cloud.wait_for(lambda: [glance.status(i) for i in (uploaded, staged, imported)] == [
        'queued', 'queued', 'active'], timeout=60, interval=0.2)
    image = glance.get(imported)
    assert image['size'] == len(SlowImage.data)
    # The interrupted writes leave nothing behind: the store holds the import only.
    cloud.wait_for(lambda: _files(store) == [imported] and _files(staging) == [],
                   timeout=30, interval=0.2)
    body = requests.get('%s/%s/file' % (glance.url, imported), headers=glance.headers,
                        timeout=30).content
    assert body == SlowImage.data
    # And the images that went back to queued take their data again.
    resp = requests.put('%s/%s/file' % (glance.url, uploaded), data=b'x' * 1000,
                        headers=dict(glance.headers, **{
                            'Content-Type': 'application/octet-stream'}), timeout=30)
    assert resp.status_code == 204, resp.text
    assert glance.status(uploaded) == 'active'
    assert 'recovered image %s from saving to queued' % uploaded in cloud.log()
