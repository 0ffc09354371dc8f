"""Django's settings module for Horizon: openstack_dashboard's own (which
reads ours, local_settings.py, as its `local.local_settings`), with our
middleware added after Horizon's."""
from openstack_dashboard.settings import *  # noqa: F401,F403
from openstack_dashboard.settings import MIDDLEWARE

MIDDLEWARE = tuple(MIDDLEWARE) + ('cloudstack.dashboard.landing.DefaultPanelMiddleware',)
