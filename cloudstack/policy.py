"""oslo.policy for every service: defaults in code, overridable by policy.yaml.

Personas: `admin`, `member` and `reader` (admin implies member implies reader,
through Keystone's implied roles), in project, domain or system scope.
"""
import itertools
import time

from oslo_policy import policy

from cloudstack import exception
from cloudstack.conf import CONF

# Check strings the services' defaults are built from.
ADMIN = 'role:admin'
READER = 'role:reader or role:member or role:admin'
MEMBER = 'role:member or role:admin'
SYSTEM_ADMIN = 'role:admin and system_scope:all'
OWNER = 'user_id:%(target.user_id)s'
PROJECT_MEMBER = 'project_id:%(target.project_id)s and (' + MEMBER + ')'
PROJECT_READER = 'project_id:%(target.project_id)s and (' + READER + ')'

# How often a changed policy.yaml is noticed; reading it costs more than
# checking a rule, so not on every request.
RELOAD_INTERVAL = 1.0

_enforcer = None
_loaded_at = 0.0


def _service_rules():
    from cloudstack.identity import policies as identity
    from cloudstack.image import policies as image
    from cloudstack.object_store import policies as object_store
    return [identity.list_rules(), image.list_rules(), object_store.list_rules()]


def list_rules():
    """Every default rule, for oslopolicy-sample-generator."""
    base = [
        policy.RuleDefault('admin_required', ADMIN),
        policy.RuleDefault('owner', OWNER),
        policy.RuleDefault('admin_or_owner', 'rule:admin_required or rule:owner'),
    ]
    return base + list(itertools.chain.from_iterable(_service_rules()))


def enforcer():
    global _enforcer
    if _enforcer is None:
        _enforcer = policy.Enforcer(CONF)
        _enforcer.register_defaults(list_rules())
        _enforcer.load_rules()
    return _enforcer


def reset():
    global _enforcer, _loaded_at
    _enforcer = None
    _loaded_at = 0.0


def _rules():
    global _loaded_at
    now = time.monotonic()
    if now - _loaded_at > RELOAD_INTERVAL:
        enforcer().load_rules()
        _loaded_at = now
    return _enforcer.rules


def authorize(context, rule, target=None):
    """Raise Forbidden unless `context` may do `rule` on `target`."""
    if context.is_admin:
        return
    check = _rules()[rule]       # KeyError: a rule the code forgot to register
    flat = _flatten({'target': target or {}})
    if not check(flat, context.to_policy_values(), _enforcer, rule):
        raise exception.Forbidden(
            'You are not authorized to perform the requested action: %s.' % rule)


def _flatten(d, prefix=''):
    """{'target': {'user': {'id': 1}}} -> {'target.user.id': 1}, for check strings."""
    flat = {}
    for key, value in d.items():
        name = prefix + key
        if isinstance(value, dict):
            flat.update(_flatten(value, name + '.'))
        else:
            flat[name] = value
    return flat


def check(context, rule, target=None):
    """True when `context` may do `rule` on `target`. Without a target the
    answer depends on the caller alone: it is worked out once per context
    (that is, per request)."""
    if target is None:
        known = context.__dict__.setdefault('_checked_rules', {})
        if rule not in known:
            known[rule] = check(context, rule, {})
        return known[rule]
    try:
        authorize(context, rule, target)
        return True
    except exception.Forbidden:
        return False
