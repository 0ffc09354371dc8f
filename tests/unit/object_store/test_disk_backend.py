"""The disk backend: replicas on ring devices, durability, damage."""
import glob
import hashlib
import os
import shutil
import tracemalloc

import pytest

from cloudstack.object_store import ring
from cloudstack.object_store.backend import base
from cloudstack.object_store.backend import disk

NAME = ('AUTH_p', 'cont', 'obj')



def _nodes(be, name=NAME):
    r = be._ring()
    part = r.partition(*name)
    return r.get_nodes(part), r.get_more_nodes(part)


def _hashdir(be, dev, name=NAME):
    r = be._ring()
    h = r.hash_path(*name)
    return be._hashdir(dev, r.partition(name_hash=h), h)


def _files(dev, pattern='*'):
    return glob.glob(os.path.join(dev['path'], 'objects', '*', '*', '*', pattern))


def _break(dev):
    """A device that cannot be used: its path is a file, not a directory
    (chmod would not stop root)."""
    shutil.rmtree(dev['path'])
    with open(dev['path'], 'w') as f:
        f.write('not a device')


def _read(be, name=NAME, **kw):
    info, chunks = be.get(*name, **kw)
    return info, b''.join(chunks)


def test_put_get_head(cluster):
    info = cluster.put(*NAME, [b'hello ', b'', b'world'], 'text/plain',
                       {'X-Object-Meta-Color': 'blue'})
    assert info.etag == hashlib.md5(b'hello world').hexdigest()
    assert info.size == 11
    got, data = _read(cluster)
    assert data == b'hello world'
    assert got == info == cluster.head(*NAME)
    primaries, handoffs = _nodes(cluster)
    for dev in primaries:
        assert [os.path.basename(f) for f in _files(dev)] == [info.timestamp + '.data']
    assert not _files(handoffs[0])


def test_put_from_a_file_object_and_bytes(cluster, tmp_path):
    src = tmp_path / 'src'
    src.write_bytes(b'x' * 200000)
    cluster.put(*NAME, open(src, 'rb'), 'application/octet-stream', {})
    assert _read(cluster)[1] == b'x' * 200000
    cluster.put(*NAME, b'plain bytes', 'text/plain', {})
    assert _read(cluster)[1] == b'plain bytes'


def test_empty_object(cluster):
    info = cluster.put(*NAME, [], 'text/plain', {})
    assert (info.size, info.etag) == (0, hashlib.md5(b'').hexdigest())
    assert _read(cluster)[1] == b''


def test_ranges(cluster):
    data = bytes(range(256)) * 1000
    cluster.put(*NAME, [data], 'application/octet-stream', {})
    assert _read(cluster, start=0, end=0)[1] == data[:1]
    assert _read(cluster, start=100, end=199)[1] == data[100:200]
    assert _read(cluster, start=255000, end=10 ** 9)[1] == data[255000:]
    assert _read(cluster, start=5)[1] == data[5:]
    assert _read(cluster, start=300000, end=300010)[1] == b''


def test_streamed_reads_are_chunked(cluster):
    cluster.chunk_size = 65536
    data = os.urandom(3 * 65536 + 10)
    cluster.put(*NAME, [data], 'application/octet-stream', {})
    _info, chunks = cluster.get(*NAME, start=1)
    sizes = [len(c) for c in chunks]
    assert max(sizes) <= 65536 and sum(sizes) == len(data) - 1


def test_post_replaces_metadata_newest_wins(cluster):
    put = cluster.put(*NAME, [b'data'], 'text/plain', {'X-Object-Meta-A': '1'})
    posted = cluster.post(*NAME, None, {'X-Object-Meta-B': '2'})
    head = cluster.head(*NAME)
    assert head.metadata == {'X-Object-Meta-B': '2'}
    assert head.content_type == 'text/plain'
    assert head.timestamp == posted.timestamp > put.timestamp
    assert (head.etag, head.size) == (put.etag, 4)
    cluster.post(*NAME, 'application/json', {'X-Object-Meta-C': '3'})
    head = cluster.head(*NAME)
    assert (head.content_type, head.metadata) == ('application/json', {'X-Object-Meta-C': '3'})
    # Only the newest .meta is kept.
    for dev in _nodes(cluster)[0]:
        assert len(_files(dev, '*.meta')) == 1
    # A new PUT brings its own metadata; the old .meta goes.
    cluster.put(*NAME, [b'new'], 'text/plain', {'X-Object-Meta-D': '4'})
    assert cluster.head(*NAME).metadata == {'X-Object-Meta-D': '4'}
    for dev in _nodes(cluster)[0]:
        assert not _files(dev, '*.meta')


