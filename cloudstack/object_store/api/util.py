"""HTTP helpers of the Swift API: errors, common headers, listings."""
import email.utils
import json
import math
import time
import urllib.parse
import uuid
from xml.sax import saxutils

import webob

from cloudstack import exception
from cloudstack.object_store import manager as os_manager
from cloudstack.object_store import policies

# Swift's bodies for the errors that carry no specific message.
_BODIES = {
    401: 'This server could not verify that you are authorized to access '
         'the document you requested.',
    403: 'Access was denied to this resource.',
    404: 'The resource could not be found.',
    405: 'The method is not allowed for this resource.',
    409: 'There was a conflict when trying to complete your request.',
    411: 'Length Required',
    412: 'A precondition for this request was not met.',
    413: 'Your request is too large.',
    416: 'The Range requested is not available.',
    422: 'Unable to process the contained instructions',
    499: 'Client Disconnect',
    503: 'The server is currently unavailable. Please try again at a later time.',
}
_GENERIC = {'Not Found', 'Unauthorized', 'Forbidden', 'Conflict',
            'Precondition Failed', 'Unprocessable Entity', 'Length Required',
            'Service Unavailable', 'Requested Range Not Satisfiable'}


def error(code, title, message=None, headers=None):
    exc = exception.CloudstackError(message or title)
    exc.code, exc.title = code, title
    exc.headers.update(headers or {})
    return exc


def render_error(req, exc):
    code = exc.code
    resp = webob.Response(status=code, content_type=None)
    message = exc.message
    generic = (message in _GENERIC or message == exc.title
               or message == type(exc).message or code in (401, 403, 404))
    if code == 304:
        resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
    elif generic:
        resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
        resp.body = ('<html><h1>%s</h1><p>%s</p></html>' % (
            exc.title, _BODIES.get(code, exc.title))).encode()
    else:
        resp.headers['Content-Type'] = 'text/plain; charset=UTF-8'
        resp.body = message.encode()
    for k, v in exc.headers.items():
        resp.headers[k] = v
    if code == 401 and req.context is None:
        resp.headers['WWW-Authenticate'] = 'Swift realm="%s"' % (
            req.path_info.split('/')[2] if req.path_info.count('/') >= 2
            else 'unknown')
    return resp


# Names in the reserved namespace (object versioning's hidden containers)
# begin with this character. Swift's is NUL, which PostgreSQL cannot store.
RESERVED = '\x01'
# environ: a filter's own request, which may name reserved containers (and
# list them in account listings)
ALLOW_RESERVED_ENV = 'cloudstack.object_store.allow_reserved'
# environ: (account, hidden container, container) -- the request reads the
# hidden container with the rights the caller has on the container (object
# versioning's current versions, read through their container's ACLs)
ACL_AS_ENV = 'cloudstack.object_store.acl_as'
# environ: {(account, container): row} the filters already read for this
# request (middleware.owner_headers)
CONTAINER_ROWS_ENV = 'cloudstack.object_store.container_rows'
# environ: the X-Timestamp a verified container sync write keeps
SYNC_TIMESTAMP_ENV = 'cloudstack.object_store.sync_timestamp'
# Every reserved name of up to 256 UTF-8 bytes sorts below this one.
RESERVED_END = RESERVED + '\U0010ffff' * 64


def container_access(req, account, container, write=False, listing=False):
    """(container row, caller owns the account) once the caller may use the
    container as asked (policies.authorize_container); one read of the row,
    handed on to the manager."""
    mgr = os_manager.get()
    crow = (req.environ.get(CONTAINER_ROWS_ENV) or {}).get((account, container)) or \
        mgr.container_row(account, container)
    judged, judged_row = container, crow
    acl_as = req.environ.get(ACL_AS_ENV)
    if acl_as and acl_as[:2] == (account, container) and not write:
        judged = acl_as[2]
        judged_row = mgr.container_row(account, judged) if crow is not None else None
    try:
        owner = policies.authorize_container(
            req.context, account, judged_row, write=write, listing=listing,
            referrer=req.referer, account_acl=lambda: mgr.account_acl(account),
            container=judged)
    except exception.NotFound:
        mgr.get_account(req.context, account)   # an owner's account exists on first use
        raise
    return crow, owner


