"""The real OpenStack Swift on one machine, for the object storage benchmark.

PyPI `swift` runs from its own venv: a proxy server (tempauth; memcached,
which tempauth and the proxy's account/container info cache need), an
account, a container and an object server, each with `workers` processes.
The three rings hold three devices, plain directories (mount_check off), each
in its own zone, with 3 replicas: every object is written to all three
devices; Swift's object server fsyncs each before it answers.

    cluster = SwiftCluster(venv, workdir, base_port, workers)
    cluster.setup(log)            # config files, rings, devices
    cluster.start(timeout)        # -> seconds until the first auth token
    cluster.token()               # -> (token, storage URL)
    cluster.memory()              # per component, memcached included
    cluster.stop()
"""
import getpass
import os
import shutil
import subprocess
import sys
import time
import urllib.request

from bench import servers

SWIFT_PACKAGES = ['swift']
USER, KEY = 'bench:bench', 'bench-key'
PART_POWER = 10
DEVICES = ('d1', 'd2', 'd3')
ROLES = ('proxy', 'account', 'container', 'object')

SWIFT_CONF = """\
[swift-hash]
swift_hash_path_suffix = cloudstack-bench
[storage-policy:0]
name = Policy-0
default = yes
"""
COMMON = """\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = {workers}
swift_dir = {swift_dir}
devices = {devices}
mount_check = false
user = {user}
log_name = {role}
log_level = INFO
"""
SERVER_CONF = COMMON + """
[pipeline:main]
pipeline = {role}-server

[app:{role}-server]
use = egg:swift#{role}

[{role}-replicator]
[{role}-auditor]
[{role}-updater]
"""
# Swift's own sample pipeline, less the filters that play no part here
# (the proxy inserts catch_errors, gatekeeper, listing_formats, copy, dlo and
# versioned_writes itself when they are missing).
PROXY_CONF = COMMON + """
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats tempauth copy dlo versioned_writes proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:{memcached_port}
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:tempauth]
use = egg:swift#tempauth
user_{user_underscored} = {key} .admin
[filter:copy]
use = egg:swift#copy
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
"""


def ensure_venv(venv, log_path):
    """Create venv with swift unless it already has it."""
    bin_dir = os.path.join(venv, 'bin')
    if os.path.exists(os.path.join(bin_dir, 'swift-proxy-server')):
        return
    print('installing swift into %s (first use; log %s)' % (venv, log_path), flush=True)
    servers.run_step([sys.executable, '-m', 'venv', venv], log_path, 120)
    servers.run_step([os.path.join(bin_dir, 'pip'), 'install', '-q'] + SWIFT_PACKAGES,
                     log_path, 1800)


def swift_version(venv):
    out = subprocess.run([os.path.join(venv, 'bin', 'python'), '-c',
                          'from importlib.metadata import version; print(version("swift"))'],
                         capture_output=True, text=True)
    return out.stdout.strip() or None


class SwiftCluster:
    def __init__(self, venv, workdir, base_port, workers):
        self.venv, self.workdir, self.workers = venv, workdir, workers
        self.bin = os.path.join(venv, 'bin')
        self.swift_dir = os.path.join(workdir, 'etc')
        self.devices = os.path.join(workdir, 'node')
        self.ports = dict(zip(ROLES, range(base_port, base_port + len(ROLES))))
        self.memcached_port = base_port + len(ROLES)
        self.url = 'http://127.0.0.1:%d' % self.ports['proxy']
        self.processes = {}
        self.started_at = None

    def setup(self, log):
        """Config files, the account/container/object rings and the device directories."""
        os.makedirs(self.swift_dir, exist_ok=True)
        for dev in DEVICES:
            os.makedirs(os.path.join(self.devices, dev), exist_ok=True)
        with open(os.path.join(self.swift_dir, 'swift.conf'), 'w') as f:
            f.write(SWIFT_CONF)
        for role in ROLES:
            template = PROXY_CONF if role == 'proxy' else SERVER_CONF
            with open(self._conf(role), 'w') as f:
                f.write(template.format(
                    port=self.ports[role], workers=self.workers, swift_dir=self.swift_dir,
                    devices=self.devices, role=role, user=getpass.getuser(), memcached_port=self.memcached_port,
                    user_underscored=USER.replace(':', '_'), key=KEY))
        for role in ('account', 'container', 'object'):
            builder = os.path.join(self.swift_dir, '%s.builder' % role)
            rb = [os.path.join(self.bin, 'swift-ring-builder'), builder]
            servers.run_step(rb + ['create', str(PART_POWER), str(len(DEVICES)), '1'], log, 60)
            for zone, dev in enumerate(DEVICES, 1):
                servers.run_step(rb + ['add', 'r1z%d-127.0.0.1:%d/%s' % (
                    zone, self.ports[role], dev), '100'], log, 60)
            # exit code 1 is "warning" (e.g. all devices on one host), the ring is written
            rc = subprocess.run(rb + ['rebalance'], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL).returncode
            if rc not in (0, 1) or not os.path.exists(builder.replace('.builder', '.ring.gz')):
                raise servers.StartError('swift-ring-builder %s rebalance failed (%s)'
                                         % (builder, rc))

    def _conf(self, role):
        return os.path.join(self.swift_dir, '%s-server.conf' % role)

    def start(self, timeout):
        """Start memcached and the four servers; return seconds to the first token."""
        self.started_at = time.perf_counter()
        memcached = shutil.which('memcached')
        if not memcached:
            raise servers.StartError('memcached not found (apt-get install memcached): '
                                     'Swift\'s tempauth needs it')
        self.processes['memcached'] = servers.ServerProcess(
            'memcached', [memcached, '-l', '127.0.0.1', '-p', str(self.memcached_port),
                          '-U', '0', '-m', '64', '-u', 'root'],
            os.path.join(self.workdir, 'memcached.log')).start()
        for role in ('account', 'container', 'object', 'proxy'):
            self.processes[role] = servers.ServerProcess(
                'swift-%s-server' % role,
                [os.path.join(self.bin, 'swift-%s-server' % role), self._conf(role)],
                os.path.join(self.workdir, '%s-server.log' % role)).start()
        try:
            for role in ('memcached', 'account', 'container', 'object'):
                port = self.memcached_port if role == 'memcached' else self.ports[role]
                self.processes[role].wait_for_port(port, timeout)
            proxy = self.processes['proxy']
            proxy.started_at = self.started_at
            proxy.wait_until(lambda: (bool(self.token()[0]), 'token'), timeout,
                             'tempauth token from %s/auth/v1.0' % self.url)
        except BaseException:
            self.stop()
            raise
        return time.perf_counter() - self.started_at

    def token(self):
        """(X-Auth-Token, X-Storage-Url) of the bench user."""
        req = urllib.request.Request(self.url + '/auth/v1.0', headers={
            'X-Storage-User': USER, 'X-Storage-Pass': KEY})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.headers.get('X-Auth-Token'), resp.headers.get('X-Storage-Url')

    def memory(self):
        """{component: {'rss', 'pss'} bytes} of each process tree (memcached included)."""
        return {name: p.memory() for name, p in self.processes.items()}

    def cpu_seconds(self):
        return sum(p.cpu_seconds() for p in self.processes.values() if p.proc is not None)

    def stop(self):
        for name in ('proxy', 'object', 'container', 'account', 'memcached'):
            if name in self.processes:
                self.processes[name].stop()
