"""block storage

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
import cloudstack.db.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('volume_backups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('previous_status', sa.String(length=32), nullable=True),
    sa.Column('fail_reason', sa.Text(), nullable=True),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('object_count', sa.Integer(), nullable=False),
    sa.Column('container', sa.String(length=255), nullable=True),
    sa.Column('account', sa.String(length=255), nullable=True),
    sa.Column('object_prefix', sa.String(length=255), nullable=True),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('service', sa.String(length=255), nullable=True),
    sa.Column('restore_volume_id', sa.String(length=36), nullable=True),
    sa.Column('encryption_key_id', sa.String(length=36), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('data_timestamp', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.Column('task_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_backups'))
    )
    with op.batch_alter_table('volume_backups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_backups_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_volume_backups_project_id_created_at', ['project_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_backups_volume_id'), ['volume_id'], unique=False)

    op.create_table('volume_group_snapshots',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('group_id', sa.String(length=36), nullable=False),
    sa.Column('group_type_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_group_snapshots'))
    )
    with op.batch_alter_table('volume_group_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_group_snapshots_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_group_snapshots_project_id'), ['project_id'], unique=False)

    op.create_table('volume_group_types',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('specs', sa.JSON(), nullable=False),
    sa.Column('projects', sa.JSON(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_group_types')),
    sa.UniqueConstraint('name', name=op.f('uq_volume_group_types_name'))
    )
    op.create_table('volume_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('group_type_id', sa.String(length=36), nullable=False),
    sa.Column('volume_type_ids', sa.JSON(), nullable=False),
    sa.Column('group_snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('source_group_id', sa.String(length=36), nullable=True),
    sa.Column('replication_status', sa.String(length=32), nullable=True),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_groups'))
    )
    with op.batch_alter_table('volume_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_groups_project_id'), ['project_id'], unique=False)

    op.create_table('volume_messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.String(length=255), nullable=True),
    sa.Column('resource_type', sa.String(length=32), nullable=True),
    sa.Column('resource_uuid', sa.String(length=64), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('message_level', sa.String(length=16), nullable=False),
    sa.Column('user_message', sa.Text(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_messages'))
    )
    with op.batch_alter_table('volume_messages', schema=None) as batch_op:
        batch_op.create_index('ix_volume_messages_project_id_created_at', ['project_id', 'created_at'], unique=False)

    op.create_table('volume_pools',
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('backend', sa.String(length=255), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=False),
    sa.Column('capabilities', sa.JSON(), nullable=False),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_volume_pools'))
    )
    with op.batch_alter_table('volume_pools', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_pools_host'), ['host'], unique=False)

    op.create_table('volume_qos_specs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('consumer', sa.String(length=16), nullable=False),
    sa.Column('specs', sa.JSON(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_qos_specs')),
    sa.UniqueConstraint('name', name=op.f('uq_volume_qos_specs_name'))
    )
    op.create_table('volume_quota_classes',
    sa.Column('class_name', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('class_name', 'resource', name=op.f('pk_volume_quota_classes'))
    )
    op.create_table('volume_quota_usages',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('in_use', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource', name=op.f('pk_volume_quota_usages'))
    )
    op.create_table('volume_quotas',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('hard_limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource', name=op.f('pk_volume_quotas'))
    )
    op.create_table('volume_snapshots',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('progress', sa.String(length=32), nullable=True),
    sa.Column('volume_size', sa.Integer(), nullable=False),
    sa.Column('volume_type_id', sa.String(length=36), nullable=True),
    sa.Column('group_snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('provider_location', sa.String(length=255), nullable=True),
    sa.Column('provider_id', sa.String(length=255), nullable=True),
    sa.Column('use_quota', sa.Boolean(), nullable=False),
    sa.Column('task_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_snapshots'))
    )
    with op.batch_alter_table('volume_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_volume_snapshots_project_id_created_at', ['project_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_snapshots_volume_id'), ['volume_id'], unique=False)

    op.create_table('volume_transfers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('crypt_hash', sa.String(length=255), nullable=False),
    sa.Column('source_project_id', sa.String(length=64), nullable=False),
    sa.Column('destination_project_id', sa.String(length=64), nullable=True),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('no_snapshots', sa.Boolean(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_transfers'))
    )
    with op.batch_alter_table('volume_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_transfers_volume_id'), ['volume_id'], unique=False)

    op.create_table('volume_types',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('qos_specs_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_types')),
    sa.UniqueConstraint('name', name=op.f('uq_volume_types_name'))
    )
    op.create_table('volumes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('previous_status', sa.String(length=32), nullable=True),
    sa.Column('attach_status', sa.String(length=32), nullable=False),
    sa.Column('migration_status', sa.String(length=32), nullable=True),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('host', sa.String(length=255), nullable=True),
    sa.Column('volume_type_id', sa.String(length=36), nullable=True),
    sa.Column('snapshot_id', sa.String(length=36), nullable=True),
    sa.Column('source_volid', sa.String(length=36), nullable=True),
    sa.Column('backup_id', sa.String(length=36), nullable=True),
    sa.Column('image_id', sa.String(length=64), nullable=True),
    sa.Column('group_id', sa.String(length=36), nullable=True),
    sa.Column('bootable', sa.Boolean(), nullable=False),
    sa.Column('multiattach', sa.Boolean(), nullable=False),
    sa.Column('encryption_key_id', sa.String(length=36), nullable=True),
    sa.Column('provider_location', sa.String(length=255), nullable=True),
    sa.Column('provider_id', sa.String(length=255), nullable=True),
    sa.Column('provider_auth', sa.String(length=255), nullable=True),
    sa.Column('name_id', sa.String(length=36), nullable=True),
    sa.Column('use_quota', sa.Boolean(), nullable=False),
    sa.Column('task_id', sa.String(length=32), nullable=True),
    sa.Column('launched_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volumes'))
    )
    with op.batch_alter_table('volumes', schema=None) as batch_op:
        batch_op.create_index('ix_volumes_host', ['host'], unique=False)
        batch_op.create_index('ix_volumes_project_id_created_at', ['project_id', 'created_at'], unique=False)
        batch_op.create_index('ix_volumes_status', ['status'], unique=False)

    op.create_table('volume_attachments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('instance_uuid', sa.String(length=64), nullable=True),
    sa.Column('attached_host', sa.String(length=255), nullable=True),
    sa.Column('mountpoint', sa.String(length=255), nullable=True),
    sa.Column('attach_status', sa.String(length=32), nullable=False),
    sa.Column('attach_mode', sa.String(length=4), nullable=False),
    sa.Column('connector', sa.JSON(), nullable=True),
    sa.Column('connection_info', sa.JSON(), nullable=True),
    sa.Column('attach_time', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.Column('detach_time', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], name=op.f('fk_volume_attachments_volume_id_volumes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volume_attachments'))
    )
    with op.batch_alter_table('volume_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volume_attachments_instance_uuid'), ['instance_uuid'], unique=False)
        batch_op.create_index(batch_op.f('ix_volume_attachments_volume_id'), ['volume_id'], unique=False)

    op.create_table('volume_default_types',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['volume_type_id'], ['volume_types.id'], name=op.f('fk_volume_default_types_volume_type_id_volume_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_volume_default_types'))
    )
    op.create_table('volume_encryption_types',
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('encryption_id', sa.String(length=36), nullable=False),
    sa.Column('provider', sa.String(length=255), nullable=False),
    sa.Column('cipher', sa.String(length=255), nullable=True),
    sa.Column('key_size', sa.Integer(), nullable=True),
    sa.Column('control_location', sa.String(length=16), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['volume_type_id'], ['volume_types.id'], name=op.f('fk_volume_encryption_types_volume_type_id_volume_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_type_id', name=op.f('pk_volume_encryption_types'))
    )
    op.create_table('volume_metadata',
    sa.Column('volume_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['volume_id'], ['volumes.id'], name=op.f('fk_volume_metadata_volume_id_volumes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_id', 'kind', 'key', name=op.f('pk_volume_metadata'))
    )
    with op.batch_alter_table('volume_metadata', schema=None) as batch_op:
        batch_op.create_index('ix_volume_metadata_kind_key_value', ['kind', 'key', 'value'], unique=False)

    op.create_table('volume_snapshot_metadata',
    sa.Column('snapshot_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['volume_snapshots.id'], name=op.f('fk_volume_snapshot_metadata_snapshot_id_volume_snapshots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('snapshot_id', 'key', name=op.f('pk_volume_snapshot_metadata'))
    )
    op.create_table('volume_type_extra_specs',
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['volume_type_id'], ['volume_types.id'], name=op.f('fk_volume_type_extra_specs_volume_type_id_volume_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_type_id', 'key', name=op.f('pk_volume_type_extra_specs'))
    )
    op.create_table('volume_type_projects',
    sa.Column('volume_type_id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['volume_type_id'], ['volume_types.id'], name=op.f('fk_volume_type_projects_volume_type_id_volume_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('volume_type_id', 'project_id', name=op.f('pk_volume_type_projects'))
    )
