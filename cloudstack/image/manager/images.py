"""Images: create, show, list, update, delete, state changes and tags."""
import datetime
import logging
import uuid

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import models
from cloudstack.image.manager import stage_hosts
from cloudstack.image.manager.base import (
    MEMBER_STATUSES, READ_ONLY, RESERVED_PREFIX, UUID_RE, VISIBILITIES, WRITABLE, _NULL_SORT)

LOG = logging.getLogger(__name__)


class Images:
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
        with db_api.reader() as session:
            return self._record(session, self._get_visible(session, ctx, image_id))

    def list_images(self, ctx, filters, limit, marker, sort):
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
        if ctx.all_projects:
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
            rec = self._record(session, img)
            props = dict(rec['properties'])
            tags = list(rec['tags'])
            core = {k: rec[k] for k in WRITABLE if k not in ('tags', 'id')}
            changed_core = {}
            dropped = {}
            for op, path, value in ops:
                if path[0] == 'locations':
                    dropped.update(self._patch_locations(session, img, op, path, value))
                    continue
                if len(path) == 2 and path[0] == 'tags':
                    raise exception.BadRequest('Invalid JSON pointer for this resource')
                if len(path) != 1:
                    raise exception.BadRequest('Invalid JSON pointer for this resource')
                key = path[0]
                if key.startswith(RESERVED_PREFIX):
                    raise exception.Forbidden("Attribute '%s' is reserved." % key)
                if key == 'id' or key in READ_ONLY:
                    raise exception.Forbidden("Attribute '%s' is read-only." % key)
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
            rec = self._record(session, img)
        self._delete_data(dropped)
        return rec

    def delete_image(self, ctx, image_id, forwarded=False):
        """Delete the image and its data; one staged on another node is
        deleted there (`forwarded`: this call came from another node), or
        here when that node cannot be reached (its staged data is then left
        to that node's cleanup)."""
        if not forwarded:
            with db_api.reader() as session:
                img = self._get_visible(session, ctx, image_id)
                stage_host = (self._stage_host_elsewhere(session, image_id)
                              if img.status == 'uploading' else None)
            if stage_host:
                try:
                    self.forward_to_stage_host(ctx, stage_host, 'DELETE',
                                               '/v2/images/%s' % image_id)
                    return
                except stage_hosts.StageHostError as exc:
                    if exc.code not in (502, 504):
                        raise
                    LOG.warning('image %s: deleting it here; its staging node %s '
                                'cannot be reached', image_id, stage_host)
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
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
            self.cache().forget_everywhere(image_id)

    def _delete_data(self, locations):
        for store_id, location in locations.items():
            try:
                self.store(store_id).delete(location)
            except Exception:
                LOG.exception('could not delete %s from store %s', location,
                              store_id)

    def _set_status(self, ctx, image_id, allowed_from, to):
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            if img.status == to:
                return
            if img.status not in allowed_from:
                raise exception.Forbidden(
                    'Not allowed to change the status of an image in status %r '
                    'to %r.' % (img.status, to))
            img.status = to
            img.updated_at = utcnow()

    def deactivate(self, ctx, image_id):
        self._set_status(ctx, image_id, ('active',), 'deactivated')

    def reactivate(self, ctx, image_id):
        self._set_status(ctx, image_id, ('deactivated',), 'active')

    def _transition(self, image_id, frm, to, **values):
        """Atomically move the image from status `frm` to `to`; False if it
        was not in `frm` (or is gone)."""
        with db_api.writer() as session:
            res = session.execute(
                sa.update(models.Image)
                .where(models.Image.id == image_id, models.Image.status == frm)
                .values(status=to, updated_at=utcnow(), **values))
            return res.rowcount == 1

    # -- tags ------------------------------------------------------------

    def add_tag(self, ctx, image_id, tag):
        self._check_tag(tag)
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
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
            row = session.get(models.ImageTag, (image_id, tag))
            if row is None:
                raise exception.NotFound('Tag %s not found' % tag)
            session.delete(row)
            img.updated_at = utcnow()
