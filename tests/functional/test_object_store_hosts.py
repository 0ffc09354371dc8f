"""Object Storage on two hosts: the API writes replicas through two object
servers (cloudstack-object-server, each on its own port with its own
devices), and losing one of them in the middle of a large PUT loses
nothing that was acknowledged.

The ring (3 replicas, made with `cloudstack-manage ring`) has two devices
per host, a host per zone, so every partition has replicas on both hosts:
two on one, one on the other. kill -9 of a host holding one replica of an
object mid-PUT leaves a quorum (two of three): the PUT succeeds and reads
back whole, and once the host is back the replicator restores its replica.
Of a host holding two, it leaves one: the PUT fails with 503 and the object
is not listed.
"""
import glob
import hashlib
import json
import os
import socket
import struct

import openstack
import pytest
from swiftclient import client as swiftclient

from cloudstack.object_store import ring
from tests.functional.conftest import ADMIN_PASSWORD, Swift, free_port, run_task

MIB = 1 << 20
KEY = 'object-servers-secret'
FOOTER = struct.Struct('>I4s')      # after the data and its JSON metadata (backend/disk.py)


class Hosts:
    """The two object servers and their devices; the cloud's ring."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.ports = {'os1': free_port(), 'os2': free_port()}
        self.devices = {h: [os.path.join(cloud.data_dir, h, d) for d in ('d1', 'd2')]
                        for h in self.ports}
        self.procs = {}
        cloud.options['object_store'] = {'object_server_key': KEY}
        os.makedirs(cloud.data_dir, exist_ok=True)
        cloud.run('cloudstack-manage', 'ring', 'create', '6', '3')
        for zone, (host, port) in enumerate(sorted(self.ports.items()), 1):
            for path in self.devices[host]:
                os.makedirs(path)
                cloud.run('cloudstack-manage', 'ring', 'add', '--zone', str(zone),
                          '--server', '127.0.0.1:%d' % port, path)
        cloud.run('cloudstack-manage', 'ring', 'rebalance')
        self.ring = ring.get_ring(os.path.join(cloud.data_dir, 'object.ring'))

    def start(self, host):
        """Start the host's object server (its own config: its bind) and
        wait until it listens."""
        config = self.cloud.tmp / ('%s.conf' % host)
        options = json.loads(json.dumps(self.cloud.options))
        options['object_store']['object_server_bind'] = '127.0.0.1:%d' % self.ports[host]
        config.write_text(''.join(
            '[%s]\n%s\n' % (group, ''.join('%s = %s\n' % kv for kv in opts.items()))
            for group, opts in options.items()))
        self.procs[host] = self.cloud.start('cloudstack-object-server', '--host', host,
                                            config=config)

        def listening():
            assert self.procs[host].poll() is None, self.cloud.log('cloudstack-object-server')
            try:
                socket.create_connection(('127.0.0.1', self.ports[host]), 1).close()
                return True
            except OSError:
                return False
        self.cloud.wait_for(listening, timeout=120, interval=0.1)

    def kill(self, host):
        self.cloud.kill_tree(self.procs.pop(host))

    def holders(self, account, container, name):
        """{host: how many of the object's primaries it has}."""
        nodes = self.ring.get_nodes(self.ring.partition(account, container, name))
        return {h: sum(n['port'] == p for n in nodes) for h, p in self.ports.items()}

    def data_files(self, account, container, name):
        """{host: paths of the object's .data files on its devices}."""
        h = self.ring.hash_path(account, container, name)
        return {host: [p for dev in devs for p in glob.glob(
                    os.path.join(dev, 'objects', '*', '*', h, '*.data'))]
                for host, devs in self.devices.items()}


def _sound(path, data):
    with open(path, 'rb') as f:
        raw = f.read()
    length, magic = FOOTER.unpack(raw[-FOOTER.size:])
    meta = json.loads(raw[-FOOTER.size - length:-FOOTER.size])
    return (magic == b'CSO1' and raw[:-FOOTER.size - length] == data
            and meta['etag'] == hashlib.md5(data).hexdigest())


def _name_held(hosts, account, container, prefix, by_os2):
    """A fresh object name of which os2 holds `by_os2` primaries."""
    for i in range(1000):
        name = '%s-%d' % (prefix, i)
        if hosts.holders(account, container, name)['os2'] == by_os2:
            return name
    raise AssertionError('no name with %d replicas on os2' % by_os2)


def _big_body(block, before, after, midway):
    """`before` blocks, then midway() (the kill), then `after` blocks."""
    for _ in range(before):
        yield block
    midway()
    for _ in range(after):
        yield block


def test_two_object_servers_and_one_lost_mid_put(cloud):
    hosts = Hosts(cloud)
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    swift = Swift(cloud)                # the database is made: the agents may start
    hosts.start('os1')
    hosts.start('os2')
    account = swift.account
    conn = openstack.connection.Connection(session=None, auth={
        'auth_url': cloud.url + '/identity', 'username': 'admin', 'password': ADMIN_PASSWORD,
        'project_name': 'admin', 'user_domain_id': 'default',
        'project_domain_id': 'default'}, identity_api_version='3')

    # Objects land on both hosts' devices, each on its primaries.
    conn.object_store.create_container('c')
    small = {'s%d' % i: os.urandom(1000 + 4097 * i) for i in range(8)}
    small['dir/ü ñ 名'] = os.urandom(2000)
    for name, data in small.items():
        conn.object_store.upload_object(container='c', name=name, data=data)
    on_host = {'os1': 0, 'os2': 0}
    for name, data in small.items():
        found = hosts.data_files(account, 'c', name)
        held = hosts.holders(account, 'c', name)
        for host in found:
            assert len(found[host]) == held[host], (name, found, held)
            assert all(_sound(p, data) for p in found[host])
            on_host[host] += len(found[host])
        assert conn.object_store.download_object(name, container='c') == data
    assert on_host['os1'] and on_host['os2'] and sum(on_host.values()) == 3 * len(small)

    # kill -9 os2 in the middle of a large PUT of an object it holds one
    # replica of: a quorum remains, the PUT succeeds and reads back whole.
    block = os.urandom(MIB)
    kept = _name_held(hosts, account, 'c', 'kept', 1)
    etag = swiftclient.put_object(swift.url, swift.token, 'c', kept,
                                  contents=_big_body(block, 8, 8, lambda: hosts.kill('os2')))
    whole = block * 16
    assert etag.strip('"') == hashlib.md5(whole).hexdigest()
    _, body = swiftclient.get_object(swift.url, swift.token, 'c', kept)
    assert body == whole                # read from os1 while os2 is down
    assert not hosts.data_files(account, 'c', kept)['os2']

    # Small objects that have replicas on os2 still read while it is down.
    for name, data in small.items():
        _, body = swiftclient.get_object(swift.url, swift.token, 'c', name)
        assert body == data

    # Of an object os2 holds two replicas of: kill -9 mid-PUT leaves one, the
    # PUT fails with 503 and nothing is listed.
    hosts.start('os2')
    lost = _name_held(hosts, account, 'c', 'lost', 2)
    with pytest.raises(swiftclient.ClientException) as failed:
        swiftclient.put_object(swift.url, swift.token, 'c', lost,
                               contents=_big_body(block, 8, 8, lambda: hosts.kill('os2')))
    assert failed.value.http_status == 503
    _, listing = swiftclient.get_container(swift.url, swift.token, 'c')
    names = [o['name'] for o in listing]
    assert lost not in names and kept in names
    with pytest.raises(swiftclient.ClientException) as missing:
        swiftclient.head_object(swift.url, swift.token, 'c', lost)
    assert missing.value.http_status == 404
    assert not any(hosts.data_files(account, 'c', lost).values())     # no replica kept

    # os2 back: os1's replicator restores its replica of the kept object.
    hosts.start('os2')
    stats = run_task(cloud, 'object_store.replicate', host='os1')
    assert stats['pushed'] >= 1 and stats['failures'] == 0, stats
    found = hosts.data_files(account, 'c', kept)
    assert len(found['os2']) == 1 and len(found['os1']) == 2, found
    assert all(_sound(p, whole) for p in found['os1'] + found['os2'])
    _, body = swiftclient.get_object(swift.url, swift.token, 'c', kept)
    assert body == whole
