"""The Object Storage manager: accounts, containers and objects.

Listings and stats live in SQL (models.py); object bytes in the backend
(ring + replicas, backend/base.py). The API hands this manager names,
metadata and byte iterators once it has decided the caller may (policies.py);
the manager trusts the context and keeps SQL and the backend in step. Callers
that read a container's row already (the API, to check its ACLs) hand it on
as `crow`.

Ordering between the two stores, chosen so that nothing acknowledged is lost:
- PUT: the backend write first (durable on a quorum), then the listing row
  and the stats in one transaction, then the 201. A crash in between leaves
  bytes without a row: invisible (GET/HEAD go by the row), never a partial
  object; the next PUT of the name overwrites them.
- DELETE: the backend tombstone first, then the row, then the 204. A crash in
  between leaves a row whose object is gone; the first GET/HEAD/DELETE that
  meets it finds the backend's KeyError and drops the row (self-healing), so
  a deleted object never comes back.
- Expiry (X-Delete-At): an expired object answers 404 at once and is
  hidden from listings; its bytes and row are removed on access and by the
  periodic sweep `expire_objects`.
"""
import contextlib
import datetime
import functools
import json
import logging
import threading
import time

import sqlalchemy as sa

from cloudstack import drivers
from cloudstack import exception
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.object_store import backend as backend_pkg
from cloudstack.object_store import models
from cloudstack.object_store import policies

LOG = logging.getLogger(__name__)

# Swift's constraints (what /info reports).
MAX_FILE_SIZE = 5 * 1024 ** 3
MAX_OBJECT_NAME_LENGTH = 1024
MAX_CONTAINER_NAME_LENGTH = 256
MAX_ACCOUNT_NAME_LENGTH = 256
MAX_META_NAME_LENGTH = 128
MAX_META_VALUE_LENGTH = 256
MAX_META_COUNT = 90
MAX_META_OVERALL_SIZE = 4096
MAX_HEADER_SIZE = 8192
CONTAINER_LISTING_LIMIT = 10000
ACCOUNT_LISTING_LIMIT = 10000
EXTRA_HEADER_COUNT = 0
# Where an account keeps its ACL (policies.py reads it).
ACCOUNT_ACL = 'X-Account-Sysmeta-Core-Access-Control'
# The domain of the account's project, recorded at its owner's first write
# (shown as X-Account-Project-Domain-Id, as keystoneauth records it).
PROJECT_DOMAIN = 'X-Account-Sysmeta-Project-Domain-Id'
# Object headers kept with the object besides X-Object-Meta-*.
OBJECT_HEADERS = ('Content-Disposition', 'Content-Encoding', 'Content-Language',
                  'Cache-Control', 'Expires', 'X-Delete-At', 'X-Robots-Tag',
                  'X-Object-Manifest')


# Content-type parameters filters add for listings only (a large object's
# size and ETag, a link's target): kept by a POST or a copy that sets a new
# content type, never shown with the object itself.
LISTING_PARAMS = ('swift_bytes', 'slo_etag', 'symlink_target',
                  'symlink_target_account', 'symlink_target_etag',
                  'symlink_target_bytes')


def split_content_type(value):
    """(the content type without LISTING_PARAMS, [(param, raw value)])."""
    kept, params = [], []
    for i, part in enumerate((value or '').split(';')):
        name, sep, val = part.strip().partition('=')
        if i and sep and name.lower() in LISTING_PARAMS:
            params.append((name.lower(), val))
        else:
            kept.append(part)
    return ';'.join(kept), params


def keep_listing_params(new, old):
    """Content type `new` with the listing parameters of `old` it lacks."""
    have = {k for k, _ in split_content_type(new)[1]}
    return new + ''.join(';%s=%s' % (k, v) for k, v in split_content_type(old)[1]
                         if k not in have)


# Container sysmeta naming where a container syncs to (container_sync): its
# deletions are kept for the sync to push.
SYNC_TO = 'X-Container-Sysmeta-Sync-To'


def timestamp():
    """A Swift timestamp, normalised ('%016.5f')."""
    return normalize(time.time())


def normalize(ts):
    return '%016.5f' % float(ts)


def ts_datetime(ts):
    return datetime.datetime.fromtimestamp(float(ts), datetime.timezone.utc)


@functools.lru_cache(maxsize=4096)
def _iso_seconds(seconds):
    return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))


