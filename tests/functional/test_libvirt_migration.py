"""Live and cold migration between two hosts: two libvirt daemons of the
tests' own on this machine, each in its own network namespace (with a bridge
of the same name, as the network agent of each host would make it). QEMU's
migration stream goes through a unix socket both can reach."""
import json
import os
import shutil
import subprocess

import pytest

from cloudstack.compute.virt import driver
from cloudstack.compute.virt.libvirt import config
from cloudstack.conf import CONF
from tests.functional.libvirt_support import (  # noqa: F401 (fixtures)
    PREFIX, Net, _world_dir, clear_driver_options, guest_image, image_source, keypair,
    make_driver, new_instance, ssh, start_sandbox, stop_sandbox, wait_console)


@pytest.fixture(scope='module')
def hosts():
    top = _world_dir('%s-mig-' % PREFIX)
    boxes = {}
    try:
        for name in ('host-a', 'host-b'):
            boxes[name] = start_sandbox(name, top=top)
        sockets = os.path.join(top, 'sockets')
        os.makedirs(sockets)
        os.chmod(sockets, 0o1777)               # the receiving QEMU (libvirt-qemu) binds there
        CONF.set_override('live_migration_uri', 'qemu+unix:///system?socket=%s/%%s/run/'
                          'libvirt-sock' % top, group='libvirt')
        CONF.set_override('live_migration_inbound_uri', 'unix://%s/%%s.sock' % sockets,
                          group='libvirt')
        yield top, boxes
    finally:
        CONF.clear_override('live_migration_uri', group='libvirt')
        CONF.clear_override('live_migration_inbound_uri', group='libvirt')
        clear_driver_options()
        for box in boxes.values():
            stop_sandbox(box, remove=False)
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture(scope='module')
def image(guest_image):
    return image_source(os.path.join(guest_image, 'csguest.qcow2'), 'csguest')


def drivers(top, boxes, shared):
    shared_path = os.path.join(top, 'instances-shared')
    return {name: make_driver(box, host=name, instances=shared_path if shared else None)
            for name, box in boxes.items()}


def disk_size(path):
    return json.loads(subprocess.run(['qemu-img', 'info', '-U', '--output=json', path],
                                     capture_output=True, check=True).stdout)['virtual-size']


def uptime(box, key, ip):
    proc = ssh(box, key, ip, 'cut -d. -f1 /proc/uptime')
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.strip())


def test_live_block_migration_then_cold_migration_back(hosts, image, keypair):
    """One guest, one boot: live from host-a to host-b, copying its disks (no
    shared storage), still the same boot; then resized to a bigger flavor and
    cold migrated back to host-a, started there, confirmed. (Shared storage, the other kind of live
    migration, is in tests/unit/compute/test_libvirt_driver.py.)"""
    top, boxes = hosts
    drv = drivers(top, boxes, shared=False)
    net_a = Net(boxes['host-a'], 5)
    net_b = Net(boxes['host-b'], 5, bridge=net_a.bridge, dhcp=False)
    vif = net_a.vif()
    inst = new_instance(config_drive=True, key_data=keypair[1],
                        flavor=driver.Flavor('tiny', 1, 192, 1, ephemeral_gb=1))
    bdi = {'root_device_name': '/dev/vda', 'block_device_mapping': [], 'swap': None,
           'ephemerals': [{'device_name': '/dev/vdb', 'size': 1, 'guest_format': 'ext4'}]}
    bigger = driver.Flavor('small', 1, 256, 2, ephemeral_gb=1)
    try:
        drv['host-a'].spawn(None, inst, image, [], None, [vif], bdi)
        out = wait_console(drv['host-a'], inst, 'csguest: ready')
        ip = out.split('dhcp eth0 ip=')[1].split('/')[0]
        before = uptime(boxes['host-a'], keypair[0], ip)

        data = drv['host-b'].pre_live_migration(
            None, inst, bdi, [vif], None,
            {'source_instances_path': drv['host-a'].instances_path})
        assert data['shared_storage'] is False
        drv['host-a'].live_migration(None, inst, 'host-b', True, data)
        assert drv['host-a']._host.lookup(inst.uuid) is None
        assert drv['host-b'].get_info(inst)['power_state'] == driver.RUNNING
        assert vif['devname'] in net_b.ports()
        assert uptime(boxes['host-b'], keypair[0], ip) >= before      # the same boot, still up
        assert {'disk', 'disk.config', 'disk.eph0'} <= set(
            os.listdir(os.path.join(drv['host-b'].instances_path, inst.uuid)))
        assert not os.path.exists(os.path.join(drv['host-a'].instances_path, inst.uuid))

        info = drv['host-b'].migrate_disk_and_power_off(None, inst, 'host-a', bigger, [vif],
                                                         bdi)
        assert drv['host-b']._host.lookup(inst.uuid) is None
        assert sorted(f['name'] for f in info['files']) == ['disk', 'disk.config', 'disk.eph0']
        inst.flavor = bigger
        drv['host-a'].finish_migration(None, None, inst, info, [vif], image, True, bdi)
        # started again (its boot is the one above: not waited for twice)
        assert drv['host-a'].get_info(inst)['power_state'] == driver.RUNNING
        here = os.path.join(drv['host-a'].instances_path, inst.uuid)
        disks = config.disk_targets(config.parse(
            drv['host-a']._host.lookup(inst.uuid).XMLDesc(0)))
        assert {t: d.find('source').get('file') for t, d in disks.items()} == {
            'vda': here + '/disk', 'vdb': here + '/disk.eph0', 'hdd': here + '/disk.config'}
        assert disk_size(here + '/disk') == 2 << 30                     # the bigger root disk
        assert vif['devname'] in net_a.ports()
        drv['host-b'].confirm_migration(None, None, inst, [vif])
        assert not os.path.exists(os.path.join(drv['host-b'].instances_path,
                                               inst.uuid + '_resize'))
        assert drv['host-a'].get_info(inst)['max_mem_kb'] == 256 * 1024
    finally:
        for d in drv.values():
            d.destroy(None, inst, [vif], bdi)
        net_a.close()
        net_b.close()
