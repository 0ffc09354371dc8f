"""What the areas of the image manager share: constants, the streaming
checks, store and record helpers, validation."""
import hashlib
import logging
import os
import re

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.image import inspection
from cloudstack.image import models
from cloudstack.image import stores

LOG = logging.getLogger(__name__)

DISK_FORMATS = ('ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2',
                'vdi', 'iso', 'ploop')
CONTAINER_FORMATS = ('ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker',
                     'compressed')
VISIBILITIES = ('public', 'private', 'shared', 'community')
STATUSES = ('queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete',
            'deactivated', 'uploading', 'importing')
MEMBER_STATUSES = ('pending', 'accepted', 'rejected')
# Every import method this server knows; import_methods() says which are on.
GLANCE_DOWNLOAD = 'glance-download'
IMPORT_METHODS = ('glance-direct', 'web-download', 'copy-image', GLANCE_DOWNLOAD)
TASK_TYPES = ('import',)
TASK_STATUSES = ('pending', 'processing', 'success', 'failure')
TASK_SORT_KEYS = ('created_at', 'updated_at', 'id', 'status', 'type', 'expires_at')
# Task handlers, registered in cloudstack.image.manager.
TASK_HANDLER = 'image.run_task'
CACHE_TARGETS = ('cache', 'queue', 'both')
# Properties the server keeps on an image while (and after) it imports.
IMPORT_TASK = 'os_glance_import_task'
IMPORTING_TO = 'os_glance_importing_to_stores'
FAILED_IMPORT = 'os_glance_failed_import'
# Unified limits (MiB for the sizes) enforced with [image] use_keystone_limits.
QUOTA_RESOURCES = ('image_size_total', 'image_stage_total', 'image_count_total',
                   'image_count_uploading')
HASH_ALGO = 'sha512'
CHUNK_SIZE = 65536

# Attributes a client may set (beyond free-form properties).
WRITABLE = ('name', 'visibility', 'protected', 'os_hidden', 'disk_format',
            'container_format', 'min_disk', 'min_ram', 'tags', 'owner', 'id')
# Attributes only the server sets.
READ_ONLY = ('created_at', 'updated_at', 'status', 'checksum', 'os_hash_algo',
             'os_hash_value', 'size', 'virtual_size', 'direct_url', 'self',
             'file', 'schema', 'stores', 'location', 'deleted', 'deleted_at')
# Core attributes that cannot be removed by a PATCH.
CORE = WRITABLE + READ_ONLY + ('locations',)
RESERVED_PREFIX = 'os_glance'
UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?'
                     r'[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$')

SORT_KEYS = ('name', 'status', 'container_format', 'disk_format', 'size', 'id',
             'created_at', 'updated_at', 'visibility', 'owner', 'min_disk',
             'min_ram', 'virtual_size', 'protected', 'os_hidden')
_NULL_SORT = {'name': '', 'size': -1, 'virtual_size': -1, 'owner': '',
              'container_format': '', 'disk_format': ''}


class FormatRejected(exception.BadRequest):
    pass


class _Hashing:
    """Counts, hashes, inspects and bounds the chunks streaming through."""

    def __init__(self, chunks, declared, cap, expected=None):
        self.chunks = chunks
        self.cap = cap
        self.expected = expected
        self.size = 0
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.digest = hashlib.new(HASH_ALGO)
        self.inspector = inspection.StreamInspector(
            declared, enforce=CONF.image.require_image_format_match)

    def __iter__(self):
        for chunk in self.chunks:
            if not chunk:
                continue
            self.size += len(chunk)
            if self.size > self.cap:
                raise exception.RequestEntityTooLarge(
                    'Image exceeds the storage quota of %d bytes.' % self.cap)
            try:
                self.inspector.feed(chunk)
            except inspection.FormatError as exc:
                raise FormatRejected(str(exc))
            self.md5.update(chunk)
            self.digest.update(chunk)
            yield chunk
        if self.expected is not None and self.size != self.expected:
            raise exception.BadRequest(
                'Received %d bytes, Content-Length said %d.' % (
                    self.size, self.expected))
        try:
            self.result = self.inspector.finish()
        except inspection.FormatError as exc:
            raise FormatRejected(str(exc))


def read_chunks(fileobj, chunk_size=CHUNK_SIZE):
    while True:
        data = fileobj.read(chunk_size)
        if not data:
            return
        yield data


def import_methods():
    """The import methods this deployment offers, as /v2/info/import lists them."""
    out = []
    for method in CONF.image.enabled_import_methods:
        if method not in IMPORT_METHODS or method in out:
            continue
        if method == 'web-download' and not CONF.image.web_download_allowed_hosts:
            continue
        if method == 'copy-image' and len(stores.available(CONF)) < 2:
            continue
        out.append(method)
    return out


