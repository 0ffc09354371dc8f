"""The replicator and the auditor: replicas restored, moved, verified."""
import glob
import os
import shutil
import time

import pytest

from cloudstack.object_store import auditor
from cloudstack.object_store import replicator
from cloudstack.object_store import ring
from cloudstack.object_store.backend import disk

NAME = ('AUTH_p', 'cont', 'obj')



def _nodes(be, name=NAME):
    r = be._ring()
    part = r.partition(*name)
    return r.get_nodes(part), r.get_more_nodes(part)


def _files(dev, pattern='*'):
    return sorted(glob.glob(os.path.join(dev['path'], 'objects', '*', '*', '*', pattern)))


def _names(dev, pattern='*'):
    return [os.path.basename(f) for f in _files(dev, pattern)]


def _replicate(be, **kw):
    return replicator.replicate_ring(be.ring_file, **kw)


def _read(be, name=NAME):
    info, chunks = be.get(*name)
    return b''.join(chunks)


def test_lost_replica_is_restored(cluster):
    info = cluster.put(*NAME, [b'data' * 1000], 'text/plain', {'X-Object-Meta-A': '1'})
    primaries, handoffs = _nodes(cluster)
    [lost] = _files(primaries[1])
    with open(_files(primaries[0])[0], 'rb') as f:
        good = f.read()
    os.unlink(lost)
    stats = _replicate(cluster)
    assert stats['pushed'] == 1 and stats['failures'] == 0
    with open(lost, 'rb') as f:
        assert f.read() == good
    assert not _files(handoffs[0])
    assert _replicate(cluster)['pushed'] == 0          # nothing left to do
    assert cluster.head(*NAME) == info


def test_handoff_is_moved_to_its_primary(cluster):
    primaries, handoffs = _nodes(cluster)
    down = primaries[2]
    shutil.rmtree(down['path'])                 # the device is away
    cluster.put(*NAME, [b'data'], 'text/plain', {})
    cluster.post(*NAME, None, {'X-Object-Meta-B': '2'})
    assert len(_files(handoffs[0])) == 2
    stats = _replicate(cluster)                 # the primary still away: kept
    assert stats['removed'] == 0 and len(_files(handoffs[0])) == 2
    os.mkdir(down['path'])                      # back
    stats = _replicate(cluster)
    assert stats['removed'] == 1
    assert not _files(handoffs[0])
    assert [n.rsplit('.', 1)[1] for n in _names(down)] == ['data', 'meta']
    assert _names(down) == _names(primaries[0])
    assert not os.listdir(os.path.join(handoffs[0]['path'], 'objects'))


def test_tombstone_beats_a_stale_replica(cluster):
    cluster.put(*NAME, [b'data'], 'text/plain', {})
    primaries, handoffs = _nodes(cluster)
    away = primaries[0]
    saved = away['path'] + '.away'
    os.rename(away['path'], saved)              # away with its old replica
    cluster.delete(*NAME)
    os.rename(saved, away['path'])              # back, still holding the .data
    with pytest.raises(KeyError):
        cluster.head(*NAME)
    _replicate(cluster)
    for dev in primaries:
        assert [n.rsplit('.', 1)[1] for n in _names(dev)] == ['ts']
    assert not _files(handoffs[0])
    with pytest.raises(KeyError):
        cluster.get(*NAME)


def test_old_tombstones_are_reclaimed(cluster):
    cluster.put(*NAME, [b'data'], 'text/plain', {}, timestamp=time.time() - 100)
    cluster.delete(*NAME, timestamp=time.time() - 50)
    assert _replicate(cluster, reclaim_age=3600)['reclaimed'] == 0
    stats = _replicate(cluster, reclaim_age=10)
    assert stats['reclaimed'] == 3
    for dev in _nodes(cluster)[0]:
        assert not os.listdir(os.path.join(dev['path'], 'objects'))


def test_rebalance_moves_objects_to_new_primaries(cluster, tmp_path):
    names = [('AUTH_p', 'c', 'o%d' % i) for i in range(40)]
    for name in names:
        cluster.put(*name, [name[2].encode()], 'text/plain', {})
    b = ring.RingBuilder.load(cluster.ring_file)
    for i in (4, 5):
        (tmp_path / ('dev%d' % i)).mkdir()
        b.add_dev(str(tmp_path / ('dev%d' % i)), zone=i + 1)
    b.rebalance(seed=2)
    b.save(cluster.ring_file)
    _replicate(cluster)
    r = cluster._ring()
    for name in names:
        h = r.hash_path(*name)
        part = r.partition(name_hash=h)
        holders = {d['id'] for d in r.devs.values()
                   if os.path.isdir(disk.DiskBackend._hashdir(d, part, h))}
        assert holders == {d['id'] for d in r.get_nodes(part)}, name
        assert _read(cluster, name) == name[2].encode()


