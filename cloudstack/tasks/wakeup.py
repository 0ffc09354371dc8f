"""Wake-ups: a short message on a named channel to the processes listening on it.

Engines listen on the channels of the tasks they may claim (`task_channel`),
and a process waiting in tasks.call() on a channel of its own for its results.
A wake-up carries at most a short payload (a task id); the listener looks in
the database for the rest, and an engine that misses one finds the work at its
next poll anyway. The carrier depends on the deployment:

- PostgreSQL: NOTIFY, sent inside the writing transaction and so delivered at
  its commit (never for a rollback), to listeners on every host;
- otherwise, unix datagram sockets in <data_dir>/wake, sent after the commit:
  listeners on this host only (one host is what SQLite serves anyway);
- with a message bus (transport_url) and no PostgreSQL, a fanout on the bus
  (cloudstack.tasks.messaging).
"""
import collections
import contextlib
import errno
import hashlib
import itertools
import logging
import os

import eventlet
import sqlalchemy as sa
from eventlet.green import select
from eventlet.green import socket
from sqlalchemy import event, orm

from cloudstack.conf import CONF
from cloudstack.db import api as db_api

LOG = logging.getLogger(__name__)
_PENDING = 'cloudstack.wakeup.pending'      # session.info: wake-ups sent at commit


def task_channel(role=None, host=None):
    """The channel that announces tasks for any engine, a role, or a role on a host."""
    return '.'.join(['tasks'] + [p for p in (role, host) if p])


def _digest(channel):
    return hashlib.sha1(channel.encode()).hexdigest()[:20]


def send(channel, payload='', session=None):
    """Wake the listeners of `channel`: when `session` (a writer's) commits, or now."""
    _carrier().send(channel, payload, session)


def listen(channel, callback):
    """Call `callback(payload)` in a green thread for each wake-up on `channel`
    until the returned handle is closed. Listening has begun when this returns."""
    return _carrier().listen(channel, callback)


_carriers = {}


def _carrier():
    key = (os.getpid(), db_api.database_url(), CONF.data_dir, CONF.transport_url)
    carrier = _carriers.get(key)
    if carrier is None:
        _carriers.clear()       # another process's, or the configuration changed
        if not db_api.is_sqlite() and db_api.get_engine().dialect.name == 'postgresql':
            carrier = PostgresCarrier()
        elif CONF.transport_url:
            from cloudstack.tasks import messaging
            carrier = messaging.BusCarrier()
        else:
            carrier = SocketCarrier()
        _carriers[key] = carrier
    return carrier


def reset():
    """Stop listening and forget the carriers (tests, a changed configuration)."""
    for carrier in _carriers.values():
        carrier.close()
    _carriers.clear()


class _Handle:
    def __init__(self, close):
        self.close = close


class _Carrier:
    """Wake-ups queued on a session go out once it commits (see _after_commit)."""

    def send(self, channel, payload, session):
        if session is None:
            self.send_now([(channel, payload)])
        else:
            session.info.setdefault(_PENDING, []).append((channel, payload))

    def send_now(self, messages):
        raise NotImplementedError

    def listen(self, channel, callback):
        raise NotImplementedError

    def close(self):
        pass


@event.listens_for(orm.Session, 'after_commit')
def _after_commit(session):
    messages = session.info.pop(_PENDING, None)
    if messages:
        try:
            _carrier().send_now(messages)
        except Exception:       # a wake-up is a hint; the poll finds the work
            LOG.exception('sending wake-ups failed')


@event.listens_for(orm.Session, 'after_rollback')
def _after_rollback(session):
    session.info.pop(_PENDING, None)


class SocketCarrier(_Carrier):
    """Unix datagram sockets named <digest of channel>.<pid>.<n> in data_dir/wake."""

    def __init__(self):
        self.dir = os.path.join(CONF.data_dir, 'wake')
        self._numbers = itertools.count()

    def send_now(self, messages):
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            for channel, payload in messages:
                prefix = _digest(channel) + '.'
                for name in names:
                    if name.startswith(prefix):
                        self._send(sock, os.path.join(self.dir, name), payload)

    @staticmethod
    def _send(sock, path, payload):
        try:
            sock.sendto(payload.encode(), path)
        except (ConnectionRefusedError, FileNotFoundError):
            with contextlib.suppress(OSError):
                os.unlink(path)     # its listener died without cleaning up
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ENOBUFS):
                raise               # a full socket: its listener is awake already

    def listen(self, channel, callback):
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        path = os.path.join(self.dir, '%s.%d.%d' % (
            _digest(channel), os.getpid(), next(self._numbers)))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)

        def receive():
            while True:
                try:
                    payload = sock.recv(256).decode()
                except OSError:
                    return
                try:
                    callback(payload)
                except Exception:
                    LOG.exception('wake-up callback for %s failed', channel)

        reader = eventlet.spawn(receive)

        def close():
            reader.kill()
            sock.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        return _Handle(close)


