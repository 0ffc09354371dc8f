"""Block Storage tables: volumes, their attachments, snapshots and backups,
types, QoS, quotas, transfers, user messages, groups and the backends' pools.

Ids are dashed UUIDs, as Cinder's. Sizes are GiB. Free-form key/values
(metadata, extra specs) are rows of their own so lists can filter on them.
"""
import datetime
import uuid

import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack.db.models import Base, UTCDateTime, utcnow


def new_uuid():
    return str(uuid.uuid4())


def _id():
    return orm.mapped_column(sa.String(36), primary_key=True, default=new_uuid)


def _created():
    return orm.mapped_column(UTCDateTime, default=utcnow)


def _updated():
    return orm.mapped_column(UTCDateTime, nullable=True, onupdate=utcnow)


Str = sa.String(255)
Id = sa.String(64)


class Volume(Base):
    __tablename__ = 'volumes'
    __table_args__ = (
        sa.Index('ix_volumes_project_id_created_at', 'project_id', 'created_at'),
        sa.Index('ix_volumes_host', 'host'),
        sa.Index('ix_volumes_status', 'status'),
    )

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = orm.mapped_column(Id)
    user_id: orm.Mapped[str] = orm.mapped_column(Id)
    name: orm.Mapped[str | None] = orm.mapped_column(Str)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    size: orm.Mapped[int]
    status: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    # Before a backup, upload or transfer: where to come back to.
    previous_status: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    attach_status: orm.Mapped[str] = orm.mapped_column(sa.String(32), default='detached')
    migration_status: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    availability_zone: orm.Mapped[str | None] = orm.mapped_column(Str)
    # host@backend#pool of the backend holding it (None: not scheduled).
    host: orm.Mapped[str | None] = orm.mapped_column(Str)
    volume_type_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    snapshot_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    source_volid: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    backup_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    image_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    group_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    bootable: orm.Mapped[bool] = orm.mapped_column(default=False)
    multiattach: orm.Mapped[bool] = orm.mapped_column(default=False)
    encryption_key_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    # What the driver needs to find it again: its path or logical volume.
    provider_location: orm.Mapped[str | None] = orm.mapped_column(Str)
    provider_id: orm.Mapped[str | None] = orm.mapped_column(Str)
    # 'CHAP <user> <secret>' of its iSCSI target.
    provider_auth: orm.Mapped[str | None] = orm.mapped_column(Str)
    # The volume whose data this row uses, during and after a migration.
    name_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    use_quota: orm.Mapped[bool] = orm.mapped_column(default=True)
    # The durable task working on it now, if any.
    task_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    launched_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    created_at: orm.Mapped[datetime.datetime] = _created()
    updated_at: orm.Mapped[datetime.datetime | None] = _updated()

    meta: orm.Mapped[list['VolumeMetadata']] = orm.relationship(
        cascade='all, delete-orphan', lazy='selectin', passive_deletes=True)
    attachments: orm.Mapped[list['Attachment']] = orm.relationship(
        cascade='all, delete-orphan', lazy='selectin', passive_deletes=True,
        order_by='Attachment.created_at')


class VolumeMetadata(Base):
    """A key/value of a volume: `kind` user (metadata), image (volume image
    metadata) or admin (readonly, attached_mode, ...)."""
    __tablename__ = 'volume_metadata'
    __table_args__ = (sa.Index('ix_volume_metadata_kind_key_value', 'kind', 'key', 'value'),)

    volume_id: orm.Mapped[str] = orm.mapped_column(
        sa.ForeignKey('volumes.id', ondelete='CASCADE'), primary_key=True)
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(8), primary_key=True)
    key: orm.Mapped[str] = orm.mapped_column(Str, primary_key=True)
    value: orm.Mapped[str] = orm.mapped_column(Str)