def iso(ts):
    """Listing form of a timestamp: 2024-01-01T00:00:00.000000 (UTC)."""
    # A listing formats thousands of them: a normalised timestamp
    # ('1700000000.12345') is split as text, its date cached by the second.
    if ts.__class__ is str:
        whole, dot, frac = ts.partition('.')
        if len(frac) == 5 and whole.isdigit():
            return '%s.%s0' % (_iso_seconds(int(whole)), frac)
    return ts_datetime(ts).strftime('%Y-%m-%dT%H:%M:%S.%f')


def listing_entry(name, size, etag, content_type, ts):
    """An object's entry in a JSON container listing, as Swift writes it
    (json.dumps of its keys in Swift's order)."""
    return json.dumps({'hash': etag, 'last_modified': iso(ts), 'bytes': size,
                       'name': name, 'content_type': content_type})


# --- backend ----------------------------------------------------------------
_backends = {}
_backend_lock = threading.Lock()


def _backend(policy=0):
    """The object backend of a storage policy (by number) of this
    configuration (one per data_dir)."""
    key = (CONF.data_dir, policy)
    with _backend_lock:
        backend = _backends.get(key)
        if backend is None:
            backend_class = drivers.load(backend_pkg.NAMESPACE, CONF.object_store.backend)
            backend = _backends[key] = backend_class.from_config(policy=policy)
        return backend


def policy_names():
    """The storage policies' names, by number ([object_store] storage_policies)."""
    return list(CONF.object_store.storage_policies or ['Policy-0'])


def policy_number(name):
    """The number of the storage policy called `name` (any case); 400 when
    there is none."""
    for number, known in enumerate(policy_names()):
        if known.lower() == (name or '').strip().lower():
            return number
    raise exception.BadRequest('Invalid X-Storage-Policy %r' % name)


# --- helpers ----------------------------------------------------------------
@contextlib.contextmanager
def _reader():
    """A read session whose rows stay usable after it ends."""
    with db_api.reader() as session:
        yield session
        session.expunge_all()


def _successor(prefix):
    """The smallest string greater than every string starting with prefix
    (None when there is none)."""
    for i in range(len(prefix) - 1, -1, -1):
        code = ord(prefix[i]) + 1
        if code == 0xD800:
            code = 0xE000           # surrogates are not valid in UTF-8
        if code <= 0x10FFFF:
            return prefix[:i] + chr(code)
    return None


def check_metadata(meta, kind):
    """Swift's metadata limits over {header: value} of one kind."""
    prefix = 'x-%s-meta-' % kind
    count = size = 0
    for key, value in meta.items():
        name = key[len(prefix):] if key.lower().startswith(prefix) else None
        if name is None:
            continue
        if not name:
            raise exception.BadRequest('Metadata name cannot be empty')
        count += 1
        size += len(name.encode()) + len(value.encode())
        if len(name.encode()) > MAX_META_NAME_LENGTH:
            raise exception.BadRequest(
                'Metadata name too long: %s%s' % (prefix, name))
        if len(value.encode()) > MAX_META_VALUE_LENGTH:
            raise exception.BadRequest(
                'Metadata value longer than %d: %s%s' % (
                    MAX_META_VALUE_LENGTH, prefix, name))
    if count > MAX_META_COUNT:
        raise exception.BadRequest('Too many metadata items; max %d' % MAX_META_COUNT)
    if size > MAX_META_OVERALL_SIZE:
        raise exception.BadRequest(
            'Total metadata too large; max %d' % MAX_META_OVERALL_SIZE)


def _merge_meta(current, updates, removes, keep_empty=False):
    """current updated; an empty value removes its key unless keep_empty
    (an object's metadata keeps empty values, as a PUT stores them)."""
    meta = dict(current or {})
    lower = {k.lower(): k for k in meta}
    for key in list(removes) + list(updates):
        old = lower.pop(key.lower(), None)
        if old is not None:
            meta.pop(old, None)
    for key, value in updates.items():
        if value != '' or keep_empty:
            meta[key] = value
            lower[key.lower()] = key
    return meta


def _retrying(work, attempts=3):
    """Run a write transaction again when a concurrent insert of the same
    name won (IntegrityError on the unique name; PostgreSQL cannot lock a
    row that does not exist yet)."""
    for attempt in range(attempts):
        try:
            return work()
        except sa.exc.IntegrityError:
            if attempt == attempts - 1:
                raise


