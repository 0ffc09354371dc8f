"""Swift's optional features, each a WSGI filter in front of the Swift app.

A filter is a module here with a Paste `filter_factory`, placed in the
object_store pipeline of api-paste.ini in Swift's proxy order. What it adds
to /info it declares with `register_info`, when its factory runs.

Filters reach the app the way Swift's do: through subrequests down the
rest of the pipeline (`subrequest`), carrying the caller's context, or a
`policies.grant` context when the filter itself verified who may act (a
temp URL's or a form's signature). What an account or container HEAD would
tell its owner they read from `owner_headers`, as Swift's filters read its
info cache.
"""
import urllib.parse

import webob.headers

from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.object_store.api import util
from cloudstack.object_store import policies

_info = {}
_HEADS = 'cloudstack.object_store.heads'    # environ: owner_headers' answers
# object_versioning's sysmeta naming a container's hidden versions container
VERSIONS_CONTAINER = 'X-Container-Sysmeta-Versions-Container'


def split_path(path_info):
    """(version, account, container, obj) of a /v1/a[/c[/o]] PATH_INFO
    (a latin-1 str of UTF-8 bytes), decoded; None when it is not one."""
    try:
        path = path_info.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    parts = path.split('/', 4)
    if len(parts) < 3 or parts[0] or parts[1] not in ('v1', 'v1.0') or not parts[2]:
        return None
    parts += [''] * (5 - len(parts))
    return parts[1], parts[2], parts[3], parts[4]


def quote_path(*parts):
    """'/'-joined, URL-quoted parts: the path of a subrequest."""
    return '/' + '/'.join(urllib.parse.quote(p, safe='/') for p in parts)


def register_info(name, **capabilities):
    """Announce feature `name` (with its settings) in GET /info."""
    _info[name] = capabilities


def registered_info():
    return {name: dict(caps) for name, caps in _info.items()}


def subrequest(environ, method, path, headers=None, body=None, context=None,
               query_string=''):
    """A new request for `path` (/v1/..., URL-quoted: quote_path) with the
    caller's context.

    `context` replaces the caller's (None keeps it)."""
    req = wsgi.Request.blank(path, method=method, headers=headers or {})
    req.environ['QUERY_STRING'] = query_string
    # the Referer too: referrer ACLs apply to segments as to the manifest
    for key in ('cloudstack.context', 'REMOTE_ADDR', 'HTTP_X_OPENSTACK_REQUEST_ID',
                'HTTP_REFERER', 'HTTP_USER_AGENT',
                'openstack.request_id', 'SERVER_NAME', 'SERVER_PORT',
                'HTTP_HOST', 'wsgi.url_scheme', 'SCRIPT_NAME', util.TRANS_ID_ENV):
        if key in environ:
            req.environ[key] = environ[key]
    if context is not None:
        req.environ['cloudstack.context'] = context
    req.environ['cloudstack.object_store.subrequest'] = True
    if body is not None:
        if isinstance(body, bytes):
            req.body = body
        else:
            req.body_file = body
    return req


def owner_headers(environ, account, container=None):
    """The headers a HEAD of an account or container answers its owner,
    system metadata included, or None when it has none to give: a filter's
    own look-up. Asked of the manager directly (no subrequest), once per
    client request whichever filters ask, as Swift's info cache does."""
    cache = environ.setdefault(_HEADS, {})
    key = (account, container)
    if key not in cache:
        cache[key] = _lookup(account, container, environ)
    return cache[key]


def _lookup(account, container, environ):
    if '\x00' in account + (container or ''):
        return None             # no such name (the app answers 412)
    # imported here: the app's package imports this one
    from cloudstack.object_store.api import resources
    from cloudstack.object_store import manager
    mgr, context = manager.get(), policies.grant(account)
    try:
        if container:
            row = mgr.get_container(context, account, container)
            # the app's own look-up of this request's container reads it here
            environ.setdefault(util.CONTAINER_ROWS_ENV, {})[account, container] = row
            headers = resources.container_headers(row, owner=True)
            versions = (row.meta or {}).get(VERSIONS_CONTAINER)
            hidden = mgr.container_row(account, versions) if versions else None
            if hidden is not None:
                # a versioned container's bytes are its versions' (quotas)
                headers['X-Container-Bytes-Used'] = str(row.bytes_used + hidden.bytes_used)
        else:
            headers = resources.account_headers(mgr.get_account(context, account))
    except exception.CloudstackError:
        return None
    return webob.headers.ResponseHeaders(list(headers.items()))
