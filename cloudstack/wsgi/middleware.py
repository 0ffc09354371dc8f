"""The middleware every API pipeline is built from (see api-paste.ini)."""
import logging
import re

from oslo_middleware import cors
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id
from oslo_middleware import sizelimit
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


# The shared filters are oslo.middleware's, as in every OpenStack service,
# over our configuration: request_id, http_proxy_to_wsgi, cors and sizelimit
# below, and /healthcheck (oslo_middleware:Healthcheck.app_factory, see
# wsgi/app.py). A filter the configuration leaves nothing to do is not
# installed at all.

def _passthrough(app):
    return app


def request_id_factory(global_conf, **local_conf):
    return RequestId


class RequestId(request_id.RequestId):
    """oslo.middleware's request id: a new `req-<uuid>` in the environ
    (`openstack.request_id`) and in x-openstack-request-id, and a valid
    inbound X-Openstack-Request-Id as the global request id. Called as plain
    WSGI (oslo's wsgify and get_response cost more than the rest of a small
    request), and made the current log context at once, so that every line the
    request logs carries it (the auth filter adds the user and project)."""

    _GLOBAL_ID = re.compile(request_id.ID_FORMAT)
    _INBOUND = 'HTTP_' + request_id.INBOUND_HEADER.upper().replace('-', '_')

    def __call__(self, environ, start_response):
        if ('chunked' in environ.get('HTTP_TRANSFER_ENCODING', '').lower()
                and not environ.get('CONTENT_LENGTH')):
            # The server's chunked input ends at the last chunk: say so
            # (PEP 3333's wsgi.input_terminated), or webob reads no body.
            environ['wsgi.input_terminated'] = True
        global_id = environ.get(self._INBOUND)
        if global_id and self._GLOBAL_ID.match(global_id):
            environ[request_id.GLOBAL_REQ_ID] = global_id
        else:
            global_id = None
        req_id = environ[request_id.ENV_REQUEST_ID] = cs_context.new_request_id()
        cs_context.RequestContext(request_id=req_id, global_request_id=global_id)
        names = [request_id.HTTP_RESP_HEADER_REQUEST_ID] + self.compat_headers

        def start_with_id(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers.extend((name, req_id) for name in names
                           if name.lower() not in present)
            return start_response(status, headers, exc_info)
        return self.application(environ, start_with_id)


def http_proxy_to_wsgi_factory(global_conf, **local_conf):
    """X-Forwarded-* and Forwarded headers, honoured only when the operator
    says a proxy sets them ([oslo_middleware] enable_proxy_headers_parsing):
    from anyone else they would change the links we hand out."""
    if not CONF.oslo_middleware.enable_proxy_headers_parsing:
        return _passthrough
    return lambda app: http_proxy_to_wsgi.HTTPProxyToWSGI(app, CONF)


def cors_factory(global_conf, **local_conf):
    """Cross-origin requests from the origins in [cors] allowed_origin, and
    from the dashboard's while it is served (its browser uploads images
    straight to the Image API)."""
    from cloudstack import dashboard
    extra = [dashboard.origin()] if dashboard.served() else []
    if not (CONF.cors.allowed_origin or extra):
        return _passthrough
    return lambda app: CORS(app, CONF, extra)


class CORS(cors.CORS):
    """oslo.middleware's CORS, plus `extra_origins` with [cors]'s other
    settings. A preflight is answered here, before authentication: browsers
    send it without the token."""

    def __init__(self, app, conf, extra_origins=()):
        super().__init__(app, conf)
        self.add_origin(
            [o for o in extra_origins if o not in self.allowed_origins],
            allow_credentials=conf.cors.allow_credentials,
            expose_headers=conf.cors.expose_headers, max_age=conf.cors.max_age,
            allow_methods=conf.cors.allow_methods, allow_headers=conf.cors.allow_headers)

    def process_request(self, req):
        if (req.method == 'OPTIONS' and 'Origin' in req.headers
                and 'Access-Control-Request-Method' in req.headers):
            return self._apply_cors_preflight_headers(
                request=req, response=webob.Response(status=200, content_type=None))
        return None


class SizeLimit(sizelimit.RequestBodySizeLimiter):
    """oslo.middleware's limit on request bodies ([oslo_middleware]
    max_request_body_size), declared or streamed. Its refusal is raised, not
    answered, so that the fault wrapper outside answers in the API's shape."""

    _limit = sizelimit.RequestBodySizeLimiter.__dict__['__call__'].func

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return lambda app: cls(app, CONF)

    def __call__(self, environ, start_response):
        declared = environ.get('CONTENT_LENGTH')
        if not (declared or environ.get('HTTP_TRANSFER_ENCODING')
                or environ.get('wsgi.input_terminated')):
            return self.application(environ, start_response)    # no body to bound
        limit = CONF.oslo_middleware.max_request_body_size
        if declared and declared.isdigit() and int(declared) > limit:
            # oslo's own refusal leaves its '%s' unfilled
            raise exception.RequestEntityTooLarge(
                'Request is too large. Larger than max_request_body_size (%d).' % limit)
        return self._limit(webob.Request(environ))(environ, start_response)


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
                    request_id=req.environ.get(request_id.ENV_REQUEST_ID),
                    global_request_id=req.environ.get(request_id.GLOBAL_REQ_ID))
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
