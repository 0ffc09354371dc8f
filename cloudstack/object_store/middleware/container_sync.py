"""Container sync (Swift's container_sync), to containers of this cluster.

X-Container-Sync-To names where a container's objects are pushed, in the
realm form '//<realm>/<cluster>/<account>/<container>' (realm and cluster
among the configured `realms`, each 'realm/cluster') or, the older form,
'http(s)://<host>/v1/<account>/<container>' with <host> among
`allowed_sync_hosts`. X-Container-Sync-Key is the shared secret: objects are
pushed only into a container carrying the same key. Both are kept as
container sysmeta and shown to the account's owner only.

The periodic task `object_store.container_sync` pushes, for every syncing
container, the objects written since its last pass (bytes, content type and
metadata) to the target, unless the target already holds the same content
(which keeps two containers syncing to each other from ping-ponging).
Deletions are not propagated (the listing keeps no deleted rows).
"""
import logging
import urllib.parse

import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack import tasks
from cloudstack.object_store import middleware
from cloudstack.object_store import models
from cloudstack.object_store import policies
from cloudstack.object_store.middleware import _base

LOG = logging.getLogger(__name__)

SYNC_TO = 'X-Container-Sysmeta-Sync-To'
SYNC_KEY = 'X-Container-Sysmeta-Sync-Key'
SYNC_POINT = 'X-Container-Sysmeta-Sync-Point'
_OWN = (SYNC_TO, SYNC_KEY, SYNC_POINT)
INTERVAL = 10
BATCH = 1000


def parse_realms(value):
    """{'REALM': {'CLUSTER', ...}} of 'realm/cluster, realm/cluster2'."""
    realms = {}
    for item in (value or '').replace('\n', ',').split(','):
        realm, sep, cluster = item.strip().partition('/')
        if realm and sep and cluster:
            realms.setdefault(realm.upper(), set()).add(cluster.upper())
    return realms


def parse_sync_to(value):
    """(account, container) of a stored, validated X-Container-Sync-To."""
    if value.startswith('//'):
        parts = value[2:].split('/')
        return parts[2], parts[3]
    path = urllib.parse.urlparse(value).path
    parts = urllib.parse.unquote(path).split('/')
    return parts[2], parts[3]


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
            if realm not in self.realms:
                return 'No realm key for %r' % parts[0]
            if cluster not in self.realms[realm]:
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
        parts = urllib.parse.unquote(url.path).split('/')
        if len(parts) != 4 or parts[1] != 'v1' or not parts[2] or not parts[3]:
            return 'Invalid X-Container-Sync-To format %r' % value
        return None

    def handle(self, req, version, account, container, obj):
        if not container or obj:
            return self.app
        if req.method in ('PUT', 'POST'):
            sysmeta = {}
            if 'X-Container-Sync-To' in req.headers:
                value = req.headers['X-Container-Sync-To'].strip()
                if value:
                    problem = self.validate(value)
                    if problem:
                        return _base.finish(req, _base.error(
                            400, 'Bad Request', problem))
                sysmeta[SYNC_TO] = value
                sysmeta[SYNC_POINT] = ''
            if 'X-Container-Sync-Key' in req.headers:
                sysmeta[SYNC_KEY] = req.headers['X-Container-Sync-Key'].strip()
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


def sync_container(mgr, container_id, container, meta, account):
    """Push the objects written since the last pass; returns how many."""
    try:
        t_account, t_container = parse_sync_to(meta[SYNC_TO])
    except (IndexError, ValueError):
        return 0
    target = _container(t_account, t_container)
    if target is None or (target.meta or {}).get(SYNC_KEY) != meta[SYNC_KEY]:
        LOG.info('container sync %s/%s -> %s/%s: target missing or key mismatch',
                 account, container, t_account, t_container)
        return 0
    if target.id == container_id:
        return 0
    point = meta.get(SYNC_POINT) or ''
    pushed = 0
    while True:
        with db_api.reader() as session:
            rows = session.scalars(sa.select(models.Object).where(
                models.Object.container_id == container_id,
                models.Object.timestamp > point).order_by(
                models.Object.timestamp).limit(BATCH)).all()
            session.expunge_all()
        for row in rows:
            with db_api.reader() as session:
                there = session.get(models.Object, (target.id, row.name))
                same = there is not None and (
                    there.etag == row.etag or there.timestamp >= row.timestamp)
            if not same:
                try:
                    _, chunks = mgr.read_object(account, container, row)
                    # the source's timestamp: the newer write wins on
                    # both sides, and listings agree
                    mgr._store(t_account, target, row.name, chunks,
                               row.content_type, dict(row.meta or {}),
                               ts=row.timestamp)
                    pushed += 1
                except Exception:
                    LOG.exception('container sync of %s/%s/%s failed; retried '
                                  'next pass', account, container, row.name)
                    _set_point(container_id, point)
                    return pushed
            point = row.timestamp
        if rows:
            _set_point(container_id, point)
        if len(rows) < BATCH:
            return pushed


def sync_all():
    from cloudstack.object_store import manager
    mgr = manager.get()
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
    realms = parse_realms(conf.get('realms'))
    middleware.register_info('container_sync', realms={
        realm: {'clusters': {c: {'current': True} for c in sorted(clusters)}}
        for realm, clusters in realms.items()})

    def make(app):
        return ContainerSync(app, conf)
    return make
