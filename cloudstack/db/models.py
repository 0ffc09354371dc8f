"""The declarative base and column helpers every service's models share."""
import datetime
import uuid

import sqlalchemy as sa
from sqlalchemy import orm

NAMING = {
    'ix': 'ix_%(column_0_label)s',
    'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
}


class Base(orm.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {dict: sa.JSON, list: sa.JSON}


def new_id():
    return uuid.uuid4().hex


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class UTCDateTime(sa.types.TypeDecorator):
    """Naive UTC datetimes in, naive UTC datetimes out, on every database."""
    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value


def all_models():
    """Import every service's models so the metadata is complete."""
    import cloudstack.compute.models  # noqa: F401
    import cloudstack.identity.models  # noqa: F401
    import cloudstack.image.models  # noqa: F401
    import cloudstack.network.models  # noqa: F401
    import cloudstack.object_store.models  # noqa: F401
    import cloudstack.tasks.models  # noqa: F401
    import cloudstack.volume.models  # noqa: F401
    return Base.metadata
