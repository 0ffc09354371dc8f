"""The interface every image store implements.

A store keeps the bytes of images. The manager hands it an iterable of byte
chunks (already counted, hashed and format-inspected on the way through) and
records the location the store answers with; reads come back as chunks.
"""
import abc


class StoreError(Exception):
    """The store could not complete an operation."""


class NotFound(StoreError):
    """No data at that location."""


class Store(abc.ABC):
    name = None     # the store type
    read_only = False   # serves data it never wrote (add() refuses)

    def __init__(self, conf, store_id=None):
        self.conf = conf
        self.id = store_id or self.name

    def check_location(self, url):
        """ValueError unless a client may give `url` as a location of this
        store (only stores reading remote data accept any)."""
        raise ValueError('locations of this store are written by the server only')

    @abc.abstractmethod
    def add(self, image_id, chunks):
        """Write `chunks` (an iterable of bytes) as the data of `image_id`,
        streaming, durable before returning (location, size). If the iterable
        raises, nothing is left behind and the error propagates."""

    @abc.abstractmethod
    def get(self, location, chunk_size=65536, offset=0, length=None):
        """An iterator over the bytes at `location` (from `offset`, `length`
        of them when given); NotFound if absent."""

    @abc.abstractmethod
    def delete(self, location):
        """Remove the data at `location`; absent data is not an error."""

    @abc.abstractmethod
    def size(self, location):
        """Bytes stored at `location`; NotFound if absent."""

    # -- what a crash may leave (the manager's clean-up asks) --------------

    def contents(self):
        """(image id, location) of each image's data this store holds, so that
        data no image refers to (written, then the process died before the
        image recorded it) can be found; stores that cannot tell yield nothing."""
        return ()

    def partials(self):
        """(image id, remove) of each write that never finished, with a callable
        removing it; image id None for one too old to be anyone's."""
        return ()
