"""Remote consoles: the URL and its token, /os-console-auth-tokens, and the
console proxy at /console passing a websocket through to the console."""
import base64
import datetime
import os
import struct
import urllib.parse

import eventlet
import eventlet.wsgi
import pytest
import sqlalchemy as sa

from cloudstack.compute import agent, console_proxy, models
from cloudstack.db import api as db_api
from tests.unit.compute.conftest import API


def _remote(client, server_id, protocol='vnc', kind='novnc', version='2.6'):
    client.version = version
    return client.post('%s/servers/%s/remote-consoles' % (API, server_id),
                       {'remote_console': {'protocol': protocol, 'type': kind}})


def test_the_fake_hypervisor_has_vnc_and_serial_consoles(compute):
    server_id = compute.boot()
    resp = _remote(compute, server_id)
    assert resp.status_int == 200, resp.text
    assert resp.json['remote_console']['type'] == 'novnc'
    resp = _remote(compute, server_id, 'serial', 'serial')
    assert resp.status_int == 200, resp.text
    assert resp.json['remote_console']['protocol'] == 'serial'
    assert resp.json['remote_console']['url'].startswith('ws://localhost/console/serial?token=')
    resp = _remote(compute, server_id, 'spice', 'spice-html5')
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'] == 'Unavailable console type spice-html5.'
    assert _remote(compute, server_id, version='2.5').status_int == 404
    compute.version = '2.1'
    resp = compute.post('%s/servers/%s/action' % (API, server_id),
                        {'os-getVNCConsole': {'type': 'xvpvnc'}})
    assert resp.status_int == 400
    assert resp.json['badRequest']['message'] == 'Invalid console type xvpvnc'
    resp = compute.post('%s/servers/%s/action' % (API, server_id),
                        {'os-getSerialConsole': {'type': 'serial'}})
    assert resp.status_int == 200, resp.text
    assert resp.json['console']['type'] == 'serial'
    assert resp.json['console']['url'].startswith('ws://localhost/console/serial?token=')


@pytest.fixture
def listening():
    """A stand-in for a guest's VNC server: greets as RFB 3.8, then echoes."""
    server = eventlet.listen(('127.0.0.1', 0))
    seen = []

    def serve(conn):
        conn.sendall(b'RFB 003.008\n')
        while True:
            data = conn.recv(1024)
            if not data:
                break
            seen.append(data)
            conn.sendall(data.upper())
        conn.close()

    def accept():
        while True:
            conn, _ = server.accept()
            eventlet.spawn(serve, conn)
    thread = eventlet.spawn(accept)
    yield server.getsockname()[1], seen
    thread.kill()
    server.close()


@pytest.fixture
def consoles(compute, listening, monkeypatch):
    """A server whose hypervisor has its VNC and serial consoles at `listening`."""
    port = listening[0]
    driver = agent.get_agent().driver
    monkeypatch.setattr(driver, 'get_vnc_console', lambda ctx, inst: {
        'host': '127.0.0.1', 'port': port, 'internal_access_path': None})
    monkeypatch.setattr(driver, 'get_serial_console', lambda ctx, inst: {
        'host': '127.0.0.1', 'port': port})
    return compute.boot()


def _token_of(url):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    if 'path' in query:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(query['path'][0]).query)
    return query['token'][0]


def test_console_urls_lead_to_the_proxy_with_a_token(compute, consoles):
    resp = _remote(compute, consoles)
    assert resp.status_int == 200, resp.text
    body = resp.json['remote_console']
    assert (body['protocol'], body['type']) == ('vnc', 'novnc')
    page, _, query = body['url'].partition('?')
    assert page == 'http://localhost/console/vnc_lite.html'
    path = urllib.parse.parse_qs(query)['path'][0]
    assert path.startswith('console/websockify?token=')    # noVNC opens /<path>
    serial = _remote(compute, consoles, 'serial', 'serial').json['remote_console']['url']
    assert serial.startswith('ws://localhost/console/serial?token=')
    compute.version = '2.1'
    legacy = compute.post('%s/servers/%s/action' % (API, consoles),
                          {'os-getVNCConsole': {'type': 'novnc'}})
    assert legacy.status_int == 200 and legacy.json['console']['type'] == 'novnc'
    tokens = {_token_of(body['url']), _token_of(serial),
              _token_of(legacy.json['console']['url'])}
    assert len(tokens) == 3
    with db_api.reader() as s:                 # only their hashes are kept
        kept = set(s.scalars(sa.select(models.ConsoleAuthToken.token_hash)))
    assert len(kept) == 3 and not kept & tokens


