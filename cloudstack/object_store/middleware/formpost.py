"""Form POST: browsers upload objects with an HTML form, no token needed.

A POST of multipart/form-data to /v1/<account>/<container>[/<prefix>]
carries, before its files, the fields redirect, max_file_size,
max_file_count, expires and signature: an HMAC (sha1/sha256/sha512, hex or
'<digest>:<base64>') of

    <path>\\n<redirect>\\n<max_file_size>\\n<max_file_count>\\n<expires>

keyed with an account or container Temp-URL-Key (as for temp URLs). Each
file field becomes the object <prefix><filename>, PUT down the pipeline as
the account's owner. Optional fields: x_delete_at, x_delete_after,
content-type (per file, after it). The answer is a 303 to `redirect` with
?status=&message=, or without redirect a short body with that status.
"""
import html
import time
import urllib.parse

import webob.util

from cloudstack.api import wsgi
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _common
from cloudstack.object_store import policies

CHUNK = 65536
MAX_FIELD = 8192          # bytes of a non-file field
MAX_HEADERS = 8192        # bytes of one part's headers
SIGNED = ('redirect', 'max_file_size', 'max_file_count', 'expires', 'signature')


class FormError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


class MultipartReader:
    """Streams the parts of a multipart body: next_part() gives
    (headers dict with lower-case keys, part) where part.read(n) ends at
    the part's boundary; None after the last part."""

    def __init__(self, stream, boundary, length=None):
        self.stream = stream
        self.left = length
        self.delim = b'\r\n--' + boundary
        self.buf = b'\r\n'        # so the first boundary looks like the others
        self.done = False
        self.in_part = False

    def _fill(self):
        if self.left is not None and self.left <= 0:
            return False
        n = CHUNK if self.left is None else min(CHUNK, self.left)
        data = self.stream.read(n)
        if not data:
            self.left = 0
            return False
        if self.left is not None:
            self.left -= len(data)
        self.buf += data
        return True

    def _read_part(self, size):
        """Up to `size` bytes of the current part; b'' at its end."""
        if not self.in_part:
            return b''
        while True:
            idx = self.buf.find(self.delim)
            if idx >= 0:
                if idx == 0:
                    self.in_part = False
                    return b''
                n = min(idx, size)
                out, self.buf = self.buf[:n], self.buf[n:]
                return out
            # keep what may be the start of the delimiter
            safe = len(self.buf) - len(self.delim)
            if safe > 0 and (safe >= size or not self._can_fill()):
                n = min(safe, size)
                out, self.buf = self.buf[:n], self.buf[n:]
                return out
            if not self._fill():
                raise FormError(400, 'FormPost: invalid starting boundary')

    def _can_fill(self):
        return self.left is None or self.left > 0

    def next_part(self):
        while self.in_part:
            if not self._read_part(CHUNK):
                break
        if self.done:
            return None
        # find the boundary, then see whether it is the closing one
        while True:
            idx = self.buf.find(self.delim)
            if idx >= 0 and len(self.buf) >= idx + len(self.delim) + 2:
                break
            if not self._fill():
                raise FormError(400, 'FormPost: invalid starting boundary')
        after = idx + len(self.delim)
        tail = self.buf[after:after + 2]
        if tail == b'--':
            self.done = True
            return None
        self.buf = self.buf[after:]
        while b'\r\n\r\n' not in self.buf:
            if len(self.buf) > MAX_HEADERS or not self._fill():
                raise FormError(400, 'FormPost: invalid part headers')
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        headers = {}
        for line in head.split(b'\r\n')[1:]:
            if b':' in line:
                k, _, v = line.partition(b':')
                headers[k.strip().decode('latin-1').lower()] = \
                    v.strip().decode('utf-8', 'replace')
        self.in_part = True
        return headers, _Part(self)


class _Part:
    def __init__(self, reader):
        self.reader = reader

    def read(self, size=CHUNK):
        if size is None or size < 0:
            size = CHUNK
        return self.reader._read_part(size)


def _param(value, name):
    """The parameters of a header value: Content-Disposition's `name`."""
    for item in value.split(';')[1:]:
        k, _, v = item.strip().partition('=')
        if k.strip().lower() == name:
            v = v.strip()
            if len(v) >= 2 and v[0] == v[-1] == '"':
                v = v[1:-1]
            return v
    return None


class _Limited:
    """A part's bytes with a cap: over it, the upload fails."""

    def __init__(self, part, limit):
        self.part, self.limit, self.total = part, limit, 0

    def read(self, size=CHUNK):
        data = self.part.read(size)
        self.total += len(data)
        if self.total > self.limit:
            raise FormError(400, 'FormPost: max_file_size exceeded')
        return data


