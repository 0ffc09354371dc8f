"""What every part of the identity manager shares."""
import contextlib
import random
import dataclasses

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.db import api as db_api
from cloudstack.identity import models


class Base:
    """Transactions and lookups for the identity manager's mixins."""

    @contextlib.contextmanager
    def write(self):
        """A write transaction that also invalidates every worker's caches."""
        with db_api.writer() as session:
            yield session
            bump_revision(session)

    @staticmethod
    def read():
        return db_api.reader()

    @staticmethod
    def get_row(session, model, row_id, kind):
        """The row, or NotFound naming `kind`."""
        row = session.get(model, row_id) if row_id is not None else None
        if row is None:
            raise exception.NotFound('Could not find %s: %s.' % (kind, row_id))
        return row


# The revision is the sum of a few counters, and a write bumps one of them
# picked at random: writers that commit at once hold different row locks
# instead of queuing on one from their bump to the end of their commit (on
# PostgreSQL one row halved the identity writes per second; see
# tools/bench_identity_writes.py). Every committed bump still adds one to the
# sum, so a reader sees the revision change with the write, never before.
REVISION_SLOTS = 16
REVISION_QUERY = 'SELECT COALESCE(SUM(value), 0) FROM identity_revision'


def bump_revision(session):
    slot = random.randrange(REVISION_SLOTS)
    bump = (sa.update(models.Revision).where(models.Revision.id == slot)
            .values(value=models.Revision.value + 1))
    if session.execute(bump).rowcount:
        return
    try:
        with session.begin_nested():       # the slot's first write
            session.add(models.Revision(id=slot, value=1))
            session.flush()
    except sa.exc.IntegrityError:          # another writer just made it
        session.execute(bump)


def current_revision():
    """The identity revision: one small read on a raw DBAPI connection, as it
    runs on every authenticated request."""
    conn = db_api.get_engine().raw_connection()
    try:
        cur = conn.cursor()
        cur.execute(REVISION_QUERY)
        row = cur.fetchone()
        cur.close()
    finally:
        conn.close()         # back to the pool, which ends any transaction
    return row[0] if row else 0


def split_extra(body, known):
    """(known attributes, everything else) of a request's entity."""
    own = {k: v for k, v in body.items() if k in known}
    extra = {k: v for k, v in body.items() if k not in known}
    return own, extra


def with_extra(entity, extra):
    """The entity with its extra attributes shown at top level, as Keystone does."""
    merged = dict(extra or {})
    merged.update(entity)
    return merged


@dataclasses.dataclass
class RequestFacts:
    """What an auth method may read of the HTTP request beyond its body: an
    OAuth1 signature covers the method, URL and Authorization header; a
    trusted front end passes federation attributes in headers."""
    method: str
    url: str
    headers: dict
    remote_addr: str | None = None
