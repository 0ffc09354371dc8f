"""Objects as files on the ring's devices (plain directories).

Layout, per device:

    <dev>/objects/<partition>/<suffix>/<hash>/<timestamp>.data   the object
    <dev>/objects/<partition>/<suffix>/<hash>/<timestamp>.meta   a POST's metadata
    <dev>/objects/<partition>/<suffix>/<hash>/<timestamp>.ts     a deletion
    <dev>/tmp/<random>.tmp                                       writes in progress
    <dev>/quarantined/objects/<hash>/<timestamp>.data            failed its checksum

<hash> is the MD5 of the salted object path (the ring's hash_path), <suffix>
its last three hex digits, <partition> the ring's partition of the path. A
timestamp is Swift-style 'seconds.micros' ('1700000000.12345'); the newest
file wins, across the files of one directory and across replicas.

Metadata lives in a footer of the .data file itself: the data, then the
metadata as JSON (name, timestamp, etag = MD5 of the data, size,
content_type, metadata), then 8 bytes: the JSON's length (big-endian) and
the magic b'CSO1'. A footer rather than a header because the etag and size
are only known once the data has streamed through; in the same file rather
than in xattrs or a sidecar so that one fsync and one rename make data and
metadata durable and visible together (a sidecar would need two renames
that cannot be atomic together; xattrs are size-limited - ext4 gives about
4 KiB per inode - unsupported or restricted on some filesystems such as
older tmpfs and overlayfs, and lost by naive copies). .meta files are small
JSON documents; .ts files are empty (the name is the whole tombstone).

Writes go to <dev>/tmp (the same filesystem), are fsync'd, renamed into the
object's directory and the directory fsync'd, so a crash leaves either the
previous version or the new one; readers never look into tmp/. A tombstone,
having no bytes to show half-written, is made in place and fsync'd with its
directory. A large object's replicas are handed to the kernel's writeback
every few MiB as they are written, so the disk works while the rest arrives,
and the few MiB handed over the time before leave the page cache (all of
the file after its fsync): a large write reuses the same few pages instead
of taking fresh ones (on the virtual machines measured in
doc/benchmarks.md, filling fresh pages cost several times the copy itself).

File IO is plain blocking IO, except the commits and large chunks: each
replica's fsync, rename and directory fsync (and the cleanup after it) run in
OS threads (eventlet.tpool when the process is green), the replicas in
parallel, so a PUT costs about one replica's fsyncs, not three in a row, and
the other requests of the worker go on meanwhile; a chunk of
PARALLEL_WRITE bytes or more is hashed and written to the replicas in OS
threads too.
"""
import ctypes
import ctypes.util
import errno
import functools
import hashlib
import http.client
import json
import logging
import os
import secrets
import struct
import threading
import time

from cloudstack.object_store import ring as ring_mod
from cloudstack.object_store.backend import base

LOG = logging.getLogger(__name__)

MAGIC = b'CSO1'
FOOTER = struct.Struct('>I4s')
MAX_FOOTER_JSON = 1 << 20
# A full read of an object up to this size is read and verified before the
# first byte is returned, so a corrupted replica is skipped for another
# within the same GET. Larger objects are verified while they stream: the
# last chunk is held back until the MD5 matches, and a mismatch ends the
# stream with ObjectCorrupted (the client sees a short body, never a
# complete wrong one) after the replica is quarantined.
VERIFY_BEFORE_SERVE = 1 << 20


class ObjectCorrupted(IOError):
    """A replica's data did not match its recorded MD5 while streaming."""


class _Corrupt(Exception):
    """A replica's file is damaged (footer, size): skip and quarantine it."""


# --- timestamps ---------------------------------------------------------------

_ts_lock = threading.Lock()
_last_ts = 0


def normalize_timestamp(ts):
    return '%016.5f' % float(ts)


