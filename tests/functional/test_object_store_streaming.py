"""A large object streams through PUT and GET: server memory stays flat.

The object is generated on the fly and hashed as it goes (the test never
holds it); the resident memory of every process of the cloud is sampled
while it travels. Size in MiB: $CLOUDSTACK_STREAMING_TEST_MB (default 1024,
about 10 s on 2 cores; a smaller size such as 256 still shows any buffering
of the whole body). The object is deleted at the end, freeing its disk space.
"""
import hashlib
import os
import threading
import time

from tests.functional.conftest import ADMIN_PASSWORD, Swift, rss

MIB = 1 << 20
SIZE_MB = int(os.environ.get('CLOUDSTACK_STREAMING_TEST_MB', '1024'))
BOUND = 64 * MIB            # growth over idle allowed for any one process


class Sampler(threading.Thread):
    """Peak RSS of the cloud's processes (the parent, its workers, its engine)."""

    def __init__(self, cloud, proc):
        super().__init__(daemon=True)
        self.cloud, self.proc = cloud, proc
        self.peak = {}
        self.names = {}
        self.stop = threading.Event()

    def sample(self):
        family = {self.proc.pid: 'cloudstack-all', **self.cloud.children(self.proc.pid)}
        for pid, name in family.items():
            self.names[pid] = name
            self.peak[pid] = max(self.peak.get(pid, 0), rss(pid))
        return family

    def run(self):
        while not self.stop.wait(0.05):
            self.sample()


def _body(block, count, md5):
    for _ in range(count):
        md5.update(block)
        yield block


def _idle(cloud, proc):
    sampler = Sampler(cloud, proc)
    family = sampler.sample()
    return sampler, {pid: rss(pid) for pid in family}


def _growth(sampler, idle):
    return {'%s[%d]' % (sampler.names[pid], pid): (peak - idle[pid]) / MIB
            for pid, peak in sampler.peak.items() if pid in idle}


def test_large_object_streams_in_bounded_memory(cloud):
    proc = cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    swift = Swift(cloud)
    assert swift.request('PUT', '/big').status_code == 201
    # Warm up every worker (imports, pools) with small objects, then measure idle.
    for i in range(8):
        assert swift.request('PUT', '/big/warm%d' % i, data=b'x' * 100000).status_code == 201
        assert swift.request('GET', '/big/warm%d' % i).content == b'x' * 100000
    block = os.urandom(MIB)
    sampler, idle = _idle(cloud, proc)
    assert len(idle) == 4, idle         # the parent, 2 API workers, the engine

    sampler.start()
    started = time.monotonic()
    sent = hashlib.md5()
    resp = swift.request('PUT', '/big/object', data=_body(block, SIZE_MB, sent),
                         timeout=600)
    assert resp.status_code == 201, resp.text
    assert resp.headers['ETag'].strip('"') == sent.hexdigest()
    upload = _growth(sampler, idle)
    upload_s = time.monotonic() - started

    head = swift.request('HEAD', '/big/object')
    assert int(head.headers['Content-Length']) == SIZE_MB * MIB

    got, size = hashlib.md5(), 0
    started = time.monotonic()
    with swift.request('GET', '/big/object', stream=True, timeout=600) as resp:
        assert resp.status_code == 200
        for chunk in resp.iter_content(MIB):
            got.update(chunk)
            size += len(chunk)
        etag = resp.headers['ETag'].strip('"')
    download_s = time.monotonic() - started
    sampler.stop.set()
    sampler.join()
    download = _growth(sampler, idle)
    print('%d MiB: upload %.1fs, download %.1fs; RSS growth over idle (MiB): '
          'upload %s, download %s' % (SIZE_MB, upload_s, download_s, upload, download))
    assert size == SIZE_MB * MIB and got.hexdigest() == sent.hexdigest() == etag
    for what, growth in (('upload', upload), ('download', download)):
        for process, mib in growth.items():
            assert mib * MIB < BOUND, '%s grew by %.1f MiB during the %s' % (
                process, mib, what)
    assert swift.request('DELETE', '/big/object').status_code == 204
