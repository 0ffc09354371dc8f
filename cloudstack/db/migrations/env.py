from alembic import context

from cloudstack.db import models

target_metadata = models.all_models()
connection = context.config.attributes['connection']
context.configure(connection=connection, target_metadata=target_metadata,
                  render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
