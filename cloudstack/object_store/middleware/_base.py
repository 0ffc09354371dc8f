"""What the large-object, symlink and versioning filters share.

Not a filter itself: path parsing, subrequests down the rest of the
pipeline, the sysmeta hand-off with the app (api/util.SYSMETA_ENV), and
large-object responses (segments streamed one after another, with Range and
conditional requests judged on the whole).
"""
import hashlib
import json
import logging
import urllib.parse
import uuid

import webob

from cloudstack.api import wsgi
from cloudstack.object_store.api import util
from cloudstack.object_store import manager as os_manager
from cloudstack.object_store import middleware

LOG = logging.getLogger(__name__)

SYSMETA_ENV = util.SYSMETA_ENV
SHOW_SYSMETA_ENV = util.SHOW_SYSMETA_ENV
LISTING_LIMIT = 10000
MAX_RANGES = 50


class Filter:
    """A Paste filter over the rest of the object_store pipeline."""

    def __init__(self, app, conf):
        self.app = app
        self.conf = conf

    @classmethod
    def factory(cls, global_conf, **local_conf):
        conf = dict(global_conf)
        conf.update(local_conf)

        def make(app):
            return cls(app, conf)
        return make

    @wsgi.handles_requests
    def __call__(self, req):
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if parts is None:
            return self.app
        return self.handle(req, *parts)

    def handle(self, req, version, account, container, obj):
        return self.app


def sub(req, method, path, headers=None, body=None, query=None,
        show_sysmeta=False, sysmeta=None, context=None):
    """A subrequest (path like '/v1/a/c/o', unquoted parts joined)."""
    qs = urllib.parse.urlencode(query or {})
    r = middleware.subrequest(req.environ, method, path, headers=headers,
                              body=body, context=context, query_string=qs)
    if show_sysmeta:
        r.environ[SHOW_SYSMETA_ENV] = True
    if sysmeta:
        r.environ[SYSMETA_ENV] = dict(sysmeta)
    return r


def call(app, subreq):
    return subreq.get_response(app)


def close(resp):
    it = resp.app_iter
    if hasattr(it, 'close'):
        try:
            it.close()
        except Exception:       # noqa: closing is best effort
            pass


def body_of(resp):
    try:
        return b''.join(resp.app_iter)
    finally:
        close(resp)


def is_success(resp):
    return 200 <= resp.status_int < 300


def error(code, title, message=None, headers=None, content_type=None):
    """A Swift-style error response (rendered like the app's)."""
    resp = webob.Response(status=code, content_type=None)
    if message is None:
        resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
        resp.body = ('<html><h1>%s</h1><p>%s</p></html>' % (
            title, util._BODIES.get(code, title))).encode()
    else:
        resp.headers['Content-Type'] = content_type or 'text/plain; charset=UTF-8'
        resp.body = message.encode() if isinstance(message, str) else message
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def finish(req, resp):
    return util.finish(req, resp)


def strip_headers(resp, prefixes):
    prefixes = tuple(p.lower() for p in prefixes)
    for key in [k for k in resp.headers if k.lower().startswith(prefixes)]:
        del resp.headers[key]


def add_sysmeta(req, sysmeta):
    """Have the app store `sysmeta` with what req writes."""
    req.environ[SYSMETA_ENV] = dict(req.environ.get(SYSMETA_ENV) or {}, **sysmeta)


def show_sysmeta(req):
    """Let the app's response to req carry sysmeta; returns whether an
    outer filter had already asked for it (pass to hide_sysmeta)."""
    was = bool(req.environ.get(SHOW_SYSMETA_ENV))
    req.environ[SHOW_SYSMETA_ENV] = True
    return was


def hide_sysmeta(resp, was_shown, own):
    """Remove our sysmeta headers (`own`) from resp, and every sysmeta
    header unless an outer filter wants to see it."""
    strip_headers(resp, own)
    if not was_shown:
        util.hide_sysmeta(resp)


def no_content(req):
    return finish(req, util.empty(204))


def truthy(value):
    return str(value or '').strip().lower() in ('1', 'true', 'yes', 'on', 't', 'y')


