"""Generic volume groups, group types with group specs, and group snapshots.

A group lives on one backend; its volumes are placed there. An empty group
needs nothing from the backend, so it is available at once; making volumes
(from a group snapshot or another group) and deleting them are tasks, and
the group leaves 'creating' or 'deleting' when its last volume is done.
"""
import sqlalchemy as sa

from cloudstack.api import common as api_common
from cloudstack import exception
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.volume import models, scheduler, states
from cloudstack.volume.manager.base import (
    InvalidState, enqueue, is_admin, iso, reader, split_host)
from cloudstack.volume.manager import quotas as quota_area
def _ids(value):
    """'a,b' or ['a', 'b'] -> ['a', 'b']."""
    if not value:
        return []
    if isinstance(value, str):
        value = value.split(',')
    return [v.strip() for v in value if v and v.strip()]


class Groups:

    # --- group types ---------------------------------------------------------------
    @staticmethod
    def group_type_record(row):
        return {'id': row.id, 'name': row.name, 'description': row.description,
                'is_public': bool(row.is_public), 'group_specs': dict(row.specs or {})}

    def _group_type_row(self, s, ctx, type_id):
        row = None
        if isinstance(type_id, str) and len(type_id) <= 255:
            row = s.get(models.GroupType, type_id) if len(type_id) <= 36 else None
            if row is None:
                row = s.scalars(sa.select(models.GroupType).where(
                    models.GroupType.name == type_id)).first()
        if row is None or not (row.is_public or is_admin(ctx)
                               or ctx.project_id in (row.projects or [])):
            raise exception.NotFound('Group type %s could not be found.' % type_id)
        return row

    def list_group_types(self, ctx, is_public=True, sort=None, limit=None, marker=None,
                         offset=0):
        G = models.GroupType
        with reader() as s:
            stmt = sa.select(G)
            if not is_admin(ctx):
                stmt = stmt.where(G.is_public.is_(True))
            elif is_public is not None:
                stmt = stmt.where(G.is_public.is_(bool(is_public)))
            marker_row = self._group_type_row(s, ctx, marker) if marker else None
            stmt = api_common.paginate(stmt, G, limit, marker_row,
                                       sort or [('created_at', 'asc')])
            if offset:
                stmt = stmt.offset(offset)
            return [self.group_type_record(r) for r in s.scalars(stmt)]

    def get_group_type(self, ctx, type_id):
        with reader() as s:
            return self.group_type_record(self._group_type_row(s, ctx, type_id))

    def create_group_type(self, ctx, name, description=None, is_public=True, specs=None):
        try:
            with db_api.writer() as s:
                if s.scalar(sa.select(models.GroupType.id).where(
                        models.GroupType.name == name)):
                    raise exception.Conflict('Group Type %s already exists.' % name)
                row = models.GroupType(name=name, description=description,
                                       is_public=is_public, specs=dict(specs or {}),
                                       created_at=utcnow())
                s.add(row)
                s.flush()
                return self.group_type_record(row)
        except sa.exc.IntegrityError:
            raise exception.Conflict('Group Type %s already exists.' % name)

    def update_group_type(self, ctx, type_id, values):
        with db_api.writer() as s:
            row = self._group_type_row(s, ctx, type_id)
            if 'name' in values and values['name'] != row.name:
                if s.scalar(sa.select(models.GroupType.id).where(
                        models.GroupType.name == values['name'])):
                    raise exception.Conflict('Group Type %s already exists.'
                                             % values['name'])
                row.name = values['name']
            for key in ('description', 'is_public'):
                if key in values:
                    setattr(row, key, values[key])
            s.flush()
            return self.group_type_record(row)

    def delete_group_type(self, ctx, type_id):
        with db_api.writer() as s:
            row = self._group_type_row(s, ctx, type_id)
            if s.scalar(sa.select(models.Group.id).where(
                    models.Group.group_type_id == row.id).limit(1)):
                raise exception.BadRequest('Target group type is still in use.')
            s.delete(row)

    def set_group_specs(self, ctx, type_id, specs):
        with db_api.writer() as s:
            row = self._group_type_row(s, ctx, type_id)
            merged = dict(row.specs or {})
            merged.update(specs)
            row.specs = merged
        return dict(specs)

    def get_group_specs(self, ctx, type_id):
        with reader() as s:
            return dict(self._group_type_row(s, ctx, type_id).specs or {})

    def delete_group_spec(self, ctx, type_id, key):
        with db_api.writer() as s:
            row = self._group_type_row(s, ctx, type_id)
            merged = dict(row.specs or {})
            if key not in merged:
                raise exception.NotFound('Group type %s has no group specs with key %s.'
                                         % (type_id, key))
            merged.pop(key)
            row.specs = merged

    # --- groups -----------------------------------------------------------------------
    def group_record(self, s, row):
        volumes = s.scalars(sa.select(models.Volume.id).where(
            models.Volume.group_id == row.id)).all()
        return {'id': row.id, 'name': row.name, 'description': row.description,
                'status': row.status, 'availability_zone': row.availability_zone,
                'created_at': iso(row.created_at), 'group_type': row.group_type_id,
                'group_snapshot_id': row.group_snapshot_id,
                'source_group_id': row.source_group_id,
                'volume_types': list(row.volume_type_ids or []), 'volumes': volumes,
                'replication_status': row.replication_status or 'disabled',
                'project_id': row.project_id, 'host': row.host}

    def _group_row(self, s, ctx, group_id, lock=False):
        return self._get(s, ctx, models.Group, group_id, 'Group', lock)

    def _new_group(self, s, ctx, name, description, group_type_id, volume_type_ids,
                   zone=None, host=None, status='available', **extra):
        self._reserve(s, ctx.project_id, {'groups': 1})
        if host is None:
            specs = {}
            for type_id in volume_type_ids:
                specs.update(self.type_specs(s.get(models.VolumeType, type_id)))
            host = scheduler.choose(s, 0, specs, zone)
            if host is None:
                raise exception.BadRequest('No valid backend was found for the group.')
        row = models.Group(project_id=ctx.project_id, user_id=ctx.user_id, name=name,
                           description=description, status=status,
                           availability_zone=zone or s.get(models.Pool, host).availability_zone,
                           host=host, group_type_id=group_type_id,
                           volume_type_ids=list(volume_type_ids), created_at=utcnow(),
                           **extra)
        s.add(row)
        s.flush()
        return row

    def create_group(self, ctx, name, group_type, volume_types, description=None,
                     availability_zone=None):
        with db_api.writer() as s:
            gtype = self._group_type_row(s, ctx, group_type)
            type_ids = [self._find_type(s, ctx, t).id for t in volume_types]
            row = self._new_group(s, ctx, name, description, gtype.id, type_ids,
                                  availability_zone)
            return self.group_record(s, row)

    def get_group(self, ctx, group_id):
        with reader() as s:
            return self.group_record(s, self._group_row(s, ctx, group_id))

    def list_groups(self, ctx, filters=None, sort=None, limit=None, marker=None,
                    offset=0, all_projects=False, project_id=None):
        G = models.Group
        with reader() as s:
            stmt = self._project_filter(ctx, sa.select(G), G, all_projects, project_id)
            for key, value in (filters or {}).items():
                stmt = stmt.where(getattr(G, key) == value)
            marker_row = self._marker(s, ctx, G, marker, 'group')
            stmt = self._page(stmt, G, sort, limit, marker_row, offset)
            return [self.group_record(s, r) for r in s.scalars(stmt)]

    def update_group(self, ctx, group_id, name=None, description=None,
                     add_volumes=None, remove_volumes=None, values=()):
        with db_api.writer() as s:
            row = self._group_row(s, ctx, group_id, lock=True)
            if row.status not in ('available', 'in-use'):
                raise InvalidState('Group %s status must be available or in-use.'
                                   % group_id)
            if 'name' in values:
                row.name = name
            if 'description' in values:
                row.description = description
            for volume_id in _ids(add_volumes):
                volume = self._volume_row(s, ctx, volume_id, lock=True)
                if volume.group_id and volume.group_id != row.id:
                    raise exception.BadRequest('Volume %s is in another group.' % volume_id)
                if volume.status not in ('available', 'in-use'):
                    raise exception.BadRequest('Volume %s status must be available or '
                                               'in-use to join a group.' % volume_id)
                if volume.volume_type_id not in (row.volume_type_ids or []):
                    raise exception.BadRequest('Volume %s has a type the group does not '
                                               'support.' % volume_id)
                if (volume.host or '').partition('#')[0] != row.host.partition('#')[0]:
                    raise exception.BadRequest('Volume %s is on another backend than '
                                               'the group.' % volume_id)
                volume.group_id = row.id
            for volume_id in _ids(remove_volumes):
                volume = self._volume_row(s, ctx, volume_id, lock=True)
                if volume.group_id != row.id:
                    raise exception.BadRequest('Volume %s is not in group %s.'
                                               % (volume_id, group_id))
                volume.group_id = None
            row.updated_at = utcnow()

    def delete_group(self, ctx, group_id, delete_volumes=False):
        with db_api.writer() as s:
            row = self._group_row(s, ctx, group_id, lock=True)
            if row.status not in ('available', 'error', 'error_deleting', 'creating'):
                raise InvalidState('Group %s status must be available or error.'
                                   % group_id)
            volumes = s.scalars(sa.select(models.Volume).where(
                models.Volume.group_id == row.id).with_for_update()).all()
            if volumes and not delete_volumes:
                raise exception.BadRequest('Group %s still contains volumes. The '
                                           'delete-volumes flag is required to delete '
                                           'it.' % group_id)
            if s.scalar(sa.select(models.GroupSnapshot.id).where(
                    models.GroupSnapshot.group_id == row.id).limit(1)):
                raise InvalidState('Group %s has group snapshots.' % group_id)
            for volume in volumes:
                if volume.attachments or s.scalar(sa.select(models.Snapshot.id).where(
                        models.Snapshot.volume_id == volume.id).limit(1)):
                    raise InvalidState('Volume %s of the group is attached or has '
                                       'snapshots.' % volume.id)
            if not volumes:
                self._release(s, row.project_id, {'groups': 1})
                s.delete(row)
                return
            row.status = 'deleting'
            for volume in volumes:
                self._begin_delete(s, volume)

    def _group_settle(self, s, group_id):
        """After a volume of the group finished: leave creating or deleting."""
        row = s.get(models.Group, group_id, with_for_update=True)
        if row is None:
            return
        volumes = s.scalars(sa.select(models.Volume).where(
            models.Volume.group_id == row.id)).all()
        if row.status == 'deleting' and not volumes:
            self._release(s, row.project_id, {'groups': 1})
            s.delete(row)
        elif row.status == 'creating' and all(v.status != 'creating' for v in volumes):
            row.status = 'error' if any(v.status == 'error' for v in volumes) \
                else 'available'

    def reset_group_status(self, ctx, group_id, status):
        if status not in states.GROUP_RESET:
            raise exception.BadRequest('Invalid status %s.' % status)
        with db_api.writer() as s:
            row = self._group_row(s, ctx, group_id, lock=True)
            row.status = status

    def create_group_from_source(self, ctx, name=None, description=None,
                                 group_snapshot_id=None, source_group_id=None):
        with db_api.writer() as s:
            if group_snapshot_id:
                gsnap = self._get(s, ctx, models.GroupSnapshot, group_snapshot_id,
                                  'Group snapshot')
                if gsnap.status != 'available':
                    raise InvalidState('Group snapshot %s must be available.'
                                       % group_snapshot_id)
                source = s.get(models.Group, gsnap.group_id)
                members = [(snap, 'snapshot') for snap in s.scalars(
                    sa.select(models.Snapshot).where(
                        models.Snapshot.group_snapshot_id == gsnap.id))]
            else:
                source = self._group_row(s, ctx, source_group_id)
                if source.status != 'available':
                    raise InvalidState('Source group %s must be available.'
                                       % source_group_id)
                members = [(vol, 'volume') for vol in s.scalars(
                    sa.select(models.Volume).where(models.Volume.group_id == source.id))]
            row = self._new_group(s, ctx, name, description, source.group_type_id,
                                  source.volume_type_ids, source.availability_zone,
                                  host=source.host, status='creating' if members
                                  else 'available', group_snapshot_id=group_snapshot_id,
                                  source_group_id=source_group_id)
            for member, kind in members:
                origin = member if kind == 'volume' else s.get(models.Volume,
                                                               member.volume_id)
                size = member.size if kind == 'volume' else member.volume_size
                vtype = s.get(models.VolumeType, origin.volume_type_id)
                self._reserve(s, ctx.project_id, quota_area.usage_deltas(
                    size, volumes=1, type_name=vtype and vtype.name))
                volume = models.Volume(
                    project_id=ctx.project_id, user_id=ctx.user_id,
                    name=origin.name, size=size, status='creating',
                    availability_zone=origin.availability_zone, host=origin.host,
                    volume_type_id=origin.volume_type_id, group_id=row.id,
                    snapshot_id=member.id if kind == 'snapshot' else None,
                    source_volid=member.id if kind == 'volume' else None,
                    bootable=origin.bootable, created_at=utcnow())
                s.add(volume)
                s.flush()
                volume.task_id = enqueue(s, 'volume.create', {'volume_id': volume.id},
                                         host=split_host(volume.host)[0])
            return self.group_record(s, row)

    # --- group snapshots -------------------------------------------------------------
    @staticmethod
    def group_snapshot_record(row):
        return {'id': row.id, 'name': row.name, 'description': row.description,
                'status': row.status, 'group_id': row.group_id,
                'group_type_id': row.group_type_id, 'created_at': iso(row.created_at),
                'project_id': row.project_id}

    def create_group_snapshot(self, ctx, group_id, name=None, description=None):
        with db_api.writer() as s:
            group = self._group_row(s, ctx, group_id, lock=True)
            if group.status != 'available':
                raise InvalidState('Group %s status must be available.' % group_id)
            volumes = s.scalars(sa.select(models.Volume).where(
                models.Volume.group_id == group.id).with_for_update()).all()
            for volume in volumes:
                if volume.status not in ('available', 'in-use'):
                    raise InvalidState('Volume %s of the group is %s.'
                                       % (volume.id, volume.status))
            row = models.GroupSnapshot(
                project_id=group.project_id, user_id=ctx.user_id, group_id=group.id,
                group_type_id=group.group_type_id, name=name, description=description,
                status='creating' if volumes else 'available', created_at=utcnow())
            s.add(row)
            s.flush()
            for volume in volumes:
                snap = self._new_snapshot(s, ctx, volume, name, description,
                                          group_snapshot_id=row.id)
                snap.task_id = enqueue(s, 'snapshot.create', {'snapshot_id': snap.id},
                                       host=split_host(volume.host)[0])
            return self.group_snapshot_record(row)

    def _group_snapshot_settle(self, s, group_snapshot_id):
        row = s.get(models.GroupSnapshot, group_snapshot_id, with_for_update=True)
        if row is None:
            return
        snaps = s.scalars(sa.select(models.Snapshot).where(
            models.Snapshot.group_snapshot_id == row.id)).all()
        if row.status == 'deleting' and not snaps:
            s.delete(row)
        elif row.status == 'creating' and all(sn.status != 'creating' for sn in snaps):
            row.status = 'error' if any(sn.status == 'error' for sn in snaps) \
                else 'available'

    def get_group_snapshot(self, ctx, group_snapshot_id):
        with reader() as s:
            return self.group_snapshot_record(
                self._get(s, ctx, models.GroupSnapshot, group_snapshot_id,
                          'Group snapshot'))

    def list_group_snapshots(self, ctx, filters=None, sort=None, limit=None, marker=None,
                             offset=0, all_projects=False, project_id=None):
        G = models.GroupSnapshot
        with reader() as s:
            stmt = self._project_filter(ctx, sa.select(G), G, all_projects, project_id)
            for key, value in (filters or {}).items():
                stmt = stmt.where(getattr(G, key) == value)
            marker_row = self._marker(s, ctx, G, marker, 'group snapshot')
            stmt = self._page(stmt, G, sort, limit, marker_row, offset)
            return [self.group_snapshot_record(r) for r in s.scalars(stmt)]

    def delete_group_snapshot(self, ctx, group_snapshot_id):
        with db_api.writer() as s:
            row = self._get(s, ctx, models.GroupSnapshot, group_snapshot_id,
                            'Group snapshot', lock=True)
            if row.status not in ('available', 'error', 'error_deleting'):
                raise InvalidState('Group snapshot status must be available or error.')
            snaps = s.scalars(sa.select(models.Snapshot).where(
                models.Snapshot.group_snapshot_id == row.id).with_for_update()).all()
            if not snaps:
                s.delete(row)
                return
            row.status = 'deleting'
            for snap in snaps:
                self._begin_snapshot_delete(s, snap)

    def reset_group_snapshot_status(self, ctx, group_snapshot_id, status):
        if status not in states.GROUP_SNAPSHOT_RESET:
            raise exception.BadRequest('Invalid status %s.' % status)
        with db_api.writer() as s:
            row = self._get(s, ctx, models.GroupSnapshot, group_snapshot_id,
                            'Group snapshot', lock=True)
            row.status = status
