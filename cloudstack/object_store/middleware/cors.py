"""Cross-origin requests, as Swift's proxy answers them.

A browser may read a container or its objects from a page of another origin
when the container allows it: X-Container-Meta-Access-Control-Allow-Origin
(space-separated origins, or '*'), -Max-Age (how long a preflight holds) and
-Expose-Headers (more headers the page may read); [object_store]
cors_allow_origin allows origins for every container.

- OPTIONS (the preflight, needing no token) answers 200 with Allow; with an
  Origin, 401 unless the container allows the origin and the method asked
  in Access-Control-Request-Method, else the Access-Control-Allow-* headers.
- Any other request to a container or object with an Origin answers with
  Access-Control-Allow-Origin and -Expose-Headers; with [object_store]
  strict_cors_mode (the default) only when the origin is allowed.
"""
from cloudstack.api import wsgi
from cloudstack.conf import CONF
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _common

ALLOW = {'info': 'GET, HEAD, OPTIONS', 'account': 'GET, HEAD, OPTIONS, POST',
         'container': 'DELETE, GET, HEAD, OPTIONS, POST, PUT',
         'object': 'COPY, DELETE, GET, HEAD, OPTIONS, POST, PUT'}
EXPOSED = ('cache-control', 'content-language', 'content-type', 'expires',
           'last-modified', 'pragma', 'etag', 'x-timestamp', 'x-trans-id',
           'x-openstack-request-id')
META = 'X-Container-Meta-Access-Control-'


def _words(value):
    return [w.strip() for w in (value or '').split(' ') if w.strip()]


def container_cors(environ, account, container):
    """{'allow_origin', 'max_age', 'expose_headers'} of a container ({}
    when there is none)."""
    head = middleware.owner_headers(environ, account, container)
    if head is None:
        return {}
    return {key: head.get(META + name) for key, name in (
        ('allow_origin', 'Allow-Origin'), ('max_age', 'Max-Age'),
        ('expose_headers', 'Expose-Headers'))}


def origin_allowed(cors, origin):
    allowed = set(_words(cors.get('allow_origin')))
    allowed.update(CONF.object_store.cors_allow_origin or ())
    return origin in allowed or '*' in allowed


class CORS:

    def __init__(self, app):
        self.app = app

    @wsgi.handles_requests
    def __call__(self, req):
        path = req.environ.get('PATH_INFO', '')
        parts = middleware.split_path(path)
        if req.method == 'OPTIONS':
            if path in ('/info', '/', '') and parts is None:
                return self.options(req, 'info', None)
            if parts is not None:
                kind = 'object' if parts[3] else 'container' if parts[2] else 'account'
                return self.options(req, kind, parts)
            return self.app
        origin = req.headers.get('Origin')
        if not origin or parts is None or not parts[2]:
            return self.app
        cors = container_cors(req.environ, parts[1], parts[2])
        resp = req.get_response(self.app)
        if CONF.object_store.strict_cors_mode and not origin_allowed(cors, origin):
            return resp
        if 'Access-Control-Expose-Headers' not in resp.headers:
            expose = set(EXPOSED)
            expose.update(k.lower() for k in resp.headers if k.lower().startswith(
                ('x-container-meta-', 'x-object-meta-')))
            expose.update(h.lower() for h in _words(cors.get('expose_headers')))
            expose.update(h.lower() for h in CONF.object_store.cors_expose_headers or ())
            resp.headers['Access-Control-Expose-Headers'] = ', '.join(sorted(expose))
        if 'Access-Control-Allow-Origin' not in resp.headers:
            self._allow_origin(resp.headers, cors, origin)
        return resp

    @staticmethod
    def _allow_origin(headers, cors, origin):
        if (cors.get('allow_origin') or '').strip() == '*':
            headers['Access-Control-Allow-Origin'] = '*'
        else:
            headers['Access-Control-Allow-Origin'] = origin
            _vary(headers, 'Origin')

    def options(self, req, kind, parts):
        allow = ALLOW[kind]
        headers = {'Allow': allow}
        origin = req.headers.get('Origin')
        if not origin or kind in ('info', 'account'):
            return _common.respond(req, 200, headers=headers)
        cors = container_cors(req.environ, parts[1], parts[2])
        method = req.headers.get('Access-Control-Request-Method')
        if not origin_allowed(cors, origin) or method not in allow.split(', '):
            return _common.respond(req, 401, headers=headers)
        self._allow_origin(headers, cors, origin)
        if cors.get('max_age') is not None:
            headers['Access-Control-Max-Age'] = cors['max_age']
        headers['Access-Control-Allow-Methods'] = allow
        asked = [h.strip() for h in req.headers.get(
            'Access-Control-Request-Headers', '').split(',') if h.strip()]
        if asked:
            headers['Access-Control-Allow-Headers'] = ', '.join(asked)
            _vary(headers, 'Access-Control-Request-Headers')
        return _common.respond(req, 200, headers=headers)


def _vary(headers, name):
    headers['Vary'] = headers['Vary'] + ', ' + name if headers.get('Vary') else name


def filter_factory(global_conf, **local_conf):
    return CORS
