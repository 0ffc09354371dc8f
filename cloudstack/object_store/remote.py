"""The API's side of the object servers: replicas on other hosts, over HTTP.

A device the ring names by another host's ip:port (ring.is_local) is read
and written through that host's object server (object_store/server.py), one
replica per request, addressed /<device id>/<partition>/<account>/<container>/<object>:

    PUT     the body is the whole replica file (a .data: the data, then its
            footer, as backend/disk.py lays it out; X-Backend-Kind: meta, a
            .meta document), named by X-Timestamp
    DELETE  a tombstone at X-Timestamp; with X-Backend-Undo: <file> instead,
            remove that file (a write that missed its quorum), with
            X-Backend-Cleanup, what newer files made obsolete, with
            X-Backend-Quarantine: <timestamp>, move a bad .data aside
    HEAD    what the device holds of the object (X-Backend-Replica: JSON)
    GET     bytes of the .data named by X-Backend-File (Range as usual)

X-Backend-Storage-Policy-Index names the policy (its ring and directory).
Every request is signed: X-Backend-Signature is the HMAC-SHA256, keyed with
[object_store] object_server_key, of the method, the quoted path,
X-Timestamp, X-Backend-Signature-Time (the signer's clock; the server
accepts SIGNATURE_WINDOW seconds of skew) and X-Backend-Nonce (random: the
server takes each signature once, so a request cannot be replayed).

RemoteWriter has the interface of disk._Writer (write, commit, abort,
undo) so that a PUT streams to local and remote replicas alike; its chunks
go out from a thread of its own (green in the servers), in parallel with
the other replicas, through a short queue that holds the client back when
the host is slower than the others.
"""
import collections
import hashlib
import hmac
import http.client
import json
import logging
import queue
import secrets
import threading
import time
import urllib.parse

from cloudstack.conf import CONF

LOG = logging.getLogger(__name__)

SIGNATURE_WINDOW = 300
QUEUE_CHUNKS = 4
_END = object()


def signature(key, method, path, timestamp, sig_time, nonce):
    msg = '\n'.join((method, path, timestamp or '', str(sig_time), nonce or ''))
    return hmac.new(key.encode('utf-8'), msg.encode('utf-8'), hashlib.sha256).hexdigest()


def sign(headers, key, method, path, now=None):
    """`headers` with the signature of the request (and its time and nonce)."""
    sig_time, nonce = str(int(now or time.time())), secrets.token_hex(12)
    return dict(headers, **{
        'X-Backend-Signature-Time': sig_time, 'X-Backend-Nonce': nonce,
        'X-Backend-Signature': signature(key, method, path, headers.get('X-Timestamp'),
                                         sig_time, nonce)})


class Verifier:
    """Checks the requests' signatures, each usable once: a signature seen
    within the window (a replayed request) is refused."""

    def __init__(self, key):
        self.key = key
        self._seen = collections.OrderedDict()      # signature -> its time

    def __call__(self, method, path, headers, now=None):
        given = headers.get('X-Backend-Signature')
        now = now or time.time()
        try:
            sig_time = int(headers.get('X-Backend-Signature-Time'))
        except (TypeError, ValueError):
            return False
        if not self.key or not given or abs(now - sig_time) > SIGNATURE_WINDOW:
            return False
        expected = signature(self.key, method, path, headers.get('X-Timestamp'),
                             sig_time, headers.get('X-Backend-Nonce'))
        if not hmac.compare_digest(expected, given) or given in self._seen:
            return False
        while self._seen and next(iter(self._seen.values())) < now - 2 * SIGNATURE_WINDOW:
            self._seen.popitem(last=False)
        self._seen[given] = now
        return True


def replica_path(dev, part, account=None, container=None, obj=None, name_hash=None):
    """/<device>/<partition>/<account>/<container>/<object>, quoted; or
    /<device>/<partition>/<hash> (the replicator knows objects by hash)."""
    if name_hash:
        return '/%d/%d/%s' % (dev['id'], part, name_hash)
    return urllib.parse.quote('/%d/%d/%s/%s/%s' % (dev['id'], part, account, container, obj))


