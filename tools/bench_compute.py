#!/usr/bin/env python3
"""Compute benchmark: the real Nova and cloudstack, side by side, in one run.

Both boot servers on a fake hypervisor: Nova 34 (PyPI `nova` and
`openstack-placement`, installed into --nova-venv on first use) as OpenStack
deploys it, with nova-api, nova-conductor, nova-scheduler, nova-compute
(fake.FakeDriver), Placement and RabbitMQ, on SQLite, with noauth2; and
cloudstack as `cloudstack-all` with its `fake` driver (Keystone tokens). The
same client code drives both, one after the other:

  create     servers created at --concurrency for --duration seconds, each
             polled (every --poll seconds, 5 ms by default) until ACTIVE:
             create-to-ACTIVE p50/p95 (ms) and throughput (servers ACTIVE per
             second). A client polls as openstacksdk's wait_for_server(interval=)
             does: GET /servers/{id}, sleep, again.
  burst      --burst creates sent at once, then waited for: errors, seconds
  list       GET /servers/detail of --list servers (limit=--list), median ms
  delete     every server deleted at --concurrency, each polled until gone:
             p50 ms and servers deleted per second

    tools/bench_compute.py [--systems cloudstack,nova] [--duration 10] [--output FILE]

Ratios are cloudstack/nova. Exits 1 when a system could not be started or run.
"""
import argparse
import concurrent.futures
import json
import os
import statistics
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import nova_cluster, servers  # noqa: E402

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN_PASSWORD = 'bench-admin-pw'
POLL = 0.005


class Client:
    """The compute API of one system, with a session per thread."""

    def __init__(self, compute_url, headers, image_ref, poll=POLL):
        self.url = compute_url.rstrip('/')
        self.poll = poll
        self.headers = dict(headers, **{'OpenStack-API-Version': 'compute 2.37'})
        self.image_ref = image_ref
        self.local = threading.local()

    def session(self):
        s = getattr(self.local, 's', None)
        if s is None:
            s = self.local.s = requests.Session()
            s.headers.update(self.headers)
        return s

    def create(self, name, count=1):
        body = {'server': {'name': name, 'imageRef': self.image_ref, 'flavorRef': 'bench',
                           'networks': 'none', 'min_count': count, 'max_count': count}}
        r = self.session().post(self.url + '/servers', json=body, timeout=60)
        r.raise_for_status()
        return r.json()['server']['id']

    def status(self, server_id):
        r = self.session().get('%s/servers/%s' % (self.url, server_id), timeout=60)
        if r.status_code == 404:
            return 'GONE'
        r.raise_for_status()
        return r.json()['server']['status']

    def wait(self, server_id, wanted, timeout=300):
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(server_id)
            if status == wanted:
                return
            if status == 'ERROR' or time.monotonic() > deadline:
                raise RuntimeError('server %s is %s' % (server_id, status))
            time.sleep(self.poll)

    def ids(self):
        r = self.session().get(self.url + '/servers?limit=100000', timeout=120)
        r.raise_for_status()
        return [s['id'] for s in r.json()['servers']]

    def delete(self, server_id):
        r = self.session().delete('%s/servers/%s' % (self.url, server_id), timeout=60)
        if r.status_code not in (204, 404):
            r.raise_for_status()


def _pct(values, q):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1) \
        if values else None


def bench_create(client, concurrency, duration):
    latencies, errors = [], []
    stop = time.monotonic() + duration

    def worker(n):
        i = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                client.wait(client.create('b%d-%d' % (n, i)), 'ACTIVE')
                latencies.append(time.perf_counter() - started)
            except Exception as exc:
                errors.append(str(exc))
            i += 1
    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    elapsed = time.perf_counter() - began
    return {'servers': len(latencies), 'errors': len(errors),
            'p50_ms': _pct(latencies, 0.5), 'p95_ms': _pct(latencies, 0.95),
            'per_second': round(len(latencies) / elapsed, 2)}


def bench_burst(client, count):
    began = time.perf_counter()
    errors = []
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(lambda n: client.wait(client.create('burst%d' % n), 'ACTIVE'),
                               n) for n in range(count)]
        for f in futures:
            try:
                f.result()
            except Exception as exc:
                errors.append(str(exc))
    return {'servers': count, 'errors': len(errors), 'errors_seen': errors[:3],
            'seconds': round(time.perf_counter() - began, 2)}


def bench_list(client, count, runs=5):
    have = len(client.ids())
    while have < count:
        batch = min(100, count - have)
        client.create('fill', batch)
        have += batch
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        r = client.session().get(client.url + '/servers/detail?status=BUILD&limit=1',
                                 timeout=60)
        if not r.json()['servers']:
            break
        time.sleep(0.5)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        r = client.session().get(client.url + '/servers/detail?limit=%d' % count, timeout=120)
        r.raise_for_status()
        assert len(r.json()['servers']) == count, len(r.json()['servers'])
        times.append(time.perf_counter() - started)
    return {'servers': count, 'median_ms': round(statistics.median(times) * 1000, 1)}


def bench_delete(client, concurrency):
    ids = client.ids()
    latencies = []
    began = time.perf_counter()

    def one(server_id):
        started = time.perf_counter()
        client.delete(server_id)
        client.wait(server_id, 'GONE')
        latencies.append(time.perf_counter() - started)
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, ids))
    elapsed = time.perf_counter() - began
    return {'servers': len(ids), 'p50_ms': _pct(latencies, 0.5),
            'per_second': round(len(ids) / elapsed, 2) if ids else None}


def run_benchmarks(client, args):
    out = {'poll_seconds': client.poll,
           'create': bench_create(client, args.concurrency, args.duration)}
    out['delete'] = bench_delete(client, args.concurrency)
    out['burst'] = bench_burst(client, args.burst)
    out['list'] = bench_list(client, args.list)
    out['delete_all'] = bench_delete(client, args.concurrency)
    return out


