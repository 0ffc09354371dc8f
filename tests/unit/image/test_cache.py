"""Each Image API node's local image cache: /v2/cache queueing, filling by
the node's own workers, downloads served from it, hits, clearing, eviction,
and two nodes on one host with caches of their own."""
import hashlib
import os
import time

import pytest

from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.image import manager
from cloudstack.image import models
from cloudstack.image.stores import cache as cache_mod
from tests.unit.image.conftest import IMG

CACHE = '/image/v2/cache'


@pytest.fixture
def cache_on(conf):
    CONF.set_override('image_cache_enabled', True, group='image')
    yield os.path.join(CONF.data_dir, 'image-cache')
    CONF.clear_override('image_cache_enabled', group='image')
    CONF.clear_override('image_cache_max_size', group='image')
    CONF.clear_override('image_cache_dir', group='image')


def fill():
    """What an API worker of this node does when woken."""
    return manager.get().fill_queued()


def _active(client, data):
    img = client.create_image()
    assert client.upload(img['id'], data).status_int == 204
    return img['id']


def test_on_by_default_and_empty_until_an_admin_queues(users, conf):
    boss = users['boss']
    img = users['alice'].create_image()
    assert users['alice'].upload(img['id'], b'data').status_int == 204
    assert users['alice'].get(IMG + '/%s/file' % img['id']).body == b'data'
    assert boss.get(CACHE).json == {'cached_images': [], 'queued_images': []}
    CONF.set_override('image_cache_enabled', False, group='image')
    try:
        assert boss.get(CACHE).status_int == 404
    finally:
        CONF.clear_override('image_cache_enabled', group='image')


def test_cache_cycle(users, cache_on):
    a, boss = users['alice'], users['boss']
    assert a.get(CACHE).status_int == 403
    assert boss.get(CACHE).json == {'cached_images': [], 'queued_images': []}
    assert boss.put(CACHE + '/no-such-image').status_int == 404
    queued = a.create_image()
    assert boss.put(CACHE + '/' + queued['id']).status_int == 400
    iid = _active(a, b'cached-bytes')
    assert boss.put(CACHE + '/' + iid).status_int == 202
    assert boss.get(CACHE).json['queued_images'] == [iid]
    fill()
    [entry] = boss.get(CACHE).json['cached_images']
    assert entry['image_id'] == iid and entry['size'] == 12 and entry['hits'] == 0
    assert os.listdir(cache_on) == [iid]
    # downloads come from the cache now, even with the store's copy gone
    os.unlink(os.path.join(CONF.data_dir, 'images', iid))
    assert a.get(IMG + '/%s/file' % iid).body == b'cached-bytes'
    got = a.get(IMG + '/%s/file' % iid, headers={'Range': 'bytes=7-'})
    assert got.status_int == 206 and got.body == b'bytes'
    assert boss.get(CACHE).json['cached_images'][0]['hits'] == 3
    assert boss.put(CACHE + '/' + iid).status_int == 202     # already there
    assert boss.get(CACHE).json['queued_images'] == []
    assert boss.delete(CACHE, headers={'x-image-cache-clear-target': 'bogus'}
                       ).status_int == 400
    assert boss.delete(CACHE, headers={'x-image-cache-clear-target': 'queue'}
                       ).status_int == 204
    assert len(boss.get(CACHE).json['cached_images']) == 1
    assert boss.delete(CACHE).status_int == 204
    assert boss.get(CACHE).json == {'cached_images': [], 'queued_images': []}
    assert os.listdir(cache_on) == []


def test_delete_one_and_image_deletion(users, cache_on):
    a, boss = users['alice'], users['boss']
    one, two = _active(a, b'1' * 10), _active(a, b'2' * 10)
    boss.put(CACHE + '/' + one)
    boss.put(CACHE + '/' + two)
    fill()
    assert boss.delete(CACHE + '/' + one).status_int == 204
    assert [e['image_id'] for e in boss.get(CACHE).json['cached_images']] == [two]
    assert a.delete(IMG + '/' + two).status_int == 204
    assert boss.get(CACHE).json['cached_images'] == []
    assert os.listdir(cache_on) == []


def test_least_recently_used_are_evicted(users, cache_on):
    a, boss = users['alice'], users['boss']
    CONF.set_override('image_cache_max_size', 25, group='image')
    ids = [_active(a, bytes([65 + i]) * 10) for i in range(3)]
    for iid in ids[:2]:
        boss.put(CACHE + '/' + iid)
        fill()
    a.get(IMG + '/%s/file' % ids[0])        # the first is used again
    boss.put(CACHE + '/' + ids[2])
    fill()
    cached = sorted(e['image_id'] for e in boss.get(CACHE).json['cached_images'])
    assert cached == sorted([ids[0], ids[2]])


