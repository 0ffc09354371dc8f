"""Converting imported image data, as Glance's image_conversion import plugin
does: the data must be what its disk_format says and pass the safety checks
(inspection.py) before qemu-img reads it, with its format given, never probed;
an ISO stays an ISO; the result must be of the target format."""
import os
import subprocess

from cloudstack import exception
from cloudstack.image import inspection

# qemu-img's names of the disk formats it converts from.
QEMU_FORMATS = {'raw': 'raw', 'qcow2': 'qcow2', 'vmdk': 'vmdk', 'vhd': 'vpc',
                'vhdx': 'vhdx', 'vdi': 'vdi'}
TARGETS = ('raw', 'qcow2', 'vmdk')
CHUNK = 1024 * 1024


class ConversionFailed(exception.BadRequest):
    pass


def inspect_file(path, declared):
    """inspection.Result of the file; ConversionFailed unless it is `declared`
    data that passes the safety checks."""
    inspector = inspection.StreamInspector(declared, enforce=True)
    try:
        with open(path, 'rb') as f:
            while chunk := f.read(CHUNK):
                inspector.feed(chunk)
        return inspector.finish()
    except inspection.FormatError as exc:
        raise ConversionFailed('Image cannot be converted: %s' % exc)


def convert(path, declared, target):
    """(path, disk_format) of the data to store: `path` itself when it needs no
    conversion (already `target`, an ISO, or a format qemu-img does not read),
    else a new file `path.<target>` the caller removes."""
    inspect_file(path, declared)
    if declared == target or declared not in QEMU_FORMATS:
        return path, declared
    out = '%s.%s' % (path, target)
    proc = subprocess.run(['qemu-img', 'convert', '-q', '-f', QEMU_FORMATS[declared],
                           '-O', target, path, out],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if proc.returncode:
            raise ConversionFailed('Image conversion from %s to %s failed: %s' % (
                declared, target, proc.stderr.strip()[-500:]))
        inspect_file(out, target)
    except BaseException:
        if os.path.exists(out):
            os.unlink(out)
        raise
    return out, target
