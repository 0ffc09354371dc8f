"""The lvm volume driver and the lio iSCSI target, which need what real hosts
have and this machine kind lacks (device-mapper, configfs): each test skips
naming what is missing. On a host that has them they run as root: a volume
group on a loop device of their own, a target with a prefix of their own."""
import os
import shutil
import subprocess
import uuid

import pytest

from cloudstack.conf import CONF
from cloudstack.volume import qemu

GiB = 1 << 30


def _lvm_missing():
    if os.geteuid() != 0:
        return 'not root'
    if not os.path.exists('/dev/mapper/control'):
        return 'no device-mapper on this host (/dev/mapper/control)'
    for tool in ('lvcreate', 'vgcreate', 'pvcreate', 'losetup', 'qemu-img'):
        if shutil.which(tool) is None:
            return 'no %s on this host (lvm2, util-linux, qemu-utils)' % tool
    return None


def _lio_missing():
    if os.geteuid() != 0:
        return 'not root'
    if not os.path.isdir('/sys/kernel/config/target'):
        return 'no configfs target subsystem on this host (/sys/kernel/config/target)'
    try:
        import rtslib_fb  # noqa: F401
    except ImportError:
        return 'rtslib-fb is not installed'
    if shutil.which('qemu-io') is None:
        return 'no qemu-io on this host'
    return None


@pytest.fixture
def volume_group(conf, tmp_path):
    backing = tmp_path / 'pv.img'
    with open(backing, 'wb') as f:
        f.truncate(4 * GiB)
    loop = subprocess.run(['losetup', '--find', '--show', str(backing)], check=True,
                          capture_output=True, text=True).stdout.strip()
    name = 'cs-test-%s' % uuid.uuid4().hex[:8]
    try:
        subprocess.run(['pvcreate', '-y', loop], check=True, capture_output=True)
        subprocess.run(['vgcreate', name, loop], check=True, capture_output=True)
        CONF.set_override('lvm_volume_group', name, group='volume')
        yield name
    finally:
        CONF.clear_override('lvm_volume_group', group='volume')
        subprocess.run(['vgremove', '-f', name], capture_output=True)
        subprocess.run(['pvremove', '-y', loop], capture_output=True)
        subprocess.run(['losetup', '-d', loop], capture_output=True)


@pytest.mark.skipif(_lvm_missing() is not None, reason=_lvm_missing() or '')
@pytest.mark.parametrize('lvm_type', ['thin', 'default'])
def test_lvm_driver_lifecycle(volume_group, lvm_type):
    from cloudstack.volume.drivers import lvm
    CONF.set_override('lvm_type', lvm_type, group='volume')
    try:
        driver = lvm.LVMDriver(CONF, 'lvm1', 'host1')
        driver.setup()
        assert driver.stats()['total_capacity_gb'] > 0
        vol = {'id': 'v1', 'size': 1, 'provider_location': None}
        driver.create(vol)
        qemu.run(['qemu-io', '-f', 'raw', '-c', 'write -P 0x61 0 1M', driver.path(vol)])
        snap = {'id': 's1', 'size': 1, 'provider_location': None}
        driver.create_snapshot(snap, vol)
        qemu.run(['qemu-io', '-f', 'raw', '-c', 'write -P 0x62 0 1M', driver.path(vol)])
        clone = {'id': 'v2', 'size': 2, 'provider_location': None}
        driver.create_from_snapshot(clone, snap)
        qemu.run(['qemu-io', '-f', 'raw', '-c', 'read -P 0x61 0 1M', driver.path(clone)])
        driver.revert(vol, snap)
        qemu.run(['qemu-io', '-f', 'raw', '-c', 'read -P 0x61 0 1M', driver.path(vol)])
        driver.extend(vol, 2)
        for item in (vol, clone):
            driver.delete(item)
        driver.delete_snapshot(snap)
        assert driver.list_names() == []
    finally:
        CONF.clear_override('lvm_type', group='volume')


@pytest.mark.skipif(_lio_missing() is not None, reason=_lio_missing() or '')
def test_lio_target_exports_with_chap(conf, tmp_path):
    from tests.functional.conftest import free_port
    from cloudstack.volume.targets import lio
    port = free_port()
    prefix = 'iqn.2026-12.org.cloudstack.liotest%d:' % port
    for key, value in (('target_prefix', prefix), ('target_port', port),
                       ('target_ip_address', '127.0.0.1')):
        CONF.set_override(key, value, group='volume')
    target = lio.LioTarget(CONF, 'host1')
    path = str(tmp_path / 'vol')
    with open(path, 'wb') as f:
        f.write(b'\x42' * (1 << 20))
        f.truncate(64 << 20)
    try:
        target.setup()
        info = target.export('v1', path, 'raw', 'CHAP cs1 s3cretpassword', None)
        data = info['data']
        url = 'iscsi://%s%%%s@%s/%s/%d' % (data['auth_username'], data['auth_password'],
                                           data['target_portal'], data['target_iqn'],
                                           data['target_lun'])
        qemu.run(['qemu-io', '-f', 'raw', '-c', 'read -P 0x42 0 1M', url])
        assert target.exported() == {'v1': path}
    finally:
        target.unexport('v1')
        for key in ('target_prefix', 'target_port', 'target_ip_address'):
            CONF.clear_override(key, group='volume')
    assert target.exported() == {}
