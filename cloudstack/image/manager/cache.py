"""The local image cache."""
import logging

from cloudstack import exception
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.image import models
from cloudstack.image.manager.base import (
    CACHE_HANDLER, CACHE_TARGETS)

LOG = logging.getLogger(__name__)


class Cache:
    def cache(self):
        from cloudstack.image.stores import cache
        return cache.Cache(CONF)

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
            if self.cache().queue(session, image_id):
                tasks.enqueue(session, CACHE_HANDLER, {'image_id': image_id},
                              resource=('image', image_id))

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

    def fill_cache(self, image_id):
        cache = self.cache()
        with db_api.reader() as session:
            img = session.get(models.Image, image_id)
            if img is None or img.status not in ('active', 'deactivated'):
                cache.forget(image_id)
                return
            locations = self._locations(session, img)
            checksum, size = img.checksum, img.size
            entry = session.get(models.ImageCacheEntry, (cache.host, image_id))
            queued = entry is not None and entry.state == 'queued'
        if not queued or not locations:
            return      # dequeued meanwhile, or already cached
        store_id, location = next(iter(locations.items()))
        chunks = self.store(store_id).get(location)
        if not cache.fill(image_id, chunks, checksum, size):
            LOG.warning('image %s: cached data did not match; not cached', image_id)
