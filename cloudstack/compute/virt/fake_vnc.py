"""The fake hypervisor's VNC consoles: per guest, a listening socket in the
agent's process that speaks just enough RFB 3.8 for a client (noVNC, Tempest)
to finish the handshake and see a small black screen named after the guest.

It is fake (no guest draws anything, keys and pointer are read and dropped),
but it makes the console path real: the API's token, the console proxy's
websocket and its connection to the hypervisor's VNC server."""
import logging
import struct

import eventlet

LOG = logging.getLogger(__name__)
VERSION = b'RFB 003.008\n'
WIDTH, HEIGHT = 64, 48
# 32 bits per pixel, depth 24, little-endian true colour, 8 bits a channel
PIXEL_FORMAT = struct.pack('>BBBBHHHBBB3x', 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
# client message type -> its length after the type byte (the variable part aside)
FIXED = {0: 19, 2: 3, 3: 9, 4: 7, 5: 5, 6: 7}


class _Closed(Exception):
    pass


def _read(conn, n):
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise _Closed()
        data += chunk
    return data


def handshake(conn, name):
    """Version, security type None, ServerInit; returns the client's bits
    per pixel (32 until it sets another pixel format)."""
    conn.sendall(VERSION)
    if not _read(conn, 12).startswith(b'RFB 003.'):
        raise _Closed()
    conn.sendall(bytes((1, 1)))                 # one security type: None
    if _read(conn, 1) != b'\x01':
        conn.sendall(struct.pack('>I', 1))
        raise _Closed()
    conn.sendall(struct.pack('>I', 0))          # SecurityResult: OK
    _read(conn, 1)                              # ClientInit (shared flag)
    title = name.encode()[:64]
    conn.sendall(struct.pack('>HH', WIDTH, HEIGHT) + PIXEL_FORMAT
                 + struct.pack('>I', len(title)) + title)


def serve_client(conn, name):
    """One client until it leaves: a black frame for each update request."""
    bpp = 32
    try:
        handshake(conn, name)
        while True:
            kind = _read(conn, 1)[0]
            if kind not in FIXED:
                break
            body = _read(conn, FIXED[kind])
            if kind == 0:                        # SetPixelFormat
                bpp = body[3] or 32
            elif kind == 2:                      # SetEncodings
                _read(conn, 4 * struct.unpack('>H', body[1:3])[0])
            elif kind == 6:                      # ClientCutText
                _read(conn, struct.unpack('>I', body[3:7])[0])
            elif kind == 3:                      # FramebufferUpdateRequest
                conn.sendall(struct.pack('>BxH', 0, 1)
                             + struct.pack('>HHHHi', 0, 0, WIDTH, HEIGHT, 0)
                             + bytes(WIDTH * HEIGHT * max(bpp // 8, 1)))
    except (_Closed, OSError):
        pass
    finally:
        conn.close()


class Consoles:
    """The consoles of one kind of one fake hypervisor's guests: a listening
    socket per guest, each client served by `serve(conn, name)` (by default
    this module's VNC server)."""

    def __init__(self, listen='127.0.0.1', serve=serve_client):
        self.listen = listen
        self.serve = serve
        self._servers = {}          # uuid -> (listening socket, acceptor)

    def address(self, uuid, name):
        """(host, port) of the guest's console, started when first asked."""
        if uuid not in self._servers:
            sock = eventlet.listen((self.listen, 0))
            self._servers[uuid] = (sock, eventlet.spawn(self._accept, sock, name))
        return self.listen, self._servers[uuid][0].getsockname()[1]

    def _accept(self, sock, name):
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            eventlet.spawn(self.serve, conn, name)

    def stop(self, uuid):
        found = self._servers.pop(uuid, None)
        if found is not None:
            sock, acceptor = found
            acceptor.kill()
            sock.close()
