"""How every Networking resource answers HTTP, as Neutron's v2 API does.

A `Resource` names its manager methods and attribute map; its handlers parse
the body (one item or a bulk list), authorize with Neutron's rules (the
operation, then each attribute the request sets), call the manager, and
render: items the caller may not see are left out of lists, attributes it may
not see are removed, and `fields=` picks what remains. Lists take Neutron's
filters (any attribute, repeated for several values), sort_key/sort_dir,
limit/marker/page_reverse, and answer `<collection>_links` when paged.
"""
import re
import time
import urllib.parse

from oslo_policy import _checks

from cloudstack import policy
from cloudstack.api import wsgi
from cloudstack.conf import CONF
from cloudstack.network import exceptions as exc
from cloudstack.network import manager
from cloudstack.network.api import attributes
from cloudstack.network.manager import base as manager_base

NOT_FILTERS = ('fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse')
_KEY = re.compile(r'%\(([^)]+)\)s')
_UNKNOWN = object()


def _check_keys(check, rules, seen):
    """The target keys a check reads, or None when it cannot tell."""
    if isinstance(check, (_checks.TrueCheck, _checks.FalseCheck, _checks.RoleCheck)):
        return set()
    if isinstance(check, _checks.RuleCheck):
        if check.match in seen:
            return set()
        sub = rules.get(check.match)
        return set() if sub is None else _check_keys(sub, rules, seen | {check.match})
    if isinstance(check, (_checks.AndCheck, _checks.OrCheck)):
        keys = set()
        for rule in check.rules:
            found = _check_keys(rule, rules, seen)
            if found is None:
                return None
            keys |= found
        return keys
    if isinstance(check, _checks.NotCheck):
        return _check_keys(check.rule, rules, seen)
    if hasattr(check, 'field') and hasattr(check, 'resource'):      # field:
        return {check.field, '%s:%s' % (check.resource, check.field)}
    if isinstance(check, _checks.GenericCheck) or type(check).__name__ == 'TenantCheck':
        return set(_KEY.findall(check.match))
    return None


_keys_cache = {}


def policy_keys(rule):
    """The target keys `rule` reads (so equal targets can share a decision)."""
    enforcer = policy.enforcer(rule)
    check = enforcer.rules.get(rule)
    cached = _keys_cache.get(rule)
    if cached is not None and cached[0] is check:
        return cached[1]
    keys = _check_keys(check, enforcer.rules, {rule}) if check is not None else None
    keys = tuple(sorted(keys)) if keys is not None else None
    _keys_cache[rule] = (check, keys)
    return keys


def _frozen(value):
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


# Decisions by (rule, caller, the target values the rule reads), shared by
# the requests of a worker: a list of 1,000 ports of one project costs a few
# checks, not thousands, and a busy caller's next request none. A decision is
# reused for policy.RELOAD_INTERVAL at most, so a changed policy file takes
# effect as soon as it would without the cache.
_decisions = {}
MAX_DECISIONS = 20000


def _caller(ctx):
    found = ctx.__dict__.get('_policy_caller')
    if found is None:
        found = ctx.__dict__['_policy_caller'] = _frozen(ctx.to_policy_values())
    return found


class Authorizer:
    """Neutron's rules for one request."""

    def __init__(self, ctx):
        self.ctx = ctx

    def allowed(self, rule, target):
        if self.ctx.is_admin:
            return True
        try:
            keys = policy_keys(rule)
        except KeyError:
            return True         # a rule no one registered: no restriction
        if keys is None:
            return policy.check(self.ctx, rule, target)
        key = (rule, _caller(self.ctx)) + tuple(_frozen(target.get(k)) for k in keys)
        now = time.monotonic()
        found = _decisions.get(key)
        if found is None or now - found[1] > policy.RELOAD_INTERVAL:
            if len(_decisions) >= MAX_DECISIONS:
                _decisions.clear()
            found = _decisions[key] = (policy.check(self.ctx, rule, target), now)
        return found[0]

    def enforce(self, rule, target):
        if not self.allowed(rule, target):
            raise exc.PolicyNotAuthorized(action=rule)


