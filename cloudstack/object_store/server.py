"""The object server: one host's devices, one replica per request, to the
API of the other hosts (the protocol is in remote.py).

cloudstack-object-server serves this app on [object_store]
object_server_bind beside its engine (replicator, auditor). It answers
only for the ring's devices that are its own (ring.is_local), writes with
the disk backend's writers (temp file, fsync, rename, directory fsync), and
checks a replica before committing it: a .data's footer must be sound and
its MD5 and size those of the bytes received. Requests not signed with
object_server_key are refused.
"""
import hashlib
import json
import logging
import os
import re
import urllib.parse

import webob

from cloudstack.conf import CONF
from cloudstack.object_store import remote
from cloudstack.object_store import ring as ring_mod
from cloudstack.object_store.backend import disk

LOG = logging.getLogger(__name__)

HASH = re.compile(r'^[0-9a-f]{32}$')
# A .data's footer (JSON and its 8-byte trailer) is held back from the MD5
# until the end of the body says how long it is.
HOLD_BACK = disk.MAX_FOOTER_JSON + disk.FOOTER.size
CHUNK = 65536


class _Target:
    """The replica a request addresses: a device of this host, the object's
    directory on it."""

    def __init__(self, req, own):
        parts = req.path_info.split('/', 5)
        try:
            policy = int(req.headers.get('X-Backend-Storage-Policy-Index', '0'))
            ring = ring_mod.get_ring(ring_mod.ring_path(CONF, policy))
            dev = ring.devs[int(parts[1])]
            self.part = int(parts[2])
        except (ValueError, IndexError, KeyError, OSError):
            raise webob.exc.HTTPNotFound()
        if len(parts) == 4 and HASH.match(parts[3]):
            self.name_hash = parts[3]
        elif len(parts) == 6 and all(parts[3:]):
            try:
                self.name_hash = ring.hash_path(*parts[3:])
            except ValueError:
                raise webob.exc.HTTPBadRequest()
        else:
            raise webob.exc.HTTPBadRequest()
        if not ring_mod.is_local(dev, own) or dev.get('removed'):
            raise webob.exc.HTTPNotFound()
        if not os.path.isdir(dev['path']):
            raise webob.exc.HTTPInsufficientStorage()
        self.dev = dev
        self.datadir = ring_mod.datadir(policy)
        self.hashdir = disk.DiskBackend._hashdir(dev, self.part, self.name_hash, self.datadir)


def _timestamp(req):
    ts = req.headers.get('X-Timestamp', '')
    try:
        return disk.normalize_timestamp(ts)
    except ValueError:
        raise webob.exc.HTTPBadRequest('X-Timestamp missing or bad')


