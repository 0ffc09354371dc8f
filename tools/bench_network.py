#!/usr/bin/env python3
"""Networking benchmark: the real Neutron and cloudstack, side by side, in one run.

Both run on 127.0.0.1 over PostgreSQL (a database of their own each, made for
the run and dropped after it) with the same number of API worker processes.
Neutron (PyPI `neutron`, installed with gunicorn and psycopg2 into
--neutron-venv on first use) is ML2 with no agents: type drivers flat, vxlan
and local, VXLAN project networks, the openvswitch mechanism driver (ports stay
unbound, nothing is ever wired), port security, the messaging bus faked, no
Nova notifications, and `auth_strategy = noauth` (no token to validate: its
best case). Its API runs under gunicorn (gthread, --neutron-threads threads a
worker; 1, as DevStack runs it under uWSGI). cloudstack runs as `cloudstack-all` with the noop network driver and
validates a real token on every request. Quotas are off on both. Both stay up;
only one is under load at a time, from the same load generator
(tools/bench/loadgen.py, in its own process):

  port_create     POST /v2.0/ports on a network with a /16 subnet (DHCP on), at
                  --concurrency, for --duration seconds
  port_list       GET /v2.0/ports?network_id=<a network holding --ports ports>,
                  one client, for --duration seconds
  network_create  POST /v2.0/networks (each gets a VNI), at --concurrency

With --rounds N each operation runs N times on each system, alternating who
goes first, and the median run is reported. Ratios are cloudstack/neutron
(higher is better); the goal is 5x on each.

    pg_ctlcluster 15 main start     # if PostgreSQL is not running
    tools/bench_network.py [--duration 10] [--rounds 1] [--workers 2] [--output FILE]

Exits 1 when a server could not be started or the benchmark could not run.
"""
import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import loadgen, servers  # noqa: E402

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPERATIONS = ('port_create', 'port_list', 'network_create')
RATIO_GOAL = 5.0
NEUTRON_PACKAGES = ['neutron==29.0.0', 'gunicorn', 'psycopg2-binary']
PROJECT = '5a5d0f0c1f2e4b7aa1b0c0ffee000001'
NEUTRON_CONF = """\
[DEFAULT]
core_plugin = ml2
service_plugins =
auth_strategy = noauth
allow_overlapping_ips = true
transport_url = fake:/
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
api_workers = 1
rpc_workers = 0
log_file = {workdir}/neutron.log
api_paste_config = {paste}
[database]
connection = {db_url}
[oslo_concurrency]
lock_path = {workdir}/lock
[quotas]
quota_network = -1
quota_subnet = -1
quota_port = -1
quota_security_group = -1
quota_security_group_rule = -1
[ml2]
type_drivers = flat,vxlan,local
tenant_network_types = vxlan
mechanism_drivers = openvswitch
extension_drivers = port_security
[ml2_type_vxlan]
vni_ranges = 1:100000
[ml2_type_flat]
flat_networks = public
"""
# neutron reads its command line with oslo.config, which must not see gunicorn's
NEUTRON_WSGI_SHIM = """\
import sys
sys.argv = sys.argv[:1]
from neutron.wsgi.api import application  # noqa: E402,F401
"""
NEUTRON_SCHEMA = """\
import sys
import sqlalchemy as sa
from neutron.db.migration.models import head
engine = sa.create_engine(sys.argv[1])
head.get_metadata().create_all(engine)
"""
CLOUDSTACK_CONF = """
[database]
connection = {db_url}
[network]
driver = noop
vni_ranges = 1:100000
[network_quotas]
quota_network = -1
quota_subnet = -1
quota_port = -1
quota_security_group = -1
quota_security_group_rule = -1
"""


class BenchError(Exception):
    pass


class Networking:
    """The Neutron calls the setup needs, over one keep-alive connection."""

    def __init__(self, url, headers):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.prefix = parts.path.rstrip('/')
        self.headers = dict(headers, **{'Content-Type': 'application/json',
                                        'Accept': 'application/json'})
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)

    def call(self, method, path, body=None, expect=(200, 201)):
        self.conn.request(method, self.prefix + path, headers=self.headers,
                          body=json.dumps(body) if body is not None else None)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status not in expect:
            raise BenchError('%s %s -> %d %s' % (method, path, resp.status, data[:300]))
        return json.loads(data) if data else {}

    def network_with_subnet(self, name, cidr):
        net = self.call('POST', '/networks', {'network': {'name': name,
                                                          'tenant_id': PROJECT}})['network']
        self.call('POST', '/subnets', {'subnet': {'network_id': net['id'], 'ip_version': 4,
                                                  'cidr': cidr, 'tenant_id': PROJECT}})
        return net['id']


