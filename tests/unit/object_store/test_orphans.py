"""The auditor deletes object data that no listing row refers to, once old enough."""
import glob
import os
import time

import pytest

from cloudstack.db import api as db_api
from cloudstack.object_store import auditor
from cloudstack.object_store import models
from cloudstack.object_store import replicator
from cloudstack.object_store.backend import disk

NAME = ('AUTH_p', 'cont', 'obj')
HOUR = 3600



def _files(be, name=NAME):
    r = be._ring()
    h = r.hash_path(*name)
    return sorted(glob.glob(os.path.join(str(os.path.dirname(be.ring_file)),
                                         'dev*', 'objects', '*', '*', h, '*')))


def _exts(be, name=NAME):
    return sorted(f.rsplit('.', 1)[1] for f in _files(be, name))


def _put(be, name=NAME, age=2 * HOUR, data=b'bytes of a PUT that died'):
    """A .data on every replica, written `age` seconds ago."""
    be.put(*name, [data], 'text/plain', {}, timestamp=time.time() - age)
    for path in _files(be, name):
        os.utime(path, (time.time() - age,) * 2)


def _list(*names):
    """Listing rows for `names` (account, container, object)."""
    with db_api.writer() as s:
        accounts, containers = {}, {}
        for account, container, obj in names:
            if account not in accounts:
                accounts[account] = models.Account(name=account, created_at='0',
                                                   put_timestamp='0')
                s.add(accounts[account])
                s.flush()
            if (account, container) not in containers:
                containers[account, container] = models.Container(
                    account_id=accounts[account].id, name=container,
                    created_at='0', put_timestamp='0')
                s.add(containers[account, container])
                s.flush()
            s.add(models.Object(container_id=containers[account, container].id,
                                name=obj, size=1, etag='x', content_type='text/plain',
                                timestamp='0', meta={}))


def _audit(be, grace=HOUR):
    return auditor.audit_ring(be.ring_file, orphan_grace=grace)


def test_old_data_without_a_row_is_deleted_on_every_replica(db, cluster):
    _list(('AUTH_p', 'other', 'obj'), ('AUTH_q', 'cont', 'obj'))   # same name elsewhere
    _put(cluster)
    assert _exts(cluster) == ['data'] * 3
    stats = _audit(cluster)
    assert stats['orphans'] == 1 and stats['quarantined'] == 0
    assert _exts(cluster) == ['ts'] * 3
    with pytest.raises(KeyError):
        cluster.head(*NAME)
    assert _audit(cluster)['orphans'] == 0          # nothing left to do


def test_data_with_a_row_is_kept(db, cluster):
    names = [NAME, ('AUTH_p', 'cont', 'dir/with/slashes'), ('AUTH_p', 'cont', 'ünï')]
    _list(*names)
    for name in names:
        _put(cluster, name)
    stats = _audit(cluster)
    assert stats['orphans'] == 0 and stats['checked'] == 9
    for name in names:
        assert _exts(cluster, name) == ['data'] * 3


def test_young_data_without_a_row_is_kept(db, cluster):
    """A PUT writes its bytes before its row: data younger than the grace
    period may be one in progress."""
    _put(cluster, age=0)
    assert _audit(cluster)['orphans'] == 0
    _put(cluster, ('AUTH_p', 'cont', 'older'), age=HOUR - 60)
    assert _audit(cluster)['orphans'] == 0
    assert _exts(cluster) == ['data'] * 3
    assert _audit(cluster, grace=30)['orphans'] == 1
    assert _exts(cluster, ('AUTH_p', 'cont', 'older')) == ['ts'] * 3
    assert _exts(cluster) == ['data'] * 3


def test_recent_write_of_old_timestamp_is_kept(db, cluster):
    """The file's age counts too (a PUT may carry an old X-Timestamp)."""
    cluster.put(*NAME, [b'x'], 'text/plain', {}, timestamp=time.time() - 2 * HOUR)
    assert _audit(cluster)['orphans'] == 0
    assert _exts(cluster) == ['data'] * 3