class Listing:
    """Parameters of a container or account listing."""

    def __init__(self, prefix=None, delimiter=None, marker=None,
                 end_marker=None, limit=None, reverse=False, path=None):
        self.skip_subdirs = path is not None
        if path is not None:
            # Swift's `path`: the objects directly under a pseudo directory.
            prefix = path.rstrip('/') + '/' if path else ''
            delimiter = '/'
        self.prefix = prefix or ''
        self.delimiter = delimiter or ''
        self.marker = marker or ''
        self.end_marker = end_marker or ''
        self.limit = limit
        self.reverse = reverse


def _paged(query_page, listing, max_limit):
    """Walk names in order with keyset paging, folding delimiters into
    subdirs. `query_page(lower, upper, reverse, n)` returns rows with .name
    strictly between the bounds ('' = unbounded)."""
    limit = max_limit if listing.limit is None else min(listing.limit, max_limit)
    prefix, delim = listing.prefix, listing.delimiter
    lower, upper = (listing.end_marker, listing.marker) if listing.reverse \
        else (listing.marker, listing.end_marker)
    if prefix:
        # names >= prefix: the exclusive lower bound is anything just below it
        if not lower or lower < prefix:
            lower = ('', prefix)      # inclusive
        succ = _successor(prefix)
        if succ is not None and (not upper or upper > succ):
            upper = succ
    out = []
    while len(out) < limit:
        want = limit - len(out)
        rows = query_page(lower, upper, listing.reverse, want)
        if not delim:
            # nothing to fold: the page is the listing (the common case)
            out.extend(rows)
            break
        skip = None         # the subdir whose names this page still holds
        for row in rows:
            name = row.name
            if skip is not None and name.startswith(skip):
                continue
            if delim:
                idx = name.find(delim, len(prefix))
                if idx >= 0:
                    subdir = name[:idx + len(delim)]
                    if subdir != listing.marker and not listing.skip_subdirs:
                        out.append(subdir)
                    skip = subdir
                    # the next page starts past every name under subdir
                    if listing.reverse:
                        upper = subdir
                    else:
                        nxt = _successor(subdir)
                        if nxt is None:
                            return out[:limit]
                        lower = ('', nxt)
                    if len(out) >= limit:
                        break
                    continue
            out.append(row)
            if listing.reverse:
                upper = name
            else:
                lower = name
            if len(out) >= limit:
                break
        if len(rows) < want:
            break
    return out[:limit]


def _bounded(query, column, lower, upper, reverse):
    if lower:
        if isinstance(lower, tuple):
            query = query.where(column >= lower[1])
        else:
            query = query.where(column > lower)
    if upper:
        query = query.where(column < upper)
    return query.order_by(column.desc() if reverse else column)


# Reads of the hot paths: Core statements built once (bound per call) whose
# rows read like the models' objects.
_ACCOUNT_BY_NAME = sa.select(*db_api.attribute_columns(models.Account)).where(
    models.Account.name == sa.bindparam('account'))
_CONTAINER_BY_NAME = sa.select(*db_api.attribute_columns(models.Container)).join(
    models.Account).where(
    models.Account.name == sa.bindparam('account'),
    models.Container.name == sa.bindparam('container'))
_CONTAINER_BY_ID = sa.select(*db_api.attribute_columns(models.Container)).where(
    models.Container.id == sa.bindparam('id'))
# (not the listing entry, which only listings read)
_OBJECT_BY_NAME = sa.select(*(
    c for c in db_api.attribute_columns(models.Object) if c.name != 'listing')).where(
    models.Object.container_id == sa.bindparam('container_id'),
    models.Object.name == sa.bindparam('name'))

_OBJECT_FOR_UPDATE = _OBJECT_BY_NAME.with_for_update()
_OBJECT_TABLE = models.Object.__table__
_OBJECT_KEY = sa.and_(_OBJECT_TABLE.c.container_id == sa.bindparam('b_container_id'),
                      _OBJECT_TABLE.c.name == sa.bindparam('b_name'))
_OBJECT_UPDATE = _OBJECT_TABLE.update().where(_OBJECT_KEY)
# the size of what it removed: no read before (None: no such row)
_OBJECT_DELETE = _OBJECT_TABLE.delete().where(_OBJECT_KEY).returning(
    _OBJECT_TABLE.c.size)
