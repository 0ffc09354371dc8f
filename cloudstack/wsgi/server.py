"""The process tree: a parent, API workers sharing its socket, one engine.

`ps` tells them apart (setproctitle), as OpenStack's services do:
"cloudstack-all: parent process [...]", "cloudstack-all: api worker 2",
"cloudstack-all: engine (host h1: compute, network, ...)"; top shows the
short names cs-api-N and cs-engine.

The parent binds the socket and loads the app before it forks, so workers
start ready to serve. It then only waits for signals: SIGCHLD restarts a
child that died (after a backoff if it keeps dying), SIGTERM or SIGINT stops
every child and, once all are gone, the parent returns 0. A child also stops
when the parent disappears (it holds a pipe whose other end only the parent
keeps open), so a kill -9 of the parent leaves nothing behind.
"""
import contextlib
import functools
import gc
import logging
import os
import re
import signal
import socket
import sys
import time

import eventlet
import eventlet.tpool
import eventlet.wsgi

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.tasks import engine as task_engine

LOG = logging.getLogger(__name__)
ACCESS_LOG = logging.getLogger('cloudstack.access')
ACCESS_FORMAT = ('%(client_ip)s "%(request_line)s" status: %(status_code)s '
                 'len: %(body_length)s time: %(wall_seconds).4f')

SIGNALS = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}
# A child that dies is restarted after BACKOFF seconds, doubled each time in a
# row it died within QUICK seconds of its start, up to MAX_BACKOFF.
BACKOFF, QUICK, MAX_BACKOFF = 0.1, 10.0, 10.0
KILL_GRACE = 5.0    # after graceful_shutdown_timeout, stragglers get SIGKILL

# Functions each API worker calls once as it starts serving (after the fork),
# e.g. to spawn a green thread of background work of its own.
_worker_start = []


def at_worker_start(func):
    """Have every API worker of this process tree call `func()` as it starts
    (registered before the fork, e.g. by an app factory); returns `func`."""
    if func not in _worker_start:
        _worker_start.append(func)
    return func


class _Redact(logging.Filter):
    """Hide query parameters that carry secrets (temp_url_sig, tokens...)."""
    SECRET = re.compile(r'([?&][^=&\s]*(?:sig|token|password|secret)[^=&\s]*)=[^&\s"]*',
                        re.IGNORECASE)

    def filter(self, record):
        record.msg = self.SECRET.sub(r'\1=***', str(record.msg))
        return True


ACCESS_LOG.addFilter(_Redact())


def listen(bind):
    """A listening socket for 'host:port' ('[v6addr]:port' for IPv6)."""
    host, _, port = bind.rpartition(':')
    host = host.strip('[]') or '0.0.0.0'
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    return eventlet.listen((host, int(port)), family, backlog=socket.SOMAXCONN,
                           reuse_port=False)


def on_stop(callback, parent_fd=None):
    """Call `callback` once, in a green thread, on SIGTERM or SIGINT, or when the
    parent dies (`parent_fd` reads EOF)."""
    called = []

    def watch(fd):
        eventlet.hubs.trampoline(fd, read=True)
        if not called:
            called.append(fd)
            callback()

    # Python writes each signal's number to this pipe; a green thread waits on it.
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    for signo in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signo, lambda *_: None)
    for fd in (r, parent_fd):
        if fd is not None:
            eventlet.spawn_n(watch, fd)


class TimedInput:
    """A request body whose every read must finish within `timeout` seconds,
    else RequestTimeout (408): a client that stops short of its
    Content-Length does not hold a green thread until the socket times out."""

    def __init__(self, raw, timeout):
        self.raw = raw
        self.timeout = timeout

    def _timed(self, method, *args):
        try:
            with eventlet.Timeout(self.timeout):
                return method(*args)
        except eventlet.Timeout:
            raise exception.RequestTimeout() from None

    def read(self, *args):
        return self._timed(self.raw.read, *args)

    def readline(self, *args):
        return self._timed(self.raw.readline, *args)

    def readlines(self, *args):
        return self._timed(self.raw.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b'')

    def __getattr__(self, name):
        return getattr(self.raw, name)


