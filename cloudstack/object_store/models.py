"""The Object Storage listings: accounts, containers and objects in SQL.

The bytes of objects live in the backend (ring + devices); these tables are
what listings, stats and HEADs read. Names sort by their UTF-8 bytes, as
Swift's listings do: SQLite's BINARY collation does that, PostgreSQL needs
the "C" collation on the name columns.

Timestamps are Swift's 'seconds.micros' strings, normalised to a fixed width
('%016.5f') so that they also sort as text.
"""
import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack.db.models import Base


def _name(length):
    return sa.String(length).with_variant(
        sa.String(length, collation='C'), 'postgresql')


class Account(Base):
    __tablename__ = 'object_store_accounts'

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    name: orm.Mapped[str] = orm.mapped_column(_name(256), unique=True)
    meta: orm.Mapped[dict] = orm.mapped_column('metadata', sa.JSON, default=dict)
    created_at: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    put_timestamp: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    container_count: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, default=0)
    object_count: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, default=0)
    bytes_used: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, default=0)


class Container(Base):
    __tablename__ = 'object_store_containers'
    __table_args__ = (sa.UniqueConstraint('account_id', 'name'),)

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    account_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey('object_store_accounts.id', ondelete='CASCADE'))
    name: orm.Mapped[str] = orm.mapped_column(_name(256))
    meta: orm.Mapped[dict] = orm.mapped_column('metadata', sa.JSON, default=dict)
    read_acl: orm.Mapped[str] = orm.mapped_column(sa.Text, nullable=True)
    write_acl: orm.Mapped[str] = orm.mapped_column(sa.Text, nullable=True)
    # The number of its storage policy ([object_store] storage_policies).
    storage_policy: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0)
    created_at: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    put_timestamp: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    object_count: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, default=0)
    bytes_used: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, default=0)


class Object(Base):
    __tablename__ = 'object_store_objects'
    # (container_id, name) is the primary key: the index keyset paging by
    # name and prefix ranges walk. On SQLite the rows live in that index
    # itself (WITHOUT ROWID): a listing walks one b-tree in name order, not
    # an index and a row look-up for each name.
    __table_args__ = (sa.Index('ix_object_store_objects_delete_at', 'delete_at'),
                      {'sqlite_with_rowid': False})

    container_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey('object_store_containers.id', ondelete='CASCADE'),
        primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(_name(1024), primary_key=True)
    size: orm.Mapped[int] = orm.mapped_column(sa.BigInteger)
    etag: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    content_type: orm.Mapped[str] = orm.mapped_column(sa.String(256))
    timestamp: orm.Mapped[str] = orm.mapped_column(sa.String(20))
    meta: orm.Mapped[dict] = orm.mapped_column('metadata', sa.JSON, default=dict)
    delete_at: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, nullable=True)
    # Its entry in a JSON container listing, made when the row is written
    # (manager.listing_entry), so that a listing only joins entries (None in
    # rows written before 0010: the listing query makes those).
    listing: orm.Mapped[str] = orm.mapped_column(sa.Text, nullable=True)


class SyncDeletion(Base):
    """A deletion in a container that syncs (X-Container-Sync-To), kept until
    the container sync has pushed it to the target."""
    __tablename__ = 'object_store_sync_deletions'

    container_id: orm.Mapped[int] = orm.mapped_column(
        sa.ForeignKey('object_store_containers.id', ondelete='CASCADE'),
        primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(_name(1024), primary_key=True)
    timestamp: orm.Mapped[str] = orm.mapped_column(sa.String(20))
