"""The Object Storage (Swift v1) API.

Paths are split as Swift splits them: /v1/{account}[/{container}[/{object}]],
the object name keeping any '/'. The API turns HTTP into manager calls and
manager results into Swift's headers and bodies, and decides first who may do
what (policies.py: authorize_account, authorize_container); the manager trusts
it.
"""
import importlib.metadata
import json

import webob

from cloudstack.conf import CONF
from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.object_store.api import objects
from cloudstack.object_store.api import resources
from cloudstack.object_store.api import util
from cloudstack.object_store import manager as os_manager
from cloudstack.object_store import middleware


def server_version():
    try:
        return importlib.metadata.version('cloudstack')
    except importlib.metadata.PackageNotFoundError:
        return 'unknown'


# The Swift release whose API this server serves in full (account object-count
# quotas, container CORS, ...): clients and Tempest gate features on /info's
# version, so it names that release; this server's own is 'cloudstack_version'.
SWIFT_API_VERSION = '2.34.0'


def info_body():
    """What /info reports: only what this server really supports."""
    m = os_manager
    return {
        'swift': {
            'version': SWIFT_API_VERSION,
            'cloudstack_version': server_version(),
            'max_file_size': m.MAX_FILE_SIZE,
            'max_object_name_length': m.MAX_OBJECT_NAME_LENGTH,
            'max_container_name_length': m.MAX_CONTAINER_NAME_LENGTH,
            'max_account_name_length': m.MAX_ACCOUNT_NAME_LENGTH,
            'max_meta_name_length': m.MAX_META_NAME_LENGTH,
            'max_meta_value_length': m.MAX_META_VALUE_LENGTH,
            'max_meta_count': m.MAX_META_COUNT,
            'max_meta_overall_size': m.MAX_META_OVERALL_SIZE,
            'max_header_size': m.MAX_HEADER_SIZE,
            'container_listing_limit': m.CONTAINER_LISTING_LIMIT,
            'account_listing_limit': m.ACCOUNT_LISTING_LIMIT,
            'extra_header_count': m.EXTRA_HEADER_COUNT,
            'valid_api_versions': ['v1', 'v1.0'],
            'strict_cors_mode': CONF.object_store.strict_cors_mode,
            'allow_open_expired': False,
            'allow_account_management': False,
            'account_autocreate': True,
            'policies': [dict({'name': name, 'aliases': name},
                              **({'default': True} if not number else {}))
                         for number, name in enumerate(os_manager.policy_names())],
        },
        **middleware.registered_info(),
    }


def info_response(req):
    if req.method not in ('GET', 'HEAD'):
        raise util.error(405, 'Method Not Allowed',
                         headers={'Allow': 'GET, HEAD'})
    resp = webob.Response(status=200, content_type=None)
    resp.headers['Content-Type'] = 'application/json; charset=UTF-8'
    resp.body = json.dumps(info_body()).encode()
    return resp


class SwiftApp:
    """Dispatch by path depth and method; render errors as Swift does."""

    def __init__(self, info_only=False):
        self.info_only = info_only

    @wsgi.handles_requests
    def __call__(self, req):
        try:
            resp = self.handle(req)
        except exception.CloudstackError as exc:
            resp = util.render_error(req, exc)
        return util.finish(req, resp)

    def handle(self, req):
        try:
            path = req.environ.get('PATH_INFO', '').encode('latin-1').decode('utf-8')
        except (UnicodeEncodeError, UnicodeDecodeError):
            path = None
        if path is None or '\x00' in path:
            raise util.error(412, 'Precondition Failed', 'Invalid UTF8 or contains NULL')
        if self.info_only:
            if path.strip('/'):
                raise util.error(404, 'Not Found')
            return info_response(req)
        if path == '/info':
            return info_response(req)
        version, account, container, obj = split_path(path)
        if obj and container and account:
            return objects.dispatch(req, account, container, obj)
        if container and account:
            return resources.container(req, account, container)
        if account and not container and not obj:
            return resources.account(req, account)
        raise util.error(412, 'Precondition Failed', 'Bad URL')


def split_path(path):
    """(version, account, container, object) of a request path as Swift's
    proxy splits it ('' for what is absent): 404 when it is not
    /<version>[/<account>[/<container>[/<object>]]], 400 for an account
    under another version than v1 (or v1.0)."""
    parts = path.split('/', 4)
    if parts[0] or len(parts) < 2 or not parts[1]:
        raise util.error(404, 'Not Found')
    parts += [''] * (5 - len(parts))
    version, account, container, obj = parts[1:]
    if account and version not in VERSIONS:
        raise util.error(400, 'Bad Request')
    return version, account, container, obj


VERSIONS = ('v1', 'v1.0')


def app_factory(global_conf, **local_conf):
    return SwiftApp()


def info_app_factory(global_conf, **local_conf):
    """GET /info at the root of the server, as Swift's proxy answers it."""
    return SwiftApp(info_only=True)
