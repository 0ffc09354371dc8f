"""The HTTP server's protocol: what reaches the app of a raw request line."""
import eventlet
import eventlet.wsgi

from cloudstack.wsgi import server


def _send(raw):
    """The PATH_INFO and request target the app saw for `raw` (or the status
    line when the request never reached it)."""
    seen = {}

    def app(environ, start_response):
        seen.update(path=environ['PATH_INFO'],
                    target=environ.get(server.REQUEST_TARGET))
        start_response('200 OK', [('Content-Length', '0')])
        return [b'']
    listener = eventlet.listen(('127.0.0.1', 0))
    thread = eventlet.spawn(eventlet.wsgi.server, listener, app, protocol=server._Protocol,
                            log_output=False)
    try:
        sock = eventlet.connect(listener.getsockname())
        sock.sendall(raw)
        status = sock.makefile('rb').readline()
        sock.close()
    finally:
        thread.kill()
        listener.close()
    return seen or status


def test_raw_utf8_in_the_request_line_reaches_the_app():
    # U+5605 is E5 98 85 and U+00E0 is C3 A0 in UTF-8: bytes that
    # str.split() takes for whitespace once read as latin-1
    name = '\u5605\u00e0 x'.replace(' ', '%20')
    seen = _send(('GET /v1/a/%s?q=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'
                  % name).encode('utf-8'))
    assert seen['path'] == '/v1/a/\u5605\u00e0 x'.encode('utf-8').decode('latin-1')
    assert seen['target'].split('?')[0].startswith('/v1/a/')


def test_a_malformed_request_line_is_still_refused():
    assert _send(b'GET /a b c HTTP/1.1\r\n\r\n').startswith(b'HTTP/1.1 400')