def _taking_turns(app):
    """`app`, yielding to the other green threads before each request, its
    body read within [DEFAULT] client_timeout.

    A request that never waits on the network runs without yielding, and on a
    keep-alive connection whose next request has already arrived, so would
    the next one: one client could keep a worker while the others wait."""
    timeout = CONF.client_timeout

    def turn_taking_app(environ, start_response):
        eventlet.sleep(0)
        if timeout:
            environ['wsgi.input'] = TimedInput(environ['wsgi.input'], timeout)
        return app(environ, start_response)
    return turn_taking_app


# environ: the request target as the client sent it (http.server collapses a
# leading '//' of the path: Swift's domain remap reads an object named '/x')
REQUEST_TARGET = 'cloudstack.request_target'


class _Protocol(eventlet.wsgi.HttpProtocol):
    """eventlet's protocol, with REQUEST_TARGET in the environ."""

    def parse_request(self):
        # http.server splits the request line with str.split(), which also
        # splits at U+0085 and U+00A0: bytes that raw UTF-8 in a target holds
        # (Swift's clients send names unquoted). They are parsed
        # percent-encoded: the same PATH_INFO.
        self.raw_requestline = self.raw_requestline.replace(
            b'\x85', b'%85').replace(b'\xa0', b'%A0')
        return super().parse_request()

    def get_environ(self):
        environ = super().get_environ()
        words = (self.requestline or '').split()
        if len(words) >= 2:
            environ[REQUEST_TARGET] = words[1]
        return environ


def serve(sock, app, parent_fd=None):
    """An API worker: serve until stopped, then let in-flight requests finish
    (up to graceful_shutdown_timeout) while idle connections are closed."""
    pool = eventlet.GreenPool(CONF.wsgi_pool_size)
    server = eventlet.spawn(
        eventlet.wsgi.server, sock, _taking_turns(app), custom_pool=pool, log=ACCESS_LOG,
        protocol=_Protocol,
        log_format=ACCESS_FORMAT, keepalive=CONF.keepalive_timeout or False,
        socket_timeout=CONF.client_socket_timeout or None, debug=False)
    for func in _worker_start:
        try:
            func()
        except Exception:
            LOG.exception('worker start hook %s failed', func)
    stopping = eventlet.Event()
    on_stop(stopping.send, parent_fd)
    stopping.wait()
    server.kill(SystemExit)     # eventlet.wsgi's way to stop accepting and drain
    sock.close()                # once every process has, connecting is refused
    with eventlet.Timeout(CONF.graceful_shutdown_timeout, False):
        server.wait()


def run_engine(parent_fd=None, roles=(None,), short='cs-engine', title='engine'):
    """The engine: run tasks until stopped, then finish or release them."""
    engine = task_engine.Engine(roles, binary=program())
    name_process(short, '%s (host %s: %s)' % (
        title, engine.host, ', '.join(r or 'host-less work' for r in roles)))
    on_stop(engine.stop, parent_fd)
    engine.run()


def program():
    return os.path.basename(sys.argv[0]) or 'cloudstack'


def name_process(short, title):
    """Show "<program>: <title>" in ps, and `short` in top and ps -e (Linux
    keeps 15 characters of it)."""
    import setproctitle
    setproctitle.setproctitle('%s: %s' % (program(), title))
    if short:
        with contextlib.suppress(OSError):
            with open('/proc/self/comm', 'w') as f:
                f.write(short[:15])


class _Child:
    def __init__(self, name, target):
        self.name, self.target = name, target
        self.pid = None
        self.started = 0.0
        self.quick_deaths = 0
        self.due = None         # when to restart it


