"""Image locations: where an image's data is read from.

Two APIs change them, as Glance's do:
- JSON-patch on /locations (add, replace, remove), shown and allowed only with
  [image] show_multiple_locations;
- image API 2.17: POST /v2/images/{id}/locations adds the one location of a
  queued image; a `location_import` task then reads it once to set the size and
  (with [image] do_secure_hash) the checksum and hash, checked against the
  validation data given. GET lists the locations (for service users).

Clients may only give URLs of a store type that reads remote data (http,
https); store-backed locations (file, ...) are only ever written by the server.
"""
import hashlib
import logging
import re
import uuid

import sqlalchemy as sa

from cloudstack import exception
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import models
from cloudstack.image import stores
from cloudstack.image.manager.base import HASH_ALGO, TASK_HANDLER

LOG = logging.getLogger(__name__)

LOCATION_TASK = 'location_import'
LOCATION_KEYS = ('url', 'metadata', 'validation_data')
VALIDATION_KEYS = ('checksum', 'os_hash_algo', 'os_hash_value')
HEX = re.compile(r'^[0-9a-fA-F]+$')
# While hashing a location's data, see every this many chunks (64 KiB each)
# whether the image is still waiting for it (a deleted image stops the read).
CANCEL_CHECK_CHUNKS = 64


def _hash_length(algo):
    """Hex digits of a digest of `algo`; BadRequest for an unknown one."""
    if not isinstance(algo, str) or algo not in hashlib.algorithms_available:
        raise exception.BadRequest('Unsupported hash algorithm %r' % (algo,))
    try:
        digest = hashlib.new(algo)
        return digest.digest_size * 2 if digest.digest_size else None
    except (ValueError, TypeError):
        raise exception.BadRequest('Unsupported hash algorithm %r' % (algo,))


def check_validation_data(data):
    """The validation data of a new location, checked for form (400)."""
    if data is None or data == {}:
        return {}
    if not isinstance(data, dict):
        raise exception.BadRequest('validation_data must be an object')
    unknown = set(data) - set(VALIDATION_KEYS)
    if unknown:
        raise exception.BadRequest('Unexpected validation_data keys: %s' % ', '.join(
            sorted(unknown)))
    if 'os_hash_value' in data and 'os_hash_algo' not in data:
        raise exception.BadRequest('os_hash_value needs its os_hash_algo')
    if 'os_hash_algo' in data:
        length = _hash_length(data['os_hash_algo'])
        value = data.get('os_hash_value')
        if not isinstance(value, str) or not HEX.match(value) or (
                length and len(value) != length):
            raise exception.BadRequest(
                'os_hash_value must be the %d hex digits of a %s digest' % (
                    length or 0, data['os_hash_algo']))
    checksum = data.get('checksum')
    if 'checksum' in data and (not isinstance(checksum, str) or len(checksum) != 32
                               or not HEX.match(checksum)):
        raise exception.BadRequest('checksum must be 32 hex digits (MD5)')
    return dict(data)