class Attachment(Base):
    __tablename__ = 'volume_attachments'

    id: orm.Mapped[str] = _id()
    volume_id: orm.Mapped[str] = orm.mapped_column(
        sa.ForeignKey('volumes.id', ondelete='CASCADE'), index=True)
    project_id: orm.Mapped[str] = orm.mapped_column(Id)
    instance_uuid: orm.Mapped[str | None] = orm.mapped_column(sa.String(64), index=True)
    attached_host: orm.Mapped[str | None] = orm.mapped_column(Str)
    mountpoint: orm.Mapped[str | None] = orm.mapped_column(Str)
    attach_status: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    attach_mode: orm.Mapped[str] = orm.mapped_column(sa.String(4), default='rw')
    connector: orm.Mapped[dict | None] = orm.mapped_column(sa.JSON)
    connection_info: orm.Mapped[dict | None] = orm.mapped_column(sa.JSON)
    attach_time: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    detach_time: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    created_at: orm.Mapped[datetime.datetime] = _created()
    updated_at: orm.Mapped[datetime.datetime | None] = _updated()


class Snapshot(Base):
    __tablename__ = 'volume_snapshots'
    __table_args__ = (
        sa.Index('ix_volume_snapshots_project_id_created_at', 'project_id', 'created_at'),
    )

    id: orm.Mapped[str] = _id()
    volume_id: orm.Mapped[str] = orm.mapped_column(sa.String(36), index=True)
    project_id: orm.Mapped[str] = orm.mapped_column(Id)
    user_id: orm.Mapped[str] = orm.mapped_column(Id)
    name: orm.Mapped[str | None] = orm.mapped_column(Str)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    progress: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    volume_size: orm.Mapped[int]
    volume_type_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    group_snapshot_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    provider_location: orm.Mapped[str | None] = orm.mapped_column(Str)
    provider_id: orm.Mapped[str | None] = orm.mapped_column(Str)
    use_quota: orm.Mapped[bool] = orm.mapped_column(default=True)
    task_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    created_at: orm.Mapped[datetime.datetime] = _created()
    updated_at: orm.Mapped[datetime.datetime | None] = _updated()

    meta: orm.Mapped[list['SnapshotMetadata']] = orm.relationship(
        cascade='all, delete-orphan', lazy='selectin', passive_deletes=True)


class SnapshotMetadata(Base):
    __tablename__ = 'volume_snapshot_metadata'

    snapshot_id: orm.Mapped[str] = orm.mapped_column(
        sa.ForeignKey('volume_snapshots.id', ondelete='CASCADE'), primary_key=True)
    key: orm.Mapped[str] = orm.mapped_column(Str, primary_key=True)
    value: orm.Mapped[str] = orm.mapped_column(Str)


class Backup(Base):
    __tablename__ = 'volume_backups'
    __table_args__ = (
        sa.Index('ix_volume_backups_project_id_created_at', 'project_id', 'created_at'),
    )

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = orm.mapped_column(Id)
    user_id: orm.Mapped[str] = orm.mapped_column(Id)
    volume_id: orm.Mapped[str] = orm.mapped_column(sa.String(36), index=True)
    snapshot_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    name: orm.Mapped[str | None] = orm.mapped_column(Str)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    # Where it goes back to after a restore or a reset.
    previous_status: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    fail_reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    availability_zone: orm.Mapped[str | None] = orm.mapped_column(Str)
    size: orm.Mapped[int]
    object_count: orm.Mapped[int] = orm.mapped_column(default=0)
    container: orm.Mapped[str | None] = orm.mapped_column(Str)
    # Where its objects are: <account>/<container>/<object_prefix>/...; an
    # imported record keeps the original's.
    account: orm.Mapped[str | None] = orm.mapped_column(Str)
    object_prefix: orm.Mapped[str | None] = orm.mapped_column(Str)
    parent_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36), index=True)
    # The host whose volume agent wrote it, and what it restores onto.
    host: orm.Mapped[str | None] = orm.mapped_column(Str)
    service: orm.Mapped[str | None] = orm.mapped_column(Str)
    restore_volume_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    encryption_key_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    meta: orm.Mapped[dict] = orm.mapped_column(default=dict)
    # The volume's size in bytes and its chunk map lives in Object Storage.
    data_timestamp: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    task_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    created_at: orm.Mapped[datetime.datetime] = _created()
    updated_at: orm.Mapped[datetime.datetime | None] = _updated()


