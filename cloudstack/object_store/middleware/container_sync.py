"""Container sync (Swift's container_sync), to this cluster or another one.

X-Container-Sync-To names where a container's objects are pushed, in the
realm form '//<realm>/<cluster>/<account>/<container>' or, the older form,
'http(s)://<host>/v1/<account>/<container>' with <host> among
`allowed_sync_hosts`. X-Container-Sync-Key is the shared secret: objects are
pushed only into a container carrying the same key. Both are kept as
container sysmeta and shown to the account's owner only.

Realms come from Swift's container-sync-realms.conf ([object_store]
container_sync_realms_conf: a key per realm, an endpoint per cluster) and
from this filter's `realms` ('realm/cluster, ...': clusters that are this
cloud, no endpoint). A realm without key or a cluster without endpoint is
Swift's 400 on the container PUT/POST. `current` ('//realm/cluster') names
this cloud's own cluster in /info.

The periodic task `object_store.container_sync` pushes, for every syncing
container, the objects written since its last pass (bytes, content type,
metadata, timestamp) to the target, unless the target already holds them at
that timestamp or newer (so two containers syncing to each other do not
ping-pong):
  - to a cluster with an endpoint, or a URL: over HTTP, as Swift's container
    sync does (a HEAD, then a PUT with the source's X-Timestamp), signed with
    X-Container-Sync-Auth: '<realm> <nonce> <HMAC-SHA1 of method, path,
    timestamp, nonce and the container key, keyed by the realm key>', or for
    a URL with X-Container-Sync-Key. A target that does not answer or
    refuses is logged and tried again from the same point next pass;
  - to a cluster of this cloud: directly.
An SLO manifest is pushed as stored, with its marker and sysmeta, and stays
a manifest there (its segments resolve in the target account, as Swift's).
Deletions in a syncing container (by users or the expirer) are kept
(models.SyncDeletion) and pushed in timestamp order with the writes, as a
DELETE carrying the deletion's X-Timestamp; the target deletes only a write
older than that (else 409, as Swift's object server).

Requests so signed (or, from `allowed_sync_hosts`, carrying the container's
key and an X-Timestamp) are accepted as the container owner's writes of that
container, keeping their X-Timestamp; a wrong signature is Swift's 401.
"""
import configparser
import hashlib
import hmac
import http.client
import logging
import os
import urllib.parse
import uuid

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack import tasks
from cloudstack.object_store.api import util
from cloudstack.object_store import manager as os_manager
from cloudstack.object_store import middleware
from cloudstack.object_store import models
from cloudstack.object_store import policies
from cloudstack.object_store.middleware import _base
from cloudstack.object_store.middleware import _common

LOG = logging.getLogger(__name__)

SYNC_TO = os_manager.SYNC_TO
SYNC_KEY = 'X-Container-Sysmeta-Sync-Key'
SYNC_POINT = 'X-Container-Sysmeta-Sync-Point'
_OWN = (SYNC_TO, SYNC_KEY, SYNC_POINT)
INTERVAL = 10
# What a signed sync PUT may carry besides the user's headers: an SLO
# manifest's marker and sysmeta (slo.SLO, SLO_ETAG, SLO_SIZE).
_SYNCED_SYSMETA = ('x-static-large-object', 'x-object-sysmeta-slo-etag',
                   'x-object-sysmeta-slo-size')
BATCH = 1000


def parse_realms(value):
    """{'REALM': {'CLUSTER', ...}} of 'realm/cluster, realm/cluster2'."""
    realms = {}
    for item in (value or '').replace('\n', ',').split(','):
        realm, sep, cluster = item.strip().partition('/')
        if realm and sep and cluster:
            realms.setdefault(realm.upper(), set()).add(cluster.upper())
    return realms


_read_realms = {}       # path: (mtime, realms)


