"""The object replicator: every object on its primaries, in its newest state.

Each pass walks the objects on the devices of this host and pushes each
object's newest state (its newest .data or .ts, and a newer .meta) to every
primary of its partition that lacks it: a replica lost with a disk, missed
while a device was away, written to a handoff, or left behind by a
rebalance. An object's directory on a device that is not one of its
primaries is removed once every primary holds its state. Data is verified
against its MD5 while it is copied, so a damaged replica is quarantined
rather than spread. Tombstones older than reclaim_age are removed, and
temp files of writes that died long ago are reaped.

A push model: every device pushes what it has, so every replica reaches the
others when each host runs its pass. This walks every object directory and
lists its peers' (no per-suffix hashes yet), which is fine for the
single-host scale. A peer on another host (ring.is_local) is asked and
written through its object server (remote.py: HEAD, then PUT of the .data
file as it is, PUT of a .meta, DELETE for a tombstone), by object hash. The file
IO is blocking (see backend/disk.py); the pass yields to other green threads
between objects.
"""
import hashlib
import http.client
import logging
import os
import shutil
import time

from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.object_store import remote
from cloudstack.object_store import ring as ring_mod
from cloudstack.object_store.backend import disk

LOG = logging.getLogger(__name__)

TMP_MAX_AGE = 86400         # default [object_store] tmp_max_age


def own_server():
    """(ip, port) of this host's object server, or None."""
    return ring_mod.parse_bind(CONF.object_store.object_server_bind)


def local_devices(ring, own=None):
    """The ring's devices this host holds: its own (ring.is_local) whose
    directory exists."""
    return [d for d in ring.devs.values()
            if ring_mod.is_local(d, own) and os.path.isdir(d['path'])]


def walk(dev, datadir='objects'):
    """(partition, hashdir) of every object directory on the device (in
    `datadir`, a storage policy's)."""
    root = os.path.join(dev['path'], datadir)
    try:
        parts = os.listdir(root)
    except OSError:
        return
    for part in parts:
        if not part.isdigit():
            continue
        part_dir = os.path.join(root, part)
        try:
            suffixes = os.listdir(part_dir)
        except OSError:
            continue
        for suffix in suffixes:
            suffix_dir = os.path.join(part_dir, suffix)
            try:
                hashes = os.listdir(suffix_dir)
            except OSError:
                continue
            for name_hash in hashes:
                yield int(part), os.path.join(suffix_dir, name_hash)


def _rmdir_empty(path, stop):
    """Remove `path` and its parents up to `stop` while they are empty."""
    while path != stop and path.startswith(stop):
        try:
            os.rmdir(path)
        except OSError:
            return
        path = os.path.dirname(path)


def _newest(replica):
    """(timestamp, ext) of the newest .data or .ts, or None."""
    found = [(ts, ext) for ts, ext in ((replica.data, 'data'), (replica.tombstone, 'ts')) if ts]
    return max(found, key=lambda f: disk._ts_key(f[0]), default=None)


def _newer(a, b):
    return b is None or (a is not None and disk._ts_key(a) > disk._ts_key(b))


