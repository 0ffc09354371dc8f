"""Options for the server, the database and the task engine."""
import os
import socket

from oslo_config import cfg

# Also command-line flags of every command: --data-dir, --host.
cli_opts = [
    cfg.StrOpt('host', default=socket.gethostname(), sample_default='<hostname>',
               help='Name of this host: the agents running here take the tasks '
                    'addressed to it and register under it.'),
    cfg.StrOpt('data-dir', default=os.path.expanduser('~/.cloudstack'),
               sample_default='~/.cloudstack',
               help='Directory for the SQLite database, keys and generated files.'),
]

# Command-line flags only of the commands that serve the APIs (--bind, --workers).
serving_opts = [
    cfg.StrOpt('bind', default='127.0.0.1:5000',
               help='host:port the API workers listen on; every API shares it.'),
    cfg.IntOpt('workers', default=os.cpu_count() or 1, min=1,
               sample_default='<number of CPUs>',
               help='Number of API worker processes.'),
]

agent_opts = [
    cfg.StrOpt('transport_url', secret=True,
               help='Message bus (oslo.messaging URL, e.g. rabbit://user:pass@host:5672/) '
                    'for calls to the agents of other hosts, wake-ups and notifications. '
                    'Unset, calls go through the database and notifications nowhere. '
                    'oslo.messaging reads its own sections of the same config files '
                    '([oslo_messaging_rabbit], [oslo_messaging_notifications]).'),
    cfg.IntOpt('report_interval', default=10, min=1,
               help='Seconds between an agent\'s heartbeats in the agents table.'),
    cfg.IntOpt('rpc_response_timeout', default=60, min=1,
               help='Seconds a call to an agent (tasks.call) waits for its answer.'),
    cfg.IntOpt('agent_down_time', default=60, min=1,
               help='Seconds after its last heartbeat that an agent is taken for '
                    'down (its tasks wait, calls to it fail at once).'),
]

# Read by oslo.messaging too (its Notifier); registered here so that, with
# notifications off, nothing imports oslo.messaging.
notification_opts = [
    cfg.MultiStrOpt('driver', default=[],
                    help='Where notifications go (oslo.messaging drivers: messagingv2, '
                         'log, noop...); none are sent by default.'),
]

server_opts = [
    cfg.StrOpt('public_url',
               help='Base URL clients reach the APIs at (default: http://<bind>). '
                    'Catalog endpoints are built from it.'),
    cfg.IntOpt('graceful_shutdown_timeout', default=30,
               help='Seconds a worker waits for in-flight requests on SIGTERM.'),
    cfg.StrOpt('api_paste_config', default='api-paste.ini',
               help='Paste config file; relative paths are looked up next to the '
                    'config file, then in the installed etc/cloudstack.'),
    cfg.StrOpt('region', default='RegionOne', help='Region the catalog serves.'),
]

database_opts = [
    cfg.StrOpt('connection', secret=True,
               help='SQLAlchemy URL (default: sqlite:///<data_dir>/cloudstack.db).'),
    cfg.IntOpt('busy_timeout', default=60, min=1,
               help='Seconds a SQLite writer waits for another process\'s write lock.'),
]

engine_opts = [
    cfg.IntOpt('task_workers', default=64, min=1,
               help='Green threads running tasks in the engine.'),
    cfg.FloatOpt('task_poll_interval', default=1.0,
                 help='Seconds between polls of the task table when idle.'),
    cfg.IntOpt('task_lease', default=60,
               help='Seconds a claimed task (or inline work on a resource) stays '
                    'owned without a heartbeat.'),
    cfg.IntOpt('recovery_interval', default=300, min=1,
               help='Seconds between passes that recover resources left in '
                    'transitional states by work that stopped, and remove the '
                    'partial files it left; one also runs when an engine starts.'),
]


def register_opts(conf):
    try:
        conf.register_cli_opts(cli_opts)
    except cfg.ArgsAlreadyParsedError:
        # A tool that parsed its own command line first (oslopolicy-sample-generator
        # loading our rules) gets them as plain options.
        conf.register_opts(cli_opts)
    conf.register_opts(serving_opts)
    conf.register_opts(server_opts)
    conf.register_opts(agent_opts)
    conf.register_opts(notification_opts, group='oslo_messaging_notifications')
    conf.register_opts(database_opts, group='database')
    conf.register_opts(engine_opts, group='engine')


def list_opts():
    return [('DEFAULT', cli_opts + serving_opts + server_opts + agent_opts),
            ('oslo_messaging_notifications', notification_opts), ('database', database_opts),
            ('engine', engine_opts)]