def realms_file(path=None):
    """{'REALM': {'key': ..., 'key2': ..., 'clusters': {'CLUSTER': endpoint}}}
    of Swift's container-sync-realms.conf (read again when it changes)."""
    path = CONF.object_store.container_sync_realms_conf if path is None else path
    if not path:
        return {}
    try:
        mtime = os.path.getmtime(path)
    except OSError as exc:
        LOG.error('container sync realms %s: %s', path, exc)
        return {}
    cached = _read_realms.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path)
    except configparser.Error as exc:
        LOG.error('container sync realms %s: %s', path, exc)
        return {}
    realms = {}
    for section in parser.sections():
        realm = {'clusters': {}}
        for option, value in parser.items(section):
            if option in ('key', 'key2'):
                realm[option] = value
            elif option.startswith('cluster_'):
                realm['clusters'][option[len('cluster_'):].upper()] = value
        realms[section.upper()] = realm
    _read_realms[path] = (mtime, realms)
    return realms


def _bytes(value):
    """The bytes of a header value (a WSGI string: its UTF-8 bytes as
    latin-1 characters) or of text."""
    if isinstance(value, bytes):
        return value
    try:
        return value.encode('latin-1')
    except UnicodeEncodeError:
        return value.encode('utf-8')


def signature(method, path, timestamp, nonce, realm_key, user_key):
    """Swift's container sync signature: the HMAC-SHA1 hex digest, keyed by
    the realm key, of method, path (URL-quoted), X-Timestamp, nonce and the
    containers' key, one a line."""
    message = b'\n'.join(_bytes(v) for v in (method, path, timestamp, nonce, user_key))
    return hmac.new(_bytes(realm_key), message, hashlib.sha1).hexdigest()


class Target:
    """Where a container syncs to: a container of this cloud (url None), or
    the URL of one on another cluster (signed for `realm` when given)."""

    def __init__(self, account, container, url=None, realm=None, realm_key=None):
        self.account, self.container = account, container
        self.url, self.realm, self.realm_key = url, realm, realm_key


def resolve_target(value):
    """The Target of a stored, validated X-Container-Sync-To (ValueError)."""
    if value.startswith('//'):
        parts = value[2:].split('/')
        if len(parts) != 4:
            raise ValueError(value)
        realm, cluster, account, container = parts
        conf = realms_file().get(realm.upper()) or {}
        endpoint = conf.get('clusters', {}).get(cluster.upper())
        if endpoint and conf.get('key'):
            url = '%s/%s/%s' % (endpoint.rstrip('/'), urllib.parse.quote(account),
                                urllib.parse.quote(container))
            return Target(account, container, url, realm.upper(), conf['key'])
        return Target(account, container)
    parts = urllib.parse.unquote(urllib.parse.urlsplit(value).path).rstrip('/').split('/')
    if len(parts) < 4:
        raise ValueError(value)
    return Target(parts[-2], parts[-1], value.rstrip('/'))




