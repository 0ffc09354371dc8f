"""The object backend interface: bytes of objects, placed on devices by the ring.

Listings (accounts, containers, object names, sizes, etags) live in SQL and
belong to the manager; a backend stores each object's data and metadata as N
replicas and answers for them. Names are the account (AUTH_<project_id>),
the container and the object name (UTF-8 text, up to 1024 bytes).
"""
import abc
import dataclasses


@dataclasses.dataclass
class ObjectInfo:
    etag: str              # MD5 hex of the data
    size: int
    timestamp: str         # Swift-style 'seconds.micros' (e.g. '1700000000.12345'), the version
    content_type: str
    metadata: dict         # headers kept with the object: X-Object-Meta-*, Content-Encoding,
                           # Content-Disposition, X-Delete-At, X-Object-Manifest ...


class QuorumError(Exception):
    """Fewer than a quorum of replicas could be written."""


class ChecksumMismatch(Exception):
    """The client's ETag does not match the data received."""


class ObjectBackend(abc.ABC):
    @classmethod
    @abc.abstractmethod
    def from_config(cls, conf=None):
        """The backend this configuration describes ([object_store] options)."""

    @abc.abstractmethod
    def put(self, account, container, obj, chunks, content_type, metadata,
            etag=None, timestamp=None):
        """Write the object from an iterable of byte chunks, streaming (never
        the whole object in memory), to every replica; fsync'd on at least a
        quorum before returning ObjectInfo. A given `etag` that does not match
        raises ChecksumMismatch and leaves nothing behind. A crash at any
        point leaves the previous version (or nothing) visible, never a part."""

    @abc.abstractmethod
    def get(self, account, container, obj, start=None, end=None):
        """(ObjectInfo, iterator of byte chunks) of the newest replica, bytes
        [start, end] inclusive when given. A replica that is missing or fails
        its checksum is skipped for another. KeyError when no replica has it
        (or the newest is a deletion)."""

    @abc.abstractmethod
    def head(self, account, container, obj):
        """ObjectInfo of the newest replica; KeyError when absent."""

    @abc.abstractmethod
    def post(self, account, container, obj, content_type, metadata, timestamp=None):
        """Replace the object's metadata (Swift POST semantics); KeyError when absent."""

    @abc.abstractmethod
    def delete(self, account, container, obj, timestamp=None, check=True):
        """Delete every replica, leaving a timestamped tombstone so that a
        stale replica is never resurrected; KeyError when absent (with
        `check`; without, the caller knows it exists and the tombstones are
        written without looking)."""
