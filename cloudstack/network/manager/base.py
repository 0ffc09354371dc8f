"""What every area of the network manager shares: transactions, who may see
what, standard attributes, tags, queries for lists, and asking hosts to sync."""
import datetime
import logging
import uuid

import sqlalchemy as sa
from sqlalchemy import event, orm
from sqlalchemy import exc as sa_exc

from cloudstack.api import common
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.network import exceptions as exc
from cloudstack.network import models

LOG = logging.getLogger(__name__)

SYNC_HANDLER = 'network.sync_host'
SYNC_RESOURCE = 'network_host'   # a sync task works on (SYNC_RESOURCE, host)
ROLE = 'network'

# Device owners Neutron gives the ports it makes for itself.
DHCP_OWNER = 'network:dhcp'
ROUTER_INTERFACE_OWNER = 'network:router_interface'
ROUTER_GATEWAY_OWNER = 'network:router_gateway'
FLOATINGIP_OWNER = 'network:floatingip'
ROUTER_OWNERS = (ROUTER_INTERFACE_OWNER, ROUTER_GATEWAY_OWNER)
# Ports the service deletes by itself with their network.
AUTO_DELETE_OWNERS = (DHCP_OWNER,)


def new_uuid():
    return str(uuid.uuid4())


def isotime(dt):
    return dt.isoformat(timespec='seconds') + 'Z' if dt is not None else None


def is_admin(ctx):
    """Whether the caller sees every project's resources (Neutron's
    context_is_admin)."""
    return ctx.all_projects


def sees_every_project(ctx):
    """Whether the caller's queries reach every project's rows, the policy
    then judging each: admins, and service users (Neutron's `service_api`
    and `context_is_advsvc`, whose queries Neutron does not scope)."""
    if is_admin(ctx):
        return True
    from cloudstack import policy
    return policy.check(ctx, 'service_api') or policy.check(ctx, 'context_is_advsvc')


def project_for(ctx, body):
    """The project a new resource belongs to: the body's, else the caller's."""
    return body.get('project_id') or body.get('tenant_id') or ctx.project_id or ''


def check_project(ctx, body):
    """400 when project_id and tenant_id are both given and differ."""
    if ('project_id' in body and 'tenant_id' in body
            and body['project_id'] != body['tenant_id']):
        raise exc.BadRequest("'project_id' and 'tenant_id' do not match")


def standard(row, out, tags=None):
    """Add the standard attributes of `row` to its dict `out`."""
    out['description'] = row.description or ''
    out['created_at'] = isotime(row.created_at)
    out['updated_at'] = isotime(row.updated_at)
    out['revision_number'] = row.revision_number
    if tags is not None:
        out['tags'] = sorted(tags.get(row.id, ()))
    return out


def owned(out, project_id):
    out['project_id'] = out['tenant_id'] = project_id or ''
    return out


def touch(row):
    """A change to `row`: bump its revision and update time."""
    row.revision_number = (row.revision_number or 0) + 1
    row.updated_at = utcnow()


def check_revision(row, if_match):
    """412 unless `row` is at the revision an If-Match header names."""
    if if_match is not None and row.revision_number != if_match:
        raise exc.PreconditionFailed(
            'Constraint check failed: revision_number %s does not match %s.' % (
                row.revision_number, if_match))


def load_tags(session, ids):
    """{resource id: [tags]} of `ids`."""
    out = {}
    if not ids:
        return out
    for chunk in _chunks(list(ids)):
        for rid, tag in session.execute(sa.select(models.Tag.resource_id, models.Tag.tag)
                                        .where(models.Tag.resource_id.in_(chunk))):
            out.setdefault(rid, []).append(tag)
    return out


def _chunks(items, size=500):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def delete_tags(session, resource_id):
    session.execute(sa.delete(models.Tag).where(models.Tag.resource_id == resource_id))


