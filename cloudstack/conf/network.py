"""Options for the Networking service."""
from oslo_config import cfg

network_opts = [
    cfg.StrOpt('driver', default='noop',
               help='Network driver building each host\'s dataplane (the '
                    'cloudstack.network.drivers entry points): noop (no '
                    'dataplane; bound ports are ACTIVE at once) or linuxbridge.'),
    cfg.ListOpt('tenant_network_types', default=['vxlan'],
                help='Network types given to projects\' networks, in order of '
                     'preference: vxlan, local.'),
    cfg.ListOpt('vni_ranges', default=['1:1000'],
                help='VXLAN VNIs (first:last) that project networks get.'),
    cfg.ListOpt('flat_networks', default=['*'],
                help='Physical networks flat networks may be created on; * for '
                     'any name.'),
    cfg.IntOpt('global_physnet_mtu', default=1500, min=68,
               help='MTU of the underlying physical network; a VXLAN network '
                    'gets 50 bytes less.'),
    cfg.StrOpt('base_mac', default='fa:16:3e:00:00:00',
               help='Base of the MACs given to ports: the first three octets '
                    'are kept, the rest are random.'),
    cfg.StrOpt('dns_domain', default='openstacklocal',
               help='Domain of the DNS names ports are given (dns_assignment).'),
    cfg.IntOpt('dhcp_agents_per_network', default=1, min=1,
               help='Network agents that serve DHCP for each network.'),
    cfg.IntOpt('max_fixed_ips_per_port', default=5, min=1,
               help='Most fixed IPs one port may hold.'),
    cfg.IntOpt('max_routes', default=30, min=0,
               help='Most extra routes one router, or host routes one subnet, '
                    'may have.'),
    cfg.IntOpt('max_dns_nameservers', default=5, min=0,
               help='Most DNS nameservers one subnet may have.'),
    cfg.IntOpt('max_allowed_address_pair', default=10, min=0,
               help='Most allowed address pairs one port may have.'),
    cfg.IntOpt('pagination_max_limit', default=-1,
               help='Most items one list returns; -1 for no limit.'),
    cfg.StrOpt('local_ip',
               help='This host\'s VTEP address: the source of its VXLAN '
                    'tunnels, which other hosts send to.'),
    cfg.ListOpt('default_availability_zones', default=[],
                help='Availability zones a network or router without hints '
                     'is scheduled in (empty: any).'),
    cfg.StrOpt('availability_zone', default='nova',
               help='Availability zone of this host\'s network agent.'),
]

quota_opts = [
    cfg.IntOpt('quota_network', default=100, help='Networks per project; -1 for no limit.'),
    cfg.IntOpt('quota_subnet', default=100, help='Subnets per project; -1 for no limit.'),
    cfg.IntOpt('quota_port', default=500, help='Ports per project; -1 for no limit.'),
    cfg.IntOpt('quota_router', default=10, help='Routers per project; -1 for no limit.'),
    cfg.IntOpt('quota_floatingip', default=50,
               help='Floating IPs per project; -1 for no limit.'),
    cfg.IntOpt('quota_security_group', default=10,
               help='Security groups per project; -1 for no limit.'),
    cfg.IntOpt('quota_security_group_rule', default=100,
               help='Security group rules per project; -1 for no limit.'),
    cfg.IntOpt('quota_rbac_policy', default=10,
               help='RBAC policies per project; -1 for no limit.'),
    cfg.IntOpt('quota_subnetpool', default=-1,
               help='Subnet pools per project; -1 for no limit.'),
    cfg.IntOpt('quota_address_group', default=-1,
               help='Address groups per project; -1 for no limit.'),
]


def register_opts(conf):
    conf.register_opts(network_opts, group='network')
    conf.register_opts(quota_opts, group='network_quotas')


def list_opts():
    return [('network', network_opts), ('network_quotas', quota_opts)]