class Replicator:
    def __init__(self, ring, reclaim_age=604800, now=None, tmp_max_age=TMP_MAX_AGE,
                 datadir='objects', own=None):
        self.ring = ring
        self.own = own
        self.datadir = datadir
        self.reclaim_age = reclaim_age
        self.tmp_max_age = tmp_max_age
        self.now = now or time.time()
        self.stats = dict.fromkeys(('objects', 'pushed', 'removed', 'reclaimed',
                                    'quarantined', 'failures', 'tmp_reaped'), 0)

    def run(self):
        for dev in local_devices(self.ring, self.own):
            self.replicate_device(dev)
        return self.stats

    def replicate_device(self, dev):
        self._reap_tmp(dev)
        objects_root = os.path.join(dev['path'], self.datadir)
        for part, hashdir in list(walk(dev, self.datadir)):
            self.stats['objects'] += 1
            try:
                self._replicate(dev, part, hashdir)
            except OSError as e:
                self.stats['failures'] += 1
                LOG.warning('replicating %s failed: %s', hashdir, e)
            _rmdir_empty(os.path.dirname(hashdir), objects_root)
            time.sleep(0)           # let other green threads run

    def _reap_tmp(self, dev):
        """Remove temp files not written for tmp_max_age: what a write that
        died (kill -9, power cut) left behind. A live write touches its file
        with every chunk."""
        tmpdir = os.path.join(dev['path'], 'tmp')
        try:
            names = os.listdir(tmpdir)
        except OSError:
            return
        for name in names:
            path = os.path.join(tmpdir, name)
            try:
                if os.stat(path).st_mtime < self.now - self.tmp_max_age:
                    os.unlink(path)
                    self.stats['tmp_reaped'] += 1
            except OSError:
                pass

    def _replicate(self, dev, part, hashdir):
        disk._cleanup(hashdir)
        try:
            local = disk._Replica(dev, hashdir)
        except FileNotFoundError:
            return
        newest = _newest(local)
        if newest is None and local.meta is None:
            shutil.rmtree(hashdir, ignore_errors=True)      # nothing in it
            return
        if newest and newest[1] == 'ts' and \
                disk._ts_key(newest[0]) < self.now - self.reclaim_age:
            shutil.rmtree(hashdir, ignore_errors=True)
            self.stats['reclaimed'] += 1
            return
        primaries = self.ring.get_nodes(part)
        all_ok = True
        for peer in primaries:
            if peer['id'] == dev['id']:
                continue
            if not self._push(local, newest, peer, part):
                all_ok = False
        if all_ok and dev['id'] not in {p['id'] for p in primaries} and primaries:
            shutil.rmtree(hashdir, ignore_errors=True)
            self.stats['removed'] += 1

    def _push(self, local, newest, peer, part):
        """Bring the peer's copy of the object up to the local state; True
        when the peer holds it (or something newer) afterwards."""
        name_hash = os.path.basename(local.hashdir)
        if not ring_mod.is_local(peer, self.own):
            return self._push_remote(local, newest, peer, part, name_hash)
        if not os.path.isdir(peer['path']):
            return False
        peer_dir = disk.DiskBackend._hashdir(peer, part, name_hash, self.datadir)
        try:
            remote = disk._Replica(peer, peer_dir)
        except FileNotFoundError:
            remote = None
        except OSError as e:
            LOG.warning('cannot read %s: %s', peer['path'], e)
            return False
        remote_newest = _newest(remote) if remote else None
        if newest and _newer(newest[0], remote_newest and remote_newest[0]):
            ts, ext = newest
            if ext == 'data':
                ok = self._copy_data(local, ts, peer, peer_dir)
            else:
                ok = self._copy_small(local.path(ts, 'ts'), peer, peer_dir, ts + '.ts')
            if not ok:
                return False
            remote_newest = newest
        meta_applies = local.meta and (remote_newest is None
                                       or _newer(local.meta, remote_newest[0]))
        if meta_applies and _newer(local.meta, remote and remote.meta):
            if not self._copy_small(local.path(local.meta, 'meta'), peer, peer_dir,
                                    local.meta + '.meta'):
                return False
        return True

    def _push_remote(self, local, newest, peer, part, name_hash):
        """_push to a device of another host, through its object server."""
        path = remote.replica_path(peer, part, name_hash=name_hash)
        try:
            theirs = remote.RemoteReplica(peer, path, self.datadir)
        except remote.RemoteError as e:
            if e.status != 404:
                LOG.warning('%s', e)
                return False
            theirs = None
        except (OSError, http.client.HTTPException, ValueError) as e:
            LOG.warning('cannot reach %s: %s', ring_mod.describe(peer), e)
            return False
        their_newest = _newest(theirs) if theirs else None
        try:
            if newest and _newer(newest[0], their_newest and their_newest[0]):
                ts, ext = newest
                if ext == 'data':
                    if not self._send_data(local, ts, peer, path):
                        return False
                else:
                    remote.request(peer, 'DELETE', path,
                                   remote.policy_headers(self.datadir, ts))
                    self.stats['pushed'] += 1
                their_newest = newest
            meta_applies = local.meta and (their_newest is None
                                           or _newer(local.meta, their_newest[0]))
            if meta_applies and _newer(local.meta, theirs and theirs.meta):
                with open(local.path(local.meta, 'meta'), 'rb') as f:
                    payload = f.read()
                writer = remote.RemoteWriter(peer, path, dict(
                    remote.policy_headers(self.datadir, local.meta), **{'X-Backend-Kind': 'meta'}))
                writer.write(payload)
                if not writer.commit(None, local.meta + '.meta'):
                    return False
                self.stats['pushed'] += 1
        except (OSError, http.client.HTTPException) as e:
            LOG.warning('cannot push %s to %s: %s', local.hashdir, ring_mod.describe(peer), e)
            return False
        return True

    def _send_data(self, local, ts, peer, path):
        """Send a .data file to a remote device, MD5 checked on the way (the
        object server checks it against its footer too)."""
        with open(local.path(ts, 'data'), 'rb') as f:
            writer = self._stream_checked(local, ts, f, lambda: remote.RemoteWriter(
                peer, path, remote.policy_headers(self.datadir, ts)))
        if writer is None or not writer.commit(None, ts + '.data'):
            return False
        self.stats['pushed'] += 1
        return True

    def _stream_checked(self, local, ts, f, open_writer):
        """Stream the open .data `f` into open_writer(), checking its MD5
        against its footer: the writer to commit, or None when the source is
        damaged (then quarantined)."""
        src = local.path(ts, 'data')
        try:
            info = disk._read_footer(f)
        except disk._Corrupt as e:
            LOG.error('damaged %s: %s', src, e)
            self._quarantine(local, ts)
            return None
        writer = open_writer()
        try:
            f.seek(0)
            md5, left = hashlib.md5(), info['size']
            while True:
                chunk = f.read(65536)
                if not chunk:
                    break
                if left > 0:
                    md5.update(chunk[:left])
                    left -= len(chunk[:left])
                writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        if md5.hexdigest() != info['etag']:
            LOG.error('MD5 mismatch in %s', src)
            writer.abort()
            self._quarantine(local, ts)
            return None
        return writer

    def _copy_small(self, src, peer, peer_dir, filename):
        try:
            with open(src, 'rb') as f:
                payload = f.read()
            writer = disk._Writer(peer)
        except OSError as e:
            LOG.warning('cannot push %s to %s: %s', src, peer['path'], e)
            return False
        writer.write(payload)
        if not writer.commit(peer_dir, filename):
            return False
        disk._cleanup(peer_dir)
        self.stats['pushed'] += 1
        return True

    def _copy_data(self, local, ts, peer, peer_dir):
        """Copy a .data to a local device, MD5 checked on the way; a damaged
        source is quarantined instead."""
        src = local.path(ts, 'data')
        try:
            with open(src, 'rb') as f:
                writer = self._stream_checked(local, ts, f, lambda: disk._Writer(peer))
            if writer is None or not writer.commit(peer_dir, ts + '.data'):
                return False
        except OSError as e:
            LOG.warning('cannot push %s to %s: %s', src, peer['path'], e)
            return False
        disk._cleanup(peer_dir)
        self.stats['pushed'] += 1
        return True

    def _quarantine(self, local, ts):
        if disk.quarantine(local.dev, local.hashdir, ts):
            self.stats['quarantined'] += 1


def replicate_ring(ring_file, reclaim_age=604800, now=None, tmp_max_age=TMP_MAX_AGE,
                   datadir='objects', own=None):
    return Replicator(ring_mod.get_ring(ring_file), reclaim_age, now, tmp_max_age,
                      datadir, own).run()


def policy_rings():
    """(number, ring file) of each storage policy whose ring exists."""
    for number in range(len(ring_mod.policies(CONF))):
        path = ring_mod.ring_path(CONF, number)
        if os.path.exists(path):
            yield number, path


@tasks.periodic(300, name='object_store.replicate', role='object', per_host=True)
def replicate():
    """One replication pass over this host's devices, every policy's."""
    stats = None
    for number, path in policy_rings():
        got = replicate_ring(path, CONF.object_store.reclaim_age,
                             tmp_max_age=CONF.object_store.tmp_max_age,
                             datadir=ring_mod.datadir(number), own=own_server())
        stats = got if stats is None else {k: stats[k] + got[k] for k in stats}
    LOG.info('object replication pass: %s', stats)
    return stats
