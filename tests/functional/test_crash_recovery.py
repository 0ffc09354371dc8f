"""kill -9 of the whole tree in the middle of Compute's and Networking's work
(the fake drivers, stalled halfway by a file): after the restart nothing stays
in a transitional state. Work that can resume is resumed by its task; work
that can never finish (a spawn that takes its engine down every time, until
its task gives up) is settled by the generic recovery, with the reason
recorded (cloudstack/compute/recovery.py, cloudstack/network/recovery.py).
"""
import os

import pytest

from tests.functional.conftest import ADMIN_PASSWORD, crash_and_restart
from tests.functional.test_compute import _connect, _prepare, _start, _wait_stable

pytestmark = pytest.mark.filterwarnings('ignore::DeprecationWarning')
HOST = 'crash-host'

STALLING_VIRT = '''
import os
import signal

import eventlet

from cloudstack.compute.virt import fake

HOLD, MARKS = %r, %r


class Driver(fake.FakeDriver):
    """The fake hypervisor, stalled while HOLD exists (a file in MARKS says
    where); a server named poison* takes its engine down as it spawns."""

    def _stall(self, instance, what, hold=HOLD):
        if os.path.exists(hold):
            open(os.path.join(MARKS, '%%s.%%s' %% (instance.uuid, what)), 'w').close()
            while os.path.exists(hold):
                eventlet.sleep(0.1)

    def spawn(self, context, instance, *args, **kwargs):
        if instance.hostname.startswith('poison'):
            os.kill(os.getpid(), signal.SIGKILL)
        self._stall(instance, 'spawn')
        return super().spawn(context, instance, *args, **kwargs)

    def reboot(self, context, instance, *args, **kwargs):
        self._stall(instance, 'reboot')
        return super().reboot(context, instance, *args, **kwargs)

    def swap_volume(self, context, old_connection_info, new_connection_info, instance,
                    *args):
        self._stall(instance, 'swap_volume')
        super().swap_volume(context, old_connection_info, new_connection_info, instance,
                            *args)
        self._stall(instance, 'swapped', HOLD + '-after')     # copied, not yet told
'''

STALLING_NET = '''
import os

import eventlet

from cloudstack.network.drivers import noop

HOLD, MARKS = %r, %r


class Driver(noop.NoopDriver):
    """The noop dataplane, whose syncs of bound ports stall while HOLD exists."""

    def sync(self, state):
        if state['ports'] and os.path.exists(HOLD):
            open(os.path.join(MARKS, 'sync'), 'w').close()
            while os.path.exists(HOLD):
                eventlet.sleep(0.1)
        return super().sync(state)
'''


@pytest.fixture
def stalled(cloud):
    """(hold, marks): while the file `hold` exists, the stalling drivers wait
    and leave a file in the directory `marks` naming what they were doing."""
    hold, marks = cloud.tmp / 'hold', cloud.tmp / 'marks'
    marks.mkdir()
    cloud.plugin('stalling_virt', STALLING_VIRT % (str(hold), str(marks)),
                 group='cloudstack.compute.drivers', attr='Driver')
    cloud.plugin('stalling_net', STALLING_NET % (str(hold), str(marks)),
                 group='cloudstack.network.drivers', attr='Driver')
    cloud.options['compute'] = {'compute_driver': 'stalling_virt'}
    cloud.options['network'] = {'driver': 'stalling_net'}
    cloud.options['engine']['recovery_interval'] = 3
    cloud.options['DEFAULT']['host'] = HOST
    return hold, marks


def test_servers_killed_mid_work_resume_or_settle_with_a_fault(cloud, tmp_path, stalled):
    hold, marks = stalled
    proc = _start(cloud)
    conn = _connect(cloud)
    image = _prepare(conn, tmp_path)
    rebooted = conn.compute.create_server(name='rebooted', image_id=image.id, flavor_id='1',
                                          networks='none')
    _wait_stable(conn, [rebooted.id])
    hold.touch()
    conn.compute.reboot_server(rebooted, 'HARD')
    built = conn.compute.create_server(name='built', image_id=image.id, flavor_id='1',
                                       networks='none')

    def midway():
        return {'%s.reboot' % rebooted.id, '%s.spawn' % built.id} <= set(os.listdir(marks))
    crash_and_restart(cloud, proc, midway, '--admin-password', ADMIN_PASSWORD,
                      before_restart=hold.unlink)
    conn = _connect(cloud)
    servers = _wait_stable(conn, [rebooted.id, built.id], timeout=120)
    assert {s.status for s in servers.values()} == {'ACTIVE'}
    # Resumed by their tasks: the reboot and the spawn ran again, to the end.
    console = conn.compute.get_server_console_output(rebooted)['output']
    assert 'hard reboot' in console

    # A spawn that kills its engine each time: the task gives up, and the
    # recovery (not another restart) settles the server, saying why.
    poison = conn.compute.create_server(name='poison', image_id=image.id, flavor_id='1',
                                        networks='none')
    servers = _wait_stable(conn, [poison.id], timeout=300)
    server = servers[poison.id]
    assert server.status == 'ERROR', server
    assert 'stopped while it was spawning' in server.fault['message'], server.fault
    assert 'recovered server %s from spawning' % poison.id in cloud.log()


