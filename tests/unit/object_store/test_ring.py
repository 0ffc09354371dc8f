"""The object ring: balance, dispersion, movement, persistence."""
import collections
import os
import subprocess
import sys

import pytest

from cloudstack.object_store import ring


def _builder(tmp_path, part_power=10, replicas=3, devs=()):
    b = ring.RingBuilder(part_power, replicas)
    for zone, weight in devs:
        b.add_dev(str(tmp_path / ('d%d' % len(b.devs))), zone=zone, weight=weight)
    return b


def _partition_devs(b):
    return [{b.assignment[r][p] for r in range(b.replicas)} for p in range(b.parts)]


def _moved(before, after):
    """Partition-replicas that are on a device now that did not hold them."""
    return sum(len(a - b) for b, a in zip(before, after))


def _zones(b, part):
    devs = {d['id']: d for d in b.devs}
    return [devs[b.assignment[r][part]]['zone'] for r in range(b.replicas)]


def test_balance_follows_weights(tmp_path):
    b = _builder(tmp_path, devs=[(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2)])
    b.rebalance(seed=1)
    counts = b.counts()
    total = b.parts * b.replicas
    assert sum(counts.values()) == total
    for dev in b.devs:
        expected = total * dev['weight'] / 9
        assert abs(counts[dev['id']] - expected) <= 0.01 * expected + 1
    assert b.balance()[1] < 1.0


def test_replicas_on_distinct_devices_and_zones(tmp_path):
    b = _builder(tmp_path, devs=[(z, 1) for z in (1, 1, 2, 2, 3, 4)])
    b.rebalance(seed=2)
    for part in range(b.parts):
        assert len({b.assignment[r][part] for r in range(3)}) == 3
        assert len(set(_zones(b, part))) == 3
    assert b.dispersion() == (0, 0)


def test_fewer_zones_than_replicas_spread_over_all_zones(tmp_path):
    b = _builder(tmp_path, devs=[(1, 1), (1, 1), (2, 1), (2, 1)])
    b.rebalance(seed=3)
    for part in range(b.parts):
        assert len({b.assignment[r][part] for r in range(3)}) == 3
        assert set(_zones(b, part)) == {1, 2}


def test_zone_weight_does_not_beat_dispersion(tmp_path):
    # Zone 1 weighs ten times zone 2, but with 2 replicas over 2 zones each
    # partition still has one replica in each.
    b = _builder(tmp_path, replicas=2, devs=[(1, 10), (2, 1)])
    b.rebalance(seed=4)
    assert all(set(_zones(b, p)) == {1, 2} for p in range(b.parts))


def test_adding_a_device_moves_only_its_share(tmp_path):
    b = _builder(tmp_path, devs=[(z, 1) for z in (1, 1, 2, 2, 3, 3)])
    b.rebalance(seed=5)
    before = _partition_devs(b)
    new = b.add_dev(str(tmp_path / 'new'), zone=4, weight=1)
    b.rebalance(seed=5)
    after = _partition_devs(b)
    total = b.parts * b.replicas
    share = 1 / 7
    fraction = _moved(before, after) / total
    assert fraction <= share * 1.02, fraction
    assert b.counts()[new['id']] >= 0.98 * share * total
    assert b.balance()[1] < 2.0
    assert b.dispersion() == (0, 0)


def test_reweighting_and_removing_move_little(tmp_path):
    b = _builder(tmp_path, devs=[(z, 1) for z in (1, 1, 2, 2, 3, 3, 4, 4)])
    b.rebalance(seed=6)
    total = b.parts * b.replicas

    before = _partition_devs(b)
    b.set_weight(0, 2)              # its share goes from 1/8 to 2/9
    b.rebalance(seed=6)
    assert _moved(before, _partition_devs(b)) / total <= (2 / 9 - 1 / 8) * 1.1
    assert b.balance()[1] < 2.0

    before = _partition_devs(b)
    held = b.counts()[3]
    b.remove_dev(3)
    b.rebalance(seed=6)
    assert _moved(before, _partition_devs(b)) <= held * 1.1
    assert 3 not in {d['id'] for d in b.devs}
    assert all(3 not in devs for devs in _partition_devs(b))
    assert b.dispersion() == (0, 0)