def new_timestamp():
    """Now, in 10 microsecond units, strictly increasing within the process."""
    global _last_ts
    with _ts_lock:
        now = max(int(time.time() * 100000), _last_ts + 1)
        _last_ts = now
    return '%d.%05d' % divmod(now, 100000)


def _ts_key(ts):
    return float(ts)


# --- running blocking work in OS threads ----------------------------------------

def _green():
    from eventlet import patcher
    return patcher.is_monkey_patched('thread')


def _in_threads(jobs):
    """Run each no-argument callable in jobs, in parallel in OS threads when
    the process is green (eventlet.tpool; else one after the other here);
    their results in order. Every job has ended before this returns or
    raises (the first exception, after all are done)."""
    if not jobs or not _green():
        return [job() for job in jobs]
    import eventlet
    from eventlet import tpool
    if len(jobs) == 1:
        return [tpool.execute(jobs[0])]
    threads = [eventlet.spawn(tpool.execute, job) for job in jobs]
    results, error = [], None
    for thread in threads:
        try:
            results.append(thread.wait())
        except BaseException as e:      # noqa: B902 - re-raised below
            results.append(None)
            error = error or e
    if error is not None:
        raise error
    return results


# --- file helpers ---------------------------------------------------------------

def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _makedirs_durable(root, path):
    """Create `path` (below the existing `root`) and fsync the parent of
    every directory created, so the new entries survive a crash."""
    rel = os.path.relpath(path, root).split(os.sep)
    current = root
    for part in rel:
        parent, current = current, os.path.join(current, part)
        if not os.path.isdir(current):
            try:
                os.mkdir(current)
            except FileExistsError:
                continue
            _fsync_dir(parent)


def _parse(name):
    """(timestamp, ext) of a file name like 1700000000.12345.data, or None."""
    stem, _, ext = name.rpartition('.')
    if ext not in ('data', 'meta', 'ts'):
        return None
    try:
        float(stem)
    except ValueError:
        return None
    return stem, ext


class _Replica:
    """What one device holds of an object: its newest .data, .meta, .ts."""

    remote = False

    def __init__(self, dev, hashdir):
        self.dev = dev
        self.hashdir = hashdir
        self.data = self.meta = self.tombstone = None     # timestamps
        for name in os.listdir(hashdir):
            parsed = _parse(name)
            if not parsed:
                continue
            ts, ext = parsed
            attr = {'data': 'data', 'meta': 'meta', 'ts': 'tombstone'}[ext]
            current = getattr(self, attr)
            if current is None or _ts_key(ts) > _ts_key(current):
                setattr(self, attr, ts)

    def path(self, ts, ext):
        return os.path.join(self.hashdir, '%s.%s' % (ts, ext))

    def read_meta(self):
        with open(self.path(self.meta, 'meta'), 'rb') as f:
            return json.load(f)

    def open_data(self, ts):
        return open(self.path(ts, 'data'), 'rb')


def _cleanup(hashdir):
    """Remove what the newest .data or .ts makes obsolete: older .data and
    .ts, and every .meta but the newest one newer than the newest .data."""
    try:
        names = os.listdir(hashdir)
    except OSError:
        return
    files = [(p, n) for n, p in ((n, _parse(n)) for n in names) if p]
    newest = max((p for p, _ in files if p[1] in ('data', 'ts')),
                 key=lambda p: _ts_key(p[0]), default=None)
    if newest is None:
        return
    metas = sorted((p for p, _ in files if p[1] == 'meta'), key=lambda p: _ts_key(p[0]))
    keep_meta = metas[-1] if metas and newest[1] == 'data' and \
        _ts_key(metas[-1][0]) > _ts_key(newest[0]) else None
    for parsed, name in files:
        if parsed != newest and parsed != keep_meta:
            _unlink(os.path.join(hashdir, name))