def test_damaged_source_is_not_spread(cluster):
    cluster.put(*NAME, [b'precious'], 'text/plain', {})
    primaries, handoffs = _nodes(cluster)
    [bad] = _files(primaries[0])
    with open(bad, 'r+b') as f:
        f.write(b'X')
    for dev in primaries[1:]:
        os.unlink(_files(dev)[0])
    stats = _replicate(cluster)
    assert stats['quarantined'] == 1 and stats['pushed'] == 0
    for dev in primaries + handoffs:
        assert not _files(dev, '*.data')
    with pytest.raises(KeyError):
        cluster.get(*NAME)


def test_stale_temp_files_are_reaped(cluster):
    dev = _nodes(cluster)[0][0]
    tmpdir = os.path.join(dev['path'], 'tmp')
    os.makedirs(tmpdir, exist_ok=True)
    old, fresh = os.path.join(tmpdir, 'old.tmp'), os.path.join(tmpdir, 'fresh.tmp')
    for path in (old, fresh):
        with open(path, 'wb') as f:
            f.write(b'x')
    os.utime(old, (time.time() - 2 * replicator.TMP_MAX_AGE,) * 2)
    assert _replicate(cluster)['tmp_reaped'] == 1
    assert os.listdir(tmpdir) == ['fresh.tmp']


def test_auditor_quarantines_bit_rot_and_replicator_heals(cluster):
    cluster.put(*NAME, [b'a' * 5000], 'text/plain', {})
    cluster.put('AUTH_p', 'c', 'other', [b'fine'], 'text/plain', {})
    primaries, _ = _nodes(cluster)
    h = cluster._ring().hash_path(*NAME)
    [victim] = [f for f in _files(primaries[1]) if h in f]
    with open(victim, 'r+b') as f:
        f.seek(100)
        f.write(b'b')
    stats = auditor.audit_ring(cluster.ring_file)
    assert stats['checked'] == 6 and stats['quarantined'] == 1
    assert not os.path.exists(victim)
    assert glob.glob(os.path.join(primaries[1]['path'], 'quarantined', 'objects', '*', '*'))
    _replicate(cluster)
    assert os.path.exists(victim)
    assert auditor.audit_ring(cluster.ring_file)['quarantined'] == 0


def test_auditor_finds_truncated_and_garbage_files(cluster):
    cluster.put(*NAME, [b'data'], 'text/plain', {})
    primaries, _ = _nodes(cluster)
    with open(_files(primaries[0])[0], 'r+b') as f:
        f.truncate(3)
    with open(_files(primaries[1])[0], 'wb') as f:
        f.write(b'\0' * 64)
    assert auditor.audit_ring(cluster.ring_file)['quarantined'] == 2
    assert _read(cluster) == b'data'


def test_periodic_tasks_registered(conf):
    from cloudstack.tasks import queue
    # Once per host holding devices, on its object server.
    assert queue.periodics['object_store.replicate'] == queue.PeriodicSpec(300, 'object', True)
    assert queue.periodics['object_store.audit'] == queue.PeriodicSpec(3600, 'object', True)
    assert replicator.replicate.task_name == 'object_store.replicate'
    assert auditor.audit.task_name == 'object_store.audit'
    assert replicator.replicate() is None           # no ring yet: nothing to do
    disk.DiskBackend.from_config(conf).put(*NAME, [b'x'], 'text/plain', {})
    assert replicator.replicate()['objects'] == 1
    assert auditor.audit()['checked'] == 1


def test_periodic_replicate_uses_tmp_max_age(conf, cluster):
    conf.set_override('ring_file', cluster.ring_file, group='object_store')
    conf.set_override('tmp_max_age', 60, group='object_store')
    try:
        dev = _nodes(cluster)[0][0]
        tmpdir = os.path.join(dev['path'], 'tmp')
        os.makedirs(tmpdir, exist_ok=True)
        for name, age in (('died.tmp', 120), ('live.tmp', 30)):
            path = os.path.join(tmpdir, name)
            with open(path, 'wb') as f:
                f.write(b'x')
            os.utime(path, (time.time() - age,) * 2)
        assert replicator.replicate()['tmp_reaped'] == 1
        assert os.listdir(tmpdir) == ['live.tmp']
    finally:
        conf.clear_override('ring_file', group='object_store')
        conf.clear_override('tmp_max_age', group='object_store')
