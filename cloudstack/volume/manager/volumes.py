"""Volumes: create (blank, from an image, a snapshot, a volume or a backup),
list, show, update, delete, metadata and image metadata."""
import functools
import logging

import sqlalchemy as sa

from cloudstack.api import common as api_common
from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.volume import models
from cloudstack.volume import scheduler
from cloudstack.volume.manager.base import (
    BYTES_PER_GB, enqueue, InvalidState, reader, split_host, volume_columns)
from cloudstack.volume.manager import quotas as quota_area
from cloudstack.volume.manager import types as type_area

LOG = logging.getLogger(__name__)

SORT_KEYS = ('id', 'name', 'status', 'size', 'availability_zone', 'created_at',
             'updated_at', 'bootable', 'volume_type_id', 'project_id', 'user_id',
             'host', 'display_name')
# Statuses a volume may be deleted from without force.
DELETABLE = ('available', 'error', 'error_restoring', 'error_extending',
             'error_managing', 'error_deleting')
# Image properties that are not copied into a volume's image metadata.
IMAGE_CORE = ('id', 'name', 'checksum', 'container_format', 'disk_format',
              'min_disk', 'min_ram', 'size')
NO_VALID_BACKEND = 'No valid backend was found.'


def default_zone():
    return CONF.volume.default_availability_zone or CONF.volume.storage_availability_zone


@functools.cache
def _one_volume():
    """The volume of bind parameter `volume_id` and its type's name (built once)."""
    V, T = models.Volume, models.VolumeType
    return (sa.select(*volume_columns(), T.name.label('type_name'))
            .outerjoin(T, T.id == V.volume_type_id)
            .where(V.id == sa.bindparam('volume_id')))


def _meta_rows(kind, values):
    return [models.VolumeMetadata(kind=kind, key=k, value=str(v))
            for k, v in (values or {}).items()]


