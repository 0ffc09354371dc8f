"""Objects: /v1/{account}/{container}/{object}."""
import math
import mimetypes
import time
import urllib.parse
import uuid

import webob

from cloudstack.object_store.api import util
from cloudstack.object_store import manager as os_manager

# Request bodies are read this much at a time (while the previous chunk is
# written to the replicas).
CHUNK = 1 << 20
MAX_RANGES = 50
SYSMETA_ENV = util.SYSMETA_ENV


def _mgr():
    return os_manager.get()


def dispatch(req, account, container, obj):
    handler = {'GET': get, 'HEAD': get, 'PUT': put, 'POST': post,
               'DELETE': delete, 'COPY': copy}.get(req.method)
    if handler is None:
        raise util.error(405, 'Method Not Allowed',
                         headers={'Allow': 'COPY, DELETE, GET, HEAD, POST, PUT'})
    return handler(req, account, container, obj)


# --- request parsing --------------------------------------------------------
# Swift's timestamps are below 10**10 seconds.
MAX_DELETE_AT = 9999999999


def _seconds(value):
    """The whole seconds of an integer or a Swift timestamp (1700000000.12345),
    or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        pass
    try:
        at = float(value)
    except (TypeError, ValueError):
        return None
    return int(at) if math.isfinite(at) else None


def delete_at(value):
    """The X-Delete-At Swift keeps for a header's value (clamped to
    0..9999999999, as Swift's proxy does), or None when it is no number."""
    at = _seconds(value)
    return None if at is None else max(0, min(at, MAX_DELETE_AT))


def object_metadata(req):
    """X-Object-Meta-* and the other headers kept with the object, with
    X-Delete-After turned into X-Delete-At."""
    meta, _ = util.meta_headers(req, 'object')
    for header in os_manager.OBJECT_HEADERS:
        if header in req.headers and header != 'X-Delete-At':
            meta[header] = req.headers[header]
    now = time.time()
    if 'X-Delete-At' in req.headers:
        at = delete_at(req.headers['X-Delete-At'])
        if at is None:
            raise util.error(400, 'Bad Request', 'Non-integer X-Delete-At')
        if at <= now:
            raise util.error(400, 'Bad Request', 'X-Delete-At in past')
        meta['X-Delete-At'] = str(at)
    if 'X-Delete-After' in req.headers:
        try:
            after = int(req.headers['X-Delete-After'])
        except ValueError:
            raise util.error(400, 'Bad Request', 'Non-integer X-Delete-After')
        if after < 0:
            raise util.error(400, 'Bad Request', 'X-Delete-After in past')
        meta['X-Delete-At'] = str(min(int(now + after), MAX_DELETE_AT))
    # What a filter keeps with the object (its sysmeta), never from headers.
    meta.update(req.environ.get(SYSMETA_ENV) or {})
    return meta


def body_chunks(req):
    """The request body as an iterator of chunks, read as it streams in."""
    length = req.content_length
    chunked = 'chunked' in req.headers.get('Transfer-Encoding', '').lower()
    if length is None and not chunked:
        raise util.error(411, 'Length Required')
    if length is not None and length > os_manager.MAX_FILE_SIZE:
        raise util.error(413, 'Request Entity Too Large')
    stream = req.environ['wsgi.input']

    def gen():
        left = None if chunked else length
        total = 0
        while left is None or left > 0:
            data = stream.read(CHUNK if left is None else min(CHUNK, left))
            if not data:
                if left:
                    raise util.error(499, 'Client Disconnect')
                return
            total += len(data)
            if total > os_manager.MAX_FILE_SIZE:
                raise util.error(413, 'Request Entity Too Large')
            if left is not None:
                left -= len(data)
            yield data
    return gen()


def content_type_for(req, obj):
    ctype = req.headers.get('Content-Type')
    detect = req.headers.get('X-Detect-Content-Type', '').lower() in ('true', '1', 'yes')
    if not ctype or detect:
        ctype = mimetypes.guess_type(obj)[0] or 'application/octet-stream'
    return ctype


def _split_target(value, header):
    value = util.header_path(value)
    parts = value.lstrip('/').split('/', 1)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise util.error(412, 'Precondition Failed',
                         '%s header must be of the form <container name>/<object name>'
                         % header)
    return parts[0], parts[1]