class PostgresCarrier(_Carrier):
    """NOTIFY in the transaction; one LISTENing connection per process, read by
    one green thread, which alone touches that connection."""

    def __init__(self):
        self.callbacks = collections.defaultdict(list)     # pg channel -> callbacks
        self.conn = None
        self.changes = []               # (LISTEN or UNLISTEN, pg channel, Event)
        self.kick_r = self.kick_w = None
        self.reader = None

    @staticmethod
    def _pg_name(channel):
        return 'cs_' + _digest(channel)

    def send(self, channel, payload, session):
        if session is None:
            with db_api.get_engine().connect() as conn:
                conn.execute(sa.select(sa.func.pg_notify(self._pg_name(channel), payload)))
                conn.commit()
        else:
            session.execute(sa.select(sa.func.pg_notify(self._pg_name(channel), payload)))

    def send_now(self, messages):
        for channel, payload in messages:
            self.send(channel, payload, None)

    def listen(self, channel, callback):
        name = self._pg_name(channel)
        if self.reader is None:
            self._start()
        entry = (callback,)
        self.callbacks[name].append(entry)
        if len(self.callbacks[name]) == 1:
            self._change('LISTEN', name)

        def close():
            entries = self.callbacks.get(name, [])
            if entry in entries:
                entries.remove(entry)
                if not entries and self.reader is not None:
                    del self.callbacks[name]
                    self._change('UNLISTEN', name, wait=False)
        return _Handle(close)

    def _start(self):
        self.kick_r, self.kick_w = os.pipe()
        os.set_blocking(self.kick_r, False)
        self.reader = eventlet.spawn(self._read)

    def _change(self, verb, name, wait=True):
        done = eventlet.Event()
        self.changes.append((verb, name, done))
        os.write(self.kick_w, b'\0')
        if wait:
            done.wait()

    def _connect(self):
        raw = db_api.get_engine().raw_connection()
        conn = raw.driver_connection
        raw.detach()            # ours for good, not the pool's
        conn.rollback()
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in list(self.callbacks):
                cur.execute('LISTEN %s' % name)
        return conn

    def _read(self):
        """Listen until closed; a lost connection is made again (and every
        listener woken, as it may have missed something meanwhile)."""
        while True:
            try:
                self.conn = self._connect()
                self._serve()
            except Exception as exc:
                LOG.warning('the database connection for wake-ups failed (%s); '
                            'reconnecting', exc)
                with contextlib.suppress(Exception):
                    self.conn.close()
                eventlet.sleep(1.0)
                for entries in list(self.callbacks.values()):
                    for (callback,) in list(entries):
                        with contextlib.suppress(Exception):
                            callback('')

    def _serve(self):
        fd = self.conn.fileno()
        while True:
            while self.changes:
                verb, name, done = self.changes[0]
                with self.conn.cursor() as cur:
                    cur.execute('%s %s' % (verb, name))
                self.changes.pop(0)
                done.send()
            readable, _, _ = select.select([fd, self.kick_r], [], [])
            if self.kick_r in readable:
                with contextlib.suppress(BlockingIOError):
                    os.read(self.kick_r, 512)
            if fd in readable:
                self.conn.poll()
            notifies, self.conn.notifies[:] = list(self.conn.notifies), []
            for note in notifies:
                for (callback,) in list(self.callbacks.get(note.channel, ())):
                    try:
                        callback(note.payload)
                    except Exception:
                        LOG.exception('wake-up callback for %s failed', note.channel)

    def close(self):
        if self.reader is not None:
            self.reader.kill()
            self.reader = None
            os.close(self.kick_r)
            os.close(self.kick_w)
            with contextlib.suppress(Exception):
                self.conn.close()
