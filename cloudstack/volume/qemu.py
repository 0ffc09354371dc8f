"""qemu-img and file helpers the drivers share (argument lists, never shells),
and `blocking()`: how the green volume agent runs what blocks."""
import contextlib
import errno
import json
import logging
import os

from eventlet import patcher

from cloudstack import exception

# Commands run in OS threads (blocking()), so the unpatched module.
subprocess = patcher.original('subprocess')
_threads = patcher.original('threading')
_local = _threads.local()

LOG = logging.getLogger(__name__)

QEMU_IMG = 'qemu-img'
# Formats an image may have to become a volume; each checked by qemu-img
# info before conversion, and converted with the format named explicitly.
IMAGE_FORMATS = {'raw': 'raw', 'qcow2': 'qcow2', 'vmdk': 'vmdk', 'vdi': 'vdi',
                 'vhd': 'vpc', 'vhdx': 'vhdx', 'iso': 'raw'}
GiB = 1024 ** 3


class CommandError(exception.CloudstackError):
    def __init__(self, cmd, code, stderr):
        super().__init__('%s exited %s: %s' % (' '.join(cmd[:2]), code,
                                               (stderr or '').strip()[-500:]))
        self.returncode = code
        self.stderr = stderr


def blocking(func, *args, **kwargs):
    """func(*args, **kwargs) in an OS thread when the process is green (the
    engine: a blocking call there would stop every task and heartbeat), else
    here; nested calls stay in their thread."""
    if getattr(_local, 'in_thread', False) or not patcher.is_monkey_patched('thread'):
        return func(*args, **kwargs)
    from eventlet import tpool

    def in_thread():
        _local.in_thread = True
        try:
            return func(*args, **kwargs)
        finally:
            _local.in_thread = False
    return tpool.execute(in_thread)


class Threaded:
    """An object (a driver, a target) whose method calls run through
    blocking(), its context managers' entries and exits too."""

    def __init__(self, target):
        self._target = target

    def __getattr__(self, name):
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            found = blocking(attr, *args, **kwargs)
            if hasattr(found, '__enter__') and hasattr(found, '__exit__'):
                return _ThreadedContext(found)
            return found
        return call


class _ThreadedContext:
    def __init__(self, manager):
        self.manager = manager

    def __enter__(self):
        return blocking(self.manager.__enter__)

    def __exit__(self, *exc):
        return blocking(self.manager.__exit__, *exc)


def _run(cmd, check, timeout, input):
    LOG.debug('running %s', ' '.join(cmd))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          input=input)
    if check and proc.returncode != 0:
        raise CommandError(cmd, proc.returncode, proc.stderr)
    return proc.returncode, proc.stdout, proc.stderr


def run(cmd, check=True, timeout=None, input=None):
    """Run `cmd` (a list); (returncode, stdout, stderr)."""
    return blocking(_run, cmd, check, timeout, input)


def info(path, fmt=None):
    """qemu-img info as a dict (format, virtual-size, backing-filename, ...)."""
    cmd = [QEMU_IMG, 'info', '--output=json']
    if fmt:
        cmd += ['-f', fmt]
    cmd.append(path)
    return json.loads(run(cmd)[1])


def check_image(path, declared):
    """The qemu format of an image file that claims `declared` disk_format,
    refusing what could read other files: backing files, external data files,
    a format other than declared."""
    if declared not in IMAGE_FORMATS:
        raise exception.BadRequest('Image disk format %s cannot become a volume.'
                                   % declared)
    found = info(path)
    fmt = found.get('format')
    expected = IMAGE_FORMATS[declared]
    if fmt != expected and not (expected == 'raw' and fmt in ('raw',)):
        raise exception.BadRequest('Image is %s data, not %s as declared.'
                                   % (fmt, declared))
    if found.get('backing-filename') or found.get('full-backing-filename'):
        raise exception.BadRequest('Images with a backing file are refused.')
    data_file = (found.get('format-specific') or {}).get('data', {}).get('data-file')
    if data_file:
        raise exception.BadRequest('Images with an external data file are refused.')
    return fmt, int(found.get('virtual-size') or 0)


def convert(src, src_fmt, dst, dst_fmt, preallocation='off'):
    """Convert (sparse); the caller fsyncs the result."""
    cmd = [QEMU_IMG, 'convert', '-q', '-f', src_fmt, '-O', dst_fmt]
    if preallocation != 'off' and dst_fmt in ('raw', 'qcow2'):
        cmd += ['-o', 'preallocation=%s' % preallocation]
    run(cmd + [src, dst])


def create(path, fmt, size_bytes, preallocation='off'):
    if fmt == 'raw' and preallocation == 'off':
        with open(path, 'wb') as f:
            f.truncate(size_bytes)
        return
    cmd = [QEMU_IMG, 'create', '-q', '-f', fmt]
    if preallocation != 'off':
        cmd += ['-o', 'preallocation=%s' % preallocation]
    run(cmd + [path, str(size_bytes)])


def resize(path, fmt, size_bytes, preallocation='off'):
    if fmt == 'raw' and preallocation == 'off':
        with open(path, 'r+b') as f:
            f.truncate(size_bytes)
        return
    cmd = [QEMU_IMG, 'resize', '-q', '-f', fmt]
    if preallocation != 'off':
        cmd += ['--preallocation=%s' % preallocation]
    run(cmd + [path, str(size_bytes)])


def _fsync(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_path(path):
    """fsync a file, then its directory (so its name is durable too)."""
    blocking(_fsync, path)
    blocking(_fsync, os.path.dirname(path))


def fsync_dir(folder):
    blocking(_fsync, folder)


def remove(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def data_extents(fd, size):
    """(offset, length) of the parts of a file that hold data (holes skipped)."""
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:      # only a hole is left
                return
            yield offset, size - offset       # no SEEK_DATA here: all of it
            return
        try:
            end = os.lseek(fd, start, os.SEEK_HOLE)
        except OSError:
            end = size
        end = min(end, size)
        if end > start:
            yield start, end - start
        offset = end
