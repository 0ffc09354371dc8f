"""Who may do what in Object Storage, as Swift's keystoneauth decides it.

- An operator (a role in OPERATOR_ROLES) scoped to project P owns AUTH_P.
- A reseller admin owns every account.
- Anyone else reaches a container or its objects only through its ACLs:
  X-Container-Read for GET/HEAD, X-Container-Write for PUT/POST/DELETE of
  objects. ACL elements: '<project>:<user>', '<project>:*', '*:<user>',
  '*:*', a role name, and for reads the referrer rules '.r:*',
  '.r:<host>', '.r:.<domain>', '.r:-<host>' and '.rlistings'.
- Without a token and without an ACL granting it: 401; with a token: 403.

The role names are policy rules (object_store:operator,
object_store:reseller_admin) so that a deployment can change them.
"""
from oslo_policy import policy as oslo_policy

from cloudstack import exception
from cloudstack import context as context_mod
from cloudstack import policy

RESELLER_PREFIX = 'AUTH_'
OPERATOR = 'object_store:operator'
RESELLER_ADMIN = 'object_store:reseller_admin'
DEFAULTS = {
    OPERATOR: 'role:admin or role:member',
    RESELLER_ADMIN: 'role:ResellerAdmin',
}


def list_rules():
    # Swift has no token scopes: any token's roles count (a system or domain
    # token owns no account, having no project).
    return [oslo_policy.RuleDefault(name, check) for name, check in DEFAULTS.items()]


def _has(context, rule):
    return policy.check(context, rule)


def is_reseller_admin(context):
    return context is not None and _has(context, RESELLER_ADMIN)


def grant(account, request_id=None):
    """A context with full control of `account` and nothing else: for a
    request a filter has verified itself (a temp URL's signature)."""
    ctx = context_mod.RequestContext(request_id=request_id)
    ctx.granted_account = account
    return ctx


def is_owner(context, account):
    """The caller has full control of `account`."""
    if context is None:
        return False
    if getattr(context, 'granted_account', None) is not None:
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
                item = '.r:' + rest
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


def _identity_allowed(context, items):
    if context is None:
        return False
    project = context.project_id or ''
    user = context.user_id or ''
    names = {(context.project_name or ''), ''}
    roles = {r.lower() for r in context.roles}
    for item in items:
        if item.startswith('.'):
            continue
        if ':' in item:
            p, _, u = item.partition(':')
            if p in ('*', project) or (p and p == context.project_name):
                if u in ('*', user) or (u and u == context.user_name):
                    return True
        elif item.lower() in roles or (item in names and item):
            return True
    return False


def acl_allows(context, acl, referrer=None, listing=False, write=False):
    """Whether the container ACL lets the caller in."""
    items = parse_acl(acl)
    if _identity_allowed(context, items):
        return True
    if write:
        return False
    refs = [i[3:] for i in items if i.startswith('.r:')]
    if refs and _referrer_allowed(referrer, refs):
        return not listing or '.rlistings' in items
    return False


def deny(context):
    """The refusal for a caller: 401 when anonymous, 403 otherwise."""
    if context is None:
        return exception.Unauthorized('Unauthorized')
    return exception.Forbidden('Forbidden')


# -- The checks the API (and the filters) make before calling the manager.

def authorize_account(context, account):
    """401/403 unless the caller has full control of `account`."""
    if not is_owner(context, account):
        raise deny(context)


def authorize_container(context, account, crow, write=False, listing=False,
                        referrer=None):
    """Whether the caller owns `account`, once it may use the container whose
    row is `crow` (None: there is none) as asked: 401/403 otherwise, and
    404 to an owner when there is no such container. Others never learn
    whether a container they may not use exists."""
    if is_owner(context, account):
        if crow is None:
            raise exception.NotFound('Not Found')
        return True
    acl = None if crow is None else (crow.write_acl if write else crow.read_acl)
    if not acl_allows(context, acl, referrer=referrer, listing=listing, write=write):
        raise deny(context)
    return False
