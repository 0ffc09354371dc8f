"""The Identity service's rules: one mixin per area, composed into one manager.

`get()` is the service's Python API; other services and the auth middleware
call it, never the identity tables.
"""
from cloudstack.identity.manager import (
    application_credentials, assignments, backends, base, bootstrap, catalog,
    credentials, domain_configs, federation, limits, multi_factor, oauth1,
    policy_documents, resources, tokens, trusts, users)


class Manager(base.Base,
              resources.Resources,
              users.Users,
              backends.Backends,
              assignments.Assignments,
              catalog.Catalog,
              tokens.Tokens,
              multi_factor.MultiFactor,
              trusts.Trusts,
              application_credentials.ApplicationCredentials,
              credentials.Credentials,
              domain_configs.DomainConfigs,
              policy_documents.PolicyDocuments,
              limits.Limits,
              oauth1.OAuth1,
              federation.Federation,
              bootstrap.Bootstrap):
    """Identity (Keystone v3)."""


_manager = None


def get():
    global _manager
    if _manager is None:
        _manager = Manager()
    return _manager
