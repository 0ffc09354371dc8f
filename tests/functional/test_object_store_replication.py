"""Three replicas on three devices: lost and corrupted replicas never reach a
reader, and the replicator and auditor, run by the engine, heal the cluster.

Objects up to 1 MiB are verified before the first byte is served, so a read
skips a bad replica for a good one. A larger one is verified as it streams:
a read that meets a bad replica ends short (the client sees an incomplete
body, never a complete wrong one) and quarantines it, so the next read is
whole. The periodic tasks are queued through the engine, as its schedule
does, rather than waited for.
"""
import glob
import hashlib
import json
import os
import random
import struct
import threading

import pytest
import requests

from cloudstack.object_store import ring
from tests.functional.conftest import ADMIN_PASSWORD, Swift, periodics_ran, run_task

DEVICES = ('objects/d1', 'objects/d2', 'objects/d3')
FOOTER = struct.Struct('>I4s')      # after the data and its JSON metadata (backend/disk.py)


def _start(cloud):
    cloud.options['object_store'] = {'default_devices': ','.join(DEVICES),
                                     'default_replicas': 3}
    proc = cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    swift = Swift(cloud)
    # The engine runs every periodic task once when it starts: let those go by.
    periodics_ran(cloud, 'object_store.replicate', 'object_store.audit')
    return proc, swift


def _replicas(cloud, swift, container, name):
    """{device: path of its .data} of the object's replicas."""
    r = ring.get_ring(os.path.join(cloud.data_dir, 'object.ring'))
    h = r.hash_path(swift.account, container, name)
    found = {}
    for dev in DEVICES:
        files = glob.glob(os.path.join(cloud.data_dir, dev, 'objects', '*', '*', h, '*.data'))
        assert len(files) <= 1, files
        if files:
            found[dev] = files[0]
    return found


def _sound(path, data):
    """Whether the .data file holds `data`, its footer naming its MD5 and size."""
    with open(path, 'rb') as f:
        raw = f.read()
    length, magic = FOOTER.unpack(raw[-FOOTER.size:])
    meta = json.loads(raw[-FOOTER.size - length:-FOOTER.size])
    body = raw[:-FOOTER.size - length]
    return (magic == b'CSO1' and body == data and meta['size'] == len(data)
            and meta['etag'] == hashlib.md5(data).hexdigest())


def _flip(path, offset):
    with open(path, 'r+b') as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xff]))
    with open(path, 'rb') as f:
        return f.read()


def _reads_right(swift, objects, rounds=4):
    """Every object reads back whole with its ETag, from any worker."""
    for _ in range(rounds):
        for name, data in objects.items():
            resp = swift.request('GET', '/rep/' + name)
            assert resp.status_code == 200, (name, resp.status_code)
            assert resp.content == data, name
            assert resp.headers['ETag'].strip('"') == hashlib.md5(data).hexdigest(), name
            head = swift.request('HEAD', '/rep/' + name)
            assert head.headers['ETag'] == resp.headers['ETag'], name
            assert int(head.headers['Content-Length']) == len(data), name


def _quarantined(cloud):
    """Contents of every quarantined file, on every device."""
    found = []
    for path in glob.glob(os.path.join(cloud.data_dir, 'objects', 'd*', 'quarantined',
                                       'objects', '*', '*')):
        with open(path, 'rb') as f:
            found.append(f.read())
    return found


