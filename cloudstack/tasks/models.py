"""The task table and the periodic-task schedule."""
import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack.db.models import Base, UTCDateTime, new_id, utcnow

QUEUED, RUNNING, DONE, FAILED = 'queued', 'running', 'done', 'failed'


class Task(Base):
    """One call of a handler: `handler(**args)`, run at least once until it succeeds."""
    __tablename__ = 'tasks'
    __table_args__ = (
        sa.Index('ix_tasks_state_run_at', 'state', 'run_at'),
        sa.Index('ix_tasks_state_lease_expires_at', 'state', 'lease_expires_at'),
    )

    id: orm.Mapped[str] = orm.mapped_column(sa.String(32), primary_key=True, default=new_id)
    handler: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    args: orm.Mapped[dict] = orm.mapped_column(default=dict)
    state: orm.Mapped[str] = orm.mapped_column(sa.String(16), default=QUEUED)
    attempts: orm.Mapped[int] = orm.mapped_column(default=0)
    max_attempts: orm.Mapped[int]
    # Not before this time: set on enqueue with a delay and on retries.
    run_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime, default=utcnow)
    # The engine running it ("host:pid"), until lease_expires_at.
    owner: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    lease_expires_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    error: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    result: orm.Mapped[object | None] = orm.mapped_column(sa.JSON)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow)


class Periodic(Base):
    """When a periodic task is next due, across every engine sharing the database."""
    __tablename__ = 'periodic_tasks'

    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    next_run_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
    task_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))  # the latest run
