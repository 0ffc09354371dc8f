"""Who may do what in Object Storage, as Swift's keystoneauth decides it.

- An operator (object_store:operator) scoped to project P owns AUTH_P; a
  project reader (object_store:project_reader, keystoneauth's
  project_reader_roles) scoped to P may read it (GET/HEAD), never write.
- A reseller admin owns every account.
- Anyone else reaches a container or its objects only through its ACLs:
  X-Container-Read for GET/HEAD, X-Container-Write for PUT/POST/DELETE of
  objects. ACL elements: '<project>:<user>', '<project>:*', '*:<user>',
  '*:*', a role name, and for reads the referrer rules '.r:*',
  '.r:<host>', '.r:.<domain>', '.r:-<host>' and '.rlistings'.
- Names (a project's or a user's) match in ACLs only when the caller's user
  and project, and the account's project, are in the default domain
  (keystoneauth's rule: names are unique only within a domain).
- Account ACLs (X-Account-Access-Control, kept as account sysmeta): JSON
  lists of identities under "read-only" (GET/HEAD of the account, its
  containers and objects), "read-write" (also writes to containers and
  objects, not to the account's metadata) and "admin" (the owner's rights,
  ACLs included).
- Without a token and without an ACL granting it: 401; with a token: 403.

The role names are policy rules (object_store:operator,
object_store:reseller_admin) so that a deployment can change them.
"""
import json

from oslo_policy import policy as oslo_policy

from cloudstack import exception
from cloudstack import context as context_mod
from cloudstack import policy
from cloudstack.conf import CONF

RESELLER_PREFIX = 'AUTH_'
OPERATOR = 'object_store:operator'
RESELLER_ADMIN = 'object_store:reseller_admin'
PROJECT_READER = 'object_store:project_reader'
DEFAULTS = {
    OPERATOR: 'role:admin or role:member',
    RESELLER_ADMIN: 'role:ResellerAdmin',
    PROJECT_READER: 'role:reader',
}


def list_rules():
    # Swift has no token scopes: any token's roles count (a system or domain
    # token owns no account, having no project).
    return [oslo_policy.RuleDefault(name, check) for name, check in DEFAULTS.items()]


def _has(context, rule):
    return policy.check(context, rule)


def is_reseller_admin(context):
    return context is not None and _has(context, RESELLER_ADMIN)


def grant(account, request_id=None, container=None):
    """A context with full control of `account` (only of its `container`
    when given) and nothing else: for a request a filter has verified
    itself (a temp URL's signature)."""
    ctx = context_mod.RequestContext(request_id=request_id)
    ctx.granted_account = account
    ctx.granted_container = container
    return ctx


def _is_grant(context):
    return getattr(context, 'granted_account', None) is not None


def is_owner(context, account):
    """The caller has full control of `account`."""
    if context is None:
        return False
    if _is_grant(context):
        return context.granted_account == account
    if context.is_admin or is_reseller_admin(context):
        return True
    return (context.project_id is not None
            and account == RESELLER_PREFIX + context.project_id
            and _has(context, OPERATOR))


def parse_acl(value):
    """The elements of an ACL header: comma separated, blanks dropped."""
    return [v.strip() for v in (value or '').split(',') if v.strip()]


def clean_acl(name, value):
    """Validate an ACL header value; BadRequest on a malformed referrer rule."""
    out = []
    for item in parse_acl(value):
        if item.startswith('.'):
            kind, _, rest = item.partition(':')
            if kind in ('.r', '.ref', '.referer', '.referrer'):
                if not rest or rest in ('-', '.', '-.'):
                    raise exception.BadRequest(
                        'Error: cannot set ACL %s: %s' % (name, item))
                if name.endswith('write'):
                    raise exception.BadRequest(
                        'Referrers not allowed in write ACL: %r' % item)
                # '*.example.com' means '.example.com', as Swift cleans it
                deny, host = ('-', rest[1:]) if rest.startswith('-') else ('', rest)
                if host != '*' and host.startswith('*'):
                    host = host[1:]
                    if not host or host == '.':
                        raise exception.BadRequest(
                            'Error: cannot set ACL %s: %s' % (name, item))
                item = '.r:' + deny + host
            elif kind != '.rlistings':
                raise exception.BadRequest(
                    'Unknown designator %r in ACL %r' % (kind, value))
        out.append(item)
    return ','.join(out)


def _referrer_allowed(referrer, rules):
    """Swift's referrer matching: later rules win; '-' denies."""
    host = ''
    if referrer:
        part = referrer.split('//', 1)[-1] if '//' in referrer else referrer
        host = part.split('/', 1)[0].split(':', 1)[0].lower()
    allow = False
    for rule in rules:
        deny = rule.startswith('-')
        rule = rule[1:] if deny else rule
        rule = rule.lower()
        if rule == '*':
            match = True
        elif rule.startswith('.'):
            match = bool(host) and (host.endswith(rule) or host == rule[1:])
        else:
            match = host == rule
        if match:
            allow = not deny
    return allow