def database(admin_url, name):
    """A new, empty PostgreSQL database; its URL."""
    import psycopg2
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute('DROP DATABASE IF EXISTS "%s"' % name)
        cur.execute('CREATE DATABASE "%s"' % name)
    conn.close()
    return admin_url.replace('/postgres?', '/%s?' % name)


def drop_database(admin_url, name):
    import psycopg2
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    conn.close()


def ensure_neutron_venv(venv, log_path):
    bin_dir = os.path.join(venv, 'bin')
    if os.path.exists(os.path.join(bin_dir, 'neutron-db-manage')) and \
            os.path.exists(os.path.join(bin_dir, 'gunicorn')):
        return
    print('installing neutron into %s (first use; log %s)' % (venv, log_path), flush=True)
    if not os.path.exists(os.path.join(bin_dir, 'pip')):
        servers.run_step([sys.executable, '-m', 'venv', venv], log_path, 120)
    servers.run_step([os.path.join(bin_dir, 'pip'), 'install', '-q'] + NEUTRON_PACKAGES,
                     log_path, 3600)


def neutron_version(venv):
    out = os.popen('%s -c "from importlib.metadata import version; print(version(\'neutron\'))"'
                   % os.path.join(venv, 'bin', 'python')).read()
    return out.strip() or None


def start_neutron(args, workdir):
    nt_dir = os.path.join(workdir, 'neutron')
    os.makedirs(os.path.join(nt_dir, 'lock'))
    ensure_neutron_venv(args.neutron_venv, os.path.join(workdir, 'neutron-install.log'))
    db_url = database(args.pg_admin_url, args.db_prefix + 'neutron')
    db_url = db_url.replace('postgresql://', 'postgresql+psycopg2://', 1)
    conf = os.path.join(nt_dir, 'neutron.conf')
    with open(conf, 'w') as f:
        f.write(NEUTRON_CONF.format(workdir=nt_dir, db_url=db_url, paste=os.path.join(
            args.neutron_venv, 'etc', 'neutron', 'api-paste.ini')))
    with open(os.path.join(nt_dir, 'neutron_app.py'), 'w') as f:
        f.write(NEUTRON_WSGI_SHIM)
    started = time.perf_counter()
    # Neutron's migrations are MySQL's; its models make the same schema on
    # PostgreSQL (as its own functional tests do), stamped at the heads.
    with open(os.path.join(nt_dir, 'create_schema.py'), 'w') as f:
        f.write(NEUTRON_SCHEMA)
    servers.run_step([os.path.join(args.neutron_venv, 'bin', 'python'),
                      os.path.join(nt_dir, 'create_schema.py'), db_url],
                     os.path.join(nt_dir, 'db-manage.log'), 900)
    servers.run_step([os.path.join(args.neutron_venv, 'bin', 'neutron-db-manage'),
                      '--config-file', conf, 'stamp', 'heads'],
                     os.path.join(nt_dir, 'db-manage.log'), 900)
    setup = time.perf_counter() - started
    port = servers.free_port()
    env = dict(os.environ, OS_NEUTRON_CONFIG_DIR=nt_dir, OS_NEUTRON_CONFIG_FILES='neutron.conf')
    argv = [os.path.join(args.neutron_venv, 'bin', 'gunicorn'), '--no-control-socket',
            '--chdir', nt_dir, '--bind', '127.0.0.1:%d' % port, '--workers', str(args.workers),
            '--worker-class', 'gthread', '--threads', str(args.neutron_threads),
            '--timeout', '300', 'neutron_app:application']
    server = servers.ServerProcess('neutron', argv, os.path.join(nt_dir, 'gunicorn.log'),
                                   env=env).start()
    url = 'http://127.0.0.1:%d/v2.0' % port
    server.wait_until(lambda: (Networking(url, {}).call('GET', '/networks') is not None,
                               'ok'), args.start_timeout, 'GET %s/networks' % url)
    result = {'version': neutron_version(args.neutron_venv), 'url': url,
              'db_setup_s': round(setup, 1)}
    print('neutron %s: serving %s' % (result['version'], url), flush=True)
    # No token: the context comes from these headers (an admin of the project).
    return server, url, {'X-Project-Id': PROJECT, 'X-User-Id': 'bench',
                         'X-Roles': 'admin,member,reader'}, result


