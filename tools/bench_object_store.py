#!/usr/bin/env python3
"""Object storage benchmark: the real Swift and cloudstack, side by side, in one run.

Both run on 127.0.0.1 with 3 replicas of every object on 3 device directories of
this machine, each replica fsync'd before the answer, and the same number of worker
processes (--workers, for every Swift server: proxy, account, container, object).
The real Swift (PyPI `swift`, installed into --swift-venv on first use) runs with
tempauth and memcached; cloudstack runs as `cloudstack-all` with a 3-replica ring.
Both stay up, but only one is under load at a time, from the same load generator
(tools/bench/loadgen.py, in its own process) and the same client code:

  put_4k / get_4k / head_4k / delete_4k
        4 KiB objects at --concurrency: PUT new names for --duration seconds, then
        GET and HEAD those, then DELETE each of them once
  listing
        GET ?format=json of a container holding --objects objects (the full listing,
        one request), --listing-runs times; the median ms
  put_64m / get_64m
        one 64 MiB object (--large-mib) over one connection, --large-runs times; MB/s
  memory
        resident memory (RSS) summed over each one's process tree at idle after
        start (Swift: its five servers and memcached), and PSS, which counts the
        pages forked workers share once; again after the load

Background work differs: Swift runs here without its replicator, auditor and
updater daemons, while cloudstack's engine runs its periodic replicator and
auditor as configured (a pass at start, then every 300 s / 3600 s), so any
such pass during the run is cloudstack's handicap.

Each small-object operation runs on one system right after the other; with
--rounds N the order alternates and the median run is reported. Ratios are
cloudstack/swift: above 1 is better for ops/s and MB/s, below 1 for latency,
listing time and memory.

    tools/bench_object_store.py [--duration 10] [--rounds 1] [--workers 2] [--output FILE]
    tools/bench_object_store.py --systems cloudstack --parts large   # a quick look at one part
    tools/bench_object_store.py --systems swift --serve 3600   # just keep Swift up

Exits 1 when a server could not be started or the benchmark could not run against it.
"""
import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import loadgen, servers, swift_cluster  # noqa: E402

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYSTEMS = ('swift', 'cloudstack')
OPERATIONS = ('put_4k', 'get_4k', 'head_4k', 'delete_4k')
# small: the 4 KiB operations; listing: the 10,000-object listing (and its
# fill); large: the 64 MiB PUT and GET
PARTS = ('small', 'listing', 'large')
SMALL_RATIO_GOAL = 3.0
LISTING_GOAL_MS = 20.0
LARGE_PUT_RATIO_GOAL = 1.5
CLOUDSTACK_CONF = """
[object_store]
default_replicas = 3
default_devices = objects/d1, objects/d2, objects/d3
"""


class BenchError(Exception):
    pass


class Storage:
    """A Swift v1 account over one keep-alive connection: the calls the setup needs."""

    def __init__(self, storage_url, token):
        parts = urllib.parse.urlsplit(storage_url)
        self.host, self.port = parts.hostname, parts.port
        self.prefix = parts.path.rstrip('/')
        self.url, self.token = storage_url, token
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def call(self, method, path, body=None, headers=None, expect=(200,), stream=False):
        """(response, body bytes) - or (response, None) with stream, the body unread."""
        h = {'X-Auth-Token': self.token}
        h.update(headers or {})
        for attempt in (1, 2):
            try:
                self.conn.request(method, self.prefix + path, body=body, headers=h)
                resp = self.conn.getresponse()
                break
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()  # a fresh connection next time
                # the server may close an idle keep-alive connection: retry once
                if attempt == 2 or not isinstance(exc, (
                        http.client.RemoteDisconnected, ConnectionResetError,
                        BrokenPipeError)):
                    raise
        if stream:
            return resp, None
        data = resp.read()
        if resp.status not in expect:
            raise BenchError('%s %s -> %d %s' % (method, path, resp.status, data[:300]))
        return resp, data

    def spec(self, method, path, expect, **extra):
        """A load generator spec for path (under the account), with this token."""
        return dict({'host': self.host, 'port': self.port, 'method': method,
                     'path': self.prefix + path, 'expect': [expect],
                     'headers': {'X-Auth-Token': self.token}}, **extra)


# ---------------------------------------------------------------- the systems

