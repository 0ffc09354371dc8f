#!/usr/bin/env python3
"""Identity benchmark: the real Keystone and cloudstack, side by side, in one run.

Both servers run on 127.0.0.1 with SQLite, Fernet tokens, the same bcrypt cost and
the same number of worker processes. Both stay up, but only one is under load at a
time, from the same load generator (tools/bench/loadgen.py, in its own process):

  token_issue     POST /v3/auth/tokens, password, project-scoped, as a member user
  token_validate  GET  /v3/auth/tokens, X-Auth-Token admin, X-Subject-Token a user token
  project_list    GET  /v3/projects as admin, after creating --projects projects

Each operation runs on one system right after the other; with --rounds N the order
alternates and the median run is reported, so drifting background load hits both
alike. Besides req/s and latency it reports answers per CPU second of the server.
It also times each server from process start to the first issued token (cloudstack
twice: fresh data dir, then existing data dir) and reports each one's resident memory
(RSS and PSS of its process tree) at idle right after start. Keystone (PyPI `keystone` + gunicorn)
is installed into --keystone-venv on first use and runs with its in-process cache
on ([cache] enabled, dogpile.cache.memory).

    tools/bench_identity.py [--duration 10] [--rounds 3] [--workers 2] [--output FILE]
    tools/bench_identity.py --systems keystone --workers 1 --serve 3600  # e.g. for Tempest

Exits 1 when a server could not be started or the benchmark could not run against it.
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
OPERATIONS = ('token_issue', 'token_validate', 'project_list')
RATIO_GOALS = {'token_validate': 5.0, 'project_list': 5.0}
STARTUP_GOAL_S = 1.5
BENCH_USER, BENCH_PASSWORD, BENCH_PROJECT = 'bench-user', 'bench-Passw0rd', 'bench-project'


class BenchError(Exception):
    pass


class Identity:
    """The few Keystone v3 calls the benchmark needs, over one keep-alive connection."""

    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.url = url.rstrip('/')
        self.host, self.port = parts.hostname, parts.port
        self.prefix = parts.path.rstrip('/')
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def call(self, method, path, body=None, token=None, expect=(200,)):
        headers = {'Content-Type': 'application/json', 'Accept': 'application/json'}
        if token:
            headers['X-Auth-Token'] = token
        self.conn.request(method, self.prefix + path,
                          body=json.dumps(body) if body is not None else None, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status not in expect:
            raise BenchError('%s %s -> %d %s' % (method, path, resp.status, data[:300]))
        return resp.headers, (json.loads(data) if data else {})

    def issue_token(self, user, password, project):
        headers, body = self.call('POST', '/auth/tokens', password_auth(user, password, project),
                                  expect=(201,))
        return headers['X-Subject-Token'], body['token']


def password_auth(user, password, project, domain='Default'):
    return {'auth': {
        'identity': {'methods': ['password'], 'password': {
            'user': {'name': user, 'domain': {'name': domain}, 'password': password}}},
        'scope': {'project': {'name': project, 'domain': {'name': domain}}}}}


def prepare(url, admin_password, n_projects):
    """Create the bench user, its project and n_projects more; return the load specs."""
    idn = Identity(url)
    admin_token, admin = idn.issue_token('admin', admin_password, 'admin')
    domain_id = admin['user']['domain']['id']
    roles = idn.call('GET', '/roles?name=member', token=admin_token)[1]['roles']
    if not roles:
        raise BenchError('no "member" role at %s' % url)
    _, project = idn.call('POST', '/projects', {'project': {
        'name': BENCH_PROJECT, 'domain_id': domain_id}}, admin_token, expect=(201,))
    _, user = idn.call('POST', '/users', {'user': {
        'name': BENCH_USER, 'domain_id': domain_id, 'password': BENCH_PASSWORD,
        'default_project_id': project['project']['id']}}, admin_token, expect=(201,))
    idn.call('PUT', '/projects/%s/users/%s/roles/%s' % (
        project['project']['id'], user['user']['id'], roles[0]['id']),
        token=admin_token, expect=(204,))
    for i in range(n_projects):
        idn.call('POST', '/projects', {'project': {
            'name': 'bench-p-%03d' % i, 'domain_id': domain_id}}, admin_token, expect=(201,))
    listed = len(idn.call('GET', '/projects', token=admin_token)[1]['projects'])
    user_token, _ = idn.issue_token(BENCH_USER, BENCH_PASSWORD, BENCH_PROJECT)

    def spec(method, path, headers, body=None, expect=200):
        return {'host': idn.host, 'port': idn.port, 'method': method, 'path': idn.prefix + path,
                'headers': headers, 'body': body, 'expect': [expect]}

    specs = {
        'token_issue': spec('POST', '/auth/tokens', {'Content-Type': 'application/json'},
                            json.dumps(password_auth(BENCH_USER, BENCH_PASSWORD, BENCH_PROJECT)),
                            expect=201),
        'token_validate': spec('GET', '/auth/tokens', {'X-Auth-Token': admin_token,
                                                       'X-Subject-Token': user_token}),
        'project_list': spec('GET', '/projects', {'X-Auth-Token': admin_token}),
    }
    return specs, listed


def measure(server, spec, args):
    """One load run against server, with the server's CPU time and answers per CPU second."""
    cpu_before = server.cpu_seconds()
    result = loadgen.run_in_subprocess(dict(
        spec, concurrency=args.concurrency, duration=args.duration, warmup=args.warmup))
    cpu = server.cpu_seconds() - cpu_before
    result['server_cpu_s'] = round(cpu, 2)
    result['answers_per_cpu_s'] = round(result['answered_total'] / cpu, 1) if cpu else None
    return result


