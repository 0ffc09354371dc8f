"""The Image service's rules: images, their data, tags and members.

Records come back as plain dicts: the image's columns plus `properties`
(custom key/values) and `tags`. Image data never passes through memory whole:
uploads are streamed to the store chunk by chunk, counted, hashed and
format-inspected on the way.
"""
import datetime
import hashlib
import logging
import os
import re
import urllib.parse
import urllib.request
import uuid

import sqlalchemy as sa

from cloudstack import exception
from cloudstack import policy
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import format_inspector
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
IMPORT_METHODS = ('glance-direct', 'web-download', 'copy-image')
TASK_TYPES = ('import',)
TASK_STATUSES = ('pending', 'processing', 'success', 'failure')
TASK_SORT_KEYS = ('created_at', 'updated_at', 'id', 'status', 'type', 'expires_at')
# The engine finds the handler by this 'module:function' name even where the
# cloudstack.tasks entry points do not list this module.
TASK_HANDLER = 'cloudstack.image.manager:run_task'
CACHE_HANDLER = 'cloudstack.image.manager:cache_image'
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


def _host_allowed(host, port, default_port):
    """An entry without a port allows the scheme's default port only."""
    for entry in CONF.image.web_download_allowed_hosts:
        entry = entry.strip().lower()
        if not entry:
            continue
        want_port = None
        name, sep, tail = entry.rpartition(':')
        if sep and tail.isdigit() and ':' not in name.strip('[]'):
            entry, want_port = name, int(tail)
        entry = entry.strip('[]')
        if port != (want_port or default_port):
            continue
        if entry.startswith('.'):
            if host == entry[1:] or host.endswith(entry):
                return True
        elif host == entry:
            return True
    return False


