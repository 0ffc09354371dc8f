"""Image data: upload, download, staging."""
import logging
import os

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import models
from cloudstack.image import stores
from cloudstack.image.manager import stage_hosts
from cloudstack.image.manager.base import (
    HASH_ALGO, _Hashing)
from cloudstack.tasks import recovery

LOG = logging.getLogger(__name__)


class Data:
    def _check_upload(self, ctx, image_id):
        with db_api.reader() as session:
            return self._record(session, self._get_visible(session, ctx, image_id))

    def upload(self, ctx, image_id, chunks, content_length=None, store_id=None):
        if store_id is not None:
            self.check_store(store_id)
        img = self._check_upload(ctx, image_id)
        if CONF.image.use_keystone_limits:
            with db_api.reader() as session:
                self._enforce(session, img['owner'],
                              ('image_size_total', 'image_count_uploading'))
        cap = self._size_cap(img['owner'])
        if content_length is not None and content_length > cap:
            raise exception.RequestEntityTooLarge(
                'Image exceeds the storage quota of %d bytes.' % cap)
        if not img['disk_format'] or not img['container_format']:
            raise exception.BadRequest(
                'Properties disk_format and container_format must be set '
                'before the image data is uploaded.')
        with recovery.working('image', image_id):    # the recovery leaves it be meanwhile
            if not self._transition(image_id, 'queued', 'saving'):
                raise exception.Conflict(
                    'Image status transition from %s to saving is not allowed' %
                    self._status_of(image_id))
            self._ingest(image_id, img['disk_format'], chunks, content_length,
                         from_status='saving', revert_to='queued', store_id=store_id,
                         cap=cap)

    def _status_of(self, image_id):
        with db_api.reader() as session:
            img = session.get(models.Image, image_id)
            return img.status if img else 'deleted'

    def _ingest(self, image_id, disk_format, chunks, content_length,
                from_status, revert_to, store_id=None, cap=None):
        """Stream `chunks` into the store and activate the image."""
        store = self.store(store_id)
        if cap is None:
            cap = CONF.image.image_size_cap
        stream = _Hashing(chunks, disk_format, cap, content_length)
        try:
            location, size = store.add(image_id, stream)
        except BaseException:
            self._transition(image_id, from_status, revert_to)
            raise
        with db_api.writer() as session:
            done = session.execute(
                sa.update(models.Image)
                .where(models.Image.id == image_id,
                       models.Image.status == from_status)
                .values(status='active', updated_at=utcnow(), size=size,
                        virtual_size=stream.result.virtual_size,
                        checksum=stream.md5.hexdigest(), os_hash_algo=HASH_ALGO,
                        os_hash_value=stream.digest.hexdigest(), store=store.id,
                        location=location)).rowcount == 1
            if done:
                self._add_location(session, image_id, store.id, location)
        if not done:
            # Deleted (or otherwise changed) while the data was streaming.
            store.delete(location)
            raise exception.Gone('Image %s was deleted during the upload.'
                                 % image_id)

    def download(self, ctx, image_id, offset=0, length=None):
        """(record, iterator of chunks or None when there is no data)."""
        with db_api.reader() as session:
            rec = self._record(session, self._get_visible(session, ctx, image_id))
        if not rec['location'] or rec['status'] not in ('active', 'deactivated'):
            return rec, None
        if CONF.image.image_cache_enabled:
            cached = self.cache().open(image_id, rec['checksum'], offset, length)
            if cached is not None:
                return rec, cached
        failure = None
        for loc in stores.read_order(CONF, rec['locations']):
            try:
                return rec, self.store(loc['store']).get(loc['url'], offset=offset,
                                                         length=length)
            except (stores.base.StoreError, exception.NotFound) as exc:
                LOG.warning('image %s: cannot read %s from store %s: %s', image_id,
                            loc['url'], loc['store'], exc)
                failure = exc
        if isinstance(failure, stores.base.NotFound):
            raise exception.NotFound('Image data for %s is missing.' % image_id)
        raise exception.ServiceUnavailable('The data of image %s cannot be read '
                                           'now.' % image_id)

    def stage(self, ctx, image_id, chunks, content_length=None):
        img = self._check_upload(ctx, image_id)
        if CONF.image.use_keystone_limits:
            with db_api.reader() as session:
                self._enforce(session, img['owner'], ('image_count_uploading',))
        cap = min(self._size_cap(img['owner'], 'image_stage_total'),
                  self._size_cap(img['owner']))
        if content_length is not None and content_length > cap:
            raise exception.RequestEntityTooLarge(
                'Image exceeds the storage quota of %d bytes.' % cap)
        with recovery.working('image', image_id):
            self._stage(image_id, chunks, cap)

    @staticmethod
    def _write_capped(path, chunks, cap, durable=False):
        """Write `chunks` to `path` (fsync'd if `durable`); the bytes written.
        More than `cap` bytes is RequestEntityTooLarge."""
        size = 0
        with open(path, 'wb') as f:
            for chunk in chunks:
                size += len(chunk)
                if size > cap:
                    raise exception.RequestEntityTooLarge(
                        'Image exceeds the storage quota of %d bytes.' % cap)
                f.write(chunk)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        return size

    def _stage(self, image_id, chunks, cap):
        if not self._transition(image_id, 'queued', 'uploading'):
            raise exception.Conflict(
                'Image status transition from %s to uploading is not allowed' %
                self._status_of(image_id))
        os.makedirs(self.staging_dir(), exist_ok=True)
        path = self._staging_path(image_id)
        tmp = path + '.part'
        try:
            self._write_capped(tmp, chunks, cap, durable=True)
            os.rename(tmp, path)
            self._update_props(image_id, {stage_hosts.STAGE_HOST: stage_hosts.self_url()})
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            self._transition(image_id, 'uploading', 'queued')
            raise

    def _drop_staged(self, image_id, staging_dir=None):
        path = self._staging_path(image_id, staging_dir)
        for p in (path, path + '.part'):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