def tag_filters(model, filters):
    """Clauses of Neutron's tags, tags-any, not-tags and not-tags-any filters."""
    clauses = []

    def tagged(tag):
        return model.id.in_(sa.select(models.Tag.resource_id).where(models.Tag.tag == tag))

    def wanted(key):
        out = []
        for value in filters.pop(key, None) or []:
            out.extend(t for t in str(value).split(',') if t)
        return out

    all_of, any_of = wanted('tags'), wanted('tags-any')
    none_of, not_any = wanted('not-tags'), wanted('not-tags-any')
    clauses.extend(tagged(t) for t in all_of)
    if any_of:
        clauses.append(sa.or_(*[tagged(t) for t in any_of]))
    if none_of:
        clauses.append(sa.not_(sa.and_(*[tagged(t) for t in none_of])))
    if not_any:
        clauses.append(sa.not_(sa.or_(*[tagged(t) for t in not_any])))
    return clauses


class Query:
    """A list request: filters (attribute -> list of wanted values), sort
    keys, limit, marker and direction, as the API parsed them."""

    def __init__(self, filters=None, sorts=(), limit=None, marker=None,
                 page_reverse=False, fields=None):
        self.filters = {k: (list(v) if isinstance(v, (list, tuple, set)) else [v])
                        for k, v in (filters or {}).items()}
        self.sorts = list(sorts or ())
        self.limit = limit
        self.marker = marker
        self.page_reverse = page_reverse
        self.fields = fields


def as_query(query=None, **filters):
    if isinstance(query, Query):
        if filters:
            query.filters.update({k: v if isinstance(v, list) else [v]
                                  for k, v in filters.items()})
        return query
    merged = dict(query or {})
    merged.update(filters)
    return Query(merged)


def to_bool(value):
    if isinstance(value, bool):
        return value
    return common.bool_param(value)


class Base:
    """Transactions, visibility and lists for the manager's areas."""

    @staticmethod
    def write():
        return db_api.writer()

    @staticmethod
    def read():
        return db_api.reader()

    # -- who sees what --------------------------------------------------

    @staticmethod
    def visible_network_ids(ctx):
        """A select of the network ids shared with (or external to) the caller."""
        return sa.select(models.RBACPolicy.object_id).where(
            models.RBACPolicy.object_type == 'network',
            models.RBACPolicy.target_project.in_(('*', ctx.project_id or '')))

    def network_clause(self, ctx):
        if sees_every_project(ctx):
            return None
        return sa.or_(models.Network.project_id == ctx.project_id,
                      models.Network.id.in_(self.visible_network_ids(ctx)))

    def owned_networks(self, ctx):
        return sa.select(models.Network.id).where(
            models.Network.project_id == ctx.project_id)

    def get_network_row(self, session, ctx, network_id, for_update=False):
        stmt = sa.select(models.Network).where(models.Network.id == network_id)
        clause = self.network_clause(ctx)
        if clause is not None:
            stmt = stmt.where(clause)
        if for_update:
            stmt = stmt.with_for_update()
        row = session.scalars(stmt).first()
        if row is None:
            raise exc.not_found('network', network_id)
        return row

    @staticmethod
    def get_owned(session, ctx, model, row_id, kind, for_update=False, extra=None):
        """A row of the caller's project (any, for an admin), or <Kind>NotFound."""
        stmt = sa.select(model).where(model.id == row_id)
        if not sees_every_project(ctx):
            owner = model.project_id == ctx.project_id
            stmt = stmt.where(sa.or_(owner, extra) if extra is not None else owner)
        if for_update:
            stmt = stmt.with_for_update()
        row = session.scalars(stmt).first() if row_id else None
        if row is None:
            raise exc.not_found(kind, row_id)
        return row

    # -- lists ------------------------------------------------------------

    @staticmethod
    def column_filters(model, filters, columns, converters=None):
        """Clauses for the filters that map to plain columns; each value list
        is an IN. `columns` maps attribute names to column names."""
        clauses = []
        for attr, column in columns.items():
            if attr not in filters:
                continue
            values = filters.pop(attr)
            convert = (converters or {}).get(attr)
            if convert is not None:
                values = [convert(v) for v in values]
            col = getattr(model, column)
            if any(v is None for v in values):
                values = [v for v in values if v is not None]
                clauses.append(sa.or_(col.is_(None), col.in_(values)) if values
                               else col.is_(None))
            else:
                clauses.append(col.in_(values))
        return clauses

    def fetch(self, session, model, query, clauses, sort_columns, kind):
        """Rows of `model` matching `clauses`, sorted and paged per `query`:
        read-only Core rows with the model's attribute names (lists of a
        thousand rows cost a fraction of ORM objects)."""
        stmt = sa.select(*db_api.attribute_columns(model)).where(*clauses)
        sorts = []
        for key, direction in query.sorts:
            column = sort_columns.get(key)
            if column is None:
                raise exc.BadRequest('%s is an invalid attribute for sort_key' % key)
            sorts.append((column, direction))
        if query.page_reverse:
            sorts = [(k, 'asc' if d == 'desc' else 'desc') for k, d in sorts] or \
                [('id', 'desc')]
        marker_row = None
        if query.marker:
            marker_row = session.get(model, query.marker)
            if marker_row is None:
                raise exc.not_found(kind, query.marker)
        if sorts or query.limit is not None or marker_row is not None:
            stmt = common.paginate(stmt, model, query.limit, marker_row,
                                   sorts or [('id', 'asc')])
        rows = session.execute(stmt).all()
        if query.page_reverse:
            rows.reverse()
        return rows

    # -- hosts ------------------------------------------------------------

    @staticmethod
    def request_sync(session, hosts, delay=0):
        """Ask the network agents of `hosts` to sync once the caller's
        transaction commits (see _queue_syncs)."""
        wanted = session.info.setdefault(SYNC_REQUESTS, {})
        for host in hosts:
            if host:
                wanted[host] = min(wanted.get(host, delay), delay)