class Volumes:

    # --- create ------------------------------------------------------------------------
    def create_volume(self, ctx, spec):
        """Create a volume from `spec` (the API's validated 'volume' body with
        sizes as ints). Answers at once; a task on the chosen host does the work."""
        image = self._source_image(ctx, spec) if spec.get('imageRef') else None
        self.ensure_default_type()
        with db_api.writer() as s:
            source = self._source(s, ctx, spec)
            size = spec.get('size') or (source and source['size'])
            if image and not size:
                size = max(1, -(-int(image.get('virtual_size') or image.get('size') or 0)
                                // BYTES_PER_GB), int(image.get('min_disk') or 0))
            if not size:
                raise exception.BadRequest('Volume size must be specified.')
            if source and size < source['size']:
                raise exception.BadRequest(
                    'Volume size %sGB cannot be smaller than the %s size %sGB.'
                    % (size, source['kind'], source['size']))
            if image:
                self._check_image_fits(image, size)
            vtype = self._volume_type(s, ctx, spec, source)
            specs = type_area.Types.type_specs(vtype)
            zone = spec.get('availability_zone') or (source and source.get('zone'))
            zone = self._check_zone(s, zone) if zone else default_zone()
            multiattach = type_area._bool_spec(specs.get('multiattach'))
            group = self._group_for(s, ctx, spec.get('group_id'), vtype) \
                if spec.get('group_id') else None
            host = (group.host if group else None) or scheduler.choose(
                s, size, specs, zone, backend_of=source and source.get('host'))
            row = models.Volume(
                id=models.new_uuid(), project_id=ctx.project_id, user_id=ctx.user_id,
                name=spec.get('name'), description=spec.get('description'),
                size=size, status='creating' if host else 'error',
                availability_zone=zone, host=host, volume_type_id=vtype.id,
                snapshot_id=spec.get('snapshot_id'),
                source_volid=spec.get('source_volid'),
                backup_id=spec.get('backup_id'),
                image_id=image and image['id'], group_id=spec.get('group_id'),
                bootable=bool(image or (source and source.get('bootable'))),
                multiattach=multiattach, created_at=utcnow())
            row.meta = _meta_rows('user', spec.get('metadata'))
            if image:
                row.meta += _meta_rows('image', self._image_metadata(image))
            elif source and source.get('image_metadata'):
                row.meta += _meta_rows('image', source['image_metadata'])
            row.attachments = []
            if host and not (source and source['kind'] == 'backup'):
                row.task_id = enqueue(s, 'volume.create', {'volume_id': row.id},
                                      host=split_host(host)[0])
            s.add(row)
            s.flush()
            if host and source and source['kind'] == 'backup':
                self._start_restore(s, ctx, source['row'], row)
            elif not host:
                self._message(s, ctx.project_id, 'VOLUME', row.id, 'VOLUME_000002',
                              'schedule allocate volume:' + NO_VALID_BACKEND,
                              ctx.request_id)
            # Last: the usage rows stay locked only until the commit right after.
            self._reserve(s, ctx.project_id, quota_area.usage_deltas(
                size, volumes=1, type_name=vtype.name), volume_size=size)
            return self.volume_record(row, {vtype.id: vtype.name})

    def _source(self, s, ctx, spec):
        """What the volume is made from: a snapshot, volume or backup, as
        {'kind', 'size', 'host', 'zone', 'type_id', 'bootable', ...}."""
        if spec.get('snapshot_id'):
            snap = self._snapshot_row(s, ctx, spec['snapshot_id'])
            if snap.status != 'available':
                raise InvalidState('Originating snapshot status must be one of '
                                   "'available' values")
            vol = s.get(models.Volume, snap.volume_id)
            return {'kind': 'snapshot', 'size': snap.volume_size,
                    'host': vol and vol.host, 'zone': vol and vol.availability_zone,
                    'type_id': snap.volume_type_id or (vol and vol.volume_type_id),
                    'bootable': vol and vol.bootable,
                    'image_metadata': vol and {m.key: m.value for m in vol.meta
                                               if m.kind == 'image'}}
        if spec.get('source_volid'):
            vol = self._volume_row(s, ctx, spec['source_volid'])
            if vol.status not in ('available', 'in-use'):
                raise InvalidState('Unable to create a volume from an originating '
                                   'source volume when its status is not '
                                   "'available' or 'in-use'.")
            return {'kind': 'volume', 'size': vol.size, 'host': vol.host,
                    'zone': vol.availability_zone, 'type_id': vol.volume_type_id,
                    'bootable': vol.bootable,
                    'image_metadata': {m.key: m.value for m in vol.meta
                                       if m.kind == 'image'}}
        if spec.get('backup_id'):
            backup = self._backup_row(s, ctx, spec['backup_id'], lock=True)
            if backup.status != 'available':
                raise InvalidState('Backup status must be available.')
            return {'kind': 'backup', 'size': backup.size, 'row': backup,
                    'zone': None, 'type_id': None, 'bootable': False}
        return None

    def _volume_type(self, s, ctx, spec, source):
        if spec.get('volume_type'):
            return self._find_type(s, ctx, spec['volume_type'])
        if source and source.get('type_id'):
            found = s.get(models.VolumeType, source['type_id'])
            if found is not None:
                return found
        return self._default_type(s, ctx)

    def _check_zone(self, s, zone):
        zones = {p.availability_zone for p in scheduler.live_pools(s)}
        zones.add(CONF.volume.storage_availability_zone)
        if zone not in zones:
            raise exception.BadRequest("Availability zone '%s' is invalid." % zone)
        return zone

    @staticmethod
    def _image_manager():
        from cloudstack.image import manager as image_manager
        return image_manager.get()

    def _source_image(self, ctx, spec):
        image = self._image_manager().get_image(ctx, spec['imageRef'])
        if image['status'] != 'active':
            raise exception.BadRequest('Image %s is not active.' % image['id'])
        return image

    @staticmethod
    def _check_image_fits(image, size):
        min_disk = int(image.get('min_disk') or 0)
        if min_disk > size:
            raise exception.BadRequest(
                'Volume size %sGB cannot be smaller than the image minDisk size %sGB.'
                % (size, min_disk))
        for key in ('size', 'virtual_size'):
            need = int(image.get(key) or 0)
            if need > size * BYTES_PER_GB:
                raise exception.BadRequest(
                    'Size of specified image %sGB is larger than volume size %sGB.'
                    % (-(-need // BYTES_PER_GB), size))

    @staticmethod
    def _image_metadata(image):
        meta = {'image_id': image['id'], 'image_name': image.get('name') or ''}
        for key in IMAGE_CORE[2:]:
            if image.get(key) is not None:
                meta[key] = image[key]
        for key, value in (image.get('properties') or {}).items():
            if not key.startswith('os_glance') and value is not None:
                meta[key] = value
        return {k: str(v) for k, v in meta.items()}

    def _group_for(self, s, ctx, group_id, vtype):
        group = self._get(s, ctx, models.Group, group_id, 'Group')
        if group.status != 'available':
            raise InvalidState('Group %s status must be available.' % group_id)
        if vtype.id not in (group.volume_type_ids or []):
            raise exception.BadRequest('Invalid volume_type provided: %s. The volume '
                                       'type is not in group %s.' % (vtype.id, group_id))
        return group

    # --- read ------------------------------------------------------------------------
    def get_volume(self, ctx, volume_id):
        if not volume_id or not isinstance(volume_id, str) or len(volume_id) > 64:
            raise exception.NotFound('Volume %s could not be found.' % volume_id)
        # Core on one pooled connection: pollers of a volume's status call this most.
        with db_api.get_engine().connect() as conn:
            found = conn.execute(_one_volume(), {'volume_id': volume_id}).first()
            if not self._visible(ctx, found):
                raise exception.NotFound('Volume %s could not be found.' % volume_id)
            names = {found.volume_type_id: found.type_name} if found.type_name else {}
            return self._volume_records(conn, [found], names)[0]

    def _volume_query(self, ctx, filters, all_projects=False, project_id=None):
        V = models.Volume
        stmt = self._project_filter(ctx, sa.select(V), V, all_projects, project_id)
        for key, value in filters.items():
            stmt = stmt.where(self._volume_filter(V, key, value))
        return stmt

    @staticmethod
    def _volume_filter(V, key, value):
        if key == 'metadata' or key == 'glance_metadata':
            kind = 'user' if key == 'metadata' else 'image'
            conds = [V.id.in_(sa.select(models.VolumeMetadata.volume_id).where(
                models.VolumeMetadata.kind == kind, models.VolumeMetadata.key == k,
                models.VolumeMetadata.value == str(v))) for k, v in value.items()]
            return sa.and_(*conds) if conds else sa.true()
        if isinstance(value, tuple):        # (op, value): like and time filters
            op, operand = value
            col = getattr(V, key)
            return {'like': lambda: col.like('%' + operand + '%'),
                    'gt': lambda: col > operand, 'gte': lambda: col >= operand,
                    'lt': lambda: col < operand, 'lte': lambda: col <= operand,
                    'eq': lambda: col == operand, 'neq': lambda: col != operand}[op]()
        if key == 'consumes_quota':
            key = 'use_quota'
        col = getattr(V, key)
        if isinstance(value, (list, set)):
            return col.in_(list(value))
        return col == value

    def list_volumes(self, ctx, filters=None, sort=None, limit=None, marker=None,
                     offset=0, all_projects=False, project_id=None, with_count=False,
                     summary=False):
        """(records, total or None) of the volumes matching `filters`
        ({column: value | [values] | (op, value)}, 'metadata': {k: v});
        with `summary`, records of just their id and name."""
        V = models.Volume
        filters = dict(filters or {})
        with reader() as s:
            stmt = self._volume_query(ctx, filters, all_projects, project_id)
            count = None
            if with_count:
                count = s.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))
            marker_row = self._marker(s, ctx, V, marker, 'volume')
            stmt = self._page(stmt, V, sort, limit, marker_row, offset)
            if summary:
                return [{'id': r.id, 'name': r.name} for r in s.execute(
                    stmt.with_only_columns(V.id, V.name))], count
            rows = s.execute(stmt.with_only_columns(*volume_columns())).all()
            return self._volume_records(s, rows, self._type_names(s)), count

    @staticmethod
    def _page(stmt, model, sort, limit, marker_row, offset):
        sort = [('name' if k == 'display_name' else k, d)
                for k, d in (sort or [('created_at', 'desc')])]
        stmt = api_common.paginate(stmt, model, limit, marker_row, sort)
        return stmt.offset(offset) if offset else stmt

    def volume_summary(self, ctx, filters=None, all_projects=False, project_id=None):
        V = models.Volume
        with reader() as s:
            base = self._volume_query(ctx, filters or {}, all_projects, project_id)
            ids = base.with_only_columns(V.id).scalar_subquery()
            count, total = s.execute(sa.select(sa.func.count(), sa.func.sum(V.size))
                                     .where(V.id.in_(ids))).one()
            metadata = {}
            for key, value in s.execute(
                    sa.select(models.VolumeMetadata.key, models.VolumeMetadata.value)
                    .where(models.VolumeMetadata.kind == 'user',
                           models.VolumeMetadata.volume_id.in_(ids)).distinct()):
                metadata.setdefault(key, [])
                if value not in metadata[key]:
                    metadata[key].append(value)
            return {'total_count': count or 0, 'total_size': int(total or 0),
                    'metadata': metadata}

    # --- update --------------------------------------------------------------------
    def update_volume(self, ctx, volume_id, values):
        with db_api.writer() as s:
            row = self._volume_row(s, ctx, volume_id, lock=True)
            for key in ('name', 'description'):
                if key in values:
                    setattr(row, key, values[key])
            if 'metadata' in values:
                self._replace_meta(row, 'user', values['metadata'])
            row.updated_at = utcnow()
            s.flush()
            return self.volume_record(row, self._type_names(s))

    @staticmethod
    def _replace_meta(row, kind, values):
        row.meta = [m for m in row.meta if m.kind != kind] + _meta_rows(kind, values)

    @staticmethod
    def _merge_meta(row, kind, values):
        current = {m.key: m for m in row.meta if m.kind == kind}
        for key, value in values.items():
            if key in current:
                current[key].value = str(value)
            else:
                row.meta.append(models.VolumeMetadata(kind=kind, key=key, value=str(value)))

    @staticmethod
    def _meta_of(row, kind):
        return {m.key: m.value for m in row.meta if m.kind == kind}

    # --- metadata ----------------------------------------------------------------
    def get_metadata(self, ctx, volume_id):
        with reader() as s:
            return self._meta_of(self._volume_row(s, ctx, volume_id), 'user')

    def update_metadata(self, ctx, volume_id, values, replace=False):
        """Merge `values` into the metadata (or replace it); returns it all."""
        with db_api.writer() as s:
            row = self._volume_row(s, ctx, volume_id, lock=True)
            if row.status == 'maintenance':
                raise InvalidState('Volume %s is in maintenance.' % volume_id)
            if replace:
                self._replace_meta(row, 'user', values)
            else:
                self._merge_meta(row, 'user', values)
            row.updated_at = utcnow()
            s.flush()
            return self._meta_of(row, 'user')

    def delete_metadata_key(self, ctx, volume_id, key):
        with db_api.writer() as s:
            row = self._volume_row(s, ctx, volume_id, lock=True)
            for m in row.meta:
                if m.kind == 'user' and m.key == key:
                    row.meta.remove(m)
                    row.updated_at = utcnow()
                    return
            raise exception.NotFound('Metadata item was not found')

    def get_image_metadata(self, ctx, volume_id):
        with reader() as s:
            return self._meta_of(self._volume_row(s, ctx, volume_id), 'image')

    def set_image_metadata(self, ctx, volume_id, values):
        with db_api.writer() as s:
            row = self._volume_row(s, ctx, volume_id, lock=True)
            if row.status not in ('available', 'in-use'):
                raise InvalidState('Volume status must be available or in-use.')
            self._merge_meta(row, 'image', values)
            s.flush()
            return self._meta_of(row, 'image')

    def unset_image_metadata(self, ctx, volume_id, key):
        with db_api.writer() as s:
            row = self._volume_row(s, ctx, volume_id, lock=True)
            for m in row.meta:
                if m.kind == 'image' and m.key == key:
                    row.meta.remove(m)
                    return
            raise exception.NotFound('Glance metadata for volume %s with key %s '
                                     'cannot be found.' % (volume_id, key))

    def set_bootable(self, ctx, volume_id, bootable):
        with db_api.writer() as s:
            row = self._volume_row(s, ctx, volume_id, lock=True)
            row.bootable = bool(bootable)
            row.updated_at = utcnow()

    def set_readonly(self, ctx, volume_id, readonly):
        with db_api.writer() as s:
            row = self._volume_row(s, ctx, volume_id, lock=True)
            if row.status not in ('available', 'in-use'):
                raise InvalidState('Volume status must be available or in-use.')
            self._merge_meta(row, 'admin', {'readonly': 'True' if readonly else 'False'})
            row.updated_at = utcnow()

    # --- delete ----------------------------------------------------------------------
    def delete_volume(self, ctx, volume_id, cascade=False, force=False):
        with db_api.writer() as s:
            row = self._volume_row(s, ctx, volume_id, lock=True)
            if row.status == 'deleting':
                return
            busy = [a for a in row.attachments if a.attach_status != 'detached']
            if not force:
                if row.status not in DELETABLE or busy:
                    raise InvalidState(
                        'Volume status must be available or error or error_restoring '
                        'or error_extending or error_managing and must not be '
                        'migrating, attached, belong to a group, have snapshots or '
                        'be disassociated from snapshots after volume transfer.')
                if row.migration_status not in (None, 'success', 'error'):
                    raise InvalidState('Volume %s is migrating.' % volume_id)
                if row.group_id:
                    raise InvalidState('Volume %s belongs to a group.' % volume_id)
            snaps = s.scalars(sa.select(models.Snapshot).where(
                models.Snapshot.volume_id == row.id).with_for_update()).all()
            if snaps and not cascade:
                raise InvalidState('Volume %s still has %d dependent snapshots.'
                                   % (volume_id, len(snaps)))
            for snap in snaps:
                if snap.status not in ('available', 'error', 'error_deleting',
                                       'deleting') and not force:
                    raise InvalidState('Snapshot %s is %s; it cannot be deleted.'
                                       % (snap.id, snap.status))
            for snap in snaps:
                snap.status = 'deleting'
            self._begin_delete(s, row)

    def _begin_delete(self, s, row):
        """Mark `row` deleting and hand it to its host's agent; a volume that
        never reached a backend goes at once."""
        s.execute(sa.delete(models.Transfer).where(models.Transfer.volume_id == row.id,
                                                   models.Transfer.accepted.is_(False)))
        if not row.host:
            self._finish_delete(s, row)
            return
        row.previous_status, row.status = row.status, 'deleting'
        row.updated_at = utcnow()
        row.task_id = enqueue(s, 'volume.delete', {'volume_id': row.id},
                              host=split_host(row.host)[0])

    def _finish_delete(self, s, row):
        """Remove the volume's row and give back its quota (its data is gone)."""
        vtype = s.get(models.VolumeType, row.volume_type_id) if row.volume_type_id else None
        if row.use_quota:
            self._release(s, row.project_id, quota_area.usage_deltas(
                row.size, volumes=1, type_name=vtype and vtype.name))
        s.delete(row)

    def force_delete_volume(self, ctx, volume_id):
        self.delete_volume(ctx, volume_id, cascade=True, force=True)
