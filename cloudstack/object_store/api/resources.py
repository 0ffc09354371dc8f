"""Accounts and containers: /v1/{account} and /v1/{account}/{container}."""
from cloudstack.object_store.api import util
from cloudstack.object_store import manager as os_manager
from cloudstack.object_store import policies


def _mgr():
    return os_manager.get()


# --- accounts ---------------------------------------------------------------
def account_headers(row, owner=True, policy_stats=None):
    """The account's headers; `policy_stats` ({number: (containers,
    objects, bytes)}) gives the per-policy ones (else read)."""
    h = {
        'X-Account-Container-Count': str(row.container_count),
        'X-Account-Object-Count': str(row.object_count),
        'X-Account-Bytes-Used': str(row.bytes_used),
        'X-Timestamp': util.display_ts(row.created_at),
        'X-Put-Timestamp': util.display_ts(row.put_timestamp),
        'Accept-Ranges': 'bytes',
    }
    if policy_stats is None:
        policy_stats = _mgr().policy_stats(None, row)
    names = os_manager.policy_names()
    for number, (containers, objects, used) in sorted(policy_stats.items()):
        if number < len(names):
            pol = 'X-Account-Storage-Policy-%s-' % names[number]
            h[pol + 'Container-Count'] = str(containers)
            h[pol + 'Object-Count'] = str(objects)
            h[pol + 'Bytes-Used'] = str(used)
    h.update(row.meta or {})
    domain = h.pop(os_manager.PROJECT_DOMAIN, None)
    if domain:
        h['X-Account-Project-Domain-Id'] = domain
    acl = h.pop(os_manager.ACCOUNT_ACL, None)
    if owner and acl:
        h['X-Account-Access-Control'] = acl
    return h


def _hide_reserved(listing):
    """Keep the reserved namespace (hidden containers) out of a client's
    listing: its names all sort first, so the lower bound passes them."""
    if listing.reverse:
        listing.end_marker = max(listing.end_marker, util.RESERVED_END)
    else:
        listing.marker = max(listing.marker, util.RESERVED_END)


def _account_acl(name):
    return lambda: _mgr().account_acl(name)


def account(req, name):
    ctx = req.context
    mgr = _mgr()
    if req.method in ('GET', 'HEAD'):
        level = policies.authorize_account(ctx, name, 'read-only', _account_acl(name))
        owner = level == policies.OWNER
        listing = util.listing_params(req, os_manager.ACCOUNT_LISTING_LIMIT)
        if not req.environ.get(util.ALLOW_RESERVED_ENV):
            _hide_reserved(listing)
        if req.method == 'HEAD':
            row = mgr.get_account(ctx, name)
            fmt = util.listing_format(req)
            return util.empty(204, account_headers(row, owner), fmt + '; charset=utf-8')
        row, items = mgr.list_containers(ctx, name, listing)
        return util.render_listing(req, 'account', name, items,
                                   account_headers(row, owner))
    if req.method == 'POST':
        policies.authorize_account(ctx, name, account_acl=_account_acl(name))
        updates, removes = util.meta_headers(req, 'account')
        if 'X-Account-Access-Control' in req.headers:
            acl = policies.parse_account_acl(req.headers['X-Account-Access-Control'])
            updates[os_manager.ACCOUNT_ACL] = acl
        updates.update(req.environ.get(util.SYSMETA_ENV) or {})
        mgr.update_account(ctx, name, updates, removes)
        mgr.record_project_domain(ctx, name)
        return util.empty(204)
    raise util.error(405, 'Method Not Allowed',
                     headers={'Allow': 'GET, HEAD, POST'})


# --- containers -------------------------------------------------------------
def container_headers(row, owner):
    h = {
        'X-Container-Object-Count': str(row.object_count),
        'X-Container-Bytes-Used': str(row.bytes_used),
        'X-Timestamp': util.display_ts(row.created_at),
        'X-Put-Timestamp': util.display_ts(row.put_timestamp),
        'X-Storage-Policy': os_manager.policy_names()[row.storage_policy],
        'Last-Modified': util.http_date(row.put_timestamp),
        'Accept-Ranges': 'bytes',
    }
    h.update(row.meta or {})
    if owner:
        if row.read_acl:
            h['X-Container-Read'] = row.read_acl
        if row.write_acl:
            h['X-Container-Write'] = row.write_acl
    return h


def _acls(req):
    acls = {}
    for key in ('read', 'write'):
        header = 'X-Container-' + key.title()
        if header in req.headers:
            acls[key] = policies.clean_acl(header.lower(), req.headers[header])
        if 'X-Remove-Container-' + key.title() in req.headers:
            acls[key] = ''
    return acls


def container(req, account_name, name):
    ctx = req.context
    mgr = _mgr()
    method = req.method
    if method in ('GET', 'HEAD'):
        listing = util.listing_params(req, os_manager.CONTAINER_LISTING_LIMIT)
        crow, owner = util.container_access(req, account_name, name, listing=True)
        if method == 'HEAD':
            fmt = util.listing_format(req)
            return util.empty(204, container_headers(crow, owner),
                              fmt + '; charset=utf-8')
        if util.listing_format(req) == 'application/json':
            made = mgr.list_objects_json(ctx, account_name, name, listing, crow=crow)
            if made is not None:
                row, body = made
                return util.json_listing(body, container_headers(row, owner))
        row, items = mgr.list_objects(ctx, account_name, name, listing, crow=crow)
        return util.render_listing(req, 'container', name, items,
                                   container_headers(row, owner))
    if method in ('PUT', 'POST', 'DELETE'):
        policies.authorize_account(ctx, account_name, 'read-write',
                                   _account_acl(account_name))
    if method == 'PUT':
        if '/' in name:
            raise util.error(400, 'Bad Request', 'Container name cannot contain /')
        if name.startswith(util.RESERVED) and not req.environ.get(util.ALLOW_RESERVED_ENV):
            raise util.error(400, 'Bad Request', 'Invalid reserved-namespace container name')
        updates, removes = util.meta_headers(req, 'container')
        updates.update(req.environ.get(util.SYSMETA_ENV) or {})
        policy = req.headers.get('X-Storage-Policy')
        # an empty value is the default policy, as Swift takes it
        policy = os_manager.policy_number(policy) if policy else None
        created = mgr.put_container(ctx, account_name, name, updates, removes,
                                    _acls(req), policy=policy)
        mgr.record_project_domain(ctx, account_name)
        return util.empty(201 if created else 202)
    if method == 'POST':
        updates, removes = util.meta_headers(req, 'container')
        updates.update(req.environ.get(util.SYSMETA_ENV) or {})
        mgr.update_container(ctx, account_name, name, updates, removes, _acls(req))
        return util.empty(204)
    if method == 'DELETE':
        mgr.delete_container(ctx, account_name, name)
        return util.empty(204)
    raise util.error(405, 'Method Not Allowed',
                     headers={'Allow': 'DELETE, GET, HEAD, POST, PUT'})
