"""The Compute (Nova v2.1) API: one module per resource, each adding its routes.

Paths are served under /v2.1, with or without the caller's project id after
it (older clients' endpoints carry it); microversions are negotiated per
request (OpenStack-API-Version: compute X.Y, X-OpenStack-Nova-API-Version).
"""
import re

from cloudstack import exception
from cloudstack.api import wsgi
from cloudstack.compute.api import common, versions
from cloudstack.wsgi import middleware

_PROJECT_SEGMENT = re.compile(r'^[0-9a-fA-F]{32}$|^[0-9a-fA-F-]{36}$')


def _modules():
    from cloudstack.compute.api import (
        aggregates, assisted_snapshots, availability_zones, console_auth_tokens, extensions,
        flavors, hypervisors, keypairs, limits, migrations, network_proxies, proxies, quotas,
        server_actions, server_events, server_groups, server_parts, servers, services, usage,
        volume_proxies)
    return (flavors, keypairs, limits, quotas, servers, server_actions, server_parts,
            server_groups, availability_zones, aggregates, hypervisors, services,
            migrations, server_events, usage, extensions, proxies, network_proxies,
            assisted_snapshots, console_auth_tokens, volume_proxies)


class ComputeRouter(wsgi.Router):
    """Routes under /v2.1 with the negotiated microversion on every answer."""

    def __init__(self):
        super().__init__()
        self.versions = versions.Versions()

    @wsgi.handles_requests
    def __call__(self, req):
        path = req.path_info.rstrip('/') or '/'
        if path == '/':
            return wsgi.dispatch(req, self.versions.index, {})
        if path in ('/v2.1', '/v2'):
            return wsgi.dispatch(req, self.versions.show, {})
        version = common.NEGOTIATOR.min
        try:
            version = common.NEGOTIATOR.negotiate(req.headers)
            req.environ['cloudstack.api_version'] = version
            resp = self._route(req)
        except exception.CloudstackError as exc:
            exc.headers.update(common.NEGOTIATOR.response_headers(version))
            raise
        for k, v in common.NEGOTIATOR.response_headers(version).items():
            resp.headers[k] = v
        return resp

    def _route(self, req):
        path = req.path_info
        if not path.startswith('/v2.1/') and not path.startswith('/v2/'):
            raise exception.NotFound('The resource could not be found.')
        prefix = '/v2.1' if path.startswith('/v2.1/') else '/v2'
        rest = path[len(prefix):]
        first, _, tail = rest[1:].partition('/')
        if _PROJECT_SEGMENT.match(first) and req.context is not None:
            if first.replace('-', '') != (req.context.project_id or '').replace('-', ''):
                raise exception.BadRequest(
                    "Malformed request URL: URL's project_id '%s' doesn't match "
                    "Context's project_id '%s'" % (first, req.context.project_id))
            rest = '/' + tail
        req.environ['SCRIPT_NAME'] = req.environ.get('SCRIPT_NAME', '')
        req.environ['cloudstack.compute.prefix'] = prefix
        req.environ['PATH_INFO'] = rest or '/'
        found = self.mapper.routematch(environ=req.environ)
        if found is None:
            raise exception.NotFound('The resource could not be found.')
        match, route = found
        controller, verbs, public = route.target
        match.pop('action', None)
        match.pop('controller', None)
        if req.context is None:
            raise exception.Unauthorized(
                'The request you have made requires authentication.')
        name = verbs.get(req.method) or (req.method == 'HEAD' and verbs.get('GET'))
        if not name:
            exc = exception.MethodNotAllowed()
            exc.headers['Allow'] = ', '.join(sorted(verbs))
            raise exc
        resp = wsgi.dispatch(req, getattr(controller, name), match)
        return resp


def app_factory(global_conf, **local_conf):
    router = ComputeRouter()
    for module in _modules():
        module.add_routes(router)
    return router


class ComputeRequestId(middleware.RequestId):
    """The request id also in Nova's own x-compute-request-id header, which
    clients (Tempest's instance action tests) read."""
    compat_headers = ['x-compute-request-id']


def request_id_factory(global_conf, **local_conf):
    return ComputeRequestId
