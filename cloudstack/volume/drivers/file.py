"""Volumes as raw or qcow2 files in a directory (one per backend).

volume-<id> and snapshot-<id> live in <file_volumes_dir>/<backend>/. Every
file is written under a temporary name, fsync'd, renamed into place and its
directory fsync'd, so a file with its final name is complete: a task that
died half-way finds either nothing or a finished file. Files are sparse
unless [volume] file_preallocation says otherwise; snapshots and clones are
qemu-img copies (sparse), so a snapshot does not depend on its volume.
"""
import contextlib
import os
import shutil
import tempfile

from cloudstack import exception
from cloudstack.volume import qemu
from cloudstack.volume.drivers import base

TMP = '.tmp-'


class FileDriver(base.VolumeDriver):

    def __init__(self, conf, backend, host):
        super().__init__(conf, backend, host)
        root = conf.volume.file_volumes_dir or os.path.join(conf.data_dir, 'volumes')
        self.dir = os.path.join(root, backend)
        self.fmt = conf.volume.file_volume_format
        self.prealloc = conf.volume.file_preallocation
        self.scratch = conf.volume.image_conversion_dir or os.path.join(
            conf.data_dir, 'volume-conversion')

    # --- names ----------------------------------------------------------------
    def _file(self, name):
        if not name or '/' in name or name.startswith('.'):
            raise exception.BadRequest('Invalid file name %r.' % name)
        return os.path.join(self.dir, name)

    def path(self, volume):
        return self._file(volume.get('provider_location') or self.volume_name(volume['id']))

    def _snapshot_path(self, snapshot):
        return self._file(snapshot.get('provider_location')
                          or self.snapshot_name(snapshot['id']))

    @contextlib.contextmanager
    def _writing(self, final):
        """A temporary path next to `final`, renamed to it (durably) when the
        block ends without error; removed otherwise."""
        tmp = os.path.join(os.path.dirname(final), TMP + os.path.basename(final))
        qemu.remove(tmp)
        try:
            yield tmp
            qemu.fsync_path(tmp)
            os.rename(tmp, final)
            qemu.fsync_dir(os.path.dirname(final))
        finally:
            qemu.remove(tmp)

    # --- the backend ------------------------------------------------------------
    def setup(self):
        os.makedirs(self.dir, exist_ok=True)
        os.makedirs(self.scratch, exist_ok=True)
        if shutil.which(qemu.QEMU_IMG) is None:
            raise RuntimeError('the file volume driver needs qemu-img (qemu-utils)')
        for name in os.listdir(self.dir):     # what a crash left half-written
            if name.startswith(TMP):
                qemu.remove(os.path.join(self.dir, name))

    def stats(self):
        st = os.statvfs(self.dir)
        total = st.f_blocks * st.f_frsize / base.GiB
        free = st.f_bavail * st.f_frsize / base.GiB
        return {
            'vendor_name': self.vendor_name, 'driver_version': self.driver_version,
            'total_capacity_gb': round(total, 2), 'free_capacity_gb': round(free, 2),
            'reserved_percentage': self.conf.volume.reserved_percentage,
            'thin_provisioning_support': self.prealloc == 'off',
            'thick_provisioning_support': self.prealloc != 'off',
            'max_over_subscription_ratio': self.conf.volume.max_over_subscription_ratio,
            'multiattach': True, 'online_extend_support': True,
            'QoS_support': False, 'sparse_copy_volume': True,
            'file_format': self.fmt,
        }

    def volume_format(self):
        return self.fmt

    def exists(self, volume):
        return os.path.exists(self.path(volume))

    def list_names(self):
        return sorted(os.listdir(self.dir)) if os.path.isdir(self.dir) else []

    def list_manageable(self, kind='volume'):
        prefix = 'snapshot-' if kind == 'snapshot' else None
        out = []
        for name in self.list_names():
            if name.startswith(TMP) or (prefix and not name.startswith(prefix)) or (
                    not prefix and name.startswith('snapshot-')):
                continue
            try:
                size = qemu.info(self._file(name), self.fmt)['virtual-size']
            except (qemu.CommandError, ValueError):
                continue
            out.append({'name': name, 'size': -(-size // base.GiB)})
        return out

    # --- volumes ----------------------------------------------------------------
    def create(self, volume):
        final = self.path(volume)
        if not os.path.exists(final):
            with self._writing(final) as tmp:
                qemu.create(tmp, self.fmt, volume['size'] * base.GiB, self.prealloc)
        return os.path.basename(final)

    def _copy_in(self, volume, source, source_fmt):
        """The volume as a copy of file `source`, grown to the volume's size."""
        final = self.path(volume)
        if not os.path.exists(final):
            with self._writing(final) as tmp:
                qemu.convert(source, source_fmt, tmp, self.fmt, self.prealloc)
                size = volume['size'] * base.GiB
                if qemu.info(tmp, self.fmt)['virtual-size'] < size:
                    qemu.resize(tmp, self.fmt, size, self.prealloc)
        return os.path.basename(final)

    def create_from_image(self, volume, image_path, image_format):
        return self._copy_in(volume, image_path, image_format)

    def create_from_snapshot(self, volume, snapshot):
        return self._copy_in(volume, self._snapshot_path(snapshot), self.fmt)

    def clone(self, volume, source):
        return self._copy_in(volume, self.path(source), self.fmt)

    def delete(self, volume):
        final = self.path(volume)
        qemu.remove(os.path.join(self.dir, TMP + os.path.basename(final)))
        qemu.remove(final)

    def extend(self, volume, new_size):
        qemu.resize(self.path(volume), self.fmt, new_size * base.GiB, self.prealloc)
        qemu.fsync_path(self.path(volume))

    # --- snapshots ----------------------------------------------------------------
    def create_snapshot(self, snapshot, volume):
        final = self._snapshot_path(snapshot)
        if not os.path.exists(final):
            with self._writing(final) as tmp:
                qemu.convert(self.path(volume), self.fmt, tmp, self.fmt)
        return os.path.basename(final)

    def delete_snapshot(self, snapshot):
        final = self._snapshot_path(snapshot)
        qemu.remove(os.path.join(self.dir, TMP + os.path.basename(final)))
        qemu.remove(final)

    def revert(self, volume, snapshot):
        final = self.path(volume)
        with self._writing(final) as tmp:
            qemu.convert(self._snapshot_path(snapshot), self.fmt, tmp, self.fmt,
                         self.prealloc)

    # --- raw bytes (backups, uploads, migrations) ------------------------------------
    @contextlib.contextmanager
    def raw_reader(self, item, kind='volume'):
        path = self.path(item) if kind == 'volume' else self._snapshot_path(item)
        if self.fmt == 'raw':
            yield path
            return
        with self._scratch_file() as tmp:
            qemu.convert(path, self.fmt, tmp, 'raw')
            yield tmp

    @contextlib.contextmanager
    def raw_writer(self, volume):
        final = self.path(volume)
        if self.fmt == 'raw':
            with open(final, 'r+b') as f:     # zeros (sparse) where nothing is written
                f.truncate(0)
                f.truncate(volume['size'] * base.GiB)
            yield final
            qemu.fsync_path(final)
            return
        with self._scratch_file() as tmp:
            qemu.create(tmp, 'raw', volume['size'] * base.GiB)
            yield tmp
            with self._writing(final) as out:
                qemu.convert(tmp, 'raw', out, self.fmt, self.prealloc)

    @contextlib.contextmanager
    def _scratch_file(self):
        os.makedirs(self.scratch, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.scratch, prefix='raw-')
        os.close(fd)
        try:
            yield tmp
        finally:
            qemu.remove(tmp)

    # --- manage -------------------------------------------------------------------
    def _adopt(self, ref, final, kind):
        name = (ref or {}).get('source-name')
        if not name and (ref or {}).get('source-id'):
            name = '%s-%s' % (kind, ref['source-id'])
        if not name:
            raise exception.BadRequest('Manage existing: the reference needs '
                                       'source-name or source-id.')
        found = self._file(name)
        if os.path.exists(final) and not os.path.exists(found):
            return final                        # adopted already (a rerun)
        if not os.path.isfile(found):
            raise exception.BadRequest('Manage existing: %s not found on backend %s.'
                                       % (name, self.backend))
        if qemu.info(found)['format'] != self.fmt:
            raise exception.BadRequest('Manage existing: %s is not a %s file.'
                                       % (name, self.fmt))
        os.rename(found, final)
        qemu.fsync_dir(self.dir)
        return final

    def manage_existing(self, volume, ref):
        final = self._adopt(ref, self._file(self.volume_name(volume['id'])), 'volume')
        return -(-qemu.info(final, self.fmt)['virtual-size'] // base.GiB)

    def manage_existing_snapshot(self, snapshot, ref):
        final = self._adopt(ref, self._file(self.snapshot_name(snapshot['id'])),
                            'snapshot')
        return -(-qemu.info(final, self.fmt)['virtual-size'] // base.GiB)