def start_keystone(args, workdir):
    ks_dir = os.path.join(workdir, 'keystone')
    os.makedirs(ks_dir)
    servers.ensure_keystone_venv(args.keystone_venv, os.path.join(workdir, 'keystone-install.log'))
    port = servers.free_port()
    url = 'http://127.0.0.1:%d/v3' % port
    result = {'version': servers.keystone_version(args.keystone_venv), 'url': url}
    print('keystone %s: setting up in %s' % (result['version'], ks_dir), flush=True)
    result['setup_s'] = round(servers.setup_keystone(
        args.keystone_venv, ks_dir, port, args.admin_password, args.bcrypt_rounds), 3)
    server = servers.keystone_server(args.keystone_venv, ks_dir, port, args.workers)
    admin_auth = password_auth('admin', args.admin_password, 'admin')
    result['startup_s'] = round(server.start_and_time(url, admin_auth, args.start_timeout), 3)
    print('keystone: first token %.2f s after start (setup before it: %.1f s)' % (
        result['startup_s'], result['setup_s']), flush=True)
    return server, url, result


def start_cloudstack(args, workdir):
    cs_dir = os.path.join(workdir, 'cloudstack')
    os.makedirs(cs_dir)
    port = servers.free_port()
    url = 'http://127.0.0.1:%d/identity/v3' % port
    server = servers.cloudstack_server(
        args.cloudstack_bin_dir, REPO_DIR, cs_dir, os.path.join(cs_dir, 'data'), port,
        args.workers, args.admin_password, args.bcrypt_rounds)
    result = {'url': url,
              'command': ['***' if a == args.admin_password else a for a in server.argv]}
    admin_auth = password_auth('admin', args.admin_password, 'admin')
    for key in ('startup_first_s', 'startup_second_s'):  # fresh, then existing data dir
        server.stop()
        result[key] = round(server.start_and_time(url, admin_auth, args.start_timeout), 3)
    print('cloudstack: first token %.2f s after start (fresh data dir), %.2f s (existing)' % (
        result['startup_first_s'], result['startup_second_s']), flush=True)
    return server, url, result


STARTERS = {'keystone': start_keystone, 'cloudstack': start_cloudstack}
FAILURES = (servers.StartError, BenchError, RuntimeError, OSError, http.client.HTTPException)


