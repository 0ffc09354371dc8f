"""Horizon, the OpenStack dashboard, at /dashboard of the API server.

Optional: `pip install 'cloudstack[dashboard]'` installs Horizon. Without it,
or with [dashboard] enabled = false, /dashboard answers 404 saying why, and
nothing of Django is imported.
"""
import importlib.util

from oslo_log import log as logging
import webob
import webob.dec

from cloudstack.conf import CONF

NOT_INSTALLED = ("The dashboard is not installed: pip install 'cloudstack[dashboard]' "
                 "(Horizon), then restart the server.\n")
DISABLED = 'The dashboard is turned off ([dashboard] enabled = false).\n'
BROKEN = 'The dashboard failed to load; the server log says why.\n'

LOG = logging.getLogger(__name__)


def installed():
    return importlib.util.find_spec('openstack_dashboard') is not None


def absent(reason, status=404):
    @webob.dec.wsgify
    def app(req):
        return webob.Response(status=status, text=reason, content_type='text/plain')
    return app


def app_factory(global_conf, **local_conf):
    """Paste factory: Horizon's WSGI app (with its static files), or a 404."""
    if not CONF.dashboard.enabled:
        return absent(DISABLED)
    if not installed():
        return absent(NOT_INSTALLED)
    try:
        from cloudstack.dashboard import app
        return app.build()
    except Exception:
        # The APIs are served all the same.
        LOG.exception('Horizon could not be loaded; /dashboard answers 503')
        return absent(BROKEN, status=503)

