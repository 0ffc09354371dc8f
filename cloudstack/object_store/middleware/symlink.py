"""Symbolic links (Swift's symlink).

PUT with X-Symlink-Target: <container>/<object> (and optionally
X-Symlink-Target-Account) and an empty body makes a link; with
X-Symlink-Target-Etag it is a static link, accepted only while the target
exists with that ETag, and checked again whenever it is followed.

GET/HEAD of a link answer for its target (following at most `symloop_max`
links, with Content-Location naming the target); ?symlink=get answers for
the link itself (X-Symlink-Target...). POST updates the link's metadata and
answers 307 with the target as Location. Listings show the target as
symlink_path (and symlink_etag/symlink_bytes for static links).

The target is kept as sysmeta, and for listings as parameters of the
stored content type, which this filter removes again in every answer.
"""
import json
import re
import urllib.parse
from xml.sax import saxutils

from cloudstack.object_store.api import util
from cloudstack.object_store import manager
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _base
from cloudstack.object_store.middleware import edge

TARGET = 'X-Object-Sysmeta-Symlink-Target'
ACCOUNT = 'X-Object-Sysmeta-Symlink-Target-Account'
ETAG = 'X-Object-Sysmeta-Symlink-Target-Etag'
BYTES = 'X-Object-Sysmeta-Symlink-Target-Bytes'
_OWN = (TARGET, ACCOUNT, ETAG, BYTES)
SYMLOOP_MAX = 2


def split_ctype(value):
    """(content type without listing parameters, {param: value})."""
    base, params = manager.split_content_type(value)
    return base, {k: urllib.parse.unquote(v) for k, v in params}


def _target(value):
    """(container, object) of X-Symlink-Target, or None."""
    value = urllib.parse.unquote(value or '')
    container, sep, obj = value.partition('/')
    if not sep or not container or not obj:
        return None
    return container, obj


def link_fields(target, ctype=None, account=None, etag=None, size=None, slo_etag=None):
    """(Content-Type, sysmeta) a link to `target` ('container/object', of
    `account` when another) is stored with; `etag` and `size` make it a
    static link."""
    sysmeta = {TARGET: target}
    params = [('symlink_target', target)]
    if account:
        sysmeta[ACCOUNT] = account
        params.append(('symlink_target_account', account))
    if etag is not None:
        sysmeta[ETAG] = etag
        sysmeta[BYTES] = str(size)
        params += [('symlink_target_etag', etag), ('symlink_target_bytes', str(size))]
        if slo_etag:
            params.append(('slo_etag', slo_etag))
    ctype = split_ctype(ctype or 'application/symlink')[0]
    return ctype + ''.join(';%s=%s' % (k, _param_quote(v)) for k, v in params), sysmeta


def _param_quote(value):
    """A content-type parameter's value with only what would break it
    escaped: names stay short (UTF-8 ones too) in the 256 characters the
    stored content type has."""
    return ''.join('%%%02X' % ord(c) if c in '%;,=" \\' or ord(c) < 32 and c != '\x01'
                   else c for c in value)


def _error(req, code, title, message=None, headers=None):
    return _base.finish(req, _base.error(code, title, message, headers=headers))


