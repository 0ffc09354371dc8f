"""What the Block Storage API modules share: microversion checks, policy
targets, Cinder's list parameters (limit, marker, offset, sort, filters),
links, and body parsing."""
import ast
import functools
import json
import urllib.parse

from cloudstack.api import common as api_common
from cloudstack.api import microversion
from cloudstack.api import validation
from cloudstack import exception
from cloudstack import policy
from cloudstack.conf import CONF
from cloudstack.volume.manager import base as mbase

MIN_VERSION = '3.0'
MAX_VERSION = '3.71'
NEGOTIATOR = microversion.Negotiator('volume', MIN_VERSION, MAX_VERSION)

# The microversions that changed what the API does (Cinder's history).
USER_MESSAGES = '3.3'
GLANCE_METADATA_FILTER = '3.4'
MESSAGES_PAGINATION = '3.5'
MANAGE_EXISTING_LIST = '3.8'
BACKUP_UPDATE = '3.9'
GROUP_VOLUME_LIST_FILTER = '3.10'
GROUP_TYPES = '3.11'
VOLUME_SUMMARY = '3.12'
GROUPS = '3.13'
GROUP_SNAPSHOTS = '3.14'
BACKUP_PROJECT = '3.18'
GROUP_SNAPSHOT_RESET = '3.19'
GROUP_RESET = '3.20'
PROVIDER_ID = '3.21'
SNAPSHOT_METADATA_FILTER = '3.22'
VOLUME_DELETE_FORCE = '3.23'
WORKERS_CLEANUP = '3.24'
GROUP_VOLUMES = '3.25'
NEW_ATTACH = '3.27'
POOL_FILTERS = '3.28'
RESOURCE_FILTERS = '3.31'
RESOURCE_FILTERS_LIST = '3.33'
LIKE_FILTER = '3.34'
POOL_TYPE_FILTER = '3.35'
SUMMARY_METADATA = '3.36'
LIMITS_ADMIN_FILTER = '3.39'
VOLUME_REVERT = '3.40'
SNAPSHOT_USER_ID = '3.41'
EXTEND_ATTACHED = '3.42'
BACKUP_METADATA = '3.43'
ATTACHMENT_COMPLETE = '3.44'
SUPPORT_COUNT = '3.45'
CREATE_FROM_BACKUP = '3.47'
SHARED_TARGETS = '3.48'
BACKEND_STATE = '3.49'
MULTIATTACH = '3.50'
BACKUP_AZ = '3.51'
TYPE_EXTRA_SPECS_FILTER = '3.52'
STRICT_BODIES = '3.53'
ATTACH_MODE = '3.54'
TRANSFER_SNAPSHOTS = '3.55'
BACKUP_USER_ID = '3.56'
TRANSFER_PROJECTS = '3.57'
GROUP_PROJECT_ID = '3.58'
TRANSFER_PAGINATION = '3.59'
TIME_FILTERS = '3.60'
CLUSTER_NAME = '3.61'
DEFAULT_TYPES = '3.62'
TYPE_ID_IN_DETAIL = '3.63'
ENCRYPTION_KEY_ID = '3.64'
CONSUMES_QUOTA = '3.65'
SNAPSHOT_IN_USE = '3.66'
REIMAGE = '3.68'
NULLABLE_SHARED_TARGETS = '3.69'
EXTEND_COMPLETION = '3.71'

# What a non-admin may filter each list by from 3.31 (Cinder's defaults).
RESOURCE_FILTER_KEYS = {
    'volume': ['name', 'status', 'metadata', 'bootable', 'migration_status',
               'availability_zone', 'group_id', 'size', 'created_at', 'updated_at'],
    'backup': ['name', 'status', 'volume_id'],
    'snapshot': ['name', 'status', 'volume_id', 'metadata', 'availability_zone'],
    'group': [],
    'group_snapshot': ['status', 'group_id'],
    'attachment': ['volume_id', 'status', 'instance_id', 'attach_status'],
    'message': ['resource_uuid', 'resource_type', 'event_id', 'request_id',
                'message_level'],
    'pool': ['name', 'volume_type'],
    'volume_type': ['is_public'],
}
# Query keys that are not filters.
NOT_FILTERS = ('limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir',
               'with_count', 'all_tenants', 'project_id')
TIME_OPERATORS = ('gt', 'gte', 'eq', 'neq', 'lt', 'lte')


@functools.lru_cache(maxsize=None)
def _version(text):
    return microversion.APIVersion(text)


def at_least(req, version):
    return req.api_version >= _version(version)


def require(req, version):
    """404 below `version`, as an API Cinder added then."""
    if not at_least(req, version):
        raise exception.NotFound('The resource could not be found.')


def authorize(req, rule, project_id=None, user_id=None):
    ctx = req.context
    target = {'project_id': project_id or ctx.project_id,
              'user_id': user_id or ctx.user_id}
    policy.authorize(ctx, rule, target)


