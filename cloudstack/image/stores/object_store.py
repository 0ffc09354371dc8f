"""A store keeping each image as one object in the Object Storage service.

The data goes through the Object Storage manager in-process (no HTTP, no
token): the store acts with a context granted the one account it uses,
[image] object_store_account, and keeps image `X` as object `X` of container
[image] object_store_container. Locations read
object_store://<account>/<container>/<image id>.
"""
import urllib.parse

from cloudstack import exception
from cloudstack.image.stores import base

PREFIX = 'object_store://'


class ObjectStore(base.Store):
    name = 'object_store'

    def __init__(self, conf, store_id=None):
        super().__init__(conf, store_id)
        self.account = conf.image.object_store_account
        self.container = conf.image.object_store_container

    @staticmethod
    def _manager():
        from cloudstack.object_store import manager
        return manager.get()

    def _context(self):
        from cloudstack.object_store import policies
        return policies.grant(self.account)

    def _location(self, image_id):
        return PREFIX + '/'.join(urllib.parse.quote(p, safe='')
                                 for p in (self.account, self.container, image_id))

    def _parse(self, location):
        if not location.startswith(PREFIX):
            raise base.NotFound('not an object store location: %s' % location)
        parts = [urllib.parse.unquote(p) for p in location[len(PREFIX):].split('/')]
        if len(parts) != 3 or parts[:2] != [self.account, self.container]:
            raise base.NotFound('location outside the store: %s' % location)
        return parts[2]

    def _object(self, obj):
        try:
            return self._manager().get_object(self._context(), self.account,
                                              self.container, obj)
        except exception.NotFound:
            raise base.NotFound(obj)

    def add(self, image_id, chunks):
        mgr, ctx = self._manager(), self._context()
        try:
            _, row = mgr.put_object(ctx, self.account, self.container, image_id,
                                    chunks, 'application/octet-stream', {})
        except exception.NotFound:
            # First image of this store: make its container, then write.
            mgr.put_container(ctx, self.account, self.container, {}, [], {})
            _, row = mgr.put_object(ctx, self.account, self.container, image_id,
                                    chunks, 'application/octet-stream', {})
        return self._location(image_id), row.size

    def get(self, location, chunk_size=65536, offset=0, length=None):
        _, row = self._object(self._parse(location))
        start = end = None
        if offset or length is not None:
            start = offset
            end = row.size - 1 if length is None else min(offset + length, row.size) - 1

        def chunks():
            # Read on first use: an abandoned response opens nothing.
            if start is not None and end < start:
                return
            try:
                _, it = self._manager().read_object(self.account, self.container,
                                                    row, start, end)
            except exception.NotFound:
                raise base.NotFound(location)
            try:
                yield from it
            finally:
                close = getattr(it, 'close', None)
                if close:
                    close()
        return chunks()

    def delete(self, location):
        try:
            obj = self._parse(location)
            self._manager().delete_object(self._context(), self.account,
                                          self.container, obj)
        except (base.NotFound, exception.NotFound):
            pass

    def size(self, location):
        _, row = self._object(self._parse(location))
        return row.size

    def contents(self):
        from cloudstack.object_store import manager
        marker = ''
        while True:
            try:
                _, _, rows = self._manager().list_objects(
                    self._context(), self.account, self.container,
                    manager.Listing(marker=marker, limit=1000))
            except exception.NotFound:
                return      # no image written here yet
            if not rows:
                return
            for row in rows:
                yield row.name, self._location(row.name)
            marker = rows[-1].name
