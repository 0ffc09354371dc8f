"""The libvirt driver booting the test guest under QEMU (TCG) for real, in a
libvirtd of the tests' own (network and mount namespaces of its own).

One guest serves the whole module (TCG boots are what these tests spend their
time on): it boots once, reboots once, and its tests run in order."""
import json
import os
import subprocess
import sys
import threading
import uuid

import pytest

from cloudstack.compute.virt import driver
from cloudstack.compute.virt.libvirt import config
from tests.functional.libvirt_support import (  # noqa: F401 (fixtures)
    Net, Target, clear_driver_options, guest_image, image_source, in_ns, keypair, links,
    make_driver, make_vif, new_instance, reachable, sandbox, ssh, wait_console)


@pytest.fixture(scope='module')
def drv(sandbox):
    yield make_driver(sandbox)
    clear_driver_options()


@pytest.fixture(scope='module')
def image(guest_image):
    return image_source(os.path.join(guest_image, 'csguest.qcow2'), 'csguest')


@pytest.fixture(scope='module')
def guest(drv, image, sandbox, keypair):
    """The module's guest: a config drive with a key and user data, ephemeral
    and swap disks, a NIC on a bridge with DHCP, held paused until its port is
    plugged."""
    net = Net(sandbox, 1)
    vif = net.vif(active=False)
    inst = new_instance(config_drive=True, key_data=keypair[1],
                        user_data=b'#!/bin/sh\necho "USERDATA-RAN on $(hostname)"\n',
                        extra={'display_name': 'first', 'key_name': 'k'},
                        flavor=driver.Flavor('tiny', 1, 192, 1, ephemeral_gb=1, swap=32))
    bdi = {'root_device_name': '/dev/vda', 'block_device_mapping': [],
           'ephemerals': [{'device_name': '/dev/vdb', 'size': 1, 'guest_format': 'ext4'}],
           'swap': {'device_name': '/dev/vdc', 'swap_size': 32}}
    drv.spawn(None, inst, image, [], 'pw', [vif], bdi)
    g = {'inst': inst, 'net': net, 'vif': vif, 'bdi': bdi,
         'paused': drv.get_info(inst)['power_state'], 'ports': net.ports()}
    try:
        drv.resume_after_plug(inst)
        g['console'] = wait_console(drv, inst, 'csguest: ready')
        g['ip'] = g['console'].split('dhcp eth0 ip=')[1].split('/')[0]
        yield g
    finally:
        drv.destroy(None, inst, [vif], bdi)
        net.close()


def test_boot_reads_its_config_drive_dhcp_and_ssh(drv, guest, sandbox, keypair):
    inst, out = guest['inst'], guest['console']
    assert guest['paused'] == driver.PAUSED                 # until its port was plugged
    assert guest['vif']['devname'] in guest['ports']
    assert out.lstrip().startswith('SYSLINUX')              # booted from its disk
    assert 'metadata source=config-drive:sr0 uuid=%s hostname=%s keys=1' % (
        inst.uuid, inst.hostname) in out
    assert 'USERDATA-RAN on %s' % inst.hostname in out
    assert 'disk vdb sectors=2097152' in out and 'disk vdc sectors=65536' in out
    assert drv.get_info(inst)['power_state'] == driver.RUNNING
    diag = drv.get_diagnostics(inst)
    assert diag['num_disks'] == 4 and diag['config_drive'] is True
    assert drv.get_vnc_console(None, inst)['port'] >= 5900

    assert guest['ip'].startswith('10.213.1.')
    assert reachable(sandbox, guest['ip'], 22)
    proc = ssh(sandbox, keypair[0], guest['ip'], 'hostname; blkid -L config-2')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [inst.hostname, '/dev/sr0']


