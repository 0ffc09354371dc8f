"""The middleware every API pipeline is built from (see api-paste.ini)."""
import logging

import webob
import webob.exc

from cloudstack.api import faults
from cloudstack.api import wsgi
from cloudstack import context as cs_context
from cloudstack import exception
from cloudstack.conf import CONF

LOG = logging.getLogger(__name__)


class Middleware:
    """Base: wraps `app`; subclasses override `process(req)`, which returns a
    response, or the next app to pass the request on untouched (cheaper than
    req.get_response when the response needs no change)."""

    def __init__(self, app, **local_conf):
        self.app = app
        self.conf = local_conf

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return lambda app: cls(app, **local_conf)

    @wsgi.handles_requests
    def __call__(self, req):
        return self.process(req)

    def process(self, req):
        return self.app


class RequestId(Middleware):
    """Give each request an id, answer it in x-openstack-request-id."""

    def __call__(self, environ, start_response):
        request_id = cs_context.new_request_id()
        environ['cloudstack.request_id'] = request_id

        def start_with_id(status, headers, exc_info=None):
            headers.append(('x-openstack-request-id', request_id))
            return start_response(status, headers, exc_info)
        return self.app(environ, start_with_id)


class HTTPProxyToWSGI(Middleware):
    """Honour X-Forwarded-Proto/-Host/-Prefix set by a TLS-terminating proxy."""

    def process(self, req):
        env = req.environ
        proto = env.get('HTTP_X_FORWARDED_PROTO')
        if proto:
            env['wsgi.url_scheme'] = proto.split(',')[0].strip()
        host = env.get('HTTP_X_FORWARDED_HOST')
        if host:
            env['HTTP_HOST'] = host.split(',')[0].strip()
        prefix = env.get('HTTP_X_FORWARDED_PREFIX')
        if prefix:
            env['SCRIPT_NAME'] = prefix.rstrip('/') + env.get('SCRIPT_NAME', '')
        return self.app


class CORS(Middleware):
    """Cross-origin requests from the origins in [DEFAULT] cors_allowed_origins."""

    EXPOSE = 'X-Subject-Token, X-Openstack-Request-Id, OpenStack-API-Version'
    METHODS = 'GET, PUT, POST, DELETE, PATCH, HEAD, OPTIONS'

    def _allowed(self, origin):
        allowed = CONF.cors_allowed_origins
        return origin and ('*' in allowed or origin in allowed)

    def process(self, req):
        origin = req.headers.get('Origin')
        if not self._allowed(origin):
            return self.app
        if req.method == 'OPTIONS' and 'Access-Control-Request-Method' in req.headers:
            resp = webob.Response(status=200)
            resp.headers['Access-Control-Allow-Methods'] = self.METHODS
            asked = req.headers.get('Access-Control-Request-Headers')
            if asked:
                resp.headers['Access-Control-Allow-Headers'] = asked
            resp.headers['Access-Control-Max-Age'] = '3600'
        else:
            resp = req.get_response(self.app)
            resp.headers['Access-Control-Expose-Headers'] = self.EXPOSE
        resp.headers['Access-Control-Allow-Origin'] = origin
        resp.headers['Access-Control-Allow-Credentials'] = 'true'
        resp.headers['Vary'] = 'Origin'
        return resp


class _LimitedInput:
    """A wsgi.input that raises once more than `limit` bytes were read."""

    def __init__(self, stream, limit):
        self.stream, self.left = stream, limit

    def read(self, size=-1):
        data = self.stream.read(self.left + 1 if size is None or size < 0
                                else min(size, self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise exception.RequestEntityTooLarge()
        return data

    def readline(self, size=-1):
        line = self.stream.readline(size)
        self.left -= len(line)
        if self.left < 0:
            raise exception.RequestEntityTooLarge()
        return line


class SizeLimit(Middleware):
    """Refuse bodies larger than max_request_body_size (or the local max)."""

    def process(self, req):
        limit = int(self.conf.get('max_body_size') or CONF.max_request_body_size)
        if req.content_length is not None and req.content_length > limit:
            raise exception.RequestEntityTooLarge()
        if req.content_length is None and req.environ.get('wsgi.input_terminated'):
            req.environ['wsgi.input'] = _LimitedInput(req.environ['wsgi.input'], limit)
        return self.app


class FaultWrapper(Middleware):
    """Turn errors into responses in this API's error shape (local `style`)."""

    @wsgi.handles_requests
    def __call__(self, req):
        style = self.conf.get('style', 'keystone')
        try:
            return req.get_response(self.app)
        except exception.CloudstackError as exc:
            return self._render(req, style, exc.code, exc.title, exc.message,
                                exc.headers)
        except webob.exc.HTTPException as exc:
            return self._render(req, style, exc.code, exc.title, exc.explanation,
                                {})
        except Exception:
            LOG.exception('unhandled error in %s %s', req.method, req.path)
            err = exception.CloudstackError()
            return self._render(req, style, err.code, err.title, err.message, {})

    def _render(self, req, style, code, title, message, headers):
        if code == 401 and style == 'keystone':
            headers = dict(headers)
            headers['WWW-Authenticate'] = 'Keystone uri="%s"' % req.application_url
        return faults.render(style, code, title, message, headers)


class AuthToken(Middleware):
    """Validate X-Auth-Token in-process and attach the RequestContext.

    With delay_auth_decision (the Identity API, which has public routes), a
    missing or bad token leaves no context and the route decides.
    """

    def process(self, req):
        from cloudstack.identity import manager
        token_id = req.headers.get('X-Auth-Token')
        delay = str(self.conf.get('delay_auth_decision', '')).lower() == 'true'
        ctx = None
        if token_id:
            try:
                token = manager.get().validate_token(token_id)
                ctx = cs_context.RequestContext.from_token(
                    token, auth_token=token_id,
                    request_id=req.environ.get('cloudstack.request_id'))
            except (exception.NotFound, exception.Unauthorized) as exc:
                if not delay:
                    raise exception.Unauthorized(
                        'The request you have made requires authentication.')
                req.environ['cloudstack.auth_error'] = str(exc)
        elif not delay:
            raise exception.Unauthorized(
                'The request you have made requires authentication.')
        req.environ['cloudstack.context'] = ctx
        return self.app