class FormPost:

    def __init__(self, app, conf):
        self.app = app
        self.digests = tuple(conf.get('allowed_digests', 'sha1 sha256 sha512').split())

    @wsgi.handles_requests
    def __call__(self, req):
        if req.method != 'POST':
            return self.app
        ctype = req.headers.get('Content-Type', '')
        if ctype.split(';', 1)[0].strip().lower() != 'multipart/form-data':
            return self.app
        boundary = _param(ctype, 'boundary')
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if not boundary or parts is None or not parts[2]:
            return self.app
        _, account, container, prefix = parts
        attrs = {}
        try:
            status, message = self._upload(req, account, container, prefix,
                                           boundary.encode('latin-1'), attrs)
        except FormError as exc:
            status, message = exc.status, exc.message
        redirect = attrs.get('redirect')
        if redirect:
            sep = '&' if '?' in redirect else '?'
            location = '%s%sstatus=%s&message=%s' % (
                redirect, sep, status, urllib.parse.quote(message))
            body = '<html><body><p><a href="%s">Click to continue...</a></p></body></html>' % (
                location.replace('"', '&quot;'))
            return _common.respond(req, 303, body, 'text/html; charset=UTF-8',
                                   headers={'Location': location})
        headers = {}
        if status == 401:
            headers['WWW-Authenticate'] = 'Swift realm="%s"' % account
        title = '%d %s' % (status, webob.util.status_reasons.get(status, ''))
        return _common.respond(req, status, '<h1>%s</h1><p>%s</p>' % (
            title.strip(), html.escape(message)), 'text/html; charset=UTF-8',
            headers=headers)

    def _check(self, req, account, container, prefix, attrs):
        try:
            expires = int(attrs.get('expires') or 0)
        except ValueError:
            raise FormError(400, 'FormPost: expired not an integer')
        if expires < time.time():
            raise FormError(401, 'FormPost: Form Expired')
        try:
            max_size = int(attrs.get('max_file_size') or '')
            max_count = int(attrs.get('max_file_count') or '')
        except ValueError:
            raise FormError(400, 'FormPost: max_file_size and max_file_count '
                                 'must be integers')
        parsed = _common.parse_signature(attrs.get('signature', ''), self.digests)
        if parsed is None:
            raise FormError(401, 'FormPost: Invalid Signature')
        paths = _common.path_variants(req)
        messages = [b'\n'.join([p] + [attrs.get(k, '').encode('utf-8') for k in (
            'redirect', 'max_file_size', 'max_file_count', 'expires')])
            for p in paths]
        keys = _common.account_keys(self.app, req.environ, account) + \
            _common.container_keys(self.app, req.environ, account, container)
        if not _common.matches(keys, messages, parsed):
            raise FormError(401, 'FormPost: Invalid Signature')
        return max_size, max_count

    def _upload(self, req, account, container, prefix, boundary, attrs):
        reader = MultipartReader(req.environ['wsgi.input'], boundary,
                                 req.content_length)
        limits = None
        count = 0
        while True:
            nxt = reader.next_part()
            if nxt is None:
                break
            headers, part = nxt
            disposition = headers.get('content-disposition', '')
            filename = _param(disposition, 'filename')
            name = _param(disposition, 'name') or ''
            if filename is None:
                value = b''
                while True:
                    data = part.read(CHUNK)
                    if not data:
                        break
                    value += data
                    if len(value) > MAX_FIELD:
                        raise FormError(400, 'FormPost: field too long')
                if limits is None or name.lower() not in SIGNED:
                    # what the signature covered is fixed once checked
                    attrs[name.lower()] = value.decode('utf-8', 'replace')
                continue
            if limits is None:
                limits = self._check(req, account, container, prefix, attrs)
            max_size, max_count = limits
            if not filename:
                continue        # an empty file input
            count += 1
            if count > max_count:
                raise FormError(400, 'FormPost: max_file_count exceeded')
            obj = prefix + filename
            sub_headers = {'Transfer-Encoding': 'chunked',
                           'Content-Type': headers.get('content-type')
                           or 'application/octet-stream'}
            if attrs.get('content-type'):
                sub_headers['Content-Type'] = attrs['content-type']
            for field, header in (('x_delete_at', 'X-Delete-At'),
                                  ('x_delete_after', 'X-Delete-After')):
                if attrs.get(field):
                    sub_headers[header] = attrs[field]
            body = _Limited(part, max_size)
            resp = _common.call(
                self.app, req.environ, 'PUT',
                middleware.quote_path('v1', account, container, obj),
                headers=sub_headers, body=body,
                context=policies.grant(account,
                                       req.environ.get('openstack.request_id')))
            if resp.status_int // 100 != 2:
                return resp.status_int, 'FormPost: ' + resp.status.split(' ', 1)[-1]
        if limits is None:
            limits = self._check(req, account, container, prefix, attrs)
        if not count:
            return 400, 'FormPost: no files to process'
        return 201, ''


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf, **local_conf)
    middleware.register_info(
        'formpost', allowed_digests=sorted(FormPost(None, conf).digests),
        deprecated_digests=['sha1'])

    def make(app):
        return FormPost(app, conf)
    return make
