"""The options of the OpenStack libraries the server is built on, registered
on our configuration: oslo.middleware's ([oslo_middleware], [cors],
[healthcheck]; with the CORS headers our APIs use) and oslo.policy's
([oslo_policy]). oslo.log's are registered by the commands (see log.py);
only our defaults of them are set here.

They are listed in the config sample under the libraries' own namespaces.
"""
from oslo_middleware import cors
from oslo_middleware.healthcheck import opts as healthcheck_opts
from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import sizelimit
from oslo_policy import opts as policy_opts

from cloudstack import log

CORS_DEFAULTS = {
    'allow_headers': ['X-Auth-Token', 'X-Subject-Token', 'X-OpenStack-Request-ID',
                      'OpenStack-API-Version', 'Content-Type'],
    'expose_headers': ['X-Subject-Token', 'X-OpenStack-Request-ID',
                       'OpenStack-API-Version'],
    'allow_methods': ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'],
}


def register_opts(conf):
    cors.set_defaults(**CORS_DEFAULTS)
    conf.register_opts(cors.OPTS, group='cors')
    conf.register_opts(sizelimit.OPTS, group='oslo_middleware')
    conf.register_opts(http_proxy_to_wsgi.OPTS, group='oslo_middleware')
    conf.register_opts(healthcheck_opts.HEALTHCHECK_OPTS, group='healthcheck')
    policy_opts.set_defaults(conf)
    log.set_defaults()