def test_lost_and_corrupted_replicas_are_healed(cloud):
    _, swift = _start(cloud)
    assert swift.request('PUT', '/rep').status_code == 201
    rnd = random.Random(7)
    sizes = [1, 10, 100, 1000, 4096, 65536, 65537, 100000, 300000, 1 << 20,
             2, 3000, 50000, 3 << 20]
    objects = {'o%02d' % i: rnd.randbytes(size) for i, size in enumerate(sizes)}
    for name, data in objects.items():
        resp = swift.request('PUT', '/rep/' + name, data=data)
        assert resp.status_code == 201, resp.text
    replicas = {name: _replicas(cloud, swift, 'rep', name) for name in objects}
    for name, data in objects.items():
        assert len(replicas[name]) == 3 and all(
            _sound(p, data) for p in replicas[name].values()), name

    names = sorted(objects)
    lost, corrupted = {}, {}             # name -> path
    for i, name in enumerate(names[:4] + [names[-1]]):      # the 3 MiB one among them
        path = replicas[name][DEVICES[i % 3]]
        os.unlink(path)
        lost[name] = path
    bad_bytes = []
    for i, name in enumerate(names[4:10]):                  # bit rot in the data
        path = replicas[name][DEVICES[i % 3]]
        bad_bytes.append(_flip(path, len(objects[name]) // 2))
        corrupted[name] = path
    for i, name in enumerate(names[10:12]):                 # a damaged footer
        path = replicas[name][DEVICES[i % 3]]
        bad_bytes.append(_flip(path, os.path.getsize(path) - 1))
        corrupted[name] = path
    name = names[12]                     # two of three replicas bad: one lost, one rotten
    os.unlink(replicas[name][DEVICES[0]])
    lost[name] = replicas[name][DEVICES[0]]
    bad_bytes.append(_flip(replicas[name][DEVICES[1]], len(objects[name]) // 3))
    corrupted[name] = replicas[name][DEVICES[1]]

    _reads_right(swift, objects)         # reads may quarantine bad replicas on the way
    assert sorted(swift.names('rep')) == names

    # An object larger than the backend verifies before serving (1 MiB), rotten
    # in the replica a read tries first: the read that meets the bad MD5 at the
    # end of the stream ends short (never a whole wrong body) and quarantines
    # it; the reads after it are whole.
    big = rnd.randbytes(3 << 20)
    assert swift.request('PUT', '/rep/big', data=big).status_code == 201
    r = ring.get_ring(os.path.join(cloud.data_dir, 'object.ring'))
    first = r.get_nodes(r.partition(swift.account, 'rep', 'big'))[0]['path']
    [path] = [p for dev, p in _replicas(cloud, swift, 'rep', 'big').items()
              if os.path.join(cloud.data_dir, dev) == first]
    bad_bytes.append(_flip(path, len(big) - 10))
    corrupted['big'] = path
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        swift.request('GET', '/rep/big').content
    objects['big'] = big
    names.append('big')
    _reads_right(swift, objects)
    assert sorted(swift.names('rep')) == sorted(names)

    def healed():
        """Every replica present and sound, every damaged one quarantined."""
        for name, data in objects.items():
            found = _replicas(cloud, swift, 'rep', name)
            if len(found) != 3 or not all(_sound(p, data) for p in found.values()):
                return False
        return sorted(_quarantined(cloud)) == sorted(bad_bytes)

    assert not healed()
    # Reads go on while the engine audits and replicates.
    stop, failures = threading.Event(), []

    def reader():
        while not stop.is_set():
            try:
                _reads_right(swift, objects, rounds=1)
            except Exception as e:      # reported by the main thread
                failures.append(e)
                return
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    passes = []
    try:
        for _ in range(3):               # one pass of each should do; allow retries
            passes.append((run_task(cloud, 'object_store.audit'),
                           run_task(cloud, 'object_store.replicate')))
            if healed():
                break
    finally:
        stop.set()
        thread.join(60)
    assert not failures, failures
    assert healed(), passes
    audit, replicate = passes[0]
    assert replicate['pushed'] >= len(lost) and replicate['failures'] == 0, passes
    assert audit['checked'] >= 3 * len(objects) - len(lost) - len(corrupted), passes
    for path in list(lost.values()) + list(corrupted.values()):
        assert os.path.exists(path)      # back where it was
    _reads_right(swift, objects, rounds=2)
    # A healed cluster has nothing left to do.
    assert run_task(cloud, 'object_store.audit')['quarantined'] == 0
    again = run_task(cloud, 'object_store.replicate')
    assert again['pushed'] == 0 and again['quarantined'] == 0
    assert not any(os.listdir(d) for d in glob.glob(
        os.path.join(cloud.data_dir, 'objects', 'd*', 'tmp')))
