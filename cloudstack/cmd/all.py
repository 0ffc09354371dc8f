"""cloudstack-all: every API and the engine in one process tree, ready to use.

The engine runs every role (compute, network, volume, object) for this host
and the host-less work.

The first start creates the data directory, the keys, the database and the
admin, and writes clouds.yaml and openrc there; later starts reuse them.
"""
import os
import secrets
import shlex

import yaml
from oslo_config import cfg

from cloudstack import cmd
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db import migration
from cloudstack.identity import keys
from cloudstack.identity import manager
from cloudstack.tasks import queue
from cloudstack.wsgi import app as wsgi_app
from cloudstack.wsgi import server

CLOUD = 'cloudstack'
PASSWORD_ENV = 'CLOUDSTACK_ADMIN_PASSWORD'

cli_opts = [
    cfg.StrOpt('admin-password', secret=True,
               help='The admin\'s password, set at this start. Without it, '
                    '[bootstrap] admin_password, else $%s, is set when it differs '
                    'from the one in <data_dir>/clouds.yaml; with neither, the first '
                    'start generates one. clouds.yaml and openrc hold it.'
                    % PASSWORD_ENV),
]


def public_url():
    return (CONF.public_url or 'http://%s' % CONF.bind).rstrip('/')


def _write(path, text):
    """Replace `path` with `text`, readable by its owner only."""
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def _stored_password(path):
    try:
        with open(path) as f:
            return yaml.safe_load(f)['clouds'][CLOUD]['auth']['password']
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return None


def write_credentials(password, url):
    auth = {'auth_url': url + '/identity/v3', 'username': 'admin', 'password': password,
            'project_name': 'admin', 'user_domain_name': 'Default',
            'project_domain_name': 'Default'}
    cloud = {'auth': auth, 'region_name': CONF.region, 'identity_api_version': 3}
    _write(os.path.join(CONF.data_dir, 'clouds.yaml'),
           yaml.safe_dump({'clouds': {CLOUD: cloud}}, default_flow_style=False))
    env = {'OS_AUTH_URL': auth['auth_url'], 'OS_USERNAME': 'admin', 'OS_PASSWORD': password,
           'OS_PROJECT_NAME': 'admin', 'OS_USER_DOMAIN_NAME': 'Default',
           'OS_PROJECT_DOMAIN_NAME': 'Default', 'OS_REGION_NAME': CONF.region,
           'OS_IDENTITY_API_VERSION': '3'}
    _write(os.path.join(CONF.data_dir, 'openrc'),
           ''.join('export %s=%s\n' % (k, shlex.quote(v)) for k, v in env.items()))


def _new_password(stored):
    """The admin password to set now, or None to leave the admin's alone.

    --admin-password always is. [bootstrap] admin_password or the environment
    only is when it differs from the one clouds.yaml holds, so that a restart
    neither hashes it again nor undoes a change made through the API. The
    first start makes one up.
    """
    if CONF.admin_password:
        return CONF.admin_password
    preset = CONF.bootstrap.admin_password or os.environ.get(PASSWORD_ENV)
    if preset and preset != stored:
        return preset
    return None if stored else secrets.token_urlsafe(18)


def prepare(url):
    """Make or update the data directory, keys, schema, admin and catalog."""
    cmd.make_data_dir()
    keys.setup(CONF)
    migration.sync()
    stored = _stored_password(os.path.join(CONF.data_dir, 'clouds.yaml'))
    password = _new_password(stored)
    manager.get().bootstrap(password, region_id=CONF.region, public_url=url)
    write_credentials(password or stored, url)


def main(argv=None):
    cmd.parse(argv, opts=cli_opts, serving=True)
    sock = server.listen(CONF.bind)
    url = public_url()
    prepare(url)
    app = wsgi_app.load_app()
    db_api.reset()      # the children open their own connections
    print('cloudstack: serving %s/identity/v3\n'
          'admin credentials: %s (OS_CLOUD=%s) and %s' % (
              url, os.path.join(CONF.data_dir, 'clouds.yaml'), CLOUD,
              os.path.join(CONF.data_dir, 'openrc')), flush=True)
    return server.Launcher(sock, app, workers=CONF.workers,
                           engine_roles=(None,) + queue.ROLES).run()
