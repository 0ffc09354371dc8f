"""Image tasks: the task API and running tasks."""
import datetime
import logging
import uuid

import sqlalchemy as sa

from cloudstack import exception
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import models
from cloudstack.image.manager import base
from cloudstack.image.manager import imports
from cloudstack.image.manager import locations
from cloudstack.image.manager.base import (
    DISK_FORMATS, TASK_HANDLER, TASK_SORT_KEYS, TASK_STATUSES, TASK_TYPES)

LOG = logging.getLogger(__name__)


class Tasks:
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
        imports.check_url(inp['import_from'])
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
                tasks.enqueue(session, TASK_HANDLER, {'task_id': task.id},
                              resource=('image', image['id']))
                session.flush()
                return self._task_record(task)
        except Exception:
            self.delete_image(ctx, image['id'])
            raise

    def get_task(self, ctx, task_id):
        with db_api.reader() as session:
            T = models.ImageTask
            stmt = self._live_tasks(sa.select(T).where(T.id == task_id))
            task = session.scalars(stmt).first()
            if task is None or not (ctx.all_projects or
                                    task.owner == ctx.project_id):
                raise exception.NotFound('Task with identifier %s not found' % task_id)
            return self._task_record(task)

    def list_tasks(self, ctx, filters, limit, marker, sort):
        T = models.ImageTask
        for key, value in filters.items():
            if key not in ('type', 'status'):
                raise exception.BadRequest('Invalid filter %s' % key)
            allowed = TASK_STATUSES if key == 'status' else TASK_TYPES + (
                'api_image_import', locations.LOCATION_TASK)
            if value not in allowed:
                raise exception.BadRequest('Invalid %s value: %s' % (key, value))
        for key, direction in sort:
            if key not in TASK_SORT_KEYS:
                raise exception.BadRequest('Invalid sort key %s' % key)
        with db_api.reader() as session:
            stmt = self._live_tasks(sa.select(T))
            if not ctx.all_projects:
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
        with db_api.reader() as session:
            self._get_visible(session, ctx, image_id)
            T = models.ImageTask
            stmt = self._live_tasks(sa.select(T).where(T.image_id == image_id))
            return [self._task_record(t) for t in session.scalars(
                stmt.order_by(T.created_at, T.id))]

    def run_task(self, task_id, auth_token=None, staging_dir=None):
        """Carry out a task: pending/processing -> success or failure
        (`auth_token`: the caller's, for a glance-download; `staging_dir`: the
        queueing node's, for a glance-direct import)."""
        with db_api.writer() as session:
            task = session.get(models.ImageTask, task_id)
            if task is None or task.status in ('success', 'failure'):
                return
            task.status, task.updated_at = 'processing', utcnow()
            session.flush()
            rec = self._task_record(task)
        try:
            if rec['type'] == 'api_image_import':
                result = self._run_api_import(rec, auth_token, staging_dir)
            elif rec['type'] == locations.LOCATION_TASK:
                result = self._run_location_import(rec)
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
            resp, length = imports.open_url(task['input']['import_from'])
            with resp:
                self._ingest(image_id, disk_format, base.read_chunks(resp), length,
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
