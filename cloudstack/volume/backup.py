"""Backups as objects in Object Storage, through its manager in-process.

A backup of a volume of N bytes cut into chunks of C bytes ([volume]
backup_chunk_size) is, in <account>/<container>/<prefix>/:
  chunk-<index>   the chunks holding data (all-zero chunks and holes are not
                  stored), optionally zlib-compressed;
  manifest        JSON written last: the size, the chunk size, and for each
                  stored chunk [index, object path, sha256, stored length],
                  plus the volume's name, description and metadata.
An incremental backup hashes every chunk and stores only those whose hash
differs from its parent's; its manifest names the parent's objects for the
others, so a restore reads one manifest and exactly the chunks it needs.
A restore verifies each chunk's sha256.
"""
import hashlib
import json
import logging
import os
import zlib

from cloudstack import exception
from cloudstack.volume import qemu

LOG = logging.getLogger(__name__)

FORMAT = 'cloudstack-volume-backup/1'
MANIFEST = 'manifest'


class BackupError(exception.CloudstackError):
    pass


def _object_manager():
    from cloudstack.object_store import manager
    return manager.get()


def _grant(account):
    from cloudstack.object_store import policies
    return policies.grant(account)


class Store:
    """One container of one account, as a place for backup objects."""

    def __init__(self, account, container):
        self.account, self.container = account, container
        self.ctx = _grant(account)
        self.mgr = _object_manager()

    def ensure_container(self):
        try:
            self.mgr.get_container(self.ctx, self.account, self.container)
        except exception.NotFound:
            self.mgr.put_container(self.ctx, self.account, self.container, {}, [], {})

    def put(self, name, data):
        self.mgr.put_object(self.ctx, self.account, self.container, name, iter([data]),
                            'application/octet-stream', {})

    def get(self, name):
        _, row = self.mgr.get_object(self.ctx, self.account, self.container, name)
        _, chunks = self.mgr.read_object(self.account, self.container, row)
        try:
            return b''.join(chunks)
        finally:
            close = getattr(chunks, 'close', None)
            if close:
                close()

    def delete(self, name):
        try:
            self.mgr.delete_object(self.ctx, self.account, self.container, name)
        except exception.NotFound:
            pass

    def names(self, prefix):
        """Every object name under `prefix`, page by page."""
        from cloudstack.object_store.manager import Listing
        out, marker = [], None
        while True:
            try:
                _, page = self.mgr.list_objects(
                    self.ctx, self.account, self.container,
                    Listing(prefix=prefix, marker=marker))
            except exception.NotFound:
                return out
            names = [row.name for row in page]
            if not names:
                return out
            out.extend(names)
            marker = names[-1]


def _object_path(container, name):
    return '%s/%s' % (container, name)


def read_manifest(account, container, prefix):
    try:
        return json.loads(Store(account, container).get('%s/%s' % (prefix, MANIFEST)))
    except exception.NotFound:
        raise BackupError('Backup data %s/%s/%s is missing.' % (account, container, prefix))


def write(source_path, size_bytes, account, container, prefix, chunk_size,
          compression='none', parent=None, volume_info=None):
    """Back up `size_bytes` of the raw data at `source_path`; returns
    (manifest, number of objects written). `parent`: the parent's manifest."""
    store = Store(account, container)
    store.ensure_container()
    inherited = {c[0]: c for c in (parent or {}).get('chunks', [])}
    if parent and parent.get('chunk_size') != chunk_size:
        inherited = {}
    chunks, written = [], 0
    with open(source_path, 'rb') as f:
        wanted = qemu.blocking(_chunks_with_data, f.fileno(), size_bytes, chunk_size)
        for index in sorted(wanted):
            found = qemu.blocking(_read_chunk, f, index, chunk_size, size_bytes,
                                  compression)
            if found is None:
                continue
            digest, payload = found
            old = inherited.get(index)
            if old is not None and old[2] == digest:
                chunks.append(old)
                continue
            name = '%s/chunk-%08d' % (prefix, index)
            store.put(name, payload)
            written += 1
            chunks.append([index, _object_path(container, name), digest, len(payload)])
    manifest = {'format': FORMAT, 'size_bytes': size_bytes, 'chunk_size': chunk_size,
                'compression': compression, 'chunks': chunks,
                'parent': (parent or {}).get('prefix'), 'prefix': prefix,
                'volume': volume_info or {}}
    store.put('%s/%s' % (prefix, MANIFEST), json.dumps(manifest).encode())
    return manifest, written + 1


def _read_chunk(f, index, chunk_size, size_bytes, compression):
    """(sha256, stored bytes) of a chunk, or None when it is all zeros."""
    f.seek(index * chunk_size)
    data = f.read(min(chunk_size, size_bytes - index * chunk_size))
    if not data or not data.strip(b'\0'):
        return None
    digest = hashlib.sha256(data).hexdigest()
    return digest, zlib.compress(data, 1) if compression == 'zlib' else data


def _write_chunk(fd, payload, compression, digest, offset, path):
    data = zlib.decompress(payload) if compression == 'zlib' else payload
    if hashlib.sha256(data).hexdigest() != digest:
        raise BackupError('Backup chunk %s is corrupt (sha256 mismatch).' % path)
    os.pwrite(fd, data, offset)


def _chunks_with_data(fd, size, chunk_size):
    """Indexes of the chunks that overlap data (not holes) of the file."""
    found = set()
    for offset, length in qemu.data_extents(fd, size):
        first, last = offset // chunk_size, (offset + length - 1) // chunk_size
        found.update(range(first, last + 1))
    return found


def restore(manifest, account, target_path):
    """Write the backup's chunks into `target_path` (which reads as zeros where
    nothing is written), checking every chunk's sha256."""
    stores = {}
    chunk_size = manifest['chunk_size']
    fd = os.open(target_path, os.O_WRONLY)
    try:
        for index, path, digest, _length in manifest['chunks']:
            container, _, name = path.partition('/')
            store = stores.get(container) or stores.setdefault(
                container, Store(account, container))
            payload = store.get(name)
            qemu.blocking(_write_chunk, fd, payload, manifest.get('compression'), digest,
                          index * chunk_size, path)
        qemu.blocking(os.fsync, fd)
    finally:
        os.close(fd)


def delete(account, container, prefix):
    """Remove a backup's own objects (its manifest last)."""
    store = Store(account, container)
    manifest_name = '%s/%s' % (prefix, MANIFEST)
    for name in store.names(prefix + '/'):
        if name != manifest_name:
            store.delete(name)
    store.delete(manifest_name)
