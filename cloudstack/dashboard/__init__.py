"""Horizon, the OpenStack dashboard, at /dashboard of the API server.

Optional: `pip install 'cloudstack[dashboard]'` installs Horizon. Without it,
or with [dashboard] enabled = false, /dashboard answers 404 saying why, and
nothing of Django is imported.
"""
import importlib.util

import webob
import webob.dec

from cloudstack.conf import CONF

NOT_INSTALLED = ("The dashboard is not installed: pip install 'cloudstack[dashboard]' "
                 "(Horizon), then restart the server.\n")
DISABLED = 'The dashboard is turned off ([dashboard] enabled = false).\n'


def installed():
    return importlib.util.find_spec('openstack_dashboard') is not None


def absent(reason):
    @webob.dec.wsgify
    def app(req):
        return webob.Response(status=404, text=reason, content_type='text/plain')
    return app


def app_factory(global_conf, **local_conf):
    """Paste factory: Horizon's WSGI app (with its static files), or a 404."""
    if not CONF.dashboard.enabled:
        return absent(DISABLED)
    if not installed():
        return absent(NOT_INSTALLED)
    from cloudstack.dashboard import app
    return app.build()
