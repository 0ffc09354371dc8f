"""Error bodies in each API's own shape, chosen by name in api-paste.ini."""
import json

import webob

NOVA_NAMES = {400: 'badRequest', 401: 'unauthorized', 403: 'forbidden',
              404: 'itemNotFound', 405: 'badMethod', 406: 'notAcceptable',
              409: 'conflictingRequest', 413: 'overLimit',
              415: 'badMediaType', 501: 'notImplemented'}


def keystone(code, title, message):
    return {'error': {'code': code, 'title': title, 'message': message}}


def nova(code, title, message):
    name = NOVA_NAMES.get(code, 'computeFault')
    return {name: {'code': code, 'message': message}}


CINDER_NAMES = {code: name for code, name in NOVA_NAMES.items() if code != 406}
CINDER_NAMES[503] = 'serviceUnavailable'


def cinder(code, title, message):
    name = CINDER_NAMES.get(code, 'computeFault')
    return {name: {'code': code, 'message': message}}


def neutron(code, title, message):
    return {'NeutronError': {'type': title.replace(' ', ''), 'message': message,
                             'detail': ''}}


def plain(code, title, message):
    return None


RENDERERS = {'keystone': keystone, 'nova': nova, 'cinder': cinder, 'neutron': neutron,
             'plain': plain}


def render(style, code, title, message, headers=None):
    """A webob response carrying the error in `style`'s shape."""
    body = RENDERERS[style](code, title, message)
    resp = webob.Response(status=code)
    if body is None:
        resp.content_type = 'text/plain'
        resp.text = '%s\n\n%s' % (title, message)
    else:
        resp.content_type = 'application/json'
        resp.body = json.dumps(body).encode()
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp
