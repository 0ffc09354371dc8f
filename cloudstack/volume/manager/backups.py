"""Backups: full and incremental, kept in Object Storage (the project's own
account, container `container`), restored into a new or an existing volume,
exported and imported as records."""
import base64
import json

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.volume import models, states
from cloudstack.volume.manager.base import (
    enqueue, InvalidState, iso, reader, split_host, this_host)

# What export_record names as the backup service: Tempest (and Cinder's
# clients) expect a name under cinder.backup.drivers; the chunks are in
# Object Storage, in our own layout (see cloudstack/volume/backup.py).
BACKUP_SERVICE = 'cinder.backup.drivers.swift'
SORT_KEYS = ('id', 'name', 'display_name', 'status', 'created_at', 'updated_at',
             'size', 'volume_id', 'container', 'data_timestamp')
RECORD_FIELDS = ('id', 'name', 'description', 'volume_id', 'snapshot_id', 'size',
                 'object_count', 'container', 'account', 'object_prefix', 'parent_id',
                 'availability_zone', 'project_id', 'user_id', 'meta')


def account_of(project_id):
    return 'AUTH_%s' % project_id


class Backups:

    def _backup_records(self, s, rows):
        deps = self._dependents(s, [r.id for r in rows])
        return [self.backup_record(r, deps.get(r.id, 0)) for r in rows]

    def create_backup(self, ctx, volume_id, name=None, description=None,
                      container=None, incremental=False, force=False,
                      snapshot_id=None, metadata=None, availability_zone=None):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            snapshot = None
            if snapshot_id:
                snapshot = self._snapshot_row(s, ctx, snapshot_id, lock=True)
                if snapshot.volume_id != volume.id:
                    raise exception.BadRequest('Snapshot %s is not of volume %s.'
                                               % (snapshot_id, volume_id))
                if snapshot.status != 'available':
                    raise InvalidState('Snapshot to be backed up must be available, '
                                       'but the current status is "%s".' % snapshot.status)
            elif volume.status == 'in-use' and not force:
                raise InvalidState('Backing up an in-use volume must use the force flag.')
            elif volume.status not in ('available', 'in-use'):
                raise InvalidState('Volume to be backed up must be available or in-use, '
                                   'but the current status is "%s".' % volume.status)
            parent = None
            if incremental:
                parent = s.scalars(sa.select(models.Backup).where(
                    models.Backup.volume_id == volume.id,
                    models.Backup.status == 'available').order_by(
                    models.Backup.data_timestamp.desc(),
                    models.Backup.created_at.desc())).first()
                if parent is None:
                    raise exception.BadRequest('No backups available to do an '
                                               'incremental backup.')
            self._reserve(s, volume.project_id, {'backups': 1,
                                                 'backup_gigabytes': volume.size})
            now = utcnow()
            row = models.Backup(
                project_id=volume.project_id, user_id=ctx.user_id, volume_id=volume.id,
                snapshot_id=snapshot_id, name=name, description=description,
                status='creating', size=volume.size,
                container=container or (parent and parent.container)
                or CONF.volume.backup_container,
                parent_id=parent and parent.id,
                account=account_of(volume.project_id),
                availability_zone=availability_zone or volume.availability_zone,
                host=split_host(volume.host)[0], service=BACKUP_SERVICE,
                meta=dict(metadata or {}), encryption_key_id=volume.encryption_key_id,
                data_timestamp=snapshot.created_at if snapshot else now,
                created_at=now)
            s.add(row)
            s.flush()
            row.object_prefix = row.id
            if snapshot:
                snapshot.status = 'backing-up'
            else:
                volume.previous_status, volume.status = volume.status, 'backing-up'
                volume.updated_at = now
            row.task_id = enqueue(s, 'backup.create', {'backup_id': row.id},
                                  host=row.host)
            return self._backup_records(s, [row])[0]

    def get_backup(self, ctx, backup_id):
        with reader() as s:
            return self._backup_records(s, [self._backup_row(s, ctx, backup_id)])[0]

    def list_backups(self, ctx, filters=None, sort=None, limit=None, marker=None,
                     offset=0, all_projects=False, project_id=None, with_count=False):
        B = models.Backup
        with reader() as s:
            stmt = self._project_filter(ctx, sa.select(B), B, all_projects, project_id)
            for key, value in (filters or {}).items():
                if isinstance(value, tuple):
                    stmt = stmt.where(getattr(B, key).like('%' + value[1] + '%'))
                else:
                    stmt = stmt.where(getattr(B, key) == value)
            count = s.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) \
                if with_count else None
            marker_row = self._marker(s, ctx, B, marker, 'backup')
            stmt = self._page(stmt, B, sort, limit, marker_row, offset)
            return self._backup_records(s, s.scalars(stmt).all()), count

    def update_backup(self, ctx, backup_id, values):
        with db_api.writer() as s:
            row = self._backup_row(s, ctx, backup_id, lock=True)
            for key in ('name', 'description'):
                if key in values:
                    setattr(row, key, values[key])
            if 'metadata' in values:
                row.meta = dict(values['metadata'] or {})
            row.updated_at = utcnow()
            s.flush()
            return self._backup_records(s, [row])[0]

    def delete_backup(self, ctx, backup_id, force=False):
        with db_api.writer() as s:
            row = self._backup_row(s, ctx, backup_id, lock=True)
            allowed = states.BACKUP_STATUSES if force else ('available', 'error')
            if row.status not in allowed:
                raise InvalidState('Backup status must be available or error')
            if self._dependents(s, [row.id]).get(row.id):
                raise InvalidState('Incremental backups exist for this backup.')
            row.status = 'deleting'
            row.updated_at = utcnow()
            row.task_id = enqueue(s, 'backup.delete', {'backup_id': row.id},
                                  host=row.host or this_host())

    def _finish_backup_delete(self, s, row):
        self._release(s, row.project_id, {'backups': 1, 'backup_gigabytes': row.size})
        s.delete(row)

    def restore_backup(self, ctx, backup_id, volume_id=None, name=None):
        """Restore into `volume_id`, or into a new volume; returns
        {'backup_id', 'volume_id', 'volume_name'}."""
        if volume_id is None:
            with reader() as s:
                backup = self._backup_row(s, ctx, backup_id)
                if backup.status != 'available':
                    raise InvalidState('Backup status must be available')
                size = backup.size
            volume = self.create_volume(ctx, {
                'size': size, 'backup_id': backup_id,
                'name': name or 'restore_backup_%s' % backup_id})
            if volume['status'] == 'error':
                raise exception.BadRequest('No valid backend was found to restore to.')
            return {'backup_id': backup_id, 'volume_id': volume['id'],
                    'volume_name': volume['name']}
        with db_api.writer() as s:
            backup = self._backup_row(s, ctx, backup_id, lock=True)
            if backup.status != 'available':
                raise InvalidState('Backup status must be available')
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status != 'available':
                raise InvalidState('Volume to be restored to must be available')
            if volume.size < backup.size:
                raise exception.BadRequest('Volume to be restored to is smaller than '
                                           'the backup to be restored')
            self._start_restore(s, ctx, backup, volume)
            return {'backup_id': backup_id, 'volume_id': volume.id,
                    'volume_name': volume.name}

    def _start_restore(self, s, ctx, backup, volume):
        backup.status, backup.restore_volume_id = 'restoring', volume.id
        volume.previous_status = volume.status
        volume.status = 'restoring-backup'
        volume.updated_at = backup.updated_at = utcnow()
        task = enqueue(s, 'backup.restore', {'backup_id': backup.id,
                                             'volume_id': volume.id},
                       host=split_host(volume.host)[0])
        backup.task_id = volume.task_id = task

    def reset_backup_status(self, ctx, backup_id, status):
        if status not in states.BACKUP_RESET:
            raise exception.BadRequest('Invalid status %s.' % status)
        with db_api.writer() as s:
            row = self._backup_row(s, ctx, backup_id, lock=True)
            row.status, row.task_id = status, None
            row.updated_at = utcnow()

    # --- export and import -----------------------------------------------------------
    def export_backup(self, ctx, backup_id):
        with reader() as s:
            row = self._backup_row(s, ctx, backup_id)
            if row.status != 'available':
                raise InvalidState('Backup status must be available and not %s.'
                                   % row.status)
            record = {key: getattr(row, key) for key in RECORD_FIELDS}
            record['data_timestamp'] = iso(row.data_timestamp)
            record['created_at'] = iso(row.created_at)
        url = base64.b64encode(json.dumps(record).encode()).decode()
        return {'backup_service': BACKUP_SERVICE, 'backup_url': url}

    def import_backup(self, ctx, backup_service, backup_url):
        if backup_service != BACKUP_SERVICE:
            raise exception.BadRequest('Unsupported backup service %s.' % backup_service)
        try:
            record = json.loads(base64.b64decode(backup_url))
            assert isinstance(record, dict) and record.get('id')
        except Exception:
            raise exception.BadRequest('Can\'t parse backup record.')
        with db_api.writer() as s:
            existing = s.get(models.Backup, record['id'])
            if existing is not None:
                raise exception.BadRequest('Backup %s already exists.' % record['id'])
            project_id = ctx.project_id
            self._reserve(s, project_id, {'backups': 1,
                                          'backup_gigabytes': int(record.get('size') or 0)})
            row = models.Backup(
                id=record['id'], project_id=project_id, user_id=ctx.user_id,
                volume_id=record.get('volume_id') or '', name=record.get('name'),
                description=record.get('description'),
                snapshot_id=record.get('snapshot_id'), status='creating',
                size=int(record.get('size') or 0),
                object_count=int(record.get('object_count') or 0),
                container=record.get('container'), parent_id=record.get('parent_id'),
                account=record.get('account') or account_of(record.get('project_id')),
                object_prefix=record.get('object_prefix') or record['id'],
                availability_zone=record.get('availability_zone'), host=this_host(),
                service=BACKUP_SERVICE, meta=dict(record.get('meta') or {}),
                created_at=utcnow())
            s.add(row)
            s.flush()
            row.task_id = enqueue(s, 'backup.import', {'backup_id': row.id},
                                  host=row.host)
            return self._backup_records(s, [row])[0]