def run_rounds(live, specs, results, args):
    """Each round runs every operation on each system back to back, alternating who goes
    first, so drifting background load hits both alike; keeps each one's median run."""
    runs = {name: {op: [] for op in OPERATIONS} for name in live}
    for round_no in range(args.rounds):
        for op in OPERATIONS:
            order = list(live) if round_no % 2 == 0 else list(reversed(live))
            for name in order:
                res = measure(live[name][0], specs[name][op], args)
                runs[name][op].append(res)
                print('  %-10s %-15s %8.1f req/s  p50 %7s ms  p99 %7s ms  errors %d  '
                      '(server cpu %s s, client cpu %s%%)' % (
                          name, op, res['rps'], res['p50_ms'], res['p99_ms'], res['errors'],
                          res['server_cpu_s'], res['client_cpu_pct']), flush=True)
                if res['error_samples']:
                    print('    e.g. %s' % res['error_samples'][0], flush=True)
    for name in live:
        results[name]['operations'] = {op: loadgen.median_run(r) for op, r in runs[name].items()}
        results[name]['runs'] = runs[name]


def serve(live, args):
    """Keep the servers up for args.serve seconds and print how to reach them."""
    for name, (_, url) in live.items():
        print('%s is serving for %d s (Ctrl-C stops it):\n  export OS_AUTH_URL=%s '
              'OS_USERNAME=admin OS_PASSWORD=%s OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default '
              'OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne OS_IDENTITY_API_VERSION=3'
              % (name, args.serve, url, args.admin_password), flush=True)
    time.sleep(args.serve)


def report(results, args):
    ks, cs = results.get('keystone', {}), results.get('cloudstack', {})
    results['ratios'] = {}
    print('\n== identity: concurrency %d, %g s per operation after %g s warm-up, median of %d, '
          '%d workers each, bcrypt cost %d' % (args.concurrency, args.duration, args.warmup,
                                              args.rounds, args.workers, args.bcrypt_rounds))
    print('   (per cpu-s: answers per CPU second of the server, which other load skews less)')

    def cell(value, fmt):
        return fmt % value if value is not None else '-'

    columns = (('rps', '%.1f'), ('p50_ms', '%.1f'), ('p99_ms', '%.1f'), ('errors', '%d'),
               ('answers_per_cpu_s', '%.1f'))
    for op in OPERATIONS:
        print('\n%-24s %9s %9s %9s %7s %9s' % (op, 'req/s', 'p50 ms', 'p99 ms', 'errors',
                                               'per cpu-s'))
        rows = {}
        for name, res in (('keystone', ks), ('cloudstack', cs)):
            rows[name] = r = res.get('operations', {}).get(op, {})
            print('  %-22s %9s %9s %9s %7s %9s' % ((name,) + tuple(
                cell(r.get(key), fmt) for key, fmt in columns)))
        ratio = loadgen.ratio(rows['cloudstack'].get('rps'), rows['keystone'].get('rps'))
        cpu_ratio = loadgen.ratio(rows['cloudstack'].get('answers_per_cpu_s'),
                                  rows['keystone'].get('answers_per_cpu_s'))
        results['ratios'][op] = {'rps': ratio, 'answers_per_cpu_s': cpu_ratio}
        goal = RATIO_GOALS.get(op)
        verdict = '' if goal is None or ratio is None else \
            '  (goal >= %gx: %s)' % (goal, 'met' if ratio >= goal else 'MISSED')
        print('  %-22s %9s %39s%s' % ('cloudstack/keystone', cell(ratio, '%.2fx'),
                                      cell(cpu_ratio, '%.2fx'), verdict))

    print('\n%-40s %9s' % ('time from process start to first token', 'seconds'))
    print('  %-38s %9s' % ('keystone (setup before it: %s s)' % ks.get('setup_s', '-'),
                           cell(ks.get('startup_s'), '%.3f')))
    for key, label in (('startup_first_s', 'fresh data dir'),
                       ('startup_second_s', 'existing data dir')):
        value = cs.get(key)
        verdict = '' if value is None else \
            '  (goal < %g s: %s)' % (STARTUP_GOAL_S, 'met' if value < STARTUP_GOAL_S else 'MISSED')
        print('  %-38s %9s%s' % ('cloudstack, ' + label, cell(value, '%.3f'), verdict))
    print('\n%-40s %9s %9s' % ('memory at idle after start, MB', 'RSS', 'PSS'))
    for name, res in (('keystone', ks), ('cloudstack', cs)):
        mem = res.get('memory_idle_mb', {})
        print('  %-38s %9s %9s' % (name, cell(mem.get('rss'), '%.1f'), cell(mem.get('pss'), '%.1f')))
    for name, res in sorted(results.items()):
        if isinstance(res, dict) and res.get('error'):
            print('\n%s FAILED: %s' % (name, res['error'].splitlines()[0]))


