"""Where a new volume goes: the pools the volume agents reported, filtered by
zone, capacity and the volume type's extra specs (Cinder's capabilities
filter semantics), the one with the most free space first."""
import datetime
import functools
import operator

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.db.models import utcnow
from cloudstack.volume import models

_BOOL = {'true': True, '1': True, 'yes': True, 'on': True, 'y': True, 't': True,
         'false': False, '0': False, 'no': False, 'off': False, 'n': False, 'f': False}


def _bool(value):
    return _BOOL.get(str(value).strip().lower(), False)


def _num(op):
    return lambda have, want: op(float(have), float(want))


OPERATORS = {
    '=': _num(operator.ge), '==': _num(operator.eq), '!=': _num(operator.ne),
    '>=': _num(operator.ge), '<=': _num(operator.le),
    '<in>': lambda have, want: want in str(have),
    '<is>': lambda have, want: _bool(have) is _bool(want),
    's==': operator.eq, 's!=': operator.ne, 's<': operator.lt, 's<=': operator.le,
    's>': operator.gt, 's>=': operator.ge,
}


def spec_matches(have, want):
    """Whether capability value `have` satisfies extra spec value `want`
    ('<is> True', '>= 10', '<or> a <or> b', or a plain value)."""
    if want is None:
        return have is None
    words = str(want).split()
    if not words:
        return str(have) == want
    op = words[0]
    if op == '<or>':
        return str(have) in words[1::2]
    func = OPERATORS.get(op)
    if func is None:
        return str(have) == want if not isinstance(have, bool) else _bool(want) is have
    if have is None or len(words) < 2:
        return False
    try:
        return bool(func(have if not op.startswith('s') else str(have), words[1]))
    except (TypeError, ValueError):
        return False


def satisfies(capabilities, specs):
    """Cinder's capabilities filter: every unscoped or `capabilities:` spec
    names a capability the pool has, with a matching value; other scopes
    (RESKEY:, qos:, ...) are for others."""
    for key, want in specs.items():
        scope = key.split(':')
        if len(scope) > 1 and scope[0] != 'capabilities':
            continue
        if scope[0] == 'capabilities':
            scope = scope[1:]
        have = capabilities
        for part in scope:
            if not isinstance(have, dict) or part not in have:
                return False
            have = have[part]
        if not spec_matches(have, want):
            return False
    return True


def fresh_after():
    return utcnow() - datetime.timedelta(
        seconds=max(60.0, CONF.volume.stats_interval * 6))


@functools.cache
def _queries():
    """(fresh pools, GiB per pool): built once, every create runs them."""
    P, V = models.Pool, models.Volume
    return (sa.select(P).where(P.updated_at >= sa.bindparam('after')).order_by(P.name),
            sa.select(V.host, sa.func.sum(V.size)).where(V.host.is_not(None))
            .group_by(V.host))


def live_pools(session):
    """The pools that reported lately, of volume agents not disabled."""
    from cloudstack.tasks import agents
    disabled = {a['host'] for a in agents.list_agents(role='volume') if a['disabled']}
    return [p for p in session.scalars(_queries()[0], {'after': fresh_after()})
            if p.host not in disabled]


def provisioned(session):
    """{pool name: GiB of volumes on it}."""
    return dict(session.execute(_queries()[1]).all())


def choose(session, size, specs, zone=None, backend_of=None, exclude=()):
    """The pool (host@backend#pool) for a volume of `size` GiB, or None.

    backend_of: a pool whose backend the volume must stay on (clones)."""
    used = provisioned(session)
    best = None
    for pool in live_pools(session):
        caps = pool.capabilities or {}
        if pool.frozen or pool.name in exclude:
            continue
        if zone and pool.availability_zone != zone:
            continue
        if backend_of and pool.name.partition('#')[0] != backend_of.partition('#')[0]:
            continue
        if not satisfies(caps, specs):
            continue
        free = headroom(caps, used.get(pool.name, 0))
        if free < size:
            continue
        if best is None or free > best[0]:
            best = (free, pool.name)
    return best and best[1]


def headroom(caps, provisioned_gb):
    """GiB a pool can still promise: its free space, or for a thin pool its
    capacity times the over-subscription ratio less what it promised."""
    total = float(caps.get('total_capacity_gb') or 0)
    free = float(caps.get('free_capacity_gb') or 0)
    reserved = total * float(caps.get('reserved_percentage') or 0) / 100.0
    if caps.get('thin_provisioning_support'):
        ratio = float(caps.get('max_over_subscription_ratio') or 1.0)
        return min(total * ratio - provisioned_gb, (free - reserved) * ratio)
    return free - reserved
