"""Recovery: settle what a crash (or a task that gave up) left in a
transitional status (cloudstack/volume/states.py says where each goes),
through the generic recovery (cloudstack/tasks/recovery.py): each resource's
lifecycle is declared here and registered when the volume tasks load."""
import sqlalchemy as sa

from cloudstack.db.models import utcnow
from cloudstack.tasks import recovery
from cloudstack.volume import models, states
from cloudstack.volume.manager.base import AGENT_ROLE

TASKLESS_TEXT = 'The operation was interrupted and could not be resumed.'
V, S, B = models.Volume, models.Snapshot, models.Backup


def _volumes_of(host):
    return V.host.startswith(host + '@', autoescape=True)


class Recovery:

    def lifecycles(self):
        """Every Block Storage resource with transitional statuses; a volume
        agent recovers those of its host (and, for groups, every one)."""
        def each(table, action):
            return dict.fromkeys(table, action)
        common = dict(role=AGENT_ROLE, task='task_id')
        return [
            recovery.Lifecycle(kind='volume', model=V, host=_volumes_of,
                               transitional=each(states.VOLUME_TRANSITIONAL,
                                                 self._recover_volume), **common),
            recovery.Lifecycle(kind='volume', name='volume_migration', model=V,
                               state='migration_status', host=_volumes_of,
                               transitional={'migrating': self._recover_migration},
                               **common),
            recovery.Lifecycle(kind='snapshot', model=S,
                               host=lambda h: S.volume_id.in_(
                                   sa.select(V.id).where(_volumes_of(h))),
                               transitional=each(states.SNAPSHOT_TRANSITIONAL,
                                                 self._recover_snapshot), **common),
            recovery.Lifecycle(kind='backup', model=B, host='host',
                               transitional=each(states.BACKUP_TRANSITIONAL,
                                                 self._recover_backup), **common),
            recovery.Lifecycle(kind='group', model=models.Group, role=AGENT_ROLE,
                               transitional=each(states.GROUP_TRANSITIONAL,
                                                 self._recover_group)),
            recovery.Lifecycle(kind='group snapshot', name='group_snapshot',
                               model=models.GroupSnapshot, role=AGENT_ROLE,
                               transitional=each(states.GROUP_SNAPSHOT_TRANSITIONAL,
                                                 self._recover_group_snapshot)),
        ]

    def recover(self, host=None, taskless=True):
        """Settle every resource (of volumes on `host`, or all) in a
        transitional status that no queued or running task works on (with
        taskless False, only those whose task ended). Returns how many."""
        return recovery.recover(AGENT_ROLE, host, taskless=taskless)

    def _recover_volume(self, s, row, reason):
        target = states.VOLUME_TRANSITIONAL[row.status]
        if target == states.PREVIOUS:
            row.status = row.previous_status or 'available'
        elif target == states.ATTACHMENTS:
            self._settle_volume(row)
        else:
            row.status = target
            self._message(s, row.project_id, 'VOLUME', row.id, 'VOLUME_000001',
                          'volume %s:%s' % (target, TASKLESS_TEXT))
        row.task_id, row.updated_at = None, utcnow()
        return True

    @staticmethod
    def _recover_migration(s, row, reason):
        row.migration_status = 'error'
        row.task_id, row.updated_at = None, utcnow()
        return True

    @staticmethod
    def _recover_snapshot(s, row, reason):
        if row.status == 'backing-up' and s.scalar(sa.select(B.id).where(
                B.snapshot_id == row.id, B.status == 'creating').limit(1)):
            return False        # its backup settles it
        if row.status == 'restoring' and s.scalar(sa.select(V.id).where(
                V.id == row.volume_id, V.status == 'reverting').limit(1)):
            return False        # its volume's revert settles it
        row.status = states.SNAPSHOT_TRANSITIONAL[row.status]
        row.task_id = None
        return True

    @staticmethod
    def _recover_backup(s, row, reason):
        if row.status == 'creating':
            row.fail_reason = TASKLESS_TEXT
            source = s.get(V, row.volume_id)
            if source is not None and source.status == 'backing-up':
                source.status = source.previous_status or 'available'
            snap = s.get(S, row.snapshot_id) if row.snapshot_id else None
            if snap is not None and snap.status == 'backing-up':
                snap.status = 'available'
        row.status = states.BACKUP_TRANSITIONAL[row.status]
        row.task_id = None
        return True

    def _recover_group(self, s, row, reason):
        if s.scalar(sa.select(V.id).where(
                V.group_id == row.id, V.status.in_(('creating', 'deleting'))).limit(1)):
            return False        # its volumes' tasks settle it
        before = row.status
        self._group_settle(s, row.id)
        if row not in s.deleted and row.status == before:
            row.status = states.GROUP_TRANSITIONAL[before]
        return True

    def _recover_group_snapshot(self, s, row, reason):
        if s.scalar(sa.select(S.id).where(
                S.group_snapshot_id == row.id,
                S.status.in_(('creating', 'deleting'))).limit(1)):
            return False        # its snapshots' tasks settle it
        before = row.status
        self._group_snapshot_settle(s, row.id)
        if row not in s.deleted and row.status == before:
            row.status = states.GROUP_SNAPSHOT_TRANSITIONAL[before]
        return True
