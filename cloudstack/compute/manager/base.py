"""What the areas of the compute manager share: transactions, look-ups,
instance actions and faults."""
import contextlib
import traceback

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.compute import models


class InstanceNotFound(exception.NotFound):
    message = 'Instance %(uuid)s could not be found.'


class InstanceInvalidState(exception.Conflict):
    message = ("Cannot '%(action)s' instance %(uuid)s while it is in "
               "%(attr)s %(state)s")


class InstanceLocked(exception.Conflict):
    message = 'Instance %(uuid)s is locked'


class NoValidHost(exception.CloudstackError):
    code = 500
    title = 'No valid host'
    message = 'No valid host was found. %(reason)s'


class QuotaExceeded(exception.Forbidden):
    message = 'Quota exceeded for %(resources)s: Requested %(req)s, but already used ' \
              '%(used)s of %(allowed)s %(resources)s'


def this_host():
    return CONF.host


def is_admin(ctx):
    """Whether `ctx` sees every project's resources (Nova's context_is_admin)."""
    return ctx.all_projects


class Base:

    @staticmethod
    def write():
        return db_api.writer()

    @staticmethod
    def read():
        return db_api.reader()

    @staticmethod
    def locking(stmt):
        """`stmt` locking its rows where the database can (PostgreSQL)."""
        return stmt if db_api.is_sqlite() else stmt.with_for_update()

    def instance_row(self, session, ctx, uuid, lock=False, deleted=False):
        """The server `uuid` as `ctx` may see it, or InstanceNotFound."""
        stmt = sa.select(models.Instance).where(models.Instance.uuid == str(uuid))
        if lock:
            stmt = self.locking(stmt)
        return self.visible(session.scalars(stmt).first(), ctx, uuid, deleted)

    @staticmethod
    def visible(inst, ctx, uuid, deleted=False):
        """`inst` (a row, or None) if `ctx` may see it, else InstanceNotFound."""
        if inst is None or (inst.deleted and not deleted) or (
                ctx is not None and not is_admin(ctx)
                and inst.project_id != ctx.project_id):
            raise InstanceNotFound(uuid=uuid)
        return inst

    # Instance actions -------------------------------------------------------

    @staticmethod
    def record_action(session, ctx, inst, action):
        row = models.InstanceAction(
            instance_uuid=inst.uuid, action=action,
            request_id=ctx.request_id if ctx else 'req-internal',
            project_id=(ctx.project_id if ctx else None) or inst.project_id,
            user_id=(ctx.user_id if ctx else None) or inst.user_id)
        session.add(row)
        session.flush()
        return row

    @staticmethod
    def latest_action(session, uuid):
        return session.scalars(sa.select(models.InstanceAction).where(
            models.InstanceAction.instance_uuid == uuid).order_by(
            models.InstanceAction.id.desc()).limit(1)).first()

    @contextlib.contextmanager
    def action_event(self, uuid, event, host=None):
        """Record `event` of the server's latest action around a block."""
        with self.write() as s:
            action = self.latest_action(s, uuid)
            if action is None:
                yield
                return
            ev = models.InstanceActionEvent(action_id=action.id, event=event,
                                            host=host or this_host())
            s.add(ev)
            s.flush()
            ev_id = action_id = None
            ev_id, action_id = ev.id, action.id
        try:
            yield
        except Exception as exc:
            self._finish_event(ev_id, action_id, 'Error',
                               ''.join(traceback.format_exception(exc)), str(exc))
            raise
        self._finish_event(ev_id, action_id, 'Success')

    def _finish_event(self, ev_id, action_id, result, tb=None, details=None):
        E, A = models.InstanceActionEvent, models.InstanceAction
        now = utcnow()
        action = {'finish_time': now}
        if result == 'Error':
            action['message'] = 'Error'
        # two UPDATEs; only an outer writer may hold these rows as objects
        options = {'synchronize_session': 'auto' if db_api.in_writer() else False}
        with self.write() as s:
            s.execute(sa.update(E).where(E.id == ev_id).values(
                finish_time=now, result=result, traceback=tb, details=details),
                execution_options=options)
            s.execute(sa.update(A).where(A.id == action_id).values(**action),
                      execution_options=options)

    # Faults ----------------------------------------------------------------

    @staticmethod
    def add_fault(session, inst, exc, host=None):
        code = getattr(exc, 'code', 500)
        if not isinstance(code, int):
            code = 500
        message = getattr(exc, 'message', None) or str(exc) or type(exc).__name__
        details = ''.join(traceback.format_exception(exc)) if code >= 500 else ''
        session.add(models.InstanceFault(
            instance_id=inst.id, code=code, message=str(message)[:255],
            details=details, host=host or inst.host))
