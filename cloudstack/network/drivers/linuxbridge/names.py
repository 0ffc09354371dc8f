"""Names of the Linux pieces the driver builds, as Neutron's linuxbridge agent names them.

Interface names live in the host's network namespace and are at most 15
characters, so they carry no prefix; namespace names are global and carry the
driver's `namespace_prefix` so that several test topologies never collide.
"""
BRIDGE = 'brq'
TAP = 'tap'
VXLAN = 'vxlan-'
DHCP_NS = 'qdhcp-'
ROUTER_NS = 'qrouter-'
DHCP_IF = 'ns-'
ROUTER_IF = 'qr-'
GATEWAY_IF = 'qg-'
CHAIN = 'cs-'           # every iptables chain the driver owns
IPSET = 'cs'            # every ipset the driver owns (31 characters at most)


def bridge(network_id):
    return BRIDGE + network_id[:11]


def tap(port_id):
    return TAP + port_id[:11]


def vxlan(vni):
    return '%s%d' % (VXLAN, vni)


def dhcp_namespace(prefix, network_id):
    return prefix + DHCP_NS + network_id


def router_namespace(prefix, router_id):
    return prefix + ROUTER_NS + router_id


def dhcp_interface(port_id):
    return DHCP_IF + port_id[:11]


def router_interface(port_id):
    return ROUTER_IF + port_id[:11]


def gateway_interface(port_id):
    return GATEWAY_IF + port_id[:11]


def port_chain(direction, port_id):
    """'i' (to the port), 'o' (from the port) or 's' (its anti-spoofing)."""
    return '%s%s-%s' % (CHAIN, direction, port_id[:11])


def group_ipset(family, security_group_id):
    return '%s%d-%s' % (IPSET, family, security_group_id.replace('-', '')[:27])


def address_group_ipset(family, address_group_id):
    return '%sa%d-%s' % (IPSET, family, address_group_id.replace('-', '')[:26])
