"""A store keeping each image as one file under filesystem_store_datadir."""
import os
import tempfile

from cloudstack.image.stores import base

PREFIX = 'file://'


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
        fd, tmp = tempfile.mkstemp(dir=self.datadir, prefix='.tmp-')
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
