"""A store keeping each image as one file under filesystem_store_datadir.

A write goes to .tmp-<image id>-<random> and is renamed to <image id> once
complete and fsync'd.
"""
import contextlib
import os
import tempfile
import time

from cloudstack.image.stores import base

PREFIX = 'file://'
TMP = '.tmp-'
UNNAMED_GRACE = 3600    # seconds: a temp file naming no image is removed when this old


def tmp_image_id(name):
    """The image id a temp file .tmp-<id>-<random> belongs to, or None."""
    if not name.startswith(TMP):
        return None
    image_id, sep, _ = name[len(TMP):].rpartition('-')
    return image_id if sep and image_id else None


def partials(directory):
    """(image id, remove) of the temp files in `directory` (see Store.partials)."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return
    for name in names:
        if not name.startswith(TMP):
            continue
        path = os.path.join(directory, name)
        image_id = tmp_image_id(name)
        if image_id is None:
            with contextlib.suppress(FileNotFoundError):
                if time.time() - os.stat(path).st_mtime < UNNAMED_GRACE:
                    continue
        yield image_id, lambda path=path: _unlink(path)


def _unlink(path):
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


class FileStore(base.Store):
    name = 'file'

    def __init__(self, conf, store_id=None):
        super().__init__(conf, store_id)
        if self.id == 'file':
            self.datadir = (conf.image.filesystem_store_datadir
                            or os.path.join(conf.data_dir, 'images'))
        else:
            self.datadir = os.path.join(conf.data_dir, 'images-%s' % self.id)

    def _path(self, location):
        if not location.startswith(PREFIX):
            raise base.NotFound('not a file store location: %s' % location)
        path = os.path.realpath(location[len(PREFIX):])
        if os.path.dirname(path) != os.path.realpath(self.datadir):
            raise base.NotFound('location outside the store: %s' % location)
        return path

    def add(self, image_id, chunks):
        os.makedirs(self.datadir, exist_ok=True)
        final = os.path.join(self.datadir, image_id)
        fd, tmp = tempfile.mkstemp(dir=self.datadir, prefix='%s%s-' % (TMP, image_id))
        size = 0
        try:
            with os.fdopen(fd, 'wb') as f:
                for chunk in chunks:
                    f.write(chunk)
                    size += len(chunk)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, final)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        dirfd = os.open(self.datadir, os.O_RDONLY)
        try:
            os.fsync(dirfd)
        finally:
            os.close(dirfd)
        return PREFIX + final, size

    def get(self, location, chunk_size=65536, offset=0, length=None):
        path = self._path(location)
        if not os.path.isfile(path):
            raise base.NotFound(location)

        def chunks():
            # Opened on first read: a HEAD or an abandoned response holds no file.
            with open(path, 'rb') as f:
                if offset:
                    f.seek(offset)
                left = length
                while left is None or left > 0:
                    data = f.read(chunk_size if left is None else min(chunk_size, left))
                    if not data:
                        return
                    if left is not None:
                        left -= len(data)
                    yield data
        return chunks()

    def delete(self, location):
        try:
            os.unlink(self._path(location))
        except (FileNotFoundError, base.NotFound):
            pass

    def size(self, location):
        try:
            return os.path.getsize(self._path(location))
        except FileNotFoundError:
            raise base.NotFound(location)

    def contents(self):
        try:
            names = os.listdir(self.datadir)
        except FileNotFoundError:
            return
        for name in names:
            if not name.startswith('.'):
                yield name, PREFIX + os.path.join(self.datadir, name)

    def partials(self):
        return partials(self.datadir)
