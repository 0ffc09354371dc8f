"""Real cloudstack processes on a free loopback port, with a temp data dir.

The database is SQLite in that data dir, or PostgreSQL at
$CLOUDSTACK_FUNCTIONAL_PG_URL (tools/run-tests.sh) or $CLOUDSTACK_TEST_DB_URL,
emptied before each test: e.g. postgresql:///cstest?host=/var/run/postgresql.
"""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest
import requests
import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.db import api as db_api

BIN = os.path.dirname(sys.executable)
DB_URL = (os.environ.get('CLOUDSTACK_FUNCTIONAL_PG_URL')
          or os.environ.get('CLOUDSTACK_TEST_DB_URL'))


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _stat(pid):
    """(name, state, parent pid) of a process, from /proc."""
    with open('/proc/%s/stat' % pid) as f:
        stat = f.read()
    name, _, rest = stat[stat.index('(') + 1:].rpartition(')')
    state, ppid = rest.split()[:2]
    return name, state, int(ppid)


class Cloud:
    """One data dir, config file and port; starts the cloudstack commands on them."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.data_dir = str(tmp_path / 'data')
        self.lib = tmp_path / 'lib'             # on PYTHONPATH: test handler modules
        self.lib.mkdir()
        self.config = tmp_path / 'cloudstack.conf'
        self.options = {
            'DEFAULT': {'data_dir': self.data_dir, 'workers': 2,
                        'graceful_shutdown_timeout': 10},
            'engine': {'task_poll_interval': 0.5},
            'dashboard': {'enabled': False},     # Horizon's load where a test asks
        }
        if DB_URL:
            self.options['database'] = {'connection': DB_URL}
        self.procs = []
        self.rebind()

    def rebind(self):
        """Listen on a new free port from the next start on."""
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.options['DEFAULT']['bind'] = '127.0.0.1:%d' % self.port

    @staticmethod
    def wait_for(predicate, timeout=60.0, interval=0.01):
        """Poll `predicate` until it returns something true; return that.
        (The timeout only catches a hang: a loaded machine is slow.)"""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            assert time.monotonic() < deadline, 'timed out waiting for %s' % predicate
            time.sleep(interval)

    @staticmethod
    def children(pid):
        """{pid: name} of the live (not zombie) children of `pid`."""
        found = {}
        for entry in filter(str.isdigit, os.listdir('/proc')):
            with contextlib.suppress(OSError):
                name, state, ppid = _stat(entry)
                if ppid == pid and state != 'Z':
                    found[int(entry)] = name
        return found

    @staticmethod
    def alive(pid):
        try:
            return _stat(pid)[1] != 'Z'
        except OSError:
            return False

    def family(self, proc, count=3):
        """{pid: name} of `proc`'s children, once there are `count` of them."""
        return self.wait_for(lambda: len(self.children(proc.pid)) == count
                             and self.children(proc.pid))

    def module(self, name, source):
        (self.lib / (name + '.py')).write_text(textwrap.dedent(source))

    def plugin(self, name, source, group='cloudstack.tasks', attr=None):
        """Module `name`, installed (on the cloud's PYTHONPATH) as a
        distribution whose entry point `name` in `group` loads it (or its
        `attr`): e.g. task handlers, or a driver class."""
        self.module(name, source)
        info = self.lib / ('%s-0.dist-info' % name)
        info.mkdir(exist_ok=True)
        (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: %s\nVersion: 0\n' % name)
        (info / 'entry_points.txt').write_text('[%s]\n%s = %s%s\n' % (
            group, name, name, ':' + attr if attr else ''))
        import importlib
        import sys
        if str(self.lib) not in sys.path:       # this test process enqueues by name too
            sys.path.insert(0, str(self.lib))
        importlib.invalidate_caches()

    def _command(self, command, args, config=None):
        self.config.write_text(''.join(
            '[%s]\n%s\n' % (group, ''.join('%s = %s\n' % kv for kv in opts.items()))
            for group, opts in self.options.items()))
        return [os.path.join(BIN, command), '--config-file', str(config or self.config), *args]

    def _env(self, extra=None):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(self.lib), os.environ.get('PYTHONPATH')])))
        env.pop('CLOUDSTACK_ADMIN_PASSWORD', None)
        env.update(extra or {})
        return env

    def start(self, command='cloudstack-all', *args, config=None, env=None):
        """Start a command; its output goes to <tmp>/<command>.log."""
        with open(self.tmp / (command + '.log'), 'ab') as log:
            proc = subprocess.Popen(self._command(command, args, config), env=self._env(env),
                                    stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def run(self, command, *args):
        return subprocess.run(self._command(command, args), env=self._env(), check=True,
                              capture_output=True, text=True, timeout=60)

    def get(self, path, **kwargs):
        return requests.get(self.url + path, timeout=kwargs.pop('timeout', 5), **kwargs)

    def ready(self, path='/healthcheck', timeout=120):
        # A start takes seconds on an idle machine, but several times that
        # on CI's two cores shared with other clouds: only a hang fails here.
        def ok():
            try:
                return self.get(path, timeout=1).status_code == 200
            except requests.RequestException:
                return False
        self.wait_for(ok, timeout)

    def log(self, command='cloudstack-all'):
        path = self.tmp / (command + '.log')
        return path.read_text() if path.exists() else ''

    def use_database(self):
        """Point this test process's CONF at the cloud's database."""
        CONF.set_override('data_dir', self.data_dir)
        CONF.set_override('connection', self.options.get('database', {}).get('connection'),
                          group='database')
        db_api.reset()

    def kill_tree(self, proc):
        """kill -9 `proc` and then its children, as a power cut would."""
        kids = self.children(proc.pid)
        proc.kill()
        proc.wait()
        for pid in kids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.wait_for(lambda: not any(self.alive(pid) for pid in kids))

    def titles(self, pids):
        """{pid: its title in ps (the command line setproctitle set)}."""
        found = {}
        for pid in pids:
            with contextlib.suppress(OSError):
                with open('/proc/%d/cmdline' % pid, 'rb') as f:
                    found[pid] = f.read().replace(b'\0', b' ').decode().strip()
        return found

    def kill_all(self):
        for proc in self.procs:
            if proc.poll() is None:
                self.kill_tree(proc)


def crash_and_restart(cloud, proc, midway, *args, before_restart=None, timeout=60):
    """Wait until `midway()` holds (the work is in flight), kill -9 the whole
    tree of `proc` as a power cut would, run `before_restart()`, and start
    cloudstack-all again with `args`; the new process, once it is up."""
    cloud.wait_for(midway, timeout=timeout, interval=0.1)
    cloud.kill_tree(proc)
    if before_restart is not None:
        before_restart()
    proc = cloud.start('cloudstack-all', *args)
    cloud.ready()
    return proc


def _empty(url):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text('DROP SCHEMA public CASCADE'))
        conn.execute(sa.text('CREATE SCHEMA public'))
    engine.dispose()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that ran a cloud reports the end of each command's log."""
    report = (yield).get_result()
    found = item.funcargs.get('cloud') if report.failed else None
    if isinstance(found, Cloud):
        for path in sorted(found.tmp.glob('*.log')):
            tail = path.read_text(errors='replace').splitlines()[-LOG_TAIL:]
            report.sections.append(('%s (last %d lines)' % (path.name, LOG_TAIL),
                                    '\n'.join(tail)))


