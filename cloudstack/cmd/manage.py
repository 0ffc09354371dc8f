"""cloudstack-manage: the operator's one-off jobs."""
import os

from oslo_config import cfg

from cloudstack import cmd
from cloudstack.conf import CONF
from cloudstack.db import migration
from cloudstack.identity import keys
from cloudstack.identity import manager


def db_sync():
    cmd.make_data_dir()
    migration.sync()


def db_version():
    print(migration.current())


def db_revision():
    migration.revision(CONF.command.message)


def _base_url(url):
    """keystone-manage takes the Identity endpoint (http://host/identity/v3);
    the catalog is built from the base URL every API lives under."""
    url = url.rstrip('/')
    for suffix in ('/v3', '/identity'):
        url = url[:-len(suffix)] if url.endswith(suffix) else url
    return url


def bootstrap():
    args = CONF.command
    user_id = manager.get().bootstrap(
        args.bootstrap_password or os.environ.get('OS_BOOTSTRAP_PASSWORD'),
        username=args.bootstrap_username, project_name=args.bootstrap_project_name,
        role_name=args.bootstrap_role_name,
        region_id=args.bootstrap_region_id or CONF.region,
        public_url=args.bootstrap_public_url and _base_url(args.bootstrap_public_url))
    print('admin user %s: %s' % (args.bootstrap_username, user_id))


def fernet_setup():
    cmd.make_data_dir()
    keys.setup(CONF)


def fernet_rotate():
    keys.rotate_fernet(CONF)


def credential_setup():
    cmd.make_data_dir()
    keys.setup(CONF)


def _actions(subparsers, name, help, actions):
    """Command `name` with sub-commands `actions`; returns their parsers."""
    sub = subparsers.add_parser(name, help=help).add_subparsers(dest='action', required=True)
    parsers = {}
    for action, (func, text) in actions.items():
        parsers[action] = sub.add_parser(action, help=text)
        parsers[action].set_defaults(func=func)
    return parsers


def add_commands(subparsers):
    db = _actions(subparsers, 'db', 'the database schema', {
        'sync': (db_sync, 'upgrade the schema to the latest version'),
        'version': (db_version, 'print the schema version'),
        'revision': (db_revision, 'write a migration for what the models changed'),
    })
    db['revision'].add_argument('-m', '--message', required=True)

    parser = subparsers.add_parser(
        'bootstrap', help='create or repair the admin, its roles and the catalog')
    parser.set_defaults(func=bootstrap)
    parser.add_argument('--bootstrap-password',
                        help='the admin password (else $OS_BOOTSTRAP_PASSWORD; an '
                             'existing admin keeps its password if neither is set)')
    parser.add_argument('--bootstrap-username', default='admin')
    parser.add_argument('--bootstrap-project-name', default='admin')
    parser.add_argument('--bootstrap-role-name', default='admin')
    parser.add_argument('--bootstrap-region-id', help='default: [DEFAULT] region')
    parser.add_argument('--bootstrap-public-url',
                        help='the Identity endpoint, or the base URL of every API '
                             '(default: public_url, else http://<bind>)')

    _actions(subparsers, 'fernet', 'the Fernet token keys', {
        'setup': (fernet_setup, 'create the key repository if it is empty'),
        'rotate': (fernet_rotate, 'stage a new key and promote the staged one'),
    })
    _actions(subparsers, 'credential', 'the credential encryption keys', {
        'setup': (credential_setup, 'create the key repository if it is empty'),
    })


def main(argv=None):
    cmd.parse(argv, opts=[cfg.SubCommandOpt('command', handler=add_commands)])
    CONF.command.func()
    return 0
