"""The base image cache: checksums, format checks, conversion; blank bases."""
import hashlib
import os
import shutil
import subprocess

import pytest

from cloudstack.compute.virt import driver
from cloudstack.compute.virt.libvirt import disks

pytestmark = pytest.mark.skipif(not shutil.which('qemu-img'),
                                reason='qemu-img (qemu-utils) is not installed')


def source(path, image_id='img-1', disk_format=None, checksum='auto'):
    with open(path, 'rb') as f:
        data = f.read()
    if checksum == 'auto':
        checksum = hashlib.md5(data).hexdigest()
    fmt = disk_format or ('qcow2' if data[:4] == b'QFI\xfb' else 'raw')
    return driver.ImageSource(id=image_id, disk_format=fmt, size=len(data), checksum=checksum,
                              chunks=lambda: iter([data[:1000], data[1000:]]))


@pytest.fixture
def qcow2(tmp_path):
    raw = tmp_path / 'src.raw'
    raw.write_bytes(b'BOOTSECTOR' + b'\0' * ((4 << 20) - 10))
    out = tmp_path / 'src.qcow2'
    subprocess.run(['qemu-img', 'convert', '-q', '-f', 'raw', '-O', 'qcow2', '-c', str(raw),
                    str(out)], check=True)
    return str(out)


def test_fetch_verifies_converts_and_caches(tmp_path, qcow2):
    cache = disks.ImageCache(str(tmp_path / '_base'))
    base = cache.fetch(source(qcow2))
    assert base.format == 'raw' and base.virtual_size == 4 << 20
    with open(base.path, 'rb') as f:
        assert f.read(10) == b'BOOTSECTOR'
    calls = []
    again = source(qcow2)
    again.chunks = lambda: calls.append(1) or iter([])
    assert cache.fetch(again) == base and calls == []        # cached: not fetched again
    assert sorted(os.listdir(tmp_path / '_base')) == sorted(
        [os.path.basename(base.path), os.path.basename(base.path) + '.info',
         os.path.basename(base.path) + '.lock'])


def test_keeps_qcow2_without_force_raw(tmp_path, qcow2):
    base = disks.ImageCache(str(tmp_path / '_base'), force_raw=False).fetch(source(qcow2))
    assert base.format == 'qcow2'


def test_checksum_mismatch_refused_and_nothing_kept(tmp_path, qcow2):
    cache = disks.ImageCache(str(tmp_path / '_base'))
    with pytest.raises(disks.ImageUnacceptable, match='checksum'):
        cache.fetch(source(qcow2, checksum='0' * 32))
    assert [n for n in os.listdir(tmp_path / '_base') if not n.endswith('.lock')] == []
    assert cache.fetch(source(qcow2, checksum=None)).format == 'raw'   # none given: none checked


def test_format_lies_refused(tmp_path, qcow2):
    cache = disks.ImageCache(str(tmp_path / '_base'))
    with pytest.raises(disks.ImageUnacceptable, match='not raw'):
        cache.fetch(source(qcow2, disk_format='raw'))
    with pytest.raises(disks.ImageUnacceptable, match='cannot boot'):
        cache.fetch(source(qcow2, disk_format='docker'))


def test_backing_file_refused(tmp_path, qcow2):
    evil = tmp_path / 'evil.qcow2'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-F', 'raw', '-b', '/etc/shadow',
                    str(evil), '1M'], check=True)
    with pytest.raises(disks.ImageUnacceptable, match='backing file'):
        disks.ImageCache(str(tmp_path / '_base')).fetch(source(str(evil)))


def test_overlay_and_blank_bases(tmp_path, qcow2):
    cache = disks.ImageCache(str(tmp_path / '_base'))
    base = cache.fetch(source(qcow2))
    disk = str(tmp_path / 'disk')
    disks.create_overlay(base.path, base.format, disk, 1 << 30)
    info = disks.info(disk)
    assert info['virtual-size'] == 1 << 30
    assert info['full-backing-filename'] == base.path
    disks.create_overlay(base.path, base.format, disk, 2 << 30)    # exists: left alone
    assert disks.info(disk)['virtual-size'] == 1 << 30
    disks.resize(disk, 2 << 30)
    assert disks.info(disk)['virtual-size'] == 2 << 30
    swap = cache.blank('swap', 16 << 20)
    with open(swap, 'rb') as f:
        f.seek(4096 - 10)
        assert f.read(10) == b'SWAPSPACE2'
    if shutil.which('mkfs.ext4'):
        eph = cache.blank('ephemeral', 16 << 20, 'ext4')
        with open(eph, 'rb') as f:
            f.seek(1024 + 0x38)
            assert f.read(2) == b'\x53\xef'                         # the ext superblock magic
        assert cache.blank('ephemeral', 16 << 20, 'ext4') == eph


def test_raw_copy_grows(tmp_path):
    raw = tmp_path / 'fs.img'
    raw.write_bytes(b'\0' * (1 << 20))
    base = disks.BaseImage(path=str(raw), format='raw', virtual_size=1 << 20, disk_format='raw')
    out = str(tmp_path / 'disk')
    disks.copy_raw(base, out, 8 << 20)
    assert os.path.getsize(out) == 8 << 20
