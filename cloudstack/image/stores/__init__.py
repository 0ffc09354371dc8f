"""Image stores, loaded by name from the cloudstack.image.stores namespace."""
from cloudstack import drivers

NAMESPACE = 'cloudstack.image.stores'


def get_store(conf, name=None):
    """An instance of the configured (or named) store."""
    return drivers.load(NAMESPACE, name or conf.image.default_store)(conf)


def available(conf):
    """The names of the installed stores."""
    return drivers.available(NAMESPACE)
