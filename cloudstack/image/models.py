"""Tables of the Image service: images, their properties, tags and members."""
import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack.db.models import Base, UTCDateTime, utcnow

# States work passes through; after a crash, the recovery
# (cloudstack/image/manager/recovery.py) moves what nothing works on any more.
TRANSITIONAL_STATES = ('saving', 'uploading', 'importing')
TASK_TRANSITIONAL_STATES = ('pending', 'processing')


class Image(Base):
    __tablename__ = 'images'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    name: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    status: orm.Mapped[str] = orm.mapped_column(sa.String(30), index=True)
    visibility: orm.Mapped[str] = orm.mapped_column(sa.String(20), index=True)
    protected: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    os_hidden: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    owner: orm.Mapped[str | None] = orm.mapped_column(sa.String(255), index=True)
    disk_format: orm.Mapped[str | None] = orm.mapped_column(sa.String(20))
    container_format: orm.Mapped[str | None] = orm.mapped_column(sa.String(20))
    min_disk: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0)
    min_ram: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0)
    size: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    virtual_size: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    checksum: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    os_hash_algo: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    os_hash_value: orm.Mapped[str | None] = orm.mapped_column(sa.String(128))
    store: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    location: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)


class ImageProperty(Base):
    __tablename__ = 'image_properties'

    image_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('images.id', ondelete='CASCADE'),
        primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    value: orm.Mapped[str] = orm.mapped_column(sa.Text)


class ImageTag(Base):
    __tablename__ = 'image_tags'

    image_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('images.id', ondelete='CASCADE'),
        primary_key=True)
    value: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)


class ImageMember(Base):
    __tablename__ = 'image_members'

    image_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('images.id', ondelete='CASCADE'),
        primary_key=True)
    member: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(20), default='pending')
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.Index('ix_image_members_member', 'member'),)


class ImageLocation(Base):
    """One place an image's data is read from: a store's copy, or a URL a
    client gave (locations API). An image's locations are ordered by id."""
    __tablename__ = 'image_locations'

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    image_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('images.id', ondelete='CASCADE'), index=True)
    store: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    url: orm.Mapped[str] = orm.mapped_column(sa.Text)
    meta: orm.Mapped[object] = orm.mapped_column(sa.JSON, default=dict)
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)


class ImageTask(Base):
    """A Glance task: an import run by the task engine, its status and result."""
    __tablename__ = 'image_tasks'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    type: orm.Mapped[str] = orm.mapped_column(sa.String(30))
    status: orm.Mapped[str] = orm.mapped_column(sa.String(30), index=True)
    owner: orm.Mapped[str | None] = orm.mapped_column(sa.String(255), index=True)
    image_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(36), index=True)
    user_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    request_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    input: orm.Mapped[object] = orm.mapped_column(sa.JSON, default=dict)
    result: orm.Mapped[object | None] = orm.mapped_column(sa.JSON)
    message: orm.Mapped[str] = orm.mapped_column(sa.Text, default='')
    expires_at: orm.Mapped[object | None] = orm.mapped_column(UTCDateTime)
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)


# -- Metadata definitions (metadefs): a catalog of the properties, objects and
# tags other resources may carry, grouped in namespaces. Names are unique within
# their namespace; a namespace's contents go with it.

class MetadefNamespace(Base):
    __tablename__ = 'metadef_namespaces'

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    namespace: orm.Mapped[str] = orm.mapped_column(sa.String(80), unique=True)
    display_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(80))
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    visibility: orm.Mapped[str] = orm.mapped_column(sa.String(32), default='private')
    protected: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    owner: orm.Mapped[str | None] = orm.mapped_column(sa.String(255), index=True)
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)


class MetadefResourceType(Base):
    __tablename__ = 'metadef_resource_types'

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(80), unique=True)
    protected: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)


class MetadefNamespaceResourceType(Base):
    """A namespace's association with a resource type."""
    __tablename__ = 'metadef_namespace_resource_types'

    namespace_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, sa.ForeignKey('metadef_namespaces.id', ondelete='CASCADE'),
        primary_key=True)
    resource_type_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, sa.ForeignKey('metadef_resource_types.id'), primary_key=True,
        index=True)
    prefix: orm.Mapped[str | None] = orm.mapped_column(sa.String(80))
    properties_target: orm.Mapped[str | None] = orm.mapped_column(sa.String(80))
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)


class MetadefObject(Base):
    __tablename__ = 'metadef_objects'

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    namespace_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, sa.ForeignKey('metadef_namespaces.id', ondelete='CASCADE'))
    name: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    required: orm.Mapped[object] = orm.mapped_column(sa.JSON, default=list)
    properties: orm.Mapped[object] = orm.mapped_column(sa.JSON, default=dict)
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint('namespace_id', 'name'),)


class MetadefProperty(Base):
    __tablename__ = 'metadef_properties'

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    namespace_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, sa.ForeignKey('metadef_namespaces.id', ondelete='CASCADE'))
    name: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    # The definition (title, type, enum, ...), without its name.
    definition: orm.Mapped[object] = orm.mapped_column(sa.JSON, default=dict)
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint('namespace_id', 'name'),)


class MetadefTag(Base):
    __tablename__ = 'metadef_tags'

    id: orm.Mapped[int] = orm.mapped_column(sa.Integer, primary_key=True,
                                            autoincrement=True)
    namespace_id: orm.Mapped[int] = orm.mapped_column(
        sa.Integer, sa.ForeignKey('metadef_namespaces.id', ondelete='CASCADE'))
    name: orm.Mapped[str] = orm.mapped_column(sa.String(80))
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint('namespace_id', 'name'),)


class ImageCacheEntry(Base):
    """An image queued for, or kept in, one host's local image cache."""
    __tablename__ = 'image_cache'

    host: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    image_id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    state: orm.Mapped[str] = orm.mapped_column(sa.String(16))   # queued | cached
    size: orm.Mapped[int | None] = orm.mapped_column(sa.BigInteger)
    checksum: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    hits: orm.Mapped[int] = orm.mapped_column(sa.Integer, default=0)
    last_accessed: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    last_modified: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
