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


def _ring_errors(func):
    """A ring command fails with its message, not a traceback."""
    import functools

    @functools.wraps(func)
    def wrapper():
        from cloudstack.object_store import ring
        try:
            return func()
        except ring.RingError as e:
            raise SystemExit('error: %s' % e)
    return wrapper


def _ring_file():
    from cloudstack.object_store import ring
    return ring.ring_path(CONF)


def _ring_builder():
    from cloudstack.object_store import ring
    path = _ring_file()
    if not os.path.exists(path):
        raise SystemExit('no ring file %s: run `cloudstack-manage ring create` first'
                         % path)
    return ring.RingBuilder.load(path)


def _ring_save(builder):
    builder.save(_ring_file())


@_ring_errors
def ring_create():
    from cloudstack.object_store import ring
    path = _ring_file()
    if os.path.exists(path):
        raise SystemExit('ring file %s exists already' % path)
    builder = ring.RingBuilder(CONF.command.part_power, CONF.command.replicas)
    builder.save(path, exclusive=True)
    print('created %s: 2**%d partitions, %d replicas'
          % (path, builder.part_power, builder.replicas))


@_ring_errors
def ring_add():
    from cloudstack.object_store import ring
    args = CONF.command
    builder = _ring_builder()
    ip, port = ring.parse_bind(args.server) or (None, None)
    dev = builder.add_dev(args.path, zone=args.zone, weight=args.weight, ip=ip, port=port)
    _ring_save(builder)
    if port is None and not os.path.isdir(dev['path']):
        print('warning: %s is not a directory (yet)' % dev['path'])
    print('added device %d: zone %d, weight %g, %s; run `ring rebalance`'
          % (dev['id'], dev['zone'], dev['weight'], ring.describe(dev)))


@_ring_errors
def ring_remove():
    builder = _ring_builder()
    builder.remove_dev(CONF.command.id)
    _ring_save(builder)
    print('device %d marked removed; run `ring rebalance`' % CONF.command.id)


@_ring_errors
def ring_set_weight():
    builder = _ring_builder()
    builder.set_weight(CONF.command.id, CONF.command.weight)
    _ring_save(builder)
    print('device %d weight %g; run `ring rebalance`'
          % (CONF.command.id, CONF.command.weight))


@_ring_errors
def ring_rebalance():
    builder = _ring_builder()
    moved = builder.rebalance()
    _ring_save(builder)
    print('moved %d of %d partition-replicas'
          % (moved, builder.parts * builder.replicas))
    _ring_print(builder)


@_ring_errors
def ring_show():
    _ring_print(_ring_builder())


def _ring_print(builder):
    from cloudstack.object_store import ring
    balance, worst = builder.balance()
    targets, counts = builder.targets(), builder.counts()
    crowded, unassigned = builder.dispersion()
    print('%s: version %d, 2**%d = %d partitions, %d replicas, %d devices, '
          '%d zones' % (_ring_file(), builder.version, builder.part_power,
                        builder.parts, builder.replicas, len(builder.devs),
                        len({d['zone'] for d in builder.devs})))
    print('balance %.2f%%; partitions with a crowded zone: %d; replicas '
          'without a device: %d' % (worst, crowded, unassigned))
    print('%4s %5s %8s %8s %9s %8s  %s' % ('id', 'zone', 'weight', 'parts',
                                          'target', 'balance', 'path'))
    for dev in builder.devs:
        print('%4d %5d %8g %8d %9.1f %7.2f%%  %s%s' % (
            dev['id'], dev['zone'], dev['weight'], counts.get(dev['id'], 0),
            targets.get(dev['id'], 0), balance.get(dev['id'], 0), ring.describe(dev),
            ' (removed)' if dev.get('removed') else ''))


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

    ring = _actions(subparsers, 'ring', 'the object ring ([object_store] ring_file)', {
        'create': (ring_create, 'create an empty ring'),
        'add': (ring_add, 'add a device (a directory)'),
        'remove': (ring_remove, 'remove a device at the next rebalance'),
        'set-weight': (ring_set_weight, 'change the weight of a device'),
        'rebalance': (ring_rebalance, 'reassign partitions to the devices'),
        'show': (ring_show, 'print the devices and the balance'),
    })
    ring['create'].add_argument('part_power', type=int, metavar='PART_POWER')
    ring['create'].add_argument('replicas', type=int, metavar='REPLICAS')
    ring['add'].add_argument('--zone', type=int, default=1)
    ring['add'].add_argument('--weight', type=float, default=1.0)
    ring['add'].add_argument('--server', metavar='IP:PORT', default='',
                             help="the object server of the device's host "
                                  '(none: a single-host cluster)')
    ring['add'].add_argument('path', metavar='PATH')
    ring['remove'].add_argument('id', type=int, metavar='ID')
    ring['set-weight'].add_argument('id', type=int, metavar='ID')
    ring['set-weight'].add_argument('weight', type=float, metavar='W')


def main(argv=None):
    cmd.parse(argv, opts=[cfg.SubCommandOpt('command', handler=add_commands,
                                            title='commands')])
    CONF.command.func()
    return 0
