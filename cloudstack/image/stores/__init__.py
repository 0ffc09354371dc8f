"""Image stores: the configured backends, each an instance of a store type
loaded by name from the cloudstack.image.stores namespace.

[image] enabled_backends maps store ids to types ("fast:file,
objects:object_store"); without it there is one store, default_store, of the
type of the same name.
"""
import re

from cloudstack import drivers

NAMESPACE = 'cloudstack.image.stores'

STORE_ID = re.compile(r'^[A-Za-z0-9_-]{1,64}$')


class UnknownStore(LookupError):
    """A store id that is not among the enabled backends."""


def backends(conf):
    """{store id: store type} of the enabled stores, in configured order."""
    configured = conf.image.enabled_backends
    if not configured:
        configured = {conf.image.default_store: conf.image.default_store}
    for store_id in configured:
        if not STORE_ID.match(store_id):
            raise ValueError('[image] enabled_backends: bad store id %r (letters, '
                             'digits, "-" and "_" only)' % store_id)
    return dict(configured)


def default(conf):
    """The id of the store new data goes to."""
    enabled = backends(conf)
    if conf.image.default_store in enabled:
        return conf.image.default_store
    return next(iter(enabled))


def store_type(name):
    """The store class registered as type `name`."""
    return drivers.load(NAMESPACE, name)


def get_store(conf, name=None):
    """An instance of the store with id `name` (default: the default store)."""
    store_id = name or default(conf)
    enabled = backends(conf)
    if store_id not in enabled:
        raise UnknownStore(store_id)
    return store_type(enabled[store_id])(conf, store_id)


def available(conf):
    """The ids of the enabled stores."""
    return list(backends(conf))