def test_post_missing_replica_is_covered_by_others(cluster):
    cluster.put(*NAME, [b'data'], 'text/plain', {})
    cluster.post(*NAME, None, {'X-Object-Meta-B': '2'})
    first = _nodes(cluster)[0][0]
    for f in _files(first, '*.meta'):
        os.unlink(f)
    assert cluster.head(*NAME).metadata == {'X-Object-Meta-B': '2'}


def test_delete_leaves_tombstones(cluster):
    cluster.put(*NAME, [b'data'], 'text/plain', {})
    cluster.delete(*NAME)
    with pytest.raises(KeyError):
        cluster.head(*NAME)
    with pytest.raises(KeyError):
        cluster.get(*NAME)
    with pytest.raises(KeyError):
        cluster.delete(*NAME)
    with pytest.raises(KeyError):
        cluster.post(*NAME, None, {})
    for dev in _nodes(cluster)[0]:
        files = _files(dev)
        assert len(files) == 1 and files[0].endswith('.ts')
    # And the object can come back.
    cluster.put(*NAME, [b'again'], 'text/plain', {})
    assert _read(cluster)[1] == b'again'


def test_tombstones_are_empty_files_made_in_place(cluster):
    """No temp file nor rename for a tombstone: its name says all; the same
    tombstone made twice (two deletions at one timestamp) is one file."""
    cluster.put(*NAME, [b'data'], 'text/plain', {})
    cluster.delete(*NAME, timestamp='9000000000.00001')
    cluster.delete(*NAME, timestamp='9000000000.00001', check=False)
    for dev in _nodes(cluster)[0]:
        assert [os.path.basename(f) for f in _files(dev)] == ['9000000000.00001.ts']
        assert os.path.getsize(_files(dev)[0]) == 0
        assert not os.listdir(os.path.join(dev['path'], 'tmp'))
    with pytest.raises(KeyError):
        cluster.head(*NAME)


