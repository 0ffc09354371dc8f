"""The metadata proxy of one router or DHCP namespace.

An instance asks http://169.254.169.254/...; the proxy listening in its
router's (or DHCP server's) namespace finds which instance it is from the
source address alone, adds X-Instance-ID, X-Tenant-ID, X-Forwarded-For and
X-Instance-ID-Signature (HMAC-SHA256 of the instance id with the shared
secret), and forwards the request to Compute's metadata service. Whatever
the guest sends in those headers is dropped first, so it cannot pose as
another instance.

It binds its listening socket inside the namespace and then goes back to the
namespace it started in, from where it reaches the metadata service. It
runs as its own daemon, reloads its address map and secret on SIGHUP, and
writes a pid file.

    python -m cloudstack.network.metadata_proxy --netns NS --listen 169.254.169.254:80 \\
        --upstream 127.0.0.1:8775[/prefix] --map FILE.json --secret-file FILE \\
        --pid-file FILE [--foreground]
"""
import argparse
import ctypes
import hashlib
import hmac
import http.client
import http.server
import json
import os
import signal
import socket
import sys
import threading

from cloudstack.network.drivers.linuxbridge import daemon

CLONE_NEWNET = 0x40000000
MAX_BODY = 1 << 20
HOP_BY_HOP = {'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te',
              'trailers', 'transfer-encoding', 'upgrade', 'proxy-connection', 'content-length'}
# Only the proxy may set these.
TRUSTED = {'x-instance-id', 'x-instance-id-signature', 'x-tenant-id', 'x-forwarded-for',
           'x-metadata-provider', 'x-metadata-provider-signature', 'x-forwarded-host',
           'x-real-ip'}


def sign(secret, instance_id):
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


def _setns(fd):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def listen_in(namespace, address, port):
    """A listening socket inside `namespace`; the caller stays where it was."""
    home = os.open('/proc/self/ns/net', os.O_RDONLY | os.O_CLOEXEC)
    target = os.open(os.path.join('/run/netns', namespace), os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns(target)
        try:
            family = socket.AF_INET6 if ':' in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address, port))
            sock.listen(64)
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)
    return sock


class Lookup:
    """Source address -> instance, and the secret; reloaded on SIGHUP."""

    def __init__(self, map_file, secret_file):
        self.map_file, self.secret_file = map_file, secret_file
        self.lock = threading.Lock()
        self.load()

    def load(self):
        with open(self.map_file) as f:
            mapping = json.load(f)
        with open(self.secret_file) as f:
            secret = f.read()
        with self.lock:
            self.mapping, self.secret = mapping, secret

    def find(self, address):
        if address.startswith('::ffff:'):
            address = address[7:]
        with self.lock:
            return self.mapping.get(address), self.secret


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = 'cloudstack-metadata-proxy'
    lookup = None
    upstream = None
    timeout = 60

    def _proxy(self):
        if not self.path.startswith('/'):
            return self._reply(400, b'Bad request.\n')
        instance, secret = self.lookup.find(self.client_address[0])
        if instance is None:
            return self._reply(404, b'No instance has this address.\n')
        if 'transfer-encoding' in self.headers:
            return self._reply(411, b'Length required.\n')
        length = int(self.headers.get('Content-Length') or 0)
        if length < 0 or length > MAX_BODY:
            return self._reply(413, b'Request too large.\n')
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP_BY_HOP and k.lower() not in TRUSTED}
        headers.update({
            'X-Forwarded-For': self.client_address[0],
            'X-Instance-ID': instance['instance_id'],
            'X-Tenant-ID': instance.get('project_id') or '',
            'X-Instance-ID-Signature': sign(secret, instance['instance_id']),
            'Connection': 'close',
        })
        address, _, prefix = self.upstream.partition('/')
        host, _, port = address.rpartition(':')
        path = ('/' + prefix.strip('/') if prefix else '') + self.path
        conn = http.client.HTTPConnection(host.strip('[]'), int(port), timeout=self.timeout)
        try:
            conn.request(self.command, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except OSError as e:
            self.log_message('upstream %s: %s', self.upstream, e)
            return self._reply(502, b'The metadata service is not reachable.\n')
        finally:
            conn.close()
        self.send_response(resp.status, resp.reason)
        for key, value in resp.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _proxy

    def _reply(self, status, text):
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(text)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(text)

    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.client_address[0], fmt % args))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sock):
        super().__init__(sock.getsockname()[:2], Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--netns', required=True)
    parser.add_argument('--listen', required=True)
    parser.add_argument('--upstream', required=True)
    parser.add_argument('--map', required=True)
    parser.add_argument('--secret-file', required=True)
    parser.add_argument('--pid-file', required=True)
    parser.add_argument('--log-file')
    parser.add_argument('--foreground', action='store_true')
    args = parser.parse_args(argv)
    Handler.lookup = Lookup(args.map, args.secret_file)
    Handler.upstream = args.upstream
    address, _, port = args.listen.rpartition(':')
    sock = listen_in(args.netns, address.strip('[]'), int(port))
    log = os.open(args.log_file or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    if args.foreground:
        daemon.write_pid(args.pid_file)
    else:
        daemon.daemonize(args.pid_file)
        os.dup2(log, 1)
        os.dup2(log, 2)
    os.close(log)
    server = Server(sock)

    def reload(signum, frame):
        try:
            Handler.lookup.load()
        except (OSError, ValueError) as e:
            sys.stderr.write('reload failed: %s\n' % e)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGHUP, reload)
    signal.signal(signal.SIGTERM, stop)
    server.serve_forever()
    server.server_close()
    daemon.remove_pid(args.pid_file)


if __name__ == '__main__':
    main()
