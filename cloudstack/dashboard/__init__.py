"""Horizon, the OpenStack dashboard, at /dashboard of the API server.

Optional: `pip install 'cloudstack[dashboard]'` installs Horizon. Without it,
or with [dashboard] enabled = false, /dashboard answers 404 saying why, and
nothing of Django is imported.
"""
import importlib.util

from oslo_log import log as logging
from oslo_middleware.healthcheck import pluginbase
import webob
import webob.dec

from cloudstack.conf import CONF

NOT_INSTALLED = ("The dashboard is not installed: pip install 'cloudstack[dashboard]' "
                 "(Horizon), then restart the server.\n")
DISABLED = 'The dashboard is turned off ([dashboard] enabled = false).\n'
BROKEN = 'The dashboard failed to load; the server log says why.\n'

LOG = logging.getLogger(__name__)
# What /dashboard is in this process (set when the Paste app is made), for
# /healthcheck.
state = 'not mounted'


def installed():
    return importlib.util.find_spec('openstack_dashboard') is not None


def absent(reason, status=404):
    @webob.dec.wsgify
    def app(req):
        return webob.Response(status=status, text=reason, content_type='text/plain')
    return app


def app_factory(global_conf, **local_conf):
    """Paste factory: Horizon's WSGI app (with its static files), or a 404."""
    global state
    if not CONF.dashboard.enabled:
        state = 'turned off'
        return absent(DISABLED)
    if not installed():
        state = 'not installed'
        return absent(NOT_INSTALLED)
    try:
        from cloudstack.dashboard import app
        served = app.build()
    except Exception:
        # The APIs are served all the same.
        LOG.exception('Horizon could not be loaded; /dashboard answers 503')
        state = 'failed to load'
        return absent(BROKEN, status=503)
    state = 'served'
    return served


class Healthcheck(pluginbase.HealthcheckBaseExtension):
    """/healthcheck's word on the dashboard. It never makes the cloud
    unavailable: the APIs do not depend on it."""

    def healthcheck(self, server_port):
        return pluginbase.HealthcheckResult(available=True, reason='dashboard: %s' % state)
