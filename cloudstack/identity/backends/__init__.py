"""Where a domain's users and groups come from: stevedore namespace
`cloudstack.identity.backends` (sql, ldap), chosen per domain by its
domain-specific configuration ([identity] driver)."""
from cloudstack import drivers

NAMESPACE = 'cloudstack.identity.backends'


def available():
    return drivers.available(NAMESPACE)


def load(name):
    """The backend class registered as `name`."""
    return drivers.load(NAMESPACE, name)