def parse_args():
    bench = os.environ.get('BENCH', os.path.expanduser('~/bench'))
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--systems', default='keystone,cloudstack',
                    help='comma list of keystone,cloudstack (default both)')
    ap.add_argument('--concurrency', type=int, default=8)
    ap.add_argument('--duration', type=float, default=10.0, help='seconds per operation')
    ap.add_argument('--warmup', type=float, default=2.0, help='uncounted seconds before each')
    ap.add_argument('--rounds', type=int, default=1,
                    help='runs of each operation per system; the median one is reported')
    ap.add_argument('--workers', type=int, default=2, help='API worker processes of each server')
    ap.add_argument('--bcrypt-rounds', type=int, default=12)
    ap.add_argument('--projects', type=int, default=50, help='projects created before listing')
    ap.add_argument('--admin-password', default=secrets.token_urlsafe(12))
    ap.add_argument('--start-timeout', type=float, default=60.0)
    ap.add_argument('--keystone-venv', default=os.path.join(bench, 'keystone-venv'))
    ap.add_argument('--cloudstack-bin-dir', default=os.path.dirname(sys.executable),
                    help='where cloudstack-all is (else: python -m cloudstack.cmd.all)')
    ap.add_argument('--workdir', help='scratch dir (default: a new one under $BENCH, removed)')
    ap.add_argument('--output', help='write the results as JSON to this file')
    ap.add_argument('--serve', type=int, metavar='SECONDS',
                    help='only start the systems and keep each up this long (for Tempest)')
    args = ap.parse_args()
    args.systems = [s.strip() for s in args.systems.split(',') if s.strip()]
    if not args.systems or set(args.systems) - {'keystone', 'cloudstack'}:
        ap.error('--systems takes keystone and/or cloudstack')
    return args


def main():
    args = parse_args()
    # SIGTERM/SIGHUP unwind like Ctrl-C, so the servers are stopped on the way out
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(130))
    workdir = args.workdir or tempfile.mkdtemp(
        prefix='identity-bench-', dir=os.environ.get('BENCH', os.path.expanduser('~/bench')))
    os.makedirs(workdir, exist_ok=True)
    load = os.getloadavg()[0]
    results = {'config': {k: v for k, v in vars(args).items() if k != 'admin_password'},
               'machine': {'cpus': os.cpu_count(), 'loadavg_1m_at_start': load}}
    if load > 0.5:
        print('note: load average %.2f at start; other work on this machine skews req/s '
              '(answers per server CPU second less so)' % load, flush=True)
    failed = []

    def fail(name, exc):
        failed.append(name)
        results.setdefault(name, {})['error'] = str(exc)
        print('%s FAILED: %s' % (name, exc), flush=True)

    live = {}  # name -> (server, identity URL), both up; only one is loaded at a time
    try:
        for name in args.systems:
            try:
                server, url, results[name] = STARTERS[name](args, workdir)
                live[name] = server, url
            except FAILURES as exc:
                fail(name, exc)
        for name, (server, _) in live.items():  # at idle, right after start
            mem = server.memory()
            results[name]['memory_idle_mb'] = {k: round(v / 1e6, 1) for k, v in mem.items()}
        if args.serve:
            serve(live, args)
        else:
            specs = {}
            for name, (server, url) in list(live.items()):
                try:
                    specs[name], results[name]['projects_listed'] = prepare(
                        url, args.admin_password, args.projects)
                except FAILURES as exc:
                    fail(name, exc)
                    server.stop()
                    del live[name]
            try:
                run_rounds(live, specs, results, args)
            except FAILURES as exc:
                fail('benchmark', exc)
            report(results, args)
    except KeyboardInterrupt:
        print('\ninterrupted', flush=True)
        failed.append('interrupted')
    finally:
        servers.stop_all()
        if args.output:
            with open(args.output, 'w') as f:
                json.dump(results, f, indent=1, sort_keys=True)
        if failed or args.workdir:
            print('\nlogs kept in %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
