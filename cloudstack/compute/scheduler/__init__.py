"""The scheduler: pick a host for a server and claim its resources there.

It runs inside the caller's write transaction. Filters drop the hosts that
cannot take the server, weighers rank the rest, and the claim is one
conditional UPDATE of the node's usage counters (the row is re-checked under
its lock by the database), so concurrent boots can never both take the last
room on a host: the loser moves on to the next host or fails NoValidHost.
"""
import dataclasses
import logging

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.db.models import utcnow
from cloudstack.compute import hosts, models
from cloudstack.compute.manager.base import NoValidHost
from cloudstack.compute.scheduler import filters, weighers

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Request:
    """What one server needs."""
    consumer_id: str
    project_id: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    availability_zone: str | None = None
    extra_specs: dict = dataclasses.field(default_factory=dict)
    image_properties: dict = dataclasses.field(default_factory=dict)
    group: dict | None = None           # {'policy', 'rules', 'hosts': [...]}
    same_host: list = dataclasses.field(default_factory=list)      # server uuids
    different_host: list = dataclasses.field(default_factory=list)
    force_host: str | None = None
    force_node: str | None = None
    ignore_hosts: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class HostState:
    node: models.ComputeNode
    service: dict
    availability_zone: str
    aggregate_metadata: dict            # key -> set of values
    instance_uuids: set

    @property
    def host(self):
        return self.node.host

    def free(self):
        n = self.node
        return (n.vcpus * n.cpu_allocation_ratio - n.vcpus_used,
                (n.memory_mb - n.reserved_memory_mb) * n.ram_allocation_ratio
                - n.memory_mb_used,
                (n.local_gb - n.reserved_disk_gb) * n.disk_allocation_ratio
                - n.local_gb_used)


def host_availability_zones(session):
    """{host: zone} from the aggregates that name one."""
    rows = session.execute(sa.select(models.AggregateHost.host, models.AggregateMetadata.value)
                           .join(models.AggregateMetadata, models.AggregateMetadata.aggregate_id
                                 == models.AggregateHost.aggregate_id)
                           .where(models.AggregateMetadata.key == 'availability_zone'))
    zones = {}
    for host, zone in rows:
        zones.setdefault(host, zone)
    return zones


def zone_of(session, host):
    return host_availability_zones(session).get(host) or \
        CONF.compute.default_availability_zone


def host_states(session, with_instances=False):
    """The compute nodes with their service, zone and aggregate metadata
    (and, with_instances, the uuids of the servers on each host)."""
    services = {s['host']: s for s in hosts.compute_services()}
    zones = host_availability_zones(session)
    meta = {}
    for host, key, value in session.execute(
            sa.select(models.AggregateHost.host, models.AggregateMetadata.key,
                      models.AggregateMetadata.value).join(
                models.AggregateMetadata, models.AggregateMetadata.aggregate_id
                == models.AggregateHost.aggregate_id)):
        meta.setdefault(host, {}).setdefault(key, set()).add(value)
    on_host = {}
    if with_instances:
        for host, uuid in session.execute(
                sa.select(models.Instance.host, models.Instance.uuid).where(
                    models.Instance.deleted.is_(False), models.Instance.host.is_not(None))):
            on_host.setdefault(host, set()).add(uuid)
    states = []
    for node in session.scalars(sa.select(models.ComputeNode).order_by(models.ComputeNode.id)):
        service = services.get(node.host)
        if service is None:
            continue
        states.append(HostState(node, service,
                                zones.get(node.host) or CONF.compute.default_availability_zone,
                                meta.get(node.host, {}), on_host.get(node.host, set())))
    return states


def claim(session, node_id, consumer_id, vcpus, memory_mb, disk_gb):
    """Take the room on the node atomically; False when it is not there."""
    if session.get(models.Allocation, (consumer_id, node_id)) is not None:
        return True         # already claimed (a retried request)
    N = models.ComputeNode
    done = session.execute(sa.update(N).where(
        N.id == node_id,
        N.vcpus_used + vcpus <= N.vcpus * N.cpu_allocation_ratio,
        N.memory_mb_used + memory_mb <= (N.memory_mb - N.reserved_memory_mb)
        * N.ram_allocation_ratio,
        N.local_gb_used + disk_gb <= (N.local_gb - N.reserved_disk_gb)
        * N.disk_allocation_ratio,
    ).values(vcpus_used=N.vcpus_used + vcpus, memory_mb_used=N.memory_mb_used + memory_mb,
             local_gb_used=N.local_gb_used + disk_gb,
             running_vms=N.running_vms + 1).execution_options(
        synchronize_session=False)).rowcount
    if not done:
        return False
    session.add(models.Allocation(consumer_id=consumer_id, node_id=node_id, vcpus=vcpus,
                                  memory_mb=memory_mb, disk_gb=disk_gb))
    session.flush()
    return True


