"""Find the real format and virtual size of image data while it streams by.

The inspector keeps only the head of the stream (up to HEAD_BYTES, enough for
every header it reads) and decides once it has that much or the stream ends.
It rejects data whose format contradicts the declared disk_format, data that
looks like more than one format, and formats that make a hypervisor open
other files (a qcow2 backing file or external data file, a VMDK whose
descriptor points at extents of its own choosing).
"""
import re
import struct
import uuid

HEAD_BYTES = 1024 * 1024
SECTOR = 512

# Declared formats we can recognise in data; the data must be that format.
INSPECTED = ('qcow2', 'vmdk', 'vhd', 'vhdx', 'iso', 'vdi')
# Formats that, when detected, are never acceptable under another name.
DISK_FORMATS = ('qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi')
# VMDK create types whose data is self-contained in the one file.
SAFE_VMDK_TYPES = ('monolithicSparse', 'streamOptimized')

QCOW2_INCOMPAT_DATA_FILE = 1 << 2
QCOW2_EXT_DATA_FILE = 0x44415441
QCOW2_EXT_END = 0


class FormatError(ValueError):
    """The data is not acceptable as the declared format."""


class Result:
    def __init__(self, fmt, virtual_size, unsafe=None):
        self.format = fmt
        self.virtual_size = virtual_size
        self.unsafe = unsafe      # why the data is dangerous, or None

    def __repr__(self):
        return 'Result(%r, %r, unsafe=%r)' % (self.format, self.virtual_size,
                                               self.unsafe)


def _u16le(buf, off):
    return struct.unpack_from('<H', buf, off)[0]


def _u32le(buf, off):
    return struct.unpack_from('<I', buf, off)[0]


def _u32be(buf, off):
    return struct.unpack_from('>I', buf, off)[0]


def _u64le(buf, off):
    return struct.unpack_from('<Q', buf, off)[0]


def _u64be(buf, off):
    return struct.unpack_from('>Q', buf, off)[0]


def _qcow2(buf):
    if buf[:4] != b'QFI\xfb' or len(buf) < 72:
        return None
    version = _u32be(buf, 4)
    if version not in (2, 3):
        return Result('qcow2', None, 'unsupported qcow2 version %d' % version)
    size = _u64be(buf, 24)
    if _u64be(buf, 8) != 0:
        return Result('qcow2', size, 'qcow2 has a backing file')
    header_len = 72
    if version == 3:
        if len(buf) < 104:
            return Result('qcow2', size, 'truncated qcow2 header')
        if _u64be(buf, 72) & QCOW2_INCOMPAT_DATA_FILE:
            return Result('qcow2', size, 'qcow2 has an external data file')
        header_len = _u32be(buf, 100)
    # Walk the header extensions for a data-file name.
    off = header_len
    for _ in range(64):
        if off + 8 > len(buf):
            break
        ext_type, ext_len = _u32be(buf, off), _u32be(buf, off + 4)
        if ext_type == QCOW2_EXT_END:
            break
        if ext_type == QCOW2_EXT_DATA_FILE:
            return Result('qcow2', size, 'qcow2 names an external data file')
        off += 8 + ((ext_len + 7) & ~7)
    return Result('qcow2', size)


def _vhd(buf):
    if buf[:8] != b'conectix' or len(buf) < 56:
        return None
    return Result('vhd', _u64be(buf, 48))


VHDX_REGION_TABLE = 192 * 1024
VHDX_METADATA_REGION = uuid.UUID('8B7CA206-4790-4B9A-B8FE-575F050F886E').bytes_le
VHDX_VIRTUAL_DISK_SIZE = uuid.UUID('2FA54224-CD1B-4876-B211-5DBED83BF4B8').bytes_le


def _vhdx(buf):
    if buf[:8] != b'vhdxfile':
        return None
    # The virtual size lives in the metadata region, often megabytes in: the
    # StreamInspector follows the region table to it as the data streams by.
    return Result('vhdx', None)


def _vhdx_metadata_region(head):
    """(offset, length) of the metadata region, from the region table."""
    base = VHDX_REGION_TABLE
    if len(head) < base + 16 or bytes(head[base:base + 4]) != b'regi':
        return None
    count = _u32le(head, base + 8)
    for i in range(min(count, 2047)):
        off = base + 16 + 32 * i
        if off + 32 > len(head):
            return None
        if bytes(head[off:off + 16]) == VHDX_METADATA_REGION:
            return _u64le(head, off + 16), _u32le(head, off + 24)
    return None


def _vmdk(buf):
    if buf[:4] != b'KDMV' or len(buf) < 44:
        return None
    capacity = _u64le(buf, 12) * SECTOR
    desc_off, desc_len = _u64le(buf, 28) * SECTOR, _u64le(buf, 36) * SECTOR
    if desc_off == 0:
        # streamOptimized files may keep the descriptor elsewhere; without
        # one embedded near the start we cannot check the extents.
        return Result('vmdk', capacity, 'vmdk descriptor not found')
    if desc_off + desc_len > len(buf) or desc_len > 64 * 1024:
        return Result('vmdk', capacity, 'vmdk descriptor out of reach')
    text = bytes(buf[desc_off:desc_off + desc_len]).split(b'\0', 1)[0]
    text = text.decode('latin-1')
    m = re.search(r'^\s*createType\s*=\s*"([^"]*)"', text, re.M)
    if not m or m.group(1) not in SAFE_VMDK_TYPES:
        return Result('vmdk', capacity, 'vmdk create type %r is not allowed' % (
            m.group(1) if m else None))
    for line in text.splitlines():
        line = line.strip()
        if re.match(r'^(RW|RDONLY|NOACCESS)\s', line):
            parts = line.split()
            if len(parts) < 4 or parts[2] != 'SPARSE':
                return Result('vmdk', capacity, 'vmdk extent %r is not allowed'
                              % line)
    return Result('vmdk', capacity)


