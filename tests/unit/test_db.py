"""The database layer: migrations and concurrent writers."""
import multiprocessing
import uuid

import pytest
import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.db import migration
from cloudstack.identity import models
from tests.conftest import PG_URL


def test_a_new_database_gets_the_models_schema_at_the_newest_revision(db):
    assert migration.current() == migration.head()
    assert migration.differences() == []


@pytest.fixture
def empty_database(conf):
    """An empty database: SQLite's is a new file; on PostgreSQL a new schema
    of the test database, first on the connection's search path."""
    if db_api.is_sqlite():
        yield
        return
    schema = 'migrate_%s' % uuid.uuid4().hex[:12]
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text('CREATE SCHEMA %s' % schema))
    url = sa.engine.make_url(conf.database.connection).update_query_dict(
        {'options': '-csearch_path=%s' % schema})
    conf.set_override('connection', url.render_as_string(hide_password=False),
                      group='database')
    db_api.reset()
    try:
        yield
    finally:
        db_api.reset()
        conf.set_override('connection', PG_URL, group='database')
        with db_api.get_engine().begin() as conn:
            conn.execute(sa.text('DROP SCHEMA %s CASCADE' % schema))


def test_migrations_create_exactly_the_models(empty_database):
    assert migration.current() is None
    migration.upgrade()
    assert migration.current() == migration.head()
    assert migration.differences() == []


def test_migrating_image_locations_keeps_every_location(empty_database):
    """0009 rebuilds image_locations (new primary key): rows written before stay."""
    migration.upgrade('0008')
    now = '2026-01-01 00:00:00'
    with db_api.get_engine().begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO images (id, status, visibility, protected, os_hidden, min_disk, "
            "min_ram, created_at, updated_at) VALUES ('i1', 'active', 'shared', false, "
            "false, 0, 0, :now, :now)"), {'now': now})
        conn.execute(sa.text(
            "INSERT INTO image_locations (image_id, store, url, created_at) VALUES "
            "('i1', 'file', 'file:///a', :now), ('i1', 'objects', 'swift://b', :now)"),
            {'now': now})
    migration.upgrade()
    with db_api.get_engine().begin() as conn:
        rows = conn.execute(sa.text(
            'SELECT image_id, store, url, meta FROM image_locations ORDER BY id')).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ('i1', 'file', 'file:///a'), ('i1', 'objects', 'swift://b')]
    assert all(r[3] in ({}, '{}') for r in rows)


def test_migration_files_are_named_after_a_linear_revision_sequence():
    """head() reads the newest revision from the file names."""
    import ast
    import os
    files = sorted(f for f in os.listdir(migration.VERSIONS) if f.endswith('.py'))
    previous = None
    for name in files:
        tree = ast.parse(open(os.path.join(migration.VERSIONS, name)).read())
        values = {t.id: ast.literal_eval(node.value) for node in tree.body
                  if isinstance(node, ast.Assign) for t in node.targets}
        assert values['revision'] == name.split('_', 1)[0], name
        assert values['down_revision'] == previous, name
        previous = values['revision']
    assert previous == migration.head()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db):
    if not db_api.is_sqlite():
        pytest.skip('SQLite pragmas; this run uses PostgreSQL')
    with db_api.reader() as s:
        assert s.execute(sa.text('PRAGMA journal_mode')).scalar() == 'wal'
        assert s.execute(sa.text('PRAGMA foreign_keys')).scalar() == 1


def test_writer_commits_and_rolls_back(db):
    with db_api.writer() as s:
        s.add(models.Revision(id=1, value=5))
    with pytest.raises(RuntimeError):
        with db_api.writer() as s:
            s.get(models.Revision, 1).value = 99
            raise RuntimeError('abort')
    with db_api.reader() as s:
        assert s.get(models.Revision, 1).value == 5


def _increment(n, ready):
    db_api.reset()
    ready.wait()
    for _ in range(n):
        with db_api.writer() as s:
            # read-modify-write: SQLite serialises writers; PostgreSQL needs the
            # row lock, as every such write in the code takes one.
            row = s.get(models.Revision, 1, with_for_update=True)
            row.value = row.value + 1
        with db_api.reader() as s:
            s.get(models.Revision, 1)


def test_concurrent_writers_in_many_processes_neither_fail_nor_lose_updates(db):
    with db_api.writer() as s:
        s.add(models.Revision(id=1, value=0))
    ctx = multiprocessing.get_context('fork')
    ready = ctx.Event()
    procs = [ctx.Process(target=_increment, args=(150, ready)) for _ in range(4)]
    for p in procs:
        p.start()
    ready.set()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    db_api.reset()
    with db_api.reader() as s:
        assert s.get(models.Revision, 1).value == 600


def _hold_write_lock():
    """Another connection (as another process would) holding the write lock."""
    import sqlite3
    other = sqlite3.connect(db_api.get_engine().url.database, isolation_level=None,
                            check_same_thread=False)
    other.execute('BEGIN IMMEDIATE')
    return other


def test_a_sqlite_writer_waits_for_another_connections_write_lock(db):
    if not db_api.is_sqlite():
        pytest.skip('the SQLite write lock; this run uses PostgreSQL')
    import threading
    other = _hold_write_lock()
    released = []

    def release():
        released.append(True)
        other.execute('COMMIT')
    threading.Timer(0.3, release).start()
    with db_api.writer() as s:
        s.execute(sa.text('SELECT 1'))      # begins: takes the write lock
        assert released, 'the writer began while another connection held the write lock'
        s.add(models.Revision(id=7, value=1))
    other.close()
    with db_api.reader() as s:
        assert s.get(models.Revision, 7).value == 1


def test_a_sqlite_writer_gives_up_after_busy_timeout(db, override):
    if not db_api.is_sqlite():
        pytest.skip('the SQLite write lock; this run uses PostgreSQL')
    override('busy_timeout', 1, 'database')
    db_api.reset()
    other = _hold_write_lock()
    try:
        with pytest.raises(sa.exc.OperationalError, match='locked'):
            with db_api.writer() as s:
                s.add(models.Revision(id=8, value=1))
    finally:
        other.execute('ROLLBACK')
        other.close()
    with db_api.writer() as s:      # the connection went back to its pool usable
        s.add(models.Revision(id=8, value=2))
    with db_api.reader() as s:
        assert s.get(models.Revision, 8).value == 2
        assert s.execute(sa.text('PRAGMA busy_timeout')).scalar() == 1000
    db_api.reset()      # the next test's engine waits [database] busy_timeout again


def test_a_green_thread_waiting_for_the_sqlite_write_lock_lets_the_others_run(
        db, monkeypatch):
    if not db_api.is_sqlite():
        pytest.skip('the SQLite write lock; this run uses PostgreSQL')
    import eventlet
    import time
    monkeypatch.setattr(time, 'sleep', eventlet.sleep)     # as under monkey patching
    other = _hold_write_lock()
    wrote = []

    def write():
        with db_api.writer() as s:
            s.add(models.Revision(id=9, value=1))
        wrote.append(True)
    writer = eventlet.spawn(write)
    ticks = 0
    for _ in range(20):
        eventlet.sleep(0.005)
        ticks += 1
    assert ticks == 20 and not wrote
    other.execute('COMMIT')
    other.close()
    writer.wait()
    assert wrote
