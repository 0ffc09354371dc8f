"""The console proxy at /console (Nova's novncproxy and serialproxy on the
API's own port):

  GET /console/websockify?token=T   websocket to the server's VNC server
  GET /console/serial?token=T       websocket to the server's serial port
  GET /console/<file>               noVNC's web files ([compute] novnc_web_dir)

The token (from the query, or the `token` cookie older noVNC sends) must be
one the API gave ([compute] console_token_ttl) for a console of that kind,
and the server must still have its console there; else the websocket is
closed at once, as Nova's proxy does. Bytes are passed through as they are
(noVNC speaks RFB to the guest's VNC server itself)."""
import http.cookies
import logging
import mimetypes
import os
import socket
import urllib.parse

import eventlet
from eventlet import websocket

from cloudstack.conf import CONF
from cloudstack import exception

LOG = logging.getLogger(__name__)
SOCKETS = {'/websockify': ('novnc',), '/serial': ('serial',)}
CHUNK = 65536


def _token(environ):
    query = urllib.parse.parse_qs(environ.get('QUERY_STRING', ''))
    if query.get('token'):
        return query['token'][0]
    cookies = http.cookies.SimpleCookie()
    try:
        cookies.load(environ.get('HTTP_COOKIE', ''))
    except http.cookies.CookieError:
        return None
    return cookies['token'].value if 'token' in cookies else None


def _connect(environ, console_types):
    """The socket to the console the request's token leads to, or None."""
    from cloudstack.compute import manager
    mgr = manager.get()
    try:
        found = mgr.validate_console_token(_token(environ), console_types)
    except exception.NotFound:
        LOG.info('console connection refused: invalid or expired token')
        return None
    if not mgr.console_still_there(found):
        LOG.info('console connection refused: server %s has no console at %s:%s now',
                 found['instance_uuid'], found['host'], found['port'])
        return None
    try:
        return eventlet.connect((found['host'], found['port']))
    except OSError as exc:
        LOG.warning('console of server %s unreachable at %s:%s: %s',
                    found['instance_uuid'], found['host'], found['port'], exc)
        return None


def _pump(ws, guest):
    """Until either side closes: websocket messages to the guest, the guest's
    bytes to the websocket as binary messages."""
    def to_guest():
        try:
            while True:
                message = ws.wait()
                if message is None:
                    break
                guest.sendall(message if isinstance(message, bytes) else message.encode())
        except OSError:
            pass
        finally:
            try:
                guest.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
    writer = eventlet.spawn(to_guest)
    try:
        while True:
            data = guest.recv(CHUNK)
            if not data:
                break
            ws.send(data)
    except OSError:
        pass
    finally:
        writer.kill()
        guest.close()


def _websocket(console_types):
    def handler(ws):
        ws.socket.settimeout(None)      # a console stays open while it is used
        guest = _connect(ws.environ, console_types)
        if guest is not None:
            _pump(ws, guest)
    app = websocket.WebSocketWSGI(handler)
    app.supported_protocols = ['binary']
    return app


class ConsoleProxy:
    def __init__(self):
        self.sockets = {path: _websocket(kinds) for path, kinds in SOCKETS.items()}

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO') or '/'
        app = self.sockets.get(path.rstrip('/'))
        if app is not None:
            return app(environ, start_response)
        return self._file(path, start_response)

    def _file(self, path, start_response):
        root = os.path.realpath(CONF.compute.novnc_web_dir)
        name = os.path.realpath(os.path.join(root, path.lstrip('/') or 'vnc_lite.html'))
        if not os.path.isdir(root):
            return _text(start_response, '404 Not Found',
                         'noVNC is not installed here (Debian package novnc, or '
                         '[compute] novnc_web_dir); the console websockets still work.')
        if not name.startswith(root + os.sep) or not os.path.isfile(name):
            return _text(start_response, '404 Not Found', 'Not found.')
        with open(name, 'rb') as f:
            body = f.read()
        kind = mimetypes.guess_type(name)[0] or 'application/octet-stream'
        start_response('200 OK', [('Content-Type', kind), ('Content-Length', str(len(body)))])
        return [body]


def _text(start_response, status, text):
    body = text.encode() + b'\n'
    start_response(status, [('Content-Type', 'text/plain; charset=UTF-8'),
                            ('Content-Length', str(len(body)))])
    return [body]


def app_factory(global_conf, **local_conf):
    return ConsoleProxy()