def _read_footer(f):
    """The metadata of an open .data file; _Corrupt when it is damaged."""
    st_size = os.fstat(f.fileno()).st_size
    if st_size < FOOTER.size:
        raise _Corrupt('too short for a footer')
    f.seek(st_size - FOOTER.size)
    length, magic = FOOTER.unpack(f.read(FOOTER.size))
    if magic != MAGIC or length > MAX_FOOTER_JSON or length > st_size - FOOTER.size:
        raise _Corrupt('bad footer')
    f.seek(st_size - FOOTER.size - length)
    try:
        info = json.loads(f.read(length))
        size = int(info['size'])
        info['etag'], info['timestamp']
    except (ValueError, KeyError, TypeError) as e:
        raise _Corrupt('bad metadata: %s' % e)
    if size != st_size - FOOTER.size - length:
        raise _Corrupt('size %d does not match the metadata (%d)'
                       % (st_size - FOOTER.size - length, size))
    return info



def quarantine(dev, hashdir, ts):
    """Move a damaged .data aside, to <dev>/quarantined/objects/<hash>/,
    where no read finds it (the replicator restores a good copy)."""
    src = os.path.join(hashdir, ts + '.data')
    dest_dir = os.path.join(dev['path'], 'quarantined', 'objects',
                            os.path.basename(hashdir))
    try:
        os.makedirs(dest_dir, exist_ok=True)
        dest = os.path.join(dest_dir, os.path.basename(src))
        if os.path.exists(dest):
            dest += '.' + secrets.token_hex(4)
        os.rename(src, dest)
        LOG.error('quarantined %s to %s', src, dest)
        return True
    except OSError as e:
        LOG.error('could not quarantine %s: %s', src, e)
        return False

# A chunk at least this large is hashed and written to the replicas in OS
# threads, in parallel (MD5 and write(2) let go of the GIL), while the next
# chunk is read from the client.
PARALLEL_WRITE = 256 * 1024


class _Done:
    @staticmethod
    def wait():
        return None


def _write_chunk(md5, writers, chunk):
    """Hash `chunk` and write it to every writer; something whose wait()
    returns once that is done (in the background for a large chunk when
    the process is green). Remote writers take it here (they send from
    threads of their own); the local ones in OS threads."""
    jobs = [functools.partial(md5.update, chunk)]
    for w in writers:
        if w.remote:
            w.write(chunk)
        else:
            jobs.append(functools.partial(w.write, chunk))
    if len(chunk) < PARALLEL_WRITE or not _green():
        for job in jobs:
            job()
        return _Done
    import eventlet
    return eventlet.spawn(_in_threads, jobs)


# Once this much of a replica is written, the kernel is told to start
# writing it to the device (sync_file_range, which does not wait), so the
# disk works while the rest arrives and the fsync at the end waits for the
# last few MiB only, not the whole object. The range handed over the time
# before, mostly on the device by then, is dropped from the page cache.
WRITEBACK_BYTES = 4 << 20
_SYNC_FILE_RANGE_WRITE = 2


def _sync_file_range():
    """libc's sync_file_range (Linux), or None."""
    try:
        fn = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = (ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint)
    fn.restype = ctypes.c_int
    return fn


_start_writeback_fn = _sync_file_range()


def start_writeback(fd, offset, length):
    """Start writing [offset, offset + length) of fd to its device without
    waiting for it (nothing where the OS cannot); not a durability step:
    the fsync before the commit still is."""
    if _start_writeback_fn is not None:
        _start_writeback_fn(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def drop_cached(fd, offset, length):
    """Drop [offset, offset + length) of fd (length 0: to its end) from the
    page cache, without waiting: the OS keeps the pages not yet on the
    device (nothing where the OS cannot). Advice only: never fails."""
    if hasattr(os, 'posix_fadvise'):
        try:
            os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)
        except OSError as e:
            LOG.debug('fadvise: %s', e)


