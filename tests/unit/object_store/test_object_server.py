"""Replicas on another host: the object server's app (in a process of its
own, on a free port) and the disk backend and replicator reaching it over
HTTP, signed with the shared key."""
import glob
import hashlib
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest
import requests

from cloudstack.object_store import remote
from cloudstack.object_store import replicator
from cloudstack.object_store import ring
from cloudstack.object_store.backend import disk

KEY = 'shared-secret'
NAME = ('AUTH_p', 'cont', 'obj')

SERVER = '''
import sys
import eventlet
import eventlet.wsgi
from cloudstack.conf import CONF
CONF([], project='cloudstack', default_config_files=[])
CONF.set_override('ring_file', sys.argv[1], group='object_store')
from cloudstack.object_store import server
sock = eventlet.listen(('127.0.0.1', int(sys.argv[2])))
eventlet.wsgi.server(sock, server.ObjectServer(('127.0.0.1', int(sys.argv[2])), sys.argv[3]),
                     log_output=False)
'''


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Host:
    """An object server process serving the ring's devices named by its port."""

    def __init__(self, tmp_path, ring_file, port):
        self.script = tmp_path / 'object_server.py'
        self.script.write_text(textwrap.dedent(SERVER))
        self.ring_file, self.port = ring_file, port
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([sys.executable, str(self.script), self.ring_file,
                                      str(self.port), KEY])
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(('127.0.0.1', self.port), 1).close()
                return
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def hosts(tmp_path, override):
    """3 replicas over 4 devices: d0, d1 here (no server), d2, d3 on a
    'remote' host (its object server); the backend and the server's ring."""
    port = _free_port()
    b = ring.RingBuilder(4, 3)
    for i in range(4):
        path = tmp_path / ('d%d' % i)
        path.mkdir()
        if i < 2:
            b.add_dev(str(path), zone=i + 1)
        else:
            b.add_dev(str(path), zone=i + 1, ip='127.0.0.1', port=port)
    b.rebalance(seed=1)
    ring_file = str(tmp_path / 'object.ring')
    b.save(ring_file)
    override('ring_file', ring_file, group='object_store')
    override('object_server_key', KEY, group='object_store')
    override('object_server_conn_timeout', 2.0, group='object_store')
    host = Host(tmp_path, ring_file, port)
    host.start()
    yield disk.DiskBackend(ring_file), host
    host.stop()


def _data_files(backend, name=NAME):
    r = backend._ring()
    h = r.hash_path(*name)
    found = {}
    for dev in r.devs.values():
        files = glob.glob(os.path.join(dev['path'], 'objects', '*', '*', h, '*.data'))
        if files:
            found[dev['id']] = files
    return found


