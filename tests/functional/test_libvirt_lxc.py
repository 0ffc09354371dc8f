"""The libvirt driver running the test guest as an LXC container: its root
file system image loop-mounted, its console read back, DHCP on a bridge of
the tests' own namespace."""
import json
import os
import subprocess

import pytest

from cloudstack.compute.virt import driver
from tests.functional.libvirt_support import (  # noqa: F401 (fixtures)
    Net, clear_driver_options, guest_image, image_source, links, make_driver, new_instance,
    sandbox, wait_console)


@pytest.fixture(scope='module')
def lxc(sandbox):
    yield make_driver(sandbox, virt_type='lxc', host='host-lxc')
    clear_driver_options()


def test_container_boots_takes_dhcp_and_goes_away(lxc, sandbox, guest_image, tmp_path):
    image = image_source(os.path.join(guest_image, 'csguest-rootfs.img'), 'csguest-rootfs',
                         disk_format='raw')
    net = Net(sandbox, 3, router=False)     # no route to a metadata service to wait for
    try:
        vif = net.vif(active=False)
        inst = new_instance(flavor=driver.Flavor('tiny', 1, 128, 1))
        lxc.spawn(None, inst, image, [], None, [vif], None)
        assert lxc.get_info(inst)['power_state'] == driver.PAUSED
        lxc.resume_after_plug(inst)
        out = wait_console(lxc, inst, 'csguest: ready')
        assert 'container=lxc-libvirt' in out
        assert 'dhcp eth0 ip=10.213.3.' in out
        assert lxc.list_instances() == [inst.uuid]
        disk = os.path.join(lxc.instances_path, inst.uuid, 'disk')
        assert os.path.getsize(disk) == 1 << 30             # grown to the flavor's root disk

        uploaded = tmp_path / 'snap.qcow2'

        def upload(disk_format, chunks):
            assert disk_format == 'qcow2'
            with open(uploaded, 'wb') as f:
                for chunk in chunks:
                    f.write(chunk)

        lxc.snapshot(None, inst, upload)
        assert json.loads(subprocess.run(
            ['qemu-img', 'info', '--output=json', str(uploaded)], capture_output=True,
            check=True).stdout)['virtual-size'] == 1 << 30
        assert lxc.get_info(inst)['power_state'] == driver.RUNNING
        with pytest.raises(driver.NotSupported):
            lxc.attach_volume(None, {'driver_volume_type': 'local', 'data': {}}, inst,
                              '/dev/vdb')

        lxc.power_off(inst)
        assert lxc.get_info(inst)['power_state'] == driver.SHUTDOWN
        lxc.power_on(None, inst, [vif])
        wait_console(lxc, inst, 'csguest: ready', since=len(out))

        lxc.destroy(None, inst, [vif], None)
        assert lxc._host.lookup(inst.uuid) is None
        assert not os.path.exists(os.path.dirname(disk))
        assert vif['devname'] not in links(sandbox) and not net.ports()
    finally:
        net.close()