class ContainerSync(_base.Filter):

    def __init__(self, app, conf):
        super().__init__(app, conf)
        self.realms = parse_realms(conf.get('realms'))
        self.allowed_hosts = [h.strip() for h in conf.get(
            'allowed_sync_hosts', '127.0.0.1').split(',') if h.strip()]

    def validate(self, value):
        """An error message for a bad X-Container-Sync-To, or None."""
        if value.startswith('//'):
            parts = value[2:].split('/')
            if len(parts) != 4 or not all(parts):
                return 'Invalid X-Container-Sync-To format %r' % value
            realm, cluster = parts[0].upper(), parts[1].upper()
            conf = realms_file().get(realm) or {}
            if realm not in self.realms and not conf.get('key'):
                return 'No realm key for %r' % parts[0]
            if cluster not in self.realms.get(realm, ()) and \
                    cluster not in conf.get('clusters', {}):
                return 'No cluster endpoint for %r %r' % (parts[0], parts[1])
            return None
        url = urllib.parse.urlparse(value)
        if url.scheme not in ('http', 'https'):
            return ('Invalid scheme %r in X-Container-Sync-To, must be "//", '
                    '"http", or "https".' % url.scheme)
        if not url.path:
            return 'Path required in X-Container-Sync-To'
        if url.params or url.query or url.fragment:
            return 'Params, queries, and fragments not allowed in X-Container-Sync-To'
        if url.hostname not in self.allowed_hosts:
            return 'Invalid host %r in X-Container-Sync-To' % url.hostname
        parts = urllib.parse.unquote(url.path).rstrip('/').split('/')
        if len(parts) < 4 or not parts[-1] or not parts[-2]:
            return 'Invalid X-Container-Sync-To format %r' % value
        return None

    def handle(self, req, version, account, container, obj):
        if not container:
            return self.app
        if obj:
            return self.sync_write(req, account, container)
        if req.method in ('PUT', 'POST'):
            sysmeta = {}
            if 'X-Container-Sync-To' in req.headers:
                value = util.trim_header_value(req.headers['X-Container-Sync-To'])
                if value:
                    h = middleware.owner_headers(req.environ, account, container)
                    if h is not None and h.get(middleware.VERSIONS_CONTAINER):
                        return _base.finish(req, _base.error(
                            400, 'Bad Request', 'Cannot configure container sync on '
                            'a container with object versioning configured.'))
                    problem = self.validate(value)
                    if problem:
                        return _base.finish(req, _base.error(
                            400, 'Bad Request', problem))
                sysmeta[SYNC_TO] = value
                sysmeta[SYNC_POINT] = ''
            if 'X-Container-Sync-Key' in req.headers:
                sysmeta[SYNC_KEY] = util.trim_header_value(req.headers['X-Container-Sync-Key'])
            if sysmeta:
                _base.add_sysmeta(req, sysmeta)
            return self.app
        if req.method in ('GET', 'HEAD'):
            shown = _base.show_sysmeta(req)
            resp = req.get_response(self.app)
            to, key = resp.headers.get(SYNC_TO), resp.headers.get(SYNC_KEY)
            _base.hide_sysmeta(resp, shown, _OWN)
            if policies.is_owner(req.context, account):
                if to:
                    resp.headers['X-Container-Sync-To'] = to
                if key:
                    resp.headers['X-Container-Sync-Key'] = key
            return resp
        return self.app

    # --- writes from another cluster ---------------------------------------
    def sync_write(self, req, account, container):
        """A request signed by a container sync (X-Container-Sync-Auth), or
        from an allowed host with the container's key, acts as the
        container's owner and keeps its X-Timestamp; a bad signature is 401."""
        auth = req.headers.get('X-Container-Sync-Auth')
        given_key = req.headers.get('X-Container-Sync-Key')
        if auth is None and given_key is None:
            return self.app
        h = middleware.owner_headers(req.environ, account, container)
        user_key = h.get(SYNC_KEY) if h is not None else None
        timestamp = req.headers.get('X-Timestamp')
        if auth is not None:
            if not self.signed(req, auth, user_key, timestamp or '0'):
                return _base.finish(req, _base.error(
                    401, 'Unauthorized', 'X-Container-Sync-Auth header not valid; '
                    'contact cluster operator for support.', headers={
                        'WWW-Authenticate': 'SwiftContainerSync realm="%s"' % account}))
        elif not (user_key and timestamp and hmac.compare_digest(
                _bytes(user_key), _bytes(given_key))
                and req.remote_addr in self.allowed_hosts):
            return self.app         # judged as any other request
        req.environ['cloudstack.context'] = policies.grant(
            account, request_id=req.environ.get('openstack.request_id'),
            container=container)
        if req.method in ('PUT', 'DELETE') and timestamp:
            try:
                req.environ[util.SYNC_TIMESTAMP_ENV] = os_manager.normalize(
                    float(timestamp))
            except ValueError:
                return _base.finish(req, _base.error(400, 'Bad Request',
                                                     'Invalid X-Timestamp'))
        if req.method == 'PUT':
            # A synced SLO manifest stays a manifest: its marker and sysmeta
            # are kept as the source cluster sent them.
            kept = {k: req.headers.pop(k) for k in list(req.headers)
                    if k.lower() in _SYNCED_SYSMETA}
            if kept:
                _base.add_sysmeta(req, kept)
        return self.app

    @staticmethod
    def signed(req, auth, user_key, timestamp):
        parts = auth.split()
        if len(parts) != 3 or not user_key:
            return False
        realm, nonce, sig = parts
        conf = realms_file().get(realm.upper()) or {}
        keys = [k for k in (conf.get('key'), conf.get('key2')) if k]
        paths = [urllib.parse.quote(p) for p in _common.path_variants(req)]
        return any(hmac.compare_digest(
            signature(req.method, path, timestamp, nonce, key, user_key), sig)
            for key in keys for path in paths)


