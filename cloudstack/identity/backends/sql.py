"""The SQL backend: users and groups are the identity tables themselves,
written through the API (the default for every domain)."""
from cloudstack.identity.backends import base


class SqlBackend(base.IdentityBackend):
    name = 'sql'
    external = False
    writable = True
