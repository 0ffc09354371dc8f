"""The network driver interface: what makes one host's dataplane match the
state the Networking manager wants for it.

The dataplane is level-triggered. When a change touches host H, the manager
queues `network.sync_host` for H's network agent; the agent asks the manager
for `host_state(ctx, H)`, hands it to its driver's `sync(state)`, and reports
what the driver wired back with `update_port_status(ctx, H, up, down)`.
A driver never reads the database nor calls another service.

The state (every item a Neutron API dict, as an admin sees it through the API):

    {'host': H,
     'networks': [network, ...],      # each with 'provider:network_type'
                                      # ('vxlan' | 'flat' | 'local'),
                                      # 'provider:segmentation_id',
                                      # 'provider:physical_network', 'mtu'
     'subnets': [subnet, ...],        # of those networks
     'ports': [port, ...],            # bound to H ('binding:host_id' == H):
                                      # instances' ports, DHCP ports
                                      # ('network:dhcp') and router ports
                                      # ('network:router_interface',
                                      # 'network:router_gateway') of routers
                                      # hosted on H
     'security_groups': {id: group},  # of those ports; each group has its
                                      # 'security_group_rules' and
                                      # 'member_ips' (the fixed IPs and
                                      # allowed address pairs of every port
                                      # in the group, any host), by ethertype:
                                      # {'IPv4': [...], 'IPv6': [...]}
     'address_groups': {id: group},   # referred to by those rules
                                      # ('addresses': [cidr, ...])
     'routers': [router, ...],        # hosted on H, each with 'interfaces'
                                      # (ports), 'gw_port' (a port or None),
                                      # 'external_gateway_info',
                                      # 'floating_ips' (floating IP dicts
                                      # with 'port_forwardings') and 'routes'
     'dhcp_networks': [network_id],   # whose DHCP server runs on H
     'tunnel_peers': {network_id: [ip]},  # VTEP IPs of other hosts with
                                      # ports on that VXLAN network
     'local_ip': ip or None,          # H's own VTEP IP
     'metadata': {'host', 'port', 'shared_secret'}}   # where the metadata
                                      # proxy forwards to

A port's tap is `tap_name(port_id)`, plugged by the hypervisor into
`bridge_name(network_id)`; the driver creates the bridge and everything
around it, and reports a port 'up' once its tap is on the bridge with its
rules in place (DHCP and router ports, which the driver creates itself,
once created).
"""
import abc

# Device names, as Neutron's Linux bridge agent makes them (15 chars at most).
BRIDGE_PREFIX = 'brq'
TAP_PREFIX = 'tap'
ROUTER_INTERFACE_PREFIX = 'qr-'
ROUTER_GATEWAY_PREFIX = 'qg-'
DHCP_NAMESPACE_PREFIX = 'qdhcp-'
ROUTER_NAMESPACE_PREFIX = 'qrouter-'
ID_CHARS = 11


def bridge_name(network_id):
    return BRIDGE_PREFIX + network_id[:ID_CHARS]


def tap_name(port_id):
    return TAP_PREFIX + port_id[:ID_CHARS]


def vxlan_name(vni):
    return 'vxlan-%d' % vni


def vif_details(network_id):
    """binding:vif_details of a port on `network_id` bound to a host (both
    drivers plug taps into the network's bridge)."""
    return {'bridge_name': bridge_name(network_id), 'port_filter': True,
            'connectivity': 'l2'}


class NetworkDriver(abc.ABC):
    """One host's dataplane. The agent makes one per host it serves and calls
    it from one green thread at a time: `init()` once, then `sync(state)`
    whenever the wanted state may have changed, `cleanup()` to remove all."""

    # False: the driver builds nothing and needs of the state only 'host'
    # and the ids of the ports bound to the host (the agent then spares the
    # manager working out the rest).
    needs_state = True

    def __init__(self, host):
        self.host = host

    def init(self):
        """Prepare the host (called once, before the first sync). The first
        sync after a start compares the state with what the driver finds on
        the host under its own names, so a crash leaves nothing behind."""

    @abc.abstractmethod
    def sync(self, state):
        """Make the host match `state` (see the module doc), applying only
        what changed since the last sync and removing what is no longer
        wanted. Idempotent. Returns {'up': [port ids now wired], 'down':
        [port ids bound here that are not (a tap missing)]}; a port in
        neither keeps its status."""

    def cleanup(self):
        """Remove everything the driver made on this host."""
