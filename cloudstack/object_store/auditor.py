"""The object auditor: finds replicas whose bytes went bad at rest, and
object data that no listing refers to.

Each pass reads the newest .data of every object on this host's devices,
checks its footer and size and the MD5 of its data, and quarantines a
damaged one (to <dev>/quarantined/objects/), so that reads skip it and the
replicator copies a good replica back. Blocking reads, in 64 KiB chunks,
yielding to other green threads between objects.

The same pass removes orphans. A PUT writes the object's bytes to the
devices before it records the listing row (manager.py), so a process killed
between the two - or a database that refused the row - leaves data that no
GET, HEAD or listing will ever reach and that no later request removes. A
.data whose name (from its footer) has no listing row, and which was written
longer than [object_store] orphan_grace ago, gets a tombstone on its
primaries one tick (10 microseconds) newer than the data: the data goes as a
deletion does, on every replica, the replicator spreads the tombstone to
replicas that were away and reclaims it after reclaim_age. The grace period
is what keeps a PUT in progress (bytes written, row not yet) safe, and the
tombstone's timestamp, just above the orphan's, loses to any later PUT of the
same name. Temp files of writes that died are the replicator's (tmp_max_age).
"""
import hashlib
import json
import logging
import os
import time

import sqlalchemy as sa

from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.object_store import models
from cloudstack.object_store import replicator
from cloudstack.object_store import ring as ring_mod
from cloudstack.object_store.backend import base
from cloudstack.object_store.backend import disk

LOG = logging.getLogger(__name__)

CHUNK = 65536
ORPHAN_GRACE = 3600         # default [object_store] orphan_grace


def audit_device(dev, stats, orphans=None, datadir='objects'):
    for part, hashdir in list(replicator.walk(dev, datadir)):
        try:
            replica = disk._Replica(dev, hashdir)
        except OSError:
            continue
        if replica.data:
            stats['checked'] += 1
            info = _verify(replica, stats)
            if info is False:
                if disk.quarantine(dev, hashdir, replica.data):
                    stats['quarantined'] += 1
            elif info and orphans is not None:
                orphans.check(part, replica, info, stats)
        time.sleep(0)               # let other green threads run


def _verify(replica, stats):
    """The .data's footer metadata when it is sound, False when damaged,
    None when it could not be read (gone meanwhile, or an IO error)."""
    path = replica.path(replica.data, 'data')
    try:
        with open(path, 'rb') as f:
            info = disk._read_footer(f)
            f.seek(0)
            md5, left = hashlib.md5(), info['size']
            while left > 0:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    break
                md5.update(chunk)
                left -= len(chunk)
            stats['bytes'] += info['size'] - left
    except FileNotFoundError:
        return None                 # replaced meanwhile
    except disk._Corrupt as e:
        LOG.error('damaged %s: %s', path, e)
        return False
    except OSError as e:
        LOG.error('cannot read %s: %s', path, e)
        stats['errors'] += 1
        return None                 # an IO error is the device's, not the object's
    if md5.hexdigest() != info['etag']:
        LOG.error('MD5 mismatch in %s', path)
        return False
    return info


def listed(account, container, obj):
    """Whether the listings hold a row for the object (any version)."""
    with db_api.reader() as s:
        return s.scalar(
            sa.select(sa.literal(1)).select_from(models.Object)
            .join(models.Container, models.Container.id == models.Object.container_id)
            .join(models.Account, models.Account.id == models.Container.account_id)
            .where(models.Account.name == account, models.Container.name == container,
                   models.Object.name == obj).limit(1)) is not None


def _tick_after(ts):
    """The timestamp one tick (10 microseconds) after `ts`."""
    seconds, _, fraction = ts.partition('.')
    ticks = int(seconds) * 100000 + int((fraction + '00000')[:5]) + 1
    return disk.normalize_timestamp('%d.%05d' % divmod(ticks, 100000))


class Orphans:
    """Deletes object data that no listing row refers to, once it is older
    than `grace` seconds; one decision per object per pass."""

    def __init__(self, ring_file, grace=ORPHAN_GRACE, now=None, datadir='objects'):
        self.backend = disk.DiskBackend(ring_file, datadir=datadir,
                                        own=replicator.own_server())
        self.grace = grace
        self.now = now or time.time()
        self.decided = set()        # name hashes
        self.disabled = False

    def check(self, part, replica, info, stats):
        name_hash = os.path.basename(replica.hashdir)
        if name_hash in self.decided:
            return
        if replica.tombstone and disk._ts_key(replica.tombstone) > disk._ts_key(replica.data):
            return                  # deleted already; the replicator tidies up
        try:
            mtime = os.stat(replica.path(replica.data, 'data')).st_mtime
        except OSError:
            return
        if max(mtime, float(replica.data)) > self.now - self.grace:
            return                  # maybe a PUT about to record its row
        try:
            account, container, obj = info['name'][1:].split('/', 2)
        except (KeyError, AttributeError, ValueError):
            LOG.error('no object name in %s', replica.hashdir)
            return
        if self.disabled:
            return
        try:
            found = listed(account, container, obj)
        except sa.exc.SQLAlchemyError as e:
            # Without the listings nothing is an orphan; the audit goes on.
            LOG.error('cannot read the object listings, no orphan is deleted '
                      'this pass: %s', e)
            self.disabled = True
            stats['errors'] += 1
            return
        if found:
            self.decided.add(name_hash)
            return
        ts = _tick_after(replica.data)
        ring = self.backend._ring()
        try:
            self.backend._write_replicas(ring, part, name_hash,
                                         tuple(info['name'].split('/', 3)[1:]), ts + '.ts',
                                         json.dumps({'timestamp': ts}).encode())
        except (base.QuorumError, OSError) as e:
            LOG.warning('could not delete orphan %s: %s', info['name'], e)
            stats['errors'] += 1
            return
        self.decided.add(name_hash)
        stats['orphans'] += 1
        LOG.warning('deleted orphan object %s (%s bytes, written at %s): no '
                    'listing row refers to it', info['name'], info.get('size'), replica.data)


def audit_ring(ring_file, orphan_grace=None, now=None, datadir='objects', stats=None):
    """One pass over the ring's local devices; with `orphan_grace` (seconds),
    also delete data with no listing row that is older than that."""
    if stats is None:
        stats = dict.fromkeys(('checked', 'bytes', 'quarantined', 'errors', 'orphans'), 0)
    orphans = None if orphan_grace is None else Orphans(ring_file, orphan_grace, now,
                                                        datadir)
    for dev in replicator.local_devices(ring_mod.get_ring(ring_file),
                                         replicator.own_server()):
        audit_device(dev, stats, orphans, datadir)
    return stats


@tasks.periodic(3600, name='object_store.audit', role='object', per_host=True)
def audit():
    """One audit pass over this host's devices, every policy's."""
    stats = None
    for number, path in replicator.policy_rings():
        stats = audit_ring(path, CONF.object_store.orphan_grace,
                           datadir=ring_mod.datadir(number), stats=stats)
    LOG.info('object audit pass: %s', stats)
    return stats