class Symlink(_base.Filter):

    def __init__(self, app, conf):
        super().__init__(app, conf)
        self.symloop_max = int(conf.get('symloop_max', SYMLOOP_MAX))

    def handle(self, req, version, account, container, obj):
        if not container:
            return self.app
        if not obj:
            if req.method == 'GET':
                return self.listing(req, account)
            return self.app
        if req.method == 'COPY' or (req.method == 'PUT' and
                                    'X-Copy-From' in req.headers and
                                    'X-Symlink-Target' not in req.headers):
            return self.copy(req, account, container, obj)
        if req.method == 'PUT':
            return self.put(req, account, container, obj)
        if req.method == 'POST':
            return self.post(req, account, container, obj)
        if req.method in ('GET', 'HEAD'):
            return self.get(req, account, container, obj)
        return self.app

    # --- PUT ---------------------------------------------------------------
    def put(self, req, account, container, obj):
        if 'X-Symlink-Target' not in req.headers:
            if 'X-Symlink-Target-Etag' in req.headers or \
                    'X-Symlink-Target-Account' in req.headers:
                return _error(req, 400, 'Bad Request',
                              'X-Symlink-Target header required')
            return self.app
        target = _target(util.from_wsgi(req.headers['X-Symlink-Target']))
        if target is None:
            return _error(req, 412, 'Precondition Failed',
                          'X-Symlink-Target header must be of the form '
                          '<container name>/<object name>')
        t_account = req.headers.get('X-Symlink-Target-Account')
        if t_account is not None:
            t_account = util.header_path(t_account)
            if not t_account or '/' in t_account:
                return _error(req, 412, 'Precondition Failed',
                              'Account name cannot contain slashes')
        if req.content_length not in (None, 0) or \
                'X-Copy-From' in req.headers:
            return _error(req, 400, 'Bad Request',
                          'Symlink requests require a zero byte body')
        if (t_account or account, target[0], target[1]) == (account, container, obj):
            return _error(req, 400, 'Bad Request',
                          'Symlink cannot target itself')
        want = req.headers.get('X-Symlink-Target-Etag')
        ctype = req.headers.get('Content-Type')
        size = slo_etag = None
        if want is not None:
            want = want.strip().strip('"')
            checked = self.check_static(req, t_account or account, target, want)
            if not isinstance(checked, tuple):
                return checked
            size, target_ctype, slo_etag = checked
            ctype = ctype or target_ctype
        ctype, sysmeta = link_fields('%s/%s' % target, ctype, t_account, want, size,
                                     slo_etag)
        req.headers['Content-Type'] = ctype
        req.headers.pop('X-Detect-Content-Type', None)
        req.environ[_base.SYSMETA_ENV] = dict(
            req.environ.get(_base.SYSMETA_ENV) or {}, **sysmeta)
        if 'Content-Length' not in req.headers:
            req.content_length = 0
        return self.app

    def check_static(self, req, t_account, target, want):
        """(bytes, content type, SLO ETag or None) of what a static link to `target` with
        X-Symlink-Target-Etag `want` points at, or the error to answer.

        As Swift checks it: a link met first counts by its own target ETag
        when it is static (and is then followed), by its own ETag when it
        is dynamic; links met after a static one are followed."""
        follow = False
        for _ in range(self.symloop_max + 1):
            location = middleware.quote_path('v1', t_account, *target)
            head = _base.call(self.app, _base.sub(
                req, 'HEAD', location, query={'symlink': 'get'}, show_sysmeta=True))
            _base.close(head)
            where = {'Content-Location': location}
            if head.status_int == 404:
                return _error(req, 409, 'Conflict', 'X-Symlink-Target does not exist',
                              headers=where)
            if not _base.is_success(head):
                return _error(req, head.status_int, head.status.split(' ', 1)[-1])
            link_etag = head.headers.get(ETAG)
            if TARGET in head.headers and (link_etag or follow):
                found = link_etag or head.headers.get('ETag', '').strip('"')
                if want and found != want:
                    return _error(req, 409, 'Conflict',
                                  'X-Symlink-Target-Etag headers do not match',
                                  headers=where)
                t_account = head.headers.get(ACCOUNT) or t_account
                target = _target(head.headers[TARGET])
                want, follow = link_etag, True
                continue
            got = head.headers.get('ETag', '').strip('"')    # a manifest's own
            if want and got != want:
                return _error(req, 409, 'Conflict',
                              'Object Etag %r does not match X-Symlink-Target-Etag '
                              'header %r' % (got, want), headers=where)
            size = head.headers.get('X-Object-Sysmeta-Slo-Size') or \
                str(head.content_length or 0)
            return (size, split_ctype(head.headers.get('Content-Type'))[0],
                    head.headers.get('X-Object-Sysmeta-Slo-Etag'))
        return _error(req, 409, 'Conflict',
                      'Too many levels of symbolic links, maximum allowed is %d'
                      % self.symloop_max)

    # --- COPY ------------------------------------------------------------
    def copy(self, req, account, container, obj):
        """A copy of a link copies its target (?symlink=get: the link)."""
        if req.GET.get('symlink') == 'get':
            return self.app
        if req.method == 'PUT':
            src = _target(util.from_wsgi(req.headers['X-Copy-From']).lstrip('/'))
            if src is None:
                return self.app
            src_account = util.header_path(req.headers.get('X-Copy-From-Account')) or account
        else:
            src_account, src = account, (container, obj)
        t_account, target = src_account, src
        for _ in range(self.symloop_max + 1):
            head = _base.call(self.app, _base.sub(
                req, 'HEAD', middleware.quote_path('v1', t_account, *target),
                query={'symlink': 'get'}, show_sysmeta=True))
            _base.close(head)
            if TARGET not in head.headers:
                break
            t_account = head.headers.get(ACCOUNT) or t_account
            target = _target(head.headers[TARGET])
        else:
            return _error(req, 409, 'Conflict',
                          'Too many levels of symbolic links, maximum allowed '
                          'is %d' % self.symloop_max)
        if (t_account, target) == (src_account, src):
            return self.app
        if req.method == 'PUT':
            req.headers['X-Copy-From'] = middleware.quote_path(*target)
            req.headers['X-Copy-From-Account'] = urllib.parse.quote(t_account)
        else:
            req.headers.setdefault('Destination-Account', urllib.parse.quote(account))
            req.environ['PATH_INFO'] = '/'.join(
                ('', 'v1', t_account) + tuple(target)).encode().decode('latin-1')
        return self.app

    # --- POST --------------------------------------------------------------
    def post(self, req, account, container, obj):
        if 'X-Symlink-Target' in req.headers:
            return _error(req, 400, 'Bad Request',
                          'A PUT request is required to set a symlink target')
        head = _base.call(self.app, _base.sub(
            req, 'HEAD', middleware.quote_path('v1', account, container, obj),
            query={'symlink': 'get'}, show_sysmeta=True))
        _base.close(head)
        if TARGET not in head.headers:
            return self.app
        resp = req.get_response(self.app)     # the app keeps the listing params
        if resp.status_int != 202:
            return resp
        _base.close(resp)
        t_account = head.headers.get(ACCOUNT) or account
        location = middleware.quote_path('v1', t_account, head.headers[TARGET])
        headers = {'Location': req.script_name + location}
        if ETAG in head.headers:
            headers['X-Symlink-Target-Etag'] = head.headers[ETAG]
        out = _base.error(
            307, 'Temporary Redirect',
            'The requested POST was applied to a symlink. POST directly to '
            'the target to apply requested metadata.', headers=headers)
        req.environ[edge.RELATIVE_LOCATION] = True      # as Swift answers it
        return _base.finish(req, out)

    # --- GET/HEAD ----------------------------------------------------------
    def get(self, req, account, container, obj):
        shown = _base.show_sysmeta(req)
        if req.GET.get('symlink') == 'get':
            resp = req.get_response(self.app)
            self._as_link(resp, shown)
            return resp
        resp = req.get_response(self.app)
        if TARGET not in resp.headers and resp.status_int in (304, 412, 416):
            head = _base.call(self.app, _base.sub(
                req, 'HEAD', middleware.quote_path('v1', account, container, obj),
                query={'symlink': 'get'}, show_sysmeta=True))
            _base.close(head)
            if TARGET in head.headers:
                _base.close(resp)
                resp = head
        hops = 0
        location = None
        while TARGET in resp.headers:
            if hops >= self.symloop_max:
                _base.close(resp)
                return _error(req, 409, 'Conflict',
                              'Too many levels of symbolic links, maximum '
                              'allowed is %d' % self.symloop_max)
            hops += 1
            _base.close(resp)
            want_etag = resp.headers.get(ETAG)
            account = resp.headers.get(ACCOUNT) or account
            container, _, obj = resp.headers[TARGET].partition('/')
            location = middleware.quote_path('v1', account, container, obj)
            headers = {k: v for k, v in req.headers.items()
                       if k.lower() not in ('host', 'content-length')}
            query = [(k, v) for k, v in req.GET.items() if k != 'symlink']
            resp = _base.call(self.app, _base.sub(
                req, req.method, middleware.quote_path('v1', account, container, obj),
                headers=headers, query=query, show_sysmeta=True))
            # also a failed condition's answer: it carries the target's ETag
            if want_etag and 'ETag' in resp.headers and (
                    _base.is_success(resp) or resp.status_int in (304, 412)):
                got = resp.headers.get(ETAG) if TARGET in resp.headers else None
                got = got or resp.headers['ETag'].strip('"')
                if got != want_etag:
                    _base.close(resp)
                    return _error(req, 409, 'Conflict',
                                  'Object Etag %r does not match '
                                  'X-Symlink-Target-Etag header %r' % (
                                      got, want_etag),
                                  headers={'Content-Location': location})
        _base.hide_sysmeta(resp, shown, _OWN)
        if location is not None:
            resp.headers['Content-Location'] = location
            if 'Content-Type' in resp.headers:
                resp.headers['Content-Type'] = split_ctype(
                    resp.headers['Content-Type'])[0]
        return resp

    def _as_link(self, resp, shown):
        target = resp.headers.get(TARGET)
        if target is not None:
            resp.headers['X-Symlink-Target'] = urllib.parse.quote(target, safe='/')
            if ACCOUNT in resp.headers:
                resp.headers['X-Symlink-Target-Account'] = urllib.parse.quote(
                    resp.headers[ACCOUNT])
            if ETAG in resp.headers:
                resp.headers['X-Symlink-Target-Etag'] = resp.headers[ETAG]
                resp.headers['X-Symlink-Target-Bytes'] = resp.headers.get(BYTES, '0')
            if 'Content-Type' in resp.headers:
                resp.headers['Content-Type'] = split_ctype(
                    resp.headers['Content-Type'])[0]
        _base.hide_sysmeta(resp, shown, _OWN)

    # --- listings ----------------------------------------------------------
    def listing(self, req, account):
        resp = req.get_response(self.app)
        if resp.status_int != 200:
            return resp
        ctype = resp.headers.get('Content-Type', '')
        if not (ctype.startswith('application/json') or 'xml' in ctype):
            return resp
        body = _base.body_of(resp)
        if not any(p.encode() in body for p in manager.LISTING_PARAMS[:3]):
            # no links nor large objects listed: as it is
            resp.app_iter = [body]
            return _set_len(resp, body)
        if ctype.startswith('application/json'):
            try:
                entries = json.loads(body)
            except ValueError:
                entries = []
            changed = False
            for entry in entries:
                if 'content_type' in entry and ';' in entry['content_type']:
                    ct, params = split_ctype(entry['content_type'])
                    if params:
                        changed = True
                        entry.update(_listing_extra(account, ct, params))
            if changed:
                body = json.dumps(entries).encode()
        else:
            body = body.decode('utf-8')

            def fix(m):
                found = re.search(r'<content_type>([^<]*)</content_type>', m.group(0))
                ct, params = split_ctype(saxutils.unescape(found.group(1)) if found
                                         else '')
                if not params:
                    return m.group(0)
                extra = _listing_extra(account, ct, params)
                out = '<content_type>%s</content_type>' % saxutils.escape(ct)
                for k in ('slo_etag', 'symlink_path', 'symlink_etag', 'symlink_bytes'):
                    if k in extra:
                        out += '<%s>%s</%s>' % (k, saxutils.escape(str(extra[k])), k)
                entry = m.group(0).replace(found.group(0), out)
                if 'bytes' in extra:
                    entry = re.sub(r'<bytes>[^<]*</bytes>',
                                   '<bytes>%d</bytes>' % extra['bytes'], entry)
                return entry
            body = re.sub(r'<object>.*?</object>', fix, body, flags=re.S).encode()
        resp.app_iter = [body]
        return _set_len(resp, body)


def _listing_extra(account, ct, params):
    extra = {'content_type': ct}
    if params.get('swift_bytes', '').isdigit():
        extra['bytes'] = int(params['swift_bytes'])
    if 'slo_etag' in params:
        extra['slo_etag'] = '"%s"' % params['slo_etag']
    t_account = params.get('symlink_target_account') or account
    if 'symlink_target' in params:
        extra['symlink_path'] = middleware.quote_path(
            'v1', t_account, params['symlink_target'])
    if 'symlink_target_etag' in params:
        extra['symlink_etag'] = params['symlink_target_etag']
        try:
            extra['symlink_bytes'] = int(params.get('symlink_target_bytes', 0))
        except ValueError:
            extra['symlink_bytes'] = 0
    return extra


def _set_len(resp, body):
    resp.headers['Content-Length'] = str(len(body))
    return resp


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    middleware.register_info('symlink', symloop_max=int(
        conf.get('symloop_max', SYMLOOP_MAX)), static_links=True)

    def make(app):
        return Symlink(app, conf)
    return make
