"""Local disks: the per-host cache of base images and instances' disks.

A base image is fetched once per host from the `ImageSource` the agent gives,
its checksum verified and its format checked against what the image says it
is (a qcow2 naming a backing file or an external data file is refused: it
could make QEMU read host files), then kept in `<instances_path>/_base/`,
converted to raw by default. An instance's root disk is a qcow2 overlay on
it; ephemeral and swap disks are overlays on formatted bases of their size.
Every step is idempotent: a file that exists is what it should be, because
files appear only by rename once complete.
"""
import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import threading

from eventlet import tpool

from cloudstack import exception

LOG = logging.getLogger(__name__)
GiB = 1 << 30
MiB = 1 << 20

# What qemu-img calls each disk_format the Image service knows.
QEMU_FORMATS = {'raw': 'raw', 'ami': 'raw', 'ari': 'raw', 'aki': 'raw', 'iso': 'raw',
                'qcow2': 'qcow2', 'vmdk': 'vmdk', 'vdi': 'vdi', 'vhd': 'vpc',
                'vhdx': 'vhdx', 'ploop': 'parallels'}
SAFE_VMDK = ('monolithicSparse', 'streamOptimized')


class ImageUnacceptable(exception.BadRequest):
    message = 'Image %(image_id)s is unacceptable: %(reason)s'


class DiskError(exception.CloudstackError):
    message = 'Disk operation failed: %(reason)s'


@dataclasses.dataclass
class BaseImage:
    path: str
    format: str                 # qemu-img's name of the file's format
    virtual_size: int
    disk_format: str            # the Image service's (iso boots as a CD-ROM)


