"""An Image API node's local cache of image data, in front of the stores.

An admin queues an active image through one node (PUT /v2/cache/<id>); that
node's API workers copy its data from its store into the node's [image]
image_cache_dir, checked against the image's MD5, and downloads through that
node then read that file. Which images are queued or cached, and their hits,
are rows of image_cache keyed by the node: its host and cache directory, so
that several nodes on one machine with caches of their own each see only
theirs. The files are <cache dir>/<image id>. The least recently used images
are evicted beyond [image] image_cache_max_size.

A queued row's last_modified is when a worker of the node claimed it for
filling (None: not yet); a claim older than FILL_LEASE is a dead worker's, and
another may take it over.
"""
import hashlib
import os
import tempfile
import time

import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.image import models

QUEUED, CACHED = 'queued', 'cached'
# Seconds a worker's claim on a queued image lasts; renewed while it fills.
FILL_LEASE = 120.0
NODE_MAX = 255      # image_cache.host


def node(conf, directory):
    """The key of this node's cache: '<host>:<cache directory>'."""
    key = '%s:%s' % (conf.host, os.path.realpath(directory))
    if len(key) > NODE_MAX:
        digest = hashlib.sha256(key.encode()).hexdigest()
        key = '%s:%s' % (conf.host[:NODE_MAX - len(digest) - 1], digest)
    return key


