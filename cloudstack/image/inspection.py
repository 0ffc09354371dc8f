"""What image data really is, decided while it streams by.

The inspectors are oslo.utils' (imageutils.format_inspector, the reviewed
ones Glance and Nova use); this module only feeds them an upload's chunks and
says what Image accepts: data of the declared format (or raw under a name
that is not a disk format), of one format only, that passes the detected
format's safety checks (no qcow2 backing or data file, no VMDK extents of its
own choosing, ...). It refuses as soon as it knows, not only at the end.
"""
from oslo_utils.imageutils import format_inspector

# Declared formats the data must really be.
INSPECTED = ('qcow2', 'vmdk', 'vhd', 'vhdx', 'iso', 'vdi')
# Formats a hypervisor interprets: never acceptable under another name.
DISK_FORMATS = ('qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi', 'qed', 'luks')


class FormatError(ValueError):
    """The data is not acceptable as the declared format."""


class Result:
    def __init__(self, fmt, virtual_size):
        self.format = fmt
        self.virtual_size = virtual_size

    def __repr__(self):
        return 'Result(%r, %r)' % (self.format, self.virtual_size)


class StreamInspector:
    """Feed it the chunks of an upload; it raises FormatError as soon as it
    knows the data is not acceptable as `declared`. Without `enforce` only
    unsafe data is refused, whatever the declared format."""

    def __init__(self, declared, enforce=True):
        self.declared = declared
        self.enforce = enforce
        self.total = 0
        self.live = [cls() for name, cls in format_inspector.ALL_FORMATS.items()
                     if name != 'raw']

    def feed(self, chunk):
        self.total += len(chunk)
        for inspector in list(self.live):
            try:
                inspector.eat_chunk(chunk)
            except Exception as exc:
                # Not parseable as this format: it is not this format.
                if self.enforce and inspector.NAME == self.declared:
                    raise FormatError('Image data is not %s: %s' % (
                        self.declared, exc))
                self.live.remove(inspector)
        if self.enforce:
            self._refuse_known_mismatch()
        # Formats the data has shown it is not need no more of it.
        self.live = [i for i in self.live if not i.complete or i.format_match]

    def _refuse_known_mismatch(self):
        for inspector in self.live:
            if not inspector.complete:
                continue
            name = inspector.NAME
            if name == self.declared and not inspector.format_match:
                raise FormatError('Image data is not %s.' % self.declared)
            if (name != self.declared and name in DISK_FORMATS
                    and inspector.format_match):
                raise FormatError('Image data is %s, not the declared %s.' % (
                    name, self.declared))

    def finish(self):
        """The Result for the whole stream; FormatError if it is not acceptable."""
        for inspector in self.live:
            inspector.finish()
        found = {i.NAME: i for i in self.live if i.format_match}
        if 'iso' in found:
            found.pop('gpt', None)      # a bootable ISO carries a partition table
        if len(found) > 1:
            raise FormatError('Image data is not acceptable: it matches more '
                              'than one format (%s).' % ', '.join(sorted(found)))
        if not found:
            return self._checked(Result('raw', self.total))
        name, inspector = found.popitem()
        try:
            inspector.safety_check()
            virtual_size = inspector.virtual_size or None
        except Exception as exc:    # a check failed, or a header lies
            raise FormatError('Image data is not acceptable as %s: %s.' % (
                name, exc))
        return self._checked(Result(name, virtual_size))

    def _checked(self, result):
        if not self.enforce:
            return result
        if self.declared in INSPECTED:
            mismatch = result.format != self.declared
        else:
            mismatch = result.format in DISK_FORMATS
        if mismatch:
            raise FormatError('Image data is %s, not the declared %s.' % (
                result.format, self.declared))
        return result
