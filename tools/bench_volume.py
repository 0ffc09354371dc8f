#!/usr/bin/env python3
"""Block Storage benchmark: the real Cinder and cloudstack side by side, and
the file driver's data paths against plain copies of the same bytes.

  create_to_available
        --volumes volumes of 1 GiB created at --concurrency, each polled (every
        20 ms) until available: volumes per second and the latency of each, on
        both. Cinder 29 (PyPI `cinder`, installed into --cinder-venv on first use)
        runs its three services (cinder-api with --workers workers,
        cinder-scheduler, cinder-volume) on RabbitMQ (a node of the tool's own)
        with its fake driver, which needs no root and does no I/O, and no
        authentication (auth_strategy noauth); cloudstack runs `cloudstack-all`
        with Keystone tokens and its `file` driver (a sparse file per volume,
        fsync'd). Both on PostgreSQL (a database each) unless --db sqlite.
  list_1000
        GET /volumes/detail?limit=1000 and GET /volumes?limit=1000 of a project
        holding --list-volumes volumes: the median ms of --list-runs.
  from_image        (cloudstack)
        a volume made from a qcow2 image of --image-mib MiB of random data (in
        the file image store), create to available, against `qemu-img convert
        -O raw` of the same image file: the ratio (goal <= 1.2).
  backup / restore  (cloudstack)
        a backup of a volume holding --backup-mib MiB of random data into Object
        Storage (3 replicas, fsync'd) and its restore into a new volume, in MB/s,
        against a plain copy of the same bytes to Object Storage (one PUT
        through the Swift API).

Ratios are cinder/cloudstack for times (above 1: cloudstack faster).

    tools/bench_volume.py [--volumes 200] [--concurrency 8] [--output FILE]
    tools/bench_volume.py --systems cloudstack        # only our side
    tools/bench_volume.py --systems cloudstack --no-data-paths   # API figures only

Exits 1 when a system could not be started or measured.
"""
import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import servers  # noqa: E402

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CINDER_VERSION = '29.0.0'
CINDER_PACKAGES = ['cinder==%s' % CINDER_VERSION, 'psycopg2-binary', 'fixtures']
RABBITMQ_BIN = '/usr/lib/rabbitmq/bin'
GiB, MiB = 1 << 30, 1 << 20
CREATE_GOAL = LIST_GOAL = 5.0
IMAGE_GOAL = 1.2
CINDER_CONF = """\
[DEFAULT]
auth_strategy = noauth_include_project_id
transport_url = {transport}
enabled_backends = fake
default_volume_type = __DEFAULT__
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = {port}
osapi_volume_workers = {workers}
state_path = {workdir}/state
log_dir = {workdir}/log
api_paste_config = {venv}/etc/cinder/api-paste.ini
resource_query_filters_file = {venv}/etc/cinder/resource_filters.json
debug = false
[database]
connection = {db}
[oslo_concurrency]
lock_path = {workdir}/locks
[coordination]
backend_url = file://{workdir}/coordination
[fake]
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake
"""


class BenchError(Exception):
    pass


class Api:
    """A JSON API over keep-alive connections (one per thread)."""

    def __init__(self, base, token):
        self.base, self.token = base.rstrip('/'), token
        parts = http.client.urlsplit(self.base)
        self.host, self.port, self.prefix = parts.hostname, parts.port, parts.path

    def call(self, method, path, body=None, expect=(200, 202), conn=None, headers=None):
        own = conn is None
        conn = conn or http.client.HTTPConnection(self.host, self.port, timeout=120)
        h = {'X-Auth-Token': self.token, 'Content-Type': 'application/json',
             'Accept': 'application/json'}
        h.update(headers or {})
        try:
            conn.request(method, self.prefix + path,
                         body=json.dumps(body) if body is not None else None, headers=h)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            if own:
                conn.close()
        if resp.status not in expect:
            raise BenchError('%s %s -> %d %s' % (method, path, resp.status, data[:300]))
        return json.loads(data) if data else None


