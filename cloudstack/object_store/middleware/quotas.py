"""Quotas: uploads over a container's or an account's limit answer 413.

Two filters (Swift's container_quotas and account_quotas):

- container_filter_factory: X-Container-Meta-Quota-Bytes and
  X-Container-Meta-Quota-Count, set by whoever may set container metadata
  (validated: non-negative integers).
- account_filter_factory: X-Account-Quota-Bytes (or the older
  X-Account-Meta-Quota-Bytes) and X-Account-Quota-Count, and per storage
  policy X-Account-Quota-Bytes-Policy-<name> and
  X-Account-Quota-Count-Policy-<name>, kept as account sysmeta
  (X-Account-Sysmeta-Quota-Bytes[-Policy-<number>], ...) and answered in the
  account's HEAD: only a reseller admin may set or remove them; a reseller
  admin's own uploads are not limited.

An upload's size is its Content-Length, or the source's for a copy; a
chunked upload is cut off (413) when it passes what is left.
"""


from cloudstack.api import wsgi
from cloudstack.object_store.api import util
from cloudstack.object_store import manager as os_manager
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _base
from cloudstack.object_store.middleware import _common
from cloudstack.object_store import policies

OVER_QUOTA = 'Upload exceeds quota.'
OVER_POLICY_QUOTA = 'Upload exceeds policy quota.'


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class _Capped:
    """wsgi.input that fails with 413 once more than `left` bytes passed."""

    def __init__(self, stream, left):
        self.stream, self.left = stream, left

    def read(self, size=-1):
        data = self.stream.read(size)
        self.left -= len(data)
        if self.left < 0:
            raise util.error(413, 'Request Entity Too Large', OVER_QUOTA)
        return data

    def readline(self, size=-1):
        data = self.stream.readline(size)
        self.left -= len(data)
        if self.left < 0:
            raise util.error(413, 'Request Entity Too Large', OVER_QUOTA)
        return data


class _Quota:
    """What the two filters share: finding an upload and its size."""
    kind = None

    def __init__(self, app, conf):
        self.app = app

    def _upload(self, req):
        """(account, container, size or None) of an object upload, else None.
        A size of None is a chunked upload."""
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if parts is None or not parts[2] or not parts[3]:
            return None
        _, account, container, obj = parts
        if req.method == 'COPY':
            dest = util.header_path(req.headers.get('Destination'))
            container = dest.lstrip('/').split('/', 1)[0]
            account = util.header_path(req.headers.get('Destination-Account')) or account
            size = self._source_size(req, parts[1], parts[2], parts[3])
        elif req.method == 'PUT' and 'X-Copy-From' in req.headers:
            src = util.header_path(req.headers['X-Copy-From']).lstrip('/')
            src_container, _, src_obj = src.partition('/')
            src_account = util.header_path(req.headers.get('X-Copy-From-Account')) or account
            size = self._source_size(req, src_account, src_container, src_obj)
        elif req.method == 'PUT':
            size = req.content_length
        else:
            return None
        if not container:
            return None
        return account, container, size

    def _source_size(self, req, account, container, obj):
        if not container or not obj:
            return 0
        resp = _common.call(self.app, req.environ, 'HEAD',
                            middleware.quote_path('v1', account, container, obj))
        if resp.status_int // 100 != 2:
            return 0            # the app answers the copy's own error
        return _int_or_none(resp.headers.get('Content-Length')) or 0

    def _enforce(self, req, size, used_bytes, quota_bytes, used_count, quota_count,
                 message=None):
        """None when the upload fits, else the 413 response; caps a chunked
        upload's input at what is left."""
        message = message or OVER_QUOTA
        if quota_count is not None and used_count + 1 > quota_count:
            return _common.error(req, 413, 'Request Entity Too Large', message)
        if quota_bytes is not None:
            left = quota_bytes - used_bytes
            if size is None:
                if left < 0:
                    return _common.error(req, 413, 'Request Entity Too Large', message)
                req.environ['wsgi.input'] = _Capped(req.environ['wsgi.input'], left)
            elif size > left:
                return _common.error(req, 413, 'Request Entity Too Large', message)
        return None


class ContainerQuotas(_Quota):

    @wsgi.handles_requests
    def __call__(self, req):
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if parts is None or not parts[2]:
            return self.app
        if not parts[3] and req.method in ('PUT', 'POST'):
            for name, what in (('Bytes', 'bytes'), ('Count', 'count')):
                value = req.headers.get('X-Container-Meta-Quota-' + name)
                if value is not None and value != '' and (
                        _int_or_none(value) is None or int(value) < 0):
                    return _common.error(req, 400, 'Bad Request',
                                         'Invalid %s quota.' % what)
            return self.app
        upload = self._upload(req)
        if upload is None:
            return self.app
        account, container, size = upload
        head = middleware.owner_headers(req.environ, account, container)
        if head is not None:
            h = head
            refusal = self._enforce(
                req, size,
                _int_or_none(h.get('X-Container-Bytes-Used')) or 0,
                _int_or_none(h.get('X-Container-Meta-Quota-Bytes')),
                _int_or_none(h.get('X-Container-Object-Count')) or 0,
                _int_or_none(h.get('X-Container-Meta-Quota-Count')))
            if refusal is not None:
                return refusal
        return self.app


