"""Quotas: uploads over a container's or an account's limit answer 413.

Two filters (Swift's container_quotas and account_quotas):

- container_filter_factory: X-Container-Meta-Quota-Bytes and
  X-Container-Meta-Quota-Count, set by whoever may set container metadata
  (validated: non-negative integers).
- account_filter_factory: X-Account-Meta-Quota-Bytes (also spelled
  X-Account-Quota-Bytes) and X-Account-Quota-Count (kept as
  X-Account-Meta-Quota-Count), and per storage policy
  X-Account-Quota-Bytes-Policy-<policy> (kept as
  X-Account-Meta-Quota-Bytes-Policy-<policy>): only a reseller admin may
  set or remove them; a reseller admin's own uploads are not limited.

An upload's size is its Content-Length, or the source's for a copy; a
chunked upload is cut off (413) when it passes what is left.
"""
import urllib.parse


from cloudstack.api import wsgi
from cloudstack.object_store.api import util
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _common
from cloudstack.object_store import policies

OVER_QUOTA = 'Upload exceeds quota.'


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
            dest = urllib.parse.unquote(req.headers.get('Destination', ''))
            container = dest.lstrip('/').split('/', 1)[0]
            account = urllib.parse.unquote(
                req.headers.get('Destination-Account') or account)
            size = self._source_size(req, parts[1], parts[2], parts[3])
        elif req.method == 'PUT' and 'X-Copy-From' in req.headers:
            src = urllib.parse.unquote(req.headers['X-Copy-From']).lstrip('/')
            src_container, _, src_obj = src.partition('/')
            src_account = urllib.parse.unquote(
                req.headers.get('X-Copy-From-Account') or account)
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

    def _enforce(self, req, size, used_bytes, quota_bytes, used_count, quota_count):
        """None when the upload fits, else the 413 response; caps a chunked
        upload's input at what is left."""
        if quota_count is not None and used_count + 1 > quota_count:
            return _common.error(req, 413, 'Request Entity Too Large', OVER_QUOTA)
        if quota_bytes is not None:
            left = quota_bytes - used_bytes
            if size is None:
                if left < 0:
                    return _common.error(req, 413, 'Request Entity Too Large',
                                         OVER_QUOTA)
                req.environ['wsgi.input'] = _Capped(req.environ['wsgi.input'], left)
            elif size > left:
                return _common.error(req, 413, 'Request Entity Too Large', OVER_QUOTA)
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


# request header -> the account metadata that keeps it
ACCOUNT_QUOTA_HEADERS = {
    'X-Account-Meta-Quota-Bytes': 'X-Account-Meta-Quota-Bytes',
    'X-Account-Quota-Bytes': 'X-Account-Meta-Quota-Bytes',
    'X-Account-Meta-Quota-Count': 'X-Account-Meta-Quota-Count',
    'X-Account-Quota-Count': 'X-Account-Meta-Quota-Count',
}


POLICY_QUOTA = 'X-Account-Quota-Bytes-Policy-'
POLICY_META = 'X-Account-Meta-Quota-Bytes-Policy-'


def _account_target(key):
    """The metadata keeping quota header `key` (title case); None when it
    is not one; '' for a policy this server does not have."""
    if key in ACCOUNT_QUOTA_HEADERS:
        return ACCOUNT_QUOTA_HEADERS[key]
    for prefix in (POLICY_QUOTA, POLICY_META):
        if key.startswith(prefix):
            name = key[len(prefix):]
            if name.lower() != util.POLICY.lower():
                return ''
            return POLICY_META + util.POLICY
    return None


class AccountQuotas(_Quota):

    @wsgi.handles_requests
    def __call__(self, req):
        parts = middleware.split_path(req.environ.get('PATH_INFO', ''))
        if parts is None:
            return self.app
        if not parts[2]:
            if req.method in ('PUT', 'POST'):
                return self._set_quota(req)
            return self.app
        if policies.is_reseller_admin(req.context):
            return self.app
        upload = self._upload(req)
        if upload is None:
            return self.app
        account, _, size = upload
        head = middleware.owner_headers(req.environ, account)
        if head is not None:
            h = head
            refusal = self._enforce(
                req, size,
                _int_or_none(h.get('X-Account-Bytes-Used')) or 0,
                _int_or_none(h.get('X-Account-Meta-Quota-Bytes')),
                _int_or_none(h.get('X-Account-Object-Count')) or 0,
                _int_or_none(h.get('X-Account-Meta-Quota-Count')))
            if refusal is None:
                # every container is in the one policy this server has
                refusal = self._enforce(
                    req, size,
                    _int_or_none(h.get('X-Account-Storage-Policy-%s-Bytes-Used'
                                       % util.POLICY)) or 0,
                    _int_or_none(h.get(POLICY_META + util.POLICY)), 0, None)
            if refusal is not None:
                return refusal
        return self.app

    def _set_quota(self, req):
        changes = {}
        for header, value in list(req.headers.items()):
            key = header.title()
            if key.startswith('X-Remove-'):
                target = _account_target('X-' + key[len('X-Remove-'):])
                if target is not None:
                    changes[header] = (target, '')
                continue
            target = _account_target(key)
            if target is not None:
                changes[header] = (target, value.strip())
        if not changes:
            return self.app
        if not policies.is_reseller_admin(req.context):
            if req.context is None:
                return _common.error(req, 401, 'Unauthorized')
            return _common.error(req, 403, 'Forbidden')
        for header, (target, value) in changes.items():
            if not target:
                return _common.error(req, 400, 'Bad Request',
                                     'No such storage policy: %s' % header)
            if value and (_int_or_none(value) is None or int(value) < 0):
                return _common.error(req, 400, 'Bad Request', 'Invalid quota value.')
            del req.headers[header]
        for header, (target, value) in changes.items():
            # an empty value removes the metadata
            req.headers[target] = value
        return self.app


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
