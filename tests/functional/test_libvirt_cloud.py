"""A real guest through the whole cloud: cloudstack-all with `[compute]
compute_driver = libvirt` (QEMU TCG, in a libvirtd of the test's own) and
Networking's linuxbridge driver on the same namespace host, driven with
openstacksdk as a user would: the guest boots from the uploaded image, takes
its address from the network's DHCP server, reads its key and user data from
the metadata service through the network's metadata proxy, answers SSH, is
snapshotted and booted again from the snapshot, and leaves nothing behind."""
import base64
import glob
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from cloudstack import drivers
from tests.functional.conftest import ADMIN_PASSWORD
from tests.functional.libvirt_support import (  # noqa: F401 (fixtures)
    PREFIX, _world_dir, guest_image, in_ns, keypair, links, start_sandbox,
    stop_sandbox)

pytest.importorskip('cloudstack.compute.manager', reason='Compute is not in this tree')
pytest.importorskip('openstack', reason='openstacksdk is not installed')
HOST = 'vrt-cloud-host'
BOOT = 400          # seconds: a guest under TCG on a loaded 2-core host


@pytest.fixture
def box():
    top = _world_dir('%s-cloud-' % PREFIX)
    box = start_sandbox('cloud', top=top)
    # the host's VTEP address, on the sandbox's loopback
    in_ns(box, 'ip', 'addr', 'add', '10.97.0.1/32', 'dev', 'lo')
    yield box
    stop_sandbox(box)


@pytest.fixture
def running(cloud, box):
    if 'linuxbridge' not in drivers.available('cloudstack.network.drivers'):
        pytest.skip('Networking\'s linuxbridge driver is not in this tree')
    instances = os.path.join(box.top, 'instances')
    os.makedirs(instances, mode=0o755)
    cloud.options['DEFAULT']['host'] = HOST
    cloud.options['compute'] = {'compute_driver': 'libvirt'}
    cloud.options['libvirt'] = {'virt_type': 'qemu', 'connection_uri': box.uri(),
                                'instances_path': instances, 'host_ip': '127.0.0.1'}
    cloud.options['network'] = {'driver': 'linuxbridge', 'local_ip': '10.97.0.1'}
    cloud.options['linuxbridge'] = {'host_namespace': box.netns,
                                    'namespace_prefix': box.netns + '-',
                                    'state_path': os.path.join(box.top, 'network')}
    cloud.options['metadata'] = {'shared_secret': 'metadata-secret'}
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/identity/v3', timeout=60)
    cloud.ready('/compute/', timeout=60)
    cloud.box, cloud.instances = box, instances
    yield cloud
    cloud.kill_all()
    _remove_network_leftovers(box, os.path.join(box.top, 'network'))