QUOTA_KINDS = ('Quota-Bytes', 'Quota-Count')
LEGACY = 'X-Account-Meta-Quota-Bytes'


def _sysmeta(kind, policy=None):
    """Where the account keeps a quota: X-Account-Sysmeta-<kind>[-Policy-<n>]."""
    tail = '' if policy is None else '-Policy-%d' % policy
    return 'X-Account-Sysmeta-%s%s' % (kind, tail)


def _policy_header(header, kind):
    """The policy number of X-Account-<kind>-Policy-<name> (any case), None
    when the header is not one, -1 for a policy this server lacks."""
    prefix = 'x-account-%s-policy-' % kind.lower()
    if not header.lower().startswith(prefix):
        return None
    name = header[len(prefix):].lower()
    for number, known in enumerate(os_manager.policy_names()):
        if known.lower() == name:
            return number
    return -1


class AccountQuotas(_Quota):

    @wsgi.handles_requests
    def __call__(self, req):
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if parts is None:
            return self.app
        if not parts[2]:
            return self._account(req)
        if policies.is_reseller_admin(req.context):
            return self.app
        upload = self._upload(req)
        if upload is None:
            return self.app
        account, container, size = upload
        h = middleware.owner_headers(req.environ, account)
        if h is None:
            return self.app
        quota = _int_or_none(h.get(_sysmeta('Quota-Bytes'))) \
            if h.get(_sysmeta('Quota-Bytes')) else _int_or_none(h.get(LEGACY))
        refusal = self._enforce(
            req, size, _int_or_none(h.get('X-Account-Bytes-Used')) or 0, quota,
            _int_or_none(h.get('X-Account-Object-Count')) or 0,
            _int_or_none(h.get(_sysmeta('Quota-Count'))))
        if refusal is None:
            c = middleware.owner_headers(req.environ, account, container)
            name = c.get('X-Storage-Policy') if c is not None else None
            names = os_manager.policy_names()
            if name in names:
                pol = 'X-Account-Storage-Policy-%s-' % name
                number = names.index(name)
                refusal = self._enforce(
                    req, size, _int_or_none(h.get(pol + 'Bytes-Used')) or 0,
                    _int_or_none(h.get(_sysmeta('Quota-Bytes', number))),
                    _int_or_none(h.get(pol + 'Object-Count')) or 0,
                    _int_or_none(h.get(_sysmeta('Quota-Count', number))),
                    message=OVER_POLICY_QUOTA)
        return refusal or self.app

    def _account(self, req):
        if req.method in ('PUT', 'POST'):
            refusal = self._set_quotas(req)
            if refusal is not None:
                return refusal
        if req.method not in ('GET', 'HEAD'):
            return self.app
        shown = _base.show_sysmeta(req)
        resp = req.get_response(self.app)
        names = os_manager.policy_names()
        for kind in QUOTA_KINDS:
            if resp.headers.get(_sysmeta(kind)):
                resp.headers['X-Account-' + kind] = resp.headers[_sysmeta(kind)]
            for number, name in enumerate(names):
                value = resp.headers.get(_sysmeta(kind, number))
                if value:
                    resp.headers['X-Account-%s-Policy-%s' % (kind, name)] = value
        _base.hide_sysmeta(resp, shown, ())
        return resp

    def _set_quotas(self, req):
        """Quota headers turned into the account's sysmeta; 403 unless a
        reseller admin sets them, 400 for a value that is not a count or a
        policy this server lacks."""
        legacy = req.headers.get(LEGACY)
        if 'X-Remove-Account-Meta-Quota-Bytes' in req.headers:
            legacy = ''
        changes = {}
        if legacy is not None and not req.headers.get('X-Account-Quota-Bytes'):
            changes[_sysmeta('Quota-Bytes')] = legacy.strip()
            if legacy.strip() == '':
                req.headers['X-Remove-Account-Meta-Quota-Bytes'] = 'x'
        for header, value in list(req.headers.items()):
            removing = header.lower().startswith('x-remove-')
            name = 'X-' + header[len('X-Remove-'):] if removing else header
            for kind in QUOTA_KINDS:
                if name.lower() == 'x-account-' + kind.lower():
                    target = _sysmeta(kind)
                else:
                    number = _policy_header(name, kind)
                    if number is None:
                        continue
                    if number < 0:
                        return _common.error(req, 400, 'Bad Request',
                                             'No such storage policy: %s' % header)
                    target = _sysmeta(kind, number)
                changes[target] = '' if removing else value.strip()
                del req.headers[header]
        if not changes:
            return None
        if not policies.is_reseller_admin(req.context):
            if req.context is None:
                return _common.error(req, 401, 'Unauthorized')
            return _common.error(req, 403, 'Forbidden')
        if any(v and not v.isdigit() for v in changes.values()):
            return _common.error(req, 400, 'Bad Request', 'Invalid quota value.')
        _base.add_sysmeta(req, changes)
        return None


def container_filter_factory(global_conf, **local_conf):
    conf = dict(global_conf, **local_conf)
    middleware.register_info('container_quotas')

    def make(app):
        return ContainerQuotas(app, conf)
    return make


def account_filter_factory(global_conf, **local_conf):
    conf = dict(global_conf, **local_conf)
    middleware.register_info('account_quotas')

    def make(app):
        return AccountQuotas(app, conf)
    return make