class Launcher:
    """The parent of `workers` API workers on `sock` and, with `engine_roles`,
    an engine running those roles (None among them: the host-less work)."""

    def __init__(self, sock=None, app=None, workers=0, engine_roles=()):
        self.sock = sock
        self.children = [_Child('api-%d' % n, functools.partial(serve, sock, app))
                         for n in range(1, workers + 1)]
        if engine_roles:
            self.children.append(_Child('engine', functools.partial(
                run_engine, roles=tuple(engine_roles))))
        self.deadline = None    # set on stop: children alive then are killed
        self.killed = False
        self._pipe = None

    def run(self):
        """Run until told to stop and every child has exited; returns 0."""
        signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
        name_process(None, 'parent process [%s]' % ' '.join(sys.argv))
        eventlet.tpool.killall()    # its OS threads would not survive fork()
        # The loaded app lives as long as the processes: keep it out of every
        # collection (a full one stalls a worker for 100+ ms), and its pages
        # shared with the children.
        gc.freeze()
        self._pipe = os.pipe()
        for child in self.children:
            self._spawn(child)
        while self.deadline is None or any(c.pid for c in self.children):
            info = signal.sigtimedwait(SIGNALS, self._timeout())
            if info is not None and info.si_signo != signal.SIGCHLD:
                self._stop(info.si_signo)
            self._reap()
            now = time.monotonic()
            for child in self.children:
                if child.due is not None and child.due <= now:
                    self._spawn(child)
            if self.deadline is not None and now >= self.deadline and not self.killed:
                self._signal(signal.SIGKILL)
                self.killed = True
        LOG.info('stopped')
        return 0

    def _timeout(self):
        times = [c.due for c in self.children if c.due is not None]
        if self.deadline is not None and not self.killed:
            times.append(self.deadline)
        return max(min(times, default=time.monotonic() + 60) - time.monotonic(), 0)

    def _spawn(self, child):
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            child.pid, child.started, child.due = pid, time.monotonic(), None
            LOG.debug('started %s, pid %d', child.name, pid)
            return
        code = 1
        try:
            parent_end, own_end = self._pipe
            os.close(own_end)
            if child.name.startswith('api-'):
                name_process('cs-' + child.name, 'api worker %s' % child.name[4:])
            eventlet.hubs.use_hub()     # a hub of its own, not a copy of the parent's
            if child.name == 'engine' and self.sock is not None:
                self.sock.close()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
            child.target(parent_fd=parent_end)
            code = 0
        except Exception:
            LOG.exception('%s failed', child.name)
        finally:
            os._exit(code)

    def _reap(self):
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if not pid:
                return
            child = next((c for c in self.children if c.pid == pid), None)
            if child is None:
                continue
            child.pid = None
            code = os.waitstatus_to_exitcode(status)
            how = 'signal %d' % -code if code < 0 else 'status %d' % code
            if self.deadline is not None:
                LOG.debug('%s exited with %s', child.name, how)
                continue
            quick = time.monotonic() - child.started < QUICK
            child.quick_deaths = child.quick_deaths + 1 if quick else 0
            delay = min(BACKOFF * 2 ** child.quick_deaths, MAX_BACKOFF)
            child.due = time.monotonic() + delay
            LOG.warning('%s (pid %d) exited with %s; restarting it in %.1fs',
                        child.name, pid, how, delay)

    def _stop(self, signo):
        if self.deadline is not None:
            LOG.warning('signal %d again: killing the children now', signo)
            self.deadline = time.monotonic()
            return
        LOG.info('signal %d: stopping', signo)
        self.deadline = (time.monotonic() + CONF.graceful_shutdown_timeout
                         + KILL_GRACE)
        for child in self.children:
            child.due = None
        if self.sock is not None:
            self.sock.close()
        self._signal(signal.SIGTERM)

    def _signal(self, signo):
        for child in self.children:
            if child.pid:
                try:
                    os.kill(child.pid, signo)
                except ProcessLookupError:
                    pass
