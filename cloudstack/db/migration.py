"""Alembic, driven from code: one history for every service's tables.

Revision ids are sequence numbers and each file is named after its revision
(0001_initial_schema.py), so a start can see that the schema is current
without importing alembic.
"""
import os

import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.db import models

MIGRATIONS = os.path.join(os.path.dirname(__file__), 'migrations')
VERSIONS = os.path.join(MIGRATIONS, 'versions')


def _config():
    from alembic import config as alembic_config
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', MIGRATIONS)
    # alembic's config interpolates '%': a URL may hold some (%2F, a password).
    cfg.set_main_option('sqlalchemy.url', db_api.database_url().replace('%', '%%'))
    return cfg


def head():
    """The newest revision of the code."""
    return max(name.split('_', 1)[0] for name in os.listdir(VERSIONS)
               if name[:4].isdigit() and name.endswith('.py'))


def current():
    """The database's revision, or None before the first sync."""
    with db_api.get_engine().connect() as conn:
        if not sa.inspect(conn).has_table('alembic_version'):
            return None
        return conn.execute(sa.text('SELECT version_num FROM alembic_version')).scalar()


def sync():
    """Bring the schema to the newest revision.

    An empty database gets the models' schema stamped with the newest
    revision, as alembic recommends for new databases (a test holds the
    migrations to that same schema); any other is upgraded by alembic."""
    revision = current()
    if revision == head():
        return
    if revision is None and not sa.inspect(db_api.get_engine()).get_table_names():
        create_fresh()
    else:
        upgrade()


def create_fresh():
    with db_api.get_engine().begin() as conn:
        models.all_models().create_all(conn)
        version = sa.Table('alembic_version', sa.MetaData(), sa.Column(
            'version_num', sa.String(32), primary_key=True))
        version.create(conn)
        conn.execute(version.insert().values(version_num=head()))


def upgrade(to='head'):
    from alembic import command
    with db_api.get_engine().begin() as conn:
        cfg = _config()
        cfg.attributes['connection'] = conn
        command.upgrade(cfg, to)


def revision(message, autogenerate=True):
    """Write the next migration from the difference between models and schema."""
    from alembic import command
    with db_api.get_engine().begin() as conn:
        cfg = _config()
        cfg.attributes['connection'] = conn
        command.revision(cfg, message=message, autogenerate=autogenerate,
                         rev_id='%04d' % (int(head()) + 1))


def differences():
    """What the migrated schema lacks compared with the models (empty when in step)."""
    from alembic import autogenerate
    from alembic import migration as alembic_migration
    with db_api.get_engine().connect() as conn:
        ctx = alembic_migration.MigrationContext.configure(
            conn, opts={'compare_type': True})
        return autogenerate.compare_metadata(ctx, models.all_models())