def test_without_grace_no_listing_is_consulted(cluster):
    """No `db` fixture: a lookup would fail."""
    _put(cluster)
    assert auditor.audit_ring(cluster.ring_file)['orphans'] == 0
    assert _exts(cluster) == ['data'] * 3


def test_a_later_put_wins_over_the_orphans_tombstone(db, cluster):
    _put(cluster)
    [data] = {os.path.basename(f) for f in _files(cluster)}
    assert _audit(cluster)['orphans'] == 1
    [ts] = {os.path.basename(f) for f in _files(cluster)}
    assert ts == auditor._tick_after(data[:-5]) + '.ts'
    later = float(data[:-5]) + 0.00002
    cluster.put(*NAME, [b'new'], 'text/plain', {}, timestamp=later)
    info, chunks = cluster.get(*NAME)
    assert b''.join(chunks) == b'new'


def test_deleted_object_is_not_counted(db, cluster):
    """A .data left beside a newer tombstone is a deletion's to tidy up."""
    _put(cluster)
    [stale, *_] = _files(cluster)
    with open(stale, 'rb') as f:
        data = f.read()
    cluster.delete(*NAME, timestamp=time.time() - HOUR)
    assert _exts(cluster) == ['ts'] * 3
    with open(stale, 'wb') as f:                    # back beside the .ts
        f.write(data)
    os.utime(stale, (time.time() - 2 * HOUR,) * 2)
    stats = _audit(cluster)
    assert stats['checked'] == 1 and stats['orphans'] == 0


def test_unreadable_listings_delete_nothing(conf, cluster, tmp_path):
    """A database that cannot be read: no orphan is deleted, the audit goes on."""
    conf.set_override('connection', 'sqlite:///%s' % (tmp_path / 'no' / 'such.db'),
                      group='database')
    db_api.reset()
    _put(cluster)
    with open(_files(cluster)[0], 'r+b') as f:
        f.write(b'X')
    stats = _audit(cluster)
    assert stats['orphans'] == 0 and stats['errors'] == 1 and stats['quarantined'] == 1
    assert _exts(cluster) == ['data'] * 2


def test_tick_after():
    assert auditor._tick_after('1700000000.12345') == '1700000000.12346'
    assert auditor._tick_after('1700000000.99999') == '1700000001.00000'
    assert auditor._tick_after('0000000012.50000') == '0000000012.50001'


def test_orphan_is_gone_for_good_after_reclaim_age(db, cluster):
    _put(cluster)
    _audit(cluster)
    replicator.replicate_ring(cluster.ring_file, reclaim_age=0, now=time.time() + 1)
    assert _files(cluster) == []


def test_orphan_on_a_handoff_goes_too(db, cluster):
    _put(cluster)
    r = cluster._ring()
    part = r.partition(*NAME)
    primary, handoff = r.get_nodes(part)[0], r.get_more_nodes(part)[0]
    src = disk.DiskBackend._hashdir(primary, part, r.hash_path(*NAME))
    dest = disk.DiskBackend._hashdir(handoff, part, r.hash_path(*NAME))
    os.makedirs(os.path.dirname(dest))
    os.rename(src, dest)                    # as if written while primary was away
    assert _audit(cluster)['orphans'] == 1
    replicator.replicate_ring(cluster.ring_file)
    assert not os.path.exists(dest)
    assert _exts(cluster) == ['ts'] * 3


def test_periodic_audit_uses_orphan_grace(db, conf, cluster):
    conf.set_override('ring_file', cluster.ring_file, group='object_store')
    try:
        _put(cluster, age=600)
        assert auditor.audit()['orphans'] == 0          # default: an hour
        conf.set_override('orphan_grace', 300, group='object_store')
        assert auditor.audit()['orphans'] == 1
    finally:
        conf.clear_override('ring_file', group='object_store')
        conf.clear_override('orphan_grace', group='object_store')
