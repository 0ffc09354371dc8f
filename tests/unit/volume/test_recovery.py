"""Recovery of transitional states, the scheduler's spec matching, states."""
import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.tasks import models as task_models
from cloudstack.tasks import queue
from cloudstack.volume import manager, models, scheduler, states
from tests.unit.volume.conftest import VOL, run_tasks
from tests.unit.volume.test_volumes import create, wait_available


def _give_up(task_id):
    """The task failed for good without its handler settling anything."""
    with db_api.writer() as s:
        s.execute(sa.update(task_models.Task).where(task_models.Task.id == task_id)
                  .values(state=task_models.FAILED))


def test_recovery_settles_what_no_task_works_on(cloud):
    alice = cloud['alice']
    ready = wait_available(alice, create(alice)['id'])
    stuck = create(alice)                   # its create task is queued: left alone
    assert manager.get().recover() == 0
    with db_api.reader() as s:
        task_id = s.get(models.Volume, stuck['id']).task_id
    _give_up(task_id)
    resp = alice.post(VOL + '/volumes/%s/action' % ready['id'],
                      {'os-extend': {'new_size': 3}})
    assert resp.status_int == 202
    with db_api.reader() as s:
        extend_task = s.get(models.Volume, ready['id']).task_id
    _give_up(extend_task)
    assert manager.get().recover() == 2
    got = {v: alice.get(VOL + '/volumes/' + v).json['volume']['status']
           for v in (stuck['id'], ready['id'])}
    assert got == {stuck['id']: 'error', ready['id']: 'error_extending'}
    # each says why, and both can be deleted
    msgs = alice.get(VOL + '/messages', headers={'OpenStack-API-Version': 'volume 3.3'})
    assert {m['resource_uuid'] for m in msgs.json['messages']} >= {stuck['id']}
    for vid in got:
        assert alice.delete(VOL + '/volumes/' + vid).status_int == 202
    run_tasks()
    assert alice.get(VOL + '/volumes').json['volumes'] == []


def test_recovery_of_a_backup_returns_its_volume(cloud):
    alice = cloud['alice']
    vol = wait_available(alice, create(alice)['id'])
    resp = alice.post(VOL + '/backups', {'backup': {'volume_id': vol['id']}})
    backup_id = resp.json['backup']['id']
    with db_api.reader() as s:
        task_id = s.get(models.Backup, backup_id).task_id
    _give_up(task_id)
    assert manager.get().recover() >= 1
    assert alice.get(VOL + '/backups/' + backup_id).json['backup']['status'] == 'error'
    assert alice.get(VOL + '/volumes/' + vol['id']).json['volume']['status'] == 'available'


def test_a_task_run_twice_does_the_work_once(cloud):
    """Handlers are idempotent: a create that already finished is not redone."""
    alice = cloud['alice']
    vol = wait_available(alice, create(alice)['id'])
    queue.resolve('volume.create')(volume_id=vol['id'])
    queue.resolve('volume.delete')(volume_id=vol['id'])    # not deleting: no-op
    assert alice.get(VOL + '/volumes/' + vol['id']).json['volume']['status'] == 'available'


def test_spec_matching():
    caps = {'vendor_name': 'Open Source', 'storage_protocol': 'iSCSI',
            'multiattach': True, 'total_capacity_gb': 100, 'volume_backend_name': 'b1'}
    assert scheduler.satisfies(caps, {'vendor_name': 'Open Source',
                                      'capabilities:volume_backend_name': 'b1',
                                      'multiattach': '<is> True',
                                      'RESKEY:availability_zones': 'x',
                                      'total_capacity_gb': '>= 50'})
    assert not scheduler.satisfies(caps, {'spec1': 'val1'})
    assert not scheduler.satisfies(caps, {'storage_protocol': 'FC'})
    assert scheduler.satisfies(caps, {'storage_protocol': '<or> FC <or> iSCSI'})
    assert not scheduler.satisfies(caps, {'total_capacity_gb': '>= 500'})
    assert scheduler.spec_matches('abc', '<in> b')


def test_headroom_of_thin_and_thick_pools():
    thin = {'total_capacity_gb': 10, 'free_capacity_gb': 8,
            'thin_provisioning_support': True, 'max_over_subscription_ratio': 20}
    assert scheduler.headroom(thin, 150) == 50
    assert scheduler.headroom({'total_capacity_gb': 10, 'free_capacity_gb': 8,
                               'reserved_percentage': 10}, 0) == 7


def test_every_transitional_status_is_a_status():
    for table, statuses in ((states.VOLUME_TRANSITIONAL, states.VOLUME_STATUSES),
                            (states.SNAPSHOT_TRANSITIONAL, states.SNAPSHOT_STATUSES),
                            (states.BACKUP_TRANSITIONAL, states.BACKUP_STATUSES),
                            (states.GROUP_TRANSITIONAL, states.GROUP_STATUSES)):
        for status, target in table.items():
            assert status in statuses
            assert target in statuses or target in (states.PREVIOUS, states.ATTACHMENTS)