# The systems --------------------------------------------------------------------

def _token(base, password):
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'id': 'default'}, 'password': password}}},
        'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}}
    r = requests.post(base + '/identity/v3/auth/tokens', json=body, timeout=60)
    r.raise_for_status()
    return r.headers['X-Subject-Token'], r.json()['token']['project']['id']


def prepare(compute_url, image_url, headers, project_id):
    """A flavor 'bench', a tiny public image and no quota limits."""
    s = requests.Session()
    s.headers.update(headers)
    s.post(compute_url + '/flavors', json={'flavor': {
        'name': 'bench', 'id': 'bench', 'ram': 64, 'vcpus': 1, 'disk': 0}}, timeout=60)
    s.put('%s/os-quota-sets/%s' % (compute_url, project_id), json={'quota_set': {
        'instances': -1, 'cores': -1, 'ram': -1}}, timeout=60).raise_for_status()
    r = s.post(image_url + '/v2/images', json={'name': 'bench', 'disk_format': 'raw',
                                              'container_format': 'bare',
                                              'visibility': 'public'}, timeout=60)
    r.raise_for_status()
    image_id = r.json()['id']
    s.put('%s/v2/images/%s/file' % (image_url, image_id), data=b'\0' * 4096,
          headers={'Content-Type': 'application/octet-stream'}, timeout=60).raise_for_status()
    return image_id


def _cloudstack(args, workdir):
    """A started cloudstack-all (its fake hypervisor sized for the run) and its URL."""
    port = servers.free_port()
    extra = ('[fake_driver]\nvcpus = 100000\nmemory_mb = 100000000\nlocal_gb = 1000000\n'
             '[compute]\ncpu_allocation_ratio = 16\n')
    server = servers.cloudstack_server(os.path.dirname(sys.executable), REPO_DIR, workdir,
                                       os.path.join(workdir, 'data'), port, args.workers,
                                       ADMIN_PASSWORD, 4, extra).start()
    base = 'http://127.0.0.1:%d' % port
    server.wait_for_port(port, 60)
    deadline = time.monotonic() + 60
    while True:
        try:
            token, project_id = _token(base, ADMIN_PASSWORD)
            return server, base, token, project_id
        except Exception:
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.2)


def run_cloudstack(args, workdir):
    server, base, token, project_id = _cloudstack(args, workdir)
    try:
        headers = {'X-Auth-Token': token}
        compute = base + '/compute/v2.1'
        # the compute role is ready once its node reports
        deadline = time.monotonic() + 60
        while not requests.get(compute + '/os-hypervisors', headers=headers,
                               timeout=10).json().get('hypervisors'):
            assert time.monotonic() < deadline, 'no compute node reported'
            time.sleep(0.2)
        image_id = prepare(compute, base + '/image', headers, project_id)
        result = run_benchmarks(Client(compute, headers, image_id, args.poll), args)
        result['memory_rss_mib'] = round(servers.tree_rss(server.proc.pid) / 2 ** 20, 1)
        return result
    finally:
        server.stop()


def run_nova(args, workdir):
    """Nova, with identity and images from a cloudstack-all started for it."""
    identity, base, _, _ = _cloudstack(args, os.path.join(workdir, 'identity') if os.makedirs(
        os.path.join(workdir, 'identity'), exist_ok=True) is None else workdir)
    cluster = nova_cluster.NovaCluster(args.nova_venv, workdir, args.workers, base,
                                       ADMIN_PASSWORD)
    try:
        cluster.start()
        headers = cluster.headers()
        image_id = prepare(cluster.compute_url, cluster.image_url, headers,
                           cluster.project_id)
        result = run_benchmarks(Client(cluster.compute_url, headers, image_id, args.poll),
                                args)
        result['memory_rss_mib'] = round(cluster.rss() / 2 ** 20, 1)
        return result
    finally:
        cluster.stop()
        identity.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--systems', default='cloudstack,nova')
    ap.add_argument('--duration', type=float, default=10)
    ap.add_argument('--concurrency', type=int, default=8)
    ap.add_argument('--burst', type=int, default=100)
    ap.add_argument('--list', type=int, default=1000)
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--nova-venv', default=os.path.expanduser('~/bench/nova/venv'))
    ap.add_argument('--poll', type=float, default=POLL,
                    help='seconds between a client\'s GETs of a server it waits for')
    ap.add_argument('--output')
    args = ap.parse_args()
    results = {}
    failed = False
    for system in args.systems.split(','):
        workdir = tempfile.mkdtemp(prefix='bench-compute-%s.' % system)
        runner = {'cloudstack': run_cloudstack, 'nova': run_nova}[system]
        try:
            results[system] = runner(args, workdir)
        except Exception as exc:
            results[system] = {'error': '%s: %s' % (type(exc).__name__, exc),
                               'workdir': workdir}
            failed = True
        print(json.dumps({system: results[system]}, indent=1), flush=True)
    if 'cloudstack' in results and 'nova' in results and not failed:
        c, n = results['cloudstack'], results['nova']
        results['ratios'] = {
            'create_p50': round(c['create']['p50_ms'] / n['create']['p50_ms'], 3),
            'create_per_second': round(c['create']['per_second'] / n['create']['per_second'],
                                       2),
            'list_median': round(c['list']['median_ms'] / n['list']['median_ms'], 3),
            'delete_per_second': round(c['delete_all']['per_second']
                                       / n['delete_all']['per_second'], 2)}
        print(json.dumps({'ratios': results['ratios']}, indent=1))
    if args.output:
        with open(args.output, 'w') as f:
            json.dump(results, f, indent=1)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
