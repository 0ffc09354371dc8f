"""Rendering and list helpers shared by the Identity API's controllers."""
import sqlalchemy as sa

from cloudstack.api import common
from cloudstack import exception
from cloudstack import policy

FILTER_OPS = {
    'contains': lambda col, v: col.contains(v, autoescape=True),
    'icontains': lambda col, v: sa.func.lower(col).contains(v.lower(), autoescape=True),
    'startswith': lambda col, v: col.startswith(v, autoescape=True),
    'istartswith': lambda col, v: sa.func.lower(col).startswith(v.lower(), autoescape=True),
    'endswith': lambda col, v: col.endswith(v, autoescape=True),
    'iendswith': lambda col, v: sa.func.lower(col).endswith(v.lower(), autoescape=True),
}


def url(req, path):
    """Absolute URL of `path` (e.g. '/v3/users/x') under this API."""
    return req.application_url + path


def entity(req, path, item):
    """`item` with its self link; path is its collection, e.g. '/v3/users'."""
    item['links'] = {'self': url(req, '%s/%s' % (path, item['id']))}
    return item


def collection(req, key, items, path=None, truncated=False):
    """A list response: items linked (when `path` is given) plus the list's links."""
    if path:
        base = url(req, path) + '/'
        for item in items:
            item['links'] = {'self': base + item['id']}
    body = {key: items, 'links': {'self': req.url, 'previous': None, 'next': None}}
    if truncated:
        body['truncated'] = True
    return body


def authorize(req, rule, **target):
    policy.authorize(req.context, rule, target)


def lookup(kind, entity_id):
    """The stored `kind` ('user', 'group', 'project', 'domain', 'role') as a
    policy target reads it (its domain_id, name, ...); only its id when there
    is none, so that the rules refuse a caller before it learns what exists
    and the manager answers 404 to those they allow."""
    from cloudstack.identity import manager
    try:
        return getattr(manager.get(), 'get_' + kind)(entity_id)
    except exception.NotFound:
        return {'id': entity_id}


def list_target(req, key=None):
    """A list's target for a domain-scoped token: its domain, as
    `target.domain_id` or `target.<key>.domain_id`."""
    domain_id = req.context.domain_id
    if not domain_id:
        return {}
    return {key: {'domain_id': domain_id}} if key else {'domain_id': domain_id}


def apply_filters(req, stmt, model, names):
    """Keystone list filters: exact `name=x`, `name__icontains=x` and friends,
    booleans for boolean columns."""
    for key, value in req.GET.items():
        name, _, op = key.partition('__')
        if name not in names:
            continue
        col = getattr(model, name)
        if op:
            if op not in FILTER_OPS:
                continue
            stmt = stmt.where(FILTER_OPS[op](col, value))
        elif isinstance(col.type, sa.Boolean):
            stmt = stmt.where(col == common.bool_param(value))
        else:
            stmt = stmt.where(col == value)
    return stmt


def required(body, key):
    """body[key], or a 400 naming what is missing."""
    if key not in body:
        raise exception.ValidationError("'%s' is a required property" % key)
    return body[key]


def request_facts(req):
    """What auth methods may read of the request (manager.base.RequestFacts)."""
    from cloudstack.identity.manager import base
    return base.RequestFacts(method=req.method, url=req.path_url + (
        '?' + req.query_string if req.query_string else ''),
        headers=dict(req.headers), remote_addr=req.remote_addr)


def delegated(req):
    """True when the caller's token came from a trust, an application
    credential or an OAuth1 access token."""
    token = req.context.token or {}
    return any(k in token for k in ('OS-TRUST:trust', 'application_credential', 'OS-OAUTH1'))