def test_large_writes_are_handed_to_writeback_as_they_go(cluster, monkeypatch):
    """Every WRITEBACK_BYTES of a replica the kernel is told to start
    writing it out (the fsync at the end stays)."""
    started = []
    real = disk.start_writeback
    monkeypatch.setattr(disk, 'start_writeback', lambda fd, offset, length: (
        started.append((offset, length)), real(fd, offset, length)))
    step = disk.WRITEBACK_BYTES
    chunk = os.urandom(1 << 20)
    count = (2 * step + step // 2) // len(chunk)
    cluster.put(*NAME, [chunk] * count, 'application/octet-stream', {})
    assert sorted(started) == [(0, step)] * 3 + [(step, step)] * 3
    assert _read(cluster)[1] == chunk * count


def test_large_writes_leave_the_page_cache_as_they_go(cluster, monkeypatch):
    """Each range handed to writeback is dropped from the page cache when
    the next one is handed over, and the whole file after its fsync; a
    small object's replicas stay cached."""
    calls = []
    real = disk.drop_cached
    monkeypatch.setattr(disk, 'drop_cached', lambda fd, offset, length: (
        calls.append((offset, length, os.fstat(fd).st_size)), real(fd, offset, length)))
    step = disk.WRITEBACK_BYTES
    chunk = os.urandom(1 << 20)
    count = (3 * step + step // 2) // len(chunk)
    cluster.put(*NAME, [chunk] * count, 'application/octet-stream', {})
    size = count * len(chunk)
    footer = os.path.getsize(_files(_nodes(cluster)[0][0])[0]) - size
    # per replica: the first range when the second is handed over, the
    # second when the third is, then the whole fsync'd file
    assert sorted(calls) == sorted([(0, step, 2 * step), (step, step, 3 * step),
                                    (0, 0, size + footer)] * 3)
    assert _read(cluster)[1] == chunk * count
    calls.clear()
    cluster.put(*NAME, [b'small'], 'text/plain', {})
    assert calls == []
    assert _read(cluster)[1] == b'small'


def test_green_cleanup_runs_after_the_answer(cluster, monkeypatch):
    """In a green process the older files go in the background, once the
    new version is durable; the newer one decides reads meanwhile."""
    import eventlet
    monkeypatch.setattr(disk, '_green', lambda: True)
    first = cluster.put(*NAME, [b'one'], 'text/plain', {})
    second = cluster.put(*NAME, [b'two'], 'text/plain', {})
    assert _read(cluster)[1] == b'two'
    for _ in range(1000):
        if all(len(_files(dev)) == 1 for dev in _nodes(cluster)[0]):
            break
        eventlet.sleep(0.01)
    for dev in _nodes(cluster)[0]:
        assert [os.path.basename(f) for f in _files(dev)] == [second.timestamp + '.data']
    assert first.timestamp < second.timestamp
    cluster.delete(*NAME)
    with pytest.raises(KeyError):
        cluster.head(*NAME)


def test_missing_object(cluster):
    with pytest.raises(KeyError):
        cluster.get('AUTH_p', 'cont', 'nothing')
    with pytest.raises(KeyError):
        cluster.head('AUTH_p', 'cont', 'nothing')


def test_overwrite_cleans_up_older_version(cluster):
    first = cluster.put(*NAME, [b'one'], 'text/plain', {})
    second = cluster.put(*NAME, [b'two'], 'text/plain', {})
    assert second.timestamp > first.timestamp
    assert _read(cluster)[1] == b'two'
    for dev in _nodes(cluster)[0]:
        assert [os.path.basename(f) for f in _files(dev)] == [second.timestamp + '.data']


def test_etag_mismatch_leaves_nothing(cluster):
    with pytest.raises(base.ChecksumMismatch):
        cluster.put(*NAME, [b'data'], 'text/plain', {}, etag='0' * 32)
    for dev in _nodes(cluster)[0]:
        assert not _files(dev)
        assert not os.listdir(os.path.join(dev['path'], 'tmp'))
    with pytest.raises(KeyError):
        cluster.head(*NAME)
    # A matching etag (quoted, any case) is accepted; a mismatch keeps the old.
    etag = hashlib.md5(b'data').hexdigest()
    cluster.put(*NAME, [b'data'], 'text/plain', {}, etag='"%s"' % etag.upper())
    with pytest.raises(base.ChecksumMismatch):
        cluster.put(*NAME, [b'other'], 'text/plain', {}, etag=etag)
    assert _read(cluster)[1] == b'data'


def test_unusable_primary_goes_to_a_handoff(cluster):
    primaries, handoffs = _nodes(cluster)
    _break(primaries[1])
    cluster.put(*NAME, [b'data'], 'text/plain', {})
    assert len(_files(handoffs[0], '*.data')) == 1
    assert _read(cluster)[1] == b'data'
    cluster.delete(*NAME)
    assert len(_files(handoffs[0], '*.ts')) == 1
    with pytest.raises(KeyError):
        cluster.head(*NAME)


def test_quorum_failure_removes_what_it_wrote(cluster):
    primaries, handoffs = _nodes(cluster)
    for dev in primaries[:2] + handoffs:
        _break(dev)
    with pytest.raises(base.QuorumError):
        cluster.put(*NAME, [b'data'], 'text/plain', {})
    survivor = primaries[2]
    assert not _files(survivor)
    assert not os.listdir(os.path.join(survivor['path'], 'tmp'))
    with pytest.raises(KeyError):
        cluster.head(*NAME)


def test_quorum_failure_keeps_the_previous_version(cluster):
    cluster.put(*NAME, [b'old'], 'text/plain', {})
    primaries, handoffs = _nodes(cluster)
    for dev in primaries[:2] + handoffs:
        _break(dev)
    with pytest.raises(base.QuorumError):
        cluster.put(*NAME, [b'new'], 'text/plain', {})
    with pytest.raises(base.QuorumError):
        cluster.delete(*NAME)
    assert _read(cluster)[1] == b'old'


def test_missing_replicas_are_survived(cluster):
    cluster.put(*NAME, [b'data'], 'text/plain', {})
    primaries, _ = _nodes(cluster)
    for f in _files(primaries[0]) + _files(primaries[1]):
        os.unlink(f)
    assert _read(cluster)[1] == b'data'
    shutil.rmtree(primaries[2]['path'])      # a device gone altogether
    with pytest.raises(KeyError):
        cluster.get(*NAME)


def _flip(path, offset=0):
    with open(path, 'r+b') as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xff]))


