"""Format inspection of uploads, on images built byte by byte (and by qemu-img
if present): data that lies about its format, or makes a hypervisor open
other files, is refused."""
import shutil
import struct
import subprocess
import uuid

import pytest

from cloudstack.image import inspection as fi

GiB = 1 << 30
MiB = 1 << 20
QCOW2_INCOMPAT_DATA_FILE = 1 << 2
QCOW2_EXT_DATA_FILE = 0x44415441
VHDX_REGION_TABLE = 192 * 1024
VHDX_METADATA_REGION = uuid.UUID('8B7CA206-4790-4B9A-B8FE-575F050F886E').bytes_le
VHDX_VIRTUAL_DISK_SIZE = uuid.UUID('2FA54224-CD1B-4876-B211-5DBED83BF4B8').bytes_le


def qcow2(size=GiB, version=3, backing=b'', incompat=0, data_file_ext=None):
    header_len = 104 if version == 3 else 72
    h = bytearray(header_len)
    struct.pack_into('>4sI', h, 0, b'QFI\xfb', version)
    if backing:
        struct.pack_into('>QI', h, 8, 512, len(backing))
    struct.pack_into('>I', h, 20, 16)           # cluster_bits
    struct.pack_into('>Q', h, 24, size)
    if version == 3:
        struct.pack_into('>Q', h, 72, incompat)
        struct.pack_into('>I', h, 96, 4)        # refcount_order
        struct.pack_into('>I', h, 100, header_len)
    if data_file_ext is not None:
        name = data_file_ext
        h += struct.pack('>II', QCOW2_EXT_DATA_FILE, len(name))
        h += name + b'\0' * ((8 - len(name) % 8) % 8)
    h += struct.pack('>II', 0, 0)
    h = h.ljust(512, b'\0')
    if backing:
        h += backing
    return bytes(h).ljust(4096, b'\0')


def vhd(size=GiB):
    footer = bytearray(512)
    footer[0:8] = b'conectix'
    struct.pack_into('>Q', footer, 40, size)
    struct.pack_into('>Q', footer, 48, size)
    return bytes(footer) + b'\0' * 1024


def vmdk(capacity_sectors=2048, create_type='monolithicSparse', extent=None):
    h = bytearray(512)
    struct.pack_into('<4sII', h, 0, b'KDMV', 1, 3)
    struct.pack_into('<Q', h, 12, capacity_sectors)
    struct.pack_into('<QQ', h, 28, 1, 20)       # descriptor at sector 1, 20 sectors
    extent = extent or 'RW %d SPARSE "disk.vmdk"' % capacity_sectors
    desc = ('# Disk DescriptorFile\nversion=1\nCID=fffffffe\n'
            'createType="%s"\n\n# Extent description\n%s\n' % (create_type, extent))
    return bytes(h) + desc.encode().ljust(20 * 512, b'\0') + b'\0' * 4096


def iso(blocks=1000):
    data = bytearray(16 * 2048 + 2048)
    pvd = 16 * 2048
    data[pvd] = 1
    data[pvd + 1:pvd + 6] = b'CD001'
    struct.pack_into('<I', data, pvd + 0x50, blocks)
    struct.pack_into('>I', data, pvd + 0x54, blocks)
    struct.pack_into('<H', data, pvd + 0x80, 2048)
    return bytes(data)


def inspect(data, declared, chunk=1000, enforce=True):
    ins = fi.StreamInspector(declared, enforce=enforce)
    for i in range(0, len(data), chunk):
        ins.feed(data[i:i + chunk])
    return ins.finish()


@pytest.mark.parametrize('data,fmt,vsize', [
    (qcow2(), 'qcow2', GiB),
    (qcow2(version=2, size=5 * GiB), 'qcow2', 5 * GiB),
    (vhd(), 'vhd', GiB),
    (vmdk(), 'vmdk', 2048 * 512),
    (iso(), 'iso', 1000 * 2048),
    (b'\x01' * 3000, 'raw', 3000),
])
def test_detects_format_and_virtual_size(data, fmt, vsize):
    result = inspect(data, fmt)
    assert (result.format, result.virtual_size) == (fmt, vsize)


def test_raw_size_counts_the_whole_stream():
    data = b'\x07' * (MiB + 12345)
    assert inspect(data, 'raw', chunk=65536).virtual_size == len(data)


@pytest.mark.parametrize('data,declared', [
    (qcow2(), 'raw'), (vmdk(), 'raw'), (vhd(), 'raw'), (qcow2(), 'ami'),
    (b'random bytes' * 100, 'qcow2'), (vhd(), 'qcow2'), (qcow2(), 'vmdk'),
    (b'\0' * 40000, 'iso'), (qcow2(), 'iso'),
    (b'vhdxfile' + b'\0' * 5000, 'vhdx'),      # no region table: not a whole VHDX
])
def test_rejects_data_contradicting_the_declared_format(data, declared):
    with pytest.raises(fi.FormatError):
        inspect(data, declared)


@pytest.mark.parametrize('data', [
    qcow2(backing=b'/etc/passwd'),
    qcow2(incompat=QCOW2_INCOMPAT_DATA_FILE),
    qcow2(incompat=QCOW2_INCOMPAT_DATA_FILE, data_file_ext=b'/dev/sda'),
    qcow2(version=4),
])
def test_rejects_dangerous_qcow2(data):
    with pytest.raises(fi.FormatError):
        inspect(data, 'qcow2')


@pytest.mark.parametrize('data', [
    vmdk(create_type='monolithicFlat'),
    vmdk(extent='RW 2048 FLAT "/etc/shadow" 0'),
])
def test_rejects_vmdk_pointing_at_other_files(data):
    with pytest.raises(fi.FormatError):
        inspect(data, 'vmdk')


