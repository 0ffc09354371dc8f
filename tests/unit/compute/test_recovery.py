"""Servers that nothing works on any more, settled by the generic recovery
(cloudstack.tasks.recovery) through the lifecycles compute/recovery.py declares."""
import sqlalchemy as sa

from cloudstack.compute import models, states
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.tasks import models as task_models
from cloudstack.tasks import queue, recovery
from tests.unit.compute.conftest import API, run_tasks

I = models.Instance


def _set(uuid, **values):
    with db_api.writer() as s:
        s.execute(sa.update(I).where(I.uuid == uuid).values(**values))


def _give_up(uuid):
    """Every task for the server fails for good (as after max_attempts kills)."""
    with db_api.writer() as s:
        s.execute(sa.update(task_models.Task).where(
            task_models.Task.resource == queue.resource_key(('server', uuid)),
            task_models.Task.state.in_((task_models.QUEUED, task_models.RUNNING)),
        ).values(state=task_models.FAILED))


def _recover(host=None, taskless=True):
    return recovery.recover('compute', host or CONF.host, taskless=taskless)


def test_a_build_whose_task_gave_up_goes_to_error_with_a_fault(compute):
    building, waiting = compute.boot('b1', wait=False), compute.boot('b2', wait=False)
    _give_up(building)
    assert _recover() == 1
    server = compute.server(building)
    assert (server['status'], server['OS-EXT-STS:task_state']) == ('ERROR', None)
    assert 'stopped while it was networking' in server['fault']['message']
    assert compute.server(waiting)['status'] == 'BUILD'     # its task still queued
    run_tasks()
    assert compute.server(waiting)['status'] == 'ACTIVE'
    assert _recover() == 0


def test_an_interrupted_reboot_returns_to_its_vm_state_without_a_fault(compute):
    uuid = compute.boot()
    _set(uuid, task_state=states.REBOOTING_HARD)
    assert compute.server(uuid)['status'] == 'HARD_REBOOT'
    assert _recover(taskless=False) == 1    # the periodic pass too: no task, no work
    server = compute.server(uuid)
    assert (server['status'], server['OS-EXT-STS:task_state']) == ('ACTIVE', None)
    assert 'fault' not in server
    compute.version = '2.84'
    [action] = [a for a in compute.get('%s/servers/%s/os-instance-actions' % (API, uuid))
                .json['instanceActions'] if a['action'] == 'create']
    resp = compute.get('%s/servers/%s/os-instance-actions/%s' % (API, uuid,
                                                                 action['request_id']))
    [event] = [e for e in resp.json['instanceAction']['events']
               if e['event'] == 'compute_recover_interrupted']
    assert event['result'] == 'Error'
    assert 'stopped while it was rebooting_hard' in event['details']


def test_an_interrupted_delete_is_resumed_by_its_task(compute):
    uuid = compute.boot()
    _set(uuid, task_state=states.DELETING)      # the API worker died before its task
    assert _recover() == 1
    assert compute.get(API + '/servers/' + uuid).status_int == 200
    assert _recover() == 0                      # its terminate is queued: in flight
    run_tasks()
    assert compute.get(API + '/servers/' + uuid).status_int == 404


def test_only_this_hosts_servers_and_those_with_no_host(compute):
    mine, theirs, nowhere = (compute.boot(n) for n in ('mine', 'theirs', 'nowhere'))
    _set(mine, task_state=states.PAUSING)
    _set(theirs, task_state=states.PAUSING, host='other-host')
    _set(nowhere, vm_state=states.BUILDING, task_state=None, host=None)
    assert _recover() == 2
    with db_api.reader() as s:
        found = dict(s.execute(sa.select(I.uuid, I.vm_state).where(
            I.task_state.is_(None))).all())
    assert found == {mine: states.ACTIVE, nowhere: states.ERROR}
    assert _recover('other-host') == 1
