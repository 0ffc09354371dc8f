"""Options of the linuxbridge network driver (bridges, VXLAN, dnsmasq, iptables)."""
from oslo_config import cfg

linuxbridge_opts = [
    cfg.DictOpt('physical_interface_mappings', default={},
                help='Physical networks of flat networks and the host interface '
                     'each is on, as physnet:interface pairs, e.g. "public:eth1". '
                     'The interface is enslaved to the network\'s bridge.'),
    cfg.IntOpt('vxlan_udp_port', default=4789, min=1, max=65535,
               help='UDP port of VXLAN tunnels between hosts.'),
    cfg.StrOpt('state_path',
               help='Directory of dnsmasq\'s and the metadata proxies\' files '
                    '(default: <data_dir>/linuxbridge).'),
    cfg.StrOpt('host_namespace',
               help='Network namespace the bridges, taps and security group '
                    'rules live in (default: the agent\'s own). For tests and '
                    'several simulated hosts on one machine.'),
    cfg.StrOpt('namespace_prefix', default='',
               help='Prefix of the qdhcp- and qrouter- namespaces this host '
                    'makes, so that several simulated hosts never collide.'),
    cfg.ListOpt('dnsmasq_dns_servers', default=[],
                help='Servers dnsmasq forwards the names it does not know to. '
                     'Empty: it answers for the network\'s own names only.'),
    cfg.IntOpt('dhcp_lease_duration', default=86400,
               help='Seconds a DHCP lease lasts; -1 for infinite.'),
    cfg.BoolOpt('enable_isolated_metadata', default=True,
                help='Serve 169.254.169.254 from the DHCP namespace for subnets '
                     'no router is attached to (with a host route to it).'),
    cfg.StrOpt('dnsmasq_binary', default='dnsmasq', help='The dnsmasq command.'),
    cfg.StrOpt('dnsmasq_user', default='nobody',
               help='User dnsmasq runs as. It re-reads its files in state_path '
                    'as that user: when it cannot reach them, dnsmasq runs as '
                    'root (with a warning).'),
]


def register_opts(conf):
    conf.register_opts(linuxbridge_opts, group='linuxbridge')


def list_opts():
    return [('linuxbridge', linuxbridge_opts)]
