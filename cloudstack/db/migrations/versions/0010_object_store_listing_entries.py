"""object storage: each object's JSON listing entry kept with its row

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable and not filled here: the listing query renders the rows
    # written before (their entry is NULL) as it did.
    with op.batch_alter_table('object_store_objects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listing', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('object_store_objects', schema=None) as batch_op:
        batch_op.drop_column('listing')