def test_os_console_auth_tokens_shows_where_a_token_leads(compute, consoles, member,
                                                          listening):
    token = _token_of(_remote(compute, consoles).json['remote_console']['url'])
    compute.version = '2.31'
    resp = compute.get(API + '/os-console-auth-tokens/' + token)
    assert resp.status_int == 200, resp.text
    assert resp.json['console'] == {'instance_uuid': consoles, 'host': '127.0.0.1',
                                    'port': listening[0], 'internal_access_path': None}
    compute.version = '2.30'                  # before 2.31, only RDP tokens
    assert compute.get(API + '/os-console-auth-tokens/' + token).status_int == 400
    compute.version = '2.31'
    assert compute.get(API + '/os-console-auth-tokens/bad' + token).status_int == 404
    member.version = '2.31'
    assert member.get(API + '/os-console-auth-tokens/' + token).status_int == 403
    with db_api.writer() as s:
        s.execute(sa.update(models.ConsoleAuthToken).values(
            expires=datetime.datetime(2000, 1, 1)))
    resp = compute.get(API + '/os-console-auth-tokens/' + token)
    assert resp.status_int == 404
    assert token not in resp.text


class WebSocketClient:
    """A minimal RFC 6455 client over a green socket (binary frames)."""

    def __init__(self, port, path, cookie=None):
        self.sock = eventlet.connect(('127.0.0.1', port))
        key = base64.b64encode(os.urandom(16)).decode()
        head = ('GET %s HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n'
                'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
                'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n'
                % (path, key))
        if cookie:
            head += 'Cookie: %s\r\n' % cookie
        self.sock.sendall((head + '\r\n').encode())
        self.buf = b''
        while b'\r\n\r\n' not in self.buf:
            self.buf += self.sock.recv(4096)
        self.response, _, self.buf = self.buf.partition(b'\r\n\r\n')

    def _read(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(4096)
            if not data:
                raise EOFError
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def receive(self):
        """(opcode, payload) of the next frame, or None once closed."""
        try:
            b0, b1 = self._read(2)
            length = b1 & 127
            if length == 126:
                length = int.from_bytes(self._read(2), 'big')
            return b0 & 15, self._read(length)
        except EOFError:
            return None

    def send(self, data):
        mask = os.urandom(4)
        self.sock.sendall(bytes([0x82, 0x80 | len(data)]) + mask + bytes(
            b ^ mask[i % 4] for i, b in enumerate(data)))

    def close(self):
        self.sock.close()


@pytest.fixture
def proxy():
    listener = eventlet.listen(('127.0.0.1', 0))
    server = eventlet.spawn(eventlet.wsgi.server, listener, console_proxy.ConsoleProxy(),
                            log_output=False)
    yield listener.getsockname()[1]
    server.kill()
    listener.close()


def test_the_proxy_passes_the_websocket_through_to_the_console(compute, consoles, proxy,
                                                              listening):
    url = _remote(compute, consoles).json['remote_console']['url']
    path = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)['path'][0]
    ws = WebSocketClient(proxy, '/' + path[len('console/'):])
    assert ws.response.startswith(b'HTTP/1.1 101 ')
    assert b'Sec-WebSocket-Protocol: binary' in ws.response
    assert ws.receive() == (2, b'RFB 003.008\n')          # the VNC server's greeting
    ws.send(b'rfb 003.008\n')
    assert ws.receive() == (2, b'RFB 003.008\n')          # echoed, upper-cased
    assert listening[1] == [b'rfb 003.008\n']
    ws.close()
    # older noVNC sends the token as a cookie; the serial console likewise
    token = _token_of(_remote(compute, consoles, 'serial', 'serial').json[
        'remote_console']['url'])
    ws = WebSocketClient(proxy, '/serial', cookie='token=' + token)
    assert ws.receive() == (2, b'RFB 003.008\n')
    ws.close()


def test_the_proxy_closes_at_once_on_a_bad_expired_or_misused_token(compute, consoles,
                                                                   proxy, listening,
                                                                   monkeypatch):
    vnc = _token_of(_remote(compute, consoles).json['remote_console']['url'])
    serial = _token_of(_remote(compute, consoles, 'serial', 'serial').json[
        'remote_console']['url'])
    for path in ('/websockify?token=bad' + vnc, '/websockify?token=' + serial,
                 '/serial?token=' + vnc, '/websockify'):
        ws = WebSocketClient(proxy, path)
        assert ws.response.startswith(b'HTTP/1.1 101 ')
        assert ws.receive() == (8, b'')                   # a close frame, no console
        ws.close()
    assert listening[1] == []
    # the server's console moved (or the server went): the token leads nowhere
    monkeypatch.setattr(agent.get_agent().driver, 'get_vnc_console', lambda ctx, inst: {
        'host': '127.0.0.1', 'port': 1, 'internal_access_path': None})
    ws = WebSocketClient(proxy, '/websockify?token=' + vnc)
    assert ws.receive() == (8, b'')
    ws.close()


