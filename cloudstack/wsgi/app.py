"""Loading the Paste composite that serves every API on one port."""
import os
import sys

from oslo_middleware.healthcheck import pluginbase
from paste import deploy
import webob
import webob.dec

from cloudstack.conf import CONF
from cloudstack import context

ETC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   os.pardir, 'etc', 'cloudstack')


def paste_config_path():
    name = CONF.api_paste_config
    if os.path.isabs(name):
        return name
    candidates = [os.path.join(os.path.dirname(f), name) for f in CONF.config_file or []]
    candidates.append(os.path.join(ETC, name))
    candidates.append(os.path.join(sys.prefix, 'share', 'cloudstack', name))
    for path in candidates:
        if os.path.exists(path):
            return os.path.abspath(path)
    raise RuntimeError('api paste config %s not found in %s' % (name, candidates))


def load_app(name='main'):
    return deploy.loadapp('config:' + paste_config_path(), name=name)


class URLMap:
    """Dispatch by longest path prefix, moving it from PATH_INFO to SCRIPT_NAME."""

    def __init__(self, mapping):
        self.mapping = sorted(mapping.items(), key=lambda kv: -len(kv[0]))

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '') or '/'
        for prefix, app in self.mapping:
            if prefix == '/' or path == prefix or path.startswith(prefix + '/'):
                if prefix != '/':
                    environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + prefix
                    environ['PATH_INFO'] = path[len(prefix):] or '/'
                return app(environ, start_response)
        context.RequestContext()     # this request's own log context
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'Not Found']


def urlmap_factory(loader, global_conf, **local_conf):
    return URLMap({path.rstrip('/') or '/': loader.get_app(name, global_conf=global_conf)
                   for path, name in local_conf.items()})


def _healthy():
    from cloudstack.db import api as db_api
    import sqlalchemy as sa
    try:
        with db_api.reader() as session:
            session.execute(sa.text('SELECT 1'))
    except Exception:
        return False
    return True


class DatabaseHealthcheck(pluginbase.HealthcheckBaseExtension):
    """oslo.middleware's /healthcheck backend: available while the database
    answers."""

    def healthcheck(self, server_port):
        if _healthy():
            return pluginbase.HealthcheckResult(available=True, reason='OK')
        return pluginbase.HealthcheckResult(available=False,
                                            reason='database unavailable')


@webob.dec.wsgify
def swift_healthcheck(req):
    """Swift's /healthcheck (under the object store's mount): 200 'OK', or
    503 when the database does not answer; with Swift's common headers
    (X-Trans-Id, Date)."""
    from cloudstack.object_store.api import util
    status, body = (200, b'OK') if _healthy() else (503, b'UNAVAILABLE')
    resp = webob.Response(status=status, body=body, content_type=None)
    resp.headers['Content-Type'] = 'text/plain; charset=UTF-8'
    if req.method == 'HEAD':
        resp.app_iter = []
        resp.headers['Content-Length'] = str(len(body))
    return util.finish(req, resp)


def swift_healthcheck_factory(global_conf, **local_conf):
    return swift_healthcheck
