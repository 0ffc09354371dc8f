"""The Compute service's rules: one mixin per area, composed into one manager.

`get()` is the service's Python API; the compute API, the compute agent and
other services (Networking's external events) call it, never its tables.
"""
from cloudstack.compute.manager import (
    actions, aggregates, base, cloud, consoles, flavors, groups, keypairs, quotas,
    servers)


class Manager(base.Base,
              flavors.Flavors,
              keypairs.Keypairs,
              quotas.Quotas,
              servers.Servers,
              actions.ServerActions,
              consoles.Consoles,
              groups.ServerGroups,
              aggregates.Aggregates,
              cloud.Cloud):
    """Compute (Nova v2.1)."""


_manager = None


def get():
    global _manager
    if _manager is None:
        _manager = Manager()
    return _manager