def test_corrupted_replica_is_skipped_and_quarantined(cluster):
    info = cluster.put(*NAME, [b'precious data'], 'text/plain', {})
    first = _nodes(cluster)[0][0]       # the replica a GET reads first
    [path] = _files(first)
    _flip(path, 3)
    assert cluster.head(*NAME) == info      # HEAD does not read the data
    got, data = _read(cluster)
    assert data == b'precious data' and got.etag == info.etag
    assert not _files(first)
    quarantined = glob.glob(os.path.join(first['path'], 'quarantined', 'objects', '*', '*'))
    assert [os.path.basename(q) for q in quarantined] == [info.timestamp + '.data']
    assert _read(cluster)[1] == b'precious data'


def test_truncated_replica_is_skipped_and_quarantined(cluster):
    cluster.put(*NAME, [b'precious data'], 'text/plain', {})
    first = _nodes(cluster)[0][0]
    [path] = _files(first)
    with open(path, 'r+b') as f:            # bytes lost from the middle
        content = f.read()
        f.seek(0)
        f.truncate()
        f.write(content[5:])
    assert cluster.head(*NAME).size == 13
    assert _read(cluster)[1] == b'precious data'
    assert not _files(first)
    assert glob.glob(os.path.join(first['path'], 'quarantined', 'objects', '*', '*'))


def test_corruption_of_a_large_object_ends_its_stream(cluster):
    data = os.urandom(disk.VERIFY_BEFORE_SERVE + 100000)
    cluster.put(*NAME, [data], 'application/octet-stream', {})
    first = _nodes(cluster)[0][0]
    [path] = _files(first)
    _flip(path, len(data) - 10)
    _info, chunks = cluster.get(*NAME)
    received = b''
    with pytest.raises(disk.ObjectCorrupted):
        for chunk in chunks:
            received += chunk
    assert len(received) < len(data)        # never a complete wrong body
    assert not _files(first)
    assert _read(cluster)[1] == data        # the next GET reads another replica
    # A range is not verified (and not quarantined) but is served.
    assert _read(cluster, start=10, end=19)[1] == data[10:20]


def _stale(cluster, keep):
    """Make the first primary hold `keep` (a saved file) and nothing newer."""
    first = _nodes(cluster)[0][0]
    for f in _files(first):
        os.unlink(f)
    shutil.copy(keep, _hashdir(cluster, first))


def test_stale_replica_never_wins(cluster, tmp_path):
    old = cluster.put(*NAME, [b'old'], 'text/plain', {})
    first = _nodes(cluster)[0][0]
    saved = tmp_path / (old.timestamp + '.data')
    shutil.copy(_files(first)[0], saved)
    new = cluster.put(*NAME, [b'new'], 'text/plain', {})
    _stale(cluster, saved)
    assert _read(cluster) == (new, b'new')
    assert cluster.head(*NAME) == new
    # Nor does it resurrect a deleted object.
    cluster.delete(*NAME)
    _stale(cluster, saved)
    with pytest.raises(KeyError):
        cluster.get(*NAME)
    with pytest.raises(KeyError):
        cluster.head(*NAME)


