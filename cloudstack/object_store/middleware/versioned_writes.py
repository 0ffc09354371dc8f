"""Versioned writes (Swift's legacy object versioning).

A container with X-Versions-Location: <versions container> (stack mode) or
X-History-Location: <versions container> (history mode) keeps every
overwritten object: before a PUT (or COPY) replaces an object, the current
version is copied to '<len(name) as 3 hex digits><name>/<timestamp>' in the
versions container. On DELETE, stack mode restores the newest archived
version (and removes it from the archive); history mode archives the current
version, records a delete marker and deletes the object.

The setting is kept with the container as sysmeta. Write access to the
versioned container is enough: the copies to and from the versions container
are made with the account owner's rights, as Swift makes them.
"""
import time

from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.object_store.api import util
from cloudstack.object_store import manager as os_manager
from cloudstack.object_store import policies
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _base

LOCATION = 'X-Container-Sysmeta-Versions-Location'
MODE = 'X-Container-Sysmeta-Versions-Mode'
DELETE_MARKER = 'application/x-deleted;swift_versions_deleted=1'
# What a version copy carries over besides X-Object-Meta-*.
_KEEP = ('content-type', 'content-encoding', 'content-disposition',
         'content-language', 'cache-control', 'expires', 'x-delete-at',
         'x-object-manifest', 'x-robots-tag', 'x-symlink-target',
         'x-symlink-target-account', 'x-symlink-target-etag')


def version_prefix(obj):
    return '%03x%s/' % (len(obj.encode('utf-8')), obj)


def version_name(obj, ts):
    return version_prefix(obj) + os_manager.normalize(ts)