class RemoteError(IOError):
    """An object server's answer other than the one expected."""

    def __init__(self, status, message):
        super().__init__('%s: %s' % (message, status))
        self.status = status


def _connect(dev, method, path, headers, chunked=False):
    """A connection with the request line and headers sent (signed)."""
    opts = CONF.object_store
    conn = http.client.HTTPConnection(dev['ip'], dev['port'],
                                      timeout=opts.object_server_conn_timeout)
    try:
        conn.connect()
        conn.auto_open = 0          # never reconnect behind our back
        conn.sock.settimeout(opts.object_server_node_timeout)
        headers = sign(headers, opts.object_server_key, method, path)
        if chunked:
            headers['Transfer-Encoding'] = 'chunked'
        elif method in ('PUT', 'POST', 'DELETE'):
            headers.setdefault('Content-Length', '0')
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
    except BaseException:
        conn.close()
        raise
    return conn


def request(dev, method, path, headers, expect=(200, 201, 202, 204)):
    """One bodiless request; (status, headers, body) when its status is in
    `expect`, else RemoteError. OSError when the host cannot be reached."""
    conn = _connect(dev, method, path, headers)
    try:
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    if resp.status not in expect:
        raise RemoteError(resp.status, '%s %s on %s' % (method, path, _where(dev)))
    return resp.status, resp.headers, body


def _where(dev):
    return '%s:%s' % (dev['ip'], dev['port'])


def policy_headers(datadir, timestamp=None):
    headers = {'X-Backend-Storage-Policy-Index': datadir.partition('-')[2] or '0'}
    if timestamp:
        headers['X-Timestamp'] = timestamp
    return headers


class RemoteWriter:
    """One replica written through another host's object server."""

    remote = True

    def __init__(self, dev, path, headers, method='PUT', body=True):
        self.dev = dev
        self.path, self.headers = path, headers
        self.final = None
        self.replaces = False
        self.ok = True
        self._status = None
        self._finished = False
        self._queue = queue.Queue(QUEUE_CHUNKS) if body else None
        # connecting is synchronous: an unreachable host raises OSError here,
        # and the caller takes a handoff device instead
        self._conn = _connect(dev, method, path, headers, chunked=body)
        self._thread = threading.Thread(target=self._send, daemon=True)
        self._thread.start()

    def _send(self):
        conn = self._conn
        try:
            while self._queue is not None:
                chunk = self._queue.get()
                if not self.ok:                 # aborted: take the rest, send nothing
                    if chunk is _END:
                        break
                elif chunk is _END:
                    conn.send(b'0\r\n\r\n')
                    break
                else:
                    conn.send(b'%x\r\n' % len(chunk) + chunk + b'\r\n')
            if self.ok:
                resp = conn.getresponse()
                resp.read()
                self._status = resp.status
                self.replaces = resp.headers.get('X-Backend-Replaces') == 'yes'
        except (OSError, http.client.HTTPException) as e:
            LOG.warning('replica on %s failed: %s', _where(self.dev), e)
            self.ok = False
            self._drain()
        finally:
            conn.close()

    def _drain(self):
        """Take what the writer still queues, so that it never blocks."""
        while self._queue is not None:
            try:
                if self._queue.get(timeout=CONF.object_store.object_server_node_timeout) is _END:
                    return
            except queue.Empty:
                return

    def write(self, data):
        """Queue a chunk of the body; a request without one (a tombstone's
        DELETE: its name says all) takes none."""
        if self.ok and data and self._queue is not None:
            self._queue.put(bytes(data))

    def finish(self):
        """Send the end of the body (the answer is awaited by commit)."""
        if self._queue is not None and not self._finished:
            self._finished = True
            self._queue.put(_END)

    def commit(self, hashdir=None, filename=None):
        self.finish()
        self._thread.join()
        if self.ok and self._status in (201, 204):
            self.final = filename
            return True
        if self.ok:
            LOG.warning('%s on %s answered %s', self.path, _where(self.dev), self._status)
        self.ok = False
        return False

    def abort(self):
        if self.ok:
            self.ok = False
            self._conn.close()      # the server drops its temp file
        self.finish()

    def undo(self):
        if self.final:
            try:
                request(self.dev, 'DELETE', self.path, dict(
                    self.headers, **{'X-Backend-Undo': self.final}))
            except (OSError, http.client.HTTPException) as e:
                LOG.warning('cannot undo %s on %s: %s (the auditor removes it)',
                            self.final, _where(self.dev), e)
            self.final = None

    def cleanup(self):
        try:
            request(self.dev, 'DELETE', self.path, dict(
                self.headers, **{'X-Backend-Cleanup': 'yes'}))
        except (OSError, http.client.HTTPException) as e:
            LOG.info('cleanup of %s on %s: %s', self.path, _where(self.dev), e)