def parse_query(req, resource=None):
    """A manager Query from the request's query string."""
    filters = {}
    for key in set(req.GET.keys()):
        if key in NOT_FILTERS:
            continue
        values = [v for v in req.GET.getall(key)]
        filters[key] = values
    keys, dirs = req.GET.getall('sort_key'), req.GET.getall('sort_dir')
    if dirs and len(dirs) != len(keys):
        raise exc.BadRequest('The number of sort_keys and sort_dirs must be same')
    sorts = []
    for i, key in enumerate(keys):
        direction = dirs[i] if i < len(dirs) else 'asc'
        if direction not in ('asc', 'desc'):
            raise exc.BadRequest("%s is an invalid value for sort_dir, valid values are "
                                 "'asc' and 'desc'" % direction)
        sorts.append((key, direction))
    limit = req.GET.get('limit')
    if limit is not None:
        try:
            limit = int(limit)
        except ValueError:
            raise exc.BadRequest("Limit must be an integer 0 or greater and not '%s'" %
                                 limit)
        if limit < 0:
            raise exc.BadRequest("Limit must be an integer 0 or greater and not '%d'" %
                                 limit)
        limit = limit or None
    top = CONF.network.pagination_max_limit
    if top > 0 and (limit is None or limit > top):
        limit = top
    page_reverse = attributes.to_bool('page_reverse', req.GET.get('page_reverse', False))
    fields = [f for f in req.GET.getall('fields') if f]
    return manager_base.Query(filters, sorts, limit, req.GET.get('marker'), page_reverse,
                              fields or None)


def select(item, fields):
    if not fields:
        return item
    return {k: v for k, v in item.items() if k in fields}


def if_match(req):
    """The revision an If-Match header requires, or None."""
    header = req.headers.get('If-Match')
    if not header:
        return None
    wanted = None
    for part in header.split(','):
        name, _, value = part.strip().partition('=')
        if name != 'revision_number' or not value.isdigit():
            raise exc.BadRequest('If-Match header without revision_number=<int>')
        wanted = int(value)
    return wanted


