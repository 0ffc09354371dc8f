"""image locations: many per image, ordered, with metadata

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
import cloudstack.db.models

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _rows():
    table = sa.table('image_locations', sa.column('image_id'), sa.column('store'),
                     sa.column('url'), sa.column('created_at'))
    return [dict(row._mapping) for row in op.get_bind().execute(
        sa.select(table).order_by(table.c.created_at))]


def _insert(rows, with_meta):
    columns = [sa.column('image_id'), sa.column('store'), sa.column('url'),
               sa.column('created_at')]
    if with_meta:
        columns.append(sa.column('meta', sa.JSON()))
        rows = [dict(row, meta={}) for row in rows]
    if rows:
        op.bulk_insert(sa.table('image_locations', *columns), rows)


def upgrade():
    # Rebuilt rather than altered: the primary key changes (SQLite cannot alter it).
    rows = _rows()
    op.drop_table('image_locations')
    op.create_table('image_locations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('image_id', sa.String(length=36), nullable=False),
    sa.Column('store', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('meta', sa.JSON(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'], name=op.f('fk_image_locations_image_id_images'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image_locations'))
    )
    with op.batch_alter_table('image_locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_locations_image_id'), ['image_id'], unique=False)
    _insert(rows, with_meta=True)


def downgrade():
    # One location per image and store, as before (the first).
    rows, seen = [], set()
    for row in _rows():
        if (row['image_id'], row['store']) not in seen:
            seen.add((row['image_id'], row['store']))
            rows.append(row)
    op.drop_table('image_locations')
    op.create_table('image_locations',
    sa.Column('image_id', sa.String(length=36), nullable=False),
    sa.Column('store', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['images.id'], name=op.f('fk_image_locations_image_id_images'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('image_id', 'store', name=op.f('pk_image_locations'))
    )
    _insert(rows, with_meta=False)
