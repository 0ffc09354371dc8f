"""Compute on real processes, driven by the unmodified clients: the
`openstack` CLI and openstacksdk against cloudstack-all with the fake driver;
and kill -9 of the whole tree at random moments of server work."""
import json
import os
import random
import subprocess
import time

import openstack
import pytest

from tests.functional.conftest import ADMIN_PASSWORD, BIN

pytestmark = pytest.mark.filterwarnings('ignore::DeprecationWarning')


def _start(cloud):
    proc = cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    # a first start hashes the admin's password and migrates: slow on a busy machine
    cloud.ready('/healthcheck', timeout=120)
    cloud.ready('/compute/v2.1', timeout=60)
    return proc


def _env(cloud):
    return dict(os.environ, OS_CLIENT_CONFIG_FILE=os.path.join(cloud.data_dir, 'clouds.yaml'),
                OS_CLOUD='cloudstack')


def _openstack(cloud, *args):
    """Run an `openstack` command; its output."""
    out = subprocess.run([os.path.join(BIN, 'openstack'), *args], env=_env(cloud),
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _cli(cloud, *args):
    out = _openstack(cloud, *args, '-f', 'json')
    return json.loads(out) if out.strip() else None


def _connect(cloud):
    # The config named explicitly: OS_CLIENT_CONFIG_FILE in os.environ would
    # outlive the test and send every later client to this (dead) cloud.
    import openstack.config
    import openstack.connection
    config = openstack.config.OpenStackConfig(
        config_files=[os.path.join(cloud.data_dir, 'clouds.yaml')])
    return openstack.connection.Connection(config=config.get_one('cloudstack'))


def _prepare(conn, tmp_path):
    conn.compute.create_flavor(name='small', ram=128, vcpus=1, disk=1, id='1')
    conn.compute.create_flavor(name='medium', ram=256, vcpus=1, disk=1, id='2')
    disk = tmp_path / 'disk.img'
    disk.write_bytes(b'\0' * 65536)
    image = conn.image.create_image(name='guest', filename=str(disk), disk_format='raw',
                                    container_format='bare', visibility='public',
                                    wait=True)
    return image


def _wait_stable(conn, server_ids, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        servers = {s.id: s for s in conn.compute.servers(all_projects=True)}
        pending = [i for i in server_ids if i in servers and (
            servers[i].task_state or servers[i].status == 'BUILD')]
        if not pending:
            return servers
        assert time.monotonic() < deadline, 'servers still in flight: %s' % [
            (i, servers[i].status, servers[i].task_state) for i in pending]
        time.sleep(0.2)


def test_server_life_cycle_with_the_cli_and_the_sdk(cloud, tmp_path):
    _start(cloud)
    conn = _connect(cloud)
    image = _prepare(conn, tmp_path)
    key = tmp_path / 'key'
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(key)], check=True)
    _cli(cloud, 'keypair', 'create', '--public-key', str(key) + '.pub', 'mykey')
    server = _cli(cloud, 'server', 'create', '--image', image.id, '--flavor', 'small',
                  '--key-name', 'mykey', '--nic', 'none', '--wait', 'vm1')
    assert server['status'] == 'ACTIVE'
    log = subprocess.run([os.path.join(BIN, 'openstack'), 'console', 'log', 'show', 'vm1'],
                         env=_env(cloud), capture_output=True, text=True, timeout=60)
    assert 'vm1 login:' in log.stdout, log.stderr
    subprocess.run([os.path.join(BIN, 'openstack'), 'server', 'reboot', '--wait', 'vm1'],
                   env=_env(cloud), check=True, timeout=120)
    subprocess.run([os.path.join(BIN, 'openstack'), 'server', 'resize', '--flavor', 'medium',
                    '--wait', 'vm1'], env=_env(cloud), check=True, timeout=120)
    subprocess.run([os.path.join(BIN, 'openstack'), 'server', 'resize', 'confirm', 'vm1'],
                   env=_env(cloud), check=True, timeout=120)
    vm1 = conn.compute.wait_for_server(conn.compute.find_server('vm1'), status='ACTIVE')
    assert vm1.flavor.original_name == 'medium' or vm1.flavor.name == 'medium'
    snap = _cli(cloud, 'server', 'image', 'create', '--name', 'vm1-snap', '--wait', 'vm1')
    vm2 = conn.compute.create_server(name='vm2', image_id=snap['id'], flavor_id='1',
                                     networks='none')
    vm2 = conn.compute.wait_for_server(vm2, status='ACTIVE')
    assert vm2.image.id == snap['id']
    for server in (vm1, vm2):
        conn.compute.delete_server(server)
    for server in (vm1, vm2):
        conn.compute.wait_for_delete(server)
    assert list(conn.compute.servers()) == []