class IterReader:
    """A file-like reader over an iterator of byte chunks."""

    def __init__(self, chunks, on_close=None):
        self.chunks = iter(chunks)
        self.buf = b''
        self.on_close = on_close

    def read(self, n=-1):
        while n < 0 or len(self.buf) < n:
            try:
                self.buf += next(self.chunks)
            except StopIteration:
                break
        if n < 0:
            out, self.buf = self.buf, b''
        else:
            out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def close(self):
        if self.on_close:
            self.on_close()


def listing(app, req, account, container, prefix, reverse=False, limit=None):
    """Yield the JSON listing entries of a container under prefix (paged);
    raises ListingError with the response when it cannot be read."""
    marker = ''
    count = 0
    while True:
        query = {'format': 'json', 'prefix': prefix}
        if marker:
            query['marker'] = marker
        if reverse:
            query['reverse'] = 'true'
        resp = call(app, sub(req, 'GET', middleware.quote_path('v1', account, container),
                             query=query))
        if resp.status_int == 204:
            return
        if not is_success(resp):
            raise ListingError(resp)
        entries = json.loads(body_of(resp) or b'[]')
        for entry in entries:
            yield entry
            count += 1
            if limit is not None and count >= limit:
                return
        if len(entries) < LISTING_LIMIT:
            return
        marker = entries[-1].get('name') or entries[-1].get('subdir')


class ListingError(Exception):
    def __init__(self, resp):
        super().__init__(resp.status)
        self.resp = resp


# --- large objects ---------------------------------------------------------
class Segment:
    """A piece of a large object: bytes [first, last] of /account/container/obj,
    or of `data` (an SLO's inline data segment)."""

    __slots__ = ('account', 'container', 'obj', 'first', 'last', 'etag', 'whole',
                 'data')

    def __init__(self, account, container, obj, first, last, etag=None, whole=True,
                 data=None):
        self.account, self.container, self.obj = account, container, obj
        self.first, self.last = first, last
        self.etag = etag
        self.whole = whole          # first..last is the whole object
        self.data = data

    @property
    def length(self):
        return self.last - self.first + 1


def cut(segments, start, end):
    """The segments covering bytes [start, end] of their concatenation."""
    out = []
    pos = 0
    for seg in segments:
        n = seg.length
        if n <= 0:
            continue
        lo, hi = pos, pos + n - 1
        pos += n
        if hi < start:
            continue
        if lo > end:
            break
        a = seg.first + max(start - lo, 0)
        b = seg.last - max(hi - end, 0)
        out.append(Segment(seg.account, seg.container, seg.obj, a, b, seg.etag,
                           whole=seg.whole and a == seg.first and b == seg.last,
                           data=seg.data))
    return out


class SegmentError(Exception):
    def __init__(self, message, resp=None):
        super().__init__(message)
        self.resp = resp


def open_segment(app, req, seg, check_etag=False):
    """The response of one segment's read (raises SegmentError)."""
    headers = {}
    if not seg.whole:
        headers['Range'] = 'bytes=%d-%d' % (seg.first, seg.last)
    resp = call(app, sub(req, 'GET', middleware.quote_path('v1', seg.account, seg.container,
                                                 seg.obj),
                         headers=headers, query={'multipart-manifest': 'get'}))
    if not is_success(resp):
        close(resp)
        raise SegmentError('While processing manifest /%s/%s/%s, got %d while '
                           'retrieving /%s/%s' % (
                               seg.account, req.environ.get('cloudstack.lo.container', ''),
                               req.environ.get('cloudstack.lo.obj', ''),
                               resp.status_int, seg.container, seg.obj), resp)
    if check_etag and seg.etag and \
            resp.headers.get('ETag', '').strip('"') != seg.etag:
        close(resp)
        raise SegmentError('Object segment no longer valid: /%s/%s etag: %s != %s' % (
            seg.container, seg.obj, resp.headers.get('ETag', '').strip('"'), seg.etag))
    if seg.whole and resp.content_length is not None and \
            resp.content_length != seg.length:
        close(resp)
        raise SegmentError('Object segment no longer valid: /%s/%s size: %s != %d' % (
            seg.container, seg.obj, resp.content_length, seg.length))
    return resp