class VersionedWrites(_base.Filter):

    def handle(self, req, version, account, container, obj):
        if not container:
            return self.app
        if not obj:
            return self.container_request(req, account, container)
        if req.method in ('PUT', 'COPY', 'DELETE'):
            return self.object_request(req, account, container, obj)
        return self.app

    # --- containers --------------------------------------------------------
    def container_request(self, req, account, container):
        if req.method in ('PUT', 'POST'):
            hv = req.headers.get('X-Versions-Location')
            hh = req.headers.get('X-History-Location')
            removes = [h for h in ('X-Remove-Versions-Location',
                                   'X-Remove-History-Location')
                       if h in req.headers]
            if hv is not None and hh is not None:
                return _base.finish(req, _base.error(
                    400, 'Bad Request',
                    'Only one of X-Versions-Location or X-History-Location '
                    'may be specified'))
            h = middleware.owner_headers(req.environ, account, container) \
                if hv or hh else None
            if h is not None and h.get(middleware.VERSIONS_CONTAINER):
                # one kind of versioning per container (object_versioning's
                # rule, both ways)
                return _base.finish(req, _base.error(
                    400, 'Bad Request', 'Cannot use legacy versioned writes on a '
                    'container that is already using object versioning.'))
            sysmeta = {}
            value, mode = (hv, 'stack') if hv is not None else (hh, 'history')
            if value is not None:
                value = value.strip()
                if value:
                    loc = _location(value)
                    if loc is None:
                        return _base.finish(req, _base.error(
                            412, 'Precondition Failed',
                            'Container name cannot contain "/" and must not '
                            'be empty'))
                    # kept as sent (Swift answers it back so), read decoded
                    sysmeta = {LOCATION: value, MODE: mode}
                else:
                    sysmeta = {LOCATION: '', MODE: ''}
            elif removes:
                sysmeta = {LOCATION: '', MODE: ''}
            if sysmeta:
                _base.add_sysmeta(req, sysmeta)
            return self.app
        if req.method in ('GET', 'HEAD'):
            shown = _base.show_sysmeta(req)
            resp = req.get_response(self.app)
            loc = resp.headers.get(LOCATION)
            mode = resp.headers.get(MODE) or 'stack'
            _base.hide_sysmeta(resp, shown, (LOCATION, MODE))
            if loc:
                resp.headers['X-History-Location' if mode == 'history'
                             else 'X-Versions-Location'] = loc
            return resp
        return self.app

    # --- objects -----------------------------------------------------------
    def _versioning(self, req, account, container):
        """(versions container, mode) of a container, or (None, None)."""
        h = middleware.owner_headers(req.environ, account, container)
        if h is None:
            return None, None
        if h.get(LOCATION):
            return _location(h[LOCATION]), h.get(MODE) or 'stack'
        return None, None

    def object_request(self, req, account, container, obj):
        if req.method == 'COPY':
            dest = req.headers.get('Destination')
            if not dest:
                return self.app
            d_account = util.header_path(req.headers.get('Destination-Account')) or account
            d_container, _, d_obj = util.header_path(dest).lstrip('/').partition('/')
            if not d_container or not d_obj:
                return self.app
            account, container, obj = d_account, d_container, d_obj
        loc, mode = self._versioning(req, account, container)
        if loc is None:
            return self.app
        # Who may write the container may have its versions kept (as Swift):
        # the copies and deletes are then the account owner's.
        try:
            util.container_access(req, account, container, write=True)
        except exception.CloudstackError as exc:
            return _base.finish(req, util.render_error(req, exc))
        owner = wsgi.Request(dict(req.environ))
        owner.environ['cloudstack.context'] = policies.grant(
            account, request_id=req.environ.get('openstack.request_id'))
        # self.app: the client's own request goes on
        return self._versioned(owner, account, container, obj, loc, mode)

    def _versioned(self, req, account, container, obj, loc, mode):
        if req.method in ('PUT', 'COPY'):
            if req.method == 'PUT' and req.GET.get('multipart-manifest') == 'get':
                return self.app
            err = self.archive(req, account, container, obj, loc)
            if err is not None:
                return err
            return self.app
        if mode == 'history':
            return self.delete_history(req, account, container, obj, loc)
        return self.delete_stack(req, account, container, obj, loc)

    def _get(self, req, account, container, obj):
        return _base.call(self.app, _base.sub(
            req, 'GET', middleware.quote_path('v1', account, container, obj),
            query={'multipart-manifest': 'get', 'symlink': 'get'},
            show_sysmeta=True))

    def _copy(self, req, src, account, container, obj):
        return copy_version(self.app, req, src, account, container, obj)

    def archive(self, req, account, container, obj, loc):
        """Copy the current version (if any) to the versions container;
        an error response when that fails."""
        cur = self._get(req, account, container, obj)
        if cur.status_int == 404:
            _base.close(cur)
            return None
        if not _base.is_success(cur):
            _base.close(cur)
            return _base.finish(req, _base.error(cur.status_int,
                                                 cur.status.split(' ', 1)[-1]))
        ts = cur.headers.get('X-Timestamp') or time.time()
        put = self._copy(req, cur, account, loc, version_name(obj, ts))
        _base.close(put)
        if not _base.is_success(put):
            status = put.status_int
            if status == 404:
                status = 412
            return _base.finish(req, _base.error(status, put.status.split(' ', 1)[-1]
                                                 if status == put.status_int
                                                 else 'Precondition Failed'))
        return None

    def _versions(self, req, account, loc, obj):
        try:
            for entry in _base.listing(self.app, req, account, loc,
                                       version_prefix(obj), reverse=True):
                if 'name' in entry:
                    yield entry
        except _base.ListingError as exc:
            _base.close(exc.resp)

    def _delete(self, req, account, container, obj):
        return _base.call(self.app, _base.sub(
            req, 'DELETE', middleware.quote_path('v1', account, container, obj)))

    def _restore(self, req, account, loc, name, container, obj):
        """Copy version `name` back as the object: True, False when it is
        gone meanwhile, or the error response."""
        src = self._get(req, account, loc, name)
        if src.status_int == 404:
            _base.close(src)
            return False
        if not _base.is_success(src):
            _base.close(src)
            return _base.finish(req, _base.error(
                src.status_int, src.status.split(' ', 1)[-1]))
        put = self._copy(req, src, account, container, obj)
        _base.close(put)
        if not _base.is_success(put):
            return _base.finish(req, _base.error(
                put.status_int, put.status.split(' ', 1)[-1]))
        return True

    def delete_stack(self, req, account, container, obj, loc):
        """Swift's stack mode: the newest version replaces the object and
        leaves the versions container. A delete marker on top (left by
        history mode) is removed instead: while the object exists, the
        DELETE removes it as asked; when it does not, the version under
        the marker (if not another marker) comes back first."""
        versions = self._versions(req, account, loc, obj)
        for entry in versions:
            if entry.get('content_type') != DELETE_MARKER:
                restored = self._restore(req, account, loc, entry['name'],
                                         container, obj)
                if restored is False:
                    continue
                if restored is not True:
                    return restored
                return self._delete(req, account, loc, entry['name'])
            head = _base.call(self.app, _base.sub(
                req, 'HEAD', middleware.quote_path('v1', account, container, obj),
                query={'symlink': 'get'}))
            _base.close(head)
            if head.status_int != 404:
                break
            for older in versions:
                if older.get('content_type') == DELETE_MARKER:
                    break
                restored = self._restore(req, account, loc, older['name'],
                                         container, obj)
                if restored is False:
                    continue
                if restored is not True:
                    return restored
                _base.close(self._delete(req, account, loc, older['name']))
                break
            return self._delete(req, account, loc, entry['name'])
        return self.app

    def delete_history(self, req, account, container, obj, loc):
        err = self.archive(req, account, container, obj, loc)
        if err is not None:
            return err
        marker = _base.sub(
            req, 'PUT', middleware.quote_path(
                'v1', account, loc, version_name(obj, time.time())),
            headers={'Content-Type': DELETE_MARKER, 'Content-Length': '0'},
            body=b'')
        resp = _base.call(self.app, marker)
        _base.close(resp)
        if not _base.is_success(resp):
            return _base.finish(req, _base.error(
                resp.status_int, resp.status.split(' ', 1)[-1]))
        return self.app


