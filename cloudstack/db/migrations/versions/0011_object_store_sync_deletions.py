"""object storage: deletions in syncing containers, for container sync to push

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'object_store_sync_deletions',
        sa.Column('container_id', sa.Integer(),
                  sa.ForeignKey('object_store_containers.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('name', sa.String(1024).with_variant(
            sa.String(1024, collation='C'), 'postgresql'), primary_key=True),
        sa.Column('timestamp', sa.String(20), nullable=False))


def downgrade():
    op.drop_table('object_store_sync_deletions')
