"""The object auditor: finds replicas whose bytes went bad at rest.

Each pass reads the newest .data of every object on this host's devices,
checks its footer and size and the MD5 of its data, and quarantines a
damaged one (to <dev>/quarantined/objects/), so that reads skip it and the
replicator copies a good replica back. Blocking reads, in 64 KiB chunks,
yielding to other green threads between objects.
"""
import hashlib
import logging
import os
import time

from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.object_store import replicator
from cloudstack.object_store import ring as ring_mod
from cloudstack.object_store.backend import disk

LOG = logging.getLogger(__name__)

CHUNK = 65536


def audit_device(dev, stats):
    for _part, hashdir in list(replicator.walk(dev)):
        try:
            replica = disk._Replica(dev, hashdir)
        except OSError:
            continue
        if replica.data:
            stats['checked'] += 1
            if not _verify(replica, stats):
                if disk.quarantine(dev, hashdir, replica.data):
                    stats['quarantined'] += 1
        time.sleep(0)               # let other green threads run


def _verify(replica, stats):
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
        return True                 # replaced meanwhile
    except disk._Corrupt as e:
        LOG.error('damaged %s: %s', path, e)
        return False
    except OSError as e:
        LOG.error('cannot read %s: %s', path, e)
        stats['errors'] += 1
        return True                 # an IO error is the device's, not the object's
    if md5.hexdigest() != info['etag']:
        LOG.error('MD5 mismatch in %s', path)
        return False
    return True


def audit_ring(ring_file):
    stats = dict.fromkeys(('checked', 'bytes', 'quarantined', 'errors'), 0)
    for dev in replicator.local_devices(ring_mod.get_ring(ring_file)):
        audit_device(dev, stats)
    return stats


@tasks.periodic(3600, name='object_store.audit')
def audit():
    """One audit pass over this host's devices."""
    path = ring_mod.ring_path(CONF)
    if not os.path.exists(path):
        return None
    stats = audit_ring(path)
    LOG.info('object audit pass: %s', stats)
    return stats
