"""Image locations through openstacksdk against a running cloud: a location
added with image API 2.17 on a web server of the test's own, hashed by the
engine's location_import task, listed for the admin, shown with
show_multiple_locations, and the image's data streamed from that server."""
import hashlib
import http.server
import os
import threading

import pytest

from tests.functional.conftest import ADMIN_PASSWORD, keystone_session

DATA = os.urandom(3 * (1 << 20) + 123)


class _Served(http.server.BaseHTTPRequestHandler):
    def _head(self):
        self.send_response(200)
        self.send_header('Content-Length', str(len(DATA)))
        self.end_headers()

    def do_HEAD(self):
        self._head()

    def do_GET(self):
        self._head()
        self.wfile.write(DATA)

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Served)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield 'http://127.0.0.1:%d/disk.img' % server.server_address[1]
    server.shutdown()
    server.server_close()


def test_location_added_hashed_and_served(cloud, web):
    import openstack
    cloud.options['image'] = {'location_allowed_hosts': web.split('/')[2],
                              'show_multiple_locations': True}
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/identity/v3')
    conn = openstack.connection.Connection(session=keystone_session(cloud))
    image = conn.image.create_image(name='remote', disk_format='raw',
                                    container_format='bare')
    sha256 = hashlib.sha256(DATA).hexdigest()
    conn.image.add_image_location(image, web, validation_data={
        'os_hash_algo': 'sha256', 'os_hash_value': sha256})
    cloud.wait_for(lambda: conn.image.get_image(image).status == 'active', timeout=120,
                   interval=0.5)
    image = conn.image.get_image(image)
    assert (image.size, image.hash_algo, image.hash_value) == (len(DATA), 'sha256', sha256)
    assert image.checksum == hashlib.md5(DATA).hexdigest()
    assert [loc['url'] for loc in image.locations] == [web]
    assert image.direct_url == web
    assert [loc.url for loc in conn.image.image_locations(image)] == [web]
    assert conn.image.download_image(image).content == DATA
    # A queued image only: a second location is refused.
    with pytest.raises(openstack.exceptions.ConflictException):
        conn.image.add_image_location(image, web + '#again')
