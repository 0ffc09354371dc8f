"""Horizon's settings, made from cloudstack's configuration.

openstack_dashboard.settings reads these as its `local.local_settings` (see
app.py), so the values it derives from them (login URLs, static URL, offline
compression context) follow WEBROOT and the paths below.
"""
from urllib import parse

from horizon.utils import secret_key

from cloudstack.conf import CONF
from cloudstack.dashboard import paths

WEBROOT = '/dashboard/'
DEBUG = False
# Any Host header, as the APIs beside it: nothing here is built from it
# (WEBROOT and OPENSTACK_KEYSTONE_URL are configured).
ALLOWED_HOSTS = ['*']

PUBLIC_URL = (CONF.public_url or 'http://%s' % CONF.bind).rstrip('/')
_public = parse.urlsplit(PUBLIC_URL)
OPENSTACK_KEYSTONE_URL = PUBLIC_URL + '/identity/v3'
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
OPENSTACK_API_VERSIONS = {'identity': 3, 'image': 2, 'volume': 3, 'compute': 2}
AVAILABLE_REGIONS = []

SECRET_KEY = secret_key.generate_or_read_from_file(paths.secret_key_file())

# Every API worker process must know every session: signed cookies, no store.
SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'
# The dashboard's cookies go to the dashboard only, not to the APIs beside it.
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = LANGUAGE_COOKIE_PATH = WEBROOT
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PUBLIC_URL.startswith('https://')
# Behind a TLS front end the browser's Origin is the public URL's.
CSRF_TRUSTED_ORIGINS = ['%s://%s' % (_public.scheme, _public.netloc)]
CACHES = {'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}

# Collected and compressed once into the data directory (app.py), served
# by the API server under /dashboard/static/.
STATIC_ROOT = paths.static_root()
COMPRESS_ENABLED = True
COMPRESS_OFFLINE = True

TIME_ZONE = 'UTC'
# oslo.log already configured the process's logging; Django keeps out of it.
LOGGING_CONFIG = None


# Block Storage always backs volumes up (into Object Storage): Horizon's
# Volume Backups panel and its Create Backup actions are shown.
OPENSTACK_CINDER_FEATURES = {'enable_backup': True}

HORIZON_IMAGES_UPLOAD_MODE = CONF.dashboard.images_upload_mode
