"""Tables of the Image service: images, their properties, tags and members."""
import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack.db.models import Base, UTCDateTime, utcnow


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