class VolumeType(Base):
    __tablename__ = 'volume_types'

    id: orm.Mapped[str] = _id()
    name: orm.Mapped[str] = orm.mapped_column(Str, unique=True)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    is_public: orm.Mapped[bool] = orm.mapped_column(default=True)
    qos_specs_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    created_at: orm.Mapped[datetime.datetime] = _created()
    updated_at: orm.Mapped[datetime.datetime | None] = _updated()

    specs: orm.Mapped[list['VolumeTypeSpec']] = orm.relationship(
        cascade='all, delete-orphan', lazy='selectin', passive_deletes=True)
    projects: orm.Mapped[list['VolumeTypeProject']] = orm.relationship(
        cascade='all, delete-orphan', lazy='selectin', passive_deletes=True)


class VolumeTypeSpec(Base):
    __tablename__ = 'volume_type_extra_specs'

    volume_type_id: orm.Mapped[str] = orm.mapped_column(
        sa.ForeignKey('volume_types.id', ondelete='CASCADE'), primary_key=True)
    key: orm.Mapped[str] = orm.mapped_column(Str, primary_key=True)
    value: orm.Mapped[str] = orm.mapped_column(Str)


class VolumeTypeProject(Base):
    __tablename__ = 'volume_type_projects'

    volume_type_id: orm.Mapped[str] = orm.mapped_column(
        sa.ForeignKey('volume_types.id', ondelete='CASCADE'), primary_key=True)
    project_id: orm.Mapped[str] = orm.mapped_column(Id, primary_key=True)


class DefaultType(Base):
    """A project's own default volume type (3.62)."""
    __tablename__ = 'volume_default_types'

    project_id: orm.Mapped[str] = orm.mapped_column(Id, primary_key=True)
    volume_type_id: orm.Mapped[str] = orm.mapped_column(
        sa.ForeignKey('volume_types.id', ondelete='CASCADE'))


class EncryptionType(Base):
    __tablename__ = 'volume_encryption_types'

    volume_type_id: orm.Mapped[str] = orm.mapped_column(
        sa.ForeignKey('volume_types.id', ondelete='CASCADE'), primary_key=True)
    encryption_id: orm.Mapped[str] = orm.mapped_column(sa.String(36), default=new_uuid)
    provider: orm.Mapped[str] = orm.mapped_column(Str)
    cipher: orm.Mapped[str | None] = orm.mapped_column(Str)
    key_size: orm.Mapped[int | None]
    control_location: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    created_at: orm.Mapped[datetime.datetime] = _created()
    updated_at: orm.Mapped[datetime.datetime | None] = _updated()


class QosSpecs(Base):
    __tablename__ = 'volume_qos_specs'

    id: orm.Mapped[str] = _id()
    name: orm.Mapped[str] = orm.mapped_column(Str, unique=True)
    consumer: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    specs: orm.Mapped[dict] = orm.mapped_column(default=dict)
    created_at: orm.Mapped[datetime.datetime] = _created()
    updated_at: orm.Mapped[datetime.datetime | None] = _updated()


class Quota(Base):
    """A project's own limit of one resource (else its class's, else the default)."""
    __tablename__ = 'volume_quotas'

    project_id: orm.Mapped[str] = orm.mapped_column(Id, primary_key=True)
    resource: orm.Mapped[str] = orm.mapped_column(Str, primary_key=True)
    hard_limit: orm.Mapped[int]


class QuotaClass(Base):
    __tablename__ = 'volume_quota_classes'

    class_name: orm.Mapped[str] = orm.mapped_column(Str, primary_key=True)
    resource: orm.Mapped[str] = orm.mapped_column(Str, primary_key=True)
    hard_limit: orm.Mapped[int]


class QuotaUsage(Base):
    """What a project uses of one resource, changed in the same transaction
    as the rows it counts, by one conditional UPDATE (exact under concurrency)."""
    __tablename__ = 'volume_quota_usages'

    project_id: orm.Mapped[str] = orm.mapped_column(Id, primary_key=True)
    resource: orm.Mapped[str] = orm.mapped_column(Str, primary_key=True)
    in_use: orm.Mapped[int] = orm.mapped_column(default=0)


