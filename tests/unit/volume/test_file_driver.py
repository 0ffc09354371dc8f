"""The file volume driver on a temporary directory: real (sparse) files and
qemu-img, no root."""
import os
import shutil

import pytest

from cloudstack.conf import CONF
from cloudstack.volume import qemu
from cloudstack.volume.drivers import file as file_driver

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None,
                                reason='needs qemu-img (qemu-utils)')
GiB = 1024 ** 3


@pytest.fixture(params=['raw', 'qcow2'])
def driver(conf, request):
    CONF.set_override('file_volume_format', request.param, group='volume')
    d = file_driver.FileDriver(CONF, 'b1', 'host1')
    d.setup()
    yield d
    CONF.clear_override('file_volume_format', group='volume')


def write(driver, vol, offset, pattern, length=65536):
    """Write `length` bytes of `pattern` at `offset` through qemu-io (either
    format); returns the bytes written."""
    qemu.run(['qemu-io', '-f', driver.volume_format(), '-c',
              'write -P %d %d %d' % (pattern, offset, length), driver.path(vol)])
    return bytes([pattern]) * length


def same(driver, a, b, kind_b='volume'):
    """Whether two items hold the same data (qemu-img compare: fast on sparse
    files, extra zeros allowed)."""
    path_a = driver.path(a)
    path_b = driver.path(b) if kind_b == 'volume' else driver._snapshot_path(b)
    fmt = driver.volume_format()
    code, _, _ = qemu.run(['qemu-img', 'compare', '-q', '-f', fmt, '-F', fmt,
                           path_a, path_b], check=False)
    return code == 0


def read_at(driver, vol, offset, length):
    with driver.raw_reader(vol) as path, open(path, 'rb') as f:
        f.seek(offset)
        return f.read(length)


def test_volume_lifecycle(driver):
    vol = {'id': 'v1', 'size': 1, 'provider_location': None}
    location = driver.create(vol)
    assert location == 'volume-v1' and driver.exists(vol)
    assert qemu.info(driver.path(vol))['virtual-size'] == GiB
    if driver.volume_format() == 'raw':
        assert os.stat(driver.path(vol)).st_blocks == 0        # sparse
    data = write(driver, vol, 1024 * 1024, 0x5a)
    snap = {'id': 's1', 'size': 1, 'provider_location': None}
    assert driver.create_snapshot(snap, vol) == 'snapshot-s1'
    assert same(driver, vol, snap, 'snapshot')
    write(driver, vol, 1024 * 1024, 0x33)
    assert not same(driver, vol, snap, 'snapshot')
    clone = {'id': 'v2', 'size': 2, 'provider_location': None}
    driver.create_from_snapshot(clone, snap)
    assert qemu.info(driver.path(clone))['virtual-size'] == 2 * GiB
    assert read_at(driver, clone, 1024 * 1024, 65536) == data
    driver.revert(vol, snap)
    assert same(driver, vol, snap, 'snapshot')
    driver.extend(vol, 3)
    assert qemu.info(driver.path(vol))['virtual-size'] == 3 * GiB
    twin = {'id': 'v3', 'size': 3, 'provider_location': None}
    driver.clone(twin, vol)
    assert same(driver, twin, vol)
    for item in (vol, clone, twin):
        driver.delete(item)
    driver.delete_snapshot(snap)
    driver.delete(vol)                      # again: nothing left, no error
    assert driver.list_names() == []


def test_create_is_idempotent_and_crash_leftovers_go(driver):
    vol = {'id': 'v1', 'size': 1, 'provider_location': None}
    leftover = os.path.join(driver.dir, file_driver.TMP + 'volume-v9')
    open(leftover, 'wb').close()
    driver.setup()
    assert not os.path.exists(leftover)
    driver.create(vol)
    data = write(driver, vol, 0, 0x78, 4096)
    driver.create(vol)                      # a task run again keeps the data
    assert read_at(driver, vol, 0, 4096) == data


def test_image_into_volume_and_writer_zeroes(driver, tmp_path):
    image = tmp_path / 'img.raw'
    payload = os.urandom(3 * 1024 * 1024)
    image.write_bytes(payload)
    qcow = str(tmp_path / 'img.qcow2')
    qemu.convert(str(image), 'raw', qcow, 'qcow2')
    assert qemu.check_image(qcow, 'qcow2')[0] == 'qcow2'
    with pytest.raises(Exception):
        qemu.check_image(qcow, 'raw')       # a qcow2 that claims to be raw
    vol = {'id': 'v1', 'size': 1, 'provider_location': None}
    driver.create_from_image(vol, qcow, 'qcow2')
    assert read_at(driver, vol, 0, len(payload)) == payload
    with driver.raw_writer(vol) as path:
        with open(path, 'r+b') as f:
            f.seek(GiB - 4096)
            f.write(b'e' * 4096)
    assert read_at(driver, vol, 0, 4096) == bytes(4096)     # the old data is gone
    assert read_at(driver, vol, GiB - 4096, 4096) == b'e' * 4096


def test_manage_and_unmanage(driver):
    vol = {'id': 'v1', 'size': 1, 'provider_location': None}
    driver.create(vol)
    driver.unmanage(vol)
    adopted = {'id': 'v2', 'size': 0, 'provider_location': None}
    assert driver.manage_existing(adopted, {'source-name': 'volume-v1'}) == 1
    assert driver.list_names() == ['volume-v2']
    with pytest.raises(Exception):
        driver.manage_existing({'id': 'v3'}, {'source-name': 'volume-v1'})
    with pytest.raises(Exception):
        driver.manage_existing({'id': 'v3'}, {'source-name': '../etc/passwd'})


def test_backing_files_are_refused(tmp_path):
    base = str(tmp_path / 'base.raw')
    open(base, 'wb').truncate(1024 * 1024)
    evil = str(tmp_path / 'evil.qcow2')
    qemu.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', base, '-F', 'raw', evil])
    with pytest.raises(Exception, match='backing file'):
        qemu.check_image(evil, 'qcow2')