LOG_TAIL = 60


@pytest.fixture
def cloud(tmp_path):
    if DB_URL:
        _empty(DB_URL)
    cloud = Cloud(tmp_path)
    yield cloud
    cloud.kill_all()
    if str(cloud.lib) in sys.path:
        sys.path.remove(str(cloud.lib))
    CONF.clear_override('data_dir')
    CONF.clear_override('connection', group='database')
    db_api.reset()


# --- RabbitMQ ---------------------------------------------------------------

RABBITMQ_BIN = '/usr/lib/rabbitmq/bin'      # Debian's rabbitmq-server, run as whoever we are


@pytest.fixture(scope='session')
def rabbitmq(tmp_path_factory):
    """A RabbitMQ node of this test run's own (node name, ports, data), for the
    session; its transport URL."""
    server = os.path.join(RABBITMQ_BIN, 'rabbitmq-server')
    if not os.access(server, os.X_OK):
        pytest.skip('needs RabbitMQ: the Debian package rabbitmq-server is not installed')
    base = tmp_path_factory.mktemp('rabbitmq')
    (base / 'enabled_plugins').write_text('[].\n')
    port, dist = free_port(), free_port()
    node = 'cs-test-%d@localhost' % port
    env = dict(os.environ, HOME=str(base), RABBITMQ_NODENAME=node,
               RABBITMQ_NODE_IP_ADDRESS='127.0.0.1', RABBITMQ_NODE_PORT=str(port),
               RABBITMQ_DIST_PORT=str(dist), RABBITMQ_MNESIA_BASE=str(base / 'mnesia'),
               RABBITMQ_LOG_BASE=str(base / 'log'), RABBITMQ_PID_FILE=str(base / 'pid'),
               RABBITMQ_ENABLED_PLUGINS_FILE=str(base / 'enabled_plugins'),
               RABBITMQ_CONFIG_FILE=str(base / 'rabbitmq'))
    ctl = [os.path.join(RABBITMQ_BIN, 'rabbitmqctl'), '-n', node]
    subprocess.run([server, '-detached'], env=env, check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Waits for the node to write its pid file, then for RabbitMQ to be up.
        subprocess.run(ctl + ['wait', str(base / 'pid'), '--timeout', '180'], env=env,
                       check=True, timeout=200, capture_output=True)
        yield 'rabbit://guest:guest@127.0.0.1:%d/' % port
    finally:
        subprocess.run(ctl + ['stop'], env=env, timeout=60, capture_output=True)


# --- Object Storage ---------------------------------------------------------

ADMIN_PASSWORD = 'functional-pw'


def keystone_session(cloud, password=ADMIN_PASSWORD):
    """A keystoneauth1 session of the admin on a running Cloud, as every
    OpenStack client makes one: it discovers the Identity version from the
    unversioned URL, authenticates, and finds endpoints in the catalog."""
    from keystoneauth1.identity import v3
    from keystoneauth1 import session
    auth = v3.Password(auth_url=cloud.url + '/identity', username='admin',
                       password=password, user_domain_id='default',
                       project_name='admin', project_domain_id='default')
    return session.Session(auth=auth, timeout=30)


class Swift:
    """The admin project's Object Storage account on a running Cloud, over
    HTTP with a Keystone token (start the cloud with
    '--admin-password', ADMIN_PASSWORD)."""

    def __init__(self, cloud, password=ADMIN_PASSWORD):
        cloud.ready('/identity/v3')
        session = keystone_session(cloud, password)
        self.token = session.get_token()
        self.url = session.get_endpoint(service_type='object-store', interface='public')
        self.account = self.url.rsplit('/', 1)[1]

    def request(self, method, path='', headers=None, timeout=30, **kwargs):
        headers = dict(headers or {}, **{'X-Auth-Token': self.token})
        return requests.request(method, self.url + path, headers=headers,
                                timeout=timeout, **kwargs)

    def names(self, container):
        resp = self.request('GET', '/' + container, params={'format': 'json'})
        assert resp.status_code == 200, resp.text
        return [o['name'] for o in resp.json()]


def run_task(cloud, name, timeout=60, host=None):
    """Queue the task (e.g. a periodic one, by its registered name) as the
    engine's schedule does, wait until the cloud's engine has run it; its result."""
    from cloudstack.tasks import queue
    cloud.use_database()
    queue.load_modules()
    spec = queue.periodics.get(name)
    role = spec.role if spec else None
    if spec and spec.per_host:
        host = host or CONF.host
    task_id = queue.enqueue(None, name, role=role, host=host, max_attempts=1)
    task = cloud.wait_for(lambda: (lambda t: t.state in ('done', 'failed') and t)(
        queue.get(task_id)), timeout=timeout, interval=0.1)
    assert task.state == 'done', task.error
    return task.result


def periodics_ran(cloud, *names, timeout=120):
    """Wait until the engine has run the periodic tasks `names` (every engine
    schedules each periodic task when it starts; a per-host one for its host)."""
    from cloudstack.tasks import models, queue
    cloud.use_database()
    queue.load_modules()
    keys = [queue.periodic_key(name, CONF.host if queue.periodics[name].per_host else None)
            for name in names]

    def schedule():
        with db_api.reader() as s:
            return s.execute(sa.select(models.Periodic.name, models.Task.state).outerjoin(
                models.Task, models.Task.id == models.Periodic.task_id)).all()

    def ran():
        return sum(1 for key, state in schedule()
                   if key in keys and state in ('done', 'failed')) == len(names)
    try:
        cloud.wait_for(ran, timeout=timeout, interval=0.1)
    except AssertionError:
        roles = [line for line in cloud.log().splitlines()
                 if 'cloudstack.tasks' in line and ('engine' in line or 'failed' in line)]
        raise AssertionError('periodic tasks %s did not run; the schedule: %s; the engine '
                             'said: %s' % (keys, schedule(), roles[-20:])) from None


def rss(pid):
    """Resident set size of a process, in bytes (0 once it is gone)."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
