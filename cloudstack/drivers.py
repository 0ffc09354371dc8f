"""Drivers by name from a stevedore namespace declared in setup.cfg."""
import importlib.metadata

from stevedore import driver
from stevedore import exception as stevedore_exception


class DriverNotFound(RuntimeError):
    """A configured driver name that no installed entry point provides."""


def available(namespace):
    """The driver names installed for `namespace`, sorted."""
    return sorted({ep.name for ep in importlib.metadata.entry_points(group=namespace)})


def load(namespace, name):
    """The plugin (usually a class) registered as `name` in `namespace`."""
    try:
        return driver.DriverManager(namespace, name, invoke_on_load=False).driver
    except stevedore_exception.NoMatches:
        names = available(namespace)
        raise DriverNotFound('no driver %r in %s; available: %s' % (
            name, namespace, ', '.join(names) or 'none installed')) from None


def this_machine():
    """An id every process on this machine (and boot) shares: drivers of two
    hosts run side by side on one machine tell so by it (e.g. a local volume
    attachment between them)."""
    try:
        with open('/proc/sys/kernel/random/boot_id') as f:
            return f.read().strip() or None
    except OSError:
        return None
