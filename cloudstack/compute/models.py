"""Compute's tables: flavors, key pairs, servers and what hangs off them,
the hosts' resources and the claims on them, groups, aggregates, quotas."""
import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack.db.models import Base, UTCDateTime, utcnow

Mapped = orm.Mapped
col = orm.mapped_column


def _fk(target):
    return sa.ForeignKey(target, ondelete='CASCADE')


class Flavor(Base):
    __tablename__ = 'compute_flavors'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    flavorid: Mapped[str] = col(sa.String(255), unique=True)
    name: Mapped[str] = col(sa.String(255), unique=True)
    memory_mb: Mapped[int]
    vcpus: Mapped[int]
    root_gb: Mapped[int]
    ephemeral_gb: Mapped[int] = col(default=0)
    swap: Mapped[int] = col(default=0)
    rxtx_factor: Mapped[float] = col(default=1.0)
    is_public: Mapped[bool] = col(default=True)
    disabled: Mapped[bool] = col(default=False)
    description: Mapped[str | None] = col(sa.Text)
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = col(UTCDateTime, onupdate=utcnow)


class FlavorExtraSpec(Base):
    __tablename__ = 'compute_flavor_extra_specs'

    flavor_id: Mapped[int] = col(_fk('compute_flavors.id'), primary_key=True)
    key: Mapped[str] = col(sa.String(255), primary_key=True)
    value: Mapped[str] = col(sa.String(255))


class FlavorProject(Base):
    __tablename__ = 'compute_flavor_projects'

    flavor_id: Mapped[int] = col(_fk('compute_flavors.id'), primary_key=True)
    project_id: Mapped[str] = col(sa.String(255), primary_key=True)


class KeyPair(Base):
    __tablename__ = 'compute_key_pairs'
    __table_args__ = (sa.UniqueConstraint('user_id', 'name'),)

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    name: Mapped[str] = col(sa.String(255))
    user_id: Mapped[str] = col(sa.String(255))
    fingerprint: Mapped[str] = col(sa.String(255))
    public_key: Mapped[str] = col(sa.Text)
    type: Mapped[str] = col(sa.String(8), default='ssh')
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)


class Instance(Base):
    """A server. Deleted servers keep their row (deleted=True) for a while, as
    Nova lists them with changes-since."""
    __tablename__ = 'compute_instances'
    __table_args__ = (
        sa.Index('ix_compute_instances_project_deleted', 'project_id', 'deleted'),
        sa.Index('ix_compute_instances_host_deleted', 'host', 'deleted'),
        sa.Index('ix_compute_instances_created_at', 'created_at'),
    )

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    uuid: Mapped[str] = col(sa.String(36), unique=True)
    display_name: Mapped[str | None] = col(sa.String(255))
    display_description: Mapped[str | None] = col(sa.Text)
    hostname: Mapped[str | None] = col(sa.String(255))
    project_id: Mapped[str] = col(sa.String(255))
    user_id: Mapped[str] = col(sa.String(255))
    image_ref: Mapped[str | None] = col(sa.String(255))
    flavor: Mapped[dict]                       # the flavor as booted (with extra_specs)
    old_flavor: Mapped[dict | None]
    new_flavor: Mapped[dict | None]
    vcpus: Mapped[int] = col(default=0)
    memory_mb: Mapped[int] = col(default=0)
    root_gb: Mapped[int] = col(default=0)
    ephemeral_gb: Mapped[int] = col(default=0)
    vm_state: Mapped[str] = col(sa.String(32))
    task_state: Mapped[str | None] = col(sa.String(32))
    power_state: Mapped[int] = col(default=0)
    host: Mapped[str | None] = col(sa.String(255))
    node: Mapped[str | None] = col(sa.String(255))
    launched_on: Mapped[str | None] = col(sa.String(255))
    availability_zone: Mapped[str | None] = col(sa.String(255))
    requested_availability_zone: Mapped[str | None] = col(sa.String(255))
    key_name: Mapped[str | None] = col(sa.String(255))
    key_data: Mapped[str | None] = col(sa.Text)
    user_data: Mapped[str | None] = col(sa.Text)
    config_drive: Mapped[str] = col(sa.String(255), default='')
    access_ip_v4: Mapped[str | None] = col(sa.String(64))
    access_ip_v6: Mapped[str | None] = col(sa.String(64))
    launch_index: Mapped[int] = col(default=0)
    reservation_id: Mapped[str | None] = col(sa.String(255))
    locked: Mapped[bool] = col(default=False)
    locked_by: Mapped[str | None] = col(sa.String(16))
    locked_reason: Mapped[str | None] = col(sa.String(255))
    progress: Mapped[int] = col(default=0)
    root_device_name: Mapped[str | None] = col(sa.String(255))
    kernel_id: Mapped[str | None] = col(sa.String(255))
    ramdisk_id: Mapped[str | None] = col(sa.String(255))
    auto_disk_config: Mapped[bool] = col(default=False)
    # Image properties, requested networks and security groups, the admin
    # password, scheduler hints, ...: what Nova keeps as system metadata.
    system_metadata: Mapped[dict] = col(default=dict)
    # The VIFs (see virt/driver.py), in device order: Nova's info cache.
    network_info: Mapped[list] = col(default=list)
    # Events a booting server waits for (network-vif-plugged:<port>), or None.
    pending_events: Mapped[list | None]
    trusted_certs: Mapped[list | None]
    launched_at: Mapped[datetime.datetime | None] = col(UTCDateTime)
    terminated_at: Mapped[datetime.datetime | None] = col(UTCDateTime)
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime.datetime | None] = col(UTCDateTime)
    deleted: Mapped[bool] = col(default=False)