def stream(app, req, segments, check_etag=False, first=None):
    """The bytes of the segments, one subrequest at a time. A failure after
    the response started ends the body early (the client sees a short read)."""
    for i, seg in enumerate(segments):
        if seg.data is not None:
            yield seg.data[seg.first:seg.last + 1]
            continue
        if i == 0 and first is not None:
            resp = first
        else:
            try:
                resp = open_segment(app, req, seg, check_etag)
            except SegmentError as exc:
                LOG.error('Large object read stopped: %s', exc)
                raise
        try:
            sent = 0
            for chunk in resp.app_iter:
                sent += len(chunk)
                yield chunk
            if sent != seg.length:
                LOG.error('Segment /%s/%s gave %d bytes, expected %d',
                          seg.container, seg.obj, sent, seg.length)
                raise SegmentError('short segment')
        finally:
            close(resp)


def parse_range(value, size):
    """[(start, end)] inclusive; None to ignore the header; [] unsatisfiable."""
    from cloudstack.object_store.api import objects
    return objects.parse_range(value, size)


# Headers of the manifest that do not describe the large object.
_DROP = ('content-length', 'etag', 'content-range', 'accept-ranges',
         'transfer-encoding')


def large_response(app, req, manifest_resp, segments, size, etag,
                   check_etag=False, content_type=None):
    """The GET/HEAD answer for a large object made of `segments`.

    `manifest_resp` gives the headers; `etag` is the unquoted ETag of the
    whole (None: no ETag)."""
    headers = [(k, v) for k, v in manifest_resp.headers.items()
               if k.lower() not in _DROP]
    ctype = content_type or os_manager.split_content_type(
        manifest_resp.headers.get('Content-Type'))[0]
    lm = util.parse_date(manifest_resp.headers.get('Last-Modified'))
    ts = manifest_resp.headers.get('X-Timestamp')
    if ts:
        try:
            lm = float(ts)
        except ValueError:
            pass

    def base(status):
        resp = webob.Response(status=status, content_type=None,
                              conditional_response=False)
        for k, v in headers:
            if k.lower() == 'content-type':
                continue
            resp.headers.add(k, v)
        resp.headers['Content-Type'] = ctype or 'application/octet-stream'
        if etag is not None:
            resp.headers['ETag'] = '"%s"' % etag
        resp.headers['Accept-Ranges'] = 'bytes'
        return resp

    status = util.conditions(req, etag, lm) if etag is not None else None
    if status is not None:
        resp = base(status)
        if status == 412:
            resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
            resp.body = ('<html><h1>Precondition Failed</h1><p>%s</p></html>' %
                         util._BODIES[412]).encode()
        else:
            resp.app_iter = []
            resp.headers.pop('Content-Length', None)
        return resp
    ranges = parse_range(req.headers.get('Range'), size)
    if ranges is not None and size > 0 and not ranges:
        resp = base(416)
        resp.headers['Content-Range'] = 'bytes */%d' % size
        resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
        resp.body = ('<html><h1>Requested Range Not Satisfiable</h1><p>%s</p>'
                     '</html>' % util._BODIES[416]).encode()
        return resp
    if not ranges or size == 0:
        resp = base(200)
        if req.method == 'HEAD':
            return _set_body(resp, [], size)
        return _with_first(app, req, resp, list(segments), check_etag, size)
    resp = base(206)
    if len(ranges) == 1:
        start, end = ranges[0]
        resp.headers['Content-Range'] = 'bytes %d-%d/%d' % (start, end, size)
        if req.method == 'HEAD':
            return _set_body(resp, [], end - start + 1)
        return _with_first(app, req, resp, cut(segments, start, end), check_etag,
                           end - start + 1)
    boundary = uuid.uuid4().hex
    parts = []
    length = 0
    for start, end in ranges:
        head = ('--%s\r\nContent-Type: %s\r\nContent-Range: bytes %d-%d/%d\r\n\r\n' % (
            boundary, ctype, start, end, size)).encode()
        parts.append((head, start, end))
        length += len(head) + (end - start + 1) + 2
    tail = ('--%s--' % boundary).encode()
    length += len(tail)
    resp.headers['Content-Type'] = 'multipart/byteranges;boundary=%s' % boundary
    if req.method == 'HEAD':
        return _set_body(resp, [], length)
    segs = list(segments)

    def multipart():
        for head, start, end in parts:
            yield head
            yield from stream(app, req, cut(segs, start, end), check_etag)
            yield b'\r\n'
        yield tail
    return _set_body(resp, multipart(), length)


