"""Attachments: the 3.27+ attachments flow Compute uses (doc/design.md: How
the services call each other) and the older os-reserve / os-initialize_connection
/ os-attach / os-detach actions, on the same rows.

An attachment is reserved (attachment_create, os-reserve), then exported to a
connector (attachment_update, os-initialize_connection: the volume's agent
makes its target and the connection info), then attached (attachment_complete,
os-attach), and finally deleted (attachment_delete, os-detach), which
unexports the volume when no other attachment still uses its target.
"""
import logging
import secrets

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.volume import models
from cloudstack.volume.manager.base import (
    call_agent, InvalidState, is_admin, reader, split_host)

LOG = logging.getLogger(__name__)

ATTACH_MODES = ('rw', 'ro')
# Attachments holding the volume: everything but detached.
LIVE = ('reserved', 'attaching', 'attached', 'detaching', 'error_attaching',
        'error_detaching')


def _chap():
    return 'CHAP %s %s' % ('cs' + secrets.token_hex(8), secrets.token_urlsafe(18)[:16])


class Attachments:

    def _attachment_row(self, s, ctx, attachment_id, lock=False):
        row = None
        if isinstance(attachment_id, str) and len(attachment_id) <= 36:
            row = s.get(models.Attachment, attachment_id, with_for_update=lock or None)
        if row is None or not (row.project_id == ctx.project_id or is_admin(ctx)):
            raise exception.NotFound('Volume attachment %s could not be found.'
                                     % attachment_id)
        return row

    @staticmethod
    def _settle_volume(volume, gone=None):
        """The volume's status from its remaining attachments."""
        live = [a for a in volume.attachments if a is not gone and a.attach_status in LIVE]
        states = {a.attach_status for a in live}
        if 'attached' in states or 'detaching' in states:
            volume.status, volume.attach_status = 'in-use', 'attached'
        elif 'attaching' in states:
            volume.status, volume.attach_status = 'attaching', 'attaching'
        elif 'reserved' in states:
            volume.status, volume.attach_status = 'reserved', 'reserved'
        else:
            volume.status, volume.attach_status = 'available', 'detached'
            volume.meta = [m for m in volume.meta
                           if not (m.kind == 'admin' and m.key == 'attached_mode')]
        volume.updated_at = utcnow()

    @staticmethod
    def _check_attachable(volume, mode):
        if mode not in ATTACH_MODES:
            raise exception.BadRequest('Invalid attach mode %s.' % mode)
        readonly = any(m.kind == 'admin' and m.key == 'readonly' and m.value == 'True'
                       for m in volume.meta)
        if readonly and mode == 'rw':
            raise exception.BadRequest("Invalid attaching mode 'rw' for volume %s."
                                       % volume.id)
        held = [a for a in volume.attachments if a.attach_status in LIVE]
        if volume.status == 'available' and not held:
            return
        if volume.multiattach and volume.status in ('available', 'in-use', 'reserved',
                                                    'attaching'):
            return
        raise InvalidState('Volume %s status must be available or (multiattach) '
                           'in-use to reserve, but the status is %s.'
                           % (volume.id, volume.status))

    # --- the 3.27+ flow ---------------------------------------------------------
    def attachment_create(self, ctx, volume_id, instance_uuid, connector=None,
                          mode='rw'):
        """Reserve the volume for `instance_uuid`; with a connector, export it
        too. Returns the attachment (with connection_info once exported)."""
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            self._check_attachable(volume, mode or 'rw')
            row = models.Attachment(
                volume_id=volume.id, project_id=volume.project_id,
                instance_uuid=instance_uuid, attach_status='reserved',
                attach_mode=mode or 'rw', created_at=utcnow())
            volume.attachments.append(row)
            s.flush()
            if volume.status not in ('in-use', 'attaching'):
                volume.status, volume.attach_status = 'reserved', 'reserved'
            attachment_id = row.id
            record = self.attachment_record(row)
        if connector:
            return self.attachment_update(ctx, attachment_id, connector)
        return record

    def attachment_update(self, ctx, attachment_id, connector):
        """Export the volume to `connector` ({'host', 'ip', 'initiator', ...})
        and return the attachment with its connection_info."""
        if not isinstance(connector, dict) or not connector:
            raise exception.BadRequest('A connector is required.')
        with db_api.writer() as s:
            row = self._attachment_row(s, ctx, attachment_id, lock=True)
            volume = s.get(models.Volume, row.volume_id, with_for_update=True)
            if row.attach_status not in ('reserved', 'attaching', 'attached'):
                raise InvalidState('Attachment %s is %s; it cannot be updated.'
                                   % (attachment_id, row.attach_status))
            if volume.status in ('error', 'maintenance', 'deleting'):
                raise InvalidState('Volume %s is %s.' % (volume.id, volume.status))
            if not volume.provider_auth:
                volume.provider_auth = _chap()
            host = split_host(volume.host)[0]
            volume_id, mode = volume.id, row.attach_mode
        info = call_agent('volume.export', {'volume_id': volume_id,
                                            'connector': connector}, host)
        info = {'driver_volume_type': info['driver_volume_type'],
                'data': dict(info['data'], volume_id=volume_id, access_mode=mode,
                             attachment_id=attachment_id)}
        with db_api.writer() as s:
            row = self._attachment_row(s, ctx, attachment_id, lock=True)
            volume = s.get(models.Volume, row.volume_id, with_for_update=True)
            row.connector, row.connection_info = dict(connector), info
            row.attached_host = connector.get('host')
            row.mountpoint = connector.get('mountpoint') or row.mountpoint
            if row.attach_status == 'reserved':
                row.attach_status = 'attaching'
            row.updated_at = utcnow()
            s.flush()
            if volume.status not in ('in-use',):
                self._settle_volume(volume)
            return self.attachment_record(row)

    def attachment_complete(self, ctx, attachment_id):
        """The hypervisor attached it: the volume is in-use. A reserved
        attachment (no connector yet) may be completed too: Compute attaches
        volumes to a shelved-offloaded server so, and connects them when the
        server is unshelved."""
        with db_api.writer() as s:
            row = self._attachment_row(s, ctx, attachment_id, lock=True)
            volume = s.get(models.Volume, row.volume_id, with_for_update=True)
            if row.attach_status not in ('reserved', 'attaching', 'attached'):
                raise InvalidState('Attachment %s is %s; it cannot be completed.'
                                   % (attachment_id, row.attach_status))
            row.attach_status = 'attached'
            row.attach_time = row.attach_time or utcnow()
            self._mark_attached(volume, row)

    def _mark_attached(self, volume, row):
        volume.status, volume.attach_status = 'in-use', 'attached'
        volume.launched_at = volume.launched_at or utcnow()
        volume.updated_at = utcnow()
        if not any(m.kind == 'admin' and m.key == 'attached_mode' for m in volume.meta):
            volume.meta.append(models.VolumeMetadata(kind='admin', key='attached_mode',
                                                     value=row.attach_mode))

    def attachment_delete(self, ctx, attachment_id):
        """Detach: unexport when no other attachment uses the target, and free
        the volume. Returns the volume's remaining attachments."""
        with reader() as s:
            row = self._attachment_row(s, ctx, attachment_id)
            volume_id = row.volume_id
        self._detach(ctx, volume_id, attachment_id)

    def _detach(self, ctx, volume_id, attachment_id, force=False):
        with db_api.writer() as s:
            volume = s.get(models.Volume, volume_id, with_for_update=True)
            row = next((a for a in volume.attachments if a.id == attachment_id), None)
            if row is None:
                raise exception.NotFound('Volume attachment %s could not be found.'
                                         % attachment_id)
            others = [a for a in volume.attachments
                      if a is not row and a.connection_info and a.attach_status in LIVE]
            host = split_host(volume.host)[0]
        if not others:
            call_agent('volume.unexport', {'volume_id': volume_id}, host)
        with db_api.writer() as s:
            volume = s.get(models.Volume, volume_id, with_for_update=True)
            row = next((a for a in volume.attachments if a.id == attachment_id), None)
            if row is not None:
                volume.attachments.remove(row)
                s.flush()
            if force or volume.status in ('in-use', 'attaching', 'reserved', 'detaching',
                                          'available', 'error_attaching'):
                self._settle_volume(volume)
            return [self.attachment_record(a) for a in volume.attachments]

    def get_attachment(self, ctx, attachment_id):
        with reader() as s:
            return self.attachment_record(self._attachment_row(s, ctx, attachment_id))

    def list_attachments(self, ctx, filters=None, sort=None, limit=None, marker=None,
                         offset=0, all_projects=False, project_id=None):
        A = models.Attachment
        with reader() as s:
            stmt = self._project_filter(ctx, sa.select(A), A, all_projects, project_id)
            for key, value in (filters or {}).items():
                column = {'instance_id': 'instance_uuid', 'status': 'attach_status',
                          'attach_status': 'attach_status'}.get(key, key)
                stmt = stmt.where(getattr(A, column) == value)
            marker_row = None
            if marker:
                marker_row = s.get(A, marker)
                if marker_row is None:
                    raise exception.NotFound('Marker %s could not be found.' % marker)
            stmt = self._page(stmt, A, sort, limit, marker_row, offset)
            return [self.attachment_record(r) for r in s.scalars(stmt)]

    # --- the older actions ---------------------------------------------------------
    def reserve(self, ctx, volume_id):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status == 'available' or (
                    volume.multiattach and volume.status == 'in-use'):
                volume.status = 'attaching'
                volume.updated_at = utcnow()
                return
            raise InvalidState('Volume status must be available to reserve, but the '
                               'status is %s.' % volume.status)

    def unreserve(self, ctx, volume_id):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status == 'attaching':
                self._settle_volume(volume)

    def begin_detaching(self, ctx, volume_id):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status != 'in-use' or volume.attach_status != 'attached':
                raise InvalidState('Unable to detach volume. Volume status must be '
                                   "'in-use' and attach_status must be 'attached' to "
                                   'detach.')
            volume.status = 'detaching'
            volume.updated_at = utcnow()

    def roll_detaching(self, ctx, volume_id):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status == 'detaching':
                self._settle_volume(volume)

    def initialize_connection(self, ctx, volume_id, connector):
        """Export to `connector`; the connection info (os-initialize_connection)."""
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status == 'maintenance':
                raise InvalidState('Volume %s is in maintenance.' % volume_id)
            host_name = (connector or {}).get('host')
            row = next((a for a in volume.attachments
                        if a.attach_status in ('reserved', 'attaching')
                        and a.attached_host in (None, host_name)), None)
            if row is None:
                row = models.Attachment(volume_id=volume.id, project_id=volume.project_id,
                                        attach_status='reserved', created_at=utcnow(),
                                        attach_mode=self._legacy_mode(volume))
                volume.attachments.append(row)
                s.flush()
            attachment_id = row.id
            keep = volume.status
        record = self.attachment_update(ctx, attachment_id, connector)
        if keep in ('attaching', 'in-use'):
            with db_api.writer() as s:
                volume = s.get(models.Volume, volume_id, with_for_update=True)
                volume.status = keep
        return record['connection_info']

    @staticmethod
    def _legacy_mode(volume):
        readonly = any(m.kind == 'admin' and m.key == 'readonly' and m.value == 'True'
                       for m in volume.meta)
        return 'ro' if readonly else 'rw'

    def terminate_connection(self, ctx, volume_id, connector):
        """Unexport from `connector` (os-terminate_connection)."""
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            host_name = (connector or {}).get('host')
            for a in volume.attachments:
                if a.connection_info and a.attached_host == host_name and \
                        a.attach_status != 'attached':
                    a.connection_info = None
            exported = [a for a in volume.attachments if a.connection_info
                        and a.attached_host != host_name]
            host = split_host(volume.host)[0]
        if not exported:
            call_agent('volume.unexport', {'volume_id': volume_id}, host)

    def attach(self, ctx, volume_id, instance_uuid=None, host_name=None,
               mountpoint=None, mode='rw'):
        """os-attach: record the attachment as attached."""
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status == 'maintenance':
                raise InvalidState('Volume %s is in maintenance.' % volume_id)
            row = next((a for a in volume.attachments
                        if a.attach_status in ('reserved', 'attaching')
                        and a.instance_uuid in (None, instance_uuid)), None)
            if row is None:
                if volume.status not in ('available', 'attaching', 'reserved') and not (
                        volume.multiattach and volume.status == 'in-use'):
                    raise InvalidState('Volume %s is %s; it cannot be attached.'
                                       % (volume_id, volume.status))
                row = models.Attachment(volume_id=volume.id, project_id=volume.project_id,
                                        attach_mode=mode or 'rw', created_at=utcnow(),
                                        attach_status='attaching')
                volume.attachments.append(row)
            row.instance_uuid = instance_uuid
            row.attached_host = host_name or row.attached_host
            row.mountpoint = mountpoint
            row.attach_mode = mode or row.attach_mode
            row.attach_status = 'attached'
            row.attach_time = utcnow()
            self._mark_attached(volume, row)

    def detach(self, ctx, volume_id, attachment_id=None):
        """os-detach: end the attachment (the only one when none is named)."""
        with reader() as s:
            volume = self._volume_row(s, ctx, volume_id)
            live = [a for a in volume.attachments if a.attach_status in LIVE]
            if attachment_id is None:
                if len(live) > 1:
                    raise exception.BadRequest('Volume %s has several attachments; '
                                               'name the one to detach.' % volume_id)
                if not live:
                    return self._detached_already(ctx, volume_id)
                attachment_id = live[0].id
        self._detach(ctx, volume_id, attachment_id)

    def _detached_already(self, ctx, volume_id):
        """os-detach of a volume with no attachment: as Cinder, it ends up
        available and detached (a repeated or late detach is no error)."""
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status == 'maintenance':
                raise InvalidState('Volume %s is in maintenance.' % volume_id)
            self._settle_volume(volume)     # from its attachments: none left, available

    def force_detach(self, ctx, volume_id, attachment_id=None, connector=None):
        """os-force_detach (admin): end attachments whatever their status."""
        with reader() as s:
            volume = self._volume_row(s, ctx, volume_id)
            targets = [a.id for a in volume.attachments
                       if attachment_id in (None, a.id)]
        if attachment_id and not targets:
            raise exception.NotFound('Volume attachment %s could not be found.'
                                     % attachment_id)
        for target in targets:
            self._detach(ctx, volume_id, target, force=True)
