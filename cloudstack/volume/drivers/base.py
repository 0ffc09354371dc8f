"""The volume driver interface.

A driver serves one backend of one host. It receives volumes and snapshots
as dicts ({'id', 'size' (GiB), 'provider_location', ...}) and returns what
it needs to find them again (provider_location). Every method is idempotent:
a task that died half-way runs it again. Methods block (subprocesses, disk
I/O); the agent calls them in a worker thread.
"""
import abc
import contextlib

from cloudstack import exception

GiB = 1024 ** 3


class NotSupported(exception.BadRequest):
    """The driver cannot do this operation."""


class VolumeDriver(abc.ABC):
    vendor_name = 'Open Source'
    driver_version = '1.0.0'

    def __init__(self, conf, backend, host):
        self.conf = conf
        self.backend = backend
        self.host = host

    def volume_name(self, volume_id):
        return 'volume-%s' % volume_id

    def snapshot_name(self, snapshot_id):
        return 'snapshot-%s' % snapshot_id

    @abc.abstractmethod
    def setup(self):
        """Check the backend is usable (tools, directories); raise if not."""

    @abc.abstractmethod
    def stats(self):
        """Capabilities of the backend's one pool: total_capacity_gb,
        free_capacity_gb, thin_provisioning_support, multiattach, ..."""

    @abc.abstractmethod
    def volume_format(self):
        """'raw' or 'qcow2': how a volume's data reads at its path."""

    @abc.abstractmethod
    def path(self, volume):
        """The local path of a volume's data (a file or a block device)."""

    @abc.abstractmethod
    def exists(self, volume):
        """Whether the volume's data exists."""

    @abc.abstractmethod
    def create(self, volume):
        """A blank volume of volume['size'] GiB; returns provider_location."""

    @abc.abstractmethod
    def create_from_image(self, volume, image_path, image_format):
        """A volume holding the image at image_path (a checked qemu format)."""

    @abc.abstractmethod
    def create_from_snapshot(self, volume, snapshot):
        """A volume holding the snapshot's data, grown to volume['size']."""

    @abc.abstractmethod
    def clone(self, volume, source):
        """A volume holding a copy of `source` (a volume), grown to its size."""

    @abc.abstractmethod
    def delete(self, volume):
        """Remove the volume's data (nothing to do when it is gone)."""

    @abc.abstractmethod
    def extend(self, volume, new_size):
        """Grow the volume to new_size GiB."""

    @abc.abstractmethod
    def create_snapshot(self, snapshot, volume):
        """A point-in-time copy of the volume; returns provider_location."""

    @abc.abstractmethod
    def delete_snapshot(self, snapshot):
        """Remove a snapshot's data."""

    @abc.abstractmethod
    def revert(self, volume, snapshot):
        """Make the volume hold the snapshot's data again."""

    @contextlib.contextmanager
    def raw_reader(self, item, kind='volume'):
        """A path to read `item`'s (a volume's or snapshot's) raw bytes from."""
        raise NotSupported('%s cannot read volumes' % type(self).__name__)
        yield  # pragma: no cover

    @contextlib.contextmanager
    def raw_writer(self, volume):
        """A path to write the volume's raw bytes to, reading as zeros where
        nothing is written; kept (and made durable) when the block ends
        without error."""
        raise NotSupported('%s cannot write volumes' % type(self).__name__)
        yield  # pragma: no cover

    def copy_to(self, volume, other, destination):
        """Copy `volume` into the new volume `other` of `destination` (a
        driver, possibly of another backend): a migration."""
        with self.raw_reader(volume) as src:
            return destination.create_from_image(other, src, 'raw')

    # --- adopting data the backend has but the database does not know --------
    def manage_existing(self, volume, ref):
        """Adopt backend data named by `ref` as `volume`; returns its size in GiB."""
        raise NotSupported('%s cannot manage existing volumes' % type(self).__name__)

    def unmanage(self, volume):
        """Forget the volume, leaving its data on the backend."""

    def manage_existing_snapshot(self, snapshot, ref):
        raise NotSupported('%s cannot manage existing snapshots' % type(self).__name__)

    def unmanage_snapshot(self, snapshot):
        """Forget the snapshot, leaving its data."""

    def list_names(self):
        """Names of everything the backend holds for us (for leak checks)."""
        return []

    def list_manageable(self, kind='volume'):
        """[{'name', 'size' (GiB)}] of what the backend holds that could be a
        volume (or a snapshot): what manage_existing takes as source-name."""
        return []
