"""Django's settings module for Horizon: openstack_dashboard's own (which
reads ours, local_settings.py, as its `local.local_settings`), with our
middleware added after Horizon's, and our scripts (static/cloudstack/) after
its own in every page."""
from openstack_dashboard.settings import *  # noqa: F401,F403
from openstack_dashboard.settings import HORIZON_CONFIG
from openstack_dashboard.settings import MIDDLEWARE
from openstack_dashboard.settings import STATICFILES_DIRS

from cloudstack.dashboard import paths

MIDDLEWARE = tuple(MIDDLEWARE) + ('cloudstack.dashboard.landing.DefaultPanelMiddleware',)

STATICFILES_DIRS = list(STATICFILES_DIRS) + [paths.OUR_STATIC]
HORIZON_CONFIG['js_files'] = HORIZON_CONFIG['js_files'] + ['cloudstack/refused-uploads.js']
HORIZON_CONFIG['angular_modules'] = (HORIZON_CONFIG['angular_modules']
                                     + ['cloudstack.dashboard.images'])
