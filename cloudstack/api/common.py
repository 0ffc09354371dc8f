"""Pagination, sorting, filtering and links shared by every API."""
import urllib.parse

import sqlalchemy as sa

from cloudstack import exception


def limit_marker(req, max_limit=1000, default=None):
    """(limit, marker) from the query string, limit capped at `max_limit`."""
    raw = req.GET.get('limit')
    limit = default
    if raw is not None:
        try:
            limit = int(raw)
        except ValueError:
            raise exception.BadRequest('limit must be an integer')
        if limit < 0:
            raise exception.BadRequest('limit must be a non-negative integer')
    if limit is None or limit > max_limit:
        limit = max_limit
    return limit, req.GET.get('marker')


def sort_params(req, allowed, default_key='created_at', default_dir='desc'):
    """[(key, dir)] from sort_key/sort_dir or sort=key:dir,... ; keys checked."""
    pairs = []
    if 'sort' in req.GET:
        for item in req.GET['sort'].split(','):
            key, _, direction = item.strip().partition(':')
            pairs.append((key, direction or default_dir))
    else:
        keys = req.GET.getall('sort_key')
        dirs = req.GET.getall('sort_dir')
        for i, key in enumerate(keys):
            pairs.append((key, dirs[i] if i < len(dirs) else default_dir))
    for key, direction in pairs:
        if key not in allowed:
            raise exception.BadRequest('Invalid sort key %s' % key)
        if direction not in ('asc', 'desc'):
            raise exception.BadRequest('Invalid sort direction %s' % direction)
    return pairs or [(default_key, default_dir)]


def paginate(stmt, model, limit, marker_row=None, sort=(('created_at', 'desc'),)):
    """Apply keyset pagination to a select of `model`, with `id` as tiebreak."""
    sort = list(sort)
    if 'id' not in [k for k, _ in sort]:
        sort.append(('id', sort[-1][1] if sort else 'asc'))
    for key, direction in sort:
        col = getattr(model, key)
        stmt = stmt.order_by(col.desc() if direction == 'desc' else col.asc())
    if marker_row is not None:
        ors = []
        for i, (key, direction) in enumerate(sort):
            ands = [getattr(model, k) == getattr(marker_row, k) for k, _ in sort[:i]]
            col = getattr(model, key)
            value = getattr(marker_row, key)
            ands.append(col < value if direction == 'desc' else col > value)
            ors.append(sa.and_(*ands))
        stmt = stmt.where(sa.or_(*ors))
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt


def next_link(req, items, limit, id_key='id'):
    """The URL of the next page, or None when this page is the last."""
    if limit is None or not items or len(items) < limit:
        return None
    params = [(k, v) for k, v in req.GET.items() if k != 'marker']
    params.append(('marker', items[-1][id_key]))
    return '%s?%s' % (req.path_url, urllib.parse.urlencode(params))


def bool_param(value):
    """An OpenStack-style boolean query value, or BadRequest."""
    v = str(value).strip().lower()
    if v in ('1', 'true', 't', 'yes', 'y', 'on'):
        return True
    if v in ('0', 'false', 'f', 'no', 'n', 'off'):
        return False
    raise exception.BadRequest('Invalid boolean value %r' % value)