class RemoteReplica:
    """What another host's device holds of an object (a HEAD's answer), with
    the interface of disk._Replica that reads use."""

    remote = True

    def __init__(self, dev, path, datadir):
        self.dev, self.path_, self.datadir = dev, path, datadir
        self.hashdir = '%s%s' % (_where(dev), path)
        _, headers, _ = request(dev, 'HEAD', path, policy_headers(datadir))
        state = json.loads(headers.get('X-Backend-Replica') or '{}')
        self.data, self.meta = state.get('data'), state.get('meta')
        self.tombstone = state.get('tombstone')
        self.info, self.meta_doc = state.get('info'), state.get('meta_doc')

    def read_meta(self):
        if self.meta_doc is None:
            raise ValueError('no .meta document in the answer')
        return self.meta_doc

    def open_data(self, ts):
        return RemoteFile(self, ts)

    def quarantine(self, ts):
        try:
            request(self.dev, 'DELETE', self.path_, dict(
                policy_headers(self.datadir), **{'X-Backend-Quarantine': ts}))
        except (OSError, http.client.HTTPException) as e:
            LOG.warning('cannot quarantine %s on %s: %s', ts, _where(self.dev), e)


def remote_replicas(devs, path_of, datadir):
    """RemoteReplica of each device (the unreachable ones left out), asked
    in parallel."""
    found = [None] * len(devs)

    def ask(i, dev):
        try:
            found[i] = RemoteReplica(dev, path_of(dev), datadir)
        except RemoteError as e:
            if e.status != 404:
                LOG.warning('%s', e)
        except (OSError, http.client.HTTPException, ValueError) as e:
            LOG.warning('cannot reach %s: %s', _where(dev), e)
    threads = [threading.Thread(target=ask, args=(i, d), daemon=True)
               for i, d in enumerate(devs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [r for r in found if r is not None]


class RemoteFile:
    """The .data bytes of a remote replica, as a file opened for reading:
    seek() then read() stream one ranged GET."""

    def __init__(self, replica, ts):
        self.replica, self.ts = replica, ts
        self.name = '%s/%s.data' % (replica.hashdir, ts)
        self.closed = False
        self._pos = 0
        self._conn = self._resp = None

    def seek(self, pos):
        if self._resp is not None and pos != self._pos:
            self._close_conn()
        self._pos = pos

    def start(self):
        """Send the GET (from the current position) and check its answer."""
        if self._resp is None:
            headers = dict(policy_headers(self.replica.datadir),
                           **{'X-Backend-File': self.ts + '.data',
                              'Range': 'bytes=%d-' % self._pos})
            self._conn = _connect(self.replica.dev, 'GET', self.replica.path_, headers)
            self._resp = self._conn.getresponse()
            if self._resp.status not in (200, 206):
                status = self._resp.status
                self._close_conn()
                raise RemoteError(status, 'GET %s' % self.name)

    def read(self, size):
        self.start()
        out = bytearray()
        while len(out) < size:
            got = self._resp.read(size - len(out))
            if not got:
                break
            out += got
        self._pos += len(out)
        return bytes(out)

    def _close_conn(self):
        if self._conn is not None:
            self._conn.close()
        self._conn = self._resp = None

    def close(self):
        self._close_conn()
        self.closed = True
