"""Small helpers the optional filters share: paths, Swift-shaped answers,
subrequests down the rest of the pipeline."""
import base64
import hashlib
import hmac

import webob

from cloudstack.object_store.api import util
from cloudstack.object_store import middleware
from cloudstack.object_store import policies

TEMP_URL_KEYS = ('temp-url-key', 'temp-url-key-2')
DIGESTS = {'sha1': hashlib.sha1, 'sha256': hashlib.sha256,
           'sha512': hashlib.sha512}
HEX_LENGTHS = {40: 'sha1', 64: 'sha256', 128: 'sha512'}


def respond(req, status, body=b'', content_type='text/plain; charset=UTF-8',
            headers=None):
    """A response carrying Swift's common headers (X-Trans-Id, Date)."""
    resp = webob.Response(status=status, content_type=None)
    resp.headers['Content-Type'] = content_type
    if isinstance(body, str):
        body = body.encode('utf-8')
    if req.method == 'HEAD':
        resp.headers['Content-Length'] = str(len(body))
        resp.app_iter = []
    else:
        resp.body = body
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return util.finish(req, resp)


def error(req, code, title, message=None, headers=None):
    """Swift's error response (as the app renders its own errors)."""
    resp = util.render_error(req, util.error(code, title, message, headers))
    if req.method == 'HEAD':
        resp.headers['Content-Length'] = str(len(resp.body))
        resp.app_iter = []
    return util.finish(req, resp)


def call(app, environ, method, path, headers=None, body=None, context=None,
         query_string='', content_length=None):
    """Run a subrequest (middleware.subrequest) down `app`; the response.
    `content_length` is that of a streamed (file-like) body."""
    sub = middleware.subrequest(environ, method, path, headers=headers,
                                body=body, context=context,
                                query_string=query_string)
    if content_length is not None:
        sub.content_length = content_length
    return sub.get_response(app)


def meta_values(headers, kind, names):
    """The values of X-<kind>-Meta-<name> for `names` present in headers."""
    out = []
    for name in names:
        value = headers.get('X-%s-Meta-%s' % (kind, name))
        if value:
            out.append(value)
    return out


def account_keys(app, environ, account):
    headers = middleware.owner_headers(environ, account)
    if headers is None:
        return []
    return meta_values(headers, 'Account', TEMP_URL_KEYS)


def container_keys(app, environ, account, container):
    headers = middleware.owner_headers(environ, account, container)
    if headers is None:
        return []
    return meta_values(headers, 'Container', TEMP_URL_KEYS)


def parse_signature(sig, allowed):
    """(digest name, raw signature bytes) of a hex or '<digest>:<base64>'
    signature; None when malformed or its digest is not allowed."""
    if not sig:
        return None
    if ':' in sig:
        name, _, data = sig.partition(':')
        if name not in DIGESTS:
            return None
        try:
            raw = base64.urlsafe_b64decode(
                data.replace('+', '-').replace('/', '_')
                + '=' * (-len(data) % 4))
        except (ValueError, TypeError):
            return None
    else:
        name = HEX_LENGTHS.get(len(sig))
        if name is None:
            return None
        try:
            raw = bytes.fromhex(sig)
        except ValueError:
            return None
    if name not in allowed or len(raw) != DIGESTS[name]().digest_size:
        return None
    return name, raw


def sign(key, message, digest):
    """HMAC of message with key: a key kept as metadata is a WSGI string
    (its UTF-8 bytes as latin-1 characters), so a UTF-8 key signs with the
    bytes the client set."""
    if isinstance(key, str):
        try:
            key = key.encode('latin-1')
        except UnicodeEncodeError:
            key = key.encode('utf-8')
    return hmac.new(key, message, DIGESTS[digest]).digest()


def matches(keys, messages, parsed):
    """Whether `parsed` (parse_signature) signs any message with any key."""
    digest, raw = parsed
    for key in keys:
        for message in messages:
            if hmac.compare_digest(sign(key, message, digest), raw):
                return True
    return False


def path_variants(req, path_info=None):
    """The paths a client may have signed: the full URL path (with the
    mount point, e.g. /object-store/v1/...) and the Swift path (/v1/...),
    as bytes."""
    path_info = req.environ.get('PATH_INFO', '') if path_info is None else path_info
    script = req.environ.get('SCRIPT_NAME', '')
    out = [path_info.encode('latin-1')]
    if script:
        out.insert(0, (script + path_info).encode('latin-1'))
    return out


def is_owner(req, account):
    return policies.is_owner(req.context, account)

