"""Where the dashboard keeps its files: <data_dir>/dashboard/."""
import os

from cloudstack.conf import CONF

# Our own static files (scripts added to Horizon's pages), in the package.
OUR_STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'static')


def root():
    return os.path.join(CONF.data_dir, 'dashboard')


def static_root():
    return os.path.join(root(), 'static')


def secret_key_file():
    os.makedirs(root(), mode=0o700, exist_ok=True)
    return os.path.join(root(), 'secret_key')