class ObjectServer:
    def __init__(self, own=None, key=None):
        self.own = own
        self.verify = remote.Verifier(key)

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        try:
            resp = self.handle(req)
        except webob.exc.HTTPException as e:
            resp = e
        return resp(environ, start_response)

    def handle(self, req):
        raw = urllib.parse.quote(req.environ['PATH_INFO'].encode('latin-1'))
        if not self.verify(req.method, raw, req.headers):
            raise webob.exc.HTTPUnauthorized()
        handler = getattr(self, 'do_' + req.method, None)
        if handler is None:
            raise webob.exc.HTTPMethodNotAllowed()
        return handler(req, _Target(req, self.own))

    # --- reading ---------------------------------------------------------------

    def do_HEAD(self, req, target):
        try:
            replica = disk._Replica(target.dev, target.hashdir)
        except FileNotFoundError:
            raise webob.exc.HTTPNotFound()
        state = {'data': replica.data, 'meta': replica.meta,
                 'tombstone': replica.tombstone, 'info': None, 'meta_doc': None}
        if replica.data:
            try:
                with open(replica.path(replica.data, 'data'), 'rb') as f:
                    state['info'] = disk._read_footer(f)
            except disk._Corrupt as e:
                LOG.error('damaged replica %s: %s', target.hashdir, e)
                disk.quarantine(target.dev, target.hashdir, replica.data)
                state['data'] = None
            except FileNotFoundError:
                state['data'] = None
        if replica.meta:
            try:
                state['meta_doc'] = replica.read_meta()
            except (OSError, ValueError):
                state['meta'] = None
        resp = webob.Response(status=200, content_type=None)
        resp.headers['X-Backend-Replica'] = json.dumps(state, separators=(',', ':'))
        return resp

    def do_GET(self, req, target):
        name = req.headers.get('X-Backend-File', '')
        parsed = disk._parse(name)
        if not parsed or parsed[1] != 'data':
            raise webob.exc.HTTPBadRequest('X-Backend-File names no .data')
        try:
            f = open(os.path.join(target.hashdir, name), 'rb')
        except FileNotFoundError:
            raise webob.exc.HTTPNotFound()
        try:
            info = disk._read_footer(f)
        except disk._Corrupt:
            f.close()
            disk.quarantine(target.dev, target.hashdir, parsed[0])
            raise webob.exc.HTTPNotFound()
        size = info['size']
        start = req.range.start if req.range and req.range.start is not None else 0
        start = min(max(0, start), size)
        f.seek(start)
        resp = webob.Response(status=200 if start == 0 else 206, content_type=None)
        resp.content_length = size - start
        resp.app_iter = _file_iter(f, size - start)
        return resp

    # --- writing ---------------------------------------------------------------

    def do_PUT(self, req, target):
        ts = _timestamp(req)
        kind = req.headers.get('X-Backend-Kind', 'data')
        if kind not in ('data', 'meta'):
            raise webob.exc.HTTPBadRequest('X-Backend-Kind is data or meta')
        try:
            writer = disk._Writer(target.dev)
        except OSError as e:
            LOG.warning('device %s unusable: %s', target.dev['path'], e)
            raise webob.exc.HTTPInsufficientStorage()
        try:
            if kind == 'data':
                _receive_data(req, writer, ts)
            else:
                body = _read_all(req.environ['wsgi.input'], disk.MAX_FOOTER_JSON + 1)
                if len(body) > disk.MAX_FOOTER_JSON:
                    raise webob.exc.HTTPRequestEntityTooLarge()
                try:
                    json.loads(body)
                except ValueError:
                    raise webob.exc.HTTPUnprocessableEntity('not a .meta document')
                writer.write(body)
            if not writer.ok:
                raise webob.exc.HTTPInsufficientStorage()
            [ok] = disk._in_threads([lambda: writer.commit(
                target.hashdir, '%s.%s' % (ts, kind))])
        except BaseException:
            writer.abort()
            raise
        if not ok:
            raise webob.exc.HTTPInsufficientStorage()
        return _written(201, writer)

    def do_DELETE(self, req, target):
        undo = req.headers.get('X-Backend-Undo')
        if undo:
            if not disk._parse(undo):
                raise webob.exc.HTTPBadRequest()
            disk._unlink(os.path.join(target.hashdir, undo))
            return webob.Response(status=204, content_type=None)
        if req.headers.get('X-Backend-Cleanup'):
            disk._cleanup(target.hashdir)
            return webob.Response(status=204, content_type=None)
        bad = req.headers.get('X-Backend-Quarantine')
        if bad:
            if not disk._parse(bad + '.data'):
                raise webob.exc.HTTPBadRequest()
            disk.quarantine(target.dev, target.hashdir, bad)
            return webob.Response(status=204, content_type=None)
        ts = _timestamp(req)
        try:
            marker = disk._Marker(target.dev)
        except OSError:
            raise webob.exc.HTTPInsufficientStorage()
        [ok] = disk._in_threads([lambda: marker.commit(target.hashdir, ts + '.ts')])
        if not ok:
            raise webob.exc.HTTPInsufficientStorage()
        return _written(204, marker)


def _written(status, writer):
    resp = webob.Response(status=status, content_type=None)
    resp.headers['X-Backend-Replaces'] = 'yes' if writer.replaces else 'no'
    return resp


def _file_iter(f, length):
    try:
        while length > 0:
            chunk = f.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        f.close()


def _read_all(source, limit):
    body = bytearray()
    while len(body) < limit:
        chunk = source.read(min(CHUNK, limit - len(body)))
        if not chunk:
            break
        body += chunk
    return bytes(body)


def _receive_data(req, writer, ts):
    """Stream a .data body to `writer`, checking as it goes that the data
    matches its footer's MD5 and size and that the footer is the request's
    (its timestamp); 422 when not, 400 when the body ends short."""
    md5, size = hashlib.md5(), 0
    tail = bytearray()
    source = req.environ['wsgi.input']
    while True:
        try:
            chunk = source.read(CHUNK)
        except (OSError, ValueError) as e:     # the sender went away mid-body
            raise webob.exc.HTTPBadRequest('the body ended short: %s' % e)
        if not chunk:
            break
        writer.write(chunk)
        tail += chunk
        if len(tail) > HOLD_BACK:
            spill = len(tail) - HOLD_BACK
            md5.update(tail[:spill])
            size += spill
            del tail[:spill]
    if len(tail) < disk.FOOTER.size:
        raise webob.exc.HTTPUnprocessableEntity('no footer')
    length, magic = disk.FOOTER.unpack(bytes(tail[-disk.FOOTER.size:]))
    data_end = len(tail) - disk.FOOTER.size - length
    if magic != disk.MAGIC or data_end < 0:
        raise webob.exc.HTTPUnprocessableEntity('bad footer')
    try:
        info = json.loads(bytes(tail[data_end:-disk.FOOTER.size]))
    except ValueError:
        raise webob.exc.HTTPUnprocessableEntity('bad footer')
    md5.update(tail[:data_end])
    size += data_end
    if (info.get('etag') != md5.hexdigest() or info.get('size') != size
            or disk.normalize_timestamp(info.get('timestamp', 0)) != ts):
        raise webob.exc.HTTPUnprocessableEntity('the data does not match its footer')


def app_from_config(conf=None):
    conf = conf or CONF
    return ObjectServer(ring_mod.parse_bind(conf.object_store.object_server_bind),
                        conf.object_store.object_server_key)
