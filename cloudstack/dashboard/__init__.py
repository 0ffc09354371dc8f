"""Horizon, the OpenStack dashboard, at /dashboard of the API server.

Optional: `pip install 'cloudstack[dashboard]'` installs Horizon. Without it,
or with [dashboard] enabled = false, /dashboard answers 404 saying why, and
nothing of Django is imported. What this process made of it (`state()`) is
what /healthcheck reports; the catalog lists it while it is `served()`.
"""
import importlib.util
from urllib import parse

from oslo_log import log as logging
from oslo_middleware.healthcheck import pluginbase
import webob
import webob.dec

from cloudstack.conf import CONF

NOT_INSTALLED = ("The dashboard is not installed: pip install 'cloudstack[dashboard]' "
                 "(Horizon), then restart the server.\n")
DISABLED = 'The dashboard is turned off ([dashboard] enabled = false).\n'
BROKEN = 'The dashboard failed to load; the server log says why.\n'
MOUNT = '/dashboard'

LOG = logging.getLogger(__name__)

# What app_factory made of /dashboard in this process: None until it ran,
# then 'served', 'disabled', 'not installed' or 'failed'.
_state = None


def installed():
    return importlib.util.find_spec('openstack_dashboard') is not None


def served():
    """Whether this configuration serves Horizon (turned on and installed)."""
    return CONF.dashboard.enabled and installed()


def public_url():
    return (CONF.public_url or 'http://%s' % CONF.bind).rstrip('/')


def origin():
    """The origin the dashboard's pages come from (scheme://host:port)."""
    url = parse.urlsplit(public_url())
    return '%s://%s' % (url.scheme, url.netloc)


def state():
    return _state


def absent(reason, status=404):
    @webob.dec.wsgify
    def app(req):
        return webob.Response(status=status, text=reason, content_type='text/plain')
    return app


def _load():
    if not CONF.dashboard.enabled:
        return 'disabled', absent(DISABLED)
    if not installed():
        return 'not installed', absent(NOT_INSTALLED)
    try:
        from cloudstack.dashboard import app
        return 'served', app.build()
    except Exception:
        # The APIs are served all the same.
        LOG.exception('Horizon could not be loaded; /dashboard answers 503')
        return 'failed', absent(BROKEN, status=503)


def app_factory(global_conf, **local_conf):
    """Paste factory: Horizon's WSGI app (with its static files), or a 404."""
    global _state
    _state, app = _load()
    return app


class Healthcheck(pluginbase.HealthcheckBaseExtension):
    """oslo.middleware's /healthcheck backend `cloudstack_dashboard`: says
    what /dashboard is in this process. A dashboard that failed to load is
    reported, but the server stays available: its APIs are served."""

    def healthcheck(self, server_port):
        current = _state or 'not loaded'
        if current == 'served':
            return pluginbase.HealthcheckResult(available=True, reason='dashboard OK')
        return pluginbase.HealthcheckResult(
            available=True, reason='dashboard %s' % current,
            details={'failed': BROKEN, 'not installed': NOT_INSTALLED}.get(current, '').strip())


def healthcheck_factory(global_conf, **local_conf):
    """oslo.middleware's /healthcheck, with the dashboard's backend added
    while it is turned on."""
    from oslo_middleware import healthcheck
    if CONF.dashboard.enabled:
        backends = [b for b in local_conf.get('backends', '').split(',') if b.strip()]
        local_conf['backends'] = ','.join(backends + ['cloudstack_dashboard'])
    return healthcheck.Healthcheck.app_factory(global_conf, **local_conf)