def require_project(req, kind):
    """A new `kind` belongs to the caller's project: 400 for a token of none
    (Cinder's rules pass system and domain admins)."""
    if not req.context.project_id:
        raise exception.BadRequest('A %s belongs to a project: create it with a '
                                   'project-scoped token.' % kind)


def allowed(req, rule, project_id=None):
    """Whether the caller may do `rule` on a resource of `project_id`; worked
    out once per request and project (a list renders many of each)."""
    ctx = req.context
    project_id = project_id or ctx.project_id
    known = req.environ.setdefault('cloudstack.volume.allowed', {})
    key = (rule, project_id)
    if key not in known:
        known[key] = policy.check(ctx, rule, {'project_id': project_id,
                                              'user_id': ctx.user_id})
    return known[key]


def is_admin(req):
    """Whether the caller sees every project (once per request)."""
    found = req.environ.get('cloudstack.volume.is_admin')
    if found is None:
        found = req.environ['cloudstack.volume.is_admin'] = mbase.is_admin(req.context)
    return found


def manager():
    from cloudstack.volume import manager as volume_manager
    return volume_manager.get()


# --- lists ---------------------------------------------------------------------
def bool_value(value, name='value'):
    try:
        return api_common.bool_param(value)
    except exception.BadRequest:
        raise exception.BadRequest('Invalid value %r for %s.' % (value, name))


def _int(value, name, minimum=0):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise exception.BadRequest('%s param must be an integer' % name)
    if number < minimum:
        raise exception.BadRequest('%s param must be positive' % name)
    return number


def paging(req, sort_keys, default_key='created_at', default_dir='desc'):
    """(limit, marker, offset, sort) from the query string."""
    limit = req.GET.get('limit')
    limit = CONF.volume.api_max_limit if limit is None else min(
        _int(limit, 'limit'), CONF.volume.api_max_limit)
    offset = _int(req.GET.get('offset', 0), 'offset')
    marker = req.GET.get('marker')
    sort = []
    if 'sort' in req.GET:
        for item in req.GET['sort'].split(','):
            key, _, direction = item.strip().partition(':')
            sort.append((key.strip(), (direction or default_dir).strip().lower()))
    else:
        keys = [k for k in req.GET.get('sort_key', '').split(',') if k] or []
        dirs = [d for d in req.GET.get('sort_dir', '').split(',') if d]
        for i, key in enumerate(keys):
            sort.append((key.strip(), (dirs[i] if i < len(dirs) else default_dir).lower()))
        if not keys and dirs:
            sort.append((default_key, dirs[0].lower()))
    for key, direction in sort:
        if key not in sort_keys:
            raise exception.BadRequest('Invalid sort key %s' % key)
        if direction not in ('asc', 'desc'):
            raise exception.BadRequest('Invalid sort direction %s' % direction)
    sort = [('name' if key == 'display_name' else key, d) for key, d in sort]
    return limit, marker, offset, sort or [(default_key, default_dir)]


def dict_param(value, name):
    """A dict query value: JSON or a Python literal ("{'k': 'v'}")."""
    if isinstance(value, dict):
        return value
    for parse in (json.loads, ast.literal_eval):
        try:
            found = parse(value)
        except (ValueError, SyntaxError):
            continue
        if isinstance(found, dict):
            return {str(k): str(v) for k, v in found.items()}
    raise exception.BadRequest('Invalid %s filter %r.' % (name, value))


def all_projects(req):
    """(all projects?, project id) for an admin's all_tenants listing."""
    wanted = req.GET.get('all_tenants')
    if wanted is None or not is_admin(req):
        return False, None
    return bool_value(wanted, 'all_tenants'), req.GET.get('project_id')


def filters(req, resource, allowed_keys=None):
    """{key: value} of the query's filters; from 3.31 a non-admin may only
    use the resource's configured filters; 'key~' (3.34) is a like filter."""
    found = {}
    strict = at_least(req, RESOURCE_FILTERS) and not is_admin(req)
    for key in req.GET:
        if key in NOT_FILTERS:
            continue
        value = req.GET.get(key)
        like = key.endswith('~') and at_least(req, LIKE_FILTER)
        base = key[:-1] if like else key
        base = {'display_name': 'name', 'display_description': 'description'}.get(
            base, base)
        if strict and base not in RESOURCE_FILTER_KEYS.get(resource, ()):
            raise exception.BadRequest('Invalid filters %s are found in query '
                                       'options.' % key)
        if allowed_keys is not None and base not in allowed_keys:
            continue
        found[base] = ('like', value) if like else value
    return found


def count_wanted(req):
    if 'with_count' not in req.GET or not at_least(req, SUPPORT_COUNT):
        return False
    return bool_value(req.GET['with_count'], 'with_count')


# --- links ---------------------------------------------------------------------
def base_url(req):
    """The URL of the API root this request came through (with /v3 and the
    project id when the client used them); worked out once per request."""
    found = req.environ.get('cloudstack.volume.base_url')
    if found is None:
        found = req.environ['cloudstack.volume.base_url'] = req.application_url
    return found


