"""Names of the Linux pieces the driver builds, as Neutron's linuxbridge agent names them.

Interface names live in the host's network namespace and are at most 15
characters, so they carry no prefix; namespace names are global and carry the
driver's `namespace_prefix` so that several test topologies never collide.
"""
from cloudstack.network.drivers import base

BRIDGE = base.BRIDGE_PREFIX
TAP = base.TAP_PREFIX
VXLAN = 'vxlan-'
DHCP_NS = base.DHCP_NAMESPACE_PREFIX
ROUTER_NS = base.ROUTER_NAMESPACE_PREFIX
DHCP_IF = 'ns-'
ROUTER_IF = base.ROUTER_INTERFACE_PREFIX
GATEWAY_IF = base.ROUTER_GATEWAY_PREFIX
CHAIN = 'cs-'           # every iptables chain the driver owns
IPSET = 'cs'            # every ipset the driver owns (31 characters at most)

bridge = base.bridge_name
tap = base.tap_name
vxlan = base.vxlan_name


def dhcp_namespace(prefix, network_id):
    return prefix + DHCP_NS + network_id


def router_namespace(prefix, router_id):
    return prefix + ROUTER_NS + router_id


def dhcp_interface(port_id):
    return DHCP_IF + port_id[:base.ID_CHARS]


def router_interface(port_id):
    return ROUTER_IF + port_id[:base.ID_CHARS]


def gateway_interface(port_id):
    return GATEWAY_IF + port_id[:base.ID_CHARS]


def port_chain(direction, port_id):
    """'i' (to the port), 'o' (from the port), 's' (its anti-spoofing), and
    in ebtables 'm' (its MACs) and 'a' (its ARP)."""
    return '%s%s-%s' % (CHAIN, direction, port_id[:base.ID_CHARS])


def group_ipset(family, security_group_id):
    return '%s%d-%s' % (IPSET, family, security_group_id.replace('-', '')[:27])


def address_group_ipset(family, address_group_id):
    return '%sa%d-%s' % (IPSET, family, address_group_id.replace('-', '')[:26])
