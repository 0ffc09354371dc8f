"""Engine and transactions shared by every service.

Reads run in ordinary transactions. Writes run in `writer()`, which on SQLite
takes the database write lock up front (BEGIN IMMEDIATE) so that a transaction
never has to upgrade a read lock, the case SQLite answers with "database is
locked" at once instead of waiting. Within one process, SQLite writers queue on
a lock first, so a green thread never blocks the hub waiting in SQLite's busy
handler for a lock another green thread of the same process holds; a lock
another process holds is waited for in time.sleep() steps (green under
eventlet), not in SQLite's busy handler, so the rest of the process runs. PostgreSQL
writers take no such lock: they rely on row locks and conditional updates, and
under eventlet psycopg2 waits for the server green, so a writer waiting for a
row lock lets the rest of its process run.

A writer() opened inside another one in the same (green) thread joins it as a
savepoint: its work commits with the outer transaction, and an error inside it
rolls back only its own part. It never waits for the outer one's locks.
"""
import contextlib
import os
import sqlite3
import threading
import time
import weakref

import greenlet
import sqlalchemy as sa
from sqlalchemy import event, orm

from cloudstack.conf import CONF

_engine = None
_sessionmaker = None
_write_sessionmaker = None
_engine_pid = None
_write_lock = threading.Lock()
_writers = weakref.WeakKeyDictionary()    # green thread -> its open writer session
WRITE_LOCK_RETRY = 0.001    # seconds between attempts at another process's SQLite write lock


def database_url():
    return CONF.database.connection or 'sqlite:///%s' % os.path.join(
        CONF.data_dir, 'cloudstack.db')


def _sqlite_engine(url):
    engine = sa.create_engine(url, connect_args={'check_same_thread': False},
                              poolclass=sa.pool.QueuePool, pool_size=8,
                              max_overflow=32)
    busy_ms = CONF.database.busy_timeout * 1000

    @event.listens_for(engine, 'connect')
    def on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None   # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute('PRAGMA journal_mode=WAL')
        cur.execute('PRAGMA synchronous=NORMAL')
        cur.execute('PRAGMA foreign_keys=ON')
        cur.execute('PRAGMA busy_timeout=%d' % busy_ms)
        cur.close()

    @event.listens_for(engine, 'begin')
    def on_begin(conn):
        if conn.get_execution_options().get('cloudstack_write'):
            _begin_immediate(conn.connection.dbapi_connection, busy_ms)
        else:
            conn.exec_driver_sql('BEGIN')

    return engine


def _begin_immediate(dbapi_conn, busy_ms):
    """BEGIN IMMEDIATE, waiting up to busy_ms for the write lock in sleeps of
    our own: SQLite's busy handler would block the whole (eventlet) process."""
    deadline = time.monotonic() + busy_ms / 1000.0
    cur = dbapi_conn.cursor()
    try:
        cur.execute('PRAGMA busy_timeout=0')
        try:
            while True:
                try:
                    cur.execute('BEGIN IMMEDIATE')
                    return
                except sqlite3.OperationalError as exc:
                    if 'locked' not in str(exc) and 'busy' not in str(exc) or \
                            time.monotonic() >= deadline:
                        # as SQLAlchemy raises what a statement raised
                        raise sa.exc.OperationalError('BEGIN IMMEDIATE', (), exc) from exc
                time.sleep(WRITE_LOCK_RETRY)
        finally:
            cur.execute('PRAGMA busy_timeout=%d' % busy_ms)
    finally:
        cur.close()


def get_engine():
    global _engine, _sessionmaker, _write_sessionmaker, _engine_pid
    if _engine is not None and _engine_pid == os.getpid():
        return _engine
    if _engine is not None:
        # Forked: the parent's pooled connections are not ours to use.
        _engine.dispose(close=False)
    url = database_url()
    if url.startswith('sqlite'):
        _engine = _sqlite_engine(url)
    else:
        _green_psycopg2()
        _engine = sa.create_engine(url, pool_pre_ping=True, pool_size=8,
                                   max_overflow=32)
    _engine_pid = os.getpid()
    _sessionmaker = orm.sessionmaker(bind=_engine, expire_on_commit=False)
    _write_sessionmaker = orm.sessionmaker(
        bind=_engine.execution_options(cloudstack_write=True),
        expire_on_commit=False)
    return _engine


def _green_psycopg2():
    """Under eventlet, let psycopg2 wait for the server in the hub, not the process."""
    from eventlet import patcher
    if patcher.is_monkey_patched('socket'):
        from eventlet.support import psycopg2_patcher
        psycopg2_patcher.make_psycopg_green()


def reset():
    """Forget the engine, e.g. after the configuration changed."""
    global _engine, _engine_pid
    if _engine is not None:
        _engine.dispose()
    _engine = _engine_pid = None


def is_sqlite():
    return get_engine().dialect.name == 'sqlite'


@contextlib.contextmanager
def reader():
    """A session for reads; nothing it does is committed."""
    get_engine()
    session = _sessionmaker()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def read_first(statement, params=None):
    """The first row of one read statement, or None: Core on a pooled
    connection, no ORM session (for hot paths; the row is read-only)."""
    with get_engine().connect() as conn:
        return conn.execute(statement, params or {}).first()


def attribute_columns(model):
    """A model's columns labelled with their attribute names (`meta` rather
    than the column's name), so Core rows read like the model's objects."""
    return [column.label(attr.key) for attr in sa.inspect(model).column_attrs
            for column in attr.columns]


def in_writer():
    """Whether this (green) thread is inside a writer() block."""
    return greenlet.getcurrent() in _writers


@contextlib.contextmanager
def writer():
    """A session whose work is committed when the block ends without error."""
    me = greenlet.getcurrent()
    outer = _writers.get(me)
    if outer is not None:
        with outer.begin_nested():
            yield outer
        return
    get_engine()
    with _write_lock if _engine.dialect.name == 'sqlite' else contextlib.nullcontext():
        session = _write_sessionmaker()
        _writers[me] = session
        try:
            yield session
            del _writers[me]        # what runs on commit writes on its own
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            _writers.pop(me, None)
            session.close()