class InstanceMetadata(Base):
    __tablename__ = 'compute_instance_metadata'

    instance_id: Mapped[int] = col(_fk('compute_instances.id'), primary_key=True)
    key: Mapped[str] = col(sa.String(255), primary_key=True)
    value: Mapped[str] = col(sa.String(255))


class InstanceTag(Base):
    __tablename__ = 'compute_instance_tags'

    instance_id: Mapped[int] = col(_fk('compute_instances.id'), primary_key=True)
    tag: Mapped[str] = col(sa.String(80), primary_key=True)


class InstanceFault(Base):
    __tablename__ = 'compute_instance_faults'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = col(_fk('compute_instances.id'), index=True)
    code: Mapped[int]
    message: Mapped[str] = col(sa.String(255))
    details: Mapped[str | None] = col(sa.Text)
    host: Mapped[str | None] = col(sa.String(255))
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)


class InstanceAction(Base):
    """A request that changed a server, kept after the server is gone."""
    __tablename__ = 'compute_instance_actions'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    instance_uuid: Mapped[str] = col(sa.String(36), index=True)
    request_id: Mapped[str] = col(sa.String(255))
    action: Mapped[str] = col(sa.String(255))
    project_id: Mapped[str | None] = col(sa.String(255))
    user_id: Mapped[str | None] = col(sa.String(255))
    start_time: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)
    finish_time: Mapped[datetime.datetime | None] = col(UTCDateTime)
    message: Mapped[str | None] = col(sa.String(255))
    updated_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow, onupdate=utcnow)


class InstanceActionEvent(Base):
    __tablename__ = 'compute_instance_action_events'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    action_id: Mapped[int] = col(_fk('compute_instance_actions.id'), index=True)
    event: Mapped[str] = col(sa.String(255))
    start_time: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)
    finish_time: Mapped[datetime.datetime | None] = col(UTCDateTime)
    result: Mapped[str | None] = col(sa.String(255))
    traceback: Mapped[str | None] = col(sa.Text)
    host: Mapped[str | None] = col(sa.String(255))
    details: Mapped[str | None] = col(sa.Text)


