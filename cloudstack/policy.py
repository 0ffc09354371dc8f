"""oslo.policy for every service: defaults in code, overridable by policy.yaml.

Personas: `admin`, `member` and `reader` (admin implies member implies reader,
through Keystone's implied roles), in project, domain or system scope.
"""
import importlib
import inspect
import itertools
import time

from oslo_policy import _checks
from oslo_policy import policy

from cloudstack import exception
from cloudstack.conf import CONF

# Check strings the services' defaults are built from.
ADMIN = 'role:admin'
READER = 'role:reader or role:member or role:admin'
MEMBER = 'role:member or role:admin'
SYSTEM_ADMIN = 'role:admin and system_scope:all'
PROJECT_MEMBER = 'project_id:%(target.project_id)s and (' + MEMBER + ')'
PROJECT_READER = 'project_id:%(target.project_id)s and (' + READER + ')'

# How often a changed policy.yaml is noticed; reading it costs more than
# checking a rule, so not on every request.
RELOAD_INTERVAL = 1.0

# Each service has its own enforcer over the same policy file, so that each
# can register the base rules its upstream defaults are built from (Nova's
# `admin_api`, Cinder's `admin_api`, ...) under their upstream names.
SERVICES = ('identity', 'image', 'object_store', 'network', 'compute', 'volume')

class _Signatures:
    """oslo.policy evaluates each check of a rule after looking up the
    check's signature (inspect.getfullargspec, most of the cost of a check);
    the signature is the check class's: looked up once per class."""

    def __init__(self):
        self._known = {}

    def getfullargspec(self, method):
        key = getattr(method, '__func__', method)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = inspect.getfullargspec(method)
        return found


_checks.inspect = _Signatures()

_enforcers = {}     # service -> _Enforcer
_owners = {}        # rule name -> service


class _Enforcer(policy.Enforcer):
    """oslo.policy's Enforcer, looking at the policy file (and policy.d) at
    most once every RELOAD_INTERVAL instead of on every check."""

    _looked_at = None

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if (force_reload or self._looked_at is None
                or now - self._looked_at > RELOAD_INTERVAL):
            super().load_rules(force_reload)
            self._looked_at = now


def _service_rules(service):
    module = importlib.import_module('cloudstack.%s.policies' % service)
    return list(module.list_rules())


def list_rules(service=None):
    """The default rules of `service`, or of every service (a service's own
    base rules may share a name with another service's)."""
    if service is not None:
        return _service_rules(service)
    return list(itertools.chain.from_iterable(
        _service_rules(s) for s in SERVICES))


def _service_of(rule):
    if not _owners:
        owners = {}
        for service in reversed(SERVICES):
            owners.update((default.name, service) for default in _service_rules(service))
        _owners.update(owners)      # whole, never half-filled for another thread
    return _owners[rule]        # KeyError: a rule the code forgot to register


def enforcer(rule):
    """The enforcer of the service that registers `rule`."""
    service = _service_of(rule)
    found = _enforcers.get(service)
    if found is None:
        # Published only once its rules are in: other threads use it at once.
        found = _Enforcer(CONF)
        found.register_defaults(_service_rules(service))
        found = _enforcers.setdefault(service, found)
    return found


def reset():
    _enforcers.clear()
    _owners.clear()


def authorize(context, rule, target=None):
    """Raise Forbidden unless `context` may do `rule` on `target`, as the
    enforcer judges it: the rule's check string (a policy.yaml override or
    the default), and its scope types against the token's scope."""
    if context.is_admin:
        return      # the server's own work, not a user's request
    # Both `%(target.project_id)s` and upstream's bare `%(project_id)s`.
    flat = _flatten(target or {})
    flat.update(_flatten({'target': target or {}}))
    try:
        enforcer(rule).authorize(
            rule, flat, context, do_raise=True, exc=exception.Forbidden,
            message='You are not authorized to perform the requested action: '
                    '%s.' % rule)
    except policy.InvalidScope:
        raise exception.Forbidden(
            'You are not authorized to perform the requested action: %s '
            '(not with a token of this scope).' % rule)


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