def test_explicit_timestamps(cluster):
    cluster.put(*NAME, [b'newer'], 'text/plain', {}, timestamp='2000000000.00000')
    cluster.put(*NAME, [b'older'], 'text/plain', {}, timestamp=1000000000)
    assert _read(cluster)[1] == b'newer'
    cluster.delete(*NAME, timestamp='1500000000.5')     # older than the data
    assert cluster.head(*NAME).timestamp == '2000000000.00000'
    cluster.delete(*NAME, timestamp='2000000001')
    with pytest.raises(KeyError):
        cluster.head(*NAME)


def test_crash_leftovers_are_never_visible(cluster):
    cluster.put(*NAME, [b'committed'], 'text/plain', {})
    dev = _nodes(cluster)[0][0]
    # A temp file a crashed writer left behind.
    with open(os.path.join(dev['path'], 'tmp', 'deadbeef.tmp'), 'wb') as f:
        f.write(b'half written')
    assert _read(cluster)[1] == b'committed'

    # A client that goes away in the middle of an upload.
    def chunks():
        yield b'partial'
        raise IOError('client disconnected')
    with pytest.raises(IOError):
        cluster.put(*NAME, chunks(), 'text/plain', {})
    assert _read(cluster)[1] == b'committed'
    for dev in _nodes(cluster)[0]:
        assert os.listdir(os.path.join(dev['path'], 'tmp')) in ([], ['deadbeef.tmp'])
        assert len(_files(dev)) == 1


def test_unknown_files_are_ignored(cluster):
    cluster.put(*NAME, [b'data'], 'text/plain', {})
    for dev in _nodes(cluster)[0]:
        with open(os.path.join(_hashdir(cluster, dev), 'junk.txt'), 'w') as f:
            f.write('?')
    assert _read(cluster)[1] == b'data'


def test_names_are_kept_apart(cluster):
    cluster.put('AUTH_p', 'c', 'a/b', [b'1'], 'text/plain', {})
    cluster.put('AUTH_p', 'ca', 'b', [b'2'], 'text/plain', {})
    with pytest.raises(ValueError):         # /AUTH_p/c/a/b would be ambiguous
        cluster.put('AUTH_p', 'c/a', 'b', [b'2'], 'text/plain', {})
    cluster.put('AUTH_p', 'c', 'ünïcode ☃', [b'3'], 'text/plain', {})
    assert _read(cluster, ('AUTH_p', 'c', 'a/b'))[1] == b'1'
    assert _read(cluster, ('AUTH_p', 'ca', 'b'))[1] == b'2'
    assert _read(cluster, ('AUTH_p', 'c', 'ünïcode ☃'))[1] == b'3'


def test_streaming_64_mib_in_bounded_memory(cluster):
    chunk = os.urandom(65536)
    count = 1024                            # 64 MiB
    expected = hashlib.md5()
    for _ in range(count):
        expected.update(chunk)

    def source():
        for _ in range(count):
            yield chunk
    tracemalloc.start()
    try:
        info = cluster.put(*NAME, source(), 'application/octet-stream', {})
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        got, chunks = cluster.get(*NAME)
        digest, size = hashlib.md5(), 0
        for c in chunks:
            digest.update(c)
            size += len(c)
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.size == size == count * 65536
    assert info.etag == got.etag == digest.hexdigest() == expected.hexdigest()
    assert put_peak < 4 * 2 ** 20, put_peak
    assert get_peak < 4 * 2 ** 20, get_peak


def test_ring_changes_are_picked_up(cluster, tmp_path):
    cluster.put(*NAME, [b'data'], 'text/plain', {})
    b = ring.RingBuilder.load(cluster.ring_file)
    new = tmp_path / 'dev-new'
    new.mkdir()
    b.add_dev(str(new), zone=5)
    b.rebalance(seed=1)
    b.save(cluster.ring_file)
    assert len(cluster._ring().devs) == 5
    # Until a replicator moves it, the object stays readable from the
    # replicas still on primaries or within the handoffs consulted.
    assert _read(cluster)[1] == b'data'


