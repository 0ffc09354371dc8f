"""A bound port left DOWN with no sync of its host in flight gets its host
synced again by the generic recovery (cloudstack/network/recovery.py)."""
import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.network import models
from cloudstack.tasks import recovery
from cloudstack.tasks.models import FAILED, QUEUED, RUNNING, Task
from tests.unit.network.conftest import AGENT_HOST


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
        mgr.create_port(admin_ctx, {'network_id': network['id'], 'binding:host_id': AGENT_HOST})
    assert _syncs(AGENT_HOST) == 1
    assert recovery.recover('network', AGENT_HOST) == 0       # its sync is queued
    _give_up(AGENT_HOST)
    # The flag saying a sync waits outlived it: no change would queue one now.
    mgr.create_port(admin_ctx, {'network_id': network['id'], 'binding:host_id': AGENT_HOST})
    assert _syncs(AGENT_HOST) == 0
    assert recovery.recover('network', AGENT_HOST) == 1       # one sync for the host
    assert _syncs(AGENT_HOST) == 1
    with db_api.reader() as s:
        assert s.get(models.NetworkHost, AGENT_HOST).sync_pending
    assert recovery.recover('network', AGENT_HOST) == 0


def test_ports_down_for_another_reason_are_left_alone(mgr, admin_ctx, net):
    from cloudstack.tasks import agents
    network, _subnet = net
    agents.register('net-host-2', 'network', 'cloudstack-network-agent')
    agents.beat('net-host-2', {'network': {'local_ip': '192.0.2.2'}})
    down = mgr.create_port(admin_ctx, {'network_id': network['id'],
                                       'binding:host_id': 'net-host-2',
                                       'admin_state_up': False})
    assert down['binding:vif_type'] == 'bridge'
    failed = mgr.create_port(admin_ctx, {'network_id': network['id'],
                                         'binding:host_id': 'no-agent-host'})
    assert failed['binding:vif_type'] == 'binding_failed'
    mgr.create_port(admin_ctx, {'network_id': network['id']})      # unbound
    _give_up('net-host-2')
    assert recovery.recover('network', 'net-host-2') == 0
    assert recovery.recover('network', 'no-agent-host') == 0
    assert recovery.recover('network', '') == 0
    assert _syncs('net-host-2') == 0
