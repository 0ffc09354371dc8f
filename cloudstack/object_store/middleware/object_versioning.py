"""Object versioning (Swift's object_versioning, the newer API).

X-Versions-Enabled: true on a container PUT or POST turns it on (false
suspends it; the versions stay). Every version of an object then lives in a
hidden container of the same account and storage policy, in the reserved
namespace (util.RESERVED): '<R>versions<R><container>', each version named
'<object><R><inverted version id>' so that an object's versions list newest
first. The container itself holds, for each object, a static link to its
current version, marked with VERSIONS_SYMLINK sysmeta; objects written while
versioning was off are plain objects there, the 'null' version.

A version id is a Swift timestamp (X-Object-Version-Id). What clients see:
  - PUT writes a new version and answers its id; the object that was there
    unversioned is kept as a version first.
  - DELETE writes a delete marker version (content type DELETE_MARKER) and
    removes the object; ?version-id= removes that version only (the link
    too when it is the current one).
  - GET/HEAD answer the current version (Content-Location names it);
    ?version-id= reads one version (the account's owner only: the hidden
    container has no ACLs), a delete marker is a 404.
  - PUT ?version-id= (empty body) makes that version current again.
  - POST updates the current version's metadata; X-Delete-At/After apply to
    the link only, so an expired object keeps its versions.
  - GET ?versions lists every version (version_id, is_latest), JSON only;
    version_marker pages within an object's versions.
Container listings and HEADs count the versions' bytes, account listings
show them in their container's bytes and never list the hidden containers.
A versioned container is deleted only once versioning is off and no version
is left. It never also has legacy versioned writes (X-Versions-Location,
X-History-Location) nor container sync as source: 400 either way.
"""
import decimal
import json
import threading
import time
import urllib.parse

from cloudstack import exception
from cloudstack.object_store.api import objects
from cloudstack.object_store.api import util
from cloudstack.object_store import manager as os_manager
from cloudstack.object_store import middleware
from cloudstack.object_store import policies
from cloudstack.object_store.middleware import _base
from cloudstack.object_store.middleware import container_sync
from cloudstack.object_store.middleware import symlink
from cloudstack.object_store.middleware import versioned_writes

R = util.RESERVED
ENABLED = 'X-Container-Sysmeta-Versions-Enabled'
VERSIONS_CONT = middleware.VERSIONS_CONTAINER
VERSIONS_SYMLINK = 'X-Object-Sysmeta-Versions-Symlink'
DELETE_MARKER = 'application/x-deleted;swift_versions_deleted=1'
_OWN = (ENABLED, VERSIONS_CONT)
_NO_VERSIONS_CONT = ('The versions container does not exist. You may want to '
                     're-enable object versioning.')
# Headers of a client's PUT the version does not take (the link does).
_NOT_FOR_VERSION = ('x-delete-at', 'x-delete-after', 'host', 'content-length',
                    'transfer-encoding', 'x-auth-token', 'x-versions-enabled')
_EXPIRY = ('x-delete-at', 'x-delete-after')


# --- names -----------------------------------------------------------------
_UNITS = 100000             # a timestamp's units: 10 microseconds
_TOP = 10 ** 15 - 1         # 9999999999.99999


def _units(value):
    """The 10-microsecond units of a timestamp (a version id); ValueError."""
    try:
        d = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise ValueError(value)
    if not d.is_finite() or d < 0:
        raise ValueError(value)
    n = int((d * _UNITS).to_integral_value(decimal.ROUND_HALF_EVEN))
    if n > _TOP:
        raise ValueError(value)
    return n


def _normal(units):
    return '%010d.%05d' % divmod(units, _UNITS)


def version_id(value):
    """A timestamp in the normal form of a version id (ValueError)."""
    return _normal(_units(value))


def hidden_container(container):
    return R + 'versions' + R + container


def version_object(obj, vid):
    return obj + R + _normal(_TOP - _units(vid))


def parse_version_object(name):
    """(object name, version id) of a version's name; (name, None) if it
    is not one."""
    obj, sep, inverted = name.rpartition(R)
    if not sep:
        return name, None
    try:
        return obj, _normal(_TOP - _units(inverted))
    except ValueError:
        return name, None


