"""The metadata proxy: who the caller is comes from its address alone."""
import hashlib
import hmac
import http.client
import http.server
import json
import socket
import threading

import pytest

from cloudstack.network import metadata_proxy


@pytest.fixture
def upstream():
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get('Content-Length') or 0)
            seen.append((self.command, self.path, dict(self.headers), self.rfile.read(length)))
            body = b'hello'
            self.send_response(200)
            self.send_header('Content-Length', str(len(body)))
            self.send_header('X-Upstream', 'yes')
            self.end_headers()
            self.wfile.write(body)
        do_GET = do_POST = _answer

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(tmp_path, upstream):
    mapping = tmp_path / 'map.json'
    mapping.write_text(json.dumps({'127.0.0.1': {'instance_id': 'inst-1', 'project_id': 'proj'}}))
    secret = tmp_path / 'secret'
    secret.write_text('s3cret')
    metadata_proxy.Handler.lookup = metadata_proxy.Lookup(str(mapping), str(secret))
    metadata_proxy.Handler.upstream = '127.0.0.1:%d' % upstream[0]
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)
    server = metadata_proxy.Server(sock)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield sock.getsockname()[1], mapping
    server.shutdown()
    server.server_close()


def _request(port, method='GET', path='/latest/meta-data/', headers=None, body=None):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    return resp.status, dict(resp.getheaders()), resp.read()


def test_adds_the_signed_instance_id_and_drops_what_the_guest_claims(proxy, upstream):
    port, _ = proxy
    status, headers, body = _request(port, headers={
        'X-Instance-ID': 'inst-2', 'X-Instance-ID-Signature': 'forged', 'x-tenant-id': 'other',
        'X-Forwarded-For': '10.0.0.99', 'Accept': 'application/json'})
    assert (status, body, headers['X-Upstream']) == (200, b'hello', 'yes')
    method, path, sent, _ = upstream[1][-1]
    assert (method, path) == ('GET', '/latest/meta-data/')
    assert sent['X-Instance-ID'] == 'inst-1' and sent['X-Tenant-ID'] == 'proj'
    assert sent['X-Forwarded-For'] == '127.0.0.1' and sent['Accept'] == 'application/json'
    assert sent['X-Instance-ID-Signature'] == hmac.new(b's3cret', b'inst-1',
                                                       hashlib.sha256).hexdigest()
    lowered = [k.lower() for k in sent]
    assert lowered.count('x-instance-id') == 1 and lowered.count('x-forwarded-for') == 1


def test_posts_a_body(proxy, upstream):
    port, _ = proxy
    status, _, _ = _request(port, 'POST', '/openstack/2013-04-04/password', body=b'secret-pw')
    assert status == 200 and upstream[1][-1][3] == b'secret-pw'


def test_unknown_source_is_refused_and_a_reload_learns_it(proxy, upstream):
    port, mapping = proxy
    mapping.write_text('{}')
    metadata_proxy.Handler.lookup.load()
    assert _request(port)[0] == 404
    assert not upstream[1]


def test_upstream_down_is_a_502(proxy, upstream):
    port, _ = proxy
    metadata_proxy.Handler.upstream = '127.0.0.1:1'
    assert _request(port)[0] == 502


def test_chunked_requests_are_refused(proxy):
    port, _ = proxy
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=5)
    conn.putrequest('POST', '/x')
    conn.putheader('Transfer-Encoding', 'chunked')
    conn.endheaders()
    conn.send(b'0\r\n\r\n')
    assert conn.getresponse().status == 411


def test_upstream_path_prefix(proxy, upstream):
    port, _ = proxy
    metadata_proxy.Handler.upstream = '127.0.0.1:%d/metadata/' % upstream[0]
    assert _request(port, path='/openstack/latest/meta_data.json')[0] == 200
    assert upstream[1][-1][1] == '/metadata/openstack/latest/meta_data.json'


def test_absolute_form_requests_are_refused(proxy, upstream):
    port, _ = proxy
    assert _request(port, path='http://elsewhere/x')[0] == 400
    assert not upstream[1]