def _set_body(resp, app_iter, length):
    resp.app_iter = app_iter
    resp.headers['Content-Length'] = str(length)
    return resp


def _with_first(app, req, resp, segments, check_etag, length):
    """Open the first segment before answering, so that a missing or changed
    first segment is an error status rather than an empty 200."""
    first = None
    if segments and segments[0].data is None:
        try:
            first = open_segment(app, req, segments[0], check_etag)
        except SegmentError as exc:
            return error(409, 'Conflict', str(exc))
    return _set_body(resp, stream(app, req, segments, check_etag, first=first),
                     length)


def etag_of_etags(etags):
    md5 = hashlib.md5(usedforsecurity=False)
    for e in etags:
        md5.update(e.encode())
    return md5.hexdigest()


# --- copies of large objects -------------------------------------------------
def copy_paths(req, account, container, obj):
    """((src account, container, obj), (dst account, container, obj)) of a
    COPY or a PUT with X-Copy-From, or None."""
    def split(value):
        c, _, o = util.header_path(value).lstrip('/').partition('/')
        return (c, o) if c and o else None
    if req.method == 'COPY':
        dst = split(req.headers.get('Destination'))
        if dst is None:
            return None
        d_account = util.header_path(req.headers.get('Destination-Account')) or account
        return (account, container, obj), (d_account,) + dst
    if req.method == 'PUT' and 'X-Copy-From' in req.headers:
        src = split(req.headers['X-Copy-From'])
        if src is None:
            return None
        s_account = util.header_path(req.headers.get('X-Copy-From-Account')) or account
        return (s_account,) + src, (account, container, obj)
    return None


# What a copy of a large object keeps of the source's headers.
_COPY_KEEP = ('content-type', 'content-encoding', 'content-disposition',
              'content-language', 'cache-control', 'expires', 'x-robots-tag')


def copied_headers(headers, request=False):
    """What a copy takes of the source's headers (or of the request's, its
    X-Delete-* too)."""
    prefixes = ('x-object-meta-', 'x-delete-') if request else ('x-object-meta-',)
    return {k: v for k, v in headers.items()
            if k.lower().startswith(prefixes) or k.lower() in _COPY_KEEP}


def copy_large(reader, writer, req, src, dst, src_query=None):
    """Copy the large object at src by reading it (or the one range asked) through `reader`
    (which resolves it) and writing a plain object at dst through `writer`,
    the request's metadata applied as the app applies it to copies.
    `src_query` is added to the source's read (a version-id)."""
    # a copy with one Range copies that range, as of a plain object
    wanted = req.headers.get('Range', '')
    part = req.GET.get('part-number')       # the source's part only
    query = dict(src_query or {})
    if part:
        query['part-number'] = part
    get = call(reader, sub(req, 'GET', middleware.quote_path('v1', *src),
                           headers={'Range': wanted} if wanted and ',' not in wanted
                           else None,
                           query=query or None))
    if not is_success(get):
        close(get)
        return finish(req, error(get.status_int, get.status.split(' ', 1)[-1]))
    headers = {}
    if not truthy(req.headers.get('X-Fresh-Metadata')):
        headers.update(copied_headers(get.headers))
    headers.update(copied_headers(req.headers, request=True))
    if 'Content-Type' not in headers:
        headers['Content-Type'] = get.headers.get('Content-Type',
                                                  'application/octet-stream')
    put = sub(req, 'PUT', middleware.quote_path('v1', *dst), headers=headers)
    put.body_file = IterReader(get.app_iter, on_close=lambda: close(get))
    put.content_length = get.content_length or 0
    try:
        resp = call(writer, put)
    finally:
        close(get)
    if is_success(resp):
        resp.headers['X-Copied-From'] = urllib.parse.quote('%s/%s' % src[1:])
        if get.headers.get('Last-Modified'):
            resp.headers['X-Copied-From-Last-Modified'] = get.headers['Last-Modified']
        if src[0] != dst[0]:
            resp.headers['X-Copied-From-Account'] = urllib.parse.quote(src[0])
        for k, v in headers.items():
            if k.lower().startswith('x-object-meta-'):
                resp.headers[k] = v
    return resp