def copy_version(app, req, src, account, container, obj, environ=None):
    """PUT the object of response `src` (a raw GET: ?symlink=get and
    ?multipart-manifest=get, sysmeta shown) as /account/container/obj,
    closing src; the PUT's response. `environ` is added to the PUT's."""
    headers = {'Content-Length': str(src.content_length or 0)}
    sysmeta = {}
    for k, v in src.headers.items():
        lk = k.lower()
        if lk.startswith('x-object-meta-') or lk in _KEEP:
            headers[k] = v
        elif lk.startswith('x-object-sysmeta-') or lk == 'x-static-large-object':
            sysmeta[k] = v
    etag = src.headers.get('ETag', '').strip('"')
    slo_etag = sysmeta.get('X-Object-Sysmeta-Slo-Etag')
    if etag and not slo_etag:
        headers['ETag'] = etag
    if slo_etag and sysmeta.get('X-Object-Sysmeta-Slo-Size'):
        # listings show a manifest's large object (as the SLO PUT keeps it)
        headers['Content-Type'] = '%s;swift_bytes=%s;slo_etag=%s' % (
            os_manager.split_content_type(headers.get('Content-Type'))[0],
            sysmeta['X-Object-Sysmeta-Slo-Size'], slo_etag)
    reader = _base.IterReader(src.app_iter, on_close=lambda: _base.close(src))
    try:
        put = _base.sub(req, 'PUT', middleware.quote_path('v1', account, container, obj),
                        headers=headers, sysmeta=sysmeta)
        put.environ.update(environ or {})
        put.body_file = reader
        put.content_length = src.content_length or 0
        return _base.call(app, put)
    finally:
        _base.close(src)


def _location(value):
    value = util.header_path(value)
    if not value or '/' in value:
        return None
    return value


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    middleware.register_info('versioned_writes', allowed_flags=[
        'x-versions-location', 'x-history-location'])

    def make(app):
        return VersionedWrites(app, conf)
    return make
