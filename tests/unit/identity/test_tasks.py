"""Identity's periodic tasks, as the engine finds and runs them."""
import datetime

import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.identity import models
from cloudstack.tasks import queue


def test_the_engine_finds_and_runs_the_revocation_purge(db):
    queue.load_modules()
    assert 'identity.purge_revocations' in queue.periodics
    now = models.utcnow()
    with db_api.writer() as s:
        s.add(models.RevocationEvent(user_id='old', issued_before=now - datetime.timedelta(days=30)))
        s.add(models.RevocationEvent(user_id='new', issued_before=now))
    assert queue.resolve('identity.purge_revocations')() == 1
    with db_api.reader() as s:
        assert s.scalars(sa.select(models.RevocationEvent.user_id)).all() == ['new']
