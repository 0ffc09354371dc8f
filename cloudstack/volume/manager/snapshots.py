"""Snapshots: create, list, show, update, delete, metadata, status, manage."""
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.volume import models, states
from cloudstack.volume.manager.base import InvalidState, enqueue, reader, split_host
from cloudstack.volume.manager import quotas as quota_area

SORT_KEYS = ('id', 'name', 'display_name', 'status', 'created_at', 'updated_at',
             'volume_id', 'project_id', 'size', 'volume_size')


class Snapshots:

    def _new_snapshot(self, s, ctx, volume, name=None, description=None,
                      metadata=None, group_snapshot_id=None, status='creating'):
        vtype = s.get(models.VolumeType, volume.volume_type_id) \
            if volume.volume_type_id else None
        self._reserve(s, volume.project_id, quota_area.usage_deltas(
            volume.size, snapshots=1, type_name=vtype and vtype.name))
        row = models.Snapshot(
            volume_id=volume.id, project_id=volume.project_id,
            user_id=ctx.user_id or volume.user_id, name=name,
            description=description, status=status, progress='0%',
            volume_size=volume.size, volume_type_id=volume.volume_type_id,
            group_snapshot_id=group_snapshot_id, created_at=utcnow())
        row.meta = [models.SnapshotMetadata(key=k, value=str(v))
                    for k, v in (metadata or {}).items()]
        s.add(row)
        s.flush()
        return row

    def create_snapshot(self, ctx, volume_id, name=None, description=None,
                        metadata=None, force=False):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status == 'in-use' and not force:
                raise InvalidState("Volume %s status must be available, but current "
                                   "status is: in-use." % volume_id)
            if volume.status not in ('available', 'in-use'):
                raise InvalidState('Volume %s status must be available or in-use, but '
                                   'current status is: %s.' % (volume_id, volume.status))
            if volume.migration_status not in (None, 'success', 'error'):
                raise InvalidState('Volume %s is migrating.' % volume_id)
            row = self._new_snapshot(s, ctx, volume, name, description, metadata)
            row.task_id = enqueue(s, 'snapshot.create', {'snapshot_id': row.id},
                                  host=split_host(volume.host)[0])
            return self.snapshot_record(row)

    def get_snapshot(self, ctx, snapshot_id):
        with reader() as s:
            return self.snapshot_record(self._snapshot_row(s, ctx, snapshot_id))

    def list_snapshots(self, ctx, filters=None, sort=None, limit=None, marker=None,
                       offset=0, all_projects=False, project_id=None, with_count=False):
        S = models.Snapshot
        with reader() as s:
            stmt = self._project_filter(ctx, sa.select(S), S, all_projects, project_id)
            for key, value in (filters or {}).items():
                if key == 'metadata':
                    for k, v in value.items():
                        stmt = stmt.where(S.id.in_(sa.select(models.SnapshotMetadata.snapshot_id)
                                                   .where(models.SnapshotMetadata.key == k,
                                                          models.SnapshotMetadata.value == str(v))))
                    continue
                if isinstance(value, tuple):
                    stmt = stmt.where(getattr(S, key).like('%' + value[1] + '%'))
                    continue
                column = {'consumes_quota': 'use_quota', 'size': 'volume_size'}.get(key, key)
                stmt = stmt.where(getattr(S, column) == value)
            count = s.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) \
                if with_count else None
            marker_row = self._marker(s, ctx, S, marker, 'snapshot')
            sort = [('volume_size' if k == 'size' else k, d) for k, d in (sort or [])]
            stmt = self._page(stmt, S, sort or None, limit, marker_row, offset)
            return [self.snapshot_record(r) for r in s.scalars(stmt)], count

    def update_snapshot(self, ctx, snapshot_id, values):
        with db_api.writer() as s:
            row = self._snapshot_row(s, ctx, snapshot_id, lock=True)
            for key in ('name', 'description'):
                if key in values:
                    setattr(row, key, values[key])
            row.updated_at = utcnow()
            s.flush()
            return self.snapshot_record(row)

    def delete_snapshot(self, ctx, snapshot_id, force=False):
        with db_api.writer() as s:
            row = self._snapshot_row(s, ctx, snapshot_id, lock=True)
            if row.status == 'deleting' and not force:
                return
            if not force and row.status not in ('available', 'error', 'error_deleting'):
                raise InvalidState('Snapshot status must be available or error and '
                                   'must not be part of a group.')
            if not force and row.group_snapshot_id:
                raise InvalidState('Snapshot %s is part of a group snapshot.'
                                   % snapshot_id)
            self._begin_snapshot_delete(s, row)

    def _begin_snapshot_delete(self, s, row):
        volume = s.get(models.Volume, row.volume_id)
        row.status = 'deleting'
        row.updated_at = utcnow()
        if volume is None or not volume.host:
            self._finish_snapshot_delete(s, row)
            return
        row.task_id = enqueue(s, 'snapshot.delete', {'snapshot_id': row.id},
                              host=split_host(volume.host)[0])

    def _finish_snapshot_delete(self, s, row):
        vtype = s.get(models.VolumeType, row.volume_type_id) if row.volume_type_id else None
        if row.use_quota:
            self._release(s, row.project_id, quota_area.usage_deltas(
                row.volume_size, snapshots=1, type_name=vtype and vtype.name))
        s.delete(row)

    def force_delete_snapshot(self, ctx, snapshot_id):
        self.delete_snapshot(ctx, snapshot_id, force=True)

    def reset_snapshot_status(self, ctx, snapshot_id, status):
        if status not in states.SNAPSHOT_RESET:
            raise exception.BadRequest('Invalid status %s.' % status)
        with db_api.writer() as s:
            row = self._snapshot_row(s, ctx, snapshot_id, lock=True)
            row.status = status
            row.task_id = None
            row.updated_at = utcnow()

    def update_snapshot_status(self, ctx, snapshot_id, status, progress=None):
        """The owner reports progress (Nova's assisted snapshots)."""
        allowed = {'creating': ('creating', 'available', 'error'),
                   'deleting': ('deleting', 'error_deleting')}
        with db_api.writer() as s:
            row = self._snapshot_row(s, ctx, snapshot_id, lock=True)
            if status not in allowed.get(row.status, ()):
                raise exception.BadRequest('Snapshot status %s not allowed from %s.'
                                           % (status, row.status))
            row.status = status
            if progress is not None:
                row.progress = progress
            row.updated_at = utcnow()

    # --- metadata --------------------------------------------------------------
    def get_snapshot_metadata(self, ctx, snapshot_id):
        with reader() as s:
            row = self._snapshot_row(s, ctx, snapshot_id)
            return {m.key: m.value for m in row.meta}

    def update_snapshot_metadata(self, ctx, snapshot_id, values, replace=False):
        with db_api.writer() as s:
            row = self._snapshot_row(s, ctx, snapshot_id, lock=True)
            current = {m.key: m for m in row.meta}
            if replace:
                row.meta = [m for m in row.meta if m.key in values]
                current = {m.key: m for m in row.meta}
            for key, value in values.items():
                if key in current:
                    current[key].value = str(value)
                else:
                    row.meta.append(models.SnapshotMetadata(key=key, value=str(value)))
            row.updated_at = utcnow()
            s.flush()
            return {m.key: m.value for m in row.meta}

    def delete_snapshot_metadata_key(self, ctx, snapshot_id, key):
        with db_api.writer() as s:
            row = self._snapshot_row(s, ctx, snapshot_id, lock=True)
            for m in row.meta:
                if m.key == key:
                    row.meta.remove(m)
                    return
            raise exception.NotFound('Metadata item was not found')

    # --- manage -----------------------------------------------------------------
    def manage_snapshot(self, ctx, volume_id, ref, name=None, description=None,
                        metadata=None):
        """Adopt a snapshot the backend holds but we do not know (ref: the
        driver's name for it, e.g. {'source-name': '_snapshot-<id>'})."""
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status not in ('available', 'in-use'):
                raise InvalidState('Volume %s status must be available or in-use.'
                                   % volume_id)
            row = self._new_snapshot(s, ctx, volume, name, description, metadata)
            row.provider_location = None
            row.task_id = enqueue(s, 'snapshot.manage', {'snapshot_id': row.id,
                                                         'ref': dict(ref)},
                                  host=split_host(volume.host)[0])
            return self.snapshot_record(row)

    def unmanage_snapshot(self, ctx, snapshot_id):
        with db_api.writer() as s:
            row = self._snapshot_row(s, ctx, snapshot_id, lock=True)
            if row.status not in ('available', 'error'):
                raise InvalidState('Snapshot status must be available or error.')
            volume = s.get(models.Volume, row.volume_id)
            row.status = 'unmanaging'
            row.task_id = enqueue(s, 'snapshot.unmanage', {'snapshot_id': row.id},
                                  host=split_host(volume.host)[0])