def test_nic_hotplug(drv, guest, sandbox):
    inst = guest['inst']
    # The bridge appears a moment after the attach starts (as the host's network
    # agent makes it): the driver waits for it.
    bridge = 'brq%s02' % uuid.uuid4().hex[:9]
    made = []
    later = threading.Timer(3, lambda: made.append(Net(sandbox, 2, bridge=bridge)))
    later.start()
    try:
        vif2 = make_vif(bridge, 2)
        before = len(drv.get_console_output(None, inst))
        drv.attach_interface(None, inst, inst.image_meta, vif2)
        assert made
        net2 = made[0]
        drv.attach_interface(None, inst, inst.image_meta, vif2)        # again: no second NIC
        assert vif2['devname'] in net2.ports()
        out = wait_console(drv, inst, 'dhcp eth1 ip=10.213.2.', since=before)
        assert 'nic-added eth1' in out
        ip2 = out.split('dhcp eth1 ip=')[1].split('/')[0]
        assert reachable(sandbox, ip2, 22)
        xml = config.parse(drv._host.lookup(inst.uuid).XMLDesc(0))
        assert vif2['address'] in config.interface_macs(xml)
        drv.detach_interface(None, inst, vif2)
        assert vif2['devname'] not in links(sandbox)
        for flags in (0, 2):        # live and persistent definitions
            xml = config.parse(drv._host.lookup(inst.uuid).XMLDesc(flags))
            assert vif2['address'] not in config.interface_macs(xml)
        drv.detach_interface(None, inst, vif2)                         # again: nothing to do
    finally:
        later.join()
        for net in made:
            net.close()




def test_volumes_over_iscsi_with_chap_and_from_a_file(drv, guest, sandbox):
    """Attached after the ephemeral (vdb) and swap (vdc) disks: vdd and vde."""
    import libvirt
    inst = guest['inst']
    target = Target(sandbox, port=3260)
    try:
        target.add_lun(1, 'CSVOL-ISCSI')
        iscsi = target.connection_info(1, 'vol-iscsi')
        local_path = os.path.join(target.dir, 'local.raw')
        with open(local_path, 'wb') as f:
            f.write(b'CSVOL-LOCAL')
            f.truncate(32 << 20)
        local = {'driver_volume_type': 'local', 'data': {
            'device_path': local_path, 'format': 'raw', 'volume_id': 'vol-local',
            'access_mode': 'rw'}}
        before = len(drv.get_console_output(None, inst))
        drv.attach_volume(None, iscsi, inst, '/dev/vdd')
        out = wait_console(drv, inst, 'disk-added vdd', since=before)
        assert 'disk-added vdd sectors=131072 head=CSVOL-ISCSI' in out
        drv.attach_volume(None, local, inst, '/dev/vde')
        drv.attach_volume(None, local, inst, '/dev/vde')               # again: attached once
        out = wait_console(drv, inst, 'disk-added vde', since=before)
        assert 'disk-added vde sectors=65536 head=CSVOL-LOCAL' in out
        dom = drv._host.lookup(inst.uuid)
        assert target.password not in dom.XMLDesc(0)
        secret = drv._host.conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_ISCSI,
                                                    'cloudstack-volume-vol-iscsi')
        assert "private='yes'" in secret.XMLDesc(0)          # nobody reads it back
        with pytest.raises(libvirt.libvirtError, match='private'):
            secret.value()
        with pytest.raises(Exception, match='in use'):
            drv.attach_volume(None, local, inst, '/dev/vdd')

        drv.detach_volume(None, iscsi, inst, '/dev/vdd')
        drv.detach_volume(None, local, inst, '/dev/vde')
        drv.detach_volume(None, local, inst, '/dev/vde')               # again: nothing to do
        out = wait_console(drv, inst, 'disk-removed vde', since=before)
        assert 'disk-removed vdd' in out
        assert set(config.disk_targets(config.parse(dom.XMLDesc(0)))) == {
            'vda', 'vdb', 'vdc', 'hdd'}
        with pytest.raises(libvirt.libvirtError):
            drv._host.conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_ISCSI,
                                               'cloudstack-volume-vol-iscsi')
    finally:
        target.close()


