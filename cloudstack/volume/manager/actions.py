"""Volume actions: extend, retype, migrate, upload to an image, revert to a
snapshot, re-image, reset status, manage and unmanage."""
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.volume import models, scheduler, states
from cloudstack.volume.manager.base import (
    InvalidState, call_agent, enqueue, iso, reader, split_host)
from cloudstack.volume.manager import quotas as quota_area
from cloudstack.volume.manager import types as type_area

UPLOAD_DISK_FORMATS = ('raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'vhdx')
UPLOAD_CONTAINER_FORMATS = ('bare', 'ovf', 'ova', 'docker', 'compressed')


class Actions:

    def _host_of(self, volume):
        return split_host(volume.host)[0]

    # --- extend ------------------------------------------------------------------
    def extend_volume(self, ctx, volume_id, new_size, attached_allowed=False):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            allowed = ('available', 'in-use') if attached_allowed else ('available',)
            if volume.status not in allowed:
                raise InvalidState('Volume status must be %s to extend, but current '
                                   'status is: %s.' % (' or '.join(allowed), volume.status))
            if new_size <= volume.size:
                raise exception.BadRequest('New size for extend must be greater than '
                                           'current size. (current: %d, extended: %d).'
                                           % (volume.size, new_size))
            vtype = s.get(models.VolumeType, volume.volume_type_id) \
                if volume.volume_type_id else None
            self._reserve(s, volume.project_id, quota_area.usage_deltas(
                new_size - volume.size, type_name=vtype and vtype.name),
                volume_size=new_size)
            volume.previous_status, volume.status = volume.status, 'extending'
            volume.updated_at = utcnow()
            volume.task_id = enqueue(s, 'volume.extend', {'volume_id': volume.id,
                                                          'new_size': new_size},
                                     host=self._host_of(volume))

    def extend_volume_completion(self, ctx, volume_id, error=False):
        """os-extend_volume_completion (3.71): a deferred extend ends."""
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status != 'extending':
                raise InvalidState('Volume %s is not extending.' % volume_id)
            volume.status = 'error_extending' if error else (
                volume.previous_status or 'available')

    # --- retype and migrate ---------------------------------------------------------
    def retype_volume(self, ctx, volume_id, new_type, migration_policy='never'):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status not in ('available', 'in-use'):
                raise InvalidState('Volume status must be available or in-use, but '
                                   'current status is: %s.' % volume.status)
            if volume.migration_status not in (None, 'success', 'error'):
                raise InvalidState('Volume %s is migrating.' % volume_id)
            target = self._find_type(s, ctx, new_type)
            if target.id == volume.volume_type_id:
                raise exception.BadRequest('Retype requires a different volume type '
                                           'than the volume has: %s.' % new_type)
            specs = type_area.Types.type_specs(target)
            multiattach = type_area._bool_spec(specs.get('multiattach'))
            if volume.status == 'in-use' and multiattach != bool(volume.multiattach):
                raise InvalidState('Retyping an attached volume between multiattach and '
                                   'not multiattach types is not supported.')
            here = s.get(models.Pool, volume.host)
            fits_here = here is not None and scheduler.satisfies(
                here.capabilities or {}, specs)
            destination = None
            if not fits_here:
                if migration_policy != 'on-demand':
                    raise exception.BadRequest('Retype needs a migration, but the '
                                               'migration policy is never.')
                if volume.status != 'available':
                    raise InvalidState('Only available volumes can be migrated.')
                destination = scheduler.choose(s, volume.size, specs,
                                               volume.availability_zone,
                                               exclude=(volume.host,))
                if destination is None:
                    raise exception.BadRequest('No valid backend was found for the '
                                               'new volume type.')
            if destination:
                # The type changes when the data has moved (the agent's migrate).
                self._begin_migration(s, volume, destination, target.id)
                return
            self._retype_row(s, volume, target)

    def _retype_row(self, s, volume, target):
        old = s.get(models.VolumeType, volume.volume_type_id) \
            if volume.volume_type_id else None
        self._move_type_quota(s, volume, old, target)
        volume.volume_type_id = target.id
        volume.multiattach = type_area._bool_spec(
            type_area.Types.type_specs(target).get('multiattach'))
        volume.updated_at = utcnow()

    def _move_type_quota(self, s, volume, old, new):
        """Per-type usage follows the volume (and its snapshots) to the new type."""
        if not volume.use_quota:
            return
        snaps = s.scalars(sa.select(models.Snapshot).where(
            models.Snapshot.volume_id == volume.id)).all()
        amounts = {'volumes_%s': 1, 'gigabytes_%s': volume.size + sum(
            sn.volume_size for sn in snaps), 'snapshots_%s': len(snaps)}
        if old is not None:
            self._release(s, volume.project_id,
                          {k % old.name: v for k, v in amounts.items()})
        self._reserve(s, volume.project_id, {k % new.name: v for k, v in amounts.items()
                                             if v})
        for snap in snaps:
            snap.volume_type_id = new.id

    def _begin_migration(self, s, volume, destination, new_type_id=None):
        volume.previous_status, volume.status = volume.status, 'retyping' \
            if volume.status == 'available' else volume.status
        volume.migration_status = 'migrating'
        volume.task_id = enqueue(s, 'volume.migrate', {
            'volume_id': volume.id, 'destination': destination,
            'new_type_id': new_type_id}, host=self._host_of(volume))

    def migrate_volume(self, ctx, volume_id, host, force_host_copy=False,
                       lock_volume=False):
        """os-migrate_volume (admin): move the volume to pool or backend `host`."""
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status != 'available':
                raise InvalidState('Volume %s status must be available to migrate.'
                                   % volume_id)
            if volume.migration_status not in (None, 'success', 'error'):
                raise InvalidState('Volume %s is already migrating.' % volume_id)
            if s.scalar(sa.select(models.Snapshot.id).where(
                    models.Snapshot.volume_id == volume.id).limit(1)):
                raise InvalidState('Volume %s has snapshots.' % volume_id)
            pools = [p.name for p in scheduler.live_pools(s)
                     if p.name == host or p.name.partition('#')[0] == host]
            if not pools:
                raise exception.BadRequest('No available service named %s' % host)
            if volume.host in pools or volume.host.partition('#')[0] == host:
                raise exception.BadRequest('Destination host must be different than '
                                           'the current host.')
            self._begin_migration(s, volume, pools[0])
            volume.status = 'maintenance' if lock_volume else volume.previous_status

    def migrate_volume_completion(self, ctx, volume_id, new_volume_id, error=False):
        """Compute swapped a volume's data to `new_volume_id`: the new volume
        takes the old one's place (id, attachments) and the old one goes."""
        with db_api.writer() as s:
            old = self._volume_row(s, ctx, volume_id, lock=True)
            new = self._volume_row(s, ctx, new_volume_id, lock=True)
            if error:
                new.migration_status = old.migration_status = None
                return {'save_volume_id': new_volume_id}
            old.migration_status = new.migration_status = 'success'
            for a in list(old.attachments):
                a.volume_id = new.id
            s.flush()
            s.expire(old)
            s.expire(new)
            return {'save_volume_id': new_volume_id}

    # --- upload to an image -----------------------------------------------------------
    def upload_to_image(self, ctx, volume_id, image_name, disk_format='raw',
                        container_format='bare', force=False, visibility=None,
                        protected=None):
        from cloudstack.image import manager as image_manager
        if disk_format not in UPLOAD_DISK_FORMATS:
            raise exception.BadRequest('Invalid disk-format %s.' % disk_format)
        with reader() as s:
            volume = self._volume_row(s, ctx, volume_id)
            image_meta = self._meta_of(volume, 'image')
            self._check_uploadable(volume, force)
            size = volume.size
        body = {'name': image_name, 'disk_format': disk_format,
                'container_format': container_format}
        if visibility:
            body['visibility'] = visibility
        if protected is not None:
            body['protected'] = protected
        for key in ('min_ram', 'min_disk'):
            if image_meta.get(key, '').isdigit():
                body[key] = int(image_meta[key])
        body['min_disk'] = max(body.get('min_disk', 0), size)
        image = image_manager.get().create_image(ctx, body)
        try:
            with db_api.writer() as s:
                volume = self._volume_row(s, ctx, volume_id, lock=True)
                self._check_uploadable(volume, force)
                volume.previous_status, volume.status = volume.status, 'uploading'
                volume.updated_at = utcnow()
                volume.task_id = enqueue(s, 'volume.upload_image', {
                    'volume_id': volume.id, 'image_id': image['id'],
                    'disk_format': disk_format}, host=self._host_of(volume))
                vtype = s.get(models.VolumeType, volume.volume_type_id) \
                    if volume.volume_type_id else None
                return {'id': volume.id, 'updated_at': iso(volume.updated_at),
                        'status': 'uploading', 'display_description': volume.description,
                        'size': volume.size,
                        'volume_type': self.type_record(vtype) if vtype else None,
                        'image_id': image['id'], 'container_format': container_format,
                        'disk_format': disk_format, 'image_name': image_name,
                        'visibility': image.get('visibility'),
                        'protected': image.get('protected')}
        except Exception:
            image_manager.get().delete_image(ctx, image['id'])
            raise

    @staticmethod
    def _check_uploadable(volume, force):
        if volume.status == 'available' or (force and volume.status == 'in-use'):
            return
        raise InvalidState('Volume %s status must be available or in-use (with force) '
                           'to upload, but current status is %s.'
                           % (volume.id, volume.status))

    # --- revert and re-image --------------------------------------------------------
    def revert_to_snapshot(self, ctx, volume_id, snapshot_id):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            snap = self._snapshot_row(s, ctx, snapshot_id, lock=True)
            if snap.volume_id != volume.id:
                raise exception.BadRequest('Snapshot %s is not of volume %s.'
                                           % (snapshot_id, volume_id))
            latest = s.scalars(sa.select(models.Snapshot).where(
                models.Snapshot.volume_id == volume.id).order_by(
                models.Snapshot.created_at.desc(), models.Snapshot.id.desc())).first()
            if latest is None or latest.id != snap.id:
                raise exception.BadRequest('Volume %s can only be reverted to its latest '
                                           'snapshot.' % volume_id)
            if volume.status != 'available' or snap.status != 'available':
                raise InvalidState('Volume and snapshot must be available to revert.')
            if volume.size != snap.volume_size:
                raise InvalidState('Volume %s was extended after snapshot %s.'
                                   % (volume_id, snapshot_id))
            volume.status, snap.status = 'reverting', 'restoring'
            volume.updated_at = snap.updated_at = utcnow()
            volume.task_id = enqueue(s, 'volume.revert', {
                'volume_id': volume.id, 'snapshot_id': snap.id},
                host=self._host_of(volume))

    def reimage(self, ctx, volume_id, image_id, reimage_reserved=False):
        image = self._source_image(ctx, {'imageRef': image_id})
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            allowed = ('available', 'error', 'reserved') if reimage_reserved else \
                ('available', 'error')
            if volume.status not in allowed:
                raise InvalidState('Volume %s status must be %s to re-image.'
                                   % (volume_id, ' or '.join(allowed)))
            self._check_image_fits(image, volume.size)
            volume.previous_status, volume.status = volume.status, 'downloading'
            self._replace_meta(volume, 'image', self._image_metadata(image))
            volume.image_id = image['id']
            volume.task_id = enqueue(s, 'volume.reimage', {
                'volume_id': volume.id, 'image_id': image['id']},
                host=self._host_of(volume))

    # --- admin ------------------------------------------------------------------
    def reset_volume_status(self, ctx, volume_id, status=None, attach_status=None,
                            migration_status=None):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if status is not None:
                if status not in states.VOLUME_RESET:
                    raise exception.BadRequest('Invalid status %s.' % status)
                volume.status = status
                volume.task_id = None
            if attach_status is not None:
                if attach_status not in states.ATTACH_STATUS_RESET:
                    raise exception.BadRequest('Invalid attach_status %s.' % attach_status)
                volume.attach_status = attach_status
            if migration_status is not None:
                if migration_status not in states.MIGRATION_STATUS_RESET:
                    raise exception.BadRequest('Invalid migration_status %s.'
                                               % migration_status)
                volume.migration_status = None if migration_status == 'none' \
                    else migration_status
            volume.updated_at = utcnow()

    def manage_volume(self, ctx, host, ref, name=None, description=None,
                      volume_type=None, availability_zone=None, metadata=None,
                      bootable=False, project_id=None):
        """Adopt data the backend at `host` holds (ref: {'source-name': ...})."""
        with db_api.writer() as s:
            pools = [p for p in scheduler.live_pools(s)
                     if host in (p.name, p.name.partition('#')[0])]
            if not pools:
                raise exception.NotFound('No service found for host %s.' % host)
            pool = pools[0]
            vtype = self._find_type(s, ctx, volume_type) if volume_type \
                else self._default_type(s, ctx)
            row = models.Volume(
                project_id=project_id or ctx.project_id, user_id=ctx.user_id,
                name=name, description=description, size=0, status='creating',
                availability_zone=availability_zone or pool.availability_zone,
                host=pool.name, volume_type_id=vtype.id, bootable=bool(bootable),
                created_at=utcnow())
            row.meta = [models.VolumeMetadata(kind='user', key=k, value=str(v))
                        for k, v in (metadata or {}).items()]
            s.add(row)
            s.flush()
            row.task_id = enqueue(s, 'volume.manage', {'volume_id': row.id,
                                                       'ref': dict(ref)},
                                  host=split_host(pool.name)[0])
            return self.volume_record(row, self._type_names(s))

    def list_manageable(self, ctx, host, kind='volume'):
        """What the backends at `host` (host, host@backend or a pool) hold
        that could be managed, marked safe or not (and why)."""
        model = models.Snapshot if kind == 'snapshot' else models.Volume
        with reader() as s:
            pools = [p.name for p in scheduler.live_pools(s)
                     if host in (p.name, p.name.partition('#')[0], p.host)]
            if not pools:
                raise exception.NotFound('No service found for host %s.' % host)
            known = {}
            rows = s.scalars(sa.select(model)).all()
            for row in rows:
                known[row.provider_location or '%s-%s' % (kind, row.id)] = row
        out = []
        for pool in pools:
            for item in call_agent('volume.list_manageable',
                                   {'backend_host': pool, 'kind': kind},
                                   split_host(pool)[0]):
                row = known.get(item['name'])
                entry = {'reference': {'source-name': item['name']}, 'size': item['size'],
                         'safe_to_manage': row is None,
                         'reason_not_safe': None if row is None else 'already managed',
                         'cinder_id': row.id if row is not None else None,
                         'extra_info': None}
                if kind == 'snapshot':
                    entry['source_reference'] = {'source-name': item['name']}
                out.append(entry)
        return out

    def unmanage_volume(self, ctx, volume_id):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status not in ('available', 'error') or volume.attachments:
                raise InvalidState('Volume %s must be available or error and not '
                                   'attached to be unmanaged.' % volume_id)
            if s.scalar(sa.select(models.Snapshot.id).where(
                    models.Snapshot.volume_id == volume.id).limit(1)):
                raise InvalidState('Volume %s has snapshots.' % volume_id)
            volume.previous_status, volume.status = volume.status, 'deleting'
            volume.task_id = enqueue(s, 'volume.unmanage', {'volume_id': volume.id},
                                     host=self._host_of(volume))
