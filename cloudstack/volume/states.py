"""Every Block Storage status, and for each resource its transitional ones:
status -> where recovery moves it when no task is working on it any more
(a crash, or a task that gave up). PREVIOUS: back to the status it had
before (`previous_status`); ATTACHMENTS: what its attachments say
(in-use, reserved or available).

A volume, snapshot, backup, group or group snapshot in a transitional status
names the task working on it (`task_id`); recovery (manager.recover, run when
a volume agent starts and periodically) leaves those whose task is still
queued or running, and settles the others here.
"""
PREVIOUS = '<previous>'
ATTACHMENTS = '<attachments>'

VOLUME_STATUSES = (
    'creating', 'available', 'reserved', 'attaching', 'detaching', 'in-use',
    'maintenance', 'deleting', 'awaiting-transfer', 'error', 'error_deleting',
    'backing-up', 'restoring-backup', 'error_backing-up', 'error_restoring',
    'error_extending', 'downloading', 'uploading', 'retyping', 'extending',
    'reverting', 'error_managing')

VOLUME_TRANSITIONAL = {
    'creating': 'error',
    'downloading': 'error',
    'deleting': 'error_deleting',
    'extending': 'error_extending',
    'reverting': 'error',
    'restoring-backup': 'error_restoring',
    'backing-up': PREVIOUS,
    'uploading': PREVIOUS,
    'retyping': PREVIOUS,
    'detaching': ATTACHMENTS,
}

# Attachment statuses. 'reserved' (by attachment_create or os-reserve) and
# 'attaching' (exported to the connector, the hypervisor attaching) are holds
# a client (Compute) takes and ends itself; they are not transitional.
ATTACHMENT_STATUSES = ('reserved', 'attaching', 'attached', 'detaching',
                       'detached', 'error_attaching', 'error_detaching')

SNAPSHOT_STATUSES = ('creating', 'available', 'backing-up', 'deleting', 'error',
                     'error_deleting', 'unmanaging', 'restoring')
SNAPSHOT_TRANSITIONAL = {
    'creating': 'error',
    'deleting': 'error_deleting',
    'unmanaging': 'error_deleting',
    'backing-up': 'available',
    'restoring': 'available',
}

BACKUP_STATUSES = ('creating', 'available', 'deleting', 'error', 'restoring',
                   'error_restoring', 'error_deleting')
BACKUP_TRANSITIONAL = {
    'creating': 'error',
    'restoring': 'available',
    'deleting': 'error_deleting',
}

GROUP_STATUSES = ('creating', 'available', 'updating', 'deleting', 'error',
                  'error_deleting', 'in-use')
GROUP_TRANSITIONAL = {
    'creating': 'error',
    'updating': 'available',
    'deleting': 'error_deleting',
}

GROUP_SNAPSHOT_STATUSES = ('creating', 'available', 'deleting', 'error',
                           'error_deleting')
GROUP_SNAPSHOT_TRANSITIONAL = {
    'creating': 'error',
    'deleting': 'error_deleting',
}

# What an admin may reset each resource to (os-reset_status).
VOLUME_RESET = VOLUME_STATUSES
SNAPSHOT_RESET = ('available', 'error', 'creating', 'deleting', 'error_deleting')
BACKUP_RESET = ('available', 'error')
GROUP_RESET = GROUP_STATUSES
GROUP_SNAPSHOT_RESET = GROUP_SNAPSHOT_STATUSES
ATTACH_STATUS_RESET = ('attached', 'detached')
MIGRATION_STATUS_RESET = ('migrating', 'error', 'success', 'completing', 'none',
                          'starting')
