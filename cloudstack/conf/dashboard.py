"""Options of the dashboard (Horizon at /dashboard, cloudstack/dashboard/)."""
from oslo_config import cfg

dashboard_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Serve Horizon at /dashboard when it is installed '
                     "(pip install 'cloudstack[dashboard]'). Off, or not installed, "
                     '/dashboard answers 404 and nothing of Django is loaded.'),
]


def register_opts(conf):
    conf.register_opts(dashboard_opts, group='dashboard')


def list_opts():
    return [('dashboard', dashboard_opts)]