def release(session, consumer_id, node_id=None):
    """Give back what `consumer_id` holds (on `node_id`, or everywhere)."""
    stmt = sa.select(models.Allocation).where(models.Allocation.consumer_id == consumer_id)
    if node_id is not None:
        stmt = stmt.where(models.Allocation.node_id == node_id)
    N = models.ComputeNode
    for alloc in session.scalars(stmt).all():
        session.execute(sa.update(N).where(N.id == alloc.node_id).values(
            vcpus_used=N.vcpus_used - alloc.vcpus,
            memory_mb_used=N.memory_mb_used - alloc.memory_mb,
            local_gb_used=N.local_gb_used - alloc.disk_gb,
            running_vms=N.running_vms - 1).execution_options(synchronize_session=False))
        session.delete(alloc)
    session.flush()


def move_allocation(session, from_consumer, to_consumer):
    """Hand an allocation to another consumer (a server's old size to its
    migration while it resizes, and back on revert)."""
    for alloc in session.scalars(sa.select(models.Allocation).where(
            models.Allocation.consumer_id == from_consumer)).all():
        values = dict(node_id=alloc.node_id, vcpus=alloc.vcpus, memory_mb=alloc.memory_mb,
                      disk_gb=alloc.disk_gb)
        session.delete(alloc)
        session.flush()
        session.add(models.Allocation(consumer_id=to_consumer, **values))
    session.flush()


def select_and_claim(session, request):
    """The HostState the server was claimed on; NoValidHost otherwise."""
    states = host_states(session, with_instances=bool(request.same_host
                                                      or request.different_host))
    if request.force_host or request.force_node:
        chosen = [s for s in states
                  if (not request.force_host or s.host == request.force_host)
                  and (not request.force_node
                       or s.node.hypervisor_hostname == request.force_node)]
        if not chosen:
            raise NoValidHost(reason='Host %s is not a compute host.'
                              % (request.force_host or request.force_node))
    else:
        chosen = filters.run(states, request)
    for state in weighers.rank(chosen, request):
        if claim(session, state.node.id, request.consumer_id, request.vcpus,
                 request.memory_mb, request.disk_gb):
            return state
    raise NoValidHost(reason='There are not enough hosts available.')


def update_node(session, host, resources):
    """Create or refresh the node of `host` from the driver's report, and
    recount its usage from the allocations (which heals any drift)."""
    N = models.ComputeNode
    node = session.scalars(sa.select(N).where(
        N.hypervisor_hostname == resources['hypervisor_hostname'])).first()
    if node is None:
        import uuid
        node = N(uuid=str(uuid.uuid4()), host=host,
                 hypervisor_hostname=resources['hypervisor_hostname'],
                 hypervisor_type=resources['hypervisor_type'], vcpus=0, memory_mb=0,
                 local_gb=0)
        session.add(node)
    node.host = host
    node.hypervisor_type = resources['hypervisor_type']
    node.hypervisor_version = resources.get('hypervisor_version') or 0
    node.vcpus, node.memory_mb = resources['vcpus'], resources['memory_mb']
    node.local_gb = resources['local_gb']
    node.cpu_info = resources.get('cpu_info') or '{}'
    node.host_ip = resources.get('host_ip')
    node.cpu_allocation_ratio = CONF.compute.cpu_allocation_ratio
    node.ram_allocation_ratio = CONF.compute.ram_allocation_ratio
    node.disk_allocation_ratio = CONF.compute.disk_allocation_ratio
    node.reserved_memory_mb = CONF.compute.reserved_host_memory_mb
    node.reserved_disk_gb = CONF.compute.reserved_host_disk_mb // 1024
    node.updated_at = utcnow()
    session.flush()
    A = models.Allocation
    session.execute(sa.update(N).where(N.id == node.id).values(
        vcpus_used=sa.select(sa.func.coalesce(sa.func.sum(A.vcpus), 0)).where(
            A.node_id == node.id).scalar_subquery(),
        memory_mb_used=sa.select(sa.func.coalesce(sa.func.sum(A.memory_mb), 0)).where(
            A.node_id == node.id).scalar_subquery(),
        local_gb_used=sa.select(sa.func.coalesce(sa.func.sum(A.disk_gb), 0)).where(
            A.node_id == node.id).scalar_subquery(),
        running_vms=sa.select(sa.func.count()).where(A.node_id == node.id).scalar_subquery(),
    ).execution_options(synchronize_session=False))
    return node