def _iso(buf):
    # The primary volume descriptor is at sector 16 of 2048 bytes.
    base = 16 * 2048
    if len(buf) < base + 0x82 or bytes(buf[base + 1:base + 6]) != b'CD001':
        return None
    blocks = _u32le(buf, base + 0x50)
    block_size = _u16le(buf, base + 0x80)
    return Result('iso', blocks * block_size)


def _vdi(buf):
    if len(buf) < 0x178 or _u32le(buf, 0x40) != 0xBEDA107F:
        return None
    return Result('vdi', _u64le(buf, 0x170))


DETECTORS = (_qcow2, _vhd, _vhdx, _vmdk, _vdi, _iso)


def detect(head, total_size):
    """The Result for data whose first bytes are `head` and whose total length
    is `total_size` (None when not known)."""
    found = [r for r in (d(head) for d in DETECTORS) if r is not None]
    if len(found) > 1:
        names = ', '.join(r.format for r in found)
        return Result(found[0].format, None,
                      'data matches more than one format (%s)' % names)
    if found:
        return found[0]
    return Result('raw', total_size)


def check(result, declared):
    """Raise FormatError unless `result` is acceptable as `declared`."""
    if result.unsafe:
        raise FormatError('Image data is not acceptable: %s.' % result.unsafe)
    if declared in INSPECTED:
        if result.format != declared:
            raise FormatError('Image data is %s, not the declared %s.' % (
                result.format, declared))
    elif result.format in DISK_FORMATS:
        raise FormatError('Image data is %s, not the declared %s.' % (
            result.format, declared))


class StreamInspector:
    """Feed it the chunks of an upload; it raises FormatError as soon as it
    knows the data is not acceptable as `declared`."""

    def __init__(self, declared, enforce=True):
        self.declared = declared
        self.enforce = enforce
        self.head = bytearray()
        self.total = 0
        self.result = None
        self._wants = []      # [offset, length, bytearray, callback]: ranges to catch

    def feed(self, chunk):
        pos = self.total
        self.total += len(chunk)
        if self.result is None:
            room = HEAD_BYTES - len(self.head)
            if room > 0:
                self.head += chunk[:room]
            if len(self.head) >= HEAD_BYTES:
                self._decide(None)
                self._catch(pos, chunk)     # wanted bytes past the head
        else:
            self._catch(pos, chunk)

    def _want(self, offset, length, callback):
        """Call `callback(bytes)` once bytes [offset, offset+length) streamed by."""
        self._wants.append([offset, length, bytearray(), callback])

    def _catch(self, pos, chunk):
        # Callbacks may want further ranges, possibly inside this same chunk.
        for _ in range(8):
            if not self._wants:
                return
            wants, self._wants = self._wants, []
            for want in wants:
                offset, length, got, callback = want
                start = offset + len(got)
                if start < pos:
                    continue                  # already gone by: give up on it
                if start >= pos + len(chunk):
                    self._wants.append(want)
                    continue
                got += chunk[start - pos:offset + length - pos]
                if len(got) >= length:
                    callback(bytes(got))
                else:
                    self._wants.append(want)
            if all(w[0] + len(w[2]) >= pos + len(chunk) for w in self._wants):
                return

    def _decide(self, total):
        head = self.head
        self.result = detect(head, total)
        self.head = bytearray()
        if self.enforce:
            check(self.result, self.declared)
        if self.result.format == 'vhdx' and not self.result.unsafe:
            self._follow_vhdx(head)

    def _follow_vhdx(self, head):
        region = _vhdx_metadata_region(head)
        if region is None:
            return
        meta_off = region[0]
        result = self.result

        def size(data):
            result.virtual_size = _u64le(data, 0)

        def entries(data):
            for i in range(len(data) // 32):
                e = data[32 * i:32 * i + 32]
                if e[:16] == VHDX_VIRTUAL_DISK_SIZE:
                    self._want(meta_off + _u32le(e, 16), 8, size)
                    return

        def table(data):
            if data[:8] != b'metadata':
                return
            count = min(_u16le(data, 10), 2047)
            self._want(meta_off + 32, 32 * count, entries)

        self._want(meta_off, 32, table)
        # The metadata may already be in the head.
        self._catch(0, bytes(head))

    def finish(self):
        """The Result for the whole stream (raw's virtual size is its length)."""
        if self.result is None:
            self._decide(self.total)
        elif self.result.format == 'raw':
            self.result.virtual_size = self.total
        return self.result

    def wrap(self, chunks):
        """Pass `chunks` through, inspecting them; finish() at the end."""
        for chunk in chunks:
            self.feed(chunk)
            yield chunk
        self.finish()
