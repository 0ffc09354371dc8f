"""Image members: sharing an image with other projects."""
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import models
from cloudstack.image.manager.base import (
    MEMBER_STATUSES)

class Members:
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
        with db_api.reader() as session:
            img = self._get_visible(session, ctx, image_id)
            self._require_shared(img)
            stmt = sa.select(models.ImageMember).where(
                models.ImageMember.image_id == image_id).order_by(
                models.ImageMember.created_at, models.ImageMember.member)
            if not (ctx.all_projects or img.owner == ctx.project_id):
                stmt = stmt.where(models.ImageMember.member == (ctx.project_id or ''))
            return [self._member_record(m) for m in session.scalars(stmt)]

    def get_member(self, ctx, image_id, member_id):
        with db_api.reader() as session:
            img = self._get_visible(session, ctx, image_id)
            self._require_shared(img)
            m = session.get(models.ImageMember, (image_id, member_id))
            if m is None or not (ctx.all_projects or img.owner == ctx.project_id
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
            m.status = status
            m.updated_at = utcnow()
            session.flush()
            return self._member_record(m)

    def delete_member(self, ctx, image_id, member_id):
        with db_api.writer() as session:
            img = self._get_visible(session, ctx, image_id, lock=True)
            self._require_shared(img)
            m = session.get(models.ImageMember, (image_id, member_id))
            if m is None:
                raise exception.NotFound('Member %s not found for image %s' % (
                    member_id, image_id))
            session.delete(m)