class Locations:

    # -- reading ---------------------------------------------------------

    @staticmethod
    def _location_rows(session, image_id):
        return list(session.scalars(sa.select(models.ImageLocation).where(
            models.ImageLocation.image_id == image_id).order_by(
            models.ImageLocation.id)))

    def get_locations(self, ctx, image_id):
        """GET /v2/images/{id}/locations."""
        with db_api.reader() as session:
            self._get_visible(session, ctx, image_id)
            return [{'url': row.url, 'metadata': row.meta or {}}
                    for row in self._location_rows(session, image_id)]

    # -- checks ----------------------------------------------------------

    def _check_new_location(self, value, with_metadata=True):
        """(url, metadata, validation data, store id) of a client's location;
        the validation data is checked for form only when `with_metadata` is
        off (the 2.17 API: its image is queued), else by _apply_validation."""
        if not isinstance(value, dict):
            raise exception.BadRequest('A location is an object with a url')
        allowed = LOCATION_KEYS if with_metadata else ('url', 'validation_data')
        unknown = set(value) - set(allowed)
        if unknown:
            raise exception.BadRequest('Unexpected location keys: %s' % ', '.join(
                sorted(unknown)))
        url = value.get('url')
        if not isinstance(url, str) or not url or len(url) > 8192:
            raise exception.BadRequest('A location needs a url')
        metadata = value.get('metadata', {})
        if with_metadata and 'metadata' not in value:
            raise exception.BadRequest('A location needs its metadata object')
        if not isinstance(metadata, dict):
            raise exception.BadRequest('Location metadata must be an object')
        store_id = stores.for_url(CONF, url)
        if store_id is None:
            raise exception.BadRequest(
                'Invalid location %s: no enabled store serves that scheme' % url)
        try:
            self.store(store_id).check_location(url)
        except ValueError as exc:
            raise exception.BadRequest('Invalid location: %s' % exc)
        validation = value.get('validation_data') or {}
        if not isinstance(validation, dict):
            raise exception.BadRequest('validation_data must be an object')
        if not with_metadata:
            validation = check_validation_data(validation)
        return url, metadata, validation, store_id

    @staticmethod
    def _apply_validation(img, data):
        """Record validation data on a queued image; 409 when it differs from
        what an active image already has (checked before its form, as Glance)."""
        if not data:
            return
        if img.status != 'queued':
            for key in VALIDATION_KEYS:
                if key in data and getattr(img, key) is not None \
                        and getattr(img, key) != data[key]:
                    raise exception.Conflict('The %s of the new location does not '
                                             'match the image\'s.' % key)
        data = check_validation_data(data)
        if img.status == 'queued':
            img.checksum = data.get('checksum', img.checksum)
            if 'os_hash_algo' in data:
                img.os_hash_algo = data['os_hash_algo']
                img.os_hash_value = data['os_hash_value']

    def _remote_size(self, store_id, url):
        try:
            return self.store(store_id).size(url)
        except stores.base.StoreError as exc:
            raise exception.BadRequest('Cannot read location %s: %s' % (url, exc))

    # -- JSON-patch on /locations ----------------------------------------

    def _patch_locations(self, session, img, op, path, value):
        """One JSON-patch operation on the image's locations; returns the
        {store: location} whose data is to go once this commits."""
        if not CONF.image.show_multiple_locations:
            raise exception.Forbidden(
                "It's not allowed to %s locations if locations are invisible." % op)
        rows = self._location_rows(session, img.id)
        if op == 'replace':
            if len(path) != 1:
                raise exception.BadRequest('Invalid JSON pointer for this resource')
            self._replace_locations(session, img, rows, value)
        elif op == 'add':
            if img.status not in ('queued', 'active'):
                raise exception.Conflict(
                    "It's not allowed to add locations if image status is %s."
                    % img.status)
            pos = self._position(path, len(rows), adding=True)
            self._insert_locations(session, img, rows, pos, [value])
        else:
            if img.status != 'active':
                raise exception.Conflict(
                    "It's not allowed to remove locations if image status is %s."
                    % img.status)
            if len(rows) == 1:
                raise exception.Forbidden('Cannot remove last location in the image.')
            pos = self._position(path, len(rows), adding=False)
            gone = rows.pop(pos)
            session.delete(gone)
            session.flush()
            self._set_primary(img, rows)
            if not stores.read_only(CONF, gone.store):
                return {gone.store: gone.url}
        return {}

    @staticmethod
    def _position(path, count, adding):
        if len(path) != 2:
            raise exception.BadRequest('Invalid JSON pointer for this resource')
        if adding and path[1] == '-':
            return count
        if not path[1].isdigit():
            raise exception.BadRequest('Invalid position %r for a location' % path[1])
        pos = int(path[1])
        if pos > count or (pos == count and not adding):
            raise exception.BadRequest('Invalid position %d for a location' % pos)
        return pos

    def _insert_locations(self, session, img, rows, pos, values):
        """Insert client-given locations at `pos` (rows are re-numbered so
        their ids keep the order)."""
        new = []
        urls = [r.url for r in rows]
        for value in values:
            url, metadata, validation, store_id = self._check_new_location(value)
            if url in urls:
                raise exception.BadRequest('The location %s is already there.' % url)
            urls.append(url)
            self._apply_validation(img, validation)
            if img.size is None:
                img.size = self._remote_size(store_id, url)
            new.append(models.ImageLocation(image_id=img.id, store=store_id, url=url,
                                            meta=metadata, created_at=utcnow()))
        ordered = rows[:pos] + new + rows[pos:]
        self._rewrite(session, img, ordered)
        if img.status == 'queued':
            img.status = 'active'

    def _replace_locations(self, session, img, rows, value):
        if not isinstance(value, list):
            raise exception.BadRequest('locations must be a list')
        if img.status not in ('queued', 'active'):
            raise exception.Conflict(
                "It's not allowed to replace locations if image status is %s."
                % img.status)
        if not rows:
            if value:
                self._insert_locations(session, img, [], 0, value)
            return
        by_url = {r.url: r for r in rows}
        given = []
        for item in value:
            if not isinstance(item, dict) or not isinstance(item.get('url'), str):
                raise exception.BadRequest('A location is an object with a url')
            given.append(item['url'])
        if sorted(given) != sorted(by_url):
            raise exception.BadRequest(
                'Locations can be replaced only by the same URLs (new metadata '
                'or order); add or remove them one by one.')
        ordered = []
        for item in value:
            meta = item.get('metadata', {})
            if not isinstance(meta, dict):
                raise exception.BadRequest('Location metadata must be an object')
            row = by_url[item['url']]
            ordered.append(models.ImageLocation(image_id=img.id, store=row.store,
                                                url=row.url, meta=meta,
                                                created_at=row.created_at))
        self._rewrite(session, img, ordered)

    def _rewrite(self, session, img, ordered):
        """Store the image's locations in this order."""
        session.execute(sa.delete(models.ImageLocation).where(
            models.ImageLocation.image_id == img.id))
        for row in ordered:
            session.add(models.ImageLocation(image_id=img.id, store=row.store,
                                             url=row.url, meta=row.meta or {},
                                             created_at=row.created_at or utcnow()))
        session.flush()
        self._set_primary(img, ordered)

    @staticmethod
    def _set_primary(img, rows):
        """The image's first location is the one its columns name."""
        first = rows[0] if rows else None
        img.store = first.store if first else None
        img.location = first.url if first else None
        img.updated_at = utcnow()

    # -- image API 2.17 --------------------------------------------------

    def add_location(self, ctx, image_id, body):
        """POST /v2/images/{id}/locations: the location of a queued image,
        read by a location_import task; returns the task id."""
        if not isinstance(body, dict):
            raise exception.BadRequest('The request body must be a JSON object')
        url, _, validation, store_id = self._check_new_location(body,
                                                                with_metadata=False)
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            if img.status != 'queued':
                raise exception.Conflict(
                    'Locations can only be added to a queued image (%s is %s).'
                    % (image_id, img.status))
            rows = self._location_rows(session, image_id)
            if any(r.url == url for r in rows):
                raise exception.BadRequest('The location %s is already there.' % url)
            session.add(models.ImageLocation(image_id=image_id, store=store_id,
                                             url=url, meta={}, created_at=utcnow()))
            img.status, img.updated_at = 'importing', utcnow()
            img.store, img.location = store_id, url
            now = utcnow()
            task_id = str(uuid.uuid4())
            session.add(models.ImageTask(
                id=task_id, type=LOCATION_TASK, status='pending',
                owner=ctx.project_id, image_id=image_id, user_id=ctx.user_id,
                request_id=ctx.request_id, message='', created_at=now,
                updated_at=now, input={'image_id': image_id, 'loc_url': url,
                                       'validation_data': validation}))
            tasks.enqueue(session, TASK_HANDLER, {'task_id': task_id},
                          resource=('image', image_id))
        return task_id

    def _run_location_import(self, task):
        """Read the new location once: size, and with do_secure_hash the
        checksum and hash (checked against the validation data). A failure
        puts the image back to queued; its location stays (as Glance's http
        store, whose locations cannot be deleted)."""
        inp = task['input']
        image_id, url = inp['image_id'], inp['loc_url']
        validation = inp.get('validation_data') or {}
        with db_api.reader() as session:
            img = session.get(models.Image, image_id)
            if img is None:
                raise exception.NotFound('Image %s is gone.' % image_id)
            if img.status == 'active':
                return {'image_id': image_id}     # a retry after the work was done
            store_id = img.store
        values = {}
        try:
            store = self.store(store_id)
            if CONF.image.do_secure_hash:
                algo = validation.get('os_hash_algo', HASH_ALGO)
                md5 = hashlib.md5(usedforsecurity=False)
                digest = hashlib.new(algo)
                size = 0
                for n, chunk in enumerate(store.get(url), 1):
                    size += len(chunk)
                    md5.update(chunk)
                    digest.update(chunk)
                    if n % CANCEL_CHECK_CHUNKS == 0 and \
                            self._status_of(image_id) != 'importing':
                        raise exception.Gone('Image %s was deleted while its '
                                             'location was read.' % image_id)
                values = {'size': size, 'checksum': md5.hexdigest(),
                          'os_hash_algo': algo, 'os_hash_value': digest.hexdigest()}
                for key in VALIDATION_KEYS:
                    if key in validation and validation[key].lower() != values[key]:
                        raise exception.Conflict(
                            'The %s of the data at %s does not match the validation '
                            'data.' % (key, url))
            else:
                values = {'size': store.size(url)}
                values.update({k: validation[k] for k in VALIDATION_KEYS
                               if k in validation})
        except Exception as exc:
            self._transition(image_id, 'importing', 'queued')
            if isinstance(exc, stores.base.StoreError):
                raise exception.BadRequest('Cannot read %s: %s' % (url, exc))
            raise
        if not self._transition(image_id, 'importing', 'active', **values):
            raise exception.Conflict('Image %s changed while its location was read.'
                                     % image_id)
        return {'image_id': image_id}
