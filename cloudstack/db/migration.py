"""Alembic, driven from code: one history for every service's tables."""
import os

from alembic import command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import autogenerate

from cloudstack.db import api as db_api
from cloudstack.db import models

MIGRATIONS = os.path.join(os.path.dirname(__file__), 'migrations')


def _config():
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', MIGRATIONS)
    cfg.set_main_option('sqlalchemy.url', db_api.database_url())
    return cfg


def sync(revision='head'):
    """Bring the schema to `revision`."""
    engine = db_api.get_engine()
    with engine.begin() as conn:
        cfg = _config()
        cfg.attributes['connection'] = conn
        command.upgrade(cfg, revision)


def current():
    with db_api.get_engine().connect() as conn:
        return alembic_migration.MigrationContext.configure(conn).get_current_revision()


def revision(message, autogenerate=True, rev_id=None):
    """Write a new migration from the difference between models and schema."""
    engine = db_api.get_engine()
    with engine.begin() as conn:
        cfg = _config()
        cfg.attributes['connection'] = conn
        command.revision(cfg, message=message, autogenerate=autogenerate,
                         rev_id=rev_id)


def differences():
    """What the migrated schema lacks compared with the models (empty when in step)."""
    with db_api.get_engine().connect() as conn:
        ctx = alembic_migration.MigrationContext.configure(
            conn, opts={'compare_type': True})
        return autogenerate.compare_metadata(ctx, models.all_models())