def _eventually(predicate, timeout=60):
    """Wait until predicate() holds (another process acts on its own time)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, predicate
        time.sleep(0.05)


def _remote_devs(backend):
    return [d for d in backend._ring().devs.values() if d.get('port')]


def _primaries(backend, name=NAME):
    r = backend._ring()
    return r.get_nodes(r.partition(*name))


def test_replicas_on_another_host_are_written_read_and_deleted(hosts):
    backend, _ = hosts
    names = [('AUTH_p', 'cont', 'o%d' % i) for i in range(10)]
    names += [('AUTH_p', 'cönt', 'dir/ü ñ%20+?#;'), ('AUTH_p', 'c', '//a//b/..')]
    data = os.urandom(3 << 20) + b'tail'
    for name in names:
        backend.put(*name, [data[:100000], data[100000:]], 'text/plain', {'X-Object-Meta-A': 'é'})
    remote_ids = {d['id'] for d in _remote_devs(backend)}
    spread = set()
    for name in names:
        found = _data_files(backend, name)
        assert set(found) == {d['id'] for d in _primaries(backend, name)}, name
        assert all(len(f) == 1 for f in found.values())
        spread |= set(found) & remote_ids
        info, chunks = backend.get(*name)
        assert b''.join(chunks) == data and info.etag == hashlib.md5(data).hexdigest()
        assert backend.head(*name).metadata == {'X-Object-Meta-A': 'é'}
        _, chunks = backend.get(*name, start=5, end=99)
        assert b''.join(chunks) == data[5:100]
    assert spread == remote_ids             # both remote devices took replicas
    # A wrong ETag: nothing is kept anywhere, the remote temp files go too.
    bad = ('AUTH_p', 'cont', 'bad-etag')
    with pytest.raises(disk.base.ChecksumMismatch):
        backend.put(*bad, [data], 'text/plain', {}, etag='0' * 32)
    assert not _data_files(backend, bad)
    _eventually(lambda: not any(os.listdir(os.path.join(d['path'], 'tmp'))
                                for d in _remote_devs(backend)))
    backend.put(*names[1], [b'newer'], 'text/plain', {})     # the older files go
    found = _data_files(backend, names[1])
    assert set(found) == {d['id'] for d in _primaries(backend, names[1])}
    assert all(len(f) == 1 for f in found.values()) and set(found) & remote_ids
    assert b''.join(backend.get(*names[1])[1]) == b'newer'
    backend.post(*names[0], 'image/png', {'X-Object-Meta-B': '2'})
    info = backend.head(*names[0])
    assert info.content_type == 'image/png' and info.metadata == {'X-Object-Meta-B': '2'}
    backend.delete(*names[0])
    with pytest.raises(KeyError):
        backend.head(*names[0])
    r = backend._ring()
    h = r.hash_path(*names[0])
    for dev in _primaries(backend, names[0]):
        assert glob.glob(os.path.join(dev['path'], 'objects', '*', '*', h, '*.ts')), dev
    # The auditor's tombstones carry a note: the other host takes the name.
    r, h, part = backend._locate(*names[2])
    backend._write_replicas(r, part, h, names[2], disk.new_timestamp() + '.ts', b'{"orphan": 1}')
    with pytest.raises(KeyError):
        backend.head(*names[2])


def test_reads_fall_back_when_the_other_host_is_down(hosts):
    backend, host = hosts
    names = [('AUTH_p', 'cont', 'x%d' % i) for i in range(6)]
    for name in names:
        backend.put(*name, [name[2].encode() * 1000], 'text/plain', {})
    host.stop()
    for name in names:
        _, chunks = backend.get(*name)
        assert b''.join(chunks) == name[2].encode() * 1000
    # With the host down, writes go to the local devices (a handoff for a
    # remote primary), and read back once it is up again.
    for i in range(6):
        name = ('AUTH_p', 'cont', 'down%d' % i)
        backend.put(*name, [b'x'], 'text/plain', {})
        found = _data_files(backend, name)
        assert len(found) == 2 and not set(found) & {d['id'] for d in _remote_devs(backend)}
    host.start()
    _, chunks = backend.get('AUTH_p', 'cont', 'down0')
    assert b''.join(chunks) == b'x'
    # The host back, the replicator moves what its handoffs took to it.
    stats = replicator.replicate_ring(backend.ring_file)
    assert stats['failures'] == 0 and stats['removed'] >= 1, stats
    for i in range(6):
        name = ('AUTH_p', 'cont', 'down%d' % i)
        found = _data_files(backend, name)
        assert set(found) == {d['id'] for d in _primaries(backend, name)}, name


def _signed(method, path, headers=None, key=KEY, now=None):
    return remote.sign(dict(headers or {}), key, method, path, now)


def test_the_object_server_takes_only_signed_sound_replicas(hosts):
    backend, host = hosts
    dev = _remote_devs(backend)[0]
    path = remote.replica_path(dev, 3, *NAME)
    url = 'http://127.0.0.1:%d%s' % (host.port, path)
    ts = disk.new_timestamp()
    data = b'hello'
    footer = json.dumps({'name': '/a/c/o', 'timestamp': ts, 'etag': hashlib.md5(data).hexdigest(),
                         'size': len(data), 'content_type': 'x/y', 'metadata': {}}).encode()
    body = data + footer + disk.FOOTER.pack(len(footer), disk.MAGIC)
    # anonymous, a wrong key, an old signature: refused, nothing written
    assert requests.put(url, data=body, headers={'X-Timestamp': ts}).status_code == 401
    for method in ('GET', 'HEAD', 'DELETE', 'POST'):
        assert requests.request(method, url, headers={'X-Timestamp': ts}).status_code == 401
    assert requests.put(url, data=body, headers=_signed(
        'PUT', path, {'X-Timestamp': ts}, key='guess')).status_code == 401
    old = _signed('PUT', path, {'X-Timestamp': ts}, now=time.time() - 3600)
    assert requests.put(url, data=body, headers=old).status_code == 401
    # signed, but the data does not match its footer: 422
    bad = b'jello' + body[5:]
    assert requests.put(url, data=bad, headers=_signed(
        'PUT', path, {'X-Timestamp': ts})).status_code == 422
    assert not glob.glob(os.path.join(dev['path'], 'objects', '*', '*', '*', '*'))
    assert not os.listdir(os.path.join(dev['path'], 'tmp'))
    # a device that is not the server's: 404
    local = [d for d in backend._ring().devs.values() if not d.get('port')][0]
    other = remote.replica_path(local, 3, *NAME)
    assert requests.head('http://127.0.0.1:%d%s' % (host.port, other),
                         headers=_signed('HEAD', other)).status_code == 404
    # signed and sound: written, and read back; the same request again (a
    # replay) is refused
    signed = _signed('PUT', path, {'X-Timestamp': ts})
    assert requests.put(url, data=body, headers=signed).status_code == 201
    assert requests.put(url, data=body, headers=signed).status_code == 401
    forged = dict(signed, **{'X-Backend-Nonce': 'other'})
    assert requests.put(url, data=body, headers=forged).status_code == 401
    head = requests.head(url, headers=_signed('HEAD', path))
    state = json.loads(head.headers['X-Backend-Replica'])
    assert state['data'] == ts and state['info']['etag'] == hashlib.md5(data).hexdigest()
    got = requests.get(url, headers=_signed('GET', path, {'X-Backend-File': ts + '.data',
                                                          'Range': 'bytes=1-'}))
    assert got.status_code == 206 and got.content == b'ello'


def test_the_replicator_pushes_to_the_other_host(hosts, override):
    backend, _ = hosts
    names = [('AUTH_p', 'cont', 'r%d' % i) for i in range(10)]
    payloads = {name: os.urandom(70000 + i) for i, name in enumerate(names)}
    for name, data in payloads.items():
        backend.put(*name, [data], 'text/plain', {})
    backend.post(*names[0], 'a/b', {'X-Object-Meta-M': '1'})
    backend.delete(*names[1])
    remote_ids = {d['id'] for d in _remote_devs(backend)}
    lost = []
    for name in names:
        r = backend._ring()
        h = r.hash_path(*name)
        for dev in _remote_devs(backend):
            for f in glob.glob(os.path.join(dev['path'], 'objects', '*', '*', h, '*')):
                os.unlink(f)
                lost.append(name)
    assert lost
    stats = replicator.replicate_ring(backend.ring_file)     # this host: d0, d1
    assert stats['failures'] == 0 and stats['pushed'] >= len(set(lost)) - 1, stats
    for name in names[2:]:
        found = _data_files(backend, name)
        assert set(found) == {d['id'] for d in _primaries(backend, name)}, name
        for dev_id in set(found) & remote_ids:
            with open(found[dev_id][0], 'rb') as f:
                assert f.read().startswith(payloads[name])
    info = backend.head(*names[0])
    assert info.content_type == 'a/b'
    r = backend._ring()
    h = r.hash_path(*names[0])
    for dev in _primaries(backend, names[0]):
        assert glob.glob(os.path.join(dev['path'], 'objects', '*', '*', h, '*.meta')), dev
    h = r.hash_path(*names[1])
    for dev in _primaries(backend, names[1]):
        assert glob.glob(os.path.join(dev['path'], 'objects', '*', '*', h, '*.ts')), dev
    # nothing left to do
    assert replicator.replicate_ring(backend.ring_file)['pushed'] == 0


def test_the_object_server_does_not_start_without_a_key(tmp_path):
    config = tmp_path / 'cloudstack.conf'
    config.write_text('[DEFAULT]\ndata_dir = %s\n[object_store]\nobject_server_bind = '
                      '127.0.0.1:%d\n' % (tmp_path, _free_port()))
    proc = subprocess.run(
        [sys.executable, '-c', 'import sys; from cloudstack.cmd import agent; '
         'sys.exit(agent.object_server())', '--config-file', str(config)],
        capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    assert 'needs object_server_key' in proc.stderr


def test_a_second_storage_policy_reaches_its_own_ring_on_the_other_host(hosts):
    backend, _ = hosts
    r = backend._ring()
    b = ring.RingBuilder(3, 2)
    for dev in sorted(r.devs.values(), key=lambda d: d['id']):
        b.add_dev(dev['path'], zone=dev['zone'], ip=dev.get('ip'), port=dev.get('port'))
    b.rebalance(seed=2)
    ring_file = os.path.join(os.path.dirname(backend.ring_file), 'object-1.ring')
    b.save(ring_file)
    gold = disk.DiskBackend(ring_file, datadir='objects-1')
    names = [('AUTH_p', 'c', 'p%d' % i) for i in range(8)]
    for name in names:
        gold.put(*name, [name[2].encode()], 'text/plain', {})
    seen = set()
    for name in names:
        h = gold._ring().hash_path(*name)
        nodes = gold._ring().get_nodes(gold._ring().partition(*name))
        for dev in nodes:
            assert glob.glob(os.path.join(dev['path'], 'objects-1', '*', '*', h, '*.data'))
            seen.add(bool(dev.get('port')))
        assert b''.join(gold.get(*name)[1]) == name[2].encode()
        with pytest.raises(KeyError):
            backend.head(*name)             # not in policy 0
    assert seen == {True, False}


def test_a_read_goes_on_from_another_replica_when_the_host_dies_mid_stream(hosts):
    backend, host = hosts
    name = next(('AUTH_p', 'c', 'big%d' % i) for i in range(100)
                if any(d.get('port') for d in _primaries(backend, ('AUTH_p', 'c', 'big%d' % i))))
    data = os.urandom((3 << 20) + 17)       # streamed (verified as it goes), not read first
    backend.put(*name, [data], 'text/plain', {})
    info, chunks = backend.get(*name)
    assert chunks._replica.remote           # the remote replica is read first
    it = iter(chunks)
    got = [next(it), next(it)]
    host.stop()                             # kill -9 of the host mid-stream
    got.extend(it)
    assert b''.join(got) == data
    # A range too, from a replica that dies before its first byte.
    host.start()
    info, chunks = backend.get(*name, start=1000, end=(2 << 20))
    assert chunks._replica.remote
    host.stop()
    assert b''.join(chunks) == data[1000:(2 << 20) + 1]