TRANS_ID_ENV = 'cloudstack.object_store.trans_id'


def request_trans_id(environ):
    """The request's Swift transaction id ('tx' + 21 hex digits of the
    request id + '-' + the time in hex), made once per client request."""
    tid = environ.get(TRANS_ID_ENV)
    if tid is None:
        rid = environ.get('openstack.request_id') or ''
        hexid = rid[4:].replace('-', '') if rid.startswith('req-') else ''
        if len(hexid) < 21:
            hexid = uuid.uuid4().hex
        tid = environ[TRANS_ID_ENV] = 'tx%s-%010x' % (hexid[:21], int(time.time()))
    return tid


def trans_id(req):
    return request_trans_id(req.environ)


def to_wsgi(text):
    """Text (a name, a decoded path) as a WSGI header or path string: its
    UTF-8 bytes, one character each (PEP 3333)."""
    return text.encode('utf-8').decode('latin-1')


def from_wsgi(value):
    """The text a WSGI string (a header value as received) carries, when it
    is UTF-8; else the string itself."""
    try:
        return value.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def header_path(value):
    """The text of a header naming a path or an account (Destination,
    X-Copy-From, ...): percent-encoded or raw UTF-8."""
    return urllib.parse.unquote(from_wsgi(value or ''))


# What stays as it is when a URL in a header is percent-encoded.
_URL_SAFE = "/:?&=%#;@!$'()*+,~[]"


def header_value(name, value):
    """A response header's value as a WSGI server can send it: latin-1
    characters only. Values made of text (a name that is not ASCII) become
    their UTF-8 bytes, as Swift sends metadata; URLs (Location,
    Content-Location) are percent-encoded instead, as Swift sends them."""
    if value.__class__ is not str:
        value = str(value)
    if value.isascii():
        return value
    try:
        value.encode('latin-1')
        return value
    except UnicodeEncodeError:
        pass
    if name.lower() in ('location', 'content-location'):
        return urllib.parse.quote(value, safe=_URL_SAFE)
    return to_wsgi(value)


# Filters (middleware/) keep their own state with containers and objects as
# sysmeta: they hand it to the app in this environ key ({header: value}, ''
# removes), and see it in responses only when they set SHOW_SYSMETA_ENV.
SYSMETA_ENV = 'cloudstack.object_store.sysmeta'
SHOW_SYSMETA_ENV = 'cloudstack.object_store.show_sysmeta'
SYSMETA_PREFIXES = ('x-account-sysmeta-', 'x-container-sysmeta-',
                    'x-object-sysmeta-')


def is_sysmeta(header):
    return header.lower().startswith(SYSMETA_PREFIXES)


def hide_sysmeta(resp):
    """Remove what filters keep from a response to a client: sysmeta
    headers and the content type's listing parameters."""
    for key in [k for k in resp.headers if is_sysmeta(k)]:
        del resp.headers[key]
    ctype = resp.headers.get('Content-Type')
    if ctype and ';' in ctype:
        resp.headers['Content-Type'] = os_manager.split_content_type(ctype)[0]


def finish(req, resp):
    """The headers every Swift response carries."""
    if not req.environ.get(SHOW_SYSMETA_ENV):
        hide_sysmeta(resp)
    tid = trans_id(req)
    resp.headers['X-Trans-Id'] = tid
    resp.headers['X-Openstack-Request-Id'] = tid
    resp.headers['Date'] = email.utils.formatdate(usegmt=True)
    if 'Content-Type' not in resp.headers:
        resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
    if resp.status_int == 204:
        resp.headers['Content-Length'] = '0'      # as Swift answers it
    elif resp.status_int == 304:
        resp.headers.pop('Content-Length', None)
    elif 'Content-Length' not in resp.headers and isinstance(resp.app_iter, list):
        resp.headers['Content-Length'] = str(sum(len(c) for c in resp.app_iter))
    return resp


def empty(status, headers=None, content_type='text/html; charset=UTF-8'):
    resp = webob.Response(status=status, content_type=None)
    resp.headers['Content-Type'] = content_type
    resp.headers['Content-Length'] = '0'
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def http_date(ts):
    return email.utils.formatdate(math.ceil(float(ts)), usegmt=True)