# --- the sync pass ----------------------------------------------------------
def _syncing_containers():
    with db_api.reader() as session:
        rows = session.execute(sa.select(
            models.Container.id, models.Container.name, models.Container.meta,
            models.Account.name).join(
            models.Account, models.Account.id == models.Container.account_id)).all()
    return [(cid, cname, meta, aname) for cid, cname, meta, aname in rows
            if (meta or {}).get(SYNC_TO) and (meta or {}).get(SYNC_KEY)]


def _container(account, container):
    with db_api.reader() as session:
        row = session.scalars(sa.select(models.Container).join(models.Account).where(
            models.Account.name == account,
            models.Container.name == container)).first()
        if row is not None:
            session.expunge(row)
        return row


def _set_point(container_id, point):
    with db_api.writer() as session:
        row = session.get(models.Container, container_id, with_for_update=True)
        if row is not None:
            meta = dict(row.meta or {})
            meta[SYNC_POINT] = point
            row.meta = meta
        session.execute(sa.delete(models.SyncDeletion).where(      # pushed
            models.SyncDeletion.container_id == container_id,
            models.SyncDeletion.timestamp <= point))


def _local_pusher(mgr, container_id, account, container, meta, target):
    """push(row) into a container of this cloud, or None when it is not
    there or does not share the key."""
    there = _container(target.account, target.container)
    if there is None or (there.meta or {}).get(SYNC_KEY) != meta[SYNC_KEY]:
        LOG.info('container sync %s/%s -> %s/%s: target missing or key mismatch',
                 account, container, target.account, target.container)
        return None
    if there.id == container_id:
        return None

    def push(row):
        with db_api.reader() as session:
            found = session.get(models.Object, (there.id, row.name))
            if found is not None:
                session.expunge(found)
        if isinstance(row, models.SyncDeletion):
            if found is None or found.timestamp >= row.timestamp:
                return False
            mgr._remove(target.account, there, found, row.timestamp)
            return True
        if found is not None and (found.etag == row.etag
                                  or found.timestamp >= row.timestamp):
            return False
        _, chunks = mgr.read_object(account, container, row)
        # the source's timestamp: the newer write wins on both sides
        mgr._store(target.account, there, row.name, chunks, row.content_type,
                   dict(row.meta or {}), ts=row.timestamp)
        return True
    return push


class SyncError(Exception):
    pass


def _remote_pusher(mgr, account, container, user_key, target):
    """push(row) to the target's cluster over HTTP, as Swift's container
    sync pushes: a HEAD to learn whether it already has this write, then
    the PUT (SyncError when either fails)."""
    url = urllib.parse.urlsplit(target.url)
    connection = http.client.HTTPSConnection if url.scheme == 'https' \
        else http.client.HTTPConnection

    def request(method, row, headers, body=None):
        path = url.path + '/' + urllib.parse.quote(row.name)
        headers = dict(headers, **{'X-Timestamp': row.timestamp})
        if target.realm:
            nonce = uuid.uuid4().hex
            headers['X-Container-Sync-Auth'] = '%s %s %s' % (
                target.realm, nonce, signature(method, path, row.timestamp, nonce,
                                               target.realm_key, user_key))
        else:
            headers['X-Container-Sync-Key'] = user_key
        conn = connection(url.netloc, timeout=CONF.object_store.container_sync_timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}
        except (OSError, http.client.HTTPException) as exc:
            raise SyncError('%s %s: %s' % (method, target.url, exc))
        finally:
            conn.close()

    def push(row):
        if isinstance(row, models.SyncDeletion):
            status, _ = request('DELETE', row, {})
            if not (200 <= status < 300 or status in (404, 409)):
                raise SyncError('DELETE %s/%s answered %d' % (target.url, row.name,
                                                             status))
            return 200 <= status < 300
        status, headers = request('HEAD', row, {})
        if 200 <= status < 300:
            try:
                if float(headers.get('x-timestamp') or 0) >= float(row.timestamp):
                    return False
            except ValueError:
                pass
        elif status != 404:
            raise SyncError('HEAD %s/%s answered %d' % (target.url, row.name, status))
        headers = {'Content-Length': str(row.size), 'ETag': row.etag,
                   'Content-Type': os_manager.split_content_type(row.content_type)[0]}
        headers.update((k, v) for k, v in (row.meta or {}).items()
                       if k.lower().startswith('x-object-meta-')
                       or k in os_manager.OBJECT_HEADERS
                       or k.lower() in _SYNCED_SYSMETA)
        _, chunks = mgr.read_object(account, container, row)
        status, _ = request('PUT', row, headers, body=chunks)
        if not 200 <= status < 300:
            raise SyncError('PUT %s/%s answered %d' % (target.url, row.name, status))
        return True
    return push


