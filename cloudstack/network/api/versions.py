"""Version discovery and the extension list.

The extension list names exactly what this server implements (clients and
Tempest decide what to use and test from it), in the aliases Neutron uses
for them in an ML2 + Linux bridge deployment.
"""
from cloudstack.network import exceptions as exc

UPDATED = '2026-01-01T00:00:00-00:00'

# alias: (name, description)
EXTENSIONS = {
    'address-group': ('Address group', 'Groups of addresses that security group '
                      'rules can name as their remote'),
    'address-scope': ('Address scope', 'Address scopes of subnet pools'),
    'agent': ('agent', 'The agents of the hosts'),
    'agent_sort_key': ('Agent\'s sort key', 'Sorting and pagination of agents'),
    'allowed-address-pairs': ('Allowed Address Pairs', 'More addresses a port may '
                              'send from'),
    'availability_zone': ('Availability Zone', 'The availability zones of networks '
                          'and routers'),
    'availability_zone_filter': ('Availability Zone Filter', 'Filtering availability '
                                 'zones by their attributes'),
    'binding': ('Port Binding', 'The host, VIF type and details of ports'),
    'default-subnetpools': ('Default Subnetpools', 'Default subnet pools per IP '
                            'version'),
    'dhcp_agent_scheduler': ('DHCP Agent Scheduler', 'Which agents serve DHCP to '
                             'which networks'),
    'dns-integration': ('DNS Integration', 'DNS names of ports and floating IPs and '
                        'domains of networks'),
    'empty-string-filtering': ('Empty String Filtering', 'Filtering by empty '
                               'strings'),
    'expose-port-forwarding-in-fip': ('Expose port forwardings in a floating IP',
                                      'The port forwardings of a floating IP in its '
                                      'body'),
    'ext-gw-mode': ('Neutron L3 Configurable external gateway mode', 'SNAT on a '
                    'router\'s external gateway, on or off'),
    'external-net': ('Neutron external network', 'Networks routers reach the outside '
                     'through'),
    'extra_dhcp_opt': ('Neutron Extra DHCP options', 'DHCP options of ports'),
    'extraroute': ('Neutron Extra Route', 'Extra routes of routers'),
    'extraroute-atomic': ('Atomically add/remove extra routes', 'Adding and '
                          'removing extra routes one by one'),
    'filter-validation': ('Filter parameters validation', 'Unknown filters are '
                          'refused'),
    'fip-port-details': ('Floating IP Port Details Extension', 'The port a floating '
                         'IP is on, in its body'),
    'floating-ip-port-forwarding': ('Floating IP Port Forwarding', 'Forwarding ports '
                                    'of a floating IP to internal addresses'),
    'floating-ip-port-forwarding-description': ('Floating IP Port Forwarding new '
                                                'attribute description',
                                                'Descriptions of port forwardings'),
    'floatingip-pools': ('Floating IP Pools Extension', 'The subnets floating IPs '
                         'come from'),
    'ip-substring-filtering': ('IP address substring filtering', 'Filtering ports '
                               'by part of an address'),
    'ip_allocation': ('IP Allocation', 'When a port gets its addresses'),
    'l2_adjacency': ('L2 Adjacency', 'Whether a network is one layer 2 domain'),
    'l3_agent_scheduler': ('L3 Agent Scheduler', 'Which agents host which routers'),
    'net-mtu': ('Network MTU', 'The MTU of networks'),
    'net-mtu-writable': ('Network MTU (writable)', 'Setting the MTU of networks'),
    'network-ip-availability': ('Network IP Availability', 'Used and total addresses '
                                'of networks and subnets'),
    'network_availability_zone': ('Network Availability Zone', 'Availability zones '
                                  'of networks'),
    'pagination': ('Pagination support', 'Paging through lists'),
    'port-security': ('Port Security', 'Turning security groups and anti-spoofing '
                      'off for a port or network'),
    'port-security-groups-filtering': ('Port filtering on security groups',
                                       'Filtering ports by security group'),
    'project-id': ('project_id field enabled', 'project_id beside tenant_id'),
    'provider': ('Provider Network', 'The segment of networks: type, physical '
                 'network and segmentation id'),
    'quota_details': ('Quota details management support', 'Used, reserved and '
                      'limit of each quota'),
    'quotas': ('Quota management support', 'Per project quotas'),
    'rbac-policies': ('RBAC Policies', 'Sharing networks with projects, as shared '
                      'or as external networks'),
    'revision-if-match': ('If-Match constraints based on revision_number',
                          'Conditional updates and deletes'),
    'router': ('Neutron L3 Router', 'Routers, floating IPs and their NAT'),
    'router_availability_zone': ('Router Availability Zone', 'Availability zones of '
                                 'routers'),
    'security-group': ('security-group', 'Security groups and their rules'),
    'security-groups-normalized-cidr': ('Security Group Rule normalized CIDR field',
                                        'The network of a rule\'s remote prefix'),
    'security-groups-remote-address-group': ('Remote address group id field for '
                                             'security group rules',
                                             'Rules whose remote is an address group'),
    'security-groups-rules-belongs-to-default-sg': ('Security group rule belongs to '
                                                    'the project\'s default security '
                                                    'group', 'Whether a rule is of a '
                                                    'default group'),
    'security-groups-shared-filtering': ('Security group filtering on the shared '
                                         'field', 'Filtering security groups by '
                                         'whether they are shared'),
    'service-type': ('Neutron Service Type Management', 'The service providers'),
    'sorting': ('Sorting support', 'Sorting lists'),
    'standard-attr-description': ('standard-attr-description', 'Descriptions of '
                                  'resources'),
    'standard-attr-revisions': ('Resource revision numbers', 'Revision numbers of '
                                'resources'),
    'standard-attr-tag': ('Tag support for resources with standard attribute',
                          'Tags on resources'),
    'standard-attr-timestamp': ('Resource timestamps', 'Creation and update times of '
                                'resources'),
    'stateful-security-group': ('Stateful security group', 'Stateless security '
                                'groups'),
    'subnet-external-network': ('Subnet External Network', 'Whether a subnet is on an '
                                'external network'),
    'subnet-service-types': ('Subnet service types', 'Subnets reserved for some '
                             'device owners'),
    'subnet_allocation': ('Subnet Allocation', 'Subnets cut from subnet pools'),
    'subnetpool-prefix-ops': ('Subnet Pool Prefix Operations', 'Adding and removing '
                              'prefixes of subnet pools'),
}

# Top-level collections, as GET /v2.0 lists them.
CORE_RESOURCES = (('network', 'networks'), ('subnet', 'subnets'),
                  ('subnetpool', 'subnetpools'), ('port', 'ports'))


def extension(alias):
    name, description = EXTENSIONS[alias]
    return {'alias': alias, 'name': name, 'description': description,
            'updated': UPDATED, 'links': []}


class Versions:

    def root(self, req):
        href = req.application_url.rstrip('/') + '/v2.0/'
        return {'versions': [{'id': 'v2.0', 'status': 'CURRENT',
                              'links': [{'rel': 'self', 'href': href}]}]}

    def v2(self, req):
        base = req.application_url.rstrip('/') + '/v2.0/'
        return {'resources': [
            {'name': name, 'collection': collection,
             'links': [{'rel': 'self', 'href': base + collection}]}
            for name, collection in CORE_RESOURCES]}

    def extensions(self, req):
        return {'extensions': [extension(a) for a in sorted(EXTENSIONS)]}

    def show_extension(self, req, alias):
        if alias not in EXTENSIONS:
            raise exc.NotFound('Extension with alias %s does not exist' % alias)
        return {'extension': extension(alias)}
