"""Temporary URLs: an object reachable without a token for a while.

A temp URL carries ?temp_url_sig=<sig>&temp_url_expires=<when> (and maybe
temp_url_prefix, temp_url_ip_range, filename, inline). The signature is an
HMAC (sha1, sha256 or sha512; hex, or '<digest>:<base64>') of

    [ip=<range>\\n]<METHOD>\\n<expires>\\n<path>     (path: the object's)
    [ip=<range>\\n]<METHOD>\\n<expires>\\nprefix:<path>   (with temp_url_prefix)

keyed with one of the account's X-Account-Meta-Temp-URL-Key(-2) or the
container's X-Container-Meta-Temp-URL-Key(-2). The path may be signed with
the mount point (the URL's path, /object-store/v1/...) or as Swift's /v1/...

A valid signature makes the request that of the account's owner
(policies.grant) for that one request; an invalid one answers 401.

The keys themselves are shown only to the owners of the account: this
filter removes them from what others see and send.
"""
import calendar
import ipaddress
import time
import urllib.parse


from cloudstack.api import wsgi
from cloudstack.object_store.api import util
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _base
from cloudstack.object_store.middleware import _common
from cloudstack.object_store.middleware import staticweb
from cloudstack.object_store import policies

DEFAULT_METHODS = ('GET', 'HEAD', 'PUT', 'POST', 'DELETE')
DEFAULT_DIGESTS = ('sha1', 'sha256', 'sha512')
DEPRECATED_DIGESTS = ('sha1',)
INCOMING_REMOVE = ('x-timestamp', 'x-open-expired')
OUTGOING_REMOVE = ('x-object-meta-*',)
OUTGOING_ALLOW = ('x-object-meta-public-*',)
PARAMS = ('temp_url_sig', 'temp_url_expires', 'temp_url_prefix',
          'temp_url_ip_range', 'filename', 'inline')
DISALLOWED_HEADERS = ('X-Object-Manifest', 'X-Symlink-Target')
KEY_HEADERS = tuple('x-%s-meta-%s' % (kind, key) for kind in ('account', 'container')
                    for key in _common.TEMP_URL_KEYS)


def parse_expires(value):
    """Unix time of temp_url_expires (an integer or ISO 8601 UTC), or None."""
    if value is None:
        return None
    try:
        when = int(value)
    except ValueError:
        try:
            when = calendar.timegm(time.strptime(value, '%Y-%m-%dT%H:%M:%SZ'))
        except ValueError:
            return None
    return when if when >= 0 else None


def _matches(pattern, name):
    return name.startswith(pattern[:-1]) if pattern.endswith('*') else name == pattern


def _disposition(kind, filename):
    """Content-Disposition naming `filename` (text), percent-encoded in
    both forms so that any name is sendable."""
    return '%s; filename="%s"; filename*=UTF-8\'\'%s' % (
        kind, urllib.parse.quote(filename, safe=' /'), urllib.parse.quote(filename))


