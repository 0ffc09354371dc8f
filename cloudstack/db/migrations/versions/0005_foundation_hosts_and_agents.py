"""foundation hosts and agents

Revision ID: 0005
Revises: 0004

Tasks addressed to a role and a host (and naming their resource), the agents
table, leases of inline work for recovery; handlers by registered name only (the image handlers were stored as 'module:function').
"""
from alembic import op
import sqlalchemy as sa
import cloudstack.db.models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

RENAMED = {'cloudstack.image.manager:run_task': 'image.run_task',
           'cloudstack.image.manager:cache_image': 'image.cache_image'}
PER_HOST = ('object_store.replicate', 'object_store.audit')


def upgrade():
    op.create_table('agents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('binary', sa.String(length=64), nullable=False),
    sa.Column('availability_zone', sa.String(length=255), nullable=True),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=255), nullable=True),
    sa.Column('forced_down', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('report_count', sa.Integer(), nullable=False),
    sa.Column('started_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.Column('heartbeat_at', cloudstack.db.models.UTCDateTime(), nullable=True),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agents')),
    sa.UniqueConstraint('host', 'role', name=op.f('uq_agents_host_role')),
    sa.UniqueConstraint('uuid', name=op.f('uq_agents_uuid')),
    sqlite_autoincrement=True
    )
    op.create_table('work_leases',
    sa.Column('resource', sa.String(length=255), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    sa.Column('started_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('resource', 'owner', name=op.f('pk_work_leases'))
    )
    with op.batch_alter_table('tasks') as batch:
        batch.add_column(sa.Column('role', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('host', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('resource', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('reply_to', sa.String(length=64), nullable=True))
        batch.create_index(batch.f('ix_tasks_resource'), ['resource'], unique=False)
    tasks = sa.table('tasks', sa.column('handler', sa.String), sa.column('role', sa.String),
                     sa.column('state', sa.String))
    for old, new in RENAMED.items():
        op.execute(tasks.update().where(tasks.c.handler == old).values(handler=new))
    op.execute(tasks.update().where(tasks.c.handler.in_(PER_HOST),
                                    tasks.c.state == 'queued').values(role='object'))
    periodic = sa.table('periodic_tasks', sa.column('name', sa.String))
    op.execute(periodic.delete().where(periodic.c.name.in_(PER_HOST)))   # now one per host


def downgrade():
    tasks = sa.table('tasks', sa.column('handler', sa.String))
    for old, new in RENAMED.items():
        op.execute(tasks.update().where(tasks.c.handler == new).values(handler=old))
    with op.batch_alter_table('tasks') as batch:
        batch.drop_index(batch.f('ix_tasks_resource'))
        batch.drop_column('reply_to')
        batch.drop_column('resource')
        batch.drop_column('host')
        batch.drop_column('role')
    op.drop_table('work_leases')
    op.drop_table('agents')
