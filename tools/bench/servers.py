"""Starting and stopping the servers the benchmarks compare.

The real Keystone runs from its own venv under gunicorn (SQLite, Fernet tokens,
dogpile in-memory cache); cloudstack runs as `cloudstack-all` (the real Swift:
swift_cluster.py). Each server gets its own process group, so stopping it ends
its workers too, and every server still alive is stopped when this process exits.
"""
import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

KEYSTONE_PACKAGES = ['keystone', 'gunicorn']
KEYSTONE_CONF = """\
[DEFAULT]
log_file = {workdir}/keystone.log
[database]
connection = sqlite:///{workdir}/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = {workdir}/fernet-keys
[fernet_receipts]
key_repository = {workdir}/fernet-receipts
[credential]
key_repository = {workdir}/credential-keys
[cache]
enabled = true
backend = dogpile.cache.memory
[identity]
password_hash_algorithm = bcrypt
password_hash_rounds = {bcrypt_rounds}
"""
# keystone parses sys.argv with oslo.config, which must not see gunicorn's arguments
KEYSTONE_WSGI_SHIM = """\
import sys
sys.argv = sys.argv[:1]
from keystone.wsgi.api import application  # noqa: E402,F401
"""

_live = []


class StartError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def run_step(argv, log_path, timeout):
    """Run a setup command, appending its output to log_path; raise StartError on failure."""
    with open(log_path, 'a') as log:
        log.write('$ %s\n' % ' '.join(argv))
        log.flush()
        try:
            rc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = 'timeout after %ss' % timeout
    if rc != 0:
        raise StartError('%s failed (%s); see %s:\n%s' % (
            os.path.basename(argv[0]), rc, log_path, tail(log_path)))


def tail(path, lines=15):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


class ServerProcess:
    """A server in its own session; `stop` signals the whole process group."""

    def __init__(self, name, argv, log_path, env=None):
        self.name, self.argv, self.log_path, self.env = name, argv, log_path, env
        self.proc = None
        self.started_at = None

    def start(self):
        log = open(self.log_path, 'a')
        self.started_at = time.perf_counter()
        try:
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=self.env,
                                         start_new_session=True)
        except OSError as exc:
            raise StartError('%s: cannot run %s: %s' % (self.name, self.argv[0], exc))
        finally:
            log.close()
        _live.append(self)
        return self

    def stop(self, timeout=15):
        if self.proc is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        self._signal_group(signal.SIGKILL)  # a hung parent, or workers that outlived it
        self.proc.wait()
        self.proc = None
        _live.remove(self)

    def _signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def start_and_time(self, auth_url, auth_body, timeout):
        """Start, and return the seconds to the first issued token; stopped again on failure."""
        self.start()
        try:
            return self.wait_for_token(auth_url, auth_body, timeout)
        except BaseException:
            self.stop()
            raise

    def cpu_seconds(self):
        """CPU time used so far by the live processes of this server's group."""
        total = 0
        for pid, fields in _proc_stats():
            if int(fields[2]) == self.proc.pid:  # process group
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / os.sysconf('SC_CLK_TCK')

    def memory(self):
        """{'rss', 'pss'} bytes of this server's process tree (it and its descendants)."""
        return tree_memory(self.proc.pid) if self.proc is not None else {'rss': 0, 'pss': 0}

    def wait_until(self, probe, timeout, what):
        """Call probe() until it returns (True, _); return seconds since start.

        probe returns (done, last answer); OSError and HTTPError count as not yet."""
        deadline = self.started_at + timeout
        last_answer = 'none'
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise StartError('%s exited with code %s before %s; log %s:\n%s' % (
                    self.name, self.proc.returncode, what, self.log_path, tail(self.log_path)))
            try:
                done, last_answer = probe()
                if done:
                    return time.perf_counter() - self.started_at
            except urllib.error.HTTPError as exc:  # up, but not (yet) answering as wanted
                last_answer = '%d %s' % (exc.code, exc.read()[:300].decode('utf-8', 'replace'))
            except (OSError, urllib.error.URLError) as exc:  # not listening yet
                last_answer = str(exc)
            time.sleep(0.02)
        raise StartError('%s: no %s within %ss; last answer: %s; log %s:\n%s' % (
            self.name, what, timeout, last_answer, self.log_path, tail(self.log_path, 5)))

    def wait_for_token(self, auth_url, auth_body, timeout):
        """Poll POST auth_url/auth/tokens until 201; return seconds since start."""
        data = json.dumps(auth_body).encode()

        def probe():
            req = urllib.request.Request(auth_url + '/auth/tokens', data=data, method='POST',
                                         headers={'Content-Type': 'application/json'})
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status == 201, str(resp.status)
        return self.wait_until(probe, timeout, 'token from POST %s/auth/tokens' % auth_url)

    def wait_for_port(self, port, timeout, host='127.0.0.1'):
        """Wait until something accepts TCP connections on host:port."""
        def probe():
            with socket.create_connection((host, port), timeout=2):
                return True, 'connected'
        return self.wait_until(probe, timeout, 'listener on %s:%d' % (host, port))


def _proc_stats():
    """(pid, fields of /proc/<pid>/stat after the command) of every live process."""
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/stat' % pid) as f:
                yield int(pid), f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue  # gone meanwhile