def test_a_corrupt_copy_is_not_kept(conf, db):
    c = cache_mod.Cache(CONF)
    assert c.fill('img', iter([b'abc']), checksum='0' * 32, size=3) is False
    assert c.listing() == {'cached_images': [], 'queued_images': []}
    assert not os.path.exists(c.path('img'))


def _on_node(directory):
    CONF.set_override('image_cache_dir', str(directory), group='image')


def _cached(boss):
    return [e['image_id'] for e in boss.get(CACHE).json['cached_images']]


def test_each_node_has_its_own_cache(users, cache_on, tmp_path):
    a, boss = users['alice'], users['boss']
    node_b = tmp_path / 'cache-b'
    iid = _active(a, b'twice-cached')
    assert boss.put(CACHE + '/' + iid).status_int == 202      # through node A
    _on_node(node_b)
    assert boss.get(CACHE).json == {'cached_images': [], 'queued_images': []}
    assert fill() == 0                      # node B's workers leave A's queue
    _on_node(cache_on)
    assert fill() == 1
    assert _cached(boss) == [iid] and os.listdir(cache_on) == [iid]
    _on_node(node_b)
    assert not node_b.exists() and _cached(boss) == []
    assert boss.put(CACHE + '/' + iid).status_int == 202      # through node B
    assert boss.get(CACHE).json['queued_images'] == [iid]
    assert fill() == 1
    assert _cached(boss) == [iid] and os.listdir(node_b) == [iid]
    assert boss.delete(CACHE).status_int == 204               # B's only
    assert boss.get(CACHE).json == {'cached_images': [], 'queued_images': []}
    assert os.listdir(node_b) == []
    _on_node(cache_on)
    assert _cached(boss) == [iid] and os.listdir(cache_on) == [iid]


def test_an_image_deleted_through_one_node_leaves_every_cache(users, cache_on, tmp_path):
    a, boss = users['alice'], users['boss']
    node_b = tmp_path / 'cache-b'
    iid = _active(a, b'deleted')
    _on_node(node_b)
    boss.put(CACHE + '/' + iid)
    fill()
    _on_node(cache_on)
    assert a.delete(IMG + '/' + iid).status_int == 204
    _on_node(node_b)
    assert _cached(boss) == []
    # node B's copy goes at its next look, once no worker can be writing it
    assert os.listdir(node_b) == [iid]
    fill()
    assert os.listdir(node_b) == [iid]
    old = time.time() - cache_mod.FILL_LEASE - 1
    os.utime(node_b / iid, (old, old))
    fill()
    assert os.listdir(node_b) == []


def test_a_claimed_image_is_left_to_its_worker_until_the_claim_lapses(users, cache_on):
    """What was queued survives a restart: a dead worker's claim lapses and the
    image is filled by the next look."""
    a, boss = users['alice'], users['boss']
    iid = _active(a, b'claimed')
    boss.put(CACHE + '/' + iid)
    c = cache_mod.Cache(CONF)
    assert c.claim(iid) is True             # a worker takes it, then dies
    assert c.claim(iid) is False
    assert fill() == 0
    assert boss.get(CACHE).json['queued_images'] == [iid]
    with db_api.writer() as session:
        row = session.get(models.ImageCacheEntry, (c.host, iid))
        row.last_modified = time.time() - cache_mod.FILL_LEASE - 1
    assert fill() == 1
    assert _cached(boss) == [iid]


def test_an_image_dequeued_while_filling_is_not_kept(users, cache_on):
    a, boss = users['alice'], users['boss']
    iid = _active(a, b'dequeued')
    boss.put(CACHE + '/' + iid)
    c = cache_mod.Cache(CONF)

    def chunks():
        yield b'deq'
        assert boss.delete(CACHE + '/' + iid).status_int == 204
        yield b'ueued'
    assert c.claim(iid)
    assert c.fill(iid, chunks(), hashlib.md5(b'dequeued').hexdigest(), 8)
    assert boss.get(CACHE).json == {'cached_images': [], 'queued_images': []}
    assert os.listdir(cache_on) == []


def test_a_dead_fills_temporary_file_goes_once_stale(cache_on, db):
    c = cache_mod.Cache(CONF)
    os.makedirs(c.dir)
    partial = os.path.join(c.dir, '.tmp-img-x1')
    with open(partial, 'wb') as f:
        f.write(b'half')
    assert c.prune() == 0 and os.path.exists(partial)      # maybe still written
    old = time.time() - cache_mod.FILL_LEASE - 1
    os.utime(partial, (old, old))
    assert c.prune() == 1 and os.listdir(c.dir) == []
