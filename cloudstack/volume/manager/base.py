"""What the areas of the Block Storage manager share: lookups that hide other
projects' resources, records (the dicts the API renders and other services
receive), user messages, tasks addressed to a volume agent, list helpers."""
import collections
import contextlib
import datetime
import functools
import logging

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from cloudstack import exception
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.volume import models

LOG = logging.getLogger(__name__)

AGENT_ROLE = 'volume'
SERVICE_BINARY = 'cinder-volume'
# Admin metadata keys every reader sees among a volume's metadata.
VISIBLE_ADMIN_METADATA = ('readonly', 'attached_mode')
BYTES_PER_GB = 1024 ** 3


class OverQuota(exception.CloudstackError):
    code = 413
    title = 'Request Entity Too Large'
    message = 'Quota exceeded.'


class InvalidState(exception.BadRequest):
    """An operation the resource's status does not allow (Cinder's 400)."""


def this_host():
    """This host's name ([DEFAULT] host)."""
    return CONF.host


def split_host(host):
    """'host@backend#pool' -> (host, backend, pool); missing parts are None."""
    if not host:
        return None, None, None
    rest, _, pool = host.partition('#')
    name, _, backend = rest.partition('@')
    return name, backend or None, pool or None


def iso(when):
    """Cinder's timestamp text of a naive UTC datetime."""
    if not when:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return when.isoformat(timespec='microseconds')


@functools.cache
def volume_columns():
    """The volume table's columns, for Core selects whose rows read like
    Volume objects (lists and shows load no ORM objects)."""
    return db_api.attribute_columns(models.Volume)


@functools.cache
def attachment_columns():
    return db_api.attribute_columns(models.Attachment)


@functools.cache
def _children_of(dialect):
    """(metadata, attachments) of the volumes of bind parameter `ids`: built
    once, so SQLAlchemy keeps their cache keys and compiled forms. On
    PostgreSQL the ids are one array parameter (= ANY), not a thousand."""
    M, A = models.VolumeMetadata, models.Attachment
    if dialect == 'postgresql':
        ids = sa.bindparam('ids', type_=postgresql.ARRAY(sa.String))
        of = lambda column: column == sa.any_(ids)  # noqa: E731
    else:
        ids = sa.bindparam('ids', expanding=True)
        of = lambda column: column.in_(ids)  # noqa: E731
    return (sa.select(M.volume_id, M.kind, M.key, M.value).where(of(M.volume_id)),
            sa.select(*attachment_columns()).where(of(A.volume_id))
            .order_by(A.created_at))


class _Fields:
    """An object's attributes read as items, as a Core row's mapping reads."""
    __slots__ = ('obj',)

    def __init__(self, obj):
        self.obj = obj

    def __getitem__(self, key):
        return getattr(self.obj, key)


@contextlib.contextmanager
def reader():
    """A read session whose rows (already loaded) stay usable after it ends."""
    with db_api.reader() as session:
        yield session
        session.expunge_all()


def is_admin(ctx):
    """Whether `ctx` sees every project (the context_is_admin rule)."""
    return ctx.all_projects


# What a task's arguments say it works on, for the recovery of resources
# left in transitional states.
_RESOURCE_ARGS = (('backup_id', 'backup'), ('snapshot_id', 'snapshot'),
                  ('volume_id', 'volume'))


def enqueue(session, name, args, host=None, max_attempts=3):
    """Queue task `name` for the volume agent of `host` (None: any of them)."""
    resource = next(((kind, args[key]) for key, kind in _RESOURCE_ARGS if key in args),
                    None)
    return tasks.enqueue(session, name, args, role=AGENT_ROLE, host=host,
                         resource=resource, max_attempts=max_attempts)


def call_agent(name, args, host, timeout=None):
    """Run `name` on `host`'s volume agent and return its result."""
    return tasks.call(name, args, role=AGENT_ROLE, host=host,
                      timeout=timeout or CONF.volume.agent_timeout)