class Swift:
    name = 'swift'

    def __init__(self, args, workdir):
        self.args = args
        self.dir = os.path.join(workdir, 'swift')
        os.makedirs(self.dir)
        log = os.path.join(self.dir, 'setup.log')
        swift_cluster.ensure_venv(args.swift_venv, log)
        self.cluster = swift_cluster.SwiftCluster(args.swift_venv, self.dir, args.swift_port,
                                                  args.workers)
        self.result = {'version': swift_cluster.swift_version(args.swift_venv),
                       'url': self.cluster.url, 'ports': self.cluster.ports,
                       'memcached_port': self.cluster.memcached_port}
        print('swift %s: setting up in %s' % (self.result['version'], self.dir), flush=True)
        self.cluster.setup(log)

    def start(self):
        self.result['startup_s'] = round(self.cluster.start(self.args.start_timeout), 3)
        token, url = self.cluster.token()
        print('swift: first token %.2f s after start' % self.result['startup_s'], flush=True)
        return Storage(url, token)

    def memory(self):
        parts = self.cluster.memory()
        total = {k: sum(p[k] for p in parts.values()) for k in ('rss', 'pss')}
        return dict(total, parts=parts)

    def cpu_seconds(self):
        return self.cluster.cpu_seconds()

    def stop(self):
        self.cluster.stop()