def check_url(url):
    """BadRequest unless `url` is an http(s) URL of an allowed host."""
    if not isinstance(url, str) or not url:
        raise exception.BadRequest('A URI to import from is required.')
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise exception.BadRequest('Invalid URI %s' % url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise exception.BadRequest('URI %s is not an http or https URL.' % url)
    default_port = 443 if parts.scheme == 'https' else 80
    if not _host_allowed(parts.hostname.lower(), port or default_port,
                         default_port):
        raise exception.BadRequest(
            'Importing from host %s is not allowed (see [image] '
            'web_download_allowed_hosts).' % parts.hostname)
    return url


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a URL that is allowed too."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(urllib.parse.urljoin(req.full_url, newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def open_url(url):
    """(response, Content-Length or None) of an allowed URL, streaming."""
    check_url(url)
    opener = urllib.request.build_opener(_CheckedRedirects)
    try:
        resp = opener.open(url, timeout=CONF.image.web_download_timeout)
    except exception.CloudstackError:
        raise
    except Exception as exc:
        raise exception.BadRequest('Could not download %s: %s' % (url, exc))
    length = resp.headers.get('Content-Length')
    return resp, int(length) if length and length.isdigit() else None


@tasks.handler(TASK_HANDLER)
def run_task(task_id):
    """The engine's entry: carry out image task `task_id` (at least once)."""
    get().run_task(task_id)


@tasks.handler(CACHE_HANDLER)
def cache_image(image_id):
    """The engine's entry: copy a queued image into this host's cache."""
    get().fill_cache(image_id)


class Manager:

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
        """{store id: location} of the image's data."""
        found = {loc.store: loc.url for loc in session.scalars(
            sa.select(models.ImageLocation).where(
                models.ImageLocation.image_id == img.id).order_by(
                models.ImageLocation.created_at, models.ImageLocation.store))}
        if img.location and img.store not in found:
            found[img.store] = img.location     # written before image_locations
        return found

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
        where = {i: set() for i in ids}
        if ids:
            for loc in session.scalars(sa.select(models.ImageLocation).where(
                    models.ImageLocation.image_id.in_(ids))):
                where[loc.image_id].add(loc.store)
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
            if img.location and img.store:
                where[img.id].add(img.store)
            rec['stores'] = sorted(where[img.id])
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
        if CONF.image.use_keystone_limits:
            with db_api.reader() as session:
                self._enforce(session, owner, ('image_count_total',))
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
            locations = self._locations(session, img)
            session.execute(sa.delete(models.ImageLocation).where(
                models.ImageLocation.image_id == image_id))
            session.execute(sa.delete(models.ImageMember).where(
                models.ImageMember.image_id == image_id))
            session.execute(sa.delete(models.ImageTag).where(
                models.ImageTag.image_id == image_id))
            session.execute(sa.delete(models.ImageProperty).where(
                models.ImageProperty.image_id == image_id))
            session.delete(img)
        self._delete_data(locations)
        self._drop_staged(image_id)
        if CONF.image.image_cache_enabled:
            self.cache().forget(image_id)

    def _delete_data(self, locations):
        for store_id, location in locations.items():
            try:
                self.store(store_id).delete(location)
            except Exception:
                LOG.exception('could not delete %s from store %s', location,
                              store_id)

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
        if CONF.image.image_cache_enabled:
            cached = self.cache().open(image_id, rec['checksum'], offset, length)
            if cached is not None:
                return rec, cached
        try:
            return rec, self.store(rec['store']).get(rec['location'], offset=offset,
                                                     length=length)
        except stores.base.NotFound:
            raise exception.NotFound('Image data for %s is missing.' % image_id)

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

    # -- interoperable import ---------------------------------------------

    def import_image(self, ctx, image_id, body, store_header=None):
        """Validate an import request and queue its task; returns the task id."""
        if not isinstance(body, dict) or not isinstance(body.get('method'), dict):
            raise exception.BadRequest('An import request needs a method.')
        method = body['method'].get('name')
        if method not in import_methods():
            raise exception.BadRequest('Import method %s is not valid.' % method)
        if method == 'web-download':
            check_url(body['method'].get('uri'))
        all_stores = body.get('all_stores', False)
        must_succeed = body.get('all_stores_must_succeed', True)
        for key, value in (('all_stores', all_stores),
                           ('all_stores_must_succeed', must_succeed)):
            if not isinstance(value, bool):
                raise exception.BadRequest('%s must be a boolean' % key)
        wanted = body.get('stores')
        if wanted is not None:
            if all_stores:
                raise exception.BadRequest('Give stores or all_stores, not both.')
            if not isinstance(wanted, list) or not wanted or not all(
                    isinstance(s, str) for s in wanted):
                raise exception.BadRequest('stores must be a list of store ids')
            for store_id in wanted:
                self.check_store(store_id)
        elif store_header and not all_stores:
            wanted = [self.check_store(store_header)]
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            policy.authorize(ctx, 'image:import_image', self._target(img))
            if method == 'copy-image':
                policy.authorize(ctx, 'image:copy_image', self._target(img))
            if not img.disk_format or not img.container_format:
                raise exception.BadRequest(
                    'Properties disk_format and container_format must be set '
                    'before the image is imported.')
            props = self._record(session, img)['properties']
            if self._import_running(session, props.get(IMPORT_TASK)):
                raise exception.Conflict('Image %s is already being imported.'
                                         % image_id)
            have = self._locations(session, img)
            if all_stores:
                targets = [s for s in stores.available(CONF) if s not in have]
            elif wanted:
                targets = list(dict.fromkeys(wanted))
            elif method == 'copy-image':
                raise exception.BadRequest('copy-image needs stores or all_stores.')
            else:
                targets = [stores.default(CONF)]
            if method == 'copy-image':
                if img.status != 'active':
                    raise exception.Conflict('Only an active image can be copied.')
                targets = [s for s in targets if s not in have]
                if not targets:
                    raise exception.Conflict('Image %s is already in every store '
                                             'asked for.' % image_id)
            else:
                needed = 'uploading' if method == 'glance-direct' else 'queued'
                if img.status != needed:
                    raise exception.Conflict(
                        'Image status %s does not allow a %s import.' % (
                            img.status, method))
                if method == 'glance-direct' and not os.path.exists(
                        self._staging_path(image_id)):
                    raise exception.Conflict('Image %s has no staged data' % image_id)
                if method == 'web-download':
                    self._enforce(session, img.owner, ('image_count_uploading',))
                img.status = 'importing'
            img.updated_at = utcnow()
            task_id = str(uuid.uuid4())
            now = utcnow()
            session.add(models.ImageTask(
                id=task_id, type='api_image_import', status='pending',
                owner=ctx.project_id, image_id=image_id, user_id=ctx.user_id,
                request_id=ctx.request_id, message='', created_at=now,
                updated_at=now, input={
                    'image_id': image_id, 'import_req': body, 'backend': targets,
                    'all_stores_must_succeed': must_succeed}))
            self._set_props(session, image_id, {
                IMPORT_TASK: task_id, IMPORTING_TO: ','.join(targets),
                FAILED_IMPORT: ''})
            tasks.enqueue(session, TASK_HANDLER, {'task_id': task_id})
        return task_id

    def _import_running(self, session, task_id):
        if not task_id:
            return False
        task = session.get(models.ImageTask, task_id)
        return task is not None and task.status in ('pending', 'processing')

    @staticmethod
    def _set_props(session, image_id, values):
        """Set (None: remove) server-kept properties of the image."""
        for name, value in values.items():
            row = session.get(models.ImageProperty, (image_id, name))
            if value is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(models.ImageProperty(image_id=image_id, name=name,
                                                 value=value))
            else:
                row.value = value
        session.flush()

    def _update_props(self, image_id, values):
        with db_api.writer() as session:
            # Locked as a PATCH locks it, which rewrites all properties.
            if self._row(session, image_id, lock=True) is not None:
                self._set_props(session, image_id, values)

    @staticmethod
    def _add_location(session, image_id, store_id, location):
        row = session.get(models.ImageLocation, (image_id, store_id))
        if row is None:
            session.add(models.ImageLocation(image_id=image_id, store=store_id,
                                             url=location, created_at=utcnow()))
        else:
            row.url = location

    def _run_api_import(self, task):
        inp = task['input']
        image_id = inp['image_id']
        method = inp['import_req']['method']['name']
        targets = list(inp['backend'])
        must = inp.get('all_stores_must_succeed', True)
        with db_api.reader() as session:
            img = session.get(models.Image, image_id)
            if img is None:
                raise exception.NotFound('Image %s is gone.' % image_id)
            disk_format, owner = img.disk_format, img.owner
        done, failed = [], []

        def progress():
            self._update_props(image_id, {
                IMPORTING_TO: ','.join(t for t in targets
                                       if t not in done and t not in failed),
                FAILED_IMPORT: ','.join(failed)})

        try:
            if method != 'copy-image':
                first = targets[0]
                revert = 'queued'   # bad data stays bad: start over
                try:
                    if method == 'glance-direct':
                        with open(self._staging_path(image_id), 'rb') as f:
                            self._ingest(image_id, disk_format, read_chunks(f), None,
                                         from_status='importing', revert_to=revert,
                                         store_id=first, cap=self._size_cap(owner))
                    else:
                        resp, length = open_url(inp['import_req']['method']['uri'])
                        with resp:
                            self._ingest(image_id, disk_format, read_chunks(resp),
                                         None, from_status='importing',
                                         revert_to=revert, store_id=first,
                                         cap=self._size_cap(owner))
                except FileNotFoundError:
                    self._transition(image_id, 'importing', 'queued')
                    failed.append(first)
                    raise exception.Conflict('Image %s has no staged data' % image_id)
                except Exception:
                    self._transition(image_id, 'importing', revert)
                    if method == 'glance-direct':
                        self._drop_staged(image_id)
                    failed.append(first)
                    raise
                if method == 'glance-direct':
                    self._drop_staged(image_id)
                done.append(first)
                progress()
            for store_id in targets:
                if store_id in done:
                    continue
                try:
                    self._copy_to_store(image_id, store_id)
                    done.append(store_id)
                except Exception as exc:
                    LOG.warning('image %s: copy to store %s failed: %s', image_id,
                                store_id, exc)
                    failed.append(store_id)
                    if must:
                        self._revert_copies(image_id, done, method != 'copy-image')
                        raise exception.Conflict(
                            'Import of image %s to store %s failed (%s); all '
                            'stores had to succeed.' % (image_id, store_id, exc))
                progress()
        finally:
            progress()
            self._update_props(image_id, {IMPORT_TASK: None})
        return {'image_id': image_id, 'stores': done, 'failed_stores': failed}

    def _copy_to_store(self, image_id, store_id):
        """Stream the image's data from a store holding it into `store_id`."""
        with db_api.reader() as session:
            img = session.get(models.Image, image_id)
            if img is None or img.status != 'active':
                raise exception.Conflict('Image %s is not active.' % image_id)
            have = self._locations(session, img)
            checksum, size = img.checksum, img.size
        if store_id in have:
            return
        src_store, src_loc = next(iter(have.items()))
        chunks = self.store(src_store).get(src_loc)
        md5 = hashlib.md5(usedforsecurity=False)

        def counted():
            for chunk in chunks:
                md5.update(chunk)
                yield chunk
        target = self.store(store_id)
        location, written = target.add(image_id, counted())
        if written != size or (checksum and md5.hexdigest() != checksum):
            target.delete(location)
            raise exception.Conflict('Copy of image %s to %s does not match its '
                                     'data.' % (image_id, store_id))
        with db_api.writer() as session:
            img = session.get(models.Image, image_id)
            kept = img is not None and img.status in ('active', 'deactivated')
            if kept:
                self._add_location(session, image_id, store_id, location)
        if not kept:
            target.delete(location)
            raise exception.Gone('Image %s was deleted during the copy.' % image_id)

    def _revert_copies(self, image_id, written, reset):
        """Undo an import that had to reach every store: drop the data it
        wrote; `reset` (a new image's first data) back to queued."""
        with db_api.writer() as session:
            img = session.get(models.Image, image_id)
            if img is None:
                return
            locations = self._locations(session, img)
            dropped = {s: locations[s] for s in written if s in locations}
            session.execute(sa.delete(models.ImageLocation).where(
                models.ImageLocation.image_id == image_id,
                models.ImageLocation.store.in_(list(dropped))))
            if reset:
                img.status = 'queued'
                img.size = img.virtual_size = img.checksum = None
                img.os_hash_algo = img.os_hash_value = None
                img.store = img.location = None
                dropped = locations
                session.execute(sa.delete(models.ImageLocation).where(
                    models.ImageLocation.image_id == image_id))
            img.updated_at = utcnow()
        self._delete_data(dropped)

    def delete_from_store(self, ctx, store_id, image_id):
        """DELETE /v2/stores/{store_id}/{image_id}: drop one store's copy."""
        if store_id not in stores.available(CONF):
            raise exception.NotFound('Store %s is not enabled.' % store_id)
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            policy.authorize(ctx, 'image:delete_image_location', self._target(img))
            if img.status != 'active':
                raise exception.Conflict('Data can only be removed from a store '
                                         'for an active image.')
            props = self._record(session, img)['properties']
            if self._import_running(session, props.get(IMPORT_TASK)):
                raise exception.Conflict('Image %s is being imported.' % image_id)
            locations = self._locations(session, img)
            if store_id not in locations:
                raise exception.NotFound('Image %s is not in store %s.' % (
                    image_id, store_id))
            if len(locations) == 1:
                raise exception.Forbidden(
                    'Cannot delete the last location of image %s.' % image_id)
            session.execute(sa.delete(models.ImageLocation).where(
                models.ImageLocation.image_id == image_id,
                models.ImageLocation.store == store_id))
            if img.store == store_id:
                other = next(s for s in locations if s != store_id)
                img.store, img.location = other, locations[other]
                self._add_location(session, image_id, other, locations[other])
            img.updated_at = utcnow()
        self._delete_data({store_id: locations[store_id]})

    # -- tasks -----------------------------------------------------------

    @staticmethod
    def _task_record(t):
        return {'id': t.id, 'type': t.type, 'status': t.status, 'owner': t.owner,
                'image_id': t.image_id, 'user_id': t.user_id,
                'request_id': t.request_id, 'input': t.input, 'result': t.result,
                'message': t.message or '', 'expires_at': t.expires_at,
                'created_at': t.created_at, 'updated_at': t.updated_at}

    @staticmethod
    def _live_tasks(stmt):
        T = models.ImageTask
        return stmt.where(sa.or_(T.expires_at.is_(None), T.expires_at > utcnow()))

    def create_task(self, ctx, body):
        """POST /v2/tasks: a legacy 'import' task making a new image from a URL."""
        policy.authorize(ctx, 'image:add_task', {'owner': ctx.project_id or ''})
        if not isinstance(body, dict):
            raise exception.BadRequest('The request body must be a JSON object')
        unknown = set(body) - {'type', 'input'}
        if unknown:
            raise exception.BadRequest('Unexpected task attributes: %s' % ', '.join(
                sorted(unknown)))
        if body.get('type') not in TASK_TYPES:
            raise exception.BadRequest('Invalid type value: %s' % body.get('type'))
        inp = body.get('input')
        if not isinstance(inp, dict):
            raise exception.BadRequest('A task needs an input object.')
        for key in ('import_from', 'import_from_format', 'image_properties'):
            if key not in inp:
                raise exception.BadRequest('Input %s is missing.' % key)
        if not isinstance(inp['image_properties'], dict):
            raise exception.BadRequest('image_properties must be an object')
        if inp['import_from_format'] not in DISK_FORMATS:
            raise exception.BadRequest('Invalid import_from_format %r' % (
                inp['import_from_format'],))
        check_url(inp['import_from'])
        props = dict(inp['image_properties'])
        props.setdefault('disk_format', inp['import_from_format'])
        # The image the task fills in, made now with the caller's rights.
        image = self.create_image(ctx, props)
        try:
            with db_api.writer() as session:
                now = utcnow()
                task = models.ImageTask(
                    id=str(uuid.uuid4()), type=body['type'], status='pending',
                    owner=ctx.project_id, image_id=image['id'], user_id=ctx.user_id,
                    request_id=ctx.request_id, input=inp, message='',
                    created_at=now, updated_at=now)
                session.add(task)
                session.execute(sa.delete(models.ImageTask).where(
                    models.ImageTask.expires_at < now))
                tasks.enqueue(session, TASK_HANDLER, {'task_id': task.id})
                session.flush()
                return self._task_record(task)
        except Exception:
            self.delete_image(ctx, image['id'])
            raise

    def get_task(self, ctx, task_id):
        policy.authorize(ctx, 'image:get_task')
        with db_api.reader() as session:
            T = models.ImageTask
            stmt = self._live_tasks(sa.select(T).where(T.id == task_id))
            task = session.scalars(stmt).first()
            if task is None or not (self._is_admin(ctx) or
                                    task.owner == ctx.project_id):
                raise exception.NotFound('Task with identifier %s not found' % task_id)
            return self._task_record(task)

    def list_tasks(self, ctx, filters, limit, marker, sort):
        policy.authorize(ctx, 'image:get_tasks')
        T = models.ImageTask
        for key, value in filters.items():
            if key not in ('type', 'status'):
                raise exception.BadRequest('Invalid filter %s' % key)
            allowed = TASK_STATUSES if key == 'status' else TASK_TYPES + (
                'api_image_import',)
            if value not in allowed:
                raise exception.BadRequest('Invalid %s value: %s' % (key, value))
        for key, direction in sort:
            if key not in TASK_SORT_KEYS:
                raise exception.BadRequest('Invalid sort key %s' % key)
        with db_api.reader() as session:
            stmt = self._live_tasks(sa.select(T))
            if not self._is_admin(ctx):
                stmt = stmt.where(T.owner == (ctx.project_id or ''))
            for key, value in filters.items():
                stmt = stmt.where(getattr(T, key) == value)
            marker_row = None
            if marker:
                marker_row = session.get(T, marker)
                if marker_row is None:
                    raise exception.BadRequest('marker %s not found' % marker)
            from cloudstack.api import common
            stmt = common.paginate(stmt, T, limit, marker_row, sort)
            return [self._task_record(t) for t in session.scalars(stmt)]

    def image_tasks(self, ctx, image_id):
        """GET /v2/images/{id}/tasks: the tasks that worked on an image."""
        policy.authorize(ctx, 'image:get_image')
        with db_api.reader() as session:
            self._get_visible(session, ctx, image_id)
            T = models.ImageTask
            stmt = self._live_tasks(sa.select(T).where(T.image_id == image_id))
            return [self._task_record(t) for t in session.scalars(
                stmt.order_by(T.created_at, T.id))]

    def run_task(self, task_id):
        """Carry out a task: pending/processing -> success or failure."""
        with db_api.writer() as session:
            task = session.get(models.ImageTask, task_id)
            if task is None or task.status in ('success', 'failure'):
                return
            task.status, task.updated_at = 'processing', utcnow()
            session.flush()
            rec = self._task_record(task)
        try:
            if rec['type'] == 'api_image_import':
                result = self._run_api_import(rec)
            else:
                result = self._run_legacy_import(rec)
        except Exception as exc:
            if not isinstance(exc, exception.CloudstackError):
                LOG.exception('image task %s failed', task_id)
            self._finish_task(task_id, 'failure', None,
                              str(exc) or type(exc).__name__)
            return
        self._finish_task(task_id, 'success', result, '')

    def _finish_task(self, task_id, status, result, message):
        with db_api.writer() as session:
            task = session.get(models.ImageTask, task_id)
            if task is None:
                return
            now = utcnow()
            task.status, task.result, task.message = status, result, message[:10000]
            task.updated_at = now
            task.expires_at = now + datetime.timedelta(
                hours=CONF.image.task_time_to_live)

    def _run_legacy_import(self, task):
        image_id = task['image_id']
        with db_api.reader() as session:
            img = session.get(models.Image, image_id)
            if img is None:
                raise exception.NotFound('Image %s is gone.' % image_id)
            disk_format, owner, status = img.disk_format, img.owner, img.status
        if status == 'active':
            return {'image_id': image_id}     # a retry after the work was done
        try:
            if not self._transition(image_id, 'queued', 'importing') and \
                    status != 'importing':
                raise exception.Conflict('Image %s is %s, not queued.' % (
                    image_id, status))
            resp, length = open_url(task['input']['import_from'])
            with resp:
                self._ingest(image_id, disk_format, read_chunks(resp), length,
                             from_status='importing', revert_to='queued',
                             cap=self._size_cap(owner))
        except Exception:
            self._drop_failed_image(image_id)
            raise
        return {'image_id': image_id}

    def _drop_failed_image(self, image_id):
        with db_api.writer() as session:
            img = session.get(models.Image, image_id)
            if img is None or img.status not in ('queued', 'importing'):
                return
            for model in (models.ImageLocation, models.ImageMember,
                          models.ImageTag, models.ImageProperty):
                session.execute(sa.delete(model).where(model.image_id == image_id))
            session.delete(img)

    # -- the local image cache -------------------------------------------

    def cache(self):
        from cloudstack.image.stores import cache
        return cache.Cache(CONF)

    def _cache_rule(self, ctx, rule):
        if not CONF.image.image_cache_enabled:
            raise exception.NotFound('The image cache is not enabled.')
        policy.authorize(ctx, rule)

    def cache_list(self, ctx):
        self._cache_rule(ctx, 'image:cache_list')
        return self.cache().listing()

    def cache_queue(self, ctx, image_id):
        self._cache_rule(ctx, 'image:cache_image')
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id)
            if img.status != 'active':
                raise exception.BadRequest('Only an active image can be cached; '
                                           '%s is %s.' % (image_id, img.status))
            if self.cache().queue(session, image_id):
                tasks.enqueue(session, CACHE_HANDLER, {'image_id': image_id})

    def cache_delete(self, ctx, image_id):
        self._cache_rule(ctx, 'image:cache_delete')
        self.cache().forget(image_id)

    def cache_clear(self, ctx, target):
        self._cache_rule(ctx, 'image:cache_delete')
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

    # -- quotas ----------------------------------------------------------

    def _limits(self, owner):
        """{resource: limit} of the image resources set for `owner` in the
        identity service (project limit, else registered default)."""
        from cloudstack.identity import manager as identity
        ident = identity.get()
        service_ids = [s['id'] for s in ident.list_services()
                       if s.get('type') == 'image']
        out = {}
        for sid in service_ids:
            for row in ident.list_registered_limits({'service_id': sid}):
                if row['resource_name'] in QUOTA_RESOURCES and row['region_id'] in (
                        None, CONF.region):
                    out.setdefault(row['resource_name'], row['default_limit'])
            if owner:
                for row in ident.list_limits({'service_id': sid,
                                              'project_id': owner}):
                    if row['resource_name'] in QUOTA_RESOURCES and \
                            row['region_id'] in (None, CONF.region):
                        out[row['resource_name']] = row['resource_limit']
        return out

    def _usage(self, session, owner):
        I = models.Image
        mine = I.owner == owner
        total = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(I.size), 0))
                               .where(mine)) or 0
        count = session.scalar(sa.select(sa.func.count()).where(mine)) or 0
        uploading = session.scalar(sa.select(sa.func.count()).where(
            mine, I.status.in_(('uploading', 'importing', 'saving')))) or 0
        staged = 0
        for image_id in session.scalars(sa.select(I.id).where(
                mine, I.status.in_(('uploading', 'importing')))):
            try:
                staged += os.path.getsize(self._staging_path(image_id))
            except OSError:
                pass
        return {'image_size_total': total, 'image_stage_total': staged,
                'image_count_total': count, 'image_count_uploading': uploading}

    def _enforce(self, session, owner, resources, adding=1):
        """413 when `owner` is at or past its limit of any of `resources`."""
        if not CONF.image.use_keystone_limits:
            return
        limits = self._limits(owner)
        if not any(r in limits for r in resources):
            return
        usage = self._usage(session, owner)
        for r in resources:
            if r not in limits or limits[r] < 0:
                continue
            have = usage[r]
            if r.startswith('image_count'):
                over = have + adding > limits[r]
            else:
                over = have >= limits[r] * 1024 * 1024
            if over:
                raise exception.RequestEntityTooLarge(
                    'Quota exceeded for %s: limit %d, in use %s' % (
                        r, limits[r], have if r.startswith('image_count')
                        else '%d MiB' % (have // (1024 * 1024))))

    def _size_cap(self, owner, resource='image_size_total'):
        """Most bytes one more upload may write for `owner`."""
        cap = CONF.image.image_size_cap
        if not CONF.image.use_keystone_limits:
            return cap
        limit = self._limits(owner).get(resource)
        if limit is None or limit < 0:
            return cap
        with db_api.reader() as session:
            used = self._usage(session, owner)[resource]
        return max(0, min(cap, limit * 1024 * 1024 - used))

    def usage(self, ctx):
        """GET /v2/info/usage: the caller's project's limits and use."""
        policy.authorize(ctx, 'image:get_usage')
        limits = self._limits(ctx.project_id) if CONF.image.use_keystone_limits \
            else {}
        with db_api.reader() as session:
            used = self._usage(session, ctx.project_id)
        out = {}
        for r in QUOTA_RESOURCES:
            value = used[r]
            if not r.startswith('image_count'):
                value = value // (1024 * 1024)
            out[r] = {'limit': limits.get(r, -1), 'usage': value}
        return out

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
