"""Server states: Nova's vm_state, task_state and power_state, and the
status the API shows for each combination."""
from cloudstack.compute.virt.driver import (  # noqa: F401
    CRASHED, NOSTATE, PAUSED, RUNNING, SHUTDOWN, SUSPENDED)

# vm_state: what the server is.
ACTIVE = 'active'
BUILDING = 'building'
PAUSED_VM = 'paused'
SUSPENDED_VM = 'suspended'
STOPPED = 'stopped'
RESCUED = 'rescued'
RESIZED = 'resized'
SOFT_DELETED = 'soft-delete'
DELETED = 'deleted'
ERROR = 'error'
SHELVED = 'shelved'
SHELVED_OFFLOADED = 'shelved_offloaded'

# task_state: what is being done to it. A server has a task_state only while
# work for it is in flight; the work is a durable task, and recovery ends it
# (see TRANSITIONAL_TASK_STATES).
SCHEDULING = 'scheduling'
NETWORKING = 'networking'
BLOCK_DEVICE_MAPPING = 'block_device_mapping'
SPAWNING = 'spawning'
IMAGE_SNAPSHOT = 'image_snapshot'
IMAGE_SNAPSHOT_PENDING = 'image_snapshot_pending'
IMAGE_PENDING_UPLOAD = 'image_pending_upload'
IMAGE_UPLOADING = 'image_uploading'
IMAGE_BACKUP = 'image_backup'
UPDATING_PASSWORD = 'updating_password'
RESIZE_PREP = 'resize_prep'
RESIZE_MIGRATING = 'resize_migrating'
RESIZE_MIGRATED = 'resize_migrated'
RESIZE_FINISH = 'resize_finish'
RESIZE_REVERTING = 'resize_reverting'
RESIZE_CONFIRMING = 'resize_confirming'
REBOOTING = 'rebooting'
REBOOT_PENDING = 'reboot_pending'
REBOOT_STARTED = 'reboot_started'
REBOOTING_HARD = 'rebooting_hard'
REBOOT_PENDING_HARD = 'reboot_pending_hard'
REBOOT_STARTED_HARD = 'reboot_started_hard'
PAUSING = 'pausing'
UNPAUSING = 'unpausing'
SUSPENDING = 'suspending'
RESUMING = 'resuming'
POWERING_OFF = 'powering-off'
POWERING_ON = 'powering-on'
RESCUING = 'rescuing'
UNRESCUING = 'unrescuing'
REBUILDING = 'rebuilding'
REBUILD_SPAWNING = 'rebuild_spawning'
MIGRATING = 'migrating'
DELETING = 'deleting'
SOFT_DELETING = 'soft-deleting'
RESTORING = 'restoring'
SHELVING = 'shelving'
SHELVING_IMAGE_PENDING_UPLOAD = 'shelving_image_pending_upload'
SHELVING_IMAGE_UPLOADING = 'shelving_image_uploading'
SHELVING_OFFLOADING = 'shelving_offloading'
UNSHELVING = 'unshelving'

# The transitional states of a server, for recovery: a server is in flight
# while its vm_state is BUILDING or it has any task_state. Recovery after a
# crash re-runs its task (they are idempotent) or, with none left, moves it
# to a stable state: ERROR with a fault, or back to the vm_state it had.
TRANSITIONAL_VM_STATES = (BUILDING,)
TRANSITIONAL_TASK_STATES = (
    SCHEDULING, NETWORKING, BLOCK_DEVICE_MAPPING, SPAWNING, IMAGE_SNAPSHOT,
    IMAGE_SNAPSHOT_PENDING, IMAGE_PENDING_UPLOAD, IMAGE_UPLOADING, IMAGE_BACKUP,
    UPDATING_PASSWORD, RESIZE_PREP, RESIZE_MIGRATING, RESIZE_MIGRATED, RESIZE_FINISH,
    RESIZE_REVERTING, RESIZE_CONFIRMING, REBOOTING, REBOOT_PENDING, REBOOT_STARTED,
    REBOOTING_HARD, REBOOT_PENDING_HARD, REBOOT_STARTED_HARD, PAUSING, UNPAUSING,
    SUSPENDING, RESUMING, POWERING_OFF, POWERING_ON, RESCUING, UNRESCUING, REBUILDING,
    REBUILD_SPAWNING, MIGRATING, DELETING, SOFT_DELETING, RESTORING, SHELVING,
    SHELVING_IMAGE_PENDING_UPLOAD, SHELVING_IMAGE_UPLOADING, SHELVING_OFFLOADING,
    UNSHELVING)

# Power states as Nova names them in notifications and diagnostics.
POWER_NAMES = {NOSTATE: 'pending', RUNNING: 'running', PAUSED: 'paused',
               SHUTDOWN: 'shutdown', CRASHED: 'crashed', SUSPENDED: 'suspended'}

_REBOOT = {REBOOTING: 'REBOOT', REBOOT_PENDING: 'REBOOT', REBOOT_STARTED: 'REBOOT',
           REBOOTING_HARD: 'HARD_REBOOT', REBOOT_PENDING_HARD: 'HARD_REBOOT',
           REBOOT_STARTED_HARD: 'HARD_REBOOT'}
_RESIZE = {RESIZE_PREP: 'RESIZE', RESIZE_MIGRATING: 'RESIZE',
           RESIZE_MIGRATED: 'RESIZE', RESIZE_FINISH: 'RESIZE'}
_REBUILD = {REBUILDING: 'REBUILD', REBUILD_SPAWNING: 'REBUILD'}
_STATUS = {
    ACTIVE: ('ACTIVE', dict(_REBOOT, **_RESIZE, **_REBUILD,
                            **{UPDATING_PASSWORD: 'PASSWORD', MIGRATING: 'MIGRATING'})),
    BUILDING: ('BUILD', {}),
    STOPPED: ('SHUTOFF', dict(_RESIZE, **_REBUILD)),
    RESIZED: ('VERIFY_RESIZE', {RESIZE_REVERTING: 'REVERT_RESIZE'}),
    PAUSED_VM: ('PAUSED', {MIGRATING: 'MIGRATING'}),
    SUSPENDED_VM: ('SUSPENDED', {}),
    RESCUED: ('RESCUE', {}),
    ERROR: ('ERROR', dict(_REBUILD)),
    DELETED: ('DELETED', {}),
    SOFT_DELETED: ('SOFT_DELETED', {}),
    SHELVED: ('SHELVED', {}),
    SHELVED_OFFLOADED: ('SHELVED_OFFLOADED', {}),
}
PROGRESS_STATUSES = ('ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE',
                     'MIGRATING')


def status(vm_state, task_state):
    """The API status of a server in these states."""
    base, by_task = _STATUS.get(vm_state, ('UNKNOWN', {}))
    if task_state == DELETING and vm_state != DELETED:
        return base
    return by_task.get(task_state, base)


def vm_states_for_status(name):
    """The (vm_states, task_states or None) a `status` filter selects."""
    name = name.upper()
    vm = [s for s, (base, _) in _STATUS.items() if base == name]
    tasks = {}
    for s, (_, by_task) in _STATUS.items():
        for task, st in by_task.items():
            if st == name:
                tasks.setdefault(s, []).append(task)
    return vm, tasks