def _changes(container_id, point):
    """The next writes (Object rows) and deletions (SyncDeletion rows) of a
    container after `point`, in timestamp order."""
    def since(model, deleted):
        return sa.select(model.name, model.timestamp,
                         sa.literal(deleted).label('deleted')).where(
            model.container_id == container_id, model.timestamp > point)
    changes = sa.union_all(since(models.Object, 0),
                           since(models.SyncDeletion, 1)).subquery()
    with db_api.reader() as session:
        found = session.execute(sa.select(changes).order_by(
            changes.c.timestamp, changes.c.deleted).limit(BATCH)).all()
        by_key = {}
        for model, deleted in ((models.Object, 0), (models.SyncDeletion, 1)):
            names = [name for name, _, d in found if d == deleted]
            if names:
                by_key.update(((deleted, row.name), row) for row in session.scalars(
                    sa.select(model).where(model.container_id == container_id,
                                           model.name.in_(names))))
        session.expunge_all()
        rows = [by_key[deleted, name] for name, _, deleted in found
                if (deleted, name) in by_key]
    return rows, len(found), found[-1][1] if found else None


def sync_container(mgr, container_id, container, meta, account):
    """Push the writes and deletions since the last pass; returns how many."""
    try:
        target = resolve_target(meta[SYNC_TO])
    except ValueError:
        return 0
    if target.url is None:
        push = _local_pusher(mgr, container_id, account, container, meta, target)
    else:
        push = _remote_pusher(mgr, account, container, meta[SYNC_KEY], target)
    if push is None:
        return 0
    point = meta.get(SYNC_POINT) or ''
    pushed = 0
    while True:
        rows, found, last = _changes(container_id, point)
        for row in rows:
            try:
                if push(row):
                    pushed += 1
            except SyncError as exc:
                LOG.warning('container sync of %s/%s stopped at %s (retried next '
                            'pass): %s', account, container, row.name, exc)
                _set_point(container_id, point)
                return pushed
            except Exception:
                LOG.exception('container sync of %s/%s/%s failed; retried '
                              'next pass', account, container, row.name)
                _set_point(container_id, point)
                return pushed
            point = row.timestamp
        if last is not None:
            point = max(point, last)    # past rows gone since they were listed
            _set_point(container_id, point)
        if found < BATCH:
            return pushed


def sync_all():
    mgr = os_manager.get()
    total = 0
    for cid, cname, meta, aname in _syncing_containers():
        total += sync_container(mgr, cid, cname, meta, aname)
    return total


@tasks.periodic(INTERVAL, name='object_store.container_sync')
def container_sync():
    """Push new objects of syncing containers to their targets."""
    return sync_all()


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf)
    conf.update(local_conf)
    realms = {realm: {'clusters': {c: {'current': True} for c in sorted(clusters)}}
              for realm, clusters in parse_realms(conf.get('realms')).items()}
    current = (conf.get('current') or '').strip('/').upper().split('/')
    for realm, data in realms_file().items():
        clusters = realms.setdefault(realm, {'clusters': {}})['clusters']
        for cluster in data['clusters']:
            clusters.setdefault(cluster, {'current': True} if current == [realm, cluster]
                                else {})
    middleware.register_info('container_sync', realms=realms)

    def make(app):
        return ContainerSync(app, conf)
    return make
