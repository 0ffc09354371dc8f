"""object storage: each object's JSON listing entry kept with its row; on
SQLite the object rows live in their primary key (WITHOUT ROWID)

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _batch(with_rowid):
    # SQLite: the table is rebuilt (rows copied) to change how it stores them.
    if op.get_bind().dialect.name == 'sqlite':
        return op.batch_alter_table('object_store_objects', recreate='always',
                                    table_kwargs={'sqlite_with_rowid': with_rowid})
    return op.batch_alter_table('object_store_objects')


def upgrade():
    # Nullable and not filled here: the listing query renders the rows
    # written before (their entry is NULL) as it did.
    with _batch(with_rowid=False) as batch_op:
        batch_op.add_column(sa.Column('listing', sa.Text(), nullable=True))


def downgrade():
    with _batch(with_rowid=True) as batch_op:
        batch_op.drop_column('listing')