def display_ts(ts):
    return '%.5f' % float(ts)


# --- metadata ---------------------------------------------------------------
def trim_header_value(value):
    """A header value without the HTTP whitespace around it (str.strip()
    would also take U+0085 and U+00A0: bytes of UTF-8 in a WSGI string)."""
    return value.strip(' \t\r\n')


def meta_headers(req, kind):
    """({'X-<Kind>-Meta-Foo': value}, [removed header names]) of a request."""
    prefix = 'x-%s-meta-' % kind
    rprefix = 'x-remove-%s-meta-' % kind
    updates, removes = {}, []
    for key, value in req.headers.items():
        lk = key.lower()
        if lk.startswith(prefix):
            updates[key.title()] = trim_header_value(value)
        elif lk.startswith(rprefix):
            removes.append(('X-%s-Meta-' % kind.title()) + key[len(rprefix):].title())
    return updates, removes


# --- listings ---------------------------------------------------------------
def _param(req, name):
    value = req.GET.get(name)
    if value is None:
        return None
    if '\x00' in value:
        raise error(400, 'Bad Request', 'Invalid %s' % name)
    return value


def listing_params(req, max_limit):
    limit = _param(req, 'limit')
    if limit is not None:
        try:
            limit = int(limit)
        except ValueError:
            raise error(412, 'Precondition Failed',
                        'Value of limit must be a positive integer')
        if limit < 0:
            raise error(412, 'Precondition Failed',
                        'Value of limit must be a positive integer')
        if limit > max_limit:
            raise error(412, 'Precondition Failed', 'Maximum limit is %d' % max_limit)
    delimiter = _param(req, 'delimiter')       # of any length, as Swift's
    reverse = (_param(req, 'reverse') or '').lower() in ('1', 'true', 'yes', 'on', 't', 'y')
    return os_manager.Listing(
        prefix=_param(req, 'prefix'), delimiter=delimiter,
        marker=_param(req, 'marker'), end_marker=_param(req, 'end_marker'),
        limit=limit, reverse=reverse, path=_param(req, 'path'))


XML_ORDER = {'container': ('name', 'hash', 'bytes', 'content_type', 'last_modified'),
             'account': ('name', 'count', 'bytes', 'last_modified')}
FORMATS = {'json': 'application/json', 'xml': 'application/xml',
           'plain': 'text/plain'}


def listing_format(req):
    fmt = (req.GET.get('format') or '').lower()
    if fmt in FORMATS:
        return FORMATS[fmt]
    if fmt:
        # Swift treats unknown formats as plain text.
        return 'text/plain'
    accept = req.headers.get('Accept')
    if not accept:
        return 'text/plain'
    try:
        offers = req.accept.acceptable_offers(
            ['text/plain', 'application/json', 'application/xml', 'text/xml'])
    except AttributeError:
        return 'text/plain'
    if not offers:
        raise error(406, 'Not Acceptable')
    best = offers[0][0]
    return 'application/xml' if best == 'text/xml' else best


_js = json.encoder.encode_basestring_ascii


def _json_value(value):
    return _js(value) if value.__class__ is str else json.dumps(value)


_LISTING_FIELDS = ('name', 'size', 'etag', 'content_type', 'timestamp')