class Cache:
    def __init__(self, conf):
        self.conf = conf
        self.dir = conf.image.image_cache_dir or os.path.join(conf.data_dir,
                                                              'image-cache')
        self.host = node(conf, self.dir)

    def path(self, image_id):
        return os.path.join(self.dir, image_id)

    # -- listing and queueing ---------------------------------------------

    def listing(self):
        """{'cached_images': [...], 'queued_images': [ids]} of this host."""
        E = models.ImageCacheEntry
        cached, queued = [], []
        with db_api.reader() as session:
            for row in session.scalars(sa.select(E).where(E.host == self.host)
                                       .order_by(E.image_id)):
                if row.state == QUEUED:
                    queued.append(row.image_id)
                elif os.path.exists(self.path(row.image_id)):
                    cached.append({'image_id': row.image_id, 'hits': row.hits,
                                   'last_accessed': row.last_accessed or 0.0,
                                   'last_modified': row.last_modified or 0.0,
                                   'size': row.size})
        return {'cached_images': cached, 'queued_images': queued}

    def queue(self, session, image_id):
        """Mark `image_id` queued here; False when it is already cached."""
        row = session.get(models.ImageCacheEntry, (self.host, image_id))
        if row is not None and row.state == CACHED and os.path.exists(
                self.path(image_id)):
            return False
        if row is None:
            session.add(models.ImageCacheEntry(host=self.host, image_id=image_id,
                                               state=QUEUED, hits=0))
        elif row.state != QUEUED:
            row.state, row.last_modified = QUEUED, None
        return True

    def claimable(self):
        """Ids of the images queued here that no live worker is filling."""
        E = models.ImageCacheEntry
        with db_api.reader() as session:
            return session.scalars(sa.select(E.image_id).where(
                E.host == self.host, E.state == QUEUED, sa.or_(
                    E.last_modified.is_(None),
                    E.last_modified < time.time() - FILL_LEASE))
                .order_by(E.image_id)).all()

    def claim(self, image_id):
        """Take (or renew) the queued image for this worker to fill; False when
        it is no longer queued here or another worker holds it."""
        E = models.ImageCacheEntry
        now = time.time()
        with db_api.writer() as session:
            return session.execute(sa.update(E).where(
                E.host == self.host, E.image_id == image_id, E.state == QUEUED,
                sa.or_(E.last_modified.is_(None),
                       E.last_modified < now - FILL_LEASE))
                .values(last_modified=now)).rowcount == 1

    def _renewing(self, image_id, chunks):
        """`chunks`, renewing this worker's claim as they pass."""
        E = models.ImageCacheEntry
        renewed = time.time()
        for chunk in chunks:
            if time.time() - renewed > FILL_LEASE / 4:
                renewed = time.time()
                with db_api.writer() as session:
                    session.execute(sa.update(E).where(
                        E.host == self.host, E.image_id == image_id,
                        E.state == QUEUED).values(last_modified=renewed))
            yield chunk

    # -- filling ------------------------------------------------------------

    def fill(self, image_id, chunks, checksum, size):
        """Write the image's data into the cache; False when it does not match
        `checksum`/`size` (nothing is kept then). An image dequeued meanwhile
        is not kept either."""
        chunks = self._renewing(image_id, chunks)
        os.makedirs(self.dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix='.tmp-%s-' % image_id)
        md5 = hashlib.md5(usedforsecurity=False)
        written = 0
        try:
            with os.fdopen(fd, 'wb') as f:
                for chunk in chunks:
                    md5.update(chunk)
                    written += len(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            if written != size or (checksum and md5.hexdigest() != checksum):
                os.unlink(tmp)
                self.forget(image_id)
                return False
            self._make_room(written, keep=image_id)
            os.rename(tmp, self.path(image_id))
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        now = time.time()
        with db_api.writer() as session:
            row = session.get(models.ImageCacheEntry, (self.host, image_id))
            if row is not None:
                row.state, row.size, row.checksum = CACHED, written, checksum
                row.last_modified = row.last_accessed = now
        if row is None:
            self.forget(image_id)
        return True

    def _make_room(self, needed, keep):
        limit = self.conf.image.image_cache_max_size
        E = models.ImageCacheEntry
        with db_api.reader() as session:
            rows = session.scalars(sa.select(E).where(
                E.host == self.host, E.state == CACHED, E.image_id != keep)
                .order_by(E.last_accessed)).all()
            used = [(r.image_id, r.size or 0) for r in rows]
        total = sum(size for _, size in used)
        for image_id, size in used:
            if total + needed <= limit:
                break
            self.forget(image_id)
            total -= size

    # -- reading ------------------------------------------------------------

    def open(self, image_id, checksum, offset=0, length=None, chunk_size=65536):
        """Chunks of the cached copy (counted as a hit), or None."""
        path = self.path(image_id)
        with db_api.writer() as session:
            row = session.get(models.ImageCacheEntry, (self.host, image_id))
            if row is None or row.state != CACHED or row.checksum != checksum:
                return None
            try:
                f = open(path, 'rb')
            except FileNotFoundError:
                session.delete(row)
                return None
            row.hits += 1
            row.last_accessed = time.time()

        def chunks():
            with f:
                if offset:
                    f.seek(offset)
                left = length
                while left is None or left > 0:
                    data = f.read(chunk_size if left is None
                                  else min(chunk_size, left))
                    if not data:
                        return
                    if left is not None:
                        left -= len(data)
                    yield data
        return chunks()

    # -- removing -----------------------------------------------------------

    def forget_everywhere(self, image_id):
        """Drop a deleted image from every node's cache and queue (the other
        nodes' files go at their next prune)."""
        with db_api.writer() as session:
            session.execute(sa.delete(models.ImageCacheEntry).where(
                models.ImageCacheEntry.image_id == image_id))
        self.forget(image_id)

    def prune(self):
        """Remove files of images no longer cached here (deleted through
        another node) and temporary files of fills that died, once no worker
        can be writing them; returns how many."""
        E = models.ImageCacheEntry
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return 0
        ids = [n for n in names if not n.startswith('.')]
        with db_api.reader() as session:
            kept = set(session.scalars(sa.select(E.image_id).where(
                E.host == self.host, E.image_id.in_(ids))))
        removed = 0
        for name in set(names) - kept:
            path = self.path(name)
            try:
                if time.time() - os.stat(path).st_mtime > FILL_LEASE:
                    os.unlink(path)
                    removed += 1
            except FileNotFoundError:
                pass
        return removed

    def forget(self, image_id):
        """Drop the image from this node's cache and queue."""
        with db_api.writer() as session:
            session.execute(sa.delete(models.ImageCacheEntry).where(
                models.ImageCacheEntry.host == self.host,
                models.ImageCacheEntry.image_id == image_id))
        try:
            os.unlink(self.path(image_id))
        except FileNotFoundError:
            pass

    def clear(self, target='both'):
        """Empty the cache ('cache'), the queue ('queue') or both."""
        E = models.ImageCacheEntry
        states = {'cache': (CACHED,), 'queue': (QUEUED,),
                  'both': (CACHED, QUEUED)}[target]
        with db_api.reader() as session:
            ids = session.scalars(sa.select(E.image_id).where(
                E.host == self.host, E.state.in_(states))).all()
        for image_id in ids:
            self.forget(image_id)
        return len(ids)