def wait_status(api, kind, item_id, conn=None, want='available', timeout=600):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        item = api.call('GET', '/%ss/%s' % (kind, item_id), conn=conn)[kind]
        if item['status'] == want:
            return item
        if item['status'].startswith('error'):
            raise BenchError('%s %s is %s' % (kind, item_id, item['status']))
        time.sleep(0.02)
    raise BenchError('%s %s not %s after %ds' % (kind, item_id, want, timeout))


def create_volumes(api, count, concurrency, measure=True):
    """Create `count` volumes, each polled until available; (seconds, latencies)."""
    def one(_):
        conn = http.client.HTTPConnection(api.host, api.port, timeout=120)
        try:
            started = time.perf_counter()
            vol = api.call('POST', '/volumes', {'volume': {'size': 1}}, conn=conn)['volume']
            wait_status(api, 'volume', vol['id'], conn=conn)
            return time.perf_counter() - started
        finally:
            conn.close()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(one, range(count)))
    return time.perf_counter() - started, latencies


def delete_all(api, concurrency):
    vols = api.call('GET', '/volumes?limit=1000')['volumes']
    while vols:
        with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda v: api.call('DELETE', '/volumes/' + v['id'],
                                             expect=(202, 404)), vols))
        deadline = time.time() + 300
        while api.call('GET', '/volumes?limit=1000')['volumes'] and time.time() < deadline:
            time.sleep(0.5)
        vols = api.call('GET', '/volumes?limit=1000')['volumes']


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def unlimited(api, project):
    """No quota in the way of the benchmark (both default to 10 volumes)."""
    api.call('PUT', '/os-quota-sets/' + project, {'quota_set': {
        'volumes': -1, 'gigabytes': -1, 'snapshots': -1, 'backups': -1,
        'backup_gigabytes': -1, 'per_volume_gigabytes': -1}})


def measure_api(name, api, args, cpu_seconds):
    """The API figures; cpu_seconds() is the CPU time the system's processes
    used so far (a figure a loaded machine changes less than elapsed times)."""
    print('%s: creating %d volumes at concurrency %d' % (name, args.volumes,
                                                         args.concurrency), flush=True)
    create_volumes(api, min(20, args.volumes), args.concurrency)      # warm-up
    cpu = cpu_seconds()
    seconds, lat = create_volumes(api, args.volumes, args.concurrency)
    out = {'create_to_available': {
        'volumes': args.volumes, 'seconds': round(seconds, 2),
        'volumes_per_s': round(args.volumes / seconds, 1),
        'latency_ms_p50': round(statistics.median(lat) * 1000, 1),
        'latency_ms_p95': round(percentile(lat, 0.95) * 1000, 1),
        'cpu_ms_per_volume': round((cpu_seconds() - cpu) * 1000 / args.volumes, 1)}}
    print('  %s' % out['create_to_available'], flush=True)
    have = len(api.call('GET', '/volumes?limit=1000')['volumes'])
    if have < args.list_volumes:
        create_volumes(api, args.list_volumes - have, args.concurrency)
    for key, path in (('list_detail_ms', '/volumes/detail?limit=1000'),
                      ('list_ms', '/volumes?limit=1000')):
        times = []
        conn = http.client.HTTPConnection(api.host, api.port, timeout=120)
        for i in range(args.list_runs + 1):
            if i == 1:
                cpu = cpu_seconds()
            started = time.perf_counter()
            found = api.call('GET', path, conn=conn)['volumes']
            if i:
                times.append((time.perf_counter() - started) * 1000)
        out[key.replace('_ms', '_cpu_ms')] = round(
            (cpu_seconds() - cpu) * 1000 / args.list_runs, 1)
        conn.close()
        if len(found) < args.list_volumes:
            raise BenchError('%s listed %d volumes, not %d' % (name, len(found),
                                                               args.list_volumes))
        out[key] = round(statistics.median(times), 1)
    print('  list of %d: detail %.1f ms (%.1f ms CPU), summary %.1f ms (%.1f ms CPU)' % (
        args.list_volumes, out['list_detail_ms'], out['list_detail_cpu_ms'],
        out['list_ms'], out['list_cpu_ms']), flush=True)
    return out