class Cloudstack:
    name = 'cloudstack'

    def __init__(self, args, workdir):
        self.args = args
        self.dir = os.path.join(workdir, 'cloudstack')
        os.makedirs(self.dir)
        self.url = 'http://127.0.0.1:%d' % args.cloudstack_port
        self.server = servers.cloudstack_server(
            args.cloudstack_bin_dir, REPO_DIR, self.dir, os.path.join(self.dir, 'data'),
            args.cloudstack_port, args.workers, args.admin_password, args.bcrypt_rounds,
            extra_conf=CLOUDSTACK_CONF)
        self.result = {'url': self.url,
                       'command': ['***' if a == self.args.admin_password else a
                                   for a in self.server.argv]}

    def _auth(self):
        return {'auth': {
            'identity': {'methods': ['password'], 'password': {'user': {
                'name': 'admin', 'domain': {'id': 'default'},
                'password': self.args.admin_password}}},
            'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}}

    def start(self):
        identity = self.url + '/identity/v3'
        self.result['startup_s'] = round(self.server.start_and_time(
            identity, self._auth(), self.args.start_timeout), 3)
        print('cloudstack: first token %.2f s after start' % self.result['startup_s'],
              flush=True)
        conn = http.client.HTTPConnection('127.0.0.1', self.args.cloudstack_port, timeout=60)
        conn.request('POST', '/identity/v3/auth/tokens', body=json.dumps(self._auth()),
                     headers={'Content-Type': 'application/json'})
        resp = conn.getresponse()
        body = json.loads(resp.read())
        if resp.status != 201:
            raise BenchError('cloudstack token: %d %s' % (resp.status, body))
        conn.close()
        project = body['token']['project']['id']
        return Storage('%s/object-store/v1/AUTH_%s' % (self.url, project),
                       resp.headers['X-Subject-Token'])

    def memory(self):
        return self.server.memory()

    def cpu_seconds(self):
        return self.server.cpu_seconds()

    def stop(self):
        self.server.stop()


FAILURES = (servers.StartError, BenchError, RuntimeError, OSError, http.client.HTTPException,
            KeyError, ValueError)


# ---------------------------------------------------------------- measurements

def measure(system, spec, args, **overrides):
    """One load run against a system, with its CPU time and answers per CPU second."""
    cpu_before = system.cpu_seconds()
    result = loadgen.run_in_subprocess(dict(dict(
        spec, concurrency=args.concurrency, duration=args.duration, warmup=args.warmup),
        **overrides))
    cpu = system.cpu_seconds() - cpu_before
    result['server_cpu_s'] = round(cpu, 2)
    result['answers_per_cpu_s'] = round(result['answered_total'] / cpu, 1) if cpu else None
    return result


def small_object_round(system, storage, round_no, args):
    """PUT, GET, HEAD and DELETE of 4 KiB objects: yields (op, result) one at a time."""
    path = '/bench/r%d-{w}-{i}' % round_no
    put = measure(system, storage.spec('PUT', path, 201, body_size=4096, headers={
        'X-Auth-Token': storage.token, 'Content-Type': 'application/octet-stream'}), args)
    made = [max(1, n) for n in put['answered_per_worker']]
    yield 'put_4k', put
    for op, method, code in (('get_4k', 'GET', 200), ('head_4k', 'HEAD', 200)):
        yield op, measure(system, storage.spec(method, path, code, cycle=made), args)
    # each object once; may end before the duration when all are gone
    yield 'delete_4k', measure(system, storage.spec('DELETE', path, 204, limit=made), args,
                               warmup=0, duration=3 * (args.warmup + args.duration))


def fill_container(system, storage, container, n, args):
    """n empty objects in container, PUT by the load generator; returns seconds taken."""
    workers = args.fill_concurrency
    per = [n // workers + (1 if w < n % workers else 0) for w in range(workers)]
    started = time.perf_counter()
    res = loadgen.run_in_subprocess(dict(
        storage.spec('PUT', '/%s/object-{w:02d}-{i:06d}' % container, 201, body=''),
        concurrency=workers, duration=3600, warmup=0, limit=per, timeout=60))
    if res['errors']:
        raise BenchError('%s: %d errors filling %s, e.g. %s' % (
            system.name, res['errors'], container, res['error_samples'][:1]))
    return time.perf_counter() - started


def time_listing(storage, container, n, runs):
    """(ms of each full JSON listing of container (n objects) after one warm-up, entries).

    Swift updates listings asynchronously: an update that timed out waits for the
    object-updater daemon (not run here), so its listing may lack a few names."""
    times, counts = [], set()
    for i in range(runs + 1):
        started = time.perf_counter()
        _, data = storage.call('GET', '/%s?format=json' % container)
        elapsed = time.perf_counter() - started
        counts.add(len(json.loads(data)))
        if min(counts) < n * 0.99 or max(counts) > n:
            raise BenchError('listing of %s had %s entries, not %d' % (
                container, sorted(counts), n))
        if i:
            times.append(round(elapsed * 1000.0, 2))
    return times, min(counts)


def put_large(storage, path, data, etag):
    started = time.perf_counter()
    resp, _ = storage.call('PUT', path, body=data, expect=(201,), headers={
        'Content-Type': 'application/octet-stream', 'Content-Length': str(len(data))})
    elapsed = time.perf_counter() - started
    if resp.headers.get('Etag', '').strip('"') != etag:
        raise BenchError('PUT %s answered ETag %s, not %s' % (path, resp.headers.get('Etag'),
                                                              etag))
    return len(data) / elapsed / 1e6


def get_large(storage, path, size, etag):
    started = time.perf_counter()
    resp, _ = storage.call('GET', path, stream=True)
    chunks = []
    while chunk := resp.read(1 << 20):
        chunks.append(chunk)
    elapsed = time.perf_counter() - started
    if resp.status != 200:
        raise BenchError('GET %s -> %d' % (path, resp.status))
    got = b''.join(chunks)
    if len(got) != size or hashlib.md5(got).hexdigest() != etag:
        raise BenchError('GET %s returned %d bytes that do not match what was PUT'
                         % (path, len(got)))
    return size / elapsed / 1e6


def megabytes(value):
    return round(value / 1e6, 1)


# ---------------------------------------------------------------- the run

def prepare(system, storage, args):
    for container in ('bench', 'listing', 'large'):
        storage.call('PUT', '/' + container, expect=(201, 202))
    if 'listing' not in args.parts:
        return {}
    seconds = fill_container(system, storage, 'listing', args.objects, args)
    print('  %-10s %d objects PUT for the listing in %.1f s' % (
        system.name, args.objects, seconds), flush=True)
    resp, _ = storage.call('HEAD', '/listing', expect=(204, 200))
    return {'listing_fill_s': round(seconds, 1),
            'listing_object_count': int(resp.headers.get('X-Container-Object-Count', -1))}


def run_all(live, storages, results, args):
    names = list(live)
    runs = {name: {op: [] for op in OPERATIONS} for name in names}
    for round_no in range(args.rounds if 'small' in args.parts else 0):
        order = names if round_no % 2 == 0 else names[::-1]
        gens = {name: small_object_round(live[name], storages[name], round_no, args)
                for name in order}
        for op in OPERATIONS:
            for name in order:
                got_op, res = next(gens[name])
                assert got_op == op
                runs[name][op].append(res)
                print('  %-10s %-10s %8.1f ops/s  p50 %7s ms  p99 %7s ms  errors %d  '
                      '(server cpu %s s, client cpu %s%%)' % (
                          name, op, res['rps'], res['p50_ms'], res['p99_ms'], res['errors'],
                          res['server_cpu_s'], res['client_cpu_pct']), flush=True)
                if res['error_samples']:
                    print('    e.g. %s' % res['error_samples'][0], flush=True)
    for name in names if 'small' in args.parts else ():
        results[name]['operations'] = {op: loadgen.median_run(r) for op, r in runs[name].items()}
        results[name]['runs'] = runs[name]

    for name in names if 'listing' in args.parts else ():
        times, entries = time_listing(storages[name], 'listing', args.objects,
                                      args.listing_runs)
        results[name]['listing_ms'] = {'median': statistics.median(times), 'min': min(times),
                                       'max': max(times), 'runs': times, 'entries': entries}
        print('  %-10s listing of %d objects (JSON, %d listed): median %.1f ms, min %.1f, '
              'max %.1f' % (name, args.objects, entries, statistics.median(times), min(times),
                            max(times)), flush=True)

    if 'large' not in args.parts:
        return
    data = os.urandom(args.large_mib << 20)
    etag = hashlib.md5(data).hexdigest()
    large = {name: {'put_64m': [], 'get_64m': []} for name in names}
    for run in range(args.large_runs):
        order = names if run % 2 == 0 else names[::-1]
        for name in order:
            path = '/large/object-%d' % run
            large[name]['put_64m'].append(round(put_large(storages[name], path, data, etag), 1))
            large[name]['get_64m'].append(round(get_large(storages[name], path, len(data),
                                                          etag), 1))
            print('  %-10s %d MiB: PUT %.1f MB/s, GET %.1f MB/s' % (
                name, args.large_mib, large[name]['put_64m'][-1],
                large[name]['get_64m'][-1]), flush=True)
    for name in names:
        results[name]['large_mb_s'] = {op: {'median': statistics.median(v), 'runs': v}
                                       for op, v in large[name].items()}


def report(results, args):
    sw, cs = results.get('swift', {}), results.get('cloudstack', {})
    ratios = results['ratios'] = {}

    def cell(value, fmt):
        return fmt % value if value is not None else '-'

    print('\n== object storage: 3 replicas, fsync, %d workers each; concurrency %d, %g s per '
          'operation after %g s warm-up, median of %d' % (
              args.workers, args.concurrency, args.duration, args.warmup, args.rounds))
    print('   ratio = cloudstack/swift (ops/s and MB/s: higher is better; ms and memory: '
          'lower is better)')
    print('   (per cpu-s: answers per CPU second of the server, which other load skews less)')
    columns = (('rps', '%.1f'), ('p50_ms', '%.1f'), ('p99_ms', '%.1f'), ('errors', '%d'),
               ('answers_per_cpu_s', '%.1f'))
    for op in OPERATIONS:
        print('\n%-24s %9s %9s %9s %7s %9s' % (op, 'ops/s', 'p50 ms', 'p99 ms', 'errors',
                                               'per cpu-s'))
        rows = {}
        for name, res in (('swift', sw), ('cloudstack', cs)):
            rows[name] = r = res.get('operations', {}).get(op, {})
            print('  %-22s %9s %9s %9s %7s %9s' % ((name,) + tuple(
                cell(r.get(key), fmt) for key, fmt in columns)))
        ratios[op] = {key: loadgen.ratio(rows['cloudstack'].get(key), rows['swift'].get(key))
                      for key in ('rps', 'p50_ms', 'p99_ms', 'answers_per_cpu_s')}
        r = ratios[op]
        verdict = '' if r['rps'] is None else '  (goal >= %gx: %s)' % (
            SMALL_RATIO_GOAL, 'met' if r['rps'] >= SMALL_RATIO_GOAL else 'MISSED')
        print('  %-22s %9s %9s %9s %7s %9s%s' % (
            'cloudstack/swift', cell(r['rps'], '%.2fx'), cell(r['p50_ms'], '%.2fx'),
            cell(r['p99_ms'], '%.2fx'), '', cell(r['answers_per_cpu_s'], '%.2fx'), verdict))

    print('\n%-24s %9s %9s %9s' % ('listing %d objects' % args.objects, 'median ms',
                                   'min ms', 'max ms'))
    for name, res in (('swift', sw), ('cloudstack', cs)):
        lst = res.get('listing_ms', {})
        verdict = ''
        if name == 'cloudstack' and lst:
            verdict = '  (goal < %g ms: %s)' % (
                LISTING_GOAL_MS, 'met' if lst['median'] < LISTING_GOAL_MS else 'MISSED')
        print('  %-22s %9s %9s %9s%s' % (name, cell(lst.get('median'), '%.1f'),
                                         cell(lst.get('min'), '%.1f'),
                                         cell(lst.get('max'), '%.1f'), verdict))
    ratios['listing_ms'] = loadgen.ratio(cs.get('listing_ms', {}).get('median'),
                                         sw.get('listing_ms', {}).get('median'))
    print('  %-22s %9s' % ('cloudstack/swift', cell(ratios['listing_ms'], '%.2fx')))

    print('\n%-24s %9s %9s' % ('%d MiB object, MB/s' % args.large_mib, 'PUT', 'GET'))
    for name, res in (('swift', sw), ('cloudstack', cs)):
        lg = res.get('large_mb_s', {})
        print('  %-22s %9s %9s' % (name, cell(lg.get('put_64m', {}).get('median'), '%.1f'),
                                   cell(lg.get('get_64m', {}).get('median'), '%.1f')))
    for op in ('put_64m', 'get_64m'):
        ratios[op] = loadgen.ratio(cs.get('large_mb_s', {}).get(op, {}).get('median'),
                                   sw.get('large_mb_s', {}).get(op, {}).get('median'))
    verdict = '' if ratios['put_64m'] is None else '  (PUT goal >= %gx: %s)' % (
        LARGE_PUT_RATIO_GOAL, 'met' if ratios['put_64m'] >= LARGE_PUT_RATIO_GOAL else 'MISSED')
    print('  %-22s %9s %9s%s' % ('cloudstack/swift', cell(ratios['put_64m'], '%.2fx'),
                                 cell(ratios['get_64m'], '%.2fx'), verdict))

    print('\n%-24s %9s %9s %9s %9s' % ('memory, MB', 'idle RSS', 'idle PSS', 'load RSS',
                                       'load PSS'))
    for name, res in (('swift', sw), ('cloudstack', cs)):
        idle, after = res.get('memory_idle', {}), res.get('memory_after_load', {})
        print('  %-22s %9s %9s %9s %9s' % (name, cell(idle.get('rss_mb'), '%.1f'),
                                           cell(idle.get('pss_mb'), '%.1f'),
                                           cell(after.get('rss_mb'), '%.1f'),
                                           cell(after.get('pss_mb'), '%.1f')))
    for key in ('rss_mb', 'pss_mb'):
        ratios['memory_idle_' + key] = loadgen.ratio(cs.get('memory_idle', {}).get(key),
                                                     sw.get('memory_idle', {}).get(key))
    print('  %-22s %9s %9s' % ('cloudstack/swift', cell(ratios['memory_idle_rss_mb'], '%.2fx'),
                               cell(ratios['memory_idle_pss_mb'], '%.2fx')))
    parts = sw.get('memory_idle', {}).get('parts')
    if parts:
        print('  swift idle RSS by server: %s' % ', '.join(
            '%s %.0f' % (k, v['rss_mb']) for k, v in parts.items()))
    for name, res in sorted(results.items()):
        if isinstance(res, dict) and res.get('error'):
            print('\n%s FAILED: %s' % (name, res['error'].splitlines()[0]))


def memory_mb(system):
    mem = system.memory()
    out = {'rss_mb': megabytes(mem['rss']), 'pss_mb': megabytes(mem['pss'])}
    if 'parts' in mem:
        out['parts'] = {k: {'rss_mb': megabytes(v['rss']), 'pss_mb': megabytes(v['pss'])}
                        for k, v in mem['parts'].items()}
    return out


def serve(storages, args):
    for name, storage in storages.items():
        print('%s is serving for %d s (Ctrl-C stops it):\n  storage URL http://%s:%d%s\n'
              '  X-Auth-Token %s' % (name, args.serve, storage.host, storage.port,
                                     storage.prefix, storage.token), flush=True)
    time.sleep(args.serve)


def parse_args():
    bench = os.environ.get('BENCH', os.path.expanduser('~/bench'))
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--systems', default='swift,cloudstack',
                    help='comma list of swift,cloudstack (default both)')
    ap.add_argument('--parts', default=','.join(PARTS),
                    help='comma list of %s (default all): what to measure' % ','.join(PARTS))
    ap.add_argument('--concurrency', type=int, default=8)
    ap.add_argument('--duration', type=float, default=10.0,
                    help='seconds per small-object operation')
    ap.add_argument('--warmup', type=float, default=2.0, help='uncounted seconds before each')
    ap.add_argument('--rounds', type=int, default=1,
                    help='runs of each small-object operation per system; the median is kept')
    ap.add_argument('--workers', type=int, default=2,
                    help='worker processes of cloudstack and of each Swift server')
    ap.add_argument('--objects', type=int, default=10000, help='objects in the listed container')
    ap.add_argument('--fill-concurrency', type=int, default=32,
                    help='connections that PUT the listed container\'s objects')
    ap.add_argument('--listing-runs', type=int, default=9)
    ap.add_argument('--large-mib', type=int, default=64)
    ap.add_argument('--large-runs', type=int, default=3)
    ap.add_argument('--settle', type=float, default=3.0,
                    help='seconds of idle after start before memory is measured')
    ap.add_argument('--bcrypt-rounds', type=int, default=4,
                    help='cloudstack\'s password hash cost (only its one login uses it)')
    ap.add_argument('--admin-password', default=secrets.token_urlsafe(12))
    ap.add_argument('--start-timeout', type=float, default=60.0)
    ap.add_argument('--cloudstack-port', type=int, default=6103)
    ap.add_argument('--swift-port', type=int, default=6203,
                    help='first of 5 ports: proxy, account, container, object, memcached')
    ap.add_argument('--swift-venv', default=os.path.join(bench, 'swift', 'venv'))
    ap.add_argument('--cloudstack-bin-dir', default=os.path.dirname(sys.executable),
                    help='where cloudstack-all is (else: python -m cloudstack.cmd.all)')
    ap.add_argument('--workdir', help='scratch dir (default: a new one under $BENCH, removed)')
    ap.add_argument('--output', help='write the results as JSON to this file')
    ap.add_argument('--serve', type=int, metavar='SECONDS',
                    help='only start the systems and keep each up this long')
    args = ap.parse_args()
    args.systems = [s.strip() for s in args.systems.split(',') if s.strip()]
    if not args.systems or set(args.systems) - set(SYSTEMS):
        ap.error('--systems takes swift and/or cloudstack')
    args.parts = [p.strip() for p in args.parts.split(',') if p.strip()]
    if not args.parts or set(args.parts) - set(PARTS):
        ap.error('--parts takes %s' % ', '.join(PARTS))
    if args.objects > 10000:
        ap.error('--objects: a full listing returns at most 10000 names')
    return args


def main():
    args = parse_args()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(130))
    workdir = args.workdir or tempfile.mkdtemp(
        prefix='object-store-bench-', dir=os.environ.get('BENCH', os.path.expanduser('~/bench')))
    os.makedirs(workdir, exist_ok=True)
    load = os.getloadavg()[0]
    results = {'config': {k: v for k, v in vars(args).items() if k != 'admin_password'},
               'machine': {'cpus': os.cpu_count(), 'loadavg_1m_at_start': load}}
    if load > 0.5:
        print('note: load average %.2f at start; other work on this machine skews ops/s '
              '(answers per server CPU second less so)' % load, flush=True)
    failed = []

    def fail(name, exc):
        failed.append(name)
        results.setdefault(name, {})['error'] = '%s: %s' % (type(exc).__name__, exc)
        print('%s FAILED: %s' % (name, exc), flush=True)

    live, storages, systems = {}, {}, []
    try:
        for name in args.systems:
            try:
                system = (Swift if name == 'swift' else Cloudstack)(args, workdir)
                systems.append(system)
                storages[name] = system.start()
                results[name] = system.result
                live[name] = system
            except FAILURES as exc:
                fail(name, exc)
        time.sleep(args.settle)
        for name, system in live.items():
            results[name]['memory_idle'] = memory_mb(system)
        if args.serve:
            serve(storages, args)
        else:
            # the systems fill their listed containers at the same time (not measured)
            with concurrent.futures.ThreadPoolExecutor(len(live) or 1) as pool:
                jobs = {name: pool.submit(prepare, live[name], storages[name], args)
                        for name in live}
            for name, job in jobs.items():
                try:
                    results[name].update(job.result())
                except FAILURES as exc:
                    fail(name, exc)
                    live.pop(name).stop()
            try:
                run_all(live, storages, results, args)
            except FAILURES as exc:
                fail('benchmark', exc)
            for name, system in live.items():
                results[name]['memory_after_load'] = memory_mb(system)
            report(results, args)
    except KeyboardInterrupt:
        print('\ninterrupted', flush=True)
        failed.append('interrupted')
    finally:
        for system in systems:
            system.stop()
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