def tree_pids(root_pid):
    """root_pid and all its live descendants."""
    children = {}
    for pid, fields in _proc_stats():
        children.setdefault(int(fields[1]), []).append(pid)  # ppid -> pids
    out, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def tree_memory(root_pid):
    """{'rss': bytes, 'pss': bytes} summed over root_pid and its descendants.

    RSS counts a page shared by forked workers once per process; PSS splits it
    among them, so PSS sums to what the tree really occupies."""
    total = {'rss': 0, 'pss': 0}
    for pid in tree_pids(root_pid):
        try:
            with open('/proc/%d/smaps_rollup' % pid) as f:
                for line in f:
                    key, _, value = line.partition(':')
                    if key in ('Rss', 'Pss'):
                        total[key.lower()] += int(value.split()[0]) * 1024
        except OSError:
            pass  # gone meanwhile
    return total


def tree_rss(root_pid):
    """Summed resident memory (bytes) of root_pid and all its descendants."""
    return tree_memory(root_pid)['rss']


def stop_all():
    for server in list(_live):
        server.stop()


atexit.register(stop_all)


# ---------------------------------------------------------------- real Keystone

def ensure_keystone_venv(venv, log_path):
    """Create venv with keystone and gunicorn unless it already has them."""
    bin_dir = os.path.join(venv, 'bin')
    if all(os.path.exists(os.path.join(bin_dir, b)) for b in ('keystone-manage', 'gunicorn')):
        return
    print('installing keystone into %s (first use; log %s)' % (venv, log_path), flush=True)
    run_step([sys.executable, '-m', 'venv', venv], log_path, 120)
    run_step([os.path.join(bin_dir, 'pip'), 'install', '-q'] + KEYSTONE_PACKAGES, log_path, 1800)


def keystone_version(venv):
    out = subprocess.run([os.path.join(venv, 'bin', 'python'), '-c',
                          'from importlib.metadata import version; print(version("keystone"))'],
                         capture_output=True, text=True)
    return out.stdout.strip() or None


def setup_keystone(venv, workdir, port, admin_password, bcrypt_rounds):
    """Write keystone.conf, create the database, keys and admin; return seconds taken."""
    os.makedirs(workdir, exist_ok=True)
    conf = os.path.join(workdir, 'keystone.conf')
    with open(conf, 'w') as f:
        f.write(KEYSTONE_CONF.format(workdir=workdir, bcrypt_rounds=bcrypt_rounds))
    with open(os.path.join(workdir, 'keystone_app.py'), 'w') as f:
        f.write(KEYSTONE_WSGI_SHIM)
    manage = [os.path.join(venv, 'bin', 'keystone-manage'), '--config-file', conf]
    log = os.path.join(workdir, 'keystone-manage.log')
    url = 'http://127.0.0.1:%d/v3' % port
    owner = ['--keystone-user', str(os.getuid()), '--keystone-group', str(os.getgid())]
    started = time.perf_counter()
    run_step(manage + ['db_sync'], log, 300)
    run_step(manage + ['fernet_setup'] + owner, log, 60)
    run_step(manage + ['credential_setup'] + owner, log, 60)
    run_step(manage + ['bootstrap', '--bootstrap-password', admin_password,
                       '--bootstrap-region-id', 'RegionOne', '--bootstrap-public-url', url,
                       '--bootstrap-internal-url', url, '--bootstrap-admin-url', url], log, 120)
    return time.perf_counter() - started


def keystone_server(venv, workdir, port, workers, threads=1):
    env = dict(os.environ, OS_KEYSTONE_CONFIG_DIR=workdir)
    argv = [os.path.join(venv, 'bin', 'gunicorn'), '--no-control-socket', '--chdir', workdir,
            '--bind', '127.0.0.1:%d' % port, '--workers', str(workers),
            '--worker-class', 'gthread', '--threads', str(threads), '--timeout', '120',
            'keystone_app:application']
    return ServerProcess('keystone', argv, os.path.join(workdir, 'gunicorn.log'), env=env)


# ---------------------------------------------------------------- cloudstack

def cloudstack_command(bin_dir):
    """`cloudstack-all` from bin_dir, else `python -m cloudstack.cmd.all`."""
    script = os.path.join(bin_dir, 'cloudstack-all')
    if os.access(script, os.X_OK):
        return [script]
    python = os.path.join(bin_dir, 'python3')
    return [python if os.access(python, os.X_OK) else sys.executable, '-m', 'cloudstack.cmd.all']


def cloudstack_server(bin_dir, repo_dir, workdir, data_dir, port, workers, admin_password,
                      bcrypt_rounds, extra_conf=''):
    """cloudstack-all on 127.0.0.1:port; extra_conf is appended to its config file."""
    conf = os.path.join(workdir, 'cloudstack-bench.conf')
    with open(conf, 'w') as f:
        f.write('[identity]\npassword_hash_rounds = %d\n' % bcrypt_rounds + extra_conf)
    argv = cloudstack_command(bin_dir) + [
        '--config-file', conf, '--data-dir', data_dir, '--bind', '127.0.0.1:%d' % port,
        '--admin-password=%s' % admin_password,   # token_urlsafe may begin with '-'
        '--workers', str(workers)]
    # the module fallback runs from this checkout
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (repo_dir, os.environ.get('PYTHONPATH')) if p))
    return ServerProcess('cloudstack', argv, os.path.join(workdir, 'cloudstack.log'), env=env)