class _Writer:
    """One replica being written: a temp file on a device."""

    remote = False

    def __init__(self, dev):
        self.dev = dev
        root = dev['path']
        if not os.path.isdir(root):
            raise NotADirectoryError(errno.ENOTDIR, 'device unavailable', root)
        tmpdir = os.path.join(root, 'tmp')
        os.makedirs(tmpdir, exist_ok=True)
        self.tmp = os.path.join(tmpdir, '%s.tmp' % secrets.token_hex(16))
        # unbuffered: each write is one write(2) of the caller's buffer
        self.f = open(self.tmp, 'xb', buffering=0)
        self.final = None
        self.replaces = False
        self.ok = True
        # bytes written; handed to writeback; dropped from the page cache
        self.written = self.flushed = self.dropped = 0

    def write(self, data):
        if self.ok:
            try:
                view = memoryview(data)
                while view:
                    view = view[self.f.write(view):]
                self.written += len(data)
                if self.written - self.flushed >= WRITEBACK_BYTES:
                    fd = self.f.fileno()
                    start_writeback(fd, self.flushed, self.written - self.flushed)
                    if self.flushed > self.dropped:
                        drop_cached(fd, self.dropped, self.flushed - self.dropped)
                        self.dropped = self.flushed
                    self.flushed = self.written
            except OSError as e:
                LOG.warning('write to %s failed: %s', self.dev['path'], e)
                self.abort()

    def commit(self, hashdir, filename):
        """fsync, rename into `hashdir`, fsync it; False when that failed."""
        if not self.ok:
            return False
        try:
            self.f.flush()
            os.fsync(self.f.fileno())
            if self.flushed:            # a large file: none of it stays cached
                drop_cached(self.f.fileno(), 0, 0)
            self.f.close()
            _makedirs_durable(self.dev['path'], hashdir)
            final = os.path.join(hashdir, filename)
            os.rename(self.tmp, final)
            self.final = final
            _fsync_dir(hashdir)
            # Older files to clean up once a quorum has the new one.
            self.replaces = len(os.listdir(hashdir)) > 1
            return True
        except OSError as e:
            LOG.warning('commit to %s failed: %s', self.dev['path'], e)
            self.abort()
            return False

    def abort(self):
        self.ok = False
        try:
            self.f.close()
        except OSError:
            pass
        _unlink(self.tmp)

    def undo(self):
        """Remove what commit() put in place."""
        if self.final:
            _unlink(self.final)
            self.final = None


class _Marker:
    """One replica of an empty file - a tombstone, whose name says all it
    holds - made in place: with no bytes that could show half-written it
    needs no temp file nor rename, and one fsync of the file (on ext4 it
    commits the new directory entry with it) and one of its directory make
    it durable. The same interface as _Writer."""

    remote = False

    def __init__(self, dev):
        self.dev = dev
        if not os.path.isdir(dev['path']):
            raise NotADirectoryError(errno.ENOTDIR, 'device unavailable', dev['path'])
        self.final = None
        self.made = False       # created here (not there already): undo removes it
        self.replaces = False
        self.ok = True

    def write(self, data):
        if data:
            raise ValueError('a marker holds no bytes')

    def commit(self, hashdir, filename):
        if not self.ok:
            return False
        try:
            _makedirs_durable(self.dev['path'], hashdir)
            final = os.path.join(hashdir, filename)
            try:
                fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                self.made = True
            except FileExistsError:     # the same tombstone, made by another request
                fd = os.open(final, os.O_RDONLY)
            self.final = final
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            _fsync_dir(hashdir)
            self.replaces = len(os.listdir(hashdir)) > 1
            return True
        except OSError as e:
            LOG.warning('commit to %s failed: %s', self.dev['path'], e)
            self.abort()
            return False

    def abort(self):
        self.ok = False

    def undo(self):
        if self.final and self.made:
            _unlink(self.final)
        self.final = None