# ---------------------------------------------------------------- the systems

class RabbitMQ:
    def __init__(self, workdir):
        self.base = os.path.join(workdir, 'rabbitmq')
        os.makedirs(self.base)
        port, dist = servers.free_port(), servers.free_port()
        self.node = 'cs-bench-%d@localhost' % port
        with open(os.path.join(self.base, 'enabled_plugins'), 'w') as f:
            f.write('[].\n')
        self.env = dict(os.environ, HOME=self.base, RABBITMQ_NODENAME=self.node,
                        RABBITMQ_NODE_IP_ADDRESS='127.0.0.1',
                        RABBITMQ_NODE_PORT=str(port), RABBITMQ_DIST_PORT=str(dist),
                        RABBITMQ_MNESIA_BASE=os.path.join(self.base, 'mnesia'),
                        RABBITMQ_LOG_BASE=os.path.join(self.base, 'log'),
                        RABBITMQ_PID_FILE=os.path.join(self.base, 'pid'),
                        RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(self.base,
                                                                   'enabled_plugins'),
                        RABBITMQ_CONFIG_FILE=os.path.join(self.base, 'rabbitmq'))
        self.url = 'rabbit://guest:guest@127.0.0.1:%d/' % port
        ctl = [os.path.join(RABBITMQ_BIN, 'rabbitmqctl'), '-n', self.node]
        self.ctl = ctl
        subprocess.run([os.path.join(RABBITMQ_BIN, 'rabbitmq-server'), '-detached'],
                       env=self.env, check=True, timeout=60, capture_output=True)
        subprocess.run(ctl + ['wait', os.path.join(self.base, 'pid'), '--timeout', '180'],
                       env=self.env, check=True, timeout=200, capture_output=True)

    def stop(self):
        subprocess.run(self.ctl + ['stop'], env=self.env, timeout=60, capture_output=True)


def database(kind, name, workdir):
    """A SQLAlchemy URL of a fresh database `name`."""
    if kind == 'sqlite':
        return 'sqlite:///%s/%s.sqlite' % (workdir, name)
    subprocess.run(['dropdb', '--if-exists', name], capture_output=True)
    subprocess.run(['createdb', name], check=True, capture_output=True)
    return 'postgresql+psycopg2:///%s?host=/var/run/postgresql' % name