class Base:

    # -- helpers ---------------------------------------------------------

    def store(self, name=None):
        try:
            return stores.get_store(CONF, name)
        except stores.UnknownStore:
            raise exception.NotFound('Store %s is not enabled.' % name)

    @staticmethod
    def check_store(store_id):
        if store_id not in stores.available(CONF):
            raise exception.BadRequest('Unknown store %s; enabled stores: %s' % (
                store_id, ', '.join(stores.available(CONF))))
        return store_id

    @staticmethod
    def _locations(session, img):
        """{store id: location} of the image's data (a store's first)."""
        found = {}
        for loc in session.scalars(sa.select(models.ImageLocation).where(
                models.ImageLocation.image_id == img.id).order_by(
                models.ImageLocation.id)):
            found.setdefault(loc.store, loc.url)
        if img.location and img.store not in found:
            found[img.store] = img.location     # written before image_locations
        return found

    def staging_dir(self):
        return CONF.image.staging_dir or os.path.join(CONF.data_dir,
                                                      'image-staging')

    def _staging_path(self, image_id, staging_dir=None):
        return os.path.join(staging_dir or self.staging_dir(), image_id)

    def policy_target(self, ctx, image_id):
        """What the API checks its rules against ({'owner', 'visibility'},
        and the image's 'status'), or 404 when the caller cannot see it."""
        with db_api.reader() as session:
            img = self._get_visible(session, ctx, image_id)
            return {'owner': img.owner or '', 'visibility': img.visibility,
                    'status': img.status}

    def _row(self, session, image_id, lock=False):
        stmt = sa.select(models.Image).where(models.Image.id == image_id)
        if lock and not db_api.is_sqlite():
            stmt = stmt.with_for_update()
        return session.scalars(stmt).first()

    def _membership(self, session, image_id, project_id):
        if not project_id:
            return None
        return session.get(models.ImageMember, (image_id, project_id))

    def _visible(self, session, ctx, img):
        if ctx.all_projects:
            return True
        if img.owner and img.owner == ctx.project_id:
            return True
        if img.visibility in ('public', 'community'):
            return True
        if img.visibility == 'shared':
            return self._membership(session, img.id, ctx.project_id) is not None
        return False

    def _get_visible(self, session, ctx, image_id, lock=False):
        img = self._row(session, image_id, lock=lock)
        if img is None or not self._visible(session, ctx, img):
            raise exception.NotFound('No image found with ID %s' % image_id)
        return img

    def _record(self, session, img):
        return self._records(session, [img])[0]

    def _records(self, session, imgs):
        ids = [i.id for i in imgs]
        props = {i: {} for i in ids}
        tags = {i: [] for i in ids}
        where = {i: [] for i in ids}
        if ids:
            for loc in session.scalars(sa.select(models.ImageLocation).where(
                    models.ImageLocation.image_id.in_(ids)).order_by(
                    models.ImageLocation.id)):
                where[loc.image_id].append({'url': loc.url, 'metadata': loc.meta or {},
                                            'store': loc.store})
            for p in session.scalars(sa.select(models.ImageProperty).where(
                    models.ImageProperty.image_id.in_(ids))):
                props[p.image_id][p.name] = p.value
            for t in session.scalars(sa.select(models.ImageTag).where(
                    models.ImageTag.image_id.in_(ids)).order_by(
                    models.ImageTag.value)):
                tags[t.image_id].append(t.value)
        out = []
        for img in imgs:
            rec = {c.name: getattr(img, c.name)
                   for c in models.Image.__table__.columns}
            rec['properties'] = props[img.id]
            rec['tags'] = tags[img.id]
            if img.location and img.store and not where[img.id]:
                where[img.id].append({'url': img.location, 'metadata': {},
                                      'store': img.store})
            rec['locations'] = where[img.id]
            first = stores.read_order(CONF, where[img.id])[:1]
            rec['direct_url'] = first[0]['url'] if first else None
            rec['stores'] = stores.by_weight(CONF, sorted(
                {loc['store'] for loc in where[img.id]}))
            out.append(rec)
        return out

    # -- validation ------------------------------------------------------

    def _check_value(self, ctx, key, value, img_owner):
        """Validate one core attribute's new value."""
        if key == 'name':
            if value is not None and (not isinstance(value, str) or len(value) > 255):
                raise exception.BadRequest('name must be a string of at most 255 characters')
        elif key == 'visibility':
            if value not in VISIBILITIES:
                raise exception.BadRequest('Invalid visibility value: %s' % value)
        elif key in ('protected', 'os_hidden'):
            if not isinstance(value, bool):
                raise exception.BadRequest('%s must be a boolean' % key)
        elif key == 'disk_format':
            if value is not None and value not in DISK_FORMATS:
                raise exception.BadRequest('Invalid disk format %r' % value)
        elif key == 'container_format':
            if value is not None and value not in CONTAINER_FORMATS:
                raise exception.BadRequest('Invalid container format %r' % value)
        elif key in ('min_disk', 'min_ram'):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0 \
                    or value > 2 ** 31 - 1:
                raise exception.BadRequest('%s must be a non-negative integer' % key)
        elif key == 'tags':
            if not isinstance(value, list):
                raise exception.BadRequest('tags must be a list')
            for t in value:
                self._check_tag(t)
            if len(set(value)) > CONF.image.image_tag_quota:
                raise exception.RequestEntityTooLarge(
                    'Maximum number of tags exceeded (%d)' % CONF.image.image_tag_quota)
        elif key == 'owner':
            if value is not None and (not isinstance(value, str) or len(value) > 255):
                raise exception.BadRequest('owner must be a string')

    @staticmethod
    def _check_tag(tag):
        if not isinstance(tag, str) or not tag or len(tag) > 255:
            raise exception.BadRequest('A tag is a string of 1 to 255 characters')

    @staticmethod
    def _check_property(key, value):
        if not isinstance(key, str) or not key or len(key) > 255:
            raise exception.BadRequest('Property names are 1 to 255 characters')
        if key.startswith(RESERVED_PREFIX):
            raise exception.Forbidden(
                "Attribute '%s' is reserved." % key)
        if not isinstance(value, str):
            raise exception.BadRequest(
                'Property %s must be a string, not %s' % (key, type(value).__name__))
        if len(value) > 65535:
            raise exception.BadRequest('Property %s is too long' % key)