def qemu_img(*args):
    cmd = ['qemu-img'] + [str(a) for a in args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise DiskError(reason='%s: %s' % (' '.join(cmd[:2]), proc.stderr.strip()))
    return proc.stdout


def info(path, fmt=None):
    args = ['info', '--output=json'] + (['-f', fmt] if fmt else []) + ['-U', path]
    return json.loads(qemu_img(*args))


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _checksum(expected):
    algo = {32: 'md5', 64: 'sha256', 128: 'sha512'}.get(len(expected or ''))
    return hashlib.new(algo) if algo else None


class ImageCache:
    def __init__(self, base_dir, force_raw=True):
        self.base_dir = base_dir
        self.force_raw = force_raw
        self._locks = {}
        self._guard = threading.Lock()

    def _lock(self, name):
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def path(self, image_id):
        return os.path.join(self.base_dir, hashlib.sha1(image_id.encode()).hexdigest())

    def cached(self, image_id):
        try:
            with open(self.path(image_id) + '.info') as f:
                return BaseImage(**json.load(f))
        except (OSError, ValueError, TypeError):
            return None

    def fetch(self, image):
        """The BaseImage of `image` (an ImageSource), fetched if needed."""
        found = self.cached(image.id)
        if found:
            return found
        os.makedirs(self.base_dir, mode=0o755, exist_ok=True)
        path = self.path(image.id)
        with self._lock(path), _FileLock(path + '.lock'):
            found = self.cached(image.id)
            if found:
                return found
            return self._download(image, path)

    def _download(self, image, path):
        part = path + '.part'
        digest = _checksum(image.checksum)
        size = 0
        with open(part, 'wb') as f:
            for chunk in image.chunks():
                f.write(chunk)
                size += len(chunk)
                if digest:
                    digest.update(chunk)
            f.flush()
            os.fsync(f.fileno())
        try:
            if digest and digest.hexdigest() != image.checksum.lower():
                raise ImageUnacceptable(image_id=image.id,
                                        reason='its data does not match its checksum')
            fmt = self._inspect(image, part)
            if fmt not in ('raw',) and (self.force_raw or fmt != 'qcow2'):
                qemu_img('convert', '-q', '-f', fmt, '-O', 'raw', part, part + '.raw')
                os.replace(part + '.raw', part)
                _fsync(part)
                fmt = 'raw'
            virtual = info(part, fmt)['virtual-size']
            os.chmod(part, 0o644)
            os.replace(part, path)
        finally:
            for leftover in (part, part + '.raw'):
                if os.path.exists(leftover):
                    os.unlink(leftover)
        base = BaseImage(path=path, format=fmt, virtual_size=virtual,
                         disk_format=image.disk_format)
        with open(path + '.info.tmp', 'w') as f:
            json.dump(dataclasses.asdict(base), f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(path + '.info.tmp', path + '.info')
        LOG.info('cached image %s (%s, %d bytes) as %s', image.id, fmt, size, path)
        return base

    @staticmethod
    def _inspect(image, path):
        declared = QEMU_FORMATS.get(image.disk_format)
        if declared is None:
            raise ImageUnacceptable(image_id=image.id,
                                    reason='disk_format %s cannot boot' % image.disk_format)
        found = info(path)
        if found['format'] != declared:
            raise ImageUnacceptable(image_id=image.id, reason='its data is %s, not %s' % (
                found['format'], image.disk_format))
        if found.get('backing-filename') or found.get('full-backing-filename'):
            raise ImageUnacceptable(image_id=image.id, reason='it names a backing file')
        specific = (found.get('format-specific') or {}).get('data') or {}
        if specific.get('data-file'):
            raise ImageUnacceptable(image_id=image.id, reason='it names an external data file')
        if declared == 'vmdk' and specific.get('create-type') not in SAFE_VMDK:
            raise ImageUnacceptable(image_id=image.id,
                                    reason='only single-file VMDK images are accepted')
        return declared

    # -- blank formatted bases -------------------------------------------------------

    def blank(self, kind, size_bytes, fs=None):
        """A base of `size_bytes`: 'ephemeral' formatted with `fs` (none when
        None), or 'swap'."""
        name = '%s_%d_%s' % (kind, size_bytes // MiB, fs or 'none')
        os.makedirs(self.base_dir, mode=0o755, exist_ok=True)
        path = os.path.join(self.base_dir, name)
        if os.path.exists(path):
            return path
        with self._lock(path), _FileLock(path + '.lock'):
            if not os.path.exists(path):
                part = path + '.part'
                with open(part, 'wb') as f:
                    f.truncate(size_bytes)
                if kind == 'swap':
                    _run('mkswap', part)
                elif fs:
                    mkfs(part, fs, 'ephemeral0')
                os.chmod(part, 0o644)
                os.replace(part, path)
        return path


def mkfs(path, fs, label):
    if fs in ('ext2', 'ext3', 'ext4'):
        _run('mkfs.' + fs, '-F', '-q', '-L', label, path)
    elif fs in ('xfs', 'btrfs'):
        _run('mkfs.' + fs, '-f', '-L', label, path)
    elif fs in ('vfat', 'fat', 'ntfs'):
        _run('mkfs.vfat', '-n', label[:11].upper(), path)
    else:
        raise DiskError(reason='unknown file system %s' % fs)


def _run(*cmd):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode:
        raise DiskError(reason='%s: %s' % (cmd[0], proc.stderr.strip()))


class _FileLock:
    """An exclusive lock between processes (waiting in a native thread)."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        tpool.execute(fcntl.flock, self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def create_overlay(base_path, base_format, path, size_bytes):
    """A qcow2 file of `size_bytes` whose unwritten clusters read from the base."""
    if os.path.exists(path):
        return
    qemu_img('create', '-q', '-f', 'qcow2', '-F', base_format, '-b', base_path,
             path + '.part', size_bytes)
    os.chmod(path + '.part', 0o644)
    os.replace(path + '.part', path)


def copy_raw(base, path, size_bytes):
    """A raw copy of a base (LXC's loop-mounted root file systems), grown to
    `size_bytes` with its ext file system when that is larger."""
    if os.path.exists(path):
        return
    part = path + '.part'
    if base.format == 'raw':
        subprocess.run(['cp', '--sparse=always', base.path, part], check=True)
    else:
        qemu_img('convert', '-q', '-f', base.format, '-O', 'raw', base.path, part)
    if size_bytes > os.path.getsize(part):
        with open(part, 'r+b') as f:
            f.truncate(size_bytes)
        if shutil.which('resize2fs'):
            subprocess.run(['resize2fs', '-f', part], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    os.chmod(part, 0o644)
    os.replace(part, path)


def resize(path, size_bytes):
    """Grow a disk (never shrinks)."""
    if info(path)['virtual-size'] < size_bytes:
        qemu_img('resize', '-q', path, size_bytes)


def supports_direct_io(directory):
    """Whether files in `directory` can be opened with O_DIRECT (cache=none)."""
    probe = os.path.join(directory, '.directio.test')
    try:
        fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_DIRECT, 0o600)
        os.close(fd)
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(probe):
            os.unlink(probe)