class BlockDeviceMapping(Base):
    __tablename__ = 'compute_block_device_mappings'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    uuid: Mapped[str] = col(sa.String(36), unique=True)
    instance_id: Mapped[int] = col(_fk('compute_instances.id'), index=True)
    source_type: Mapped[str] = col(sa.String(16))
    destination_type: Mapped[str] = col(sa.String(16))
    device_name: Mapped[str | None] = col(sa.String(255))
    boot_index: Mapped[int | None]
    volume_id: Mapped[str | None] = col(sa.String(36))
    image_id: Mapped[str | None] = col(sa.String(36))
    snapshot_id: Mapped[str | None] = col(sa.String(36))
    volume_size: Mapped[int | None]
    volume_type: Mapped[str | None] = col(sa.String(255))
    delete_on_termination: Mapped[bool] = col(default=False)
    disk_bus: Mapped[str | None] = col(sa.String(32))
    device_type: Mapped[str | None] = col(sa.String(32))
    guest_format: Mapped[str | None] = col(sa.String(32))
    tag: Mapped[str | None] = col(sa.String(255))
    attachment_id: Mapped[str | None] = col(sa.String(36))
    connection_info: Mapped[dict | None]
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)


class Migration(Base):
    __tablename__ = 'compute_migrations'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    uuid: Mapped[str] = col(sa.String(36), unique=True)
    instance_uuid: Mapped[str] = col(sa.String(36), index=True)
    migration_type: Mapped[str] = col(sa.String(16))
    status: Mapped[str] = col(sa.String(32))
    source_compute: Mapped[str | None] = col(sa.String(255))
    dest_compute: Mapped[str | None] = col(sa.String(255))
    source_node: Mapped[str | None] = col(sa.String(255))
    dest_node: Mapped[str | None] = col(sa.String(255))
    dest_host: Mapped[str | None] = col(sa.String(255))
    old_flavor_id: Mapped[int | None]
    new_flavor_id: Mapped[int | None]
    project_id: Mapped[str | None] = col(sa.String(255))
    user_id: Mapped[str | None] = col(sa.String(255))
    memory_total: Mapped[int | None] = col(sa.BigInteger)
    memory_processed: Mapped[int | None] = col(sa.BigInteger)
    memory_remaining: Mapped[int | None] = col(sa.BigInteger)
    disk_total: Mapped[int | None] = col(sa.BigInteger)
    disk_processed: Mapped[int | None] = col(sa.BigInteger)
    disk_remaining: Mapped[int | None] = col(sa.BigInteger)
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = col(UTCDateTime, onupdate=utcnow)


class ServerGroup(Base):
    __tablename__ = 'compute_server_groups'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    uuid: Mapped[str] = col(sa.String(36), unique=True)
    name: Mapped[str] = col(sa.String(255))
    project_id: Mapped[str] = col(sa.String(255), index=True)
    user_id: Mapped[str] = col(sa.String(255))
    policy: Mapped[str] = col(sa.String(32))
    rules: Mapped[dict] = col(default=dict)
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)


class ServerGroupMember(Base):
    __tablename__ = 'compute_server_group_members'

    group_id: Mapped[int] = col(_fk('compute_server_groups.id'), primary_key=True)
    instance_uuid: Mapped[str] = col(sa.String(36), primary_key=True, index=True)


class Aggregate(Base):
    __tablename__ = 'compute_aggregates'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    uuid: Mapped[str] = col(sa.String(36), unique=True)
    name: Mapped[str] = col(sa.String(255), unique=True)
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = col(UTCDateTime, onupdate=utcnow)


class AggregateHost(Base):
    __tablename__ = 'compute_aggregate_hosts'

    aggregate_id: Mapped[int] = col(_fk('compute_aggregates.id'), primary_key=True)
    host: Mapped[str] = col(sa.String(255), primary_key=True)


class AggregateMetadata(Base):
    __tablename__ = 'compute_aggregate_metadata'

    aggregate_id: Mapped[int] = col(_fk('compute_aggregates.id'), primary_key=True)
    key: Mapped[str] = col(sa.String(255), primary_key=True)
    value: Mapped[str] = col(sa.String(255))