class Base:
    """Lookups, records and helpers every area uses."""

    # --- context -------------------------------------------------------------
    @staticmethod
    def _project_filter(ctx, stmt, model, all_projects=False, project_id=None):
        """Rows of the caller's project; every project (or `project_id`) for
        an admin who asked for all of them."""
        if all_projects and is_admin(ctx):
            if project_id:
                stmt = stmt.where(model.project_id == project_id)
            return stmt
        return stmt.where(model.project_id == ctx.project_id)

    @staticmethod
    def _visible(ctx, row):
        return row is not None and (row.project_id == ctx.project_id or is_admin(ctx))

    def _get(self, session, ctx, model, row_id, what, lock=False):
        """The row `row_id` of `model` the caller may see, or 404."""
        if not row_id or not isinstance(row_id, str) or len(row_id) > 64:
            raise exception.NotFound('%s %s could not be found.' % (what, row_id))
        row = session.get(model, row_id, with_for_update=lock or None)
        if not self._visible(ctx, row):
            raise exception.NotFound('%s %s could not be found.' % (what, row_id))
        return row

    def _volume_row(self, s, ctx, volume_id, lock=False):
        return self._get(s, ctx, models.Volume, volume_id, 'Volume', lock)

    def _snapshot_row(self, s, ctx, snapshot_id, lock=False):
        return self._get(s, ctx, models.Snapshot, snapshot_id, 'Snapshot', lock)

    def _backup_row(self, s, ctx, backup_id, lock=False):
        return self._get(s, ctx, models.Backup, backup_id, 'Backup', lock)

    # --- records -------------------------------------------------------------
    @staticmethod
    def _type_names(session):
        return dict(session.execute(sa.select(models.VolumeType.id,
                                              models.VolumeType.name)).all())

    def _volume_records(self, s, rows, type_names):
        """The records of `rows` (Core rows of volume_columns()): their
        metadata and attachments read in one query each (`s`: a session or
        a connection)."""
        rows = [r._mapping for r in rows]     # reads faster than attributes
        ids = [r['id'] for r in rows]
        meta, attached = collections.defaultdict(list), collections.defaultdict(list)
        if ids:
            of_meta, of_attachments = _children_of(db_api.get_engine().dialect.name)
            for volume_id, kind, key, value in s.execute(of_meta, {'ids': ids}):
                meta[volume_id].append((kind, key, value))
            for a in s.execute(of_attachments, {'ids': ids}):
                attached[a.volume_id].append(self.attachment_record(a))
        return [self.volume_record(r, type_names, meta.get(r['id'], ()),
                                   attached.get(r['id'], [])) for r in rows]

    def volume_record(self, row, type_names=None, meta=None, attachments=None):
        """The volume as Cinder's detail view has it (every field; the API
        trims per microversion and policy). `row` is a Volume, or the
        mapping of a Core row of volume_columns() given with its metadata
        ((kind, key, value) triples) and attachment records."""
        if meta is None:
            meta = [(m.kind, m.key, m.value) for m in row.meta]
            attachments = [self.attachment_record(a) for a in row.attachments]
            row = _Fields(row)
        kinds = {'user': {}, 'image': {}, 'admin': {}}
        for kind, key, value in meta:
            kinds[kind][key] = value
        user_meta = kinds['user']
        if kinds['admin']:
            user_meta = dict(user_meta)
            for key in VISIBLE_ADMIN_METADATA:
                if key in kinds['admin']:
                    user_meta[key] = kinds['admin'][key]
        if type_names is None:
            with reader() as s:
                type_names = self._type_names(s)
        type_id, key_id = row['volume_type_id'], row['encryption_key_id']
        return {
            'id': row['id'], 'name': row['name'], 'description': row['description'],
            'size': row['size'], 'status': row['status'],
            'attach_status': row['attach_status'],
            'migration_status': row['migration_status'],
            'availability_zone': row['availability_zone'], 'host': row['host'],
            'volume_type': type_names.get(type_id, type_id),
            'volume_type_id': type_id,
            'snapshot_id': row['snapshot_id'], 'source_volid': row['source_volid'],
            'backup_id': row['backup_id'], 'group_id': row['group_id'],
            'bootable': bool(row['bootable']), 'multiattach': bool(row['multiattach']),
            'encrypted': key_id is not None, 'encryption_key_id': key_id,
            'metadata': user_meta,
            'volume_image_metadata': kinds['image'],
            'admin_metadata': kinds['admin'],
            'attachments': attachments,
            'user_id': row['user_id'], 'project_id': row['project_id'],
            'provider_id': row['provider_id'],
            'provider_location': row['provider_location'],
            'created_at': iso(row['created_at']), 'updated_at': iso(row['updated_at']),
            'launched_at': iso(row['launched_at']),
            'replication_status': None, 'consistencygroup_id': None,
            'shared_targets': False, 'service_uuid': None, 'cluster_name': None,
            'consumes_quota': bool(row['use_quota']), 'name_id': row['name_id'],
        }

    @staticmethod
    def attachment_record(a):
        return {
            'id': a.id, 'volume_id': a.volume_id, 'instance': a.instance_uuid,
            'attached_host': a.attached_host, 'mountpoint': a.mountpoint,
            'attach_status': a.attach_status, 'status': a.attach_status,
            'attach_mode': a.attach_mode, 'connector': a.connector,
            'connection_info': a.connection_info,
            'attached_at': iso(a.attach_time), 'detached_at': iso(a.detach_time),
            'project_id': a.project_id,
        }

    @staticmethod
    def snapshot_record(row):
        return {
            'id': row.id, 'volume_id': row.volume_id, 'name': row.name,
            'description': row.description, 'status': row.status,
            'progress': row.progress or '0%', 'size': row.volume_size,
            'metadata': {m.key: m.value for m in row.meta},
            'project_id': row.project_id, 'user_id': row.user_id,
            'group_snapshot_id': row.group_snapshot_id,
            'volume_type_id': row.volume_type_id,
            'provider_location': row.provider_location,
            'consumes_quota': bool(row.use_quota),
            'created_at': iso(row.created_at), 'updated_at': iso(row.updated_at),
        }

    @staticmethod
    def _dependents(session, backup_ids):
        """{backup id: number of live incremental backups on it}."""
        if not backup_ids:
            return {}
        return dict(session.execute(
            sa.select(models.Backup.parent_id, sa.func.count())
            .where(models.Backup.parent_id.in_(backup_ids))
            .group_by(models.Backup.parent_id)).all())

    @staticmethod
    def backup_record(row, dependents=0):
        return {
            'id': row.id, 'name': row.name, 'description': row.description,
            'status': row.status, 'fail_reason': row.fail_reason,
            'availability_zone': row.availability_zone, 'size': row.size,
            'object_count': row.object_count, 'container': row.container,
            'volume_id': row.volume_id, 'snapshot_id': row.snapshot_id,
            'parent_id': row.parent_id, 'is_incremental': row.parent_id is not None,
            'has_dependent_backups': bool(dependents),
            'project_id': row.project_id, 'user_id': row.user_id,
            'metadata': dict(row.meta or {}),
            'encryption_key_id': row.encryption_key_id,
            'data_timestamp': iso(row.data_timestamp or row.created_at),
            'created_at': iso(row.created_at), 'updated_at': iso(row.updated_at),
            'host': row.host,
        }

    # --- user messages ---------------------------------------------------------
    @staticmethod
    def _message(session, project_id, resource_type, resource_uuid, event_id,
                 text, request_id=None):
        """Record a user message: why an operation of the user failed."""
        now = utcnow()
        session.add(models.Message(
            project_id=project_id, request_id=request_id or 'req-none',
            resource_type=resource_type, resource_uuid=resource_uuid,
            event_id=event_id, user_message=text, created_at=now,
            expires_at=now + datetime.timedelta(seconds=CONF.volume.message_ttl)))

    # --- lists -----------------------------------------------------------------
    def _marker(self, session, ctx, model, marker, what):
        if marker is None:
            return None
        row = session.get(model, marker) if len(str(marker)) <= 64 else None
        if not self._visible(ctx, row):
            raise exception.NotFound('Marker %s could not be found.' % marker)
        return row