def test_live_snapshot_is_the_image_as_the_guest_sees_it(drv, guest, guest_image, tmp_path):
    """The snapshot of the running guest: one standalone qcow2 of the flavor's
    root size with the image's content (the guest runs from its initramfs, so
    its root disk is as the image was). Booting a snapshot is
    test_libvirt_cloud's second server."""
    inst = guest['inst']
    uploaded = tmp_path / 'snapshot.img'
    formats = []

    def upload(disk_format, chunks):
        formats.append(disk_format)
        with open(uploaded, 'wb') as f:
            for chunk in chunks:
                f.write(chunk)

    drv.snapshot(None, inst, upload)
    assert formats == ['qcow2']
    info = json.loads(subprocess.run(['qemu-img', 'info', '--output=json', str(uploaded)],
                                     capture_output=True, text=True, check=True).stdout)
    assert info['format'] == 'qcow2' and 'backing-filename' not in info
    assert info['virtual-size'] == 1 << 30
    same = subprocess.run(['qemu-img', 'compare', '-f', 'qcow2', '-F', 'qcow2',
                           os.path.join(guest_image, 'csguest.qcow2'), str(uploaded)],
                          capture_output=True, text=True)
    assert same.returncode == 0, same.stdout + same.stderr
    here = os.path.join(drv.instances_path, inst.uuid)
    assert not os.path.exists(os.path.join(here, 'disk.snap'))       # committed back
    assert drv.get_info(inst)['power_state'] == driver.RUNNING
    root = config.disk_targets(config.parse(drv._host.lookup(inst.uuid).XMLDesc(0)))['vda']
    assert root.find('source').get('file') == os.path.join(here, 'disk')
    assert reachable(guest['net'].box, guest['ip'], 22, timeout=20)  # still up


def test_assisted_snapshot_of_a_file_volume_moves_the_guest_onto_the_new_file(
        drv, guest, sandbox):
    """What Block Storage's file-based drivers ask through
    os-assisted-volume-snapshots: the running guest's volume goes onto the
    new qcow2 file (backed by the old one), then a delete pulls the old data
    into it and it stands alone."""
    inst = guest['inst']
    folder = os.path.join(sandbox.top, 'volumes-snap')      # where QEMU may open files
    os.makedirs(folder, mode=0o777)
    base = os.path.join(folder, 'volume-snap')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', base, '32M'], check=True)
    info = {'driver_volume_type': 'local', 'data': {
        'device_path': base, 'format': 'qcow2', 'volume_id': 'vol-snap', 'access_mode': 'rw'}}
    before = len(drv.get_console_output(None, inst))
    drv.attach_volume(None, info, inst, '/dev/vdf')
    wait_console(drv, inst, 'disk-added', since=before)     # the guest names it itself
    top = os.path.join(folder, 'volume-snap.s1')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', 'volume-snap', '-F',
                    'qcow2', top], check=True)
    os.chmod(base, 0o666)
    os.chmod(top, 0o666)
    try:
        drv.volume_snapshot_create(None, inst, 'vol-snap', {
            'snapshot_id': 's1', 'type': 'qcow2', 'new_file': 'volume-snap.s1'})
        dom = drv._host.lookup(inst.uuid)
        vdf = config.disk_targets(config.parse(dom.XMLDesc(0)))['vdf']
        assert vdf.find('source').get('file') == top
        assert vdf.find('backingStore/source').get('file').endswith('volume-snap')
        drv.volume_snapshot_delete(None, inst, 'vol-snap', 's1', {
            'type': 'qcow2', 'file_to_merge': None, 'merge_target_file': None})
        vdf = config.disk_targets(config.parse(dom.XMLDesc(0)))['vdf']
        assert vdf.find('source').get('file') == top
        chain = vdf.find('backingStore')
        assert chain is None or chain.find('source') is None      # stands alone now
        assert drv.get_info(inst)['power_state'] == driver.RUNNING
    finally:
        before = len(drv.get_console_output(None, inst))
        drv.detach_volume(None, info, inst, '/dev/vdf')
        # the guest has seen it go: the next volume may take its name
        wait_console(drv, inst, 'disk-removed', since=before)