def _json_objects(items):
    """json.dumps of a container listing's entries, byte for byte, without
    building a dict per object (a listing holds up to 10,000)."""
    iso, js, value = os_manager.iso, _js, _json_value
    parts = []
    append = parts.append
    # The manager's rows (all of one query) unpack much faster than they
    # answer attribute lookups.
    rows = [i for i in items[:50] if i.__class__ is not str]
    positional = getattr(rows[0], '_fields', None) == _LISTING_FIELDS if rows else False
    seconds = {}        # '1700000000' -> '2023-11-14T22:13:20'
    for i in items:
        if i.__class__ is str:
            append('{"subdir": %s}' % js(i))
            continue
        if positional:
            name, size, etag, content_type, ts = i
        else:
            name, size, etag, content_type, ts = (
                i.name, i.size, i.etag, i.content_type, i.timestamp)
        # iso(ts), inline for normalised timestamps
        whole, _, frac = ts.partition('.') if ts.__class__ is str else ('', '', '')
        date = seconds.get(whole) if len(frac) == 5 else None
        if date is None:
            modified = iso(ts)
            if len(frac) == 5 and whole.isdigit():
                seconds[whole] = modified[:-7]
        else:
            modified = '%s.%s0' % (date, frac)
        append('{"hash": %s, "last_modified": "%s", "bytes": %s, "name": %s, '
               '"content_type": %s}' % (
                   js(etag) if etag.__class__ is str else value(etag), modified,
                   size if size.__class__ is int else json.dumps(size),
                   js(name), value(content_type)))
    return '[' + ', '.join(parts) + ']'


def json_listing(body, headers):
    """The response of a JSON listing already made (text)."""
    resp = webob.Response(status=200, content_type=None)
    resp.headers['Content-Type'] = 'application/json; charset=utf-8'
    for k, v in headers.items():
        resp.headers[k] = v
    resp.body = body.encode()
    return resp


def render_listing(req, kind, name, items, headers):
    """The listing response; `items` are rows or subdir strings."""
    fmt = listing_format(req)
    if kind == 'container':
        def entry(row):
            return {'hash': row.etag, 'last_modified': os_manager.iso(row.timestamp),
                    'bytes': row.size, 'name': row.name,
                    'content_type': row.content_type}
    else:
        def entry(row):
            return {'name': row.name, 'count': row.object_count,
                    'bytes': row.bytes_used,
                    'last_modified': os_manager.iso(row.put_timestamp)}
    if fmt == 'text/plain' and not items:
        return empty(204, headers, 'text/plain; charset=utf-8')
    if fmt == 'application/json' and kind == 'container':
        body = _json_objects(items)
    elif fmt == 'application/json':
        body = json.dumps([{'subdir': i} if isinstance(i, str) else entry(i)
                           for i in items])
    elif fmt == 'application/xml':
        inner = 'object' if kind == 'container' else 'container'
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<%s name=%s>' % (
            kind, saxutils.quoteattr(name))]
        for i in items:
            if isinstance(i, str):
                out.append('<subdir name=%s><name>%s</name></subdir>' % (
                    saxutils.quoteattr(i), saxutils.escape(i)))
                continue
            out.append('<%s>' % inner)
            e = entry(i)
            for k in XML_ORDER[kind]:
                v = e[k]
                out.append('<%s>%s</%s>' % (k, saxutils.escape(str(v)), k))
            out.append('</%s>' % inner)
        out.append('</%s>' % kind)
        body = ''.join(out)
    else:
        body = ''.join((i if isinstance(i, str) else i.name) + '\n' for i in items)
    resp = webob.Response(status=200, content_type=None)
    resp.headers['Content-Type'] = fmt + '; charset=utf-8'
    for k, v in headers.items():
        resp.headers[k] = v
    resp.body = body.encode()
    return resp


# --- conditional requests ---------------------------------------------------
def _etags(value):
    return [v.strip().strip('"') for v in value.split(',') if v.strip()]


def parse_date(value):
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.timestamp() if parsed is not None else None


def conditions(req, etag, last_modified):
    """None, or the status (304/412) the conditional headers call for, in
    the order Swift checks them: If-None-Match, If-Match, then each date
    on its own."""
    if_none = req.headers.get('If-None-Match')
    if if_none is not None:
        tags = _etags(if_none)
        if '*' in tags or etag in tags:
            return 304
    if_match = req.headers.get('If-Match')
    if if_match is not None:
        tags = _etags(if_match)
        if '*' not in tags and etag not in tags:
            return 412
    if last_modified is not None:
        lm = math.ceil(last_modified)
        ims = req.headers.get('If-Modified-Since')
        when = parse_date(ims) if ims is not None else None
        if when is not None and lm <= when:
            return 304
        ius = req.headers.get('If-Unmodified-Since')
        when = parse_date(ius) if ius is not None else None
        if when is not None and lm > when:
            return 412
    return None
