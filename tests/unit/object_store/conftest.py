"""Fixtures the Object Storage tests share."""
import pytest

from cloudstack.object_store import ring
from cloudstack.object_store.backend import disk


@pytest.fixture
def cluster(tmp_path):
    """A disk backend: 3 replicas over 4 devices in 4 zones (so one handoff
    per partition)."""
    b = ring.RingBuilder(4, 3)
    for i in range(4):
        path = tmp_path / ('dev%d' % i)
        path.mkdir()
        b.add_dev(str(path), zone=i + 1)
    b.rebalance(seed=1)
    path = str(tmp_path / 'object.ring')
    b.save(path)
    return disk.DiskBackend(path)