def test_a_port_killed_mid_binding_becomes_active(cloud, stalled):
    hold, marks = stalled
    proc = _start(cloud)
    conn = _connect(cloud)
    network = conn.network.create_network(name='n1')
    conn.network.create_subnet(network_id=network.id, ip_version=4, cidr='10.9.0.0/24')
    hold.touch()
    port = conn.network.create_port(network_id=network.id, binding_host_id=HOST)
    assert port.status == 'DOWN' and port.binding_vif_type == 'bridge', port

    def midway():
        return os.path.exists(marks / 'sync')
    crash_and_restart(cloud, proc, midway, '--admin-password', ADMIN_PASSWORD,
                      before_restart=hold.unlink)
    conn = _connect(cloud)
    cloud.wait_for(lambda: conn.network.get_port(port.id).status == 'ACTIVE',
                   timeout=120, interval=0.2)
    assert [p.id for p in conn.network.ports(status='DOWN')] == []


SETTLING = ('attaching', 'detaching', 'reserved', 'creating', 'maintenance')


@pytest.mark.parametrize('moment', ['swap_volume', 'swapped'])
def test_a_swap_killed_midway_leaves_one_volume_attached_everywhere(cloud, tmp_path,
                                                                    stalled, moment):
    """kill -9 while the hypervisor copies an attached volume onto another
    (Block Storage migrating it), or once it has and nobody was told yet:
    after the restart the server is ACTIVE with exactly one of the two
    volumes, the same one in Compute, in Block Storage and in the
    hypervisor; the other is available; nothing is left detaching, reserved
    or migrating."""
    import json
    hold, marks = stalled
    if moment == 'swapped':
        hold = hold.with_name(hold.name + '-after')
    proc = _start(cloud)
    conn = _connect(cloud)
    image = _prepare(conn, tmp_path)
    server = conn.compute.create_server(name='swapped', image_id=image.id, flavor_id='1',
                                        networks='none')
    old = conn.block_storage.create_volume(size=1, name='old')
    new = conn.block_storage.create_volume(size=2, name='new')
    _wait_stable(conn, [server.id])
    for volume in (old, new):
        conn.block_storage.wait_for_status(volume, 'available', wait=60)
    conn.compute.create_volume_attachment(server, volume_id=old.id)
    conn.block_storage.wait_for_status(old, 'in-use', wait=60)
    resp = conn.block_storage.post('/volumes/%s/action' % old.id, json={
        'os-reset_status': {'migration_status': 'migrating'}})
    assert resp.status_code == 202, resp.text
    hold.touch()
    resp = conn.compute.put('/servers/%s/os-volume_attachments/%s' % (server.id, old.id),
                            json={'volumeAttachment': {'volumeId': new.id}},
                            microversion='2.1')
    assert resp.status_code == 202, resp.text

    def midway():
        return os.path.exists(marks / ('%s.%s' % (server.id, moment)))
    crash_and_restart(cloud, proc, midway, '--admin-password', ADMIN_PASSWORD,
                      before_restart=hold.unlink)
    conn = _connect(cloud)
    _wait_stable(conn, [server.id], timeout=120)

    def swap_event_finished():      # the task ran again, to its end
        actions = conn.compute.get('/servers/%s/os-instance-actions' % server.id,
                                   microversion='2.51').json()['instanceActions']
        [swap] = [a for a in actions if a['action'] == 'swap_volume']
        events = conn.compute.get('/servers/%s/os-instance-actions/%s' % (
            server.id, swap['request_id']), microversion='2.51').json()[
                'instanceAction']['events']
        return any(e['finish_time'] for e in events)
    cloud.wait_for(swap_event_finished, timeout=120, interval=0.5)

    def volumes():
        found = {v.id: v for v in (conn.block_storage.get_volume(old.id),
                                   conn.block_storage.get_volume(new.id))}
        if any(v.status in SETTLING or v.migration_status == 'migrating'
               for v in found.values()):
            return None
        return found
    try:
        cloud.wait_for(volumes, timeout=120, interval=0.5)
    except Exception:
        raise AssertionError('volumes not settled: %s' % [
            (v.name, v.status, v.migration_status, v.attachments) for v in (
                conn.block_storage.get_volume(old.id), conn.block_storage.get_volume(new.id))])
    found = volumes()
    assert conn.compute.get_server(server.id).status == 'ACTIVE'
    attached = [a.volume_id for a in conn.compute.volume_attachments(server.id)]
    assert len(attached) == 1, attached
    [kept] = attached
    other = new.id if kept == old.id else old.id
    assert found[kept].status == 'in-use', found[kept]
    assert [a['server_id'] for a in found[kept].attachments] == [server.id]
    assert (found[other].status, found[other].attachments) == ('available', [])
    with open(os.path.join(cloud.data_dir, 'fake-virt', HOST, server.id + '.json')) as f:
        assert list(json.load(f)['volumes'].values()) == [kept]
    # the swap's task resumed and finished Block Storage's migration
    assert kept == new.id
    assert found[old.id].migration_status == found[new.id].migration_status == 'success'
