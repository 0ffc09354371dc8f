"""Options of the dashboard (Horizon at /dashboard, cloudstack/dashboard/)."""
from oslo_config import cfg

dashboard_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Serve Horizon at /dashboard when it is installed '
                     "(pip install 'cloudstack[dashboard]'). Off, or not installed, "
                     '/dashboard answers 404 and nothing of Django is loaded.'),
    cfg.StrOpt('images_upload_mode', default='legacy', choices=['legacy', 'direct', 'off'],
               help="How Horizon's Create Image sends a file: 'legacy' through the "
                    "dashboard, 'direct' from the browser to the Image API (Horizon's "
                    "HORIZON_IMAGES_UPLOAD_MODE), 'off' no file uploads. In both upload "
                    'modes a file the Image API refuses deletes the image it was for.'),
]


def register_opts(conf):
    conf.register_opts(dashboard_opts, group='dashboard')


def list_opts():
    return [('dashboard', dashboard_opts)]
