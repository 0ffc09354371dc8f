"""What the real server does with bodies that arrive chunked, or stop short."""
import json
import socket

from tests.functional.conftest import ADMIN_PASSWORD, keystone_session


def _raw(cloud, request, timeout=60):
    """Send `request` bytes and return the response's status line and body."""
    with socket.create_connection(('127.0.0.1', cloud.port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b''
        while b'\r\n\r\n' not in data or not data.endswith(b'}'):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b'\r\n\r\n')
    return head.split(b'\r\n')[0].decode(), body


def test_chunked_bodies_are_read_and_short_ones_time_out(cloud):
    cloud.options['DEFAULT']['client_timeout'] = 1
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/identity/v3', timeout=60)
    sess = keystone_session(cloud)
    token = sess.get_token()

    def chunks():       # requests sends a generator Transfer-Encoding: chunked
        yield json.dumps({'project': {'name': 'chunky'}}).encode()
    resp = sess.post(cloud.url + '/identity/v3/projects', data=chunks(),
                     headers={'Content-Type': 'application/json'})
    assert resp.status_code == 201, resp.text
    assert resp.json()['project']['name'] == 'chunky'

    short = (b'POST /identity/v3/projects HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n'
             b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n'
             b'{"project":' % token.encode())
    status, body = _raw(cloud, short)
    assert status == 'HTTP/1.1 408 Request Timeout', (status, body)
    assert json.loads(body)['error']['code'] == 408
    assert cloud.get('/healthcheck').status_code == 200
