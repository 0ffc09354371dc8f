"""A bound port left DOWN with no sync of its host in flight gets its host
synced again by the generic recovery (cloudstack/network/recovery.py)."""
import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.network import models
from cloudstack.tasks import recovery
from cloudstack.tasks.models import FAILED, QUEUED, RUNNING, Task


def _syncs(host, states=(QUEUED, RUNNING)):
    with db_api.reader() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Task).where(
            Task.handler == 'network.sync_host', Task.host == host,
            Task.state.in_(states)))


def _give_up(host):
    """The host's syncs fail for good (as after max_attempts kills)."""
    with db_api.writer() as s:
        s.execute(sa.update(Task).where(Task.handler == 'network.sync_host',
                                        Task.host == host).values(state=FAILED))


def test_a_down_port_whose_host_sync_gave_up_gets_one_again(mgr, admin_ctx, net):
    network, _subnet = net
    for _ in range(2):
        mgr.create_port(admin_ctx, {'network_id': network['id'], 'binding:host_id': 'host-1'})
    assert _syncs('host-1') == 1
    assert recovery.recover('network', 'host-1') == 0       # its sync is queued
    _give_up('host-1')
    # The flag saying a sync waits outlived it: no change would queue one now.
    mgr.create_port(admin_ctx, {'network_id': network['id'], 'binding:host_id': 'host-1'})
    assert _syncs('host-1') == 0
    assert recovery.recover('network', 'host-1') == 1       # one sync for the host
    assert _syncs('host-1') == 1
    with db_api.reader() as s:
        assert s.get(models.NetworkHost, 'host-1').sync_pending
    assert recovery.recover('network', 'host-1') == 0


def test_ports_down_for_another_reason_are_left_alone(mgr, admin_ctx, net):
    network, _subnet = net
    mgr.create_port(admin_ctx, {'network_id': network['id'], 'binding:host_id': 'host-2',
                                'admin_state_up': False})
    mgr.create_port(admin_ctx, {'network_id': network['id']})      # unbound
    _give_up('host-2')
    assert recovery.recover('network', 'host-2') == 0
    assert recovery.recover('network', '') == 0
    assert _syncs('host-2') == 0