def start_cloudstack(args, workdir):
    cs_dir = os.path.join(workdir, 'cloudstack')
    os.makedirs(cs_dir)
    db_url = database(args.pg_admin_url, args.db_prefix + 'cloudstack')
    port = servers.free_port()
    server = servers.cloudstack_server(
        args.cloudstack_bin_dir, REPO_DIR, cs_dir, os.path.join(cs_dir, 'data'), port,
        args.workers, args.admin_password, 4, extra_conf=CLOUDSTACK_CONF.format(db_url=db_url))
    identity = 'http://127.0.0.1:%d/identity/v3' % port
    auth = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'name': 'Default'}, 'password': args.admin_password}}},
        'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}}
    server.start_and_time(identity, auth, args.start_timeout)
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
    conn.request('POST', '/identity/v3/auth/tokens', body=json.dumps(auth),
                 headers={'Content-Type': 'application/json'})
    resp = conn.getresponse()
    resp.read()
    token = resp.headers['X-Subject-Token']
    url = 'http://127.0.0.1:%d/networking/v2.0' % port
    print('cloudstack: serving %s' % url, flush=True)
    return server, url, {'X-Auth-Token': token}, {'url': url}


STARTERS = {'neutron': start_neutron, 'cloudstack': start_cloudstack}
FAILURES = (servers.StartError, BenchError, RuntimeError, OSError, http.client.HTTPException)


def prepare(url, headers, args):
    """The networks the operations use, and the load specs."""
    api = Networking(url, headers)
    busy = api.network_with_subnet('bench-ports', '10.10.0.0/16')
    listed = api.network_with_subnet('bench-list', '10.20.0.0/16')
    made = 0
    while made < args.ports:
        n = min(100, args.ports - made)
        api.call('POST', '/ports', {'ports': [{'network_id': listed, 'tenant_id': PROJECT}
                                              for _ in range(n)]}, expect=(201,))
        made += n
    got = len(api.call('GET', '/ports?network_id=%s' % listed)['ports'])
    if got < args.ports:
        raise BenchError('the list network holds %d ports, not %d' % (got, args.ports))
    parts = urllib.parse.urlsplit(url)
    common = {'host': parts.hostname, 'port': parts.port,
              'headers': dict(headers, **{'Content-Type': 'application/json',
                                          'Accept': 'application/json'})}
    prefix = parts.path.rstrip('/')
    return {
        'port_create': dict(common, method='POST', path=prefix + '/ports', expect=[201],
                            body=json.dumps({'port': {'network_id': busy,
                                                      'tenant_id': PROJECT}})),
        'port_list': dict(common, method='GET', expect=[200], concurrency=1,
                          path=prefix + '/ports?network_id=%s' % listed),
        'network_create': dict(common, method='POST', path=prefix + '/networks',
                               expect=[201], body=json.dumps({'network': {
                                   'name': 'bench', 'tenant_id': PROJECT}})),
    }


def measure(server, spec, args):
    cpu_before = server.cpu_seconds()
    result = loadgen.run_in_subprocess(dict(
        dict(concurrency=args.concurrency, duration=args.duration, warmup=args.warmup,
             timeout=120), **spec))
    cpu = server.cpu_seconds() - cpu_before
    result['server_cpu_s'] = round(cpu, 2)
    result['answers_per_cpu_s'] = round(result['answered_total'] / cpu, 1) if cpu else None
    return result


def run_rounds(live, specs, results, args):
    runs = {name: {op: [] for op in OPERATIONS} for name in live}
    for round_no in range(args.rounds):
        for op in OPERATIONS:
            order = list(live) if round_no % 2 == 0 else list(reversed(live))
            for name in order:
                res = measure(live[name][0], specs[name][op], args)
                runs[name][op].append(res)
                print('  %-10s %-15s %8.1f req/s  p50 %7s ms  p99 %7s ms  errors %d  '
                      '(server cpu %s s)' % (name, op, res['rps'], res['p50_ms'],
                                             res['p99_ms'], res['errors'],
                                             res['server_cpu_s']), flush=True)
                if res['error_samples']:
                    print('    e.g. %s' % res['error_samples'][0], flush=True)
    for name in live:
        results[name]['operations'] = {op: loadgen.median_run(r) for op, r in runs[name].items()}
        results[name]['runs'] = runs[name]