def _bookmark_root(req):
    found = req.environ.get('cloudstack.volume.bookmark_root')
    if found is None:
        found = req.environ['cloudstack.volume.bookmark_root'] = _unversioned(base_url(req))
    return found


def _unversioned(url):
    parts = urllib.parse.urlsplit(url)
    path = parts.path.replace('/v3/', '/', 1) if '/v3/' in parts.path + '/' else parts.path
    if path.endswith('/v3'):
        path = path[:-3]
    return urllib.parse.urlunsplit(parts._replace(path=path)).rstrip('/')


def links(req, collection, item_id):
    path = '/%s/%s' % (collection, item_id)
    return [{'rel': 'self', 'href': base_url(req) + path},
            {'rel': 'bookmark', 'href': _bookmark_root(req) + path}]


def collection_links(req, collection, items, limit, total=None):
    """[{'rel': 'next', 'href'}] when the page is full (Cinder's rule)."""
    count = total if total is not None else len(items)
    if not items or limit is None or limit > count or len(items) < limit:
        return []
    params = [(k, v) for k, v in req.GET.items() if k != 'marker']
    params.append(('marker', items[-1]['id']))
    return [{'rel': 'next', 'href': '%s/%s?%s' % (
        base_url(req), collection, urllib.parse.urlencode(params))}]


def listing(req, key, items, limit, collection=None, count=None):
    out = {key: items}
    found = collection_links(req, collection or key, items, limit)
    if found:
        out[key + '_links'] = found
    if count is not None:
        out['count'] = count
    return out


# --- bodies ----------------------------------------------------------------------
def body(req, key=None, schema=None, strict_from=STRICT_BODIES):
    """The JSON body (its `key` member), validated by `schema`; extra
    members are refused only from `strict_from` (Cinder 3.53)."""
    data = req.json_body()
    if not isinstance(data, dict):
        raise exception.BadRequest('The request body must be a JSON object.')
    if key is not None:
        if key not in data:
            raise exception.BadRequest("Missing required element '%s' in request "
                                       "body." % key)
        data = data[key]
        if schema is not None and not isinstance(data, dict) and schema.get('type') == 'object':
            raise exception.BadRequest("The '%s' member must be an object." % key)
    if schema is not None:
        if strict_from and not at_least(req, strict_from):
            schema = dict(schema, additionalProperties=True)
        validation.validate(schema, data)
    return data


def size_value(value, name='size', required=True):
    """A size in GiB: a positive integer or its digits."""
    if value is None or value == '':
        if required:
            raise exception.BadRequest('Invalid input received: %s must be '
                                       'specified.' % name)
        return None
    if isinstance(value, bool):
        raise exception.BadRequest('Invalid input for field/attribute %s.' % name)
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise exception.BadRequest("Invalid input for field/attribute %s. Value: "
                                       "%s. '%s' is not a valid integer" % (name, value, value))
        value = int(value)
    if not isinstance(value, int) or value < 1 or value > 2 ** 31 - 1:
        raise exception.BadRequest('Invalid input for field/attribute %s. Value: %s. '
                                   'It must be an integer from 1 to 2147483647.'
                                   % (name, value))
    return value


STRING_255 = {'type': ['string', 'null'], 'maxLength': 255}
DESCRIPTION = {'type': ['string', 'null'], 'maxLength': 65535}
METADATA = {'type': 'object', 'maxProperties': 1000,
            'propertyNames': {'minLength': 1, 'maxLength': 255},
            'additionalProperties': {'type': ['string', 'null'], 'maxLength': 255}}
NULLABLE_METADATA = dict(METADATA, type=['object', 'null'])
BOOL_LIKE = {'type': ['boolean', 'string', 'integer', 'null']}
UUID = {'type': 'string', 'minLength': 1, 'maxLength': 64}
NULLABLE_UUID = {'type': ['string', 'null'], 'maxLength': 64}


def flag(value, name):
    """A boolean body member given as a JSON boolean, 'true'/'false' or 0/1."""
    if isinstance(value, bool) or value is None:
        return bool(value)
    return bool_value(value, name)


def manageable(req, kind, detail):
    """GET /manageable_volumes (or _snapshots)[/detail]: what a backend holds
    that could be managed (3.8)."""
    require(req, MANAGE_EXISTING_LIST)
    host = req.GET.get('host') or req.GET.get('cluster')
    if not host:
        raise exception.BadRequest('One and only one of cluster and host must be set.')
    limit, _, offset, sort = paging(req, ('size', 'reference'), 'reference', 'desc')
    items = manager().list_manageable(req.context, host, kind)
    for key, direction in reversed(sort):
        items.sort(key=lambda i: i['size'] if key == 'size' else i['reference']['source-name'],
                   reverse=direction == 'desc')
    items = items[offset:offset + limit]
    if not detail:
        items = [{k: v for k, v in i.items()
                  if k in ('reference', 'size', 'safe_to_manage', 'source_reference')}
                 for i in items]
    return {'manageable-%ss' % kind: items}