_last = [0]
_lock = threading.Lock()


def new_version_id():
    """A version id for now, later than every one this process gave."""
    with _lock:
        n = max(int(time.time() * _UNITS), _last[0] + 1)
        _last[0] = n
    return _normal(n)


def _split_target(value):
    """(container, object) of a link's X-Symlink-Target, or (None, None)."""
    c, sep, o = urllib.parse.unquote(value or '').partition('/')
    return (c, o) if sep else (None, None)


class VersioningError(Exception):
    def __init__(self, resp):
        super().__init__(resp.status)
        self.resp = resp


class ObjectVersioning(_base.Filter):

    def __init__(self, app, conf):
        super().__init__(app, conf)
        self.enabled = _base.truthy(conf.get('allow_object_versioning', 'true'))

    def handle(self, req, version, account, container, obj):
        if not self.enabled or container.startswith(R):
            return self.app
        try:
            if not container:
                if req.method == 'GET':
                    return self.account_listing(req, account)
                return self.app
            if not obj:
                return self.container_request(req, account, container)
            return self.object_request(req, account, container, obj)
        except VersioningError as exc:
            return _base.finish(req, exc.resp)
        except exception.CloudstackError as exc:
            return _base.finish(req, util.render_error(req, exc))

    # --- helpers -------------------------------------------------------------
    def _sub(self, req, method, account, *names, owner=True, **kw):
        """A subrequest to /account[/container[/obj]], as the account's
        owner (Swift's pre-authorized requests) unless `owner` is False."""
        parts = ('v1', account) + names
        context = policies.grant(account, request_id=req.environ.get(
            'openstack.request_id')) if owner else None
        r = _base.sub(req, method, middleware.quote_path(*parts), context=context, **kw)
        r.environ[util.ALLOW_RESERVED_ENV] = True
        return r

    def _call(self, sub):
        return _base.call(self.app, sub)

    @staticmethod
    def _check(resp):
        """Raise the client's answer when a step failed: a missing container
        is 412, other client errors are passed on, the rest is 503."""
        if _base.is_success(resp):
            return
        body = _base.body_of(resp)
        if resp.status_int == 404:
            raise VersioningError(_base.error(412, 'Precondition Failed'))
        if 400 <= resp.status_int < 500:
            out = _base.error(resp.status_int, resp.status.split(' ', 1)[-1])
            out.body = body
            if resp.headers.get('Content-Type'):
                out.headers['Content-Type'] = resp.headers['Content-Type']
            raise VersioningError(out)
        raise VersioningError(_base.error(503, 'Service Unavailable'))

    @staticmethod
    def _fail(code, title, message=None, headers=None):
        raise VersioningError(_base.error(code, title, message, headers=headers))

    def _versioning(self, req, account, container):
        """(hidden container or None, enabled) of a container."""
        h = middleware.owner_headers(req.environ, account, container)
        if h is None:
            return None, False
        return h.get(VERSIONS_CONT) or None, _base.truthy(h.get(ENABLED))

    def _link(self, req, account, container, obj):
        """(exists, hidden container/object the current version's link
        names or None, the raw HEAD response) of an object."""
        head = self._call(self._sub(req, 'HEAD', account, container, obj,
                                    query={'symlink': 'get'}, show_sysmeta=True))
        _base.close(head)
        if head.status_int == 404:
            return False, None, head
        self._check(head)
        if head.headers.get(VERSIONS_SYMLINK) == 'true':
            return True, _split_target(head.headers.get('X-Symlink-Target')), head
        return True, None, head

    @staticmethod
    def _authorize(req, account, container, write=False):
        util.container_access(req, account, container, write=write)

    # --- accounts ----------------------------------------------------------
    def account_listing(self, req, account):
        resp = req.get_response(self.app)
        if resp.status_int != 200 or not resp.headers.get(
                'Content-Type', '').startswith('application/json'):
            return resp
        body = _base.body_of(resp)
        listing = json.loads(body or b'[]')
        if any('name' in e for e in listing):
            hidden = self._call(self._sub(req, 'GET', account, query={
                'format': 'json', 'prefix': hidden_container('')}))
            if hidden.status_int == 200:
                used = {e['name'][len(hidden_container('')):]: e['bytes']
                        for e in json.loads(_base.body_of(hidden) or b'[]')
                        if 'name' in e}
                for entry in listing:
                    if entry.get('name') in used:
                        entry['bytes'] += used[entry['name']]
                body = json.dumps(listing).encode()
            else:
                _base.close(hidden)
        resp.app_iter = [body]
        resp.headers['Content-Length'] = str(len(body))
        return resp

    # --- containers ----------------------------------------------------------
    def container_request(self, req, account, container):
        method = req.method
        if method in ('PUT', 'POST') and 'X-Versions-Enabled' in req.headers:
            return self.set_versioning(req, account, container)
        if method == 'DELETE':
            return self.delete_container(req, account, container)
        if method in ('GET', 'HEAD'):
            return self.read_container(req, account, container)
        return self.app

    def set_versioning(self, req, account, container):
        h = middleware.owner_headers(req.environ, account, container)
        asked = req.environ.get(_base.SYSMETA_ENV) or {}
        if (h is not None and h.get(versioned_writes.LOCATION)) or \
                asked.get(versioned_writes.LOCATION):
            self._fail(400, 'Bad Request',
                       'Cannot enable object versioning on a container that is '
                       'already using the legacy versioned writes feature.')
        if (h is not None and h.get(container_sync.SYNC_TO)) or \
                asked.get(container_sync.SYNC_TO):
            self._fail(400, 'Bad Request',
                       'Cannot enable object versioning on a container '
                       'configured as source of container syncing.')
        policies.authorize_account(req.context, account, 'read-write',
                                   lambda: os_manager.get().account_acl(account))
        enabled = _base.truthy(req.headers['X-Versions-Enabled'])
        sysmeta = {ENABLED: 'True' if enabled else 'False'}
        hidden = hidden_container(container)
        created = False
        if enabled:
            headers = {}
            if h is not None:
                headers['X-Storage-Policy'] = h.get('X-Storage-Policy', '')
            elif req.method == 'PUT' and req.headers.get('X-Storage-Policy'):
                headers['X-Storage-Policy'] = req.headers['X-Storage-Policy']
            resp = self._call(self._sub(req, 'PUT', account, hidden, headers=headers))
            _base.close(resp)
            if not (_base.is_success(resp) or resp.status_int == 409):
                self._fail(500, 'Internal Error', 'Error enabling object versioning')
            created = resp.status_int == 201
            sysmeta[VERSIONS_CONT] = hidden
        _base.add_sysmeta(req, sysmeta)
        resp = req.get_response(self.app)
        if created and not _base.is_success(resp):
            _base.close(self._call(self._sub(req, 'DELETE', account, hidden)))
        return resp

    def delete_container(self, req, account, container):
        hidden, _ = self._versioning(req, account, container)
        if not hidden:
            return self.app
        head = self._call(self._sub(req, 'HEAD', account, hidden))
        _base.close(head)
        if _base.is_success(head) and int(head.headers.get(
                'X-Container-Object-Count', 0)) > 0:
            self._fail(409, 'Conflict', 'Delete all versions before deleting container.')
        if not _base.is_success(head) and head.status_int != 404:
            self._fail(500, 'Internal Error', 'Error deleting versioned container')
        resp = req.get_response(self.app)
        if _base.is_success(resp):
            _base.close(self._call(self._sub(req, 'DELETE', account, hidden)))
        return resp

    def read_container(self, req, account, container):
        versions = req.method == 'GET' and 'versions' in req.GET
        params = dict(req.GET)
        if versions:
            self._check_version_params(params)
            fmt = (req.GET.get('format') or '').lower()
            accept = req.headers.get('Accept')
            if fmt in ('xml', 'plain') or (accept and not fmt and not webob_accepts_json(
                    accept)):
                self._fail(406, 'Not Acceptable')
            query = [(k, v) for k, v in req.GET.items()
                     if k not in ('versions', 'version_marker', 'format')]
            query.append(('format', 'json'))
            req.environ['QUERY_STRING'] = urllib.parse.urlencode(query)
        shown = _base.show_sysmeta(req)
        resp = req.get_response(self.app)
        enabled, hidden = resp.headers.get(ENABLED), resp.headers.get(VERSIONS_CONT)
        _base.hide_sysmeta(resp, shown, _OWN)
        if enabled is not None:
            resp.headers['X-Versions-Enabled'] = enabled
        if not _base.is_success(resp):
            return resp
        if hidden and 'X-Container-Bytes-Used' in resp.headers:
            head = self._call(self._sub(req, 'HEAD', account, hidden))
            _base.close(head)
            if _base.is_success(head):
                resp.headers['X-Container-Bytes-Used'] = str(
                    int(resp.headers['X-Container-Bytes-Used']) +
                    int(head.headers.get('X-Container-Bytes-Used', 0)))
        if req.method != 'GET':
            return resp
        if versions:
            body = _base.body_of(resp) if resp.status_int == 200 else b'[]'
            return self.list_versions(req, params, resp, account, container,
                                      hidden or hidden_container(container),
                                      json.loads(body or b'[]'))
        if hidden and resp.status_int == 200 and resp.headers.get(
                'Content-Type', '').startswith('application/json'):
            body = _base.body_of(resp)
            listing = json.loads(body or b'[]')
            for entry in listing:
                self._current_entry(account, container, hidden, entry)
            body = json.dumps(listing).encode()
            resp.app_iter = [body]
            resp.headers['Content-Length'] = str(len(body))
        return resp

    @staticmethod
    def _version_link(account, hidden, entry):
        """The version a listing entry's link names ((object, version id)),
        or None when it is no link to a version."""
        if not all(k in entry for k in ('symlink_path', 'symlink_etag',
                                        'symlink_bytes')):
            return None
        parts = urllib.parse.unquote(entry['symlink_path']).split('/', 4)
        if len(parts) < 5 or parts[2] != account or parts[3] != hidden:
            return None
        obj, vid = parse_version_object(parts[4])
        return None if vid is None else (obj, vid)

    def _current_entry(self, account, container, hidden, entry):
        """A container listing shows a current version's size and ETag."""
        found = self._version_link(account, hidden, entry)
        if found is None:
            return
        entry['bytes'] = int(entry.pop('symlink_bytes'))
        entry['hash'] = entry.pop('symlink_etag')
        entry['version_symlink'] = True
        entry['symlink_path'] = middleware.quote_path(
            'v1', account, container, found[0]) + '?version-id=' + found[1]

    def _check_version_params(self, params):
        if 'version_marker' in params:
            if not params.get('marker'):
                self._fail(400, 'Bad Request', 'version_marker param requires marker')
            if params['version_marker'] != 'null':
                try:
                    params['version_marker'] = version_id(params['version_marker'])
                except ValueError:
                    self._fail(400, 'Bad Request', 'invalid version_marker param')
        if set(params.get('delimiter', '')) & set('0123456789.' + R):
            self._fail(400, 'Bad Request', 'invalid delimiter param')

    def list_versions(self, req, params, resp, account, container, hidden, primary):
        marker = params.get('marker', '')
        version_marker = params.get('version_marker')
        query = {'format': 'json'}
        for key in ('prefix', 'limit', 'delimiter', 'reverse'):
            if key in params:
                query[key] = params[key]
        if marker:
            if version_marker is None:
                query['marker'] = marker + R + ':'    # past all its versions
            elif version_marker == 'null':
                query['marker'] = marker            # before all its versions
            else:
                query['marker'] = version_object(marker, version_marker)
        null_entries, current, subdirs, latest = [], {}, set(), set()
        for entry in primary:
            if 'subdir' in entry:
                subdirs.add(entry['subdir'])
                continue
            found = self._version_link(account, hidden, entry)
            if found is not None:
                current[found] = entry
            else:
                null_entries.append(dict(entry, version_id='null', is_latest=True))
                latest.add(entry['name'])
        versions = []
        listed = self._call(self._sub(req, 'GET', account, hidden, query=query))
        if listed.status_int == 200:
            for entry in json.loads(_base.body_of(listed) or b'[]'):
                if 'subdir' in entry:
                    subdirs.add(entry['subdir'])
                    continue
                name, vid = parse_version_object(entry['name'])
                if vid is None:
                    continue
                if current.pop((name, vid), None) is not None:
                    is_latest = True
                else:
                    is_latest = (entry.get('content_type') == DELETE_MARKER
                                 and name not in latest)
                if is_latest:
                    latest.add(name)
                versions.append(dict(entry, name=name, version_id=vid,
                                     is_latest=is_latest))
        else:
            _base.close(listed)
        # links whose version is gone (or past this page): as their link says
        for (name, vid), entry in current.items():
            versions.append({'name': name, 'version_id': vid, 'is_latest': True,
                             'bytes': entry['bytes'], 'hash': entry['hash'],
                             'content_type': entry['content_type'],
                             'last_modified': entry['last_modified']})
        for entry in null_entries + versions:
            for key in ('symlink_path', 'symlink_etag', 'symlink_bytes',
                        'version_symlink'):
                entry.pop(key, None)
        merged = sorted(null_entries + versions + [{'subdir': s} for s in subdirs],
                        key=lambda e: e.get('name', e.get('subdir')),
                        reverse=_base.truthy(params.get('reverse')))
        try:
            limit = int(params.get('limit', os_manager.CONTAINER_LISTING_LIMIT))
        except ValueError:
            limit = os_manager.CONTAINER_LISTING_LIMIT
        body = json.dumps(merged[:limit]).encode()
        resp.status = 200
        resp.headers['Content-Type'] = 'application/json; charset=utf-8'
        resp.app_iter = [body]
        resp.headers['Content-Length'] = str(len(body))
        return resp

    # --- objects -------------------------------------------------------------
    def object_request(self, req, account, container, obj):
        copy = _base.copy_paths(req, account, container, obj)
        if copy is not None:
            return self.copy(req, *copy)
        vid = req.GET.get('version-id')
        hidden, enabled = self._versioning(req, account, container)
        if vid:
            return self.with_version_id(req, account, container, obj, vid, hidden)
        if not hidden:
            return self.app
        method = req.method
        if method == 'PUT':
            return self.put(req, account, container, obj, hidden) if enabled \
                else self.app
        if method == 'DELETE':
            return self.delete(req, account, container, obj, hidden) if enabled \
                else self.app
        if method == 'POST':
            return self.post(req, account, container, obj)
        if method in ('GET', 'HEAD'):
            return self.get(req, account, container, obj, hidden)
        return self.app

    def keep_current(self, req, account, container, obj, hidden):
        """Keep an unversioned ('null') object as a version before it is
        replaced; its version id is its timestamp."""
        exists, link, head = self._link(req, account, container, obj)
        if not exists or link is not None:
            return
        vid = version_id(head.headers.get('X-Timestamp') or time.time())
        src = self._call(self._sub(req, 'GET', account, container, obj, query={
            'symlink': 'get', 'multipart-manifest': 'get'}, show_sysmeta=True))
        if src.status_int == 404:
            _base.close(src)
            return
        self._check(src)
        put = versioned_writes.copy_version(
            self.app, self._sub(req, 'GET', account, container, obj), src,
            account, hidden, version_object(obj, vid),
            environ={util.ALLOW_RESERVED_ENV: True})
        _base.close(put)
        if put.status_int == 404:
            self._fail(500, 'Internal Error', _NO_VERSIONS_CONT)
        self._check(put)

    def put(self, req, account, container, obj, hidden):
        self._authorize(req, account, container, write=True)
        self.keep_current(req, account, container, obj, hidden)
        vid = new_version_id()
        name = version_object(obj, vid)
        headers = {k: v for k, v in req.headers.items()
                   if k.lower() not in _NOT_FOR_VERSION}
        if 'Content-Type' not in headers or _base.truthy(
                headers.pop('X-Detect-Content-Type', None)):
            # guessed from the object's name (the version's would not do);
            # a link without one takes its target's (the symlink filter's)
            headers.pop('Content-Type', None)
            if 'X-Symlink-Target' not in headers:
                headers['Content-Type'] = objects.content_type_for(req, obj)
        put = self._sub(req, 'PUT', account, hidden, name, headers=headers)
        counter = _Counter(req.environ['wsgi.input'])
        put.environ['wsgi.input'] = counter
        if req.content_length is not None:
            put.content_length = req.content_length
        else:
            put.environ.pop('CONTENT_LENGTH', None)
            put.headers['Transfer-Encoding'] = req.headers.get('Transfer-Encoding',
                                                               'chunked')
        sysmeta = dict(req.environ.get(_base.SYSMETA_ENV) or {})
        if sysmeta:
            put.environ[_base.SYSMETA_ENV] = sysmeta
        resp = self._call(put)
        if resp.status_int == 404:
            _base.close(resp)
            self._fail(500, 'Internal Error', _NO_VERSIONS_CONT)
        self._check(resp)
        _base.close(resp)
        etag = resp.headers.get('ETag', '').strip('"')
        size = sysmeta.get('X-Object-Sysmeta-Slo-Size') or counter.count
        ctype = headers.get('Content-Type')
        if ctype is None:
            head = self._call(self._sub(req, 'HEAD', account, hidden, name,
                                        query={'symlink': 'get'}))
            _base.close(head)
            ctype = head.headers.get('Content-Type')
        ctype = os_manager.split_content_type(ctype)[0]
        link_headers = {k: v for k, v in req.headers.items()
                        if k.lower().startswith(('x-object-meta-',) + _EXPIRY)}
        out = self.put_link(req, account, container, obj, hidden, name, etag,
                            size, ctype, link_headers,
                            sysmeta.get('X-Object-Sysmeta-Slo-Etag'))
        if _base.is_success(out):
            out.headers['ETag'] = etag
            out.headers['X-Object-Version-Id'] = vid
        return out

    def put_link(self, req, account, container, obj, hidden, name, etag, size,
                 ctype, headers, slo_etag=None):
        """Make version `name` current: a static link to it in the
        container, with the caller's rights (listings show the version's
        size, ETag and large object's ETag)."""
        ctype, sysmeta = symlink.link_fields('%s/%s' % (hidden, name), ctype,
                                             etag=etag, size=size, slo_etag=slo_etag)
        sysmeta[VERSIONS_SYMLINK] = 'true'
        headers = dict(headers, **{'Content-Type': ctype, 'Content-Length': '0'})
        link = self._sub(req, 'PUT', account, container, obj, owner=False,
                         headers=headers, body=b'', sysmeta=sysmeta)
        return self._call(link)

    def delete(self, req, account, container, obj, hidden):
        self._authorize(req, account, container, write=True)
        self.keep_current(req, account, container, obj, hidden)
        vid = new_version_id()
        marker = self._call(self._sub(
            req, 'PUT', account, hidden, version_object(obj, vid),
            headers={'Content-Type': DELETE_MARKER, 'Content-Length': '0'}, body=b''))
        self._check(marker)
        _base.close(marker)
        resp = req.get_response(self.app)
        if _base.is_success(resp) or resp.status_int == 404:
            resp.headers['X-Object-Version-Id'] = vid
        return resp

    def post(self, req, account, container, obj):
        exists, link, _ = self._link(req, account, container, obj)
        if link is None:
            return self.app
        resp = req.get_response(self.app)
        if resp.status_int != 307:
            return resp
        _base.close(resp)
        headers = {k: v for k, v in req.headers.items()
                   if k.lower() not in _EXPIRY + ('host', 'content-length',
                                                  'x-auth-token')}
        return self._call(self._sub(req, 'POST', account, link[0], link[1],
                                    headers=headers, body=b''))

    def get(self, req, account, container, obj, hidden):
        exists, link, _ = self._link(req, account, container, obj)
        if link is None:
            resp = req.get_response(self.app)
            if _base.is_success(resp):
                resp.headers['X-Object-Version-Id'] = 'null'
            return resp
        self._authorize(req, account, container)
        resp = self._read_as(req, account, link[0], link[1],
                             acl_as=(account, link[0], container))
        if resp.status_int == 404:
            return resp
        # the version read last: the link's, or where links from it led
        # (Swift's answer names it, with the object asked for)
        loc = resp.headers.get('Content-Location')
        name = link[1]
        if loc:
            parts = urllib.parse.unquote(loc).split('/', 4)
            name = parts[4] if len(parts) == 5 and parts[2:4] == [account, hidden] \
                else None
        vid = parse_version_object(name)[1] if name else None
        resp.headers['X-Object-Version-Id'] = vid or 'null'
        if vid:
            resp.headers['Content-Location'] = middleware.quote_path(
                'v1', account, container, obj) + '?version-id=' + vid
        return resp

    def _read_as(self, req, account, container, obj, acl_as=None):
        """The client's own request, for /account/container/obj."""
        path = req.environ['PATH_INFO']
        query = req.environ.get('QUERY_STRING', '')
        req.environ['PATH_INFO'] = util.to_wsgi('/v1/%s/%s/%s' % (account, container, obj))
        req.environ['QUERY_STRING'] = urllib.parse.urlencode(
            [(k, v) for k, v in req.GET.items() if k != 'version-id'])
        if acl_as:
            req.environ[util.ACL_AS_ENV] = acl_as
        try:
            return req.get_response(self.app)
        finally:
            req.environ['PATH_INFO'] = path
            req.environ['QUERY_STRING'] = query
            req.environ.pop(util.ACL_AS_ENV, None)

    # --- ?version-id= ------------------------------------------------------
    def with_version_id(self, req, account, container, obj, vid, hidden):
        if req.method == 'POST':
            self._fail(400, 'Bad Request', 'POST to a specific version is not allowed')
        if not hidden and vid != 'null':
            self._fail(400, 'Bad Request', 'version-aware operations require that '
                       'the container is versioned')
        if vid != 'null' or req.method == 'PUT':
            try:
                vid = version_id(vid)
            except ValueError:
                self._fail(400, 'Bad Request', 'Invalid version parameter')
        if req.method == 'OPTIONS':
            return self.app
        if req.method == 'DELETE':
            return self.delete_version(req, account, container, obj, vid, hidden)
        if req.method == 'PUT':
            return self.restore_version(req, account, container, obj, vid, hidden)
        if req.method not in ('GET', 'HEAD'):
            return self.app
        if vid == 'null':
            exists, link, _ = self._link(req, account, container, obj)
            if link is not None:
                self._fail(404, 'Not Found')
            resp = req.get_response(self.app)
            if _base.is_success(resp):
                resp.headers['X-Object-Version-Id'] = 'null'
            return resp
        resp = self._read_as(req, account, hidden, version_object(obj, vid))
        if _base.is_success(resp):
            if os_manager.split_content_type(resp.headers.get('Content-Type'))[0] == \
                    DELETE_MARKER or resp.headers.get('Content-Type') == DELETE_MARKER:
                _base.close(resp)
                self._fail(404, 'Not Found', headers={'X-Object-Version-Id': vid,
                                                      'Content-Type': DELETE_MARKER})
            resp.headers['X-Object-Version-Id'] = vid
        return resp

    def delete_version(self, req, account, container, obj, vid, hidden):
        if vid == 'null':
            return self.app
        exists, link, _ = self._link(req, account, container, obj)
        name = version_object(obj, vid)
        current = 'null'
        if exists and link == (hidden, name):
            unlink = self._call(self._sub(req, 'DELETE', account, container, obj,
                                          owner=False))
            self._check(unlink)
            _base.close(unlink)
        elif link is not None:
            current = parse_version_object(link[1])[1] or 'null'
        resp = self._read_as(req, account, hidden, name)
        resp.headers['X-Object-Version-Id'] = vid
        resp.headers['X-Object-Current-Version-Id'] = current
        return resp

    def restore_version(self, req, account, container, obj, vid, hidden):
        if req.content_length is None and 'chunked' not in req.headers.get(
                'Transfer-Encoding', '').lower():
            self._fail(411, 'Length Required')
        if req.content_length or (req.content_length is None
                                  and req.body_file.read(1)):
            self._fail(400, 'Bad Request',
                       'PUT version-id requests require a zero byte body')
        name = version_object(obj, vid)
        head = self._call(self._sub(req, 'HEAD', account, hidden, name,
                                    query={'symlink': 'get'}, show_sysmeta=True))
        _base.close(head)
        if head.status_int == 404:
            there = self._call(self._sub(req, 'HEAD', account, hidden))
            _base.close(there)
            if _base.is_success(there):
                self._fail(404, 'Not Found', 'The specified version does not exist')
            self._fail(500, 'Internal Error', _NO_VERSIONS_CONT)
        self._check(head)
        size = head.headers.get('X-Object-Sysmeta-Slo-Size') or str(
            head.content_length or 0)
        etag = head.headers.get('ETag', '').strip('"')
        ctype = os_manager.split_content_type(head.headers.get('Content-Type'))[0]
        headers = {k: v for k, v in req.headers.items()
                   if k.lower().startswith(('x-object-meta-',) + _EXPIRY)}
        resp = self.put_link(req, account, container, obj, hidden, name, etag, size,
                             ctype, headers, head.headers.get('X-Object-Sysmeta-Slo-Etag'))
        if _base.is_success(resp):
            resp.headers['ETag'] = etag
            resp.headers['X-Object-Version-Id'] = vid
        return resp

    # --- copies ------------------------------------------------------------
    def copy(self, req, src, dst):
        """A copy into a versioned container is a versioned PUT of the
        source's bytes; ?version-id= on a COPY names the source's version."""
        vid = req.GET.get('version-id') if req.method == 'COPY' else None
        d_hidden, d_enabled = self._versioning(req, dst[0], dst[1])
        if not vid and not (d_hidden and d_enabled):
            return self.app
        if vid:
            s_hidden, _ = self._versioning(req, src[0], src[1])
            if not s_hidden and vid != 'null':
                self._fail(400, 'Bad Request', 'version-aware operations require '
                           'that the container is versioned')
        named = src
        if vid and vid != 'null':
            try:
                vid = version_id(vid)
            except ValueError:
                self._fail(400, 'Bad Request', 'Invalid version parameter')
            src = (src[0], s_hidden, version_object(src[2], vid))
        if req.GET.get('multipart-manifest') == 'get' or req.GET.get('symlink') == 'get':
            # the manifest or link itself, its sysmeta kept
            query = {k: 'get' for k in ('multipart-manifest', 'symlink')
                     if req.GET.get(k) == 'get'}
            got = self._call(_base.sub(req, 'GET', middleware.quote_path('v1', *src),
                                       query=query, show_sysmeta=True))
            if not _base.is_success(got):
                _base.close(got)
                self._fail(got.status_int, got.status.split(' ', 1)[-1])
            resp = versioned_writes.copy_version(self, req, got, *dst)
        else:
            resp = _base.copy_large(self.app, self, req, src, dst)
        if _base.is_success(resp):
            resp.headers['X-Copied-From'] = urllib.parse.quote('%s/%s' % named[1:])
        return resp


def webob_accepts_json(accept):
    import webob.acceptparse
    return webob.acceptparse.create_accept_header(accept).best_match(
        ['application/json']) is not None


class _Counter:
    """A wsgi.input that counts what is read."""

    def __init__(self, stream):
        self.stream = stream
        self.count = 0

    def read(self, *args):
        data = self.stream.read(*args)
        self.count += len(data)
        return data

    def readline(self, *args):
        data = self.stream.readline(*args)
        self.count += len(data)
        return data


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    if _base.truthy(conf.get('allow_object_versioning', 'true')):
        middleware.register_info('object_versioning')

    def make(app):
        return ObjectVersioning(app, conf)
    return make
