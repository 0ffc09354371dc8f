"""What the Compute API modules share: the microversion negotiator, links,
request parsing helpers and schema pieces."""
import functools
import re
import uuid

from cloudstack import exception
from cloudstack import policy
from cloudstack.api import microversion, validation
from cloudstack.conf import CONF

MIN_VERSION, MAX_VERSION = '2.1', '2.104'
NEGOTIATOR = microversion.Negotiator('compute', MIN_VERSION, MAX_VERSION,
                                     'X-OpenStack-Nova-API-Version')
V = microversion.APIVersion


@functools.lru_cache(maxsize=None)
def _version(text):
    return V(text)


def at_least(req, version):
    return req.api_version >= _version(version)


def base_url(req):
    """http://host/compute (the API's root, for bookmark links); once per request."""
    found = req.environ.get('cloudstack.compute.base_url')
    if found is None:
        found = req.environ['cloudstack.compute.base_url'] = req.application_url.rstrip('/')
    return found


def links(req, collection, item_id):
    root = base_url(req)
    return [{'rel': 'self', 'href': '%s/v2.1/%s/%s' % (root, collection, item_id)},
            {'rel': 'bookmark', 'href': '%s/%s/%s' % (root, collection, item_id)}]


def collection_links(req, collection, items, limit, id_key='id'):
    """[{'rel': 'next', 'href': ...}] when the page was full, else []."""
    if limit is None or not items or len(items) < limit:
        return []
    params = [(k, v) for k, v in req.GET.items() if k != 'marker']
    params.append(('marker', items[-1][id_key]))
    import urllib.parse
    return [{'rel': 'next', 'href': '%s/v2.1/%s?%s' % (
        base_url(req), collection, urllib.parse.urlencode(params))}]


def limit_marker(req):
    """(limit, marker) with Nova's checks: limit a non-negative integer."""
    raw = req.GET.get('limit')
    limit = None
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            raise exception.BadRequest('limit param must be an integer')
        if limit < 0:
            raise exception.BadRequest('limit param must be positive')
    cap = CONF.compute.max_api_limit
    return (cap if limit is None else min(limit, cap)), req.GET.get('marker')


def authorize(req, rule, project_id=None, user_id=None, **extra):
    """policy.authorize with Nova's target: the resource's project and user
    (the caller's when the resource has none)."""
    ctx = req.context
    target = {'project_id': project_id if project_id is not None else ctx.project_id,
              'user_id': user_id if user_id is not None else ctx.user_id}
    target.update(extra)
    policy.authorize(ctx, rule, target)


def can(req, rule, project_id=None, user_id=None):
    try:
        authorize(req, rule, project_id, user_id)
        return True
    except exception.Forbidden:
        return False


def is_uuid(value):
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


def body(req, schema):
    """The request's JSON body, validated against `schema`."""
    return validation.validate(schema, req.json_body())


def strip_bool(value):
    return str(value).strip().lower() in ('1', 'true', 't', 'yes', 'y', 'on')


# Schema pieces --------------------------------------------------------------

NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255,
        'pattern': r'^(?!\s)[\s\S]*(?<!\s)$'}
NAME_WITH_SPACES = {'type': 'string', 'minLength': 1, 'maxLength': 255,
                    'pattern': r'^[\s\S]*\S[\s\S]*$'}
DESCRIPTION = {'type': ['string', 'null'], 'minLength': 0, 'maxLength': 255,
               'pattern': r'^[^\x00-\x1f\x7f]*$'}
METADATA = {'type': 'object',
            'patternProperties': {r'^[a-zA-Z0-9-_:. ]{1,255}$': {
                'type': 'string', 'maxLength': 255}},
            'additionalProperties': False}
BOOLEAN = {'type': ['boolean', 'string'],
           'enum': [True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes',
                    'yes', 'y', 't', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off',
                    'off', 'NO', 'No', 'no', 'n', 'f']}
POSITIVE_INT = {'type': ['integer', 'string'], 'pattern': '^[0-9]*$', 'minimum': 1,
                'maximum': 2147483647}
NON_NEGATIVE_INT = {'type': ['integer', 'string'], 'pattern': '^[0-9]*$', 'minimum': 0,
                    'maximum': 2147483647}
UUID = {'type': 'string', 'format': 'uuid'}
TAG = {'type': 'string', 'minLength': 1, 'maxLength': 60, 'pattern': '^[^,/]*$'}

_TRUE = re.compile(r'^(1|true|t|yes|y|on)$', re.I)


def to_bool(value):
    if isinstance(value, bool):
        return value
    return bool(_TRUE.match(str(value)))


def to_int(value, name):
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value)
    except (TypeError, ValueError):
        raise exception.ValidationError("Invalid input for field/attribute %s. "
                                        "Value: %s. must be an integer" % (name, value))
    return number


def validate_value(value, schema):
    """Validate an action's argument (the value under its name in the body)."""
    return validation.validate(schema, value)
