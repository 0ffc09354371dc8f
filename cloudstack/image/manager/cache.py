"""This node's image cache: each Image API node has its own, filled by its own
API workers (a green thread in each, see CacheFiller), so that the cache
API of a node shows and fills that node's cache only."""
import logging

import eventlet
import eventlet.queue

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.image import models
from cloudstack.image.manager.base import CACHE_TARGETS

LOG = logging.getLogger(__name__)


class CacheFiller:
    """An API worker's green thread filling its node's cache: at start (what
    was queued before a restart), when this worker queues an image, and every
    [image] cache_prefetcher_interval seconds (claims of dead workers)."""

    def __init__(self, manager):
        self.manager = manager
        self.wakeups = eventlet.queue.LightQueue()
        self.thread = None

    def start(self):
        if CONF.image.image_cache_enabled and self.thread is None:
            self.thread = eventlet.spawn(self._run)

    def wake(self):
        if self.thread is not None:
            self.wakeups.put(None)

    def _run(self):
        while True:
            try:
                self.manager.fill_queued(cooperative=True)
            except Exception:
                LOG.exception('could not fill the image cache')
            try:
                self.wakeups.get(timeout=CONF.image.cache_prefetcher_interval)
            except eventlet.queue.Empty:
                pass


class Cache:
    _cache_filler = None

    def cache(self):
        from cloudstack.image.stores import cache
        return cache.Cache(CONF)

    def cache_filler(self):
        """This process's CacheFiller (started by each API worker)."""
        if Cache._cache_filler is None:
            Cache._cache_filler = CacheFiller(self)
        return Cache._cache_filler

    @staticmethod
    def check_cache_enabled():
        if not CONF.image.image_cache_enabled:
            raise exception.NotFound('The image cache is not enabled.')

    def cache_list(self, ctx):
        self.check_cache_enabled()
        return self.cache().listing()

    def cache_queue(self, ctx, image_id):
        self.check_cache_enabled()
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id)
            if img.status != 'active':
                raise exception.BadRequest('Only an active image can be cached; '
                                           '%s is %s.' % (image_id, img.status))
            queued = self.cache().queue(session, image_id)
        if queued:
            self.cache_filler().wake()

    def cache_delete(self, ctx, image_id):
        self.check_cache_enabled()
        self.cache().forget(image_id)

    def cache_clear(self, ctx, target):
        self.check_cache_enabled()
        target = target or 'both'
        if target not in CACHE_TARGETS:
            raise exception.BadRequest('Invalid x-image-cache-clear-target %r; '
                                       'use one of %s' % (target,
                                                          ', '.join(CACHE_TARGETS)))
        self.cache().clear(target)

    def fill_queued(self, cooperative=False):
        """Fill this node's cache with what is queued and unclaimed, and drop
        files of images deleted elsewhere; returns how many were filled.
        `cooperative`: in a green thread of an API worker, which lets the
        worker's requests run between chunks (file I/O never yields)."""
        cache = self.cache()
        cache.prune()
        filled = 0
        for image_id in cache.claimable():
            if not cache.claim(image_id):
                continue
            try:
                self.fill_cache(cache, image_id, cooperative)
            except Exception:   # tried again once the claim lapses
                LOG.exception('image %s: could not fill the cache', image_id)
                continue
            filled += 1
        return filled

    def fill_cache(self, cache, image_id, cooperative=False):
        """Copy a queued image this worker has claimed into the cache."""
        with db_api.reader() as session:
            img = session.get(models.Image, image_id)
            if img is None or img.status not in ('active', 'deactivated'):
                cache.forget(image_id)
                return
            locations = self._locations(session, img)
            checksum, size = img.checksum, img.size
        if not locations:
            cache.forget(image_id)
            return
        store_id, location = next(iter(locations.items()))
        chunks = self.store(store_id).get(location)
        if cooperative:
            chunks = _yielding(chunks)
        if not cache.fill(image_id, chunks, checksum, size):
            LOG.warning('image %s: cached data did not match; not cached', image_id)


def _yielding(chunks):
    for chunk in chunks:
        eventlet.sleep(0)
        yield chunk