def _names_allowed(context, account):
    """Whether names may match in the ACLs of `account` (keystoneauth's
    rule): the caller's user and project and the account's project are all
    in the default domain."""
    default = CONF.identity.default_domain_id
    for domain in (context.user_domain_id, context.project_domain_id):
        if domain and domain != default:
            return False
    if account is None or account == RESELLER_PREFIX + (context.project_id or ''):
        return True
    return account_domain(account) in (default, None)


def account_domain(account):
    """The domain of the project owning `account` (None when unknown)."""
    from cloudstack.identity import manager as identity
    if not account.startswith(RESELLER_PREFIX):
        return None
    try:
        return identity.get().get_project(account[len(RESELLER_PREFIX):])['domain_id']
    except exception.NotFound:
        return None


def _identity_allowed(context, items, account=None):
    if context is None:
        return False
    project = context.project_id or ''
    user = context.user_id or ''
    roles = {r.lower() for r in context.roles}
    names = None            # worked out when an ACL has an element to match
    for item in items:
        if item.startswith('.'):
            continue
        if ':' in item:
            p, _, u = item.partition(':')
            if p in ('*', project) and u in ('*', user):
                return True
            if names is None:
                names = _names_allowed(context, account)
            if names and p in ('*', project, context.project_name) and \
                    u in ('*', user, context.user_name) and \
                    (p == context.project_name or u == context.user_name):
                return True
        elif item.lower() in roles:
            return True
    return False


def acl_allows(context, acl, referrer=None, listing=False, write=False,
               account=None):
    """Whether the container ACL (of a container of `account`) lets the
    caller in."""
    items = parse_acl(acl)
    if _identity_allowed(context, items, account):
        return True
    if write:
        return False
    refs = [i[3:] for i in items if i.startswith('.r:')]
    if refs and _referrer_allowed(referrer, refs):
        return not listing or '.rlistings' in items
    return False


def deny(context):
    """The refusal for a caller: 401 when anonymous (or holding only a
    filter's grant), 403 otherwise."""
    if context is None or _is_grant(context):
        return exception.Unauthorized('Unauthorized')
    return exception.Forbidden('Forbidden')


# -- Account ACLs (X-Account-Access-Control) ----------------------------------
ACL_LEVELS = ('read-only', 'read-write', 'admin')
OWNER = 'admin'


def parse_account_acl(value):
    """The stored form (JSON text, '' to remove) of an X-Account-Access-Control
    value; BadRequest when it is not a JSON object of lists of identities
    under read-only, read-write and admin."""
    try:
        acl = json.loads(value) if value.strip() else {}
    except ValueError:
        raise exception.BadRequest('Syntax error in input (%r)' % value)
    if not isinstance(acl, dict):
        raise exception.BadRequest('Syntax error in input (%r)' % value)
    for key, items in acl.items():
        if key not in ACL_LEVELS:
            raise exception.BadRequest('Key %r not recognized' % key)
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise exception.BadRequest('Value for key %r must be a list of '
                                       'strings' % key)
    acl = {k: v for k, v in acl.items() if v}
    return json.dumps(acl, sort_keys=True) if acl else ''


def account_level(context, account, account_acl=None):
    """What the caller may do with `account`: 'admin' (full control, as its
    owner), 'read-write', 'read-only' or None. `account_acl` gives the
    account's stored ACL when called (read only for callers who do not own
    the account)."""
    if is_owner(context, account):
        return OWNER
    if context is None or _is_grant(context):
        return None
    if context.project_id is not None and \
            account == RESELLER_PREFIX + context.project_id and \
            _has(context, PROJECT_READER):
        return 'read-only'
    if account_acl is None:
        return None
    raw = account_acl()
    if not raw:
        return None
    try:
        acl = json.loads(raw)
    except ValueError:
        return None
    for level in reversed(ACL_LEVELS):
        if _identity_allowed(context, acl.get(level) or [], account):
            return level
    return None


# -- The checks the API (and the filters) make before calling the manager.

def authorize_account(context, account, need=OWNER, account_acl=None):
    """401/403 unless the caller may use `account` at level `need` (full
    control by default; 'read-write', 'read-only'); the level it has."""
    level = account_level(context, account, account_acl)
    if level is None or ACL_LEVELS.index(level) < ACL_LEVELS.index(need):
        raise deny(context)
    return level


def authorize_container(context, account, crow, write=False, listing=False,
                        referrer=None, account_acl=None, container=None):
    """Whether the caller has full control of `account`, once it may use
    the container whose row is `crow` (None: there is none) as asked:
    401/403 otherwise, and 404 to those the account lets in when there is
    no such container. Others never learn whether a container they may not
    use exists. A grant for one container (`container` names the one asked
    for) reaches no other."""
    granted = getattr(context, 'granted_container', None)
    if granted is not None and container != granted:
        raise deny(context)
    level = account_level(context, account, account_acl)
    if level is not None and (level != 'read-only' or not write):
        if crow is None:
            raise exception.NotFound('Not Found')
        return level == OWNER
    acl = None if crow is None else (crow.write_acl if write else crow.read_acl)
    if not acl_allows(context, acl, referrer=referrer, listing=listing, write=write,
                      account=account):
        raise deny(context)
    return False