def test_swap_volume_copies_the_running_guests_volume_onto_the_new_one(drv, guest, sandbox):
    """Block Storage's migration of an attached volume: the guest's disk is
    copied live onto the new (existing, same-sized, then larger: a file, an
    iSCSI LUN) volume, which it uses from then on, in the running guest and
    in its definition."""
    inst = guest['inst']
    folder = os.path.join(sandbox.top, 'volumes-swap')      # where QEMU may open files
    os.makedirs(folder, mode=0o777)
    old_path, new_path = os.path.join(folder, 'old.raw'), os.path.join(folder, 'new.raw')
    big_path = os.path.join(folder, 'big.raw')
    attached = 'vol-new'
    for path, head in ((old_path, b'CSVOL-SWAP-OLD'), (new_path, b'')):
        with open(path, 'wb') as f:
            f.write(head)
            f.truncate(32 << 20)
        os.chmod(path, 0o666)

    def info(path, volume_id):
        return {'driver_volume_type': 'local', 'data': {
            'device_path': path, 'format': 'raw', 'volume_id': volume_id,
            'access_mode': 'rw'}}
    before = len(drv.get_console_output(None, inst))
    drv.attach_volume(None, info(old_path, 'vol-old'), inst, '/dev/vdg')
    wait_console(drv, inst, 'disk-added', since=before)
    dom = drv._host.lookup(inst.uuid)
    target = Target(sandbox, port=3260)
    try:
        drv.swap_volume(None, info(old_path, 'vol-old'), info(new_path, 'vol-new'), inst,
                        '/dev/vdg', 0)
        with open(new_path, 'rb') as f:
            assert f.read(14) == b'CSVOL-SWAP-OLD'          # the data came along
        for flags in (0, 2):                                # live, then the definition
            vdg = config.disk_targets(config.parse(dom.XMLDesc(flags)))['vdg']
            assert vdg.find('source').get('file') == new_path
        # the running guest's device keeps its serial until it boots again
        assert vdg.findtext('serial') == 'vol-new'
        assert drv.get_info(inst)['power_state'] == driver.RUNNING
        # onto a larger volume (1 GiB): QEMU copies onto the same size only;
        # the guest has the whole volume once the swap is done
        with open(big_path, 'wb') as f:
            f.truncate(1 << 30)
        os.chmod(big_path, 0o666)
        drv.swap_volume(None, info(new_path, 'vol-new'), info(big_path, 'vol-big'), inst,
                        '/dev/vdg', 1)
        attached = 'vol-big'
        with open(big_path, 'rb') as f:
            assert f.read(14) == b'CSVOL-SWAP-OLD'
        assert dom.blockInfo('vdg', 0)[0] == 1 << 30
        assert os.path.getsize(big_path) == 1 << 30
        for flags in (0, 2):
            vdg = config.disk_targets(config.parse(dom.XMLDesc(flags)))['vdg']
            assert vdg.find('source').get('file') == big_path
            assert vdg.find('source/slices') is None
        assert drv.get_info(inst)['power_state'] == driver.RUNNING
        # onto a larger iSCSI LUN (2 GiB): copied onto its first GiB, which the
        # running guest keeps; its definition has the whole LUN
        lun_path = target.add_lun(1, '', size=2 << 30)
        lun = target.connection_info(1, 'vol-lun')
        drv.swap_volume(None, info(big_path, 'vol-big'), lun, inst, '/dev/vdg', 2)
        attached = 'vol-lun'
        with open(lun_path, 'rb') as f:
            assert f.read(14) == b'CSVOL-SWAP-OLD'
        live = config.disk_targets(config.parse(dom.XMLDesc(0)))['vdg']
        assert live.find('source').get('protocol') == 'iscsi'
        assert live.find('source/slices/slice').get('size') == str(1 << 30)
        assert dom.blockInfo('vdg', 0)[0] == 1 << 30
        defined = config.disk_targets(config.parse(dom.XMLDesc(2)))['vdg']
        assert defined.find('source').get('protocol') == 'iscsi'
        assert defined.find('source/slices') is None
        assert drv.get_info(inst)['power_state'] == driver.RUNNING
    finally:
        volumes = {'vol-new': info(new_path, 'vol-new'), 'vol-big': info(big_path, 'vol-big'),
                   'vol-lun': target.connection_info(1, 'vol-lun')}
        drv.detach_volume(None, volumes[attached], inst, '/dev/vdg')
        target.close()