# --- responses --------------------------------------------------------------
def object_headers(row):
    h = {
        'Content-Type': row.content_type,
        'ETag': row.etag,
        'Last-Modified': util.http_date(row.timestamp),
        'X-Timestamp': util.display_ts(row.timestamp),
        'Accept-Ranges': 'bytes',
    }
    h.update(row.meta or {})
    return h


def check_conditions(req, row):
    """304/412 per If-Match, If-None-Match, If-(Un)Modified-Since."""
    headers = object_headers(row)
    keep = {k: headers[k] for k in ('ETag', 'Last-Modified', 'X-Timestamp',
                                    'Content-Type', 'Accept-Ranges')}
    status = util.conditions(req, row.etag, float(row.timestamp))
    if status == 412:
        raise util.error(412, 'Precondition Failed', headers=keep)
    if status == 304:
        raise util.error(304, 'Not Modified', headers=keep)


def parse_range(value, size):
    """[(start, end)] inclusive; None to ignore the header; [] unsatisfiable."""
    if not value or not value.strip().lower().startswith('bytes='):
        return None
    ranges = []
    specs = value.strip()[6:].split(',')
    if len(specs) > MAX_RANGES:
        return None
    for spec in specs:
        spec = spec.strip()
        if '-' not in spec:
            return None
        first, _, last = spec.partition('-')
        try:
            if first == '':
                if last == '':
                    return None
                n = int(last)
                if n == 0:
                    continue
                ranges.append((max(size - n, 0), size - 1))
                continue
            start = int(first)
            end = int(last) if last else size - 1
        except ValueError:
            return None
        if last and int(last) < start:
            return None
        if start >= size:
            continue
        ranges.append((start, min(end, size - 1)))
    return [r for r in ranges if r[1] >= r[0]]


def get(req, account, container, obj):
    mgr = _mgr()
    crow, _ = util.container_access(req, account, container)
    _, row = mgr.get_object(req.context, account, container, obj, crow=crow)
    check_conditions(req, row)
    headers = object_headers(row)
    resp = webob.Response(status=200, content_type=None, conditional_response=False)
    for k, v in headers.items():
        resp.headers[k] = v
    ranges = parse_range(req.headers.get('Range'), row.size)
    if ranges is not None and row.size > 0 and not ranges:
        raise util.error(416, 'Requested Range Not Satisfiable',
                         headers={'Content-Range': 'bytes */%d' % row.size})
    if req.method == 'HEAD':
        resp.app_iter = []
        resp.headers['Content-Length'] = str(row.size)
        return resp
    if not ranges or row.size == 0:
        _, chunks = mgr.read_object(account, container, row, crow=crow)
        resp.app_iter = chunks
        resp.headers['Content-Length'] = str(row.size)
        return resp
    resp.status = 206
    if len(ranges) == 1:
        start, end = ranges[0]
        _, chunks = mgr.read_object(account, container, row, start, end, crow=crow)
        resp.app_iter = chunks
        resp.headers['Content-Range'] = 'bytes %d-%d/%d' % (start, end, row.size)
        resp.headers['Content-Length'] = str(end - start + 1)
        return resp
    boundary = uuid.uuid4().hex
    parts = []
    length = 0
    for start, end in ranges:
        head = ('--%s\r\nContent-Type: %s\r\nContent-Range: bytes %d-%d/%d\r\n\r\n' % (
            boundary, row.content_type, start, end, row.size)).encode()
        parts.append((head, start, end))
        length += len(head) + (end - start + 1) + 2
    tail = ('--%s--' % boundary).encode()
    length += len(tail)

    def multipart():
        for head, start, end in parts:
            yield head
            _, chunks = mgr.read_object(account, container, row, start, end, crow=crow)
            yield from chunks
            yield b'\r\n'
        yield tail
    resp.app_iter = multipart()
    resp.headers['Content-Type'] = 'multipart/byteranges;boundary=%s' % boundary
    resp.headers['Content-Length'] = str(length)
    return resp


def _created(row, extra=None):
    headers = {'ETag': row.etag, 'Last-Modified': util.http_date(row.timestamp),
               'X-Timestamp': util.display_ts(row.timestamp)}
    headers.update(extra or {})
    return util.empty(201, headers)