_OBJECT_DELETE_VERSION = _OBJECT_TABLE.delete().where(
    _OBJECT_KEY, _OBJECT_TABLE.c.timestamp == sa.bindparam('b_timestamp')).returning(
    _OBJECT_TABLE.c.size)


# A container listing's JSON, joined by the database from the rows' listing
# entries; a row without one (written before they were kept) gets it made
# there: Swift's keys in Swift's order, last_modified from the normalised
# timestamp ('%016.5f').
_JSON_LISTING = {
    'sqlite': (
        "'[' || coalesce(group_concat(coalesce(listing, json_object("
        "'hash', etag, 'last_modified', strftime('%%Y-%%m-%%dT%%H:%%M:%%S', "
        "CAST(substr(\"timestamp\", 1, length(\"timestamp\") - 6) AS INTEGER), "
        "'unixepoch') || '.' || substr(\"timestamp\", -5) || '0', "
        "'bytes', size, 'name', name, 'content_type', content_type)), ', '), '') "
        "|| ']' /* %s */"),
    'postgresql': (
        "coalesce('[' || string_agg(coalesce(listing, json_build_object("
        "'hash', etag, 'last_modified', to_char(to_timestamp("
        "split_part(\"timestamp\", '.', 1)::bigint) AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS') || '.' || right(\"timestamp\", 5) || '0', "
        "'bytes', size, 'name', name, 'content_type', content_type)::text), ', ' "
        "ORDER BY name %s) || ']', '[]')"),
}


def _count_statement(table):
    c = table.c
    return sa.update(table).where(c.id == sa.bindparam('b_id')).values(
        object_count=c.object_count + sa.bindparam('b_count'),
        bytes_used=c.bytes_used + sa.bindparam('b_bytes'))


_COUNT_CONTAINER = _count_statement(models.Container.__table__)
_COUNT_ACCOUNT = _count_statement(models.Account.__table__)