def test_weight_zero_drains_a_device(tmp_path):
    b = _builder(tmp_path, devs=[(1, 1), (2, 1), (3, 1), (4, 1)])
    b.rebalance(seed=7)
    b.set_weight(2, 0)
    b.rebalance(seed=7)
    assert b.counts()[2] == 0
    assert b.dispersion() == (0, 0)


def test_rebalance_again_moves_nearly_nothing(tmp_path):
    b = _builder(tmp_path, devs=[(1, 1), (2, 2), (3, 3), (4, 1)])
    b.rebalance(seed=8)
    before = _partition_devs(b)
    b.rebalance(seed=9)
    assert _moved(before, _partition_devs(b)) <= 0.01 * b.parts * b.replicas


def test_save_load_and_cached_reload(tmp_path):
    b = _builder(tmp_path, part_power=8, devs=[(1, 1), (2, 1), (3, 1)])
    b.rebalance(seed=1)
    path = str(tmp_path / 'object.ring')
    b.save(path)
    r = ring.get_ring(path)
    assert ring.get_ring(path) is r                 # cached while unchanged
    part = r.partition('AUTH_a', 'c', 'o')
    assert 0 <= part < 256
    assert [d['id'] for d in r.get_nodes(part)] == [b.assignment[x][part] for x in range(3)]

    loaded = ring.RingBuilder.load(path)
    assert (loaded.hash_prefix, loaded.hash_suffix) == (b.hash_prefix, b.hash_suffix)
    assert loaded.assignment == b.assignment
    loaded.add_dev(str(tmp_path / 'more'), zone=4)
    loaded.rebalance(seed=1)
    loaded.save(path)
    r2 = ring.get_ring(path)
    assert r2 is not r and r2.version == r.version + 1
    assert len(r2.devs) == 4
    # The secret did not change: objects keep their partitions.
    assert r2.partition('AUTH_a', 'c', 'o') == part
    assert not [n for n in os.listdir(tmp_path) if n.endswith('.tmp')]


def test_exclusive_save_keeps_the_first(tmp_path):
    path = str(tmp_path / 'object.ring')
    first = ring.RingBuilder(4, 1)
    first.save(path, exclusive=True)
    with pytest.raises(FileExistsError):
        ring.RingBuilder(4, 1).save(path, exclusive=True)
    assert ring.RingBuilder.load(path).hash_prefix == first.hash_prefix
    assert len(os.listdir(tmp_path)) == 1


def test_partition_depends_on_the_secret(tmp_path):
    a, b = ring.RingBuilder(16, 1).to_ring(), ring.RingBuilder(16, 1).to_ring()
    names = [('AUTH_x', 'c', 'o%d' % i) for i in range(20)]
    assert [a.partition(*n) for n in names] != [b.partition(*n) for n in names]
    assert a.hash_path('AUTH_x', 'c', 'o') != b.hash_path('AUTH_x', 'c', 'o')
    # Partitions spread evenly over the space.
    spread = collections.Counter(a.partition('AUTH_x', 'c', 'o%d' % i) >> 12
                                 for i in range(1600))
    assert len(spread) == 16 and min(spread.values()) > 50


def test_handoffs_are_other_devices_other_zones_first(tmp_path):
    b = _builder(tmp_path, part_power=6, replicas=2,
                 devs=[(1, 1), (1, 1), (2, 1), (2, 1), (3, 1)])
    b.rebalance(seed=1)
    r = b.to_ring()
    for part in range(r.partitions):
        primaries = r.get_nodes(part)
        handoffs = r.get_more_nodes(part)
        ids = [d['id'] for d in primaries + handoffs]
        assert len(ids) == len(set(ids)) == 5
        zones = {d['zone'] for d in primaries}
        assert handoffs[0]['zone'] not in zones


def test_default_ring_created_on_first_use(conf):
    r = ring.load_ring(conf)
    assert (r.replicas, r.part_power) == (1, 10)
    assert [d['path'] for d in r.devs.values()] == [
        os.path.join(conf.data_dir, 'objects', 'd1')]
    assert os.path.isdir(os.path.join(conf.data_dir, 'objects', 'd1'))
    assert os.path.exists(os.path.join(conf.data_dir, 'object.ring'))
    assert ring.load_ring(conf) is r
    assert all(len(r.get_nodes(p)) == 1 for p in range(r.partitions))