def put(req, account, container, obj):
    mgr = _mgr()
    if_none = req.headers.get('If-None-Match')
    if if_none is not None and if_none.strip() != '*':
        raise util.error(400, 'Bad Request', 'If-None-Match only supports *')
    meta = object_metadata(req)
    if 'X-Copy-From' in req.headers:
        if req.content_length not in (None, 0):
            raise util.error(400, 'Bad Request',
                             'Copy requests require a zero byte body')
        src_container, src_obj = _split_target(req.headers['X-Copy-From'],
                                               'X-Copy-From')
        src_account = util.header_path(req.headers.get('X-Copy-From-Account')) or account
        return _copy(req, src_account, src_container, src_obj,
                     account, container, obj, meta)
    ctype = content_type_for(req, obj)
    etag = req.headers.get('ETag')
    etag = etag.strip().strip('"').lower() if etag else None
    crow, _ = util.container_access(req, account, container, write=True)
    chunks = body_chunks(req)
    sync_ts = req.environ.get(util.SYNC_TIMESTAMP_ENV)
    if sync_ts:
        _, row = mgr.put_object_at(req.context, account, container, obj, chunks,
                                   ctype, meta, sync_ts, etag=etag, crow=crow)
        return _created(row)
    _, row = mgr.put_object(req.context, account, container, obj, chunks,
                            ctype, meta, etag=etag,
                            if_none_match=if_none is not None, crow=crow)
    return _created(row)


def _copy(req, src_account, src_container, src_obj, dst_account,
          dst_container, dst_obj, meta):
    fresh = req.headers.get('X-Fresh-Metadata', '').lower() in ('true', '1', 'yes')
    ctype = req.headers.get('Content-Type') if req.method == 'PUT' or \
        'Content-Type' in req.headers else None
    src_crow, _ = util.container_access(req, src_account, src_container)
    dst_crow, _ = util.container_access(req, dst_account, dst_container, write=True)
    src, row = _mgr().copy_object(
        req.context, src_account, src_container, src_obj, dst_account,
        dst_container, dst_obj, meta, ctype, fresh=fresh, src_crow=src_crow,
        dst_crow=dst_crow, byte_range=_copy_range(req.headers.get('Range')))
    extra = {
        'X-Copied-From': urllib.parse.quote('%s/%s' % (src_container, src_obj)),
        'X-Copied-From-Last-Modified': util.http_date(src.timestamp),
    }
    if src_account != dst_account:
        extra['X-Copied-From-Account'] = urllib.parse.quote(src_account)
    # Swift answers a copy with the metadata the new object carries.
    extra.update((k, v) for k, v in row.meta.items()
                 if k.startswith('X-Object-Meta-') or k == 'X-Delete-At')
    return _created(row, extra)


def _copy_range(header):
    """None, or the function giving the (first, last) bytes of a source of
    a size that a copy's Range asks for (Swift copies that range only);
    416 when none of it is in the source."""
    if not header:
        return None

    def pick(size):
        ranges = parse_range(header, size)
        if ranges is None or (size == 0 and not ranges):
            return None, None
        if not ranges:
            raise util.error(416, 'Requested Range Not Satisfiable',
                             headers={'Content-Range': 'bytes */%d' % size})
        return ranges[0]          # of several, the first
    return pick


def copy(req, account, container, obj):
    if 'Destination' not in req.headers:
        raise util.error(412, 'Precondition Failed',
                         'You must provide a Destination header')
    dst_container, dst_obj = _split_target(req.headers['Destination'], 'Destination')
    dst_account = util.header_path(req.headers.get('Destination-Account')) or account
    meta = object_metadata(req)
    return _copy(req, account, container, obj, dst_account, dst_container,
                 dst_obj, meta)


def post(req, account, container, obj):
    meta = object_metadata(req)
    ctype = req.headers.get('Content-Type')
    crow, _ = util.container_access(req, account, container, write=True)
    _mgr().update_object(req.context, account, container, obj, ctype, meta, crow=crow)
    return util.empty(202)


def delete(req, account, container, obj):
    if_delete_at = None
    if 'X-If-Delete-At' in req.headers:
        if_delete_at = _seconds(req.headers['X-If-Delete-At'])
        if if_delete_at is None:
            raise util.error(400, 'Bad Request', 'Bad X-If-Delete-At header value')
    crow, _ = util.container_access(req, account, container, write=True)
    _mgr().delete_object(req.context, account, container, obj, crow=crow,
                         if_delete_at=if_delete_at,
                         ts=req.environ.get(util.SYNC_TIMESTAMP_ENV))
    return util.empty(204)