def _remove_network_leftovers(box, state_path):
    """What the network agent started and a failed test left: its processes
    (by their pid files) and namespaces."""
    for pidfile in glob.glob(os.path.join(state_path, '**', '*.pid'), recursive=True):
        try:
            with open(pidfile) as f:
                os.kill(int(f.read().strip()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
    for ns in subprocess.run(['ip', 'netns', 'list'], capture_output=True,
                             text=True).stdout.split():
        if ns.startswith(box.netns + '-'):
            for pid in subprocess.run(['ip', 'netns', 'pids', ns], capture_output=True,
                                      text=True).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGTERM)
                except OSError:
                    pass
            subprocess.run(['ip', 'netns', 'del', ns])


def sdk(cloud):
    import openstack.config
    import openstack.connection
    config = openstack.config.OpenStackConfig(config_files=[
        os.path.join(cloud.data_dir, 'clouds.yaml')])
    return openstack.connection.Connection(config=config.get_one('cloudstack'))


def console(conn, server, marker, timeout=BOOT):
    deadline = time.monotonic() + timeout
    out = ''
    while time.monotonic() < deadline:
        out = conn.compute.get_server_console_output(server)['output']
        if marker in out:
            return out
        time.sleep(2)
    raise AssertionError('no %r on the console in %ss:\n%s' % (marker, timeout, out[-3000:]))


def test_a_guest_through_the_api(running, guest_image, keypair):
    conn, box = sdk(running), running.box
    assert running.wait_for(lambda: any(a.host == HOST and a.is_alive
                                        for a in conn.network.agents()), timeout=90,
                            interval=1)
    with open(os.path.join(guest_image, 'csguest.qcow2'), 'rb') as f:
        image = conn.image.create_image(name='csguest', data=f.read(), disk_format='qcow2',
                                        container_format='bare')
    flavor = conn.compute.create_flavor(name='csguest.tiny', ram=192, vcpus=1, disk=1)
    net = conn.network.create_network(name='guests')
    subnet = conn.network.create_subnet(network_id=net.id, ip_version=4, cidr='10.96.0.0/24')
    group = conn.network.create_security_group(name='ssh')
    conn.network.create_security_group_rule(security_group_id=group.id, direction='ingress',
                                            ethertype='IPv4', protocol='tcp',
                                            port_range_min=22, port_range_max=22)
    key = conn.compute.create_keypair(name='mykey', public_key=keypair[1])
    user_data = base64.b64encode(b'#!/bin/sh\necho "USERDATA-RAN from the metadata service"\n')

    server = conn.compute.create_server(
        name='guest-one', image_id=image.id, flavor_id=flavor.id, key_name=key.name,
        networks=[{'uuid': net.id}], security_groups=[{'name': 'ssh'}],
        user_data=user_data.decode())
    server = conn.compute.wait_for_server(server, wait=BOOT)
    address = server.addresses['guests'][0]['addr']
    out = console(conn, server, 'csguest: ready')
    assert 'dhcp eth0 ip=%s/24' % address in out
    assert 'metadata source=metadata-service uuid=%s' % server.id in out
    assert 'keys=1' in out and 'USERDATA-RAN from the metadata service' in out
    dhcp_ns = '%sqdhcp-%s' % (box.netns + '-', net.id)
    proc = in_ns_named(dhcp_ns, keypair[0], address, 'hostname; cat /etc/resolv.conf')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == 'guest-one'

    snapshot = conn.compute.create_server_image(server, name='guest-one-snap')
    # active; a failed snapshot deletes its image (fail then, not after BOOT seconds)
    assert running.wait_for(lambda: conn.image.find_image(snapshot.id, ignore_missing=False)
                            .status == 'active', timeout=BOOT, interval=2)
    assert conn.image.get_image(snapshot).disk_format == 'qcow2'
    # the unmodified openstack CLI, a config drive this time
    cli = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), 'openstack'), '--os-cloud', 'cloudstack',
         'server', 'create', '--image', snapshot.id, '--flavor', flavor.id, '--nic', 'none',
         '--config-drive', 'true', '--key-name', key.name, '--wait', '-f', 'value', '-c', 'id',
         'guest-two'], capture_output=True, text=True, timeout=BOOT,
        env=dict(os.environ, OS_CLIENT_CONFIG_FILE=os.path.join(running.data_dir,
                                                                'clouds.yaml')))
    assert cli.returncode == 0, cli.stderr
    second = conn.compute.get_server(cli.stdout.strip())
    out = console(conn, second, 'csguest: ready')
    assert 'metadata source=config-drive:sr0 uuid=%s hostname=guest-two keys=1' % second.id in out

    taps = ['tap' + p.id[:11] for p in conn.network.ports(device_id=server.id)]
    assert taps and all(tap + '@' not in links(box) and tap + ':' in links(box)
                        for tap in taps)
    for s in (server, second):
        conn.compute.delete_server(s)
    for s in (server, second):
        conn.compute.wait_for_delete(s, wait=120)
    # nothing left: no domain, no instance directory, no tap
    import libvirt
    assert libvirt.open(box.uri()).listAllDomains(0) == []
    assert running.wait_for(lambda: not [n for n in os.listdir(running.instances)
                                         if not n.startswith('_')], timeout=60)
    assert not [tap for tap in taps if tap in links(box)]
    # and the network's own pieces go with it
    conn.network.delete_subnet(subnet)
    conn.network.delete_network(net)
    assert running.wait_for(lambda: not [
        ns for ns in subprocess.run(['ip', 'netns', 'list'], capture_output=True,
                                    text=True).stdout.split()
        if ns.startswith(box.netns + '-')], timeout=90, interval=1)


def in_ns_named(namespace, key, ip, command):
    """SSH into the guest from a namespace of the network (its DHCP server's)."""
    if not shutil.which('ssh'):
        pytest.skip('no ssh client')
    deadline = time.monotonic() + 120
    while True:
        proc = subprocess.run(['ip', 'netns', 'exec', namespace, 'ssh', '-i', key, '-o',
                               'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null',
                               '-o', 'ConnectTimeout=10', '-o', 'BatchMode=yes', 'cloud@' + ip,
                               command], capture_output=True, text=True, timeout=60)
        if proc.returncode == 0 or time.monotonic() > deadline:
            return proc
        time.sleep(2)
