"""Console entry points.

Every entry point imports this package first, and it turns the standard
library (and psycopg2) green before anything else imports socket, threading
or time.
"""
import os
import warnings

# Green DNS costs dnspython's import, a sixth of a second at every start, for
# name lookups we make a handful of; EVENTLET_NO_GREENDNS=no brings it back.
os.environ.setdefault('EVENTLET_NO_GREENDNS', 'yes')
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

import eventlet  # noqa: E402

eventlet.monkey_patch()

from cloudstack.conf import CONF  # noqa: E402
from cloudstack import log  # noqa: E402


def parse(argv=None, opts=(), serving=False):
    """Read the command line and the config files, then set up logging.

    `opts` are the command's own CLI options, besides the shared ones
    (--config-file, --data-dir, --host, --debug, --log-file); a command
    `serving` the APIs also takes --bind and --workers.
    """
    if serving:
        from cloudstack.conf import default
        for opt in default.serving_opts:
            CONF.unregister_opt(opt)
        CONF.register_cli_opts(default.serving_opts)
    CONF.register_cli_opts(opts)
    log.register_options(CONF)
    CONF(argv, project='cloudstack')
    log.setup(CONF)


def make_data_dir():
    """Create data_dir, open to its owner only, unless it exists."""
    os.makedirs(CONF.data_dir, mode=0o700, exist_ok=True)
