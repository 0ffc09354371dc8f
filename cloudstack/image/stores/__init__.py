"""Image stores: the configured backends, each an instance of a store type
loaded by name from the cloudstack.image.stores namespace.

[image] enabled_backends maps store ids to types ("fast:file,
objects:object_store, web:http"); without it there is one store, default_store,
of the type of the same name, and the read-only `http` store beside it (as
Glance's default `stores = file,http`). [image] weight orders the stores an
image's data is read from (highest first).
"""
import re
import urllib.parse

from cloudstack import drivers

NAMESPACE = 'cloudstack.image.stores'

STORE_ID = re.compile(r'^[A-Za-z0-9_-]{1,64}$')
# Store types that only read; they never take uploads or imports.
READ_ONLY_TYPES = ('http',)
# The store type serving locations of each URL scheme clients may give.
SCHEME_TYPES = {'http': 'http', 'https': 'http'}


class UnknownStore(LookupError):
    """A store id that is not among the enabled backends."""


def backends(conf):
    """{store id: store type} of the enabled stores, in configured order."""
    configured = conf.image.enabled_backends
    if not configured:
        configured = {conf.image.default_store: conf.image.default_store}
        configured.setdefault('http', 'http')
    for store_id in configured:
        if not STORE_ID.match(store_id):
            raise ValueError('[image] enabled_backends: bad store id %r (letters, '
                             'digits, "-" and "_" only)' % store_id)
    return dict(configured)


def default(conf):
    """The id of the store new data goes to."""
    writable = available(conf)
    if conf.image.default_store in writable:
        return conf.image.default_store
    return writable[0]


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
    """The ids of the enabled stores that take data (uploads, imports)."""
    return [s for s, kind in backends(conf).items() if kind not in READ_ONLY_TYPES]


def listed(conf):
    """The ids /v2/info/stores shows: every configured store (with
    enabled_backends), else the one default store."""
    if conf.image.enabled_backends:
        return list(backends(conf))
    return available(conf)


def read_only(conf, store_id):
    return backends(conf).get(store_id) in READ_ONLY_TYPES


def weight(conf, store_id):
    return int(conf.image.weight.get(store_id, 0))


def by_weight(conf, store_ids):
    """`store_ids` highest weight first (ties keep their order)."""
    return sorted(store_ids, key=lambda s: -weight(conf, s))


def read_order(conf, locations):
    """`locations` (dicts with 'store') in the order to read them: by their
    store's weight, highest first, ties in their own order."""
    return sorted(locations, key=lambda loc: -weight(conf, loc['store']))


def for_url(conf, url):
    """The id of the enabled store serving a client-given location `url`, or
    None when no enabled store serves its scheme."""
    scheme = urllib.parse.urlsplit(url).scheme.lower() if isinstance(url, str) else ''
    kind = SCHEME_TYPES.get(scheme)
    for store_id, store_kind in backends(conf).items():
        if kind and store_kind == kind:
            return store_id
    return None