class Resource:
    """A Neutron collection: routes map to index/create/show/update/delete.
    Path variables besides the item's id (a parent's) reach every hook."""

    name = None             # in policy rule names: 'network'
    key = None              # in bodies, when not the name
    collection = None       # in the URL: 'security-groups'
    spec = {}               # attribute map (attributes.py)
    bulk = True

    def __init__(self):
        self.manager = manager.get()

    @property
    def body_key(self):
        return self.key or self.name

    def collection_key(self):
        return self.collection.replace('-', '_')

    # -- to implement or adjust -------------------------------------------

    def list_items(self, ctx, query, **path):
        return getattr(self.manager, 'list_' + self.collection_key())(ctx, query, **path)

    def get_item(self, ctx, item_id, **path):
        return getattr(self.manager, 'get_' + self.name)(ctx, item_id, **path)

    def create_items(self, ctx, bodies, **path):
        many = getattr(self.manager, 'create_' + self.collection_key(), None)
        if len(bodies) > 1 and many is not None:
            return many(ctx, bodies)
        return [getattr(self.manager, 'create_' + self.name)(ctx, b, **path) for b in bodies]

    def update_item(self, ctx, item_id, body, revision, **path):
        return getattr(self.manager, 'update_' + self.name)(ctx, item_id, body,
                                                            if_match=revision, **path)

    def delete_item(self, ctx, item_id, **path):
        getattr(self.manager, 'delete_' + self.name)(ctx, item_id, **path)

    def targets(self, ctx, items, **path):
        """Policy targets of items (their dicts plus their parents' owners)."""
        return [dict(item) for item in items]

    def defaults(self, ctx, body, **path):
        """The item a create would make as far as policy sees it."""
        return dict(body)

    # -- policy -----------------------------------------------------------

    def visible(self, auth, items, targets):
        """The items the caller may see, with hidden attributes removed.
        Items whose targets agree on every value the get rules read share
        one decision (a list of one project's ports takes one)."""
        rule = 'get_' + self.name
        keys = set()
        for name in [rule] + self.hidden_rules():
            found = policy_keys(name) if not auth.ctx.is_admin else ()
            if found is None:
                keys = None
                break
            keys.update(found)
        keys = sorted(keys) if keys is not None else None
        decided = {}
        out = []
        for item, target in zip(items, targets):
            if keys is None:
                verdict = self._verdict(auth, rule, target)
            else:
                signature = tuple(_frozen(target.get(k)) for k in keys)
                verdict = decided.get(signature)
                if verdict is None:
                    verdict = decided[signature] = self._verdict(auth, rule, target)
            if verdict is False:
                continue
            for key in verdict:
                item.pop(key, None)
            out.append(item)
        return out

    def _verdict(self, auth, rule, target):
        """False when the item is hidden, else the attributes to remove."""
        if not auth.allowed(rule, target):
            return False
        prefix = len('get_%s:' % self.name)
        return [name[prefix:] for name in self.hidden_rules()
                if not auth.allowed(name, target)]

    def hide(self, auth, item, target):
        for name in self.hidden_rules():
            key = name[len('get_%s:' % self.name):]
            if key in item and not auth.allowed(name, target):
                item.pop(key)
        return item

    _hidden = None

    def hidden_rules(self):
        """The get_<name>:<attribute> rules, which hide attributes."""
        if self._hidden is None:
            prefix = 'get_%s:' % self.name
            type(self)._hidden = sorted(d.name for d in policy.list_rules('network')
                                        if d.name.startswith(prefix))
        return self._hidden

    def enforce_attributes(self, auth, action, body, target):
        """Check the rules of each attribute the request sets (and of the
        keys inside it: create_port:fixed_ips:ip_address)."""
        for key, value in body.items():
            attr = self.spec.get(key)
            if attr is None or not attr.policy:
                continue
            rule = '%s_%s:%s' % (action, self.name, key)
            self._enforce_known(auth, rule, target)
            if isinstance(value, dict):
                subkeys = set(value)
            elif isinstance(value, list):
                subkeys = {k for v in value if isinstance(v, dict) for k in v}
            else:
                subkeys = ()
            for sub in sorted(subkeys):
                self._enforce_known(auth, '%s:%s' % (rule, sub), target)

    @staticmethod
    def _enforce_known(auth, rule, target):
        try:
            policy.enforcer(rule)
        except KeyError:
            return
        auth.enforce(rule, target)

    # -- handlers ---------------------------------------------------------

    def index(self, req, **path):
        ctx = req.context
        query = parse_query(req)
        wanted = query.limit
        if wanted is not None:
            query.limit = wanted + 1
        items = self.list_items(ctx, query, **path)
        more = wanted is not None and len(items) > wanted
        if more:
            items = items[:wanted] if not query.page_reverse else items[-wanted:]
        auth = Authorizer(ctx)
        shown = [select(i, query.fields)
                 for i in self.visible(auth, items, self.targets(ctx, items, **path))]
        out = {self.collection_key(): shown}
        links = self.links(req, items, wanted, more, query)
        if links:
            out[self.collection_key() + '_links'] = links
        return out

    def links(self, req, items, limit, more, query):
        """Neutron's next and previous links of a page."""
        if limit is None or not items:
            return []
        params = [(k, v) for k, v in req.GET.items() if k not in ('marker', 'page_reverse')]

        def link(rel, marker, reverse=False):
            extra = [('marker', marker)] + ([('page_reverse', 'True')] if reverse else [])
            return {'rel': rel, 'href': '%s?%s' % (req.path_url, urllib.parse.urlencode(
                params + extra))}

        has_next, has_previous = (more, query.marker) if not query.page_reverse else (
            query.marker, more)
        out = []
        if has_next:
            out.append(link('next', items[-1]['id']))
        if has_previous:
            out.append(link('previous', items[0]['id'], reverse=True))
        return out

    def show(self, req, id, **path):
        ctx = req.context
        item = self.get_item(ctx, id, **path)
        auth = Authorizer(ctx)
        shown = self.visible(auth, [item], self.targets(ctx, [item], **path))
        if not shown:
            raise exc.not_found(self.body_key, id)
        return {self.body_key: select(shown[0], parse_query(req).fields)}

    def parse_create(self, req):
        """(items, bulk) of a create's body."""
        body = req.json_body()
        many = self.collection_key()
        if isinstance(body, dict) and many in body and self.body_key not in body:
            if not self.bulk:
                raise exc.BadRequest('Bulk operation not supported')
            raw = body[many]
            if not isinstance(raw, list) or not raw:
                raise exc.BadRequest('Resources required')
            bulk = True
        elif isinstance(body, dict) and self.body_key in body:
            raw, bulk = [body[self.body_key]], False
        else:
            raise exc.BadRequest('Resource body required')
        return [attributes.parse(self.body_key, self.spec, item, creating=True)
                for item in raw], bulk

    @wsgi.response(201)
    def create(self, req, **path):
        ctx = req.context
        items, bulk = self.parse_create(req)
        auth = Authorizer(ctx)
        for item in items:
            target = self.defaults(ctx, item, **path)
            auth.enforce('create_' + self.name, target)
            self.enforce_attributes(auth, 'create', item, target)
        made = self.create_items(ctx, items, **path)
        shown = [self.hide(auth, m, t) for m, t in zip(made, self.targets(ctx, made, **path))]
        if bulk:
            return {self.collection_key(): shown}
        return {self.body_key: shown[0]}

    def existing(self, ctx, auth, item_id, **path):
        """(item, target) of an item the caller may see, or NotFound."""
        item = self.get_item(ctx, item_id, **path)
        target = self.targets(ctx, [item], **path)[0]
        if not auth.allowed('get_' + self.name, target):
            raise exc.not_found(self.body_key, item_id)
        return item, target

    def update(self, req, id, **path):
        ctx = req.context
        body = req.json_body()
        if not isinstance(body, dict) or self.body_key not in body:
            raise exc.BadRequest('Resource body required')
        changes = attributes.parse(self.body_key, self.spec, body[self.body_key],
                                   creating=False)
        revision = if_match(req)
        auth = Authorizer(ctx)
        _item, target = self.existing(ctx, auth, id, **path)
        target.update(changes)
        auth.enforce('update_' + self.name, target)
        self.enforce_attributes(auth, 'update', changes, target)
        updated = self.update_item(ctx, id, changes, revision, **path)
        return {self.body_key: self.hide(auth, updated,
                                         self.targets(ctx, [updated], **path)[0])}

    def delete(self, req, id, **path):
        ctx = req.context
        revision = if_match(req)
        auth = Authorizer(ctx)
        item, target = self.existing(ctx, auth, id, **path)
        auth.enforce('delete_' + self.name, target)
        if revision is not None and item.get('revision_number') != revision:
            raise exc.PreconditionFailed(
                'Constraint check failed: revision_number %s does not match %s.' % (
                    item.get('revision_number'), revision))
        self.delete_item(ctx, id, **path)

    def connect(self, router, prefix='/v2.0'):
        base = '%s/%s' % (prefix, self.collection)
        router.connect(base, self, GET='index', POST='create')
        verbs = {'GET': 'show', 'DELETE': 'delete'}
        if any(a.put for a in self.spec.values()):
            verbs['PUT'] = 'update'
        router.connect(base + '/{id}', self, **verbs)