def report(results, args):
    nt, cs = results.get('neutron', {}), results.get('cloudstack', {})
    results['ratios'] = {}
    print('\n== networking: concurrency %d (port_list: 1), %g s per operation after %g s '
          'warm-up, median of %d, %d workers each, %d ports listed' % (
              args.concurrency, args.duration, args.warmup, args.rounds, args.workers,
              args.ports))

    def cell(value, fmt):
        return fmt % value if value is not None else '-'

    columns = (('rps', '%.1f'), ('p50_ms', '%.1f'), ('p99_ms', '%.1f'), ('errors', '%d'),
               ('answers_per_cpu_s', '%.1f'))
    for op in OPERATIONS:
        print('\n%-24s %9s %9s %9s %7s %9s' % (op, 'req/s', 'p50 ms', 'p99 ms', 'errors',
                                               'per cpu-s'))
        rows = {}
        for name, res in (('neutron', nt), ('cloudstack', cs)):
            rows[name] = r = res.get('operations', {}).get(op, {})
            print('  %-22s %9s %9s %9s %7s %9s' % ((name,) + tuple(
                cell(r.get(key), fmt) for key, fmt in columns)))
        ratio = loadgen.ratio(rows['cloudstack'].get('rps'), rows['neutron'].get('rps'))
        cpu_ratio = loadgen.ratio(rows['cloudstack'].get('answers_per_cpu_s'),
                                  rows['neutron'].get('answers_per_cpu_s'))
        results['ratios'][op] = {'rps': ratio, 'answers_per_cpu_s': cpu_ratio}
        verdict = '' if ratio is None else '  (goal >= %gx: %s)' % (
            RATIO_GOAL, 'met' if ratio >= RATIO_GOAL else 'MISSED')
        print('  %-22s %9s %39s%s' % ('cloudstack/neutron', cell(ratio, '%.2fx'),
                                      cell(cpu_ratio, '%.2fx'), verdict))
    for name, res in sorted(results.items()):
        if isinstance(res, dict) and res.get('error'):
            print('\n%s FAILED: %s' % (name, res['error'].splitlines()[0]))


def parse_args():
    bench = os.environ.get('BENCH', os.path.expanduser('~/bench'))
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--systems', default='neutron,cloudstack')
    ap.add_argument('--concurrency', type=int, default=8)
    ap.add_argument('--duration', type=float, default=10.0, help='seconds per operation')
    ap.add_argument('--warmup', type=float, default=2.0)
    ap.add_argument('--rounds', type=int, default=1)
    ap.add_argument('--workers', type=int, default=2, help='API worker processes of each')
    ap.add_argument('--neutron-threads', type=int, default=1,
                    help='threads of each Neutron gunicorn worker')
    ap.add_argument('--ports', type=int, default=1000, help='ports of the listed network')
    ap.add_argument('--pg-admin-url', default='postgresql:///postgres?host=/var/run/postgresql',
                    help='a PostgreSQL database URL whose role may create databases')
    ap.add_argument('--db-prefix', default='bench_network_')
    ap.add_argument('--admin-password', default=secrets.token_urlsafe(12))
    ap.add_argument('--start-timeout', type=float, default=120.0)
    ap.add_argument('--neutron-venv', default=os.path.join(bench, 'neutron', 'venv'))
    ap.add_argument('--cloudstack-bin-dir', default=os.path.dirname(sys.executable))
    ap.add_argument('--workdir', help='scratch dir (default: a new one under $BENCH, removed)')
    ap.add_argument('--output', help='write the results as JSON to this file')
    args = ap.parse_args()
    args.systems = [s.strip() for s in args.systems.split(',') if s.strip()]
    if not args.systems or set(args.systems) - set(STARTERS):
        ap.error('--systems takes neutron and/or cloudstack')
    return args


def main():
    args = parse_args()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(130))
    bench = os.environ.get('BENCH', os.path.expanduser('~/bench'))
    os.makedirs(bench, exist_ok=True)
    workdir = args.workdir or tempfile.mkdtemp(prefix='network-bench-', dir=bench)
    os.makedirs(workdir, exist_ok=True)
    load = os.getloadavg()[0]
    results = {'config': {k: v for k, v in vars(args).items() if k != 'admin_password'},
               'machine': {'cpus': os.cpu_count(), 'loadavg_1m_at_start': load}}
    if load > 0.5:
        print('note: load average %.2f at start; other work on this machine skews req/s '
              '(answers per server CPU second less so)' % load, flush=True)
    failed, live = [], {}

    def fail(name, exc):
        failed.append(name)
        results.setdefault(name, {})['error'] = str(exc)
        print('%s FAILED: %s' % (name, exc), flush=True)

    try:
        specs = {}
        for name in args.systems:
            try:
                server, url, headers, results[name] = STARTERS[name](args, workdir)
                live[name] = server, url
                specs[name] = prepare(url, headers, args)
            except FAILURES as exc:
                fail(name, exc)
                if name in live:
                    live.pop(name)[0].stop()
        try:
            run_rounds(live, specs, results, args)
        except FAILURES as exc:
            fail('benchmark', exc)
        report(results, args)
    finally:
        for server, _ in live.values():
            server.stop()
        for name in args.systems:
            try:
                drop_database(args.pg_admin_url, args.db_prefix + name)
            except Exception as exc:     # the run's result stands; say what is left
                print('could not drop database %s%s: %s' % (args.db_prefix, name, exc))
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.output:
        with open(args.output, 'w') as f:
            json.dump(results, f, indent=2, default=str)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