def test_serial_console_with_the_cli(cloud, tmp_path):
    """`openstack console url show --serial` gives a websocket URL whose token
    reaches the fake guest's serial port through the console proxy."""
    import websocket
    _start(cloud)
    conn = _connect(cloud)
    image = _prepare(conn, tmp_path)
    server = conn.compute.create_server(name='tty1', image_id=image.id, flavor_id='1',
                                        networks='none')
    conn.compute.wait_for_server(server, status='ACTIVE')
    url = _cli(cloud, 'console', 'url', 'show', '--serial', 'tty1')
    assert url['type'] == 'serial' and url['url'].startswith('ws://'), url
    ws = websocket.create_connection(url['url'], subprotocols=['binary'], timeout=30)
    try:
        ws.send('root\r')
        seen = b''
        while b'tty1 login: ' not in seen:
            seen += ws.recv()
        assert seen == b'root\r\ntty1 login: '
    finally:
        ws.close()
    legacy = conn.compute.post('/servers/%s/action' % server.id, microversion='2.1',
                               json={'os-getSerialConsole': {'type': 'serial'}})
    assert legacy.status_code == 200, legacy.text
    assert legacy.json()['console']['url'].startswith('ws://')


def _fake_instances(cloud):
    root = os.path.join(cloud.data_dir, 'fake-virt')
    found = set()
    for dirpath, _, names in os.walk(root):
        found |= {n[:-5] for n in names if n.endswith('.json')}
    return found


@pytest.mark.parametrize('round_', range(6))
def test_kill_9_at_a_random_moment_leaves_every_server_stable(cloud, tmp_path, round_):
    """Boot, resize, snapshot and delete servers; kill -9 the whole tree at a
    random moment; after a restart every server is ACTIVE, SHUTOFF, ERROR with
    a fault, or gone, and deleting them all leaves nothing in the hypervisor."""
    random.seed(round_)
    proc = _start(cloud)
    conn = _connect(cloud)
    image = _prepare(conn, tmp_path)
    ids = []
    for n in range(3):
        ids.append(conn.compute.create_server(name='s%d' % n, image_id=image.id,
                                              flavor_id='1', networks='none').id)
    _wait_stable(conn, ids)
    for n in range(3, 6):
        ids.append(conn.compute.create_server(name='s%d' % n, image_id=image.id,
                                              flavor_id='1', networks='none').id)
    conn.compute.resize_server(ids[0], '2')
    conn.compute.create_server_image(ids[1], 'snap', wait=False)
    conn.compute.delete_server(ids[2])
    conn.compute.stop_server(ids[3]) if random.random() < 0.5 else None
    time.sleep(random.uniform(0, 0.3))
    cloud.kill_tree(proc)
    _start(cloud)
    conn = _connect(cloud)
    servers = _wait_stable(conn, ids, timeout=90)
    for server in servers.values():
        assert server.status in ('ACTIVE', 'SHUTOFF', 'ERROR', 'VERIFY_RESIZE'), server
        if server.status == 'ERROR':
            assert server.fault, server
    for server in servers.values():
        conn.compute.delete_server(server)
    for server in servers.values():
        conn.compute.wait_for_delete(server, wait=60)
    cloud.wait_for(lambda: not _fake_instances(cloud), timeout=30)
    [hypervisor] = conn.compute.get('/os-hypervisors/detail', microversion='2.1').json()[
        'hypervisors']
    assert (hypervisor['vcpus_used'], hypervisor['memory_mb_used']) == (0, 0)
