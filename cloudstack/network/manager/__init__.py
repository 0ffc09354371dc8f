"""The Networking service's rules, one mixin per area, composed into one
manager: its Python API, which the API layer and the other services (Compute,
through doc/design.md's contract) call alike. Every record is the Neutron API
dict of the resource, as an admin would see it; the API layer removes what
policy hides from the caller."""
from cloudstack.network.manager import (
    agents, base, hosts, networks, ports, routers, security_groups, sharing,
    subnetpools, subnets)


class Manager(base.Base,
              networks.Networks,
              subnets.Subnets,
              subnetpools.SubnetPools,
              ports.Ports,
              security_groups.SecurityGroups,
              routers.Routers,
              sharing.Sharing,
              agents.Agents,
              hosts.Hosts):
    """Networking (Neutron v2.0)."""


_manager = None


def get():
    global _manager
    if _manager is None:
        _manager = Manager()
    return _manager
