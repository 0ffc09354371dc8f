"""The volume agent's task handlers and Block Storage's periodic tasks
(registered through the cloudstack.tasks entry point group)."""
import logging

from cloudstack import tasks
from cloudstack.volume import agent

LOG = logging.getLogger(__name__)


def _agent():
    return agent.get()


@tasks.handler('volume.create')
def create_volume(volume_id):
    _agent().create_volume(volume_id)


@tasks.handler('volume.delete')
def delete_volume(volume_id):
    _agent().delete_volume(volume_id)


@tasks.handler('volume.extend')
def extend_volume(volume_id, new_size):
    _agent().extend_volume(volume_id, new_size)


@tasks.handler('volume.revert')
def revert_volume(volume_id, snapshot_id):
    _agent().revert_volume(volume_id, snapshot_id)


@tasks.handler('volume.reimage')
def reimage_volume(volume_id, image_id):
    _agent().reimage_volume(volume_id, image_id)


@tasks.handler('volume.upload_image')
def upload_image(volume_id, image_id, disk_format):
    _agent().upload_image(volume_id, image_id, disk_format)


@tasks.handler('volume.migrate')
def migrate_volume(volume_id, destination, new_type_id=None):
    _agent().migrate_volume(volume_id, destination, new_type_id)


@tasks.handler('volume.manage')
def manage_volume(volume_id, ref):
    _agent().manage_volume(volume_id, ref)


@tasks.handler('volume.unmanage')
def unmanage_volume(volume_id):
    _agent().unmanage_volume(volume_id)


@tasks.handler('volume.export')
def export(volume_id, connector):
    """Synchronous (manager.call_agent): the connection info."""
    return _agent().export(volume_id, connector)


@tasks.handler('volume.list_manageable')
def list_manageable(backend_host, kind):
    """Synchronous: what a backend holds that could be managed."""
    return _agent().list_manageable(backend_host, kind)


@tasks.handler('volume.unexport')
def unexport(volume_id):
    _agent().unexport(volume_id)


@tasks.handler('snapshot.create')
def create_snapshot(snapshot_id):
    _agent().create_snapshot(snapshot_id)


@tasks.handler('snapshot.delete')
def delete_snapshot(snapshot_id):
    _agent().delete_snapshot(snapshot_id)


@tasks.handler('snapshot.manage')
def manage_snapshot(snapshot_id, ref):
    _agent().manage_snapshot(snapshot_id, ref)


@tasks.handler('snapshot.unmanage')
def unmanage_snapshot(snapshot_id):
    _agent().unmanage_snapshot(snapshot_id)


@tasks.handler('backup.create')
def create_backup(backup_id):
    _agent().create_backup(backup_id)


@tasks.handler('backup.restore')
def restore_backup(backup_id, volume_id):
    _agent().restore_backup(backup_id, volume_id)


@tasks.handler('backup.delete')
def delete_backup(backup_id):
    _agent().delete_backup(backup_id)


@tasks.handler('backup.import')
def import_backup(backup_id):
    _agent().import_backup(backup_id)


@tasks.periodic(60, name='volume.recover')
def recover():
    """Settle resources whose task gave up (anywhere in the cloud)."""
    from cloudstack.volume import manager
    manager.get().recover()


@tasks.periodic(3600, name='volume.purge_messages')
def purge_messages():
    from cloudstack.volume import manager
    purged = manager.get().purge_messages()
    if purged:
        LOG.info('purged %d expired user messages', purged)