class Manager:

    # --- accounts -----------------------------------------------------------
    def _ensure_account(self, account):
        row = db_api.read_first(_ACCOUNT_BY_NAME, {'account': account})
        if row is not None:
            return row
        if len(account.encode()) > MAX_ACCOUNT_NAME_LENGTH:
            raise exception.BadRequest('Account name too long')
        ts = timestamp()

        def create():
            with db_api.writer() as session:
                row = session.scalars(sa.select(models.Account).where(
                    models.Account.name == account)).first()
                if row is None:
                    row = models.Account(name=account, meta={}, created_at=ts,
                                         put_timestamp=ts, container_count=0,
                                         object_count=0, bytes_used=0)
                    session.add(row)
                    session.flush()
            return row
        return _retrying(create)

    def get_account(self, context, account):
        """The account's row; Swift makes an account on its first use."""
        return self._ensure_account(account)

    def record_project_domain(self, context, account):
        """Keep the domain of the project owning `account` when the caller
        is scoped to that project and it is not known yet."""
        domain = getattr(context, 'project_domain_id', None)
        if not domain or account != policies.RESELLER_PREFIX + (context.project_id or ''):
            return
        row = self._ensure_account(account)
        if PROJECT_DOMAIN not in (row.meta or {}):
            self.update_account(context, account, {PROJECT_DOMAIN: domain}, ())

    @staticmethod
    def account_acl(account):
        """The account's stored ACL (X-Account-Access-Control), or None."""
        row = db_api.read_first(_ACCOUNT_BY_NAME, {'account': account})
        return (row.meta or {}).get(ACCOUNT_ACL) if row is not None else None

    def list_containers(self, context, account, listing):
        acct = self._ensure_account(account)

        def page(lower, upper, reverse, n):
            c = models.Container
            q = sa.select(c.name, c.object_count, c.bytes_used, c.put_timestamp).where(
                models.Container.account_id == acct.id)
            q = _bounded(q, models.Container.name, lower, upper, reverse)
            with db_api.reader() as session:
                return session.execute(q.limit(n)).all()
        return acct, _paged(page, listing, ACCOUNT_LISTING_LIMIT)

    def update_account(self, context, account, meta, removes):
        self._ensure_account(account)
        check_metadata(meta, 'account')
        with db_api.writer() as session:
            row = self._lock_account(session, account)
            new = _merge_meta(row.meta, meta, removes)
            check_metadata(new, 'account')
            row.meta = new
            row.put_timestamp = timestamp()
        return row

    def _lock_account(self, session, account):
        return session.scalars(sa.select(models.Account).where(
            models.Account.name == account).with_for_update()).one()

    # --- containers ---------------------------------------------------------
    @staticmethod
    def container_row(account, container):
        """The container's row (its ACLs, counters...), or None."""
        return db_api.read_first(_CONTAINER_BY_NAME, {
            'account': account, 'container': container})

    def _find_container(self, account, container, crow=None):
        """`crow` when the caller already read the row, else the row or 404."""
        row = crow if crow is not None else self.container_row(account, container)
        if row is None:
            raise exception.NotFound('Not Found')
        return row

    def get_container(self, context, account, container, crow=None):
        return self._find_container(account, container, crow)

    def policy_stats(self, context, account_row):
        """{policy number: (containers, objects, bytes)} of an account."""
        c = models.Container
        with db_api.reader() as session:
            rows = session.execute(sa.select(
                c.storage_policy, sa.func.count(), sa.func.sum(c.object_count),
                sa.func.sum(c.bytes_used)).where(c.account_id == account_row.id).group_by(
                c.storage_policy)).all()
        return {p: (n, int(o or 0), int(b or 0)) for p, n, o, b in rows}

    def put_container(self, context, account, container, meta, removes,
                      acls, policy=None):
        """Create or update; True when created. `policy` (a number) is the
        new container's storage policy (default: the first); an existing
        container keeps its own, and asking for another is a conflict."""
        acct = self._ensure_account(account)
        if len(container.encode()) > MAX_CONTAINER_NAME_LENGTH:
            exc = exception.BadRequest(
                'Container name length of %d longer than %d' % (
                    len(container.encode()), MAX_CONTAINER_NAME_LENGTH))
            exc.headers['Content-Type'] = 'text/html; charset=UTF-8'   # as Swift
            raise exc
        check_metadata(meta, 'container')
        ts = timestamp()

        def write():
            with db_api.writer() as session:
                row = session.scalars(sa.select(models.Container).where(
                    models.Container.account_id == acct.id,
                    models.Container.name == container).with_for_update()).first()
                created = row is None
                if created:
                    row = models.Container(
                        account_id=acct.id, name=container, meta={}, created_at=ts,
                        put_timestamp=ts, object_count=0, bytes_used=0,
                        storage_policy=policy or 0)
                    session.add(row)
                    session.flush()
                    session.execute(sa.update(models.Account).where(
                        models.Account.id == acct.id).values(
                        container_count=models.Account.container_count + 1))
                elif policy is not None and policy != row.storage_policy:
                    raise exception.Conflict(
                        'Container already exists with a different storage policy')
                row.meta = _merge_meta(row.meta, meta, removes)
                check_metadata(row.meta, 'container')
                self._apply_acls(row, acls)
                row.put_timestamp = ts
            return created
        return _retrying(write)

    @staticmethod
    def _apply_acls(row, acls):
        for key, value in acls.items():
            if key == 'read':
                row.read_acl = value or None
            elif key == 'write':
                row.write_acl = value or None

    def update_container(self, context, account, container, meta, removes, acls):
        check_metadata(meta, 'container')
        with db_api.writer() as session:
            row = session.scalars(
                sa.select(models.Container).join(models.Account).where(
                    models.Account.name == account,
                    models.Container.name == container).with_for_update()).first()
            if row is None:
                raise exception.NotFound('Not Found')
            row.meta = _merge_meta(row.meta, meta, removes)
            check_metadata(row.meta, 'container')
            self._apply_acls(row, acls)
        return row

    def delete_container(self, context, account, container):
        row = self._find_container(account, container)
        self._expire_in(row.id)
        with db_api.writer() as session:
            row = session.get(models.Container, row.id, with_for_update=True)
            if row is None:
                raise exception.NotFound('Not Found')
            live = session.scalar(sa.select(models.Object.name).where(
                models.Object.container_id == row.id).limit(1))
            if live is not None:
                raise exception.Conflict(
                    'There was a conflict when trying to complete your request.')
            session.execute(sa.update(models.Account).where(
                models.Account.id == row.account_id).values(
                container_count=models.Account.container_count - 1))
            session.delete(row)

    def list_objects(self, context, account, container, listing, crow=None):
        row = self._find_container(account, container, crow)
        now = int(time.time())

        def page(lower, upper, reverse, n):
            # Core columns on the session's connection: no ORM row processing
            # for up to 10,000 rows.
            o = models.Object.__table__.c
            q = sa.select(o.name, o.size, o.etag, o.content_type, o.timestamp).where(
                o.container_id == row.id,
                sa.or_(o.delete_at.is_(None), o.delete_at > now))
            q = _bounded(q, o.name, lower, upper, reverse)
            with db_api.reader() as session:
                return session.connection().execute(q.limit(n)).all()
        return row, _paged(page, listing, CONTAINER_LISTING_LIMIT)

    def list_objects_json(self, context, account, container, listing, crow=None):
        """(container row, the JSON listing as text) made by the database
        itself (SQLite or PostgreSQL), which is several times faster than
        rows turned into JSON here; None when the listing folds names
        (a delimiter) or the database cannot."""
        dialect = db_api.get_engine().dialect.name
        if listing.delimiter or dialect not in _JSON_LISTING:
            return None
        row = self._find_container(account, container, crow)
        now = int(time.time())
        found = []

        def page(lower, upper, reverse, n):
            o = models.Object.__table__.c
            q = sa.select(o.name, o.size, o.etag, o.content_type, o.timestamp,
                          o.listing).where(
                o.container_id == row.id,
                sa.or_(o.delete_at.is_(None), o.delete_at > now))
            inner = _bounded(q, o.name, lower, upper, reverse).limit(n).subquery()
            agg = _JSON_LISTING[dialect] % ('DESC' if reverse else 'ASC')
            with db_api.reader() as session:
                found.append(session.connection().execute(
                    sa.select(sa.text(agg)).select_from(inner)).scalar())
            return []
        _paged(page, listing, CONTAINER_LISTING_LIMIT)
        return row, found[0] if found and found[0] else '[]'

    # --- objects ------------------------------------------------------------
    @staticmethod
    def _check_object_name(obj):
        n = len(obj.encode())
        if n > MAX_OBJECT_NAME_LENGTH:
            raise exception.BadRequest(
                'Object name length of %d longer than %d' % (n, MAX_OBJECT_NAME_LENGTH))

    @staticmethod
    def _container_by_id(container_id):
        return db_api.read_first(_CONTAINER_BY_ID, {'id': container_id})

    @staticmethod
    def _object_row(container_id, obj):
        return db_api.read_first(_OBJECT_BY_NAME, {'container_id': container_id,
                                                   'name': obj})

    def get_object(self, context, account, container, obj, crow=None):
        """(container row, object row) of a live object, or 404."""
        crow = self._find_container(account, container, crow)
        row = self._object_row(crow.id, obj)
        if row is None:
            raise exception.NotFound('Not Found')
        if row.delete_at is not None and row.delete_at <= time.time():
            self._expire(crow, row)
            raise exception.NotFound('Not Found')
        return crow, row

    def read_object(self, account, container, row, start=None, end=None, crow=None):
        """(ObjectInfo, iterator) of the object's bytes; 404 self-heals.
        `crow` (the container's row) tells its storage policy; else it is
        read."""
        if crow is None:
            crow = self._container_by_id(row.container_id)
        try:
            return _backend(crow.storage_policy).get(account, container, row.name,
                                                     start, end)
        except KeyError:
            self._drop_row(row.container_id, row.name, row.timestamp)
            raise exception.NotFound('Not Found')

    def put_object(self, context, account, container, obj, chunks,
                   content_type, meta, etag=None, if_none_match=False, crow=None):
        crow = self._find_container(account, container, crow)
        self._check_object_name(obj)
        check_metadata(meta, 'object')
        if if_none_match:
            existing = self._object_row(crow.id, obj)
            if existing is not None and not (
                    existing.delete_at is not None and existing.delete_at <= time.time()):
                raise exception.PreconditionFailed('Precondition Failed')
        return crow, self._store(account, crow, obj, chunks, content_type, meta, etag)

    def put_object_at(self, context, account, container, obj, chunks, content_type,
                      meta, ts, etag=None, crow=None):
        """put_object keeping timestamp `ts` (a container sync's write from
        another cluster): the newer write wins on both sides."""
        crow = self._find_container(account, container, crow)
        self._check_object_name(obj)
        check_metadata(meta, 'object')
        return crow, self._store(account, crow, obj, chunks, content_type, meta, etag,
                                 ts=ts)

    def _store(self, account, crow, obj, chunks, content_type, meta, etag=None,
               ts=None):
        """Write an object; `ts` keeps a given timestamp (container sync)."""
        from cloudstack.object_store.backend import base
        ts = normalize(ts) if ts else timestamp()
        try:
            info = _backend(crow.storage_policy).put(account, crow.name, obj, chunks,
                                                     content_type,
                                  meta, etag=etag, timestamp=ts)
        except base.ChecksumMismatch:
            exc = exception.CloudstackError('Unprocessable Entity')
            exc.code, exc.title = 422, 'Unprocessable Entity'
            raise exc
        except base.QuorumError:
            raise exception.ServiceUnavailable('Service Unavailable')
        delete_at = meta.get('X-Delete-At')
        values = dict(
            size=info.size, etag=info.etag, content_type=content_type,
            timestamp=normalize(info.timestamp or ts), meta=dict(meta),
            delete_at=int(delete_at) if delete_at else None)
        values['listing'] = listing_entry(obj, info.size, info.etag, content_type,
                                          values['timestamp'])

        def write():
            with db_api.writer() as session:
                conn = session.connection()
                key = {'container_id': crow.id, 'name': obj}
                old = conn.execute(_OBJECT_FOR_UPDATE, key).first()
                if old is not None and old.timestamp > values['timestamp']:
                    return old                  # a newer write won
                columns = dict(values, metadata=values['meta'])
                del columns['meta']
                if old is None:
                    conn.execute(_OBJECT_TABLE.insert(), dict(columns, **key))
                    self._count(session, crow, 1, values['size'])
                else:
                    conn.execute(_OBJECT_UPDATE, dict(columns, b_container_id=crow.id,
                                                      b_name=obj))
                    self._count(session, crow, 0, values['size'] - old.size)
                return models.Object(container_id=crow.id, name=obj, **values)
        return _retrying(write)

    @staticmethod
    def _count(session, crow, d_count, d_bytes):
        if not d_count and not d_bytes:
            return
        # Core statements on the session's connection: no ORM bookkeeping
        # (no session object holds these rows' counters).
        conn = session.connection()
        conn.execute(_COUNT_CONTAINER, {'b_id': crow.id, 'b_count': d_count,
                                        'b_bytes': d_bytes})
        conn.execute(_COUNT_ACCOUNT, {'b_id': crow.account_id, 'b_count': d_count,
                                      'b_bytes': d_bytes})

    def _drop_row(self, container_id, obj, ts=None, crow=None):
        key = {'b_container_id': container_id, 'b_name': obj}
        with db_api.writer() as session:
            conn = session.connection()
            if ts is None:
                size = conn.execute(_OBJECT_DELETE, key).scalar()
            else:       # only that version
                size = conn.execute(_OBJECT_DELETE_VERSION,
                                    dict(key, b_timestamp=ts)).scalar()
            if size is None:
                return False
            if crow is None or crow.id != container_id:
                crow = session.get(models.Container, container_id)
            self._count(session, crow, -1, -size)
        return True

    def update_object(self, context, account, container, obj, content_type, meta,
                      crow=None):
        """Swift POST: replace the object's metadata (and content type)."""
        crow, row = self.get_object(context, account, container, obj, crow=crow)
        check_metadata(meta, 'object')
        content_type = keep_listing_params(content_type, row.content_type) \
            if content_type else row.content_type
        # A POST replaces what users set, not what filters keep (sysmeta).
        kept = {k: v for k, v in (row.meta or {}).items()
                if k.lower().startswith('x-object-sysmeta-')
                or k == 'X-Static-Large-Object'}
        kept.update(meta)
        meta = kept
        ts = timestamp()
        try:
            _backend(crow.storage_policy).post(account, container, obj, content_type,
                                               meta, timestamp=ts)
        except KeyError:
            self._drop_row(crow.id, obj, row.timestamp)
            raise exception.NotFound('Not Found')
        delete_at = meta.get('X-Delete-At')
        with db_api.writer() as session:
            cur = session.get(models.Object, (crow.id, obj), with_for_update=True)
            if cur is None:
                raise exception.NotFound('Not Found')
            cur.meta = dict(meta)
            cur.content_type = content_type
            cur.delete_at = int(delete_at) if delete_at else None
            cur.listing = listing_entry(obj, cur.size, cur.etag, content_type,
                                        cur.timestamp)
        return cur

    def delete_object(self, context, account, container, obj, crow=None,
                      if_delete_at=None, ts=None):
        """Delete an object; with if_delete_at (seconds), only while its
        X-Delete-At is that (412 otherwise), as the expirer deletes; with `ts`
        (a container sync's deletion), only a write older than that (409)."""
        crow = self._find_container(account, container, crow)
        row = self._object_row(crow.id, obj)
        if row is None:
            raise exception.NotFound('Not Found')
        if if_delete_at is not None and (row.delete_at or 0) != if_delete_at:
            raise exception.PreconditionFailed(
                'X-If-Delete-At and X-Delete-At do not match')
        if ts is not None and row.timestamp >= normalize(ts):
            raise exception.Conflict('Conflict')
        expired = row.delete_at is not None and row.delete_at <= time.time()
        self._remove(account, crow, row, ts)
        if expired:
            raise exception.NotFound('Not Found')

    def _remove(self, account, crow, row, ts=None):
        ts = normalize(ts) if ts else timestamp()
        try:
            # the listing has it: no need to look before the tombstones
            _backend(crow.storage_policy).delete(account, crow.name, row.name,
                                                 timestamp=ts, check=False)
        except KeyError:
            pass
        if self._drop_row(crow.id, row.name, crow=crow) and \
                (crow.meta or {}).get(SYNC_TO):
            with db_api.writer() as session:
                session.merge(models.SyncDeletion(container_id=crow.id, name=row.name,
                                                  timestamp=ts))

    def _expire(self, crow, row):
        with _reader() as session:
            acct = session.get(models.Account, crow.account_id)
        self._remove(acct.name, crow, row)

    def copy_object(self, context, src_account, src_container, src_obj,
                    dst_account, dst_container, dst_obj, meta, content_type,
                    fresh=False, src_crow=None, dst_crow=None, byte_range=None):
        """Copy an object's bytes (streamed) and metadata; returns
        (source row, destination row). `byte_range(size)` gives the
        (first, last) bytes to copy, None for all."""
        src_crow, src = self.get_object(context, src_account, src_container, src_obj,
                                        crow=src_crow)
        first, last = byte_range(src.size) if byte_range else (None, None)
        dcrow = self._find_container(dst_account, dst_container, dst_crow)
        self._check_object_name(dst_obj)
        new_meta = {} if fresh else dict(src.meta)
        new_meta.pop('X-Static-Large-Object', None)
        if 'X-Delete-At' not in meta and 'X-Delete-After' not in meta:
            new_meta.pop('X-Delete-At', None)
        new_meta = _merge_meta(new_meta, meta, [], keep_empty=True)
        check_metadata(new_meta, 'object')
        _, chunks = self.read_object(src_account, src_container, src, first, last,
                                     crow=src_crow)
        row = self._store(dst_account, dcrow, dst_obj, chunks,
                          keep_listing_params(content_type, src.content_type)
                          if content_type else src.content_type, new_meta)
        return src, row

    # --- expiry -------------------------------------------------------------
    def _expire_in(self, container_id):
        now = int(time.time())
        with _reader() as session:
            crow = session.get(models.Container, container_id)
            rows = session.scalars(sa.select(models.Object).where(
                models.Object.container_id == container_id,
                models.Object.delete_at <= now)).all()
        for row in rows:
            self._expire(crow, row)

    def expire_objects(self, batch=1000):
        """Remove every object past its X-Delete-At; returns how many."""
        now = int(time.time())
        done = 0
        while True:
            with _reader() as session:
                rows = session.execute(
                    sa.select(models.Object, models.Container).join(
                        models.Container,
                        models.Container.id == models.Object.container_id).where(
                        models.Object.delete_at <= now).limit(batch)).all()
            for row, crow in rows:
                self._expire(crow, row)
            done += len(rows)
            if len(rows) < batch:
                return done


_manager = None


def get():
    global _manager
    if _manager is None:
        _manager = Manager()
    return _manager


@tasks.periodic(300, name='object_store.expire_objects')
def expire_objects():
    """Delete the objects whose X-Delete-At has passed."""
    return get().expire_objects()
