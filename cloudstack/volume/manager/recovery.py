"""Recovery: settle what a crash (or a task that gave up) left in a
transitional status (cloudstack/volume/states.py says where each goes)."""
import logging

import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.tasks.models import QUEUED, RUNNING, Task
from cloudstack.volume import models, states

LOG = logging.getLogger(__name__)

TASKLESS_TEXT = 'The operation was interrupted and could not be resumed.'


class Recovery:

    @staticmethod
    def _working(session, task_ids):
        """The ids among `task_ids` of tasks still queued or running."""
        ids = [t for t in task_ids if t]
        if not ids:
            return set()
        return set(session.scalars(sa.select(Task.id).where(
            Task.id.in_(ids), Task.state.in_((QUEUED, RUNNING)))))

    def recover(self, host=None):
        """Settle every resource (of volumes on `host`, or all) in a
        transitional status that no queued or running task works on.
        Returns how many it settled."""
        settled = 0
        with db_api.writer() as s:
            settled += self._recover_volumes(s, host)
            settled += self._recover_snapshots(s, host)
            settled += self._recover_backups(s, host)
            settled += self._recover_groups(s)
        if settled:
            LOG.info('recovery settled %d block storage resources', settled)
        return settled

    @staticmethod
    def _on_host(stmt, column, host):
        if host is None:
            return stmt
        return stmt.where(column.startswith(host + '@'))

    def _recover_volumes(self, s, host):
        V = models.Volume
        stmt = self._on_host(sa.select(V).where(sa.or_(
            V.status.in_(list(states.VOLUME_TRANSITIONAL)),
            V.migration_status == 'migrating')).with_for_update(), V.host, host)
        rows = s.scalars(stmt).all()
        working = self._working(s, [r.task_id for r in rows])
        count = 0
        for row in rows:
            if row.task_id in working:
                continue
            count += 1
            if row.migration_status == 'migrating':
                row.migration_status = 'error'
            target = states.VOLUME_TRANSITIONAL.get(row.status)
            if target == states.PREVIOUS:
                row.status = row.previous_status or 'available'
            elif target == states.ATTACHMENTS:
                self._settle_volume(row)
            elif target is not None:
                row.status = target
                self._message(s, row.project_id, 'VOLUME', row.id, 'VOLUME_000001',
                              'volume %s:%s' % (target, TASKLESS_TEXT))
            row.task_id = None
            row.updated_at = utcnow()
        return count

    def _recover_snapshots(self, s, host):
        S, V = models.Snapshot, models.Volume
        stmt = sa.select(S).where(S.status.in_(list(states.SNAPSHOT_TRANSITIONAL)))
        if host is not None:
            stmt = stmt.where(S.volume_id.in_(sa.select(V.id).where(
                V.host.startswith(host + '@'))))
        rows = s.scalars(stmt.with_for_update()).all()
        working = self._working(s, [r.task_id for r in rows])
        count = 0
        for row in rows:
            if row.task_id in working:
                continue
            if row.status == 'backing-up' and s.scalar(sa.select(models.Backup.id).where(
                    models.Backup.snapshot_id == row.id,
                    models.Backup.status == 'creating').limit(1)):
                continue        # its backup settles it
            if row.status == 'restoring' and s.scalar(sa.select(V.id).where(
                    V.id == row.volume_id, V.status == 'reverting').limit(1)):
                continue        # its volume's revert settles it
            row.status = states.SNAPSHOT_TRANSITIONAL[row.status]
            row.task_id = None
            count += 1
        return count

    def _recover_backups(self, s, host):
        B = models.Backup
        stmt = sa.select(B).where(B.status.in_(list(states.BACKUP_TRANSITIONAL)))
        if host is not None:
            stmt = stmt.where(B.host == host)
        rows = s.scalars(stmt.with_for_update()).all()
        working = self._working(s, [r.task_id for r in rows])
        count = 0
        for row in rows:
            if row.task_id in working:
                continue
            count += 1
            if row.status == 'creating':
                row.fail_reason = TASKLESS_TEXT
                source = s.get(models.Volume, row.volume_id)
                if source is not None and source.status == 'backing-up':
                    source.status = source.previous_status or 'available'
                snap = s.get(models.Snapshot, row.snapshot_id) if row.snapshot_id else None
                if snap is not None and snap.status == 'backing-up':
                    snap.status = 'available'
            row.status = states.BACKUP_TRANSITIONAL[row.status]
            row.task_id = None
        return count

    def _recover_groups(self, s):
        count = 0
        for row in s.scalars(sa.select(models.Group).where(
                models.Group.status.in_(list(states.GROUP_TRANSITIONAL)))
                .with_for_update()).all():
            busy = s.scalar(sa.select(models.Volume.id).where(
                models.Volume.group_id == row.id,
                models.Volume.status.in_(('creating', 'deleting'))).limit(1))
            if busy is None:
                before = row.status
                self._group_settle(s, row.id)
                if row not in s.deleted and row.status == before:
                    row.status = states.GROUP_TRANSITIONAL[before]
                count += 1
        for row in s.scalars(sa.select(models.GroupSnapshot).where(
                models.GroupSnapshot.status.in_(list(states.GROUP_SNAPSHOT_TRANSITIONAL)))
                .with_for_update()).all():
            busy = s.scalar(sa.select(models.Snapshot.id).where(
                models.Snapshot.group_snapshot_id == row.id,
                models.Snapshot.status.in_(('creating', 'deleting'))).limit(1))
            if busy is None:
                before = row.status
                self._group_snapshot_settle(s, row.id)
                if row not in s.deleted and row.status == before:
                    row.status = states.GROUP_SNAPSHOT_TRANSITIONAL[before]
                count += 1
        return count
