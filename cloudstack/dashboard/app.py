"""Horizon's Django application, configured from cloudstack's config."""
import fcntl
import hashlib
import os
import sys
import warnings

from oslo_log import log as logging
import webob.static

from cloudstack.dashboard import paths

LOG = logging.getLogger(__name__)

SETTINGS = 'cloudstack.dashboard.settings'


def _configure_django():
    from cloudstack.dashboard import local_settings
    # Our settings module star-imports openstack_dashboard.settings, which
    # star-imports `local.local_settings` (its own local/ directory, put on
    # sys.path) before deriving the rest.
    sys.modules['local.local_settings'] = local_settings
    os.environ['DJANGO_SETTINGS_MODULE'] = SETTINGS
    import django
    # Horizon's settings turn every DeprecationWarning on for the process;
    # ours stay as they were.
    with warnings.catch_warnings():
        django.setup()


def _static_stamp():
    """The stamp of the static files collected: Horizon's version and what
    our own static files hold (a change to either collects them again)."""
    import horizon.version
    ours = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(paths.OUR_STATIC)):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            ours.update(os.path.relpath(path, paths.OUR_STATIC).encode() + b'\0')
            with open(path, 'rb') as f:
                ours.update(f.read())
    return os.path.join(paths.static_root(), '.cloudstack-horizon-%s-%s' % (
        horizon.version.version_info.release_string(), ours.hexdigest()[:16]))


def prepare_static():
    """Collect and compress Horizon's static files once per Horizon version
    (the first start after an install or upgrade); a lock keeps concurrent
    starts from doing it twice."""
    stamp = _static_stamp()
    if os.path.exists(stamp):
        return
    from django.core import management
    os.makedirs(paths.root(), mode=0o700, exist_ok=True)
    with open(os.path.join(paths.root(), 'static.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(stamp):
            return
        management.call_command('collectstatic', interactive=False, clear=True, link=True,
                                verbosity=0)
        management.call_command('compress', force=True, verbosity=0)
        with open(stamp, 'w'):
            pass


class Dashboard:
    """Horizon, plus its static files under <mount>/static/ (Django serves
    none with DEBUG off)."""

    def __init__(self, django_app, static_root):
        self.django_app = django_app
        self.static = webob.static.DirectoryApp(static_root)

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path.startswith('/static/'):
            environ = dict(environ, SCRIPT_NAME=environ.get('SCRIPT_NAME', '') + '/static',
                           PATH_INFO=path[len('/static'):])
            return self.static(environ, start_response)
        return self.django_app(environ, start_response)


def build():
    _configure_django()
    prepare_static()
    from cloudstack.dashboard import fixes
    from cloudstack.dashboard import images
    from cloudstack.dashboard import metadefs
    fixes.install()
    images.install()
    try:
        metadefs.seed()
    except Exception:
        LOG.exception('the standard metadata definitions could not be seeded')
    from django.core.wsgi import get_wsgi_application
    return Dashboard(get_wsgi_application(), paths.static_root())