class Cinder:
    name = 'cinder'

    def __init__(self, args, workdir):
        self.dir = os.path.join(workdir, 'cinder')
        for sub in ('state', 'log', 'locks', 'coordination'):
            os.makedirs(os.path.join(self.dir, sub))
        log = os.path.join(self.dir, 'setup.log')
        bin_dir = os.path.join(args.cinder_venv, 'bin')
        if not os.path.exists(os.path.join(bin_dir, 'cinder-api')) or subprocess.run(
                [os.path.join(bin_dir, 'python'), '-c', 'import fixtures'],
                capture_output=True).returncode:
            print('installing cinder %s into %s (first use; log %s)'
                  % (CINDER_VERSION, args.cinder_venv, log), flush=True)
            if not os.path.exists(os.path.join(bin_dir, 'pip')):
                servers.run_step([sys.executable, '-m', 'venv', args.cinder_venv], log, 120)
            servers.run_step([os.path.join(bin_dir, 'pip'), 'install', '-q']
                             + CINDER_PACKAGES, log, 3600)
        self.rabbit = RabbitMQ(self.dir)
        self.port = servers.free_port()
        self.conf = os.path.join(self.dir, 'cinder.conf')
        with open(self.conf, 'w') as f:
            f.write(CINDER_CONF.format(transport=self.rabbit.url, port=self.port,
                                       workers=args.workers, workdir=self.dir,
                                       venv=args.cinder_venv,
                                       db=database(args.db, 'bench_cinder', self.dir)))
        servers.run_step([os.path.join(bin_dir, 'cinder-manage'), '--config-file',
                          self.conf, 'db', 'sync'], log, 600)
        self.procs = [servers.ServerProcess(
            binary, [os.path.join(bin_dir, binary), '--config-file', self.conf],
            os.path.join(self.dir, binary + '.log'))
            for binary in ('cinder-api', 'cinder-scheduler', 'cinder-volume')]

    def start(self, args):
        for proc in self.procs:
            proc.start()
        self.procs[0].wait_for_port(self.port, args.start_timeout)
        project = uuid.uuid4().hex      # Cinder's URLs want hex project ids
        api = Api('http://127.0.0.1:%d/v3/%s' % (self.port, project), 'admin:' + project)
        deadline = time.time() + args.start_timeout
        while not self._pools(api):
            if time.time() > deadline:
                raise BenchError('cinder-volume reported no pool')
            time.sleep(0.5)
        unlimited(api, project)
        return api

    @staticmethod
    def _pools(api):
        """The pools, or none while the scheduler does not answer yet (cinder-api
        says 500 when its RPC call times out, as on a loaded machine)."""
        try:
            return api.call('GET', '/scheduler-stats/get_pools')['pools']
        except BenchError as exc:
            if '-> 500' not in str(exc):
                raise
            return []

    def cpu_seconds(self):
        """Of cinder-api, -scheduler and -volume (not RabbitMQ's or PostgreSQL's)."""
        return sum(proc.cpu_seconds() for proc in self.procs)

    def stop(self):
        for proc in self.procs:
            proc.stop()
        self.rabbit.stop()


class Cloudstack:
    name = 'cloudstack'

    def __init__(self, args, workdir):
        self.dir = os.path.join(workdir, 'cloudstack')
        os.makedirs(self.dir)
        self.port = servers.free_port()
        self.data = os.path.join(self.dir, 'data')
        extra = '[database]\nconnection = %s\n' % database(args.db, 'bench_cloudstack',
                                                          self.dir)
        self.server = servers.cloudstack_server(
            args.cloudstack_bin_dir, REPO_DIR, self.dir, self.data, self.port, args.workers,
            args.admin_password, 4, extra_conf=extra)
        self.url = 'http://127.0.0.1:%d' % self.port

    def start(self, args):
        auth = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'admin', 'domain': {'id': 'default'}, 'password': args.admin_password}}},
            'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}}
        self.server.start_and_time(self.url + '/identity/v3', auth, args.start_timeout)
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=60)
        conn.request('POST', '/identity/v3/auth/tokens', body=json.dumps(auth),
                     headers={'Content-Type': 'application/json'})
        resp = conn.getresponse()
        body = json.loads(resp.read())
        self.token = resp.headers['X-Subject-Token']
        self.project = body['token']['project']['id']
        api = Api('%s/volume/v3/%s' % (self.url, self.project), self.token)
        deadline = time.time() + args.start_timeout
        while not api.call('GET', '/scheduler-stats/get_pools')['pools']:
            if time.time() > deadline:
                raise BenchError('the volume agent reported no pool')
            time.sleep(0.2)
        unlimited(api, self.project)
        return api

    def cpu_seconds(self):
        """Of the cloudstack-all tree (not PostgreSQL's)."""
        return self.server.cpu_seconds()

    def stop(self):
        self.server.stop()


# ---------------------------------------------------------------- data paths

def random_file(path, mib):
    with open(path, 'wb') as f:
        for _ in range(mib):
            f.write(os.urandom(MiB))


