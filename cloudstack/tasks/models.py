"""The task table, the periodic-task schedule and the agents table."""
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
    handler: orm.Mapped[str] = orm.mapped_column(sa.String(255))    # a registered name
    args: orm.Mapped[dict] = orm.mapped_column(default=dict)
    # Who may run it: any engine (no role), any agent of `role`, or the agent
    # of `role` on `host`.
    role: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    host: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    # The resource it works on ("kind/id"), so recovery sees work in flight.
    resource: orm.Mapped[str | None] = orm.mapped_column(sa.String(255), index=True)
    # A tasks.call() waiting for the result: the channel that wakes it.
    reply_to: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
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


class Agent(Base):
    """An engine running one role on one host; Nova's and Cinder's services and
    Neutron's agents are views of these rows."""
    __tablename__ = 'agents'
    # Ids are never reused, even on SQLite: a deleted agent's id stays gone.
    __table_args__ = (sa.UniqueConstraint('host', 'role'), {'sqlite_autoincrement': True})

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True, autoincrement=True)
    uuid: orm.Mapped[str] = orm.mapped_column(sa.String(36), unique=True)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255))
    role: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    binary: orm.Mapped[str] = orm.mapped_column(sa.String(64))    # the command running it
    availability_zone: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    disabled: orm.Mapped[bool] = orm.mapped_column(default=False)
    disabled_reason: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
    forced_down: orm.Mapped[bool] = orm.mapped_column(default=False)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.Text)    # Neutron's agents
    # What the role reports on each beat (Neutron's configurations, capacity...).
    details: orm.Mapped[dict] = orm.mapped_column(default=dict)
    report_count: orm.Mapped[int] = orm.mapped_column(default=0)
    started_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    heartbeat_at: orm.Mapped[datetime.datetime | None] = orm.mapped_column(UTCDateTime)
    created_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[datetime.datetime] = orm.mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow)


class WorkLease(Base):
    """Inline work in flight on a resource (an upload streaming in an API
    worker), held by a process that renews it; see recovery.working()."""
    __tablename__ = 'work_leases'

    resource: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    owner: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    started_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime, default=utcnow)
    expires_at: orm.Mapped[datetime.datetime] = orm.mapped_column(UTCDateTime)
