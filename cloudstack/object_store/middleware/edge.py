"""Where every Object Storage request enters and every answer leaves.

The first filter of the object_store pipeline (after oslo.middleware's
request id), so that what it does holds for every answer, the other filters'
and the error pages included:

- The transaction id, Swift's 'tx<21 hex>-<10 hex of the time>', is made
  once per client request (api/util.trans_id) and answered in X-Trans-Id and
  in X-Openstack-Request-Id, as Swift's proxy answers both.
- Header values are made sendable (api/util.header_value): eventlet refuses
  a value that is not latin-1 and the client would get no answer at all.
- A request without Content-Type has none (eventlet's server makes it
  text/plain).
- A Location stays relative where a filter asks (RELATIVE_LOCATION in the
  environ: a symlink's 307), as Swift's gatekeeper leaves it; webob makes
  every other one absolute, as Swift's swob does.
"""
import urllib.parse

from cloudstack.object_store.api import util

RELATIVE_LOCATION = 'cloudstack.object_store.relative_location'


def _relative(url):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(('', '', parts.path, parts.query, parts.fragment))


class Edge:

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        tid = util.request_trans_id(environ)
        raw = environ.get('headers_raw')
        if raw is not None and not any(k.lower() == 'content-type' for k, _ in raw):
            # eventlet says text/plain when the client sent no Content-Type;
            # Swift then guesses from the name
            environ.pop('CONTENT_TYPE', None)

        def start(status, headers, exc_info=None):
            out = [(k, util.header_value(k, v)) for k, v in headers
                   if k.lower() not in ('x-trans-id', 'x-openstack-request-id')]
            out += [('X-Trans-Id', tid), ('X-Openstack-Request-Id', tid)]
            if environ.get(RELATIVE_LOCATION):
                out = [(k, _relative(v) if k.lower() == 'location' else v)
                       for k, v in out]
            return start_response(status, out, exc_info)
        return self.app(environ, start)


def filter_factory(global_conf, **local_conf):
    return Edge