class _Reader:
    """Chunks of bytes [start, start+length) of an open .data file; with
    `etag` (a full read), verified as it streams, the last chunk held back
    until the MD5 matches. When the replica fails mid-stream (its host went
    away, EIO), `reopen(skip)` - the backend's _open_newest of the object
    but the replicas in `skip` - gives another replica of the same version
    to go on from where it stopped, as Swift's proxy resumes a GET."""

    def __init__(self, backend, f, replica, ts, start, length, etag, chunk_size,
                 reopen=None):
        self._backend = backend
        self._f = f
        self._replica, self._ts = replica, ts
        self._start, self._length = start, length
        self._etag = etag
        self._chunk_size = chunk_size
        self._reopen = reopen
        self._skip = set()

    def _resume(self, pos, error):
        """Go on at `pos` from another replica of the same version; else
        ObjectCorrupted (the client sees a short body)."""
        LOG.warning('reading %s failed at byte %d: %s', self._f.name, pos, error)
        self.close()
        self._skip.add((self._replica.dev['id'], self._ts))
        try:
            if self._reopen is None:
                raise KeyError('no other replica')
            info, f, replica, ts = self._reopen(self._skip)
        except KeyError:
            raise ObjectCorrupted('%s failed at byte %d: %s' % (self._f.name, pos, error))
        self._f, self._replica = f, replica
        if ts != self._ts:
            raise ObjectCorrupted('%s failed at byte %d and no other replica holds '
                                  'its version' % (self._f.name, pos))
        f.seek(pos)

    def __iter__(self):
        try:
            self._f.seek(self._start)
            pos, end = self._start, self._start + self._length
            md5 = hashlib.md5() if self._etag else None
            pending = None
            while pos < end:
                try:
                    chunk = self._f.read(min(self._chunk_size, end - pos))
                    if not chunk and self._replica.remote:
                        raise OSError('the object server ended the body short')
                except (OSError, http.client.HTTPException) as e:
                    self._resume(pos, e)
                    continue
                if not chunk:
                    raise ObjectCorrupted('short read from %s' % self._f.name)
                pos += len(chunk)
                if md5:
                    md5.update(chunk)
                if pending is not None:
                    yield pending
                pending = chunk
            if md5 and md5.hexdigest() != self._etag:
                self._backend._quarantine(self._replica, self._ts)
                raise ObjectCorrupted('MD5 mismatch in %s' % self._f.name)
            if pending is not None:
                yield pending
        finally:
            self.close()

    def close(self):
        if not self._f.closed:
            self._f.close()