def test_the_proxy_serves_novnc_pages_when_installed(proxy, conf, tmp_path):
    def get(path):
        sock = eventlet.connect(('127.0.0.1', proxy))
        sock.sendall(('GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
                      % path).encode())
        data = b''
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    conf.set_override('novnc_web_dir', str(tmp_path / 'none'), group='compute')
    assert b'noVNC is not installed' in get('/vnc_lite.html')
    (tmp_path / 'novnc').mkdir()
    (tmp_path / 'novnc' / 'vnc_lite.html').write_text('<html><title>noVNC</title></html>')
    (tmp_path / 'secret').write_text('no')
    conf.set_override('novnc_web_dir', str(tmp_path / 'novnc'), group='compute')
    try:
        page = get('/vnc_lite.html?path=console%2Fwebsockify%3Ftoken%3Dx')
        assert page.startswith(b'HTTP/1.1 200') and b'<title>noVNC</title>' in page
        assert b'text/html' in page
        assert get('/../secret').startswith(b'HTTP/1.1 404')
    finally:
        conf.clear_override('novnc_web_dir', group='compute')


def _rfb_client(ws):
    """The client's side of the RFB handshake Tempest's test_novnc does;
    returns the ServerInit message."""
    kind, greeting = ws.receive()
    assert (kind, greeting) == (2, b'RFB 003.008\n')
    ws.send(greeting)
    assert ws.receive() == (2, bytes((1, 1)))           # security types: None
    ws.send(bytes((1,)))
    assert ws.receive() == (2, bytes(4))                # security result: OK
    ws.send(bytes((1,)))                                # ClientInit: shared
    return ws.receive()[1]


def test_the_fake_guests_vnc_server_answers_through_the_proxy(compute, proxy):
    from tests.unit.compute.conftest import run_tasks
    server_id = compute.boot()
    driver = agent.get_agent().driver
    url = _remote(compute, server_id).json['remote_console']['url']
    path = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)['path'][0]
    ws = WebSocketClient(proxy, '/' + path[len('console/'):])
    assert ws.response.startswith(b'HTTP/1.1 101 ')
    init = _rfb_client(ws)
    width, height = struct.unpack('>HH', init[:4])
    name_length = struct.unpack('>I', init[20:24])[0]
    assert len(init) == 24 + name_length and (width, height) == (64, 48)
    assert init[24:].decode() == driver._load(server_id)['name']
    # a frame asked for comes back: one raw rectangle of black, 4 bytes a pixel
    ws.send(bytes((3, 0)) + struct.pack('>HHHH', 0, 0, 64, 48))
    update = ws.receive()[1]
    while len(update) < 16 + 64 * 48 * 4:
        update += ws.receive()[1]
    assert update[:4] == bytes((0, 0, 0, 1)) and not any(update[16:])
    ws.close()
    # a deleted server's console is gone: the proxy closes at once
    url = _remote(compute, server_id).json['remote_console']['url']
    path = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)['path'][0]
    assert compute.delete(API + '/servers/' + server_id).status_int == 204
    run_tasks()
    assert server_id not in driver.vnc._servers
    ws = WebSocketClient(proxy, '/' + path[len('console/'):])
    assert ws.receive() == (8, b'')
    ws.close()


def _until(ws, wanted):
    """The binary payloads the websocket brings until `wanted` is among them."""
    seen = b''
    while wanted not in seen:
        frame = ws.receive()
        assert frame is not None and frame[0] == 2, (frame, seen)
        seen += frame[1]
    return seen


def test_the_fake_guests_serial_port_answers_through_the_proxy(compute, proxy):
    from tests.unit.compute.conftest import run_tasks
    server_id = compute.boot()
    driver = agent.get_agent().driver
    compute.version = '2.1'
    hostname = compute.get(API + '/servers/' + server_id).json['server']['name']
    legacy = compute.post('%s/servers/%s/action' % (API, server_id),
                          {'os-getSerialConsole': {'type': 'serial'}})
    url = legacy.json['console']['url']
    ws = WebSocketClient(proxy, '/serial?token=' + _token_of(url))
    assert ws.response.startswith(b'HTTP/1.1 101 ')
    # a terminal: what is typed comes back, Enter brings the getty's prompt,
    # a backspace rubs the last character out
    ws.send(b'root')
    assert _until(ws, b'root') == b'root'
    ws.send(b'x\x7f\r\n')
    assert _until(ws, b' login: ') == b'x\x08 \x08\r\n' + hostname.encode() + b' login: '
    ws.close()
    # the port is the guest's own, and goes with it
    port = driver.serial._servers[server_id][0].getsockname()[1]
    assert port != driver.vnc.address(server_id, hostname)[1]
    token = _token_of(_remote(compute, server_id, 'serial', 'serial').json[
        'remote_console']['url'])
    assert compute.delete(API + '/servers/' + server_id).status_int == 204
    run_tasks()
    assert server_id not in driver.serial._servers
    ws = WebSocketClient(proxy, '/serial?token=' + token)
    assert ws.receive() == (8, b'')
    ws.close()