class TempURL:

    def __init__(self, app, conf):
        self.app = app
        self.methods = tuple(m.upper() for m in conf.get(
            'methods', ' '.join(DEFAULT_METHODS)).split())
        self.digests = tuple(conf.get(
            'allowed_digests', ' '.join(DEFAULT_DIGESTS)).split())

    @wsgi.handles_requests
    def __call__(self, req):
        params = req.GET
        if 'temp_url_sig' not in params and 'temp_url_expires' not in params:
            return self._protect_keys(req)
        return self._temp_url(req, params)

    # --- keys are the owner's secret -----------------------------------------
    def _protect_keys(self, req):
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if parts is None or parts[3]:
            return self.app
        account = parts[1]
        if _common.is_owner(req, account):
            return self.app
        for header in list(req.headers):
            if header.lower() in KEY_HEADERS or (
                    header.lower().startswith('x-remove-')
                    and 'x-' + header.lower()[9:] in KEY_HEADERS):
                del req.headers[header]
        resp = req.get_response(self.app)
        for header in list(resp.headers):
            if header.lower() in KEY_HEADERS:
                del resp.headers[header]
        return resp

    # --- temp URLs ------------------------------------------------------------
    def _invalid(self, req, account=None):
        return _common.respond(
            req, 401, '401 Unauthorized: Temp URL invalid\n',
            headers={'WWW-Authenticate': 'Swift realm="%s"' % (account or 'unknown')})

    def _temp_url(self, req, params):
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        account = parts[1] if parts else None
        # the container's root only for a page of static web (GET/HEAD, an
        # empty temp_url_prefix), as Swift allows
        root_ok = req.method in ('GET', 'HEAD') and params.get('temp_url_prefix') == ''
        if parts is None or not parts[2] or not (parts[3] or root_ok):
            return self._invalid(req, account)
        _, account, container, obj = parts
        method = req.method
        if method not in self.methods:
            return self._invalid(req, account)
        sig = params.get('temp_url_sig')
        expires = parse_expires(params.get('temp_url_expires'))
        if not sig or expires is None or expires < time.time():
            return self._invalid(req, account)
        parsed = _common.parse_signature(sig, self.digests)
        if parsed is None:
            return self._invalid(req, account)
        ip_range = params.get('temp_url_ip_range')
        if ip_range is not None:
            try:
                net = ipaddress.ip_network(ip_range, strict=False)
                addr = ipaddress.ip_address(req.environ.get('REMOTE_ADDR', ''))
            except ValueError:
                return self._invalid(req, account)
            if addr not in net:
                return self._invalid(req, account)
        prefix = params.get('temp_url_prefix')
        if prefix is not None:
            if not obj.startswith(prefix):
                return self._invalid(req, account)
            # signed as the path is (unquoted), up to the prefix
            signed = util.to_wsgi('/'.join(('', parts[0], account, container, prefix)))
            paths = [b'prefix:' + p for p in _common.path_variants(req, signed)]
        else:
            paths = _common.path_variants(req)
        # A HEAD may use a URL signed for GET, HEAD, PUT or POST.
        methods = [method]
        if method == 'HEAD':
            methods += ['GET', 'PUT', 'POST']
        head = b'ip=%s\n' % ip_range.encode() if ip_range is not None else b''
        messages = [head + m.encode() + b'\n' + str(expires).encode() + b'\n' + p
                    for m in methods for p in paths]
        scope = None
        if _common.matches(_common.account_keys(self.app, req.environ, account),
                           messages, parsed):
            scope = 'account'
        elif _common.matches(_common.container_keys(self.app, req.environ,
                                                    account, container),
                             messages, parsed):
            scope = 'container'
        if scope is None:
            return self._invalid(req, account)
        refusal = self._clean_request(req, account, container, scope)
        if refusal is not None:
            return refusal
        req.environ['cloudstack.context'] = policies.grant(
            account, request_id=req.environ.get('openstack.request_id'),
            container=container if scope == 'container' else None)
        req.environ[staticweb.TEMP_URL_ENV] = scope
        # the URL signs the path only: other parameters (a version-id, a
        # multipart-manifest=get) are dropped, as Swift drops them
        kept = [(k, params[k]) for k in ('temp_url_sig', 'temp_url_expires',
                                         'temp_url_prefix', 'filename', 'inline')
                if k in params]
        req.environ['QUERY_STRING'] = urllib.parse.urlencode(kept)
        resp = req.get_response(self.app)
        generated = req.environ.get(staticweb.GENERATED_ENV)
        if not obj and resp.status_int // 100 == 2 and not generated:
            _base.close(resp)
            return self._invalid(req, account)
        return self._clean_response(req, resp, obj, params, inline=generated)

    def _clean_request(self, req, account, container, scope):
        for header in list(req.headers):
            if header.lower() in INCOMING_REMOVE:
                del req.headers[header]
        if req.method not in ('GET', 'HEAD', 'OPTIONS'):
            # a manifest or a link would reach what the URL does not sign
            for header in DISALLOWED_HEADERS:
                if header in req.headers:
                    return _common.error(
                        req, 400, 'Bad Request',
                        'The header %r is not allowed in this tempurl' % header)
        if 'X-Copy-From' in req.headers or 'X-Copy-From-Account' in req.headers:
            src_account = util.header_path(req.headers.get('X-Copy-From-Account')) or account
            src = util.header_path(req.headers.get('X-Copy-From'))
            src_container = src.lstrip('/').split('/', 1)[0]
            if src_account != account or (scope == 'container'
                                          and src_container != container):
                return self._invalid(req, account)
        return None

    def _clean_response(self, req, resp, obj, params, inline=False):
        for header in list(resp.headers):
            lower = header.lower()
            if any(_matches(p, lower) for p in OUTGOING_REMOVE) and not any(
                    _matches(p, lower) for p in OUTGOING_ALLOW):
                del resp.headers[header]
        if req.method == 'GET' and resp.status_int // 100 == 2:
            filename = params.get('filename')
            if 'inline' in params or inline:
                resp.headers['Content-Disposition'] = (
                    _disposition('inline', filename) if filename else 'inline')
            elif filename:
                resp.headers['Content-Disposition'] = _disposition('attachment', filename)
            elif 'Content-Disposition' not in resp.headers:
                resp.headers['Content-Disposition'] = _disposition(
                    'attachment', obj.rsplit('/', 1)[-1])
        return resp


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf, **local_conf)
    probe = TempURL(None, conf)
    middleware.register_info(
        'tempurl', methods=list(probe.methods),
        incoming_remove_headers=list(INCOMING_REMOVE),
        incoming_allow_headers=[],
        outgoing_remove_headers=list(OUTGOING_REMOVE),
        outgoing_allow_headers=list(OUTGOING_ALLOW),
        allowed_digests=sorted(probe.digests),
        deprecated_digests=sorted(d for d in DEPRECATED_DIGESTS if d in probe.digests))

    def make(app):
        return TempURL(app, conf)
    return make
