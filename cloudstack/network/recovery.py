"""Ports after a crash: Networking's lifecycle for the generic recovery
(cloudstack.tasks.recovery), registered when the network agent's tasks load.

A port bound to a host and wanted up is DOWN until the host's agent has wired
it; the work in flight on it is its host's sync task (resource
('network_host', host)). A sync that is queued or running, or a sync retry
(the agent queues one while ports stay down), resumes it by itself. A port
whose host has none (the sync gave up for good; the flag saying one waits
outlived it) gets its host synced again: resumed by its task. A port DOWN for
another reason (admin down, unbound, binding failed) is where it belongs.
"""
import sqlalchemy as sa

from cloudstack.network import models
from cloudstack.network.manager import base
from cloudstack.tasks import recovery

UNWIRED_VIF_TYPES = ('unbound', 'binding_failed')


def resume_sync(session, port, reason):
    if not port.admin_state_up or port.vif_type in UNWIRED_VIF_TYPES:
        return False
    # No sync is in flight for the host: a flag saying one waits is stale.
    session.execute(sa.update(models.NetworkHost).where(
        models.NetworkHost.host == port.host).values(sync_pending=False))
    base.Base.request_sync(session, [port.host])
    return True


recovery.register(recovery.Lifecycle(
    kind='port', model=models.Port, role=base.ROLE, host='host',
    transitional=dict.fromkeys(models.TRANSITIONAL_STATES['port'], resume_sync),
    resource=lambda port: (base.SYNC_RESOURCE, port.host)))
