"""The Image service's rules: images, their data, tags and members.

Records come back as plain dicts: the image's columns plus `properties`
(custom key/values) and `tags`. Image data never passes through memory whole:
uploads are streamed to the store chunk by chunk, counted, hashed and
format-inspected on the way.
"""
import datetime
import hashlib
import os
import re
import uuid

import sqlalchemy as sa

from cloudstack import exception
from cloudstack import policy
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import format_inspector
from cloudstack.image import models
from cloudstack.image import stores

DISK_FORMATS = ('ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2',
                'vdi', 'iso', 'ploop')
CONTAINER_FORMATS = ('ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker',
                     'compressed')
VISIBILITIES = ('public', 'private', 'shared', 'community')
STATUSES = ('queued', 'saving', 'active', 'killed', 'deleted', 'pending_delete',
            'deactivated', 'uploading', 'importing')
MEMBER_STATUSES = ('pending', 'accepted', 'rejected')
IMPORT_METHODS = ('glance-direct',)
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
        self.inspector = format_inspector.StreamInspector(
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
            except format_inspector.FormatError as exc:
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
        except format_inspector.FormatError as exc:
            raise FormatRejected(str(exc))


def read_chunks(fileobj, chunk_size=CHUNK_SIZE):
    while True:
        data = fileobj.read(chunk_size)
        if not data:
            return
        yield data


class Manager:

    # -- helpers ---------------------------------------------------------

    def store(self, name=None):
        return stores.get_store(CONF, name)

    def staging_dir(self):
        return CONF.image.staging_dir or os.path.join(CONF.data_dir,
                                                      'image-staging')

    def _staging_path(self, image_id):
        return os.path.join(self.staging_dir(), image_id)

    @staticmethod
    def _is_admin(ctx):
        return ctx.is_admin or 'admin' in ctx.roles

    def _target(self, img):
        return {'owner': img.owner or '', 'visibility': img.visibility}

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
        if self._is_admin(ctx):
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
        if ids:
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
            if value == 'public':
                policy.authorize(ctx, 'image:publicize_image',
                                   {'owner': img_owner or ''})
            elif value == 'community':
                policy.authorize(ctx, 'image:communitize_image',
                                   {'owner': img_owner or ''})
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
            if value != ctx.project_id:
                policy.authorize(ctx, 'image:set_owner', {'owner': value or ''})

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

    # -- images ----------------------------------------------------------

    def create_image(self, ctx, body):
        if not isinstance(body, dict):
            raise exception.BadRequest('The request body must be a JSON object')
        body = dict(body)
        for key in body:
            if key in READ_ONLY:
                raise exception.Forbidden("Attribute '%s' is read-only." % key)
            if key == 'locations':
                raise exception.Forbidden('Setting locations is not allowed.')
        owner = body.pop('owner', ctx.project_id)
        policy.authorize(ctx, 'image:add_image', {'owner': owner or ''})
        image_id = body.pop('id', None)
        if image_id is not None:
            if not isinstance(image_id, str) or not UUID_RE.match(image_id):
                raise exception.BadRequest('id must be a UUID')
        else:
            image_id = str(uuid.uuid4())
        core = {'name': None, 'visibility': 'shared', 'protected': False,
                'os_hidden': False, 'disk_format': None, 'container_format': None,
                'min_disk': 0, 'min_ram': 0}
        tags = body.pop('tags', [])
        self._check_value(ctx, 'tags', tags, owner)
        self._check_value(ctx, 'owner', owner, owner)
        props = {}
        for key, value in body.items():
            if key in core:
                self._check_value(ctx, key, value, owner)
                core[key] = value
            else:
                self._check_property(key, value)
                props[key] = value
        if len(props) > CONF.image.image_property_quota:
            raise exception.RequestEntityTooLarge(
                'Maximum number of properties exceeded (%d)' %
                CONF.image.image_property_quota)
        now = utcnow()
        try:
            return self._insert_image(image_id, owner, now, core, props, tags)
        except sa.exc.IntegrityError:
            # A concurrent create with the same id won the race.
            raise exception.Conflict('Image with identifier %s already exists!'
                                     % image_id)

    def _insert_image(self, image_id, owner, now, core, props, tags):
        with db_api.writer() as session:
            if session.get(models.Image, image_id) is not None:
                raise exception.Conflict('Image with identifier %s already exists!'
                                         % image_id)
            img = models.Image(id=image_id, status='queued', owner=owner,
                               created_at=now, updated_at=now, **core)
            session.add(img)
            session.flush()
            for k, v in props.items():
                session.add(models.ImageProperty(image_id=image_id, name=k, value=v))
            for t in sorted(set(tags)):
                session.add(models.ImageTag(image_id=image_id, value=t))
            session.flush()
            return self._record(session, img)

    def get_image(self, ctx, image_id):
        policy.authorize(ctx, 'image:get_image')
        with db_api.reader() as session:
            return self._record(session, self._get_visible(session, ctx, image_id))

    def list_images(self, ctx, filters, limit, marker, sort):
        policy.authorize(ctx, 'image:get_images')
        I = models.Image
        filters = dict(filters)
        with db_api.reader() as session:
            stmt = sa.select(I)
            stmt = stmt.where(self._visibility_clause(ctx, filters))
            hidden = filters.pop('os_hidden', None)
            stmt = stmt.where(I.os_hidden == (hidden if hidden is not None else False))
            for cond in self._filter_clauses(filters):
                stmt = stmt.where(cond)
            marker_row = None
            if marker:
                marker_row = session.get(I, marker)
                if marker_row is None or not self._visible(session, ctx, marker_row):
                    raise exception.BadRequest('marker %s not found' % marker)
            stmt = self._paginate(stmt, limit, marker_row, sort)
            rows = list(session.scalars(stmt))
            return self._records(session, rows)

    def _visibility_clause(self, ctx, filters):
        I, M = models.Image, models.ImageMember
        visibility = filters.pop('visibility', None)
        member_status = filters.pop('member_status', 'accepted')
        if visibility is not None and visibility not in VISIBILITIES + ('all',):
            raise exception.BadRequest('Invalid visibility value: %s' % visibility)
        if member_status not in MEMBER_STATUSES + ('all',):
            raise exception.BadRequest('Invalid member_status value: %s' % member_status)
        if self._is_admin(ctx):
            if visibility in (None, 'all'):
                return sa.true()
            return I.visibility == visibility
        pid = ctx.project_id or ''
        member = sa.select(M.image_id).where(M.image_id == I.id, M.member == pid)
        if member_status != 'all':
            member = member.where(M.status == member_status)
        own = I.owner == pid
        shared = sa.and_(I.visibility == 'shared', sa.exists(member))
        if visibility is None:
            return sa.or_(own, I.visibility == 'public', shared)
        if visibility == 'all':
            return sa.or_(own, I.visibility.in_(('public', 'community')), shared)
        if visibility in ('public', 'community'):
            return I.visibility == visibility
        if visibility == 'private':
            return sa.and_(own, I.visibility == 'private')
        return sa.or_(sa.and_(own, I.visibility == 'shared'), shared)

    def _filter_clauses(self, filters):
        I = models.Image
        out = []
        for key, values in filters.items():
            for value in values if isinstance(values, list) else [values]:
                out.append(self._filter_clause(I, key, value))
        return out

    def _filter_clause(self, I, key, value):
        if key == 'tag':
            return sa.exists(sa.select(models.ImageTag.image_id).where(
                models.ImageTag.image_id == I.id, models.ImageTag.value == value))
        if key in ('size_min', 'size_max'):
            try:
                n = int(value)
            except ValueError:
                raise exception.BadRequest('%s must be an integer' % key)
            return I.size >= n if key == 'size_min' else I.size <= n
        if key in ('protected', 'os_hidden'):
            from cloudstack.api import common
            return I.protected == common.bool_param(value)
        if key in ('min_disk', 'min_ram', 'size', 'virtual_size'):
            try:
                return getattr(I, key) == int(value)
            except ValueError:
                raise exception.BadRequest('%s must be an integer' % key)
        if key in ('created_at', 'updated_at'):
            return self._time_clause(getattr(I, key), value)
        if key in ('id', 'name', 'status', 'disk_format', 'container_format',
                   'owner', 'checksum', 'os_hash_value'):
            col = getattr(I, key)
            if value.startswith('in:'):
                items = [v.strip().strip('"') for v in value[3:].split(',')]
                return col.in_(items)
            return col == value
        # Any other key is a custom property.
        P = models.ImageProperty
        return sa.exists(sa.select(P.image_id).where(
            P.image_id == I.id, P.name == key, P.value == value))

    @staticmethod
    def _time_clause(col, value):
        op, sep, raw = value.partition(':')
        if not sep or op not in ('gt', 'gte', 'lt', 'lte', 'eq', 'neq'):
            op, raw = 'eq', value
        try:
            when = datetime.datetime.fromisoformat(raw.replace('Z', '+00:00'))
        except ValueError:
            raise exception.BadRequest('Invalid time value %s' % raw)
        if when.tzinfo is not None:
            when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return {'gt': col > when, 'gte': col >= when, 'lt': col < when,
                'lte': col <= when, 'eq': col == when, 'neq': col != when}[op]

    def _paginate(self, stmt, limit, marker_row, sort):
        I = models.Image
        sort = list(sort)
        if 'id' not in [k for k, _ in sort]:
            sort.append(('id', sort[-1][1] if sort else 'asc'))

        def expr(key):
            col = getattr(I, key)
            if key in _NULL_SORT:
                return sa.func.coalesce(col, _NULL_SORT[key])
            return col

        def value(key):
            v = getattr(marker_row, key)
            return _NULL_SORT.get(key) if v is None else v

        for key, direction in sort:
            e = expr(key)
            stmt = stmt.order_by(e.desc() if direction == 'desc' else e.asc())
        if marker_row is not None:
            ors = []
            for i, (key, direction) in enumerate(sort):
                ands = [expr(k) == value(k) for k, _ in sort[:i]]
                e, v = expr(key), value(key)
                ands.append(e < v if direction == 'desc' else e > v)
                ors.append(sa.and_(*ands))
            stmt = stmt.where(sa.or_(*ors))
        if limit is not None:
            stmt = stmt.limit(limit)
        return stmt

    def update_image(self, ctx, image_id, ops):
        """Apply JSON-patch `ops` [(op, path_parts, value)] to the image."""
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            policy.authorize(ctx, 'image:modify_image', self._target(img))
            rec = self._record(session, img)
            props = dict(rec['properties'])
            tags = list(rec['tags'])
            core = {k: rec[k] for k in WRITABLE if k not in ('tags', 'id')}
            changed_core = {}
            for op, path, value in ops:
                if len(path) == 2 and path[0] == 'tags':
                    raise exception.BadRequest('Invalid JSON pointer for this resource')
                if len(path) != 1:
                    raise exception.BadRequest('Invalid JSON pointer for this resource')
                key = path[0]
                if key.startswith(RESERVED_PREFIX):
                    raise exception.Forbidden("Attribute '%s' is reserved." % key)
                if key == 'id' or key in READ_ONLY:
                    raise exception.Forbidden("Attribute '%s' is read-only." % key)
                if key == 'locations':
                    raise exception.Forbidden('Changing locations is not allowed.')
                if key == 'tags':
                    if op == 'remove':
                        raise exception.Forbidden('Attribute tags cannot be removed.')
                    self._check_value(ctx, 'tags', value, img.owner)
                    tags = sorted(set(value))
                elif key in core:
                    if op == 'remove':
                        raise exception.Forbidden(
                            "Attribute '%s' cannot be removed." % key)
                    self._check_value(ctx, key, value, img.owner)
                    core[key] = value
                    changed_core[key] = value
                else:
                    if op == 'remove':
                        if key not in props:
                            raise exception.Conflict('Property %s does not exist.' % key)
                        del props[key]
                    else:
                        if op == 'replace' and key not in props:
                            raise exception.Conflict('Property %s does not exist.' % key)
                        self._check_property(key, value)
                        props[key] = value
            if len(props) > CONF.image.image_property_quota:
                raise exception.RequestEntityTooLarge(
                    'Maximum number of properties exceeded (%d)' %
                    CONF.image.image_property_quota)
            if img.status == 'active' and any(
                    k in changed_core and changed_core[k] != rec[k]
                    for k in ('disk_format', 'container_format')):
                raise exception.Forbidden(
                    'Attribute disk_format and container_format can be only '
                    'replaced for a queued image.')
            for k, v in changed_core.items():
                setattr(img, k, v)
            img.updated_at = utcnow()
            if props != rec['properties']:
                session.execute(sa.delete(models.ImageProperty).where(
                    models.ImageProperty.image_id == image_id))
                for k, v in props.items():
                    session.add(models.ImageProperty(image_id=image_id, name=k,
                                                     value=v))
            if tags != rec['tags']:
                session.execute(sa.delete(models.ImageTag).where(
                    models.ImageTag.image_id == image_id))
                for t in tags:
                    session.add(models.ImageTag(image_id=image_id, value=t))
            session.flush()
            return self._record(session, img)

    def delete_image(self, ctx, image_id):
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            policy.authorize(ctx, 'image:delete_image', self._target(img))
            if img.protected:
                raise exception.Forbidden('Image %s is protected and cannot be '
                                          'deleted.' % image_id)
            store_name, location = img.store, img.location
            session.execute(sa.delete(models.ImageMember).where(
                models.ImageMember.image_id == image_id))
            session.execute(sa.delete(models.ImageTag).where(
                models.ImageTag.image_id == image_id))
            session.execute(sa.delete(models.ImageProperty).where(
                models.ImageProperty.image_id == image_id))
            session.delete(img)
        if location:
            self.store(store_name).delete(location)
        self._drop_staged(image_id)

    def _set_status(self, ctx, image_id, rule, allowed_from, to):
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            policy.authorize(ctx, rule, self._target(img))
            if img.status == to:
                return
            if img.status not in allowed_from:
                raise exception.Forbidden(
                    'Not allowed to change the status of an image in status %r '
                    'to %r.' % (img.status, to))
            img.status = to
            img.updated_at = utcnow()

    def deactivate(self, ctx, image_id):
        self._set_status(ctx, image_id, 'image:deactivate', ('active',),
                         'deactivated')

    def reactivate(self, ctx, image_id):
        self._set_status(ctx, image_id, 'image:reactivate', ('deactivated',),
                         'active')

    def _transition(self, image_id, frm, to, **values):
        """Atomically move the image from status `frm` to `to`; False if it
        was not in `frm` (or is gone)."""
        with db_api.writer() as session:
            res = session.execute(
                sa.update(models.Image)
                .where(models.Image.id == image_id, models.Image.status == frm)
                .values(status=to, updated_at=utcnow(), **values))
            return res.rowcount == 1

    # -- data ------------------------------------------------------------

    def _check_upload(self, ctx, image_id):
        with db_api.reader() as session:
            img = self._get_visible(session, ctx, image_id)
            policy.authorize(ctx, 'image:upload_image', self._target(img))
            return self._record(session, img)

    def upload(self, ctx, image_id, chunks, content_length=None):
        img = self._check_upload(ctx, image_id)
        cap = CONF.image.image_size_cap
        if content_length is not None and content_length > cap:
            raise exception.RequestEntityTooLarge(
                'Image exceeds the storage quota of %d bytes.' % cap)
        if not img['disk_format'] or not img['container_format']:
            raise exception.BadRequest(
                'Properties disk_format and container_format must be set '
                'before the image data is uploaded.')
        if not self._transition(image_id, 'queued', 'saving'):
            raise exception.Conflict(
                'Image status transition from %s to saving is not allowed' %
                self._status_of(image_id))
        self._ingest(image_id, img['disk_format'], chunks, content_length,
                     from_status='saving', revert_to='queued')

    def _status_of(self, image_id):
        with db_api.reader() as session:
            img = session.get(models.Image, image_id)
            return img.status if img else 'deleted'

    def _ingest(self, image_id, disk_format, chunks, content_length,
                from_status, revert_to):
        """Stream `chunks` into the store and activate the image."""
        store = self.store()
        stream = _Hashing(chunks, disk_format, CONF.image.image_size_cap,
                          content_length)
        try:
            location, size = store.add(image_id, stream)
        except BaseException:
            self._transition(image_id, from_status, revert_to)
            raise
        done = self._transition(
            image_id, from_status, 'active', size=size,
            virtual_size=stream.result.virtual_size,
            checksum=stream.md5.hexdigest(), os_hash_algo=HASH_ALGO,
            os_hash_value=stream.digest.hexdigest(), store=store.name,
            location=location)
        if not done:
            # Deleted (or otherwise changed) while the data was streaming.
            store.delete(location)
            raise exception.Gone('Image %s was deleted during the upload.'
                                 % image_id)

    def download(self, ctx, image_id, offset=0, length=None):
        """(record, iterator of chunks or None when there is no data)."""
        policy.authorize(ctx, 'image:download_image')
        with db_api.reader() as session:
            img = self._get_visible(session, ctx, image_id)
            rec = self._record(session, img)
            target = self._target(img)
        if rec['status'] == 'deactivated' and not policy.check(
                ctx, 'image:download_deactivated', target):
            raise exception.Forbidden('The requested image has been deactivated. '
                                      'Image data download is forbidden.')
        if not rec['location'] or rec['status'] not in ('active', 'deactivated'):
            return rec, None
        try:
            return rec, self.store(rec['store']).get(rec['location'], offset=offset,
                                                     length=length)
        except stores.base.NotFound:
            raise exception.NotFound('Image data for %s is missing.' % image_id)

    def stage(self, ctx, image_id, chunks, content_length=None):
        self._check_upload(ctx, image_id)
        cap = CONF.image.image_size_cap
        if content_length is not None and content_length > cap:
            raise exception.RequestEntityTooLarge(
                'Image exceeds the storage quota of %d bytes.' % cap)
        if not self._transition(image_id, 'queued', 'uploading'):
            raise exception.Conflict(
                'Image status transition from %s to uploading is not allowed' %
                self._status_of(image_id))
        os.makedirs(self.staging_dir(), exist_ok=True)
        path = self._staging_path(image_id)
        tmp = path + '.part'
        size = 0
        try:
            with open(tmp, 'wb') as f:
                for chunk in chunks:
                    size += len(chunk)
                    if size > cap:
                        raise exception.RequestEntityTooLarge(
                            'Image exceeds the storage quota of %d bytes.' % cap)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            self._transition(image_id, 'uploading', 'queued')
            raise

    def _drop_staged(self, image_id):
        for p in (self._staging_path(image_id), self._staging_path(image_id) + '.part'):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass

    def import_image(self, ctx, image_id, body):
        if not isinstance(body, dict) or not isinstance(body.get('method'), dict):
            raise exception.BadRequest('An import request needs a method.')
        method = body['method'].get('name')
        if method not in IMPORT_METHODS:
            raise exception.BadRequest('Import method %s is not valid.' % method)
        wanted = body.get('stores')
        if wanted is not None:
            if not isinstance(wanted, list) or any(
                    s not in stores.available(CONF) for s in wanted):
                raise exception.BadRequest('Unknown store in %r' % (wanted,))
        with db_api.reader() as session:
            img = self._get_visible(session, ctx, image_id)
            policy.authorize(ctx, 'image:import_image', self._target(img))
            disk_format, container_format = img.disk_format, img.container_format
        if not disk_format or not container_format:
            raise exception.BadRequest(
                'Properties disk_format and container_format must be set '
                'before the image is imported.')
        if not self._transition(image_id, 'uploading', 'importing'):
            raise exception.Conflict(
                'Image status %s does not allow a glance-direct import' %
                self._status_of(image_id))
        path = self._staging_path(image_id)
        try:
            f = open(path, 'rb')
        except FileNotFoundError:
            self._transition(image_id, 'importing', 'queued')
            raise exception.Conflict('Image %s has no staged data' % image_id)
        try:
            with f:
                self._ingest(image_id, disk_format, read_chunks(f), None,
                             from_status='importing', revert_to='queued')
        except Exception:
            self._drop_staged(image_id)
            raise
        self._drop_staged(image_id)

    # -- tags ------------------------------------------------------------

    def add_tag(self, ctx, image_id, tag):
        self._check_tag(tag)
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            policy.authorize(ctx, 'image:modify_image', self._target(img))
            if session.get(models.ImageTag, (image_id, tag)) is None:
                count = session.scalar(sa.select(sa.func.count()).where(
                    models.ImageTag.image_id == image_id))
                if count >= CONF.image.image_tag_quota:
                    raise exception.RequestEntityTooLarge(
                        'Maximum number of tags exceeded (%d)' %
                        CONF.image.image_tag_quota)
                session.add(models.ImageTag(image_id=image_id, value=tag))
            img.updated_at = utcnow()

    def delete_tag(self, ctx, image_id, tag):
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            policy.authorize(ctx, 'image:modify_image', self._target(img))
            row = session.get(models.ImageTag, (image_id, tag))
            if row is None:
                raise exception.NotFound('Tag %s not found' % tag)
            session.delete(row)
            img.updated_at = utcnow()

    # -- members ---------------------------------------------------------

    @staticmethod
    def _member_record(m):
        return {'image_id': m.image_id, 'member_id': m.member, 'status': m.status,
                'created_at': m.created_at, 'updated_at': m.updated_at}

    @staticmethod
    def _require_shared(img):
        if img.visibility != 'shared':
            raise exception.Forbidden(
                'Only shared images have members.')

    def add_member(self, ctx, image_id, member_id):
        if not isinstance(member_id, str) or not member_id or len(member_id) > 255:
            raise exception.BadRequest('member must be a project ID')
        try:
            return self._insert_member(ctx, image_id, member_id)
        except sa.exc.IntegrityError:
            raise exception.Conflict('Member %s is already a member of image %s'
                                     % (member_id, image_id))

    def _insert_member(self, ctx, image_id, member_id):
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            policy.authorize(ctx, 'image:add_member', self._target(img))
            if img.owner != ctx.project_id and not self._is_admin(ctx):
                raise exception.Forbidden('Only the image owner adds members.')
            self._require_shared(img)
            if session.get(models.ImageMember, (image_id, member_id)) is not None:
                raise exception.Conflict('Member %s is already a member of image %s'
                                         % (member_id, image_id))
            count = session.scalar(sa.select(sa.func.count()).where(
                models.ImageMember.image_id == image_id))
            if count >= CONF.image.image_member_quota:
                raise exception.RequestEntityTooLarge(
                    'Maximum number of members exceeded (%d)' %
                    CONF.image.image_member_quota)
            now = utcnow()
            m = models.ImageMember(image_id=image_id, member=member_id,
                                   status='pending', created_at=now, updated_at=now)
            session.add(m)
            session.flush()
            return self._member_record(m)

    def list_members(self, ctx, image_id):
        policy.authorize(ctx, 'image:get_members')
        with db_api.reader() as session:
            img = self._get_visible(session, ctx, image_id)
            self._require_shared(img)
            stmt = sa.select(models.ImageMember).where(
                models.ImageMember.image_id == image_id).order_by(
                models.ImageMember.created_at, models.ImageMember.member)
            if not (self._is_admin(ctx) or img.owner == ctx.project_id):
                stmt = stmt.where(models.ImageMember.member == (ctx.project_id or ''))
            return [self._member_record(m) for m in session.scalars(stmt)]

    def get_member(self, ctx, image_id, member_id):
        policy.authorize(ctx, 'image:get_member')
        with db_api.reader() as session:
            img = self._get_visible(session, ctx, image_id)
            self._require_shared(img)
            m = session.get(models.ImageMember, (image_id, member_id))
            if m is None or not (self._is_admin(ctx) or img.owner == ctx.project_id
                                 or member_id == ctx.project_id):
                raise exception.NotFound('Member %s not found for image %s' % (
                    member_id, image_id))
            return self._member_record(m)

    def update_member(self, ctx, image_id, member_id, status):
        if status not in MEMBER_STATUSES:
            raise exception.BadRequest('Invalid member status %r' % (status,))
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            self._require_shared(img)
            m = session.get(models.ImageMember, (image_id, member_id))
            if m is None:
                raise exception.NotFound('Member %s not found for image %s' % (
                    member_id, image_id))
            policy.authorize(ctx, 'image:modify_member',
                               {'owner': img.owner or '', 'member_id': member_id})
            if member_id != ctx.project_id and not self._is_admin(ctx):
                raise exception.Forbidden('Only the member changes its status.')
            m.status = status
            m.updated_at = utcnow()
            session.flush()
            return self._member_record(m)

    def delete_member(self, ctx, image_id, member_id):
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            policy.authorize(ctx, 'image:delete_member', self._target(img))
            if img.owner != ctx.project_id and not self._is_admin(ctx):
                raise exception.Forbidden('Only the image owner removes members.')
            self._require_shared(img)
            m = session.get(models.ImageMember, (image_id, member_id))
            if m is None:
                raise exception.NotFound('Member %s not found for image %s' % (
                    member_id, image_id))
            session.delete(m)


_manager = None


def get():
    global _manager
    if _manager is None:
        _manager = Manager()
    return _manager