def volume_path(system, volume_id):
    found = [os.path.join(root, name) for root, _, names in os.walk(
        os.path.join(system.data, 'volumes')) for name in names
        if name == 'volume-' + volume_id]
    if len(found) != 1:
        raise BenchError('volume file of %s: %s' % (volume_id, found))
    return found[0]


def measure_data_paths(system, api, args, workdir):
    out = {}
    raw = os.path.join(workdir, 'image.raw')
    qcow = os.path.join(workdir, 'image.qcow2')
    random_file(raw, args.image_mib)
    subprocess.run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', raw, qcow],
                   check=True)
    image_api = Api(system.url + '/image/v2', system.token)
    image = image_api.call('POST', '/images', {'name': 'bench', 'disk_format': 'qcow2',
                                               'container_format': 'bare'}, expect=(201,))
    with open(qcow, 'rb') as f:
        conn = http.client.HTTPConnection('127.0.0.1', system.port, timeout=600)
        conn.request('PUT', '/image/v2/images/%s/file' % image['id'], body=f, headers={
            'X-Auth-Token': system.token, 'Content-Type': 'application/octet-stream',
            'Content-Length': str(os.path.getsize(qcow))})
        if conn.getresponse().status != 204:
            raise BenchError('image upload failed')
    ours, theirs = [], []
    for _ in range(args.data_runs):
        started = time.perf_counter()
        vol = api.call('POST', '/volumes', {'volume': {
            'size': max(1, -(-args.image_mib // 1024)), 'imageRef': image['id']}})['volume']
        wait_status(api, 'volume', vol['id'])
        ours.append(time.perf_counter() - started)
        target = os.path.join(workdir, 'converted.raw')
        started = time.perf_counter()
        subprocess.run(['qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', qcow, target],
                       check=True)
        fd = os.open(target, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        theirs.append(time.perf_counter() - started)
        os.unlink(target)
        api.call('DELETE', '/volumes/' + vol['id'])
    out['from_image'] = {'image_mib': args.image_mib,
                         'create_s': round(statistics.median(ours), 3),
                         'qemu_img_convert_s': round(statistics.median(theirs), 3),
                         'ratio': round(statistics.median(ours) / statistics.median(theirs), 2),
                         'goal': '<= %.1f' % IMAGE_GOAL}
    print('  from image: %s' % out['from_image'], flush=True)

    vol = api.call('POST', '/volumes', {'volume': {'size': 1}})['volume']
    wait_status(api, 'volume', vol['id'])
    data = os.path.join(workdir, 'data.raw')
    random_file(data, args.backup_mib)
    with open(data, 'rb') as src, open(volume_path(system, vol['id']), 'r+b') as dst:
        shutil.copyfileobj(src, dst, MiB)
        os.fsync(dst.fileno())
    size = args.backup_mib * MiB
    started = time.perf_counter()
    backup = api.call('POST', '/backups', {'backup': {'volume_id': vol['id']}})['backup']
    wait_status(api, 'backup', backup['id'])
    backup_s = time.perf_counter() - started
    started = time.perf_counter()
    restored = api.call('POST', '/backups/%s/restore' % backup['id'],
                        {'restore': {}})['restore']
    wait_status(api, 'volume', restored['volume_id'])
    restore_s = time.perf_counter() - started
    with open(volume_path(system, restored['volume_id']), 'rb') as f:
        same = hashlib.sha256(f.read(size)).digest() == hashlib.sha256(
            open(data, 'rb').read()).digest()
    if not same:
        raise BenchError('the restored volume differs from the backed up one')
    swift = Api('%s/object-store/v1/AUTH_%s' % (system.url, system.project), system.token)
    swift.call('PUT', '/plain', expect=(201, 202))
    conn = http.client.HTTPConnection('127.0.0.1', system.port, timeout=600)
    started = time.perf_counter()
    with open(data, 'rb') as f:
        conn.request('PUT', swift.prefix + '/plain/copy', body=f, headers={
            'X-Auth-Token': system.token, 'Content-Length': str(size)})
        if conn.getresponse().status != 201:
            raise BenchError('plain PUT failed')
    plain_s = time.perf_counter() - started
    out['backup'] = {'mib': args.backup_mib,
                     'backup_mb_s': round(size / backup_s / 1e6, 1),
                     'restore_mb_s': round(size / restore_s / 1e6, 1),
                     'plain_put_mb_s': round(size / plain_s / 1e6, 1),
                     'backup_ratio': round(plain_s / backup_s, 2),
                     'restore_ratio': round(plain_s / restore_s, 2)}
    print('  backup/restore: %s' % out['backup'], flush=True)
    return out


# ---------------------------------------------------------------- the run

def main():
    bench = os.environ.get('BENCH') or os.path.expanduser('~/bench')
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--systems', default='cinder,cloudstack')
    ap.add_argument('--volumes', type=int, default=200)
    ap.add_argument('--concurrency', type=int, default=8)
    ap.add_argument('--list-volumes', type=int, default=1000)
    ap.add_argument('--list-runs', type=int, default=10)
    ap.add_argument('--image-mib', type=int, default=512)
    ap.add_argument('--backup-mib', type=int, default=256)
    ap.add_argument('--data-runs', type=int, default=3)
    ap.add_argument('--no-data-paths', action='store_true',
                    help='skip from_image and backup/restore (cloudstack)')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--db', choices=('postgresql', 'sqlite'), default='postgresql')
    ap.add_argument('--cinder-venv', default=os.path.join(bench, 'cinder', 'venv'))
    ap.add_argument('--cloudstack-bin-dir', default=os.path.join(REPO_DIR, '.venv', 'bin'))
    ap.add_argument('--admin-password', default='bench-secret')
    ap.add_argument('--start-timeout', type=float, default=180)
    ap.add_argument('--output')
    args = ap.parse_args()
    wanted = [s.strip() for s in args.systems.split(',') if s.strip()]
    workdir = tempfile.mkdtemp(prefix='bench-volume-')
    result = {'args': vars(args), 'systems': {},
              'load_average': {'start': [round(x, 2) for x in os.getloadavg()]}}
    print('load average at start: %s' % result['load_average']['start'], flush=True)
    status = 0
    for name in wanted:
        cls = {'cinder': Cinder, 'cloudstack': Cloudstack}[name]
        system = None
        try:
            system = cls(args, workdir)
            api = system.start(args)
            result['systems'][name] = measure_api(name, api, args, system.cpu_seconds)
            if name == 'cloudstack' and not args.no_data_paths:
                result['systems'][name].update(measure_data_paths(system, api, args,
                                                                  workdir))
        except (servers.StartError, BenchError, OSError, subprocess.SubprocessError,
                KeyError, ValueError) as exc:
            print('%s: %s' % (name, exc), flush=True)
            result['systems'][name] = {'error': str(exc)}
            status = 1
        finally:
            if system is not None:
                system.stop()
    ours, theirs = result['systems'].get('cloudstack', {}), result['systems'].get('cinder', {})
    if 'create_to_available' in ours and 'create_to_available' in theirs:
        result['ratios'] = {
            'create_to_available': round(ours['create_to_available']['volumes_per_s'] /
                                         theirs['create_to_available']['volumes_per_s'], 2),
            'list_detail': round(theirs['list_detail_ms'] / ours['list_detail_ms'], 2),
            'list': round(theirs['list_ms'] / ours['list_ms'], 2),
            'goal': '>= %.0f' % CREATE_GOAL}
        print('ratios (above 1: cloudstack better): %s' % result['ratios'], flush=True)
    result['load_average']['end'] = [round(x, 2) for x in os.getloadavg()]
    print('load average at end: %s' % result['load_average']['end'], flush=True)
    if args.output:
        with open(args.output, 'w') as f:
            json.dump(result, f, indent=2)
    if status:
        print('logs kept in %s' % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == '__main__':
    sys.exit(main())