SYNC_REQUESTS = 'cloudstack.network.sync_requests'


@event.listens_for(orm.Session, 'before_commit')
def _queue_syncs(session):
    """Queue the syncs a transaction asked for, last thing before it commits:
    at most one sync waits per host (a flag on the host's row, set by a
    conditional update; the sync clears it as it starts). Hosts go in name
    order, so that concurrent transactions lock their rows in one order."""
    wanted = session.info.pop(SYNC_REQUESTS, None)
    for host, delay in sorted((wanted or {}).items()):
        # Locked until the commit, right after: a sync starting meanwhile
        # (clearing the flag) waits, then reads what this transaction wrote.
        pending = session.scalar(sa.select(models.NetworkHost.sync_pending).where(
            models.NetworkHost.host == host).with_for_update())
        if pending:
            continue            # a sync is already waiting
        if pending is None:
            try:
                with session.begin_nested():
                    session.add(models.NetworkHost(host=host, sync_pending=True))
            except sa_exc.IntegrityError:
                continue        # registered meanwhile, by a request that queued one
        else:
            session.execute(sa.update(models.NetworkHost).where(
                models.NetworkHost.host == host).values(sync_pending=True))
        enqueue_addressed(session, SYNC_HANDLER, {'host': host}, role=ROLE, host=host,
                          delay=delay, resource=(SYNC_RESOURCE, host))


@event.listens_for(orm.Session, 'after_transaction_end')
def _forget_syncs(session, transaction):
    if transaction.parent is None:      # the whole transaction, not a savepoint
        session.info.pop(SYNC_REQUESTS, None)


def enqueue_addressed(session, handler, args, role, host, delay=0, resource=None):
    """tasks.enqueue addressed to one host's agent."""
    from cloudstack import tasks
    return tasks.enqueue(session, handler, args, role=role, host=host, delay=delay,
                         resource=resource)


def minutes_ago(minutes):
    return utcnow() - datetime.timedelta(minutes=minutes)


def rows(session, model, *where, order_by=None):
    """Read-only Core rows of `model` (attribute names as its objects')."""
    stmt = sa.select(*db_api.attribute_columns(model)).where(*where)
    if order_by is not None:
        stmt = stmt.order_by(*order_by)
    return session.execute(stmt).all()


def pairs(session, stmt):
    """{first column: second column} of a two-column select."""
    return dict(session.execute(stmt).all())
