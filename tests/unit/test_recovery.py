"""The generic recovery of resources left in transitional states, on a table of
the test's own (its own metadata, so the migrated schema stays the models')."""
import datetime
import os
import socket

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.tasks import queue, recovery
from cloudstack.tasks.models import WorkLease


class _Base(orm.DeclarativeBase):
    metadata = sa.MetaData()


class Widget(_Base):
    __tablename__ = 'test_recovery_widgets'
    id: orm.Mapped[str] = orm.mapped_column(sa.String(32), primary_key=True)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    host: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    fault: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    task_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))


@queue.handler('test.recovery.build')
def build(widget_id):
    pass


recorded = []


def _record(session, row, reason):
    row.fault = reason
    recorded.append(row.id)


def _keep_staged(session, row, reason):
    return False        # "stable after all": nothing to do


@pytest.fixture
def widgets(db):
    _Base.metadata.create_all(db_api.get_engine())
    recorded.clear()
    queue.load_modules()
    saved = dict(recovery.lifecycles)
    recovery.lifecycles.clear()     # the services' lifecycles are not under test here
    recovery.register(recovery.Lifecycle(
        kind='widget', model=Widget,
        transitional={'building': recovery.set_state('error'), 'staged': _keep_staged},
        record=_record))
    recovery.register(recovery.Lifecycle(
        kind='gadget', name='gadget', model=Widget, role='compute', host='host',
        transitional={'binding': recovery.set_state('unbound')}))

    def add(widget_id, status, host=None, task_id=None):
        with db_api.writer() as s:
            s.add(Widget(id=widget_id, status=status, host=host, task_id=task_id))
    yield add
    recovery.lifecycles.clear()
    recovery.lifecycles.update(saved)
    db_api.reset()
    _Base.metadata.drop_all(db_api.get_engine())


def _status():
    with db_api.reader() as s:
        return {w.id: w.status for w in s.scalars(sa.select(Widget))}


def _lease(widget_id, owner, seconds):
    with db_api.writer() as s:
        s.add(WorkLease(resource='widget/' + widget_id, owner=owner, started_at=utcnow(),
                        expires_at=utcnow() + datetime.timedelta(seconds=seconds)))


def test_what_nothing_works_on_is_moved_with_its_reason(widgets):
    machine = socket.gethostname()
    for name in ('idle', 'queued', 'leased', 'dead-pid', 'elsewhere', 'expired', 'failed'):
        widgets(name, 'building')
    widgets('staged', 'staged')
    widgets('done', 'ready')
    queue.enqueue(None, build, {'widget_id': 'queued'}, resource=('widget', 'queued'))
    failed = queue.enqueue(None, build, {'widget_id': 'failed'}, resource=('widget', 'failed'))
    queue.claim('o:1', 2)       # both run; one fails for good
    queue.fail(failed, 'o:1', queue.Permanent('no'))
    assert queue.get(failed).state == 'failed'
    _lease('leased', recovery.process_owner(), 60)
    _lease('dead-pid', '%s:%d' % (machine, 2 ** 22 + 1), 60)    # above pid_max
    _lease('elsewhere', 'other-machine:1', 60)                  # renewing over there
    _lease('expired', 'other-machine:2', -1)                    # stopped renewing

    assert recovery.recover() == 4
    assert _status() == {
        'idle': 'error', 'queued': 'building', 'leased': 'building', 'dead-pid': 'error',
        'elsewhere': 'building', 'expired': 'error', 'failed': 'error', 'staged': 'staged',
        'done': 'ready'}
    assert sorted(recorded) == ['dead-pid', 'expired', 'failed', 'idle']
    with db_api.reader() as s:
        assert 'stopped while it was building' in s.get(Widget, 'idle').fault
    assert recovery.recover() == 0      # nothing left to do


def test_an_agent_recovers_only_its_roles_rows_on_its_host(widgets):
    widgets('mine', 'binding', host='h1')
    widgets('theirs', 'binding', host='h2')
    assert recovery.recover(None) == 0
    assert recovery.recover('network', 'h1') == 0
    assert recovery.recover('compute', 'h1') == 1
    assert _status() == {'mine': 'unbound', 'theirs': 'binding'}


def test_a_row_naming_its_live_task_is_left_alone(widgets):
    """Lifecycle.task: the row says which task works on it (Block Storage's
    task_id); Lifecycle.host as a condition (a volume's host is host@backend)."""
    recovery.lifecycles.clear()
    recovery.register(recovery.Lifecycle(
        kind='widget', model=Widget, role='volume', task='task_id',
        host=lambda host: Widget.host.startswith(host + '@'),
        transitional={'building': recovery.set_state('error')}))
    live = queue.enqueue(None, build, {'widget_id': 'running'})
    finished = queue.enqueue(None, build, {'widget_id': 'gave-up'})
    queue.claim('o:1', 2)
    queue.complete(finished, 'o:1')
    widgets('running', 'building', host='h1@lvm', task_id=live)
    widgets('gave-up', 'building', host='h1@lvm', task_id=finished)
    widgets('other-host', 'building', host='h2@lvm')
    widgets('prefix', 'building', host='h1x@lvm')
    assert recovery.recover('volume', 'h1') == 1
    assert _status() == {'running': 'building', 'gave-up': 'error',
                         'other-host': 'building', 'prefix': 'building'}
    assert recovery.recover('volume') == 2      # no host: every host's
    assert _status()['running'] == 'building'


def test_working_holds_a_lease_for_the_block(widgets):
    widgets('w1', 'building')
    with recovery.working('widget', 'w1'):
        assert recovery.busy(['widget/w1']) == {'widget/w1'}
        assert recovery.recover() == 0
    assert recovery.busy(['widget/w1']) == set()
    with db_api.reader() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(WorkLease)) == 0
    assert recovery.recover() == 1


def test_cleanup_runs_after_the_recovery(widgets):
    calls = []
    recovery.register(recovery.Lifecycle(
        kind='thing', model=Widget, transitional={'building': recovery.set_state('error')},
        cleanup=lambda: calls.append(_status())))
    widgets('w1', 'building')
    recovery.recover()
    assert calls == [{'w1': 'error'}]


def test_the_owner_of_a_lease_is_alive_while_it_renews_and_runs():
    now = utcnow()
    later = now + datetime.timedelta(seconds=30)
    here = socket.gethostname()
    assert recovery.owner_alive('%s:%d' % (here, os.getpid()), later, now)
    assert not recovery.owner_alive('%s:%d' % (here, os.getpid()), now, now)
    assert not recovery.owner_alive('%s:%d' % (here, 2 ** 22 + 1), later, now)
    assert recovery.owner_alive('elsewhere:1', later, now)


def test_a_pass_between_starts_settles_rows_of_lifecycles_without_a_task_column(widgets):
    """taskless=False spares only rows that could name a task and do not (an
    admin's reset-status); a lifecycle with no task column has none."""
    widgets('idle', 'building')
    assert recovery.recover(taskless=False) == 1
    assert _status() == {'idle': 'error'}