class ComputeNode(Base):
    """A hypervisor: what its host offers and, in the *_used columns, what
    the claims on it add up to (changed only by conditional updates)."""
    __tablename__ = 'compute_nodes'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    uuid: Mapped[str] = col(sa.String(36), unique=True)
    host: Mapped[str] = col(sa.String(255), index=True)
    hypervisor_hostname: Mapped[str] = col(sa.String(255), unique=True)
    hypervisor_type: Mapped[str] = col(sa.String(255))
    hypervisor_version: Mapped[int] = col(default=0)
    vcpus: Mapped[int]
    memory_mb: Mapped[int]
    local_gb: Mapped[int]
    vcpus_used: Mapped[int] = col(default=0)
    memory_mb_used: Mapped[int] = col(default=0)
    local_gb_used: Mapped[int] = col(default=0)
    running_vms: Mapped[int] = col(default=0)
    cpu_allocation_ratio: Mapped[float] = col(default=1.0)
    ram_allocation_ratio: Mapped[float] = col(default=1.0)
    disk_allocation_ratio: Mapped[float] = col(default=1.0)
    reserved_memory_mb: Mapped[int] = col(default=0)
    reserved_disk_gb: Mapped[int] = col(default=0)
    cpu_info: Mapped[str] = col(sa.Text, default='{}')
    host_ip: Mapped[str | None] = col(sa.String(64))
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = col(UTCDateTime)


class Allocation(Base):
    """A claim on a node, by a server (consumer = its uuid) or, during a
    resize or migration, by the migration (its uuid) holding the old size."""
    __tablename__ = 'compute_allocations'

    consumer_id: Mapped[str] = col(sa.String(36), primary_key=True)
    node_id: Mapped[int] = col(_fk('compute_nodes.id'), primary_key=True)
    vcpus: Mapped[int]
    memory_mb: Mapped[int]
    disk_gb: Mapped[int]
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)


class QuotaLimit(Base):
    """A project's (user_id '') or a user's own limit on one resource."""
    __tablename__ = 'compute_quotas'

    project_id: Mapped[str] = col(sa.String(255), primary_key=True)
    user_id: Mapped[str] = col(sa.String(255), primary_key=True, default='')
    resource: Mapped[str] = col(sa.String(255), primary_key=True)
    hard_limit: Mapped[int]


class QuotaClass(Base):
    __tablename__ = 'compute_quota_classes'

    class_name: Mapped[str] = col(sa.String(255), primary_key=True)
    resource: Mapped[str] = col(sa.String(255), primary_key=True)
    hard_limit: Mapped[int]


class ProjectLock(Base):
    """One row per project, locked while its usage is counted and changed,
    so that concurrent requests cannot both take the last of a quota."""
    __tablename__ = 'compute_project_locks'

    project_id: Mapped[str] = col(sa.String(255), primary_key=True)


class TaskLog(Base):
    """Runs of the instance usage audit, per host and period."""
    __tablename__ = 'compute_task_log'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    task_name: Mapped[str] = col(sa.String(255))
    state: Mapped[str] = col(sa.String(255))
    host: Mapped[str] = col(sa.String(255))
    period_beginning: Mapped[datetime.datetime] = col(UTCDateTime)
    period_ending: Mapped[datetime.datetime] = col(UTCDateTime)
    message: Mapped[str] = col(sa.String(255), default='')
    task_items: Mapped[int] = col(default=0)
    errors: Mapped[int] = col(default=0)


class ConsoleAuthToken(Base):
    """A console URL's token (only its SHA-256 is kept) and where it leads,
    until it expires."""
    __tablename__ = 'compute_console_auth_tokens'

    id: Mapped[int] = col(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = col(sa.String(64), unique=True)
    console_type: Mapped[str] = col(sa.String(64))
    host: Mapped[str] = col(sa.String(255))
    port: Mapped[int]
    internal_access_path: Mapped[str | None] = col(sa.String(255))
    instance_uuid: Mapped[str] = col(sa.String(36), index=True)
    expires: Mapped[datetime.datetime] = col(UTCDateTime, index=True)
    created_at: Mapped[datetime.datetime] = col(UTCDateTime, default=utcnow)
