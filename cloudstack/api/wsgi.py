"""Routing and request/response handling shared by every API.

A service declares its routes on a `Router`, pointing each path at controller
methods by HTTP verb. A controller method takes the request and the path's
variables and returns a dict (JSON), None (no body) or a webob Response; the
`response` decorator sets its success status.
"""
import functools
import json

import routes
import webob
import webob.dec
import webob.exc

from cloudstack import exception


class Request(webob.Request):
    """A webob Request that knows its RequestContext and API version."""

    @property
    def context(self):
        return self.environ.get('cloudstack.context')

    @property
    def api_version(self):
        return self.environ.get('cloudstack.api_version')

    def json_body(self):
        """The parsed JSON body, or BadRequest (RequestEntityTooLarge past the
        size limit filter's bound)."""
        try:
            data = self.body
        except webob.exc.HTTPRequestEntityTooLarge as exc:
            raise exception.RequestEntityTooLarge(exc.explanation)
        if not data:
            raise exception.ValidationError('A JSON request body is required.')
        return parse_json(data)

    def bounded_json(self, limit):
        """The parsed JSON body, None if there is none; RequestEntityTooLarge
        past `limit` bytes, declared or sent (for APIs with no size limit
        filter in front), before anything is parsed."""
        if self.content_length is not None and self.content_length > limit:
            raise exception.RequestEntityTooLarge(
                'Request is too large. Larger than %d bytes.' % limit)
        data = self.body_file.read(limit + 1) if self.is_body_readable else b''
        if len(data) > limit:
            raise exception.RequestEntityTooLarge(
                'Request is too large. Larger than %d bytes.' % limit)
        return parse_json(data) if data else None

    def base_url(self):
        """URL of the API root this request came through (its SCRIPT_NAME)."""
        return self.application_url


def parse_json(data):
    """`data` parsed, or ValidationError (also for nesting too deep to parse)."""
    try:
        return json.loads(data)
    except ValueError as exc:
        raise exception.ValidationError('Malformed JSON in request body: %s' % exc)
    except RecursionError:
        raise exception.ValidationError(
            'Malformed JSON in request body: nested too deeply.') from None


def handles_requests(method):
    """A WSGI `__call__` from `method(self, req)`, which returns a response or
    the next WSGI app to pass the request to. Like webob.dec.wsgify, without
    the response object wsgify makes on every call, which filters passing a
    request on never use."""
    @functools.wraps(method)
    def __call__(self, environ, start_response):
        try:
            resp = method(self, Request(environ))
        except webob.exc.HTTPException as exc:
            resp = exc
        return resp(environ, start_response)
    return __call__


def response(status):
    """Decorator: the status a controller method answers with on success."""
    def wrap(func):
        func.status = status
        return func
    return wrap


def json_response(body, status=200, headers=None):
    resp = webob.Response(status=status, content_type='application/json',
                          charset=None)
    resp.body = json.dumps(body).encode()
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


class Router:
    """A routes.Mapper dispatching to controller methods by path and verb."""

    def __init__(self):
        self.mapper = routes.Mapper()

    def connect(self, path, controller, public=False, **verbs):
        """Route `path` to `controller`; verbs map HTTP methods to method names,
        e.g. connect('/users/{user_id}', users, GET='show', PATCH='update').
        Only `public` routes answer requests that carry no valid token."""
        self.mapper.connect(path)
        self.mapper.matchlist[-1].target = (controller, verbs, public)

    @handles_requests
    def __call__(self, req):
        found = self.mapper.routematch(environ=req.environ)
        if found is None:
            raise exception.NotFound('The resource could not be found.')
        match, route = found
        controller, verbs, public = route.target
        match.pop('action', None)
        match.pop('controller', None)
        if not public and req.context is None:
            raise exception.Unauthorized(
                'The request you have made requires authentication.')
        name = verbs.get(req.method) or (req.method == 'HEAD' and verbs.get('GET'))
        if not name:
            exc = exception.MethodNotAllowed()
            exc.headers['Allow'] = ', '.join(sorted(verbs))
            raise exc
        return dispatch(req, getattr(controller, name), match)


def dispatch(req, method, kwargs):
    result = method(req, **kwargs)
    if isinstance(result, webob.Response):
        return result
    status = getattr(method, 'status', None)
    if result is None:
        return webob.Response(status=status or 204, content_type=None)
    return json_response(result, status or 200)
