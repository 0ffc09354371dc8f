"""GET /crossdomain.xml: the cross-domain policy Flash and Silverlight read.

The policy's lines come from the filter's `cross_domain_policy` option (one
or more XML elements); the default lets every domain in.
"""

from cloudstack.api import wsgi
from cloudstack.object_store import middleware
from cloudstack.object_store.middleware import _common

DEFAULT_POLICY = '<allow-access-from domain="*" secure="false" />'


class CrossDomain:

    def __init__(self, app, conf):
        self.app = app
        policy = conf.get('cross_domain_policy') or DEFAULT_POLICY
        lines = [line.strip() for line in policy.splitlines() if line.strip()]
        self.body = ('<?xml version="1.0"?>\n'
                     '<!DOCTYPE cross-domain-policy SYSTEM '
                     '"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n'
                     '<cross-domain-policy>\n%s\n</cross-domain-policy>' % '\n'.join(lines))

    @staticmethod
    def _wanted(environ):
        path = environ.get('PATH_INFO', '')
        if path == '/crossdomain.xml':
            return True
        # mounted at the server's root: /crossdomain.xml = a pipeline with this
        return path in ('', '/') and \
            environ.get('SCRIPT_NAME', '').endswith('/crossdomain.xml')

    @wsgi.handles_requests
    def __call__(self, req):
        if req.method in ('GET', 'HEAD') and self._wanted(req.environ):
            return _common.respond(req, 200, self.body,
                                   'application/xml; charset=UTF-8')
        return self.app


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf, **local_conf)
    middleware.register_info('crossdomain')

    def make(app):
        return CrossDomain(app, conf)
    return make