class Transfer(Base):
    __tablename__ = 'volume_transfers'

    id: orm.Mapped[str] = _id()
    volume_id: orm.Mapped[str] = orm.mapped_column(sa.String(36), index=True)
    name: orm.Mapped[str | None] = orm.mapped_column(Str)
    salt: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    crypt_hash: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    source_project_id: orm.Mapped[str] = orm.mapped_column(Id)
    destination_project_id: orm.Mapped[str | None] = orm.mapped_column(Id)
    accepted: orm.Mapped[bool] = orm.mapped_column(default=False)
    no_snapshots: orm.Mapped[bool] = orm.mapped_column(default=False)
    created_at: orm.Mapped[datetime.datetime] = _created()
    updated_at: orm.Mapped[datetime.datetime | None] = _updated()


class Message(Base):
    """A user message: why something the user asked for failed."""
    __tablename__ = 'volume_messages'
    __table_args__ = (sa.Index('ix_volume_messages_project_id_created_at',
                               'project_id', 'created_at'),)

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = orm.mapped_column(Id)
    request_id: orm.Mapped[str | None] = orm.mapped_column(Str)
    resource_type: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    resource_uuid: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    event_id: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    message_level: orm.Mapped[str] = orm.mapped_column(sa.String(16), default='ERROR')
    user_message: orm.Mapped[str] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[datetime.datetime] = _created()
    expires_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)


class GroupType(Base):
    __tablename__ = 'volume_group_types'

    id: orm.Mapped[str] = _id()
    name: orm.Mapped[str] = orm.mapped_column(Str, unique=True)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    is_public: orm.Mapped[bool] = orm.mapped_column(default=True)
    specs: orm.Mapped[dict] = orm.mapped_column(default=dict)
    projects: orm.Mapped[list] = orm.mapped_column(default=list)
    created_at: orm.Mapped[datetime.datetime] = _created()


class Group(Base):
    __tablename__ = 'volume_groups'

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = orm.mapped_column(Id, index=True)
    user_id: orm.Mapped[str] = orm.mapped_column(Id)
    name: orm.Mapped[str | None] = orm.mapped_column(Str)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    availability_zone: orm.Mapped[str | None] = orm.mapped_column(Str)
    host: orm.Mapped[str | None] = orm.mapped_column(Str)
    group_type_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    volume_type_ids: orm.Mapped[list] = orm.mapped_column(default=list)
    group_snapshot_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    source_group_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36))
    replication_status: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    created_at: orm.Mapped[datetime.datetime] = _created()
    updated_at: orm.Mapped[datetime.datetime | None] = _updated()


class GroupSnapshot(Base):
    __tablename__ = 'volume_group_snapshots'

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = orm.mapped_column(Id, index=True)
    user_id: orm.Mapped[str] = orm.mapped_column(Id)
    group_id: orm.Mapped[str] = orm.mapped_column(sa.String(36), index=True)
    group_type_id: orm.Mapped[str] = orm.mapped_column(sa.String(36))
    name: orm.Mapped[str | None] = orm.mapped_column(Str)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    created_at: orm.Mapped[datetime.datetime] = _created()
    updated_at: orm.Mapped[datetime.datetime | None] = _updated()


class Pool(Base):
    """What a backend's pool reported last: capacity and capabilities."""
    __tablename__ = 'volume_pools'

    # host@backend#pool
    name: orm.Mapped[str] = orm.mapped_column(Str, primary_key=True)
    host: orm.Mapped[str] = orm.mapped_column(Str, index=True)
    backend: orm.Mapped[str] = orm.mapped_column(Str)
    availability_zone: orm.Mapped[str] = orm.mapped_column(Str)
    capabilities: orm.Mapped[dict] = orm.mapped_column(default=dict)
    frozen: orm.Mapped[bool] = orm.mapped_column(default=False)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime, default=utcnow)