class DiskBackend(base.ObjectBackend):

    def __init__(self, ring_file, chunk_size=65536, datadir='objects', own=None):
        self.ring_file = ring_file
        self.chunk_size = chunk_size
        self.datadir = datadir          # objects/, objects-N/ of each device
        self.own = own                  # (ip, port) of this host's object server

    @classmethod
    def from_config(cls, conf=None, policy=0):
        """The backend of storage policy number `policy` on its configured
        ring (ring.ring_path), creating the embedded default ring when the
        file does not exist."""
        if conf is None:
            from cloudstack.conf import CONF as conf
        ring_mod.load_ring(conf, policy)
        return cls(ring_mod.ring_path(conf, policy),
                   chunk_size=conf.object_store.read_chunk_size,
                   datadir=ring_mod.datadir(policy),
                   own=ring_mod.parse_bind(conf.object_store.object_server_bind))

    def _ring(self):
        return ring_mod.get_ring(self.ring_file)

    def _locate(self, account, container, obj):
        ring = self._ring()
        name_hash = ring.hash_path(account, container, obj)
        return ring, name_hash, ring.partition(name_hash=name_hash)

    @staticmethod
    def _hashdir(dev, part, name_hash, datadir='objects'):
        return os.path.join(dev['path'], datadir, str(part), name_hash[-3:], name_hash)

    # --- writing -----------------------------------------------------------------

    def _writers(self, ring, part, name, filename, kind=_Writer):
        """A writer (`kind`) on each primary; a handoff device for each
        primary that cannot be written. A device of another host gets a
        remote.RemoteWriter of the file `filename` of the object `name`
        ((account, container, object))."""
        handoffs = iter(ring.get_more_nodes(part))
        writers = []
        for dev in ring.get_nodes(part):
            while dev is not None:
                try:
                    if ring_mod.is_local(dev, self.own):
                        writers.append(kind(dev))
                    else:
                        writers.append(self._remote_writer(dev, part, name, filename))
                    break
                except OSError as e:
                    LOG.warning('device %s unusable: %s', ring_mod.describe(dev), e)
                    dev = next(handoffs, None)
        return writers

    def _remote_writer(self, dev, part, name, filename):
        from cloudstack.object_store import remote
        ts, _, ext = filename.rpartition('.')
        path = remote.replica_path(dev, part, *name)
        headers = remote.policy_headers(self.datadir, ts)
        if ext == 'ts':
            return remote.RemoteWriter(dev, path, headers, method='DELETE', body=False)
        headers['X-Backend-Kind'] = ext
        return remote.RemoteWriter(dev, path, headers)

    def _commit_all(self, writers, part, name_hash, filename):
        """Commit every writer, in parallel; the ones that succeeded."""
        remote = [w for w in writers if w.remote]
        for writer in remote:
            writer.finish()             # they answer while the local ones commit
        local = [w for w in writers if not w.remote]
        jobs = [functools.partial(w.commit, self._hashdir(w.dev, part, name_hash, self.datadir), filename)
                for w in local]
        done = [w for w, ok in zip(local, _in_threads(jobs)) if ok]
        return done + [w for w in remote if w.commit(None, filename)]

    @staticmethod
    def _cleanup_all(writers):
        """Remove what the new files made obsolete. Housekeeping the answer
        does not wait for when the process is green (the new file decides
        reads already; the replicator tidies up after a crash)."""
        jobs = [functools.partial(_cleanup, os.path.dirname(w.final))
                for w in writers if w.replaces and not w.remote]
        remote = [w.cleanup for w in writers if w.replaces and w.remote]
        if not jobs and not remote:
            return

        def tidy():
            for request in remote:      # from a green thread, never an OS thread
                request()
            _in_threads(jobs)
        if _green():
            import eventlet
            eventlet.spawn_n(tidy)
        else:
            tidy()

    def _write_replicas(self, ring, part, name_hash, name, filename, payload):
        """Write a small file (.meta, .ts; empty: made in place) to every
        replica; quorum or QuorumError."""
        writers = self._writers(ring, part, name, filename, _Writer if payload else _Marker)
        try:
            for writer in writers:
                writer.write(payload)
            done = self._commit_all(writers, part, name_hash, filename)
        except BaseException:
            for writer in writers:
                writer.abort()
                writer.undo()
            raise
        if len(done) < ring.quorum:
            for writer in done:
                writer.undo()
            raise base.QuorumError('%d of %d replicas written, %d needed'
                                   % (len(done), ring.replicas, ring.quorum))
        self._cleanup_all(done)

    def put(self, account, container, obj, chunks, content_type, metadata,
            etag=None, timestamp=None):
        ring, name_hash, part = self._locate(account, container, obj)
        ts = normalize_timestamp(timestamp) if timestamp else new_timestamp()
        if isinstance(chunks, (bytes, bytearray)):
            chunks = [chunks]
        elif hasattr(chunks, 'read'):
            source = chunks
            chunks = iter(lambda: source.read(self.chunk_size), b'')
        writers = self._writers(ring, part, (account, container, obj), ts + '.data')
        done = []
        try:
            if len(writers) < ring.quorum:
                raise base.QuorumError('%d of %d replicas writable, %d needed'
                                       % (len(writers), ring.replicas, ring.quorum))
            md5 = hashlib.md5()
            size = 0
            pending = None          # the previous chunk, being written
            for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if pending is not None:
                    pending.wait()
                pending = _write_chunk(md5, writers, chunk)
                if sum(w.ok for w in writers) < ring.quorum:
                    raise base.QuorumError('too many replicas failed while writing')
            if pending is not None:
                pending.wait()
            digest = md5.hexdigest()
            if etag is not None and etag.strip('"').lower() != digest:
                raise base.ChecksumMismatch('ETag %s does not match the data (%s)'
                                            % (etag, digest))
            info = {'name': '/%s/%s/%s' % (account, container, obj), 'timestamp': ts,
                    'etag': digest, 'size': size, 'content_type': content_type,
                    'metadata': dict(metadata or {})}
            footer = json.dumps(info, separators=(',', ':')).encode()
            for writer in writers:
                writer.write(footer + FOOTER.pack(len(footer), MAGIC))
            done = self._commit_all(writers, part, name_hash, ts + '.data')
            if len(done) < ring.quorum:
                raise base.QuorumError('%d of %d replicas written, %d needed'
                                       % (len(done), ring.replicas, ring.quorum))
        except BaseException:
            for writer in writers:
                writer.abort()
                writer.undo()
            raise
        # The new version is durable on a quorum: drop what it replaces.
        self._cleanup_all(done)
        return base.ObjectInfo(etag=digest, size=size, timestamp=ts,
                               content_type=content_type, metadata=dict(metadata or {}))

    # --- reading -----------------------------------------------------------------

    def _replicas(self, ring, part, name_hash, name):
        """What each primary (and as many handoffs) holds of the object;
        the devices of other hosts are asked in parallel, the unreachable
        ones left out."""
        nodes = ring.get_nodes(part)
        nodes += ring.get_more_nodes(part)[:ring.replicas]
        replicas = []
        others = [d for d in nodes if not ring_mod.is_local(d, self.own)]
        if others:
            from cloudstack.object_store import remote
            replicas = remote.remote_replicas(
                others, lambda dev: remote.replica_path(dev, part, *name), self.datadir)
            nodes = [d for d in nodes if ring_mod.is_local(d, self.own)]
        for dev in nodes:
            hashdir = self._hashdir(dev, part, name_hash, self.datadir)
            try:
                replicas.append(_Replica(dev, hashdir))
            except FileNotFoundError:
                continue
            except OSError as e:            # ENOTDIR, EIO...: device unusable
                LOG.warning('cannot read device %s: %s', dev['path'], e)
        return replicas

    def _quarantine(self, replica, ts):
        if replica.remote:
            replica.quarantine(ts)
        else:
            quarantine(replica.dev, replica.hashdir, ts)

    def _open_newest(self, account, container, obj, skip=()):
        """(ObjectInfo, open .data file, replica, data timestamp) of the
        newest readable replica, but those in `skip` ((device id, data
        timestamp)); KeyError when deleted or absent."""
        ring, name_hash, part = self._locate(account, container, obj)
        for _attempt in range(3):
            replicas = self._replicas(ring, part, name_hash, (account, container, obj))
            tombstone = max((r.tombstone for r in replicas if r.tombstone),
                            key=_ts_key, default=None)
            candidates = [r for r in replicas if r.data and (
                tombstone is None or _ts_key(r.data) > _ts_key(tombstone))
                and (r.dev['id'], r.data) not in skip]
            candidates.sort(key=lambda r: _ts_key(r.data), reverse=True)
            raced = False
            for replica in candidates:
                if replica.remote:
                    if replica.info is None:
                        continue
                    return (self._info(replica.info, replicas),
                            replica.open_data(replica.data), replica, replica.data)
                try:
                    f = open(replica.path(replica.data, 'data'), 'rb')
                except FileNotFoundError:
                    raced = True        # replaced or quarantined meanwhile
                    continue
                except OSError as e:
                    LOG.warning('cannot open %s: %s', replica.hashdir, e)
                    continue
                try:
                    info = _read_footer(f)
                except (_Corrupt, OSError) as e:
                    f.close()
                    LOG.error('damaged replica %s: %s', replica.hashdir, e)
                    if isinstance(e, _Corrupt):
                        self._quarantine(replica, replica.data)
                    continue
                return self._info(info, replicas), f, replica, replica.data
            if not raced:
                break
        raise KeyError('/%s/%s/%s' % (account, container, obj))

    @staticmethod
    def _info(info, replicas):
        """ObjectInfo of a .data's metadata and the newest .meta after it."""
        data_ts = _ts_key(info['timestamp'])
        metas = [r for r in replicas if r.meta and _ts_key(r.meta) > data_ts]
        result = base.ObjectInfo(etag=info['etag'], size=info['size'],
                                 timestamp=info['timestamp'],
                                 content_type=info['content_type'],
                                 metadata=info['metadata'])
        for replica in sorted(metas, key=lambda r: _ts_key(r.meta), reverse=True):
            try:
                meta = replica.read_meta()
            except (OSError, ValueError) as e:
                LOG.warning('unreadable .meta in %s: %s', replica.hashdir, e)
                continue
            result.timestamp = meta['timestamp']
            if meta.get('content_type'):
                result.content_type = meta['content_type']
            result.metadata = meta.get('metadata') or {}
            break
        return result

    def head(self, account, container, obj):
        info, f, _replica, _ts = self._open_newest(account, container, obj)
        f.close()
        return info

    def get(self, account, container, obj, start=None, end=None):
        skip = set()            # replicas that failed: the next one, then
        while True:
            info, f, replica, ts = self._open_newest(account, container, obj, skip)
            first = 0 if start is None else max(0, start)
            last = info.size - 1 if end is None else min(end, info.size - 1)
            length = max(0, last - first + 1)
            full = first == 0 and length == info.size
            small = full and info.size <= VERIFY_BEFORE_SERVE
            try:
                if replica.remote:              # its host answers, or the next one
                    f.seek(0 if small else first)
                    f.start()
                if small:
                    f.seek(0)
                    data = f.read(info.size)
            except Exception as e:              # noqa: B902 - any failure of the host
                f.close()
                LOG.warning('cannot read %s: %s', replica.hashdir, e)
                skip.add((replica.dev['id'], ts))
                continue
            if not small:
                return info, _Reader(self, f, replica, ts, first, length,
                                     info.etag if full else None, self.chunk_size,
                                     functools.partial(self._open_newest, account,
                                                       container, obj))
            f.close()
            if hashlib.md5(data).hexdigest() == info.etag and len(data) == info.size:
                cs = self.chunk_size
                return info, iter([data[i:i + cs] for i in range(0, len(data), cs)])
            LOG.error('MD5 mismatch in %s', replica.hashdir)
            self._quarantine(replica, ts)       # and try the next replica
            skip.add((replica.dev['id'], ts))

    # --- metadata and deletion ---------------------------------------------------

    def post(self, account, container, obj, content_type, metadata, timestamp=None):
        current = self.head(account, container, obj)
        ts = normalize_timestamp(timestamp) if timestamp else new_timestamp()
        ring, name_hash, part = self._locate(account, container, obj)
        payload = json.dumps({'timestamp': ts, 'content_type': content_type,
                              'metadata': dict(metadata or {})}).encode()
        self._write_replicas(ring, part, name_hash, (account, container, obj),
                             ts + '.meta', payload)
        return base.ObjectInfo(etag=current.etag, size=current.size, timestamp=ts,
                               content_type=content_type or current.content_type,
                               metadata=dict(metadata or {}))

    def delete(self, account, container, obj, timestamp=None, check=True):
        if check:
            self.head(account, container, obj)
        ts = normalize_timestamp(timestamp) if timestamp else new_timestamp()
        ring, name_hash, part = self._locate(account, container, obj)
        # empty: the name holds the timestamp
        self._write_replicas(ring, part, name_hash, (account, container, obj),
                             ts + '.ts', b'')