def test_load_uses_the_default_ring(conf):
    be = disk.DiskBackend.from_config(conf)
    info = be.put(*NAME, [b'embedded'], 'text/plain', {'X-Object-Meta-K': 'v'})
    assert _read(be) == (info, b'embedded')
    files = glob.glob(os.path.join(conf.data_dir, 'objects', 'd1', 'objects', '*', '*', '*',
                                   '*.data'))
    assert len(files) == 1
    # Another process (another load) sees the same ring and the object.
    assert disk.DiskBackend.from_config(conf).head(*NAME) == info


def _failing_writes(monkeypatch, paths, good_writes=1):
    """Writes to the devices at `paths` fail after the first `good_writes`."""
    real_init = disk._Writer.__init__

    class Failing:
        def __init__(self, f):
            self._f, self._writes = f, 0

        def write(self, data):
            self._writes += 1
            if self._writes > good_writes:
                raise OSError(5, 'Input/output error')
            return self._f.write(data)

        def __getattr__(self, name):
            return getattr(self._f, name)

    def init(self, dev):
        real_init(self, dev)
        if dev['path'] in paths:
            self.f = Failing(self.f)
    monkeypatch.setattr(disk._Writer, '__init__', init)


def test_a_replica_failing_mid_write_is_dropped(cluster, monkeypatch):
    primaries, _ = _nodes(cluster)
    _failing_writes(monkeypatch, {primaries[0]['path']})
    cluster.put(*NAME, [b'a' * 10, b'b' * 10, b'c'], 'text/plain', {})
    assert not _files(primaries[0])
    assert not os.listdir(os.path.join(primaries[0]['path'], 'tmp'))
    assert len(_files(primaries[1])) == len(_files(primaries[2])) == 1
    assert _read(cluster)[1] == b'a' * 10 + b'b' * 10 + b'c'


def test_too_many_replicas_failing_mid_write(cluster, monkeypatch):
    primaries, _ = _nodes(cluster)
    _failing_writes(monkeypatch, {primaries[0]['path'], primaries[1]['path']})
    with pytest.raises(base.QuorumError):
        cluster.put(*NAME, [b'a' * 10, b'b' * 10, b'c'], 'text/plain', {})
    for dev in primaries:
        assert not _files(dev)
        assert not os.listdir(os.path.join(dev['path'], 'tmp'))


def _large_put_failing_midway(cluster, monkeypatch, failing):
    """A PUT of 3 writeback steps whose replicas on `failing` devices fail
    after two steps (written, handed to writeback, partly dropped from the
    page cache): what the PUT returned or raised."""
    step = disk.WRITEBACK_BYTES
    chunk = os.urandom(1 << 20)
    _failing_writes(monkeypatch, {d['path'] for d in failing},
                    good_writes=2 * step // len(chunk) + 1)
    dropped = []
    real = disk.drop_cached
    monkeypatch.setattr(disk, 'drop_cached', lambda fd, offset, length: (
        dropped.append((offset, length)), real(fd, offset, length)))
    chunks = [chunk] * (3 * step // len(chunk))
    try:
        return cluster.put(*NAME, chunks, 'application/octet-stream', {}), chunks
    finally:
        assert (0, step) in dropped         # the failure came after a drop


def test_a_large_replica_failing_after_writeback_is_dropped(cluster, monkeypatch):
    primaries, _ = _nodes(cluster)
    info, chunks = _large_put_failing_midway(cluster, monkeypatch, primaries[:1])
    assert not _files(primaries[0])
    assert not os.listdir(os.path.join(primaries[0]['path'], 'tmp'))
    for dev in primaries[1:]:
        assert [os.path.basename(f) for f in _files(dev)] == [info.timestamp + '.data']
    assert _read(cluster) == (info, b''.join(chunks))


def test_large_replicas_failing_after_writeback_leave_nothing(cluster, monkeypatch):
    primaries, _ = _nodes(cluster)
    with pytest.raises(base.QuorumError):
        _large_put_failing_midway(cluster, monkeypatch, primaries[:2])
    for dev in primaries:
        assert not _files(dev)
        assert not os.listdir(os.path.join(dev['path'], 'tmp'))
    with pytest.raises(KeyError):
        cluster.head(*NAME)
