"""Volume transfers between projects, and user messages."""
import hashlib
import hmac
import secrets
import string

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.volume import models
from cloudstack.volume.manager.base import InvalidState, is_admin, iso, reader
from cloudstack.volume.manager import quotas as quota_area

_KEY_CHARS = string.ascii_lowercase + string.digits
def _hash(salt, key):
    return hashlib.sha256((salt + key).encode()).hexdigest()


class Transfers:

    @staticmethod
    def transfer_record(row, auth_key=None):
        out = {'id': row.id, 'name': row.name, 'volume_id': row.volume_id,
               'created_at': iso(row.created_at), 'no_snapshots': bool(row.no_snapshots),
               'source_project_id': row.source_project_id,
               'destination_project_id': row.destination_project_id,
               'accepted': bool(row.accepted)}
        if auth_key is not None:
            out['auth_key'] = auth_key
        return out

    def _transfer_row(self, s, ctx, transfer_id, lock=False):
        row = s.get(models.Transfer, transfer_id, with_for_update=lock or None) \
            if transfer_id and len(transfer_id) <= 36 else None
        if row is None or row.accepted or not (
                row.source_project_id == ctx.project_id or is_admin(ctx)):
            raise exception.NotFound('Transfer %s could not be found.' % transfer_id)
        return row

    def create_transfer(self, ctx, volume_id, name=None, no_snapshots=False):
        with db_api.writer() as s:
            volume = self._volume_row(s, ctx, volume_id, lock=True)
            if volume.status != 'available':
                raise InvalidState('Status of volume %s must be available' % volume_id)
            if volume.encryption_key_id:
                raise InvalidState('Encrypted volumes cannot be transferred here.')
            if not no_snapshots and s.scalar(sa.select(models.Snapshot.id).where(
                    models.Snapshot.volume_id == volume.id,
                    models.Snapshot.status != 'available').limit(1)):
                raise InvalidState('Volume %s has snapshots that are not available.'
                                   % volume_id)
            key = ''.join(secrets.choice(_KEY_CHARS)
                          for _ in range(CONF.volume.transfer_key_length))
            salt = secrets.token_hex(8)
            row = models.Transfer(volume_id=volume.id, name=name, salt=salt,
                                  crypt_hash=_hash(salt, key),
                                  source_project_id=volume.project_id,
                                  no_snapshots=bool(no_snapshots), created_at=utcnow())
            s.add(row)
            volume.status = 'awaiting-transfer'
            volume.updated_at = utcnow()
            s.flush()
            return self.transfer_record(row, auth_key=key)

    def get_transfer(self, ctx, transfer_id):
        with reader() as s:
            return self.transfer_record(self._transfer_row(s, ctx, transfer_id))

    def list_transfers(self, ctx, filters=None, sort=None, limit=None, marker=None,
                       offset=0, all_projects=False):
        T = models.Transfer
        with reader() as s:
            stmt = sa.select(T).where(T.accepted.is_(False))
            if not (all_projects and is_admin(ctx)):
                stmt = stmt.where(T.source_project_id == ctx.project_id)
            for key, value in (filters or {}).items():
                stmt = stmt.where(getattr(T, key) == value)
            marker_row = None
            if marker:
                marker_row = s.get(T, marker)
                if marker_row is None:
                    raise exception.NotFound('Marker %s could not be found.' % marker)
            stmt = self._page(stmt, T, sort, limit, marker_row, offset)
            return [self.transfer_record(r) for r in s.scalars(stmt)]

    def delete_transfer(self, ctx, transfer_id):
        with db_api.writer() as s:
            row = self._transfer_row(s, ctx, transfer_id, lock=True)
            volume = s.get(models.Volume, row.volume_id, with_for_update=True)
            if volume is not None and volume.status == 'awaiting-transfer':
                volume.status = 'available'
                volume.updated_at = utcnow()
            s.delete(row)

    def accept_transfer(self, ctx, transfer_id, auth_key):
        """The caller's project takes the volume (and its snapshots); usage
        moves with it, checked against the new project's quotas."""
        with db_api.writer() as s:
            row = s.get(models.Transfer, transfer_id, with_for_update=True) \
                if transfer_id and len(transfer_id) <= 36 else None
            if row is None or row.accepted:
                raise exception.NotFound('Transfer %s could not be found.' % transfer_id)
            if not hmac.compare_digest(row.crypt_hash, _hash(row.salt, auth_key or '')):
                raise exception.BadRequest('Invalid auth key: Attempt to transfer %s '
                                           'with invalid auth key.' % transfer_id)
            volume = s.get(models.Volume, row.volume_id, with_for_update=True)
            if volume is None or volume.status != 'awaiting-transfer':
                raise InvalidState('Transfer %s: volume is not awaiting transfer.'
                                   % transfer_id)
            vtype = s.get(models.VolumeType, volume.volume_type_id) \
                if volume.volume_type_id else None
            type_name = vtype and vtype.name
            snaps = [] if row.no_snapshots else s.scalars(sa.select(models.Snapshot).where(
                models.Snapshot.volume_id == volume.id).with_for_update()).all()
            moved = quota_area.usage_deltas(volume.size, volumes=1, type_name=type_name)
            for snap in snaps:
                for key, value in quota_area.usage_deltas(
                        snap.volume_size, snapshots=1, type_name=type_name).items():
                    moved[key] = moved.get(key, 0) + value
            source = volume.project_id
            self._reserve(s, ctx.project_id, moved)
            self._release(s, source, moved)
            volume.project_id, volume.user_id = ctx.project_id, ctx.user_id
            volume.status = 'available'
            volume.updated_at = utcnow()
            for attachment in volume.attachments:
                attachment.project_id = ctx.project_id
            for snap in snaps:
                snap.project_id, snap.user_id = ctx.project_id, ctx.user_id
            row.accepted, row.destination_project_id = True, ctx.project_id
            row.updated_at = utcnow()
            return {'id': row.id, 'name': row.name, 'volume_id': row.volume_id}

    # --- user messages ----------------------------------------------------------
    @staticmethod
    def message_record(row):
        return {'id': row.id, 'project_id': row.project_id,
                'request_id': row.request_id, 'resource_type': row.resource_type,
                'resource_uuid': row.resource_uuid, 'event_id': row.event_id,
                'message_level': row.message_level, 'user_message': row.user_message,
                'created_at': iso(row.created_at), 'guaranteed_until': iso(row.expires_at)}

    def _message_row(self, s, ctx, message_id):
        return self._get(s, ctx, models.Message, message_id, 'Message')

    def list_messages(self, ctx, filters=None, sort=None, limit=None, marker=None,
                      offset=0, all_projects=False):
        M = models.Message
        with reader() as s:
            stmt = self._project_filter(ctx, sa.select(M), M, all_projects)
            stmt = stmt.where(M.expires_at > utcnow())
            for key, value in (filters or {}).items():
                stmt = stmt.where(getattr(M, key) == value)
            marker_row = self._marker(s, ctx, M, marker, 'message')
            stmt = self._page(stmt, M, sort, limit, marker_row, offset)
            return [self.message_record(r) for r in s.scalars(stmt)]

    def get_message(self, ctx, message_id):
        with reader() as s:
            return self.message_record(self._message_row(s, ctx, message_id))

    def delete_message(self, ctx, message_id):
        with db_api.writer() as s:
            s.delete(self._message_row(s, ctx, message_id))

    def purge_messages(self):
        with db_api.writer() as s:
            return s.execute(sa.delete(models.Message).where(
                models.Message.expires_at <= utcnow())).rowcount
