"""A small closed-loop HTTP load generator: N threads, one keep-alive connection each.

Every thread sends the same request back to back for `warmup + duration` seconds;
requests started during the warm-up are not counted. Run it as its own process
(`run_in_subprocess`), so its CPU use is its own and the servers' is theirs:

    python3 tools/bench/loadgen.py < spec.json > result.json

spec: {"host", "port", "method", "path", "headers": {}, "body": str|null,
       "expect": [codes], "concurrency": 8, "duration": 10, "warmup": 2, "timeout": 30}

A path may name a different resource per request: "{w}" is the thread's number
(0..concurrency-1) and "{i}" the thread's request count so far. With "cycle":
[n per thread], {i} wraps at the thread's n (e.g. GET the objects a PUT run
made); with "limit": [n per thread], a thread stops after n requests (e.g.
DELETE each of them once). The result's "answered_per_worker" tells how many
requests each thread had answered, warm-up included.
"""
import json
import math
import resource
import socket
import subprocess
import sys
import threading
import time

MAX_ERROR_SAMPLES = 5


def percentile(values, q):
    """Nearest-rank q-th percentile (0 < q <= 100) of values; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def summarize(latencies, errors, elapsed):
    """Throughput and latency figures of one run; latencies in seconds."""
    ok = len(latencies)

    def ms(seconds):
        return None if seconds is None else round(seconds * 1000.0, 2)

    return {
        'requests': ok,
        'errors': errors,
        'elapsed_s': round(elapsed, 3),
        'rps': round(ok / elapsed, 1) if elapsed > 0 else 0.0,
        'p50_ms': ms(percentile(latencies, 50)),
        'p99_ms': ms(percentile(latencies, 99)),
        'mean_ms': ms(sum(latencies) / ok) if ok else None,
    }


def median_run(runs):
    """The run with the median req/s (the lower middle one of an even count)."""
    return sorted(runs, key=lambda run: run['rps'])[(len(runs) - 1) // 2]


def ratio(ours, theirs):
    """ours / theirs, or None when either is missing or theirs is zero."""
    if ours is None or not theirs:
        return None
    return round(ours / theirs, 2)


def build_request(spec, path=None):
    """The bytes of the one request a run repeats (or of one with `path`)."""
    body = spec.get('body') or b''
    body = body.encode() if isinstance(body, str) else body
    if spec.get('body_size'):  # a body of that many bytes, made here
        body = b'x' * spec['body_size']
    headers = {'Host': '%s:%d' % (spec['host'], spec['port'])}
    headers.update(spec.get('headers', {}))
    if body or spec['method'] in ('POST', 'PUT', 'PATCH'):
        headers['Content-Length'] = str(len(body))
    head = ['%s %s HTTP/1.1' % (spec['method'], path or spec['path'])]
    head += ['%s: %s' % kv for kv in headers.items()]
    return ('\r\n'.join(head) + '\r\n\r\n').encode('latin-1') + body


class Connection:
    """Just enough of an HTTP/1.1 client, over a plain socket.

    http.client costs ~10x more CPU per request, and the client shares the
    machine's cores with the server under test.
    """

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    @classmethod
    def open(cls, host, port, timeout):
        sock = socket.create_connection((host, port), timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(sock)

    def close(self):
        self.sock.close()

    def exchange(self, request, head_only=False):
        """Send request; return (status, body, keep_alive)."""
        self.sock.sendall(request)
        lines = self._read_until(b'\r\n\r\n').decode('latin-1').split('\r\n')
        version, status = lines[0].split(' ', 2)[:2]
        status = int(status)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        keep_alive = version == 'HTTP/1.1' and headers.get('connection', '').lower() != 'close'
        if head_only or status in (204, 304) or status < 200:
            body = b''
        elif headers.get('transfer-encoding', '').lower() == 'chunked':
            body = self._read_chunked()
        elif 'content-length' in headers:
            body = self._read_exact(int(headers['content-length']))
        else:  # body ends when the server closes
            body, keep_alive = self._read_to_close(), False
        return status, body, keep_alive

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError('server closed the connection')
        self.buf += data

    def _read_until(self, sep):
        while (i := self.buf.find(sep)) < 0:
            self._fill()
        out, self.buf = self.buf[:i], self.buf[i + len(sep):]
        return out

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_chunked(self):
        parts = []
        while size := int(self._read_until(b'\r\n').split(b';')[0], 16):
            parts.append(self._read_exact(size))
            self._read_exact(2)
        while self._read_until(b'\r\n'):  # trailers, up to the blank line
            pass
        return b''.join(parts)

    def _read_to_close(self):
        try:
            while True:
                self._fill()
        except ConnectionError:
            pass
        out, self.buf = self.buf, b''
        return out


def _per_worker(spec, key, index):
    values = spec.get(key)
    return None if values is None else values[index]


class _Worker(threading.Thread):
    def __init__(self, spec, count_from, stop_at, index=0):
        super().__init__(daemon=True)
        self.spec = spec
        self.index = index
        self.cycle = _per_worker(spec, 'cycle', index)
        self.limit = _per_worker(spec, 'limit', index)
        self.count_from = count_from
        self.stop_at = stop_at
        self.latencies = []
        self.errors = 0
        self.error_samples = []
        self.last_end = count_from
        self.answered = 0  # every exchange, warm-up included

    def requests(self):
        """The request bytes to send, one per iteration."""
        s = self.spec
        if '{' not in s['path']:
            request = build_request(s)
            while True:
                yield request
        template = build_request(s, '\0PATH\0').split(b'\0PATH\0')
        n = 0
        while self.limit is None or n < self.limit:
            i = n % self.cycle if self.cycle else n
            path = s['path'].format(w=self.index, i=i).encode('latin-1')
            yield template[0] + path + template[1]
            n += 1

    def run(self):
        s = self.spec
        head_only = s['method'] == 'HEAD'
        expect = set(s.get('expect', [200]))
        conn = None
        for request in self.requests():
            start = time.perf_counter()
            if start >= self.stop_at:
                break
            error = None
            try:
                conn = conn or Connection.open(s['host'], s['port'], s.get('timeout', 30))
                status, body, keep_alive = conn.exchange(request, head_only)
                self.answered += 1
                if status not in expect:
                    error = '%d %s' % (status, body[:200].decode('utf-8', 'replace'))
                if not keep_alive:
                    conn.close()
                    conn = None
            except (OSError, ValueError) as exc:
                error = repr(exc)
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.05)  # do not spin on a dead server
            end = time.perf_counter()
            if start < self.count_from:
                continue
            self.last_end = max(self.last_end, end)
            if error is None:
                self.latencies.append(end - start)
            else:
                self.errors += 1
                if len(self.error_samples) < MAX_ERROR_SAMPLES:
                    self.error_samples.append(error)
        if conn is not None:
            conn.close()


def run(spec):
    """Run the load described by spec in this process; return the summary dict."""
    wall0, cpu0 = time.perf_counter(), _cpu_seconds()
    count_from = wall0 + spec.get('warmup', 0)
    stop_at = count_from + spec['duration']
    workers = [_Worker(spec, count_from, stop_at, i) for i in range(spec['concurrency'])]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall, cpu = time.perf_counter() - wall0, _cpu_seconds() - cpu0
    latencies = [x for w in workers for x in w.latencies]
    elapsed = max(w.last_end for w in workers) - count_from
    result = summarize(latencies, sum(w.errors for w in workers), elapsed or spec['duration'])
    result['answered_total'] = sum(w.answered for w in workers)
    result['answered_per_worker'] = [w.answered for w in workers]
    result['concurrency'] = spec['concurrency']
    result['client_cpu_pct'] = round(100.0 * cpu / wall, 1)
    result['error_samples'] = [e for w in workers for e in w.error_samples][:MAX_ERROR_SAMPLES]
    return result


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_in_subprocess(spec):
    """Run the load in a fresh Python process; return its summary dict."""
    limit = spec.get('warmup', 0) + spec['duration'] + spec.get('timeout', 30) + 30
    proc = subprocess.run([sys.executable, __file__], input=json.dumps(spec),
                          capture_output=True, text=True, timeout=limit)
    if proc.returncode != 0:
        raise RuntimeError('load generator failed: %s' % proc.stderr.strip()[-2000:])
    return json.loads(proc.stdout)


if __name__ == '__main__':
    json.dump(run(json.load(sys.stdin)), sys.stdout)