def test_data_matching_two_formats_is_rejected():
    data = bytearray(iso())
    data[0:len(qcow2()[:512])] = qcow2()[:512]
    with pytest.raises(fi.FormatError):
        inspect(bytes(data), 'qcow2')
    with pytest.raises(fi.FormatError):
        inspect(bytes(data), 'iso')
    # Not even when the declared format is not enforced: it is unsafe.
    with pytest.raises(fi.FormatError, match='more than one format'):
        inspect(bytes(data), 'raw', enforce=False)


def test_iso_is_acceptable_as_raw():
    assert inspect(iso(), 'raw').format == 'iso'


def test_rejects_early_once_the_head_is_seen():
    ins = fi.StreamInspector('raw')
    with pytest.raises(fi.FormatError):
        ins.feed(qcow2().ljust(MiB, b'\0'))


@pytest.mark.parametrize('data,declared', [
    (qcow2(backing=b'/etc/passwd'), 'raw'),
    (vmdk(extent='RW 2048 FLAT "/etc/shadow" 0'), 'qcow2'),
])
def test_unsafe_data_is_refused_even_when_the_format_is_not_enforced(data, declared):
    with pytest.raises(fi.FormatError):
        inspect(data, declared, enforce=False)


def test_not_enforcing_reports_without_raising():
    ins = fi.StreamInspector('raw', enforce=False)
    ins.feed(qcow2())
    assert ins.finish().format == 'qcow2'


QEMU_IMG = shutil.which('qemu-img')


@pytest.mark.skipif(not QEMU_IMG, reason='qemu-img not installed')
@pytest.mark.parametrize('fmt,opts', [
    ('qcow2', []), ('vmdk', ['-o', 'subformat=monolithicSparse']),
    ('vmdk', ['-o', 'subformat=streamOptimized']), ('vpc', []), ('vhdx', []),
    ('raw', [])])
def test_qemu_img_images(tmp_path, fmt, opts):
    path = tmp_path / ('disk.' + fmt)
    subprocess.run([QEMU_IMG, 'create', '-f', fmt] + opts + [str(path), '64M'],
                   check=True, capture_output=True)
    declared = {'vpc': 'vhd'}.get(fmt, fmt)
    result = inspect(path.read_bytes(), declared, chunk=65536)
    assert result.format == declared
    if declared in ('qcow2', 'vmdk', 'raw', 'vhdx'):
        assert result.virtual_size == 64 << 20
    elif declared == 'vhd':
        assert abs(result.virtual_size - (64 << 20)) < (1 << 20)


@pytest.mark.skipif(not QEMU_IMG, reason='qemu-img not installed')
@pytest.mark.parametrize('chunk', [7, 4096, 65536, 1 << 20, 3 << 20])
def test_qemu_img_vhdx_size_whatever_the_chunking(tmp_path, chunk):
    path = tmp_path / 'disk.vhdx'
    subprocess.run([QEMU_IMG, 'create', '-f', 'vhdx', str(path), '3G'],
                   check=True, capture_output=True)
    data = path.read_bytes()
    if chunk == 7:
        data = data[:4 << 20]      # tiny chunks are slow; the metadata is early on
    assert inspect(data, 'vhdx', chunk=chunk).virtual_size == 3 << 30


def vhdx(size, meta_off, size_item_length=8):
    """A VHDX skeleton: identifier, region table, metadata table and size item."""
    data = bytearray(meta_off + 65536 + 4096)
    data[0:8] = b'vhdxfile'
    rt = VHDX_REGION_TABLE
    data[rt:rt + 4] = b'regi'
    struct.pack_into('<I', data, rt + 8, 1)
    data[rt + 16:rt + 32] = VHDX_METADATA_REGION
    struct.pack_into('<QI', data, rt + 32, meta_off, 1 << 20)
    data[meta_off:meta_off + 8] = b'metadata'
    struct.pack_into('<H', data, meta_off + 10, 2)
    e = meta_off + 32
    data[e:e + 16] = b'\x01' * 16                   # some other item first
    data[e + 32:e + 48] = VHDX_VIRTUAL_DISK_SIZE
    struct.pack_into('<II', data, e + 48, 65536, size_item_length)
    struct.pack_into('<Q', data, meta_off + 65536, size)
    return bytes(data)


@pytest.mark.parametrize('meta_off', [256 * 1024, 2 << 20])
@pytest.mark.parametrize('chunk', [1000, 65536])     # uploads come in 64 KiB chunks
def test_vhdx_virtual_size_in_head_or_beyond(meta_off, chunk):
    assert inspect(vhdx(7 << 30, meta_off), 'vhdx', chunk=chunk).virtual_size == 7 << 30


def test_vhdx_with_a_malformed_size_item_is_refused_not_a_crash():
    with pytest.raises(fi.FormatError):
        inspect(vhdx(7 << 30, 256 * 1024, size_item_length=0), 'vhdx')


@pytest.mark.skipif(not QEMU_IMG, reason='qemu-img not installed')
def test_qemu_img_qcow2_with_backing_file(tmp_path):
    base = tmp_path / 'base.raw'
    base.write_bytes(b'\0' * 65536)
    top = tmp_path / 'top.qcow2'
    subprocess.run([QEMU_IMG, 'create', '-f', 'qcow2', '-F', 'raw', '-b', str(base),
                    str(top)], check=True, capture_output=True)
    with pytest.raises(fi.FormatError):
        inspect(top.read_bytes(), 'qcow2')
