"""Logging through oslo.log, as OpenStack services log.

A line logged while serving a request carries its request id, user and
project ([req-... user project domain ...], from the current RequestContext,
see context.py), the access log's lines included; other lines carry [-].
Secrets stay out: the access log hides secret query parameters (see
wsgi/server.py), contexts mask their token.
"""
from oslo_log import log

# Quieter libraries than oslo.log's own list, which lacks these.
DEFAULT_LOG_LEVELS = log.get_default_log_levels() + [
    'alembic=WARN', 'routes=WARN']


def set_defaults():
    """Our defaults of oslo.log's options (set before they are registered or
    listed for the config sample)."""
    log.set_defaults(default_log_levels=DEFAULT_LOG_LEVELS)


def register_options(conf):
    """oslo.log's options (--debug, --log-file, [DEFAULT] log_*...); logs go
    to standard output unless a log file (or use_stderr...) is set."""
    log.register_options(conf)


def setup(conf):
    log.setup(conf, 'cloudstack')