def test_the_vnc_console_speaks_rfb(drv, guest, sandbox):
    """The address the console proxy connects to is the guest's VNC server."""
    where = drv.get_vnc_console(None, guest['inst'])
    code = ('import socket\n'
            's = socket.create_connection((%r, %d), 10)\n'
            'print(s.recv(12).decode())\n' % (where['host'], where['port']))
    proc = in_ns(sandbox, sys.executable, '-c', code, check=False)
    assert proc.stdout.strip() == 'RFB 003.008', proc.stderr


def test_soft_reboot_and_clean_power_off(drv, guest):
    inst = guest['inst']
    before = len(drv.get_console_output(None, inst))
    drv.reboot(None, inst, [guest['vif']], 'SOFT')
    out = wait_console(drv, inst, 'csguest: ready', since=before)
    assert 'power button, powering off' in out[before:]
    before = len(out)
    drv.power_off(inst, timeout=120, retry_interval=10)
    assert drv.get_info(inst)['power_state'] == driver.SHUTDOWN
    assert 'power button, powering off' in drv.get_console_output(None, inst).decode()[before:]


def test_destroy_leaves_nothing(drv, guest, sandbox):
    inst = guest['inst']
    drv.power_on(None, inst, [guest['vif']])        # destroyed while QEMU runs
    assert drv.get_info(inst)['power_state'] == driver.RUNNING
    drv.destroy(None, inst, [guest['vif']], guest['bdi'])
    assert drv._host.lookup(inst.uuid) is None
    assert not os.path.exists(os.path.join(drv.instances_path, inst.uuid))
    assert inst.uuid not in drv.list_instances()
    assert subprocess.run(['pgrep', '-f', 'guest=%s,' % inst.name]).returncode == 1   # no QEMU
    assert guest['vif']['devname'] not in links(sandbox) and not guest['net'].ports()
    drv.destroy(None, inst, [guest['vif']], guest['bdi'])               # again: nothing to do


def test_kvm_domains_define_on_this_qemu(drv, sandbox, image):
    """KVM's XML, checked by the real QEMU driver (defined, not started: KVM
    guests do not boot on this kind of host)."""
    caps = config.parse(drv._host.capabilities())
    if 'kvm' not in {d.get('type') for d in caps.iter('domain')}:
        pytest.skip('QEMU offers no kvm domains here (/dev/kvm missing or not usable)')
    from cloudstack.conf import CONF
    CONF.set_override('virt_type', 'kvm', group='libvirt')
    try:
        from cloudstack.compute.virt.libvirt import driver as libvirt_driver
        kvm = libvirt_driver.LibvirtDriver('host-kvm')
        kvm.init_host()
        inst = new_instance(config_drive=True)
        kvm.spawn(None, inst, image, [], None, [], None, power_on=False)
        root = config.parse(kvm._host.lookup(inst.uuid).XMLDesc(0))
        assert root.get('type') == 'kvm' and root.find('cpu').get('mode') == 'host-model'
        kvm.destroy(None, inst, [], None)
    finally:
        CONF.set_override('virt_type', 'qemu', group='libvirt')