def test_default_ring_devices_relative_to_data_dir(conf, override, tmp_path):
    elsewhere = str(tmp_path / 'abs')
    override('default_devices', ['objects/a', 'objects/b', elsewhere], group='object_store')
    override('default_replicas', 3, group='object_store')
    r = ring.load_ring(conf)
    assert sorted(d['path'] for d in r.devs.values()) == sorted([
        os.path.join(conf.data_dir, 'objects', 'a'),
        os.path.join(conf.data_dir, 'objects', 'b'), elsewhere])
    assert all(len({d['id'] for d in r.get_nodes(p)}) == 3 for p in range(r.partitions))


def test_manage_ring_commands(conf):
    """`cloudstack-manage ring ...`, run as the command it is (importing
    cloudstack.cmd would turn this test process green)."""
    def run(*args, fails=False):
        proc = subprocess.run(
            [sys.executable, '-c',
             'import sys; from cloudstack.cmd import manage; sys.exit(manage.main())',
             '--data-dir', conf.data_dir, 'ring'] + [str(a) for a in args],
            capture_output=True, text=True, timeout=60)
        assert (proc.returncode != 0) == fails, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    run('create', 6, 2)
    run('create', 6, 2, fails=True)
    for zone in (1, 2, 3):
        run('add', '--zone', zone, '--weight', 1.0, os.path.join(conf.data_dir, str(zone)))
    out = run('rebalance')
    assert 'crowded zone: 0; replicas without a device: 0' in out
    run('set-weight', 0, 2.0)
    run('remove', 2)
    assert 'moved' in run('rebalance')
    assert '2 devices' in run('show')
    assert 'no device 7' in run('remove', 7, fails=True)
    remote = os.path.join(conf.data_dir, 'elsewhere')
    assert 'is not ip:port' in run('add', '--server', 'nowhere', remote, fails=True)
    assert '10.0.0.9:6200%s' % remote in run('add', '--zone', 4, '--server', '10.0.0.9:6200',
                                              remote)
    r = ring.get_ring(os.path.join(conf.data_dir, 'object.ring'))
    assert sorted(r.devs) == [0, 1, 3]
    assert (r.devs[3]['ip'], r.devs[3]['port']) == ('10.0.0.9', 6200)


def test_devices_named_by_host_and_port(tmp_path):
    b = ring.RingBuilder(4, 2)
    here = b.add_dev(str(tmp_path / 'a'), zone=1)
    there = b.add_dev(str(tmp_path / 'a'), zone=2, ip='10.0.0.2', port=6200)
    mine = b.add_dev(str(tmp_path / 'a'), zone=3, ip='10.0.0.1', port=6200)
    with pytest.raises(ring.RingError):
        b.add_dev(str(tmp_path / 'a'), ip='10.0.0.2', port=6200)     # the same device
    with pytest.raises(ring.RingError):
        b.add_dev(str(tmp_path / 'b'), ip='10.0.0.2')                # a port too
    b.rebalance(seed=1)
    b.save(str(tmp_path / 'r'))
    loaded = ring.RingBuilder.load(str(tmp_path / 'r')).to_ring()
    assert loaded.devs[there['id']]['ip'] == '10.0.0.2'
    assert loaded.devs[there['id']]['port'] == 6200
    assert 'port' not in loaded.devs[here['id']]
    own = ring.parse_bind('10.0.0.1:6200')
    assert own == ('10.0.0.1', 6200)
    assert ring.parse_bind('') is None
    assert ring.is_local(here) and ring.is_local(here, own)
    assert not ring.is_local(there) and not ring.is_local(there, own)
    assert ring.is_local(mine, own) and not ring.is_local(mine)
    assert ring.describe(there) == '10.0.0.2:6200' + str(tmp_path / 'a')


def test_default_ring_devices_on_object_servers(conf, override, tmp_path):
    here, there = str(tmp_path / 'here'), str(tmp_path / 'there')
    override('default_devices', ['127.0.0.1:6201' + here, '[::1]:6202' + there,
                                 'objects/plain'], group='object_store')
    override('object_server_bind', '127.0.0.1:6201', group='object_store')
    override('default_replicas', 2, group='object_store')
    r = ring.load_ring(conf)
    devs = sorted(((d['path'], d.get('ip'), d.get('port')) for d in r.devs.values()))
    assert devs == sorted([(here, '127.0.0.1', 6201), (there, '::1', 6202),
                           (os.path.join(conf.data_dir, 'objects', 'plain'), None, None)])
    assert os.path.isdir(here) and not os.path.exists(there)    # made only here
