"""Default policy rules of the Networking API: Neutron's rule names, check
strings and scope types, so that a Neutron policy.yaml works unchanged.

Targets are flat, as Neutron builds them: the resource's attributes
(`project_id`, `device_owner`, ...), plus the owner of its network for ports
and subnets (`network:project_id`), of its security group for rules
(`security_group:project_id`), of its floating IP for port forwardings
(`ext_parent:project_id`), and what `field:` checks ask for (`shared`,
`router:external`). Two checks Neutron adds to oslo.policy are registered here:
`field:<collection>:<attribute>=<value>` (a value of the target, `~regex`
allowed) and `tenant_id:` (the legacy spelling of `project_id:`).

Attribute rules (`create_port:binding:host_id`, `get_port:binding:vif_type`)
are checked when a request sets the attribute, and hide an attribute the
caller may not see from what it reads.
"""
import re

from oslo_policy import policy

# Check strings most operations share.
MEMBER = '(rule:admin_only) or (role:member and project_id:%(project_id)s)'
READER = '(rule:admin_only) or (role:reader and project_id:%(project_id)s)'
ADMIN = 'rule:admin_only'
ADMIN_OR_SERVICE = '(rule:admin_only) or (rule:service_api)'
NET_OWNER = '(rule:admin_only) or (rule:service_api) or role:member and rule:network_owner'
PAIRS = '(rule:admin_only) or (role:member and rule:network_owner) or rule:service_api'
PARENT_MEMBER = '(rule:admin_only) or (role:member and rule:ext_parent_owner)'
PARENT_READER = '(rule:admin_only) or (role:reader and rule:ext_parent_owner)'
MANAGER = '(rule:admin_only) or (role:manager and project_id:%(project_id)s)'
PARENT_MANAGER = '(rule:admin_only) or (role:manager and rule:ext_parent_owner)'

BASE_RULES = (
    ('context_is_admin', 'role:admin', 'Rule for cloud admin access'),
    ('context_with_global_access', '!', 'Rule for context with global access'),
    ('service_api', 'role:service', 'Default rule for the service-to-service APIs'),
    ('owner', 'project_id:%(project_id)s', 'Rule for resource owner access'),
    ('admin_or_owner', 'rule:context_is_admin or rule:owner',
     'Rule for admin or owner access'),
    ('context_is_advsvc', 'role:advsvc', 'Rule for advsvc role access'),
    ('admin_or_network_owner',
     'rule:context_is_admin or project_id:%(network:project_id)s',
     'Rule for admin or network owner access'),
    ('admin_owner_or_network_owner', 'rule:owner or rule:admin_or_network_owner',
     'Rule for resource owner, admin or network owner access'),
    ('network_owner', 'project_id:%(network:project_id)s', 'Rule for network owner access'),
    ('admin_only', 'rule:context_is_admin', 'Rule for admin-only access'),
    ('regular_user', '', 'Rule for regular user access'),
    ('shared', 'field:networks:shared=True', 'Rule of shared network'),
    ('default', 'rule:admin_or_owner', 'Default access rule'),
    ('admin_or_ext_parent_owner',
     'rule:context_is_admin or project_id:%(ext_parent:project_id)s',
     'Rule for common parent owner check'),
    ('ext_parent_owner', 'project_id:%(ext_parent:project_id)s',
     'Rule for common parent owner check'),
    ('sg_owner', 'project_id:%(security_group:project_id)s',
     'Rule for security group owner access'),
    ('external', 'field:networks:router:external=True', 'Definition of an external network'),
    ('external_network', 'field:subnets:router:external=True',
     'Definition of a subnet of an external network'),
    ('shared_address_groups', 'field:address_groups:shared=True',
     'Definition of a shared address group'),
    ('shared_address_scopes', 'field:address_scopes:shared=True',
     'Definition of a shared address scope'),
    ('shared_security_group', 'field:security_groups:shared=True',
     'Definition of a shared security group'),
    ('shared_subnetpools', 'field:subnetpools:shared=True',
     'Definition of a shared subnet pool'),
    ('rule_default_sg', 'field:security_group_rules:belongs_to_default_sg=True',
     'Definition of a rule of a default security group'),
    ('admin_or_sg_owner', 'rule:context_is_admin or project_id:%(security_group:project_id)s',
     'Rule for admin or security group owner access'),
    ('admin_owner_or_sg_owner', 'rule:owner or rule:admin_or_sg_owner',
     'Rule for resource owner, admin or security group owner access'),
    ('network_device', 'field:port:device_owner=~^network:',
     'Definition of a port with network device_owner'),
    ('compute_device', 'field:port:device_owner=~^compute:',
     'Definition of a port with compute device_owner'),
    ('baremetal_device', 'field:port:device_owner=~^baremetal:',
     'Definition of a port with baremetal device_owner'),
    ('manila_device', 'field:port:device_owner=~^manila:',
     'Definition of a port with manila device_owner'),
    ('restrict_wildcard', '(not field:rbac_policy:target_tenant=* and '
     'not field:rbac_policy:target_project=*) or rule:admin_only',
     'Only an admin may share with every project'),
    ('admin_or_data_plane_int', 'rule:context_is_admin or role:data_plane_integrator',
     'Rule for an admin or a data plane integrator'),
    ('shared_qos_policy', 'field:policies:shared=True', 'Definition of a shared QoS policy'),
)

# Rules Neutron checks from its own code, not for one API call.
INTERNAL_RULES = (
    ('get_flavor_service_profile', READER,
     'Read the association of a flavor and a service profile (checked on its deletion)'),
    ('create_default_security_group',
     '(rule:admin_only) or (rule:service_api) or role:reader and project_id:%(project_id)s',
     "Create a project's default security group (done by the server itself)"),
)

# (collection path, ((rule, check string), ...)); the rule's verb says the
# method: create_ POST, get_ GET, update_ PUT, delete_ DELETE, others PUT
# /{id}/<action>.
OPERATIONS = (
    ('/networks', (
        ('create_network', MEMBER),
        ('create_network:shared', ADMIN),
        ('create_network:router:external', ADMIN),
        ('create_network:is_default', ADMIN),
        ('create_network:port_security_enabled', MEMBER),
        ('create_network:provider:network_type', ADMIN),
        ('create_network:provider:physical_network', ADMIN),
        ('create_network:provider:segmentation_id', ADMIN),
        ('create_network:tags', MEMBER),
        ('get_network',
         '(rule:admin_only) or (role:reader and project_id:%(project_id)s) or '
         'rule:service_api or rule:shared or rule:external or rule:context_is_advsvc'),
        ('get_network:provider:network_type', ADMIN),
        ('get_network:provider:physical_network', ADMIN),
        ('get_network:provider:segmentation_id', ADMIN),
        ('get_network:tags',
         '(rule:admin_only) or (role:reader and project_id:%(project_id)s) or '
         'rule:shared or rule:external or rule:context_is_advsvc'),
        ('update_network', MEMBER),
        ('update_network:shared', ADMIN),
        ('update_network:provider:network_type', ADMIN),
        ('update_network:provider:physical_network', ADMIN),
        ('update_network:provider:segmentation_id', ADMIN),
        ('update_network:router:external', ADMIN),
        ('update_network:is_default', ADMIN),
        ('update_network:port_security_enabled', MEMBER),
        ('update_network:tags', MEMBER),
        ('delete_network', MEMBER),
        ('delete_network:tags', MEMBER),
    )),
    ('/subnets', (
        ('create_subnet', '(rule:admin_only) or (role:member and rule:network_owner)'),
        ('create_subnet:service_types', ADMIN),
        ('create_subnet:tags',
         'role:member and project_id:%(project_id)s or (rule:admin_only) or '
         '(role:member and rule:network_owner)'),
        ('get_subnet',
         'role:reader and project_id:%(project_id)s or rule:shared or '
         'rule:external_network or (rule:admin_only) or '
         '(role:reader and rule:network_owner) or rule:service_api'),
        ('get_subnet:tags',
         'role:reader and project_id:%(project_id)s or rule:shared or '
         'rule:external_network or (rule:admin_only) or '
         '(role:reader and rule:network_owner)'),
        ('update_subnet',
         'role:member and project_id:%(project_id)s or (rule:admin_only) or '
         '(role:member and rule:network_owner)'),
        ('update_subnet:service_types', ADMIN),
        ('update_subnet:tags',
         'role:member and project_id:%(project_id)s or (rule:admin_only) or '
         '(role:member and rule:network_owner)'),
        ('delete_subnet',
         'role:member and project_id:%(project_id)s or (rule:admin_only) or '
         '(role:member and rule:network_owner)'),
        ('delete_subnet:tags',
         'role:member and project_id:%(project_id)s or (rule:admin_only) or '
         '(role:member and rule:network_owner)'),
    )),
    ('/ports', (
        ('create_port',
         '(rule:admin_only) or (rule:service_api) or '
         'role:member and rule:network_owner or rule:shared'),
        ('create_port:device_id',
         '(rule:admin_only) or (role:member and project_id:%(project_id)s) or '
         'rule:service_api'),
        ('create_port:device_owner',
         'not rule:network_device or (rule:admin_only) or (rule:service_api) or '
         'role:member and rule:network_owner'),
        ('create_port:mac_address', NET_OWNER),
        ('create_port:fixed_ips',
         '(rule:admin_only) or (rule:service_api) or '
         'role:member and rule:network_owner or rule:shared'),
        ('create_port:fixed_ips:ip_address', NET_OWNER),
        ('create_port:fixed_ips:subnet_id',
         '(rule:admin_only) or (rule:service_api) or '
         'role:member and rule:network_owner or rule:shared'),
        ('create_port:port_security_enabled', NET_OWNER),
        ('create_port:binding:host_id', ADMIN_OR_SERVICE),
        ('create_port:binding:profile', 'rule:service_api'),
        ('create_port:binding:vnic_type',
         '(rule:admin_only) or (role:member and project_id:%(project_id)s) or '
         'rule:service_api'),
        ('create_port:allowed_address_pairs', PAIRS),
        ('create_port:allowed_address_pairs:mac_address', PAIRS),
        ('create_port:allowed_address_pairs:ip_address', PAIRS),
        ('create_port:tags',
         '(rule:admin_only) or (role:member and project_id:%(project_id)s) or '
         'rule:context_is_advsvc'),
        ('get_port',
         '(rule:admin_only) or (rule:service_api) or '
         'role:reader and rule:network_owner or '
         'role:reader and project_id:%(project_id)s'),
        ('get_port:binding:vif_type', ADMIN_OR_SERVICE),
        ('get_port:binding:vif_details', ADMIN_OR_SERVICE),
        ('get_port:binding:host_id', ADMIN_OR_SERVICE),
        ('get_port:binding:profile', ADMIN_OR_SERVICE),
        ('get_port:tags',
         'rule:context_is_advsvc or (rule:admin_only) or '
         '(role:reader and rule:network_owner) or '
         'role:reader and project_id:%(project_id)s'),
        ('update_port',
         '(rule:admin_only) or (rule:service_api) or '
         'role:member and project_id:%(project_id)s'),
        ('update_port:device_id',
         '(rule:admin_only) or (role:member and project_id:%(project_id)s) or '
         'rule:service_api'),
        ('update_port:device_owner',
         'not rule:network_device or (rule:admin_only) or (rule:service_api) or '
         'role:member and rule:network_owner'),
        ('update_port:mac_address',
         '(rule:admin_only) or (rule:service_api) or role:manager and rule:network_owner'),
        ('update_port:fixed_ips', NET_OWNER),
        ('update_port:fixed_ips:ip_address', NET_OWNER),
        ('update_port:fixed_ips:subnet_id',
         '(rule:admin_only) or (rule:service_api) or '
         'role:member and rule:network_owner or rule:shared'),
        ('update_port:port_security_enabled', NET_OWNER),
        ('update_port:binding:host_id', ADMIN_OR_SERVICE),
        ('update_port:binding:profile', 'rule:service_api'),
        ('update_port:binding:vnic_type',
         '(rule:admin_only) or (rule:service_api) or '
         'role:member and project_id:%(project_id)s'),
        ('update_port:allowed_address_pairs', PAIRS),
        ('update_port:allowed_address_pairs:mac_address', PAIRS),
        ('update_port:allowed_address_pairs:ip_address', PAIRS),
        ('update_port:tags',
         '(rule:admin_only) or (role:member and project_id:%(project_id)s) or '
         'rule:context_is_advsvc'),
        ('delete_port',
         '(rule:admin_only) or (rule:service_api) or '
         '(service_roles:service and (role:member and rule:network_owner or '
         'role:member and project_id:%(project_id)s)) or '
         '(not rule:compute_device and not rule:baremetal_device and '
         'not rule:manila_device and (role:member and rule:network_owner or '
         'role:member and project_id:%(project_id)s))'),
        ('delete_port:tags',
         'rule:context_is_advsvc or role:member and project_id:%(project_id)s or '
         '(rule:admin_only) or (role:member and rule:network_owner)'),
    )),
    ('/subnetpools', (
        ('create_subnetpool', MEMBER),
        ('create_subnetpool:shared', ADMIN),
        ('create_subnetpool:is_default', ADMIN),
        ('create_subnetpool:tags', MEMBER),
        ('get_subnetpool',
         '(rule:admin_only) or (role:reader and project_id:%(project_id)s) or '
         'rule:shared_subnetpools'),
        ('get_subnetpool:tags',
         '(rule:admin_only) or (role:reader and project_id:%(project_id)s) or '
         'rule:shared_subnetpools'),
        ('update_subnetpool', MEMBER),
        ('update_subnetpool:is_default', ADMIN),
        ('update_subnetpool:tags', MEMBER),
        ('delete_subnetpool', MEMBER),
        ('delete_subnetpool:tags', MEMBER),
        ('add_prefixes', MEMBER),
        ('remove_prefixes', MEMBER),
    )),
    ('/address-scopes', (
        ('create_address_scope', MEMBER),
        ('create_address_scope:shared', ADMIN),
        ('get_address_scope',
         'rule:admin_only or role:reader and project_id:%(project_id)s or '
         'rule:shared_address_scopes'),
        ('update_address_scope', MEMBER),
        ('update_address_scope:shared', ADMIN),
        ('delete_address_scope', MEMBER),
    )),
    ('/routers', (
        ('create_router', MEMBER),
        ('create_router:external_gateway_info', MEMBER),
        ('create_router:external_gateway_info:network_id', MEMBER),
        ('create_router:external_gateway_info:enable_snat', ADMIN),
        ('create_router:external_gateway_info:external_fixed_ips', ADMIN),
        ('create_router:tags', MEMBER),
        ('get_router', READER),
        ('get_router:tags', READER),
        ('update_router', MEMBER),
        ('update_router:external_gateway_info', MEMBER),
        ('update_router:external_gateway_info:network_id', MEMBER),
        ('update_router:external_gateway_info:enable_snat', ADMIN),
        ('update_router:external_gateway_info:external_fixed_ips', ADMIN),
        ('update_router:tags', MEMBER),
        ('delete_router', MEMBER),
        ('delete_router:tags', MEMBER),
        ('add_router_interface', MEMBER),
        ('remove_router_interface', MEMBER),
        ('add_extraroutes', MEMBER),
        ('remove_extraroutes', MEMBER),
    )),
    ('/floatingips', (
        ('create_floatingip', MEMBER),
        ('create_floatingip:floating_ip_address',
         '(rule:admin_only) or (role:manager and project_id:%(project_id)s)'),
        ('create_floatingip:router_id', MEMBER),
        ('create_floatingip:tags', MEMBER),
        ('get_floatingip', READER),
        ('get_floatingip:tags', READER),
        ('update_floatingip', MEMBER),
        ('update_floatingip:router_id', MEMBER),
        ('update_floatingip:tags', MEMBER),
        ('delete_floatingip', MEMBER),
        ('delete_floatingip:tags', MEMBER),
    )),
    ('/floatingips/{floatingip_id}/port_forwardings', (
        ('create_floatingip_port_forwarding',
         '(rule:admin_only) or (role:member and rule:ext_parent_owner)'),
        ('get_floatingip_port_forwarding',
         '(rule:admin_only) or (role:reader and rule:ext_parent_owner)'),
        ('update_floatingip_port_forwarding',
         '(rule:admin_only) or (role:member and rule:ext_parent_owner)'),
        ('delete_floatingip_port_forwarding',
         '(rule:admin_only) or (role:member and rule:ext_parent_owner)'),
    )),
    ('/floatingip_pools', (
        ('get_floatingip_pool', READER),
    )),
    ('/security-groups', (
        ('create_security_group', MEMBER),
        ('create_security_group:tags', MEMBER),
        ('get_security_group',
         '(rule:admin_only) or (role:reader and project_id:%(project_id)s) or '
         'rule:shared_security_group'),
        ('get_security_group:tags',
         '(rule:admin_only) or (role:reader and project_id:%(project_id)s) or '
         'rule:shared_security_group'),
        ('update_security_group', MEMBER),
        ('update_security_group:tags', MEMBER),
        ('delete_security_group', MEMBER),
        ('delete_security_group:tags', MEMBER),
    )),
    ('/security-group-rules', (
        ('create_security_group_rule', '(rule:admin_only) or (role:member and rule:sg_owner)'),
        ('get_security_group_rule', '(rule:admin_only) or (role:reader and rule:sg_owner)'),
        ('delete_security_group_rule', '(rule:admin_only) or (role:member and rule:sg_owner)'),
    )),
    ('/address-groups', (
        ('create_address_group', MEMBER),
        ('get_address_group',
         '(rule:admin_only) or (role:reader and project_id:%(project_id)s) or '
         'rule:shared_address_groups'),
        ('update_address_group', MEMBER),
        ('delete_address_group', MEMBER),
        ('add_addresses', MEMBER),
        ('remove_addresses', MEMBER),
    )),
    ('/rbac-policies', (
        ('create_rbac_policy', MEMBER),
        ('create_rbac_policy:target_tenant',
         'rule:admin_only or '
         '(not field:rbac_policy:target_tenant=* and not field:rbac_policy:target_project=*)'),
        ('create_rbac_policy:target_project',
         'rule:admin_only or not field:rbac_policy:target_project=*'),
        ('update_rbac_policy', MEMBER),
        ('update_rbac_policy:target_tenant',
         'rule:admin_only or '
         '(not field:rbac_policy:target_tenant=* and not field:rbac_policy:target_project=*)'),
        ('update_rbac_policy:target_project',
         'rule:admin_only or not field:rbac_policy:target_project=*'),
        ('get_rbac_policy', READER),
        ('delete_rbac_policy', MEMBER),
    )),
    ('/quotas', (
        ('get_quota', '(rule:admin_only) or (role:manager and project_id:%(project_id)s)'),
        ('update_quota', ADMIN),
        ('delete_quota', ADMIN),
    )),
    ('/agents', (
        ('get_agent', ADMIN),
        ('update_agent', ADMIN),
        ('delete_agent', ADMIN),
        ('create_dhcp-network', ADMIN),
        ('get_dhcp-networks', ADMIN),
        ('delete_dhcp-network', ADMIN),
        ('create_l3-router', ADMIN),
        ('get_l3-routers', ADMIN),
        ('delete_l3-router', ADMIN),
        ('get_dhcp-agents', ADMIN),
        ('get_l3-agents', ADMIN),
    )),
    ('/availability_zones', (
        ('get_availability_zone', 'role:reader'),
    )),
    ('/network-ip-availabilities', (
        ('get_network_ip_availability', ADMIN_OR_SERVICE),
    )),
    ('/service-providers', (
        ('get_service_provider', 'role:reader'),
    )),
)

# Rules of Neutron's other extensions and attributes, with their calls
# ("METHOD path; ..."), so that the policy sample and policy.yaml are
# Neutron's whole.
MORE_OPERATIONS = (
    ('create_agent', ADMIN,
     'POST /agents'),
    ('update_l3-router', ADMIN,
     'PUT /agents/{agent_id}/l3-routers/{router_id}'),
    ('get_auto_allocated_topology', READER,
     'GET /auto-allocated-topology/{project_id}'),
    ('delete_auto_allocated_topology', MEMBER,
     'DELETE /auto-allocated-topology/{project_id}'),
    ('create_default_security_group_rule', ADMIN,
     'POST /default-security-group-rules'),
    ('get_default_security_group_rule', 'role:reader',
     'GET /default-security-group-rules; GET /default-security-group-rules/{id}'),
    ('delete_default_security_group_rule', ADMIN,
     'DELETE /default-security-group-rules/{id}'),
    ('create_router:evpn_vni', ADMIN,
     'POST /routers'),
    ('get_router:evpn_vni', READER,
     'GET /routers; GET /routers/{id}'),
    ('create_flavor', ADMIN,
     'POST /flavors'),
    ('get_flavor', 'role:reader',
     'GET /flavors; GET /flavors/{id}'),
    ('update_flavor', ADMIN,
     'PUT /flavors/{id}'),
    ('delete_flavor', ADMIN,
     'DELETE /flavors/{id}'),
    ('create_service_profile', ADMIN,
     'POST /service_profiles'),
    ('get_service_profile', ADMIN,
     'GET /service_profiles; GET /service_profiles/{id}'),
    ('update_service_profile', ADMIN,
     'PUT /service_profiles/{id}'),
    ('delete_service_profile', ADMIN,
     'DELETE /service_profiles/{id}'),
    ('create_flavor_service_profile', ADMIN,
     'POST /flavors/{flavor_id}/service_profiles'),
    ('delete_flavor_service_profile', ADMIN,
     'DELETE /flavors/{flavor_id}/service_profiles/{profile_id}'),
    ('create_router_conntrack_helper', PARENT_MEMBER,
     'POST /routers/{router_id}/conntrack_helpers'),
    ('get_router_conntrack_helper', PARENT_READER,
     'GET /routers/{router_id}/conntrack_helpers;'
     'GET /routers/{router_id}/conntrack_helpers/{conntrack_helper_id}'),
    ('update_router_conntrack_helper', PARENT_MEMBER,
     'PUT /routers/{router_id}/conntrack_helpers/{conntrack_helper_id}'),
    ('delete_router_conntrack_helper', PARENT_MEMBER,
     'DELETE /routers/{router_id}/conntrack_helpers/{conntrack_helper_id}'),
    ('create_local_ip', MEMBER,
     'POST /local-ips'),
    ('get_local_ip', READER,
     'GET /local-ips; GET /local-ips/{id}'),
    ('update_local_ip', MEMBER,
     'PUT /local-ips/{id}'),
    ('delete_local_ip', MEMBER,
     'DELETE /local-ips/{id}'),
    ('create_local_ip_port_association', PARENT_MEMBER,
     'POST /local_ips/{local_ip_id}/port_associations'),
    ('get_local_ip_port_association', PARENT_READER,
     'GET /local_ips/{local_ip_id}/port_associations;'
     'GET /local_ips/{local_ip_id}/port_associations/{fixed_port_id}'),
    ('delete_local_ip_port_association', PARENT_MEMBER,
     'DELETE /local_ips/{local_ip_id}/port_associations/{fixed_port_id}'),
    ('get_loggable_resource', MANAGER,
     'GET /log/loggable-resources'),
    ('create_log', MANAGER,
     'POST /log/logs'),
    ('get_log', MANAGER,
     'GET /log/logs; GET /log/logs/{id}'),
    ('update_log', MANAGER,
     'PUT /log/logs/{id}'),
    ('delete_log', MANAGER,
     'DELETE /log/logs/{id}'),
    ('create_metering_label', MANAGER,
     'POST /metering/metering-labels'),
    ('get_metering_label', READER,
     'GET /metering/metering-labels; GET /metering/metering-labels/{id}'),
    ('delete_metering_label', MANAGER,
     'DELETE /metering/metering-labels/{id}'),
    ('create_metering_label_rule', MANAGER,
     'POST /metering/metering-label-rules'),
    ('get_metering_label_rule', READER,
     'GET /metering/metering-label-rules; GET /metering/metering-label-rules/{id}'),
    ('delete_metering_label_rule', MANAGER,
     'DELETE /metering/metering-label-rules/{id}'),
    ('create_ndp_proxy', MEMBER,
     'POST /ndp_proxies'),
    ('get_ndp_proxy', READER,
     'GET /ndp_proxies; GET /ndp_proxies/{id}'),
    ('update_ndp_proxy', MEMBER,
     'PUT /ndp_proxies/{id}'),
    ('delete_ndp_proxy', MEMBER,
     'DELETE /ndp_proxies/{id}'),
    ('create_network:segments', ADMIN,
     'POST /networks'),
    ('get_network:segments', ADMIN,
     'GET /networks; GET /networks/{id}'),
    ('update_network:segments', ADMIN,
     'PUT /networks/{id}'),
    ('create_network_segment_range', ADMIN,
     'POST /network_segment_ranges'),
    ('create_network_segment_range:tags', ADMIN,
     'POST /network_segment_ranges/{id}/tags'),
    ('get_network_segment_range', ADMIN,
     'GET /network_segment_ranges; GET /network_segment_ranges/{id}'),
    ('get_network_segment_range:tags', ADMIN,
     'GET /network_segment_ranges/{id}/tags; GET /network_segment_ranges/{id}/tags/{tag_id}'),
    ('update_network_segment_range', ADMIN,
     'PUT /network_segment_ranges/{id}'),
    ('update_network_segment_range:tags', ADMIN,
     'PUT /network_segment_ranges/{id}/tags; PUT /network_segment_ranges/{id}/tags/{tag_id}'),
    ('delete_network_segment_range', ADMIN,
     'DELETE /network_segment_ranges/{id}'),
    ('delete_network_segment_range:tags', ADMIN,
     'DELETE /network_segment_ranges/{id}/tags;'
     ' DELETE /network_segment_ranges/{id}/tags/{tag_id}'),
    ('get_port_binding', ADMIN_OR_SERVICE,
     'GET /ports/{port_id}/bindings'),
    ('create_port_binding', 'rule:service_api',
     'POST /ports/{port_id}/bindings'),
    ('delete_port_binding', 'rule:service_api',
     'DELETE /ports/{port_id}/bindings/{host}'),
    ('activate', 'rule:service_api',
     'PUT /ports/{port_id}/bindings/{host}/activate'),
    ('create_port:hints', ADMIN,
     'POST /ports'),
    ('create_port:trusted', ADMIN,
     'POST /ports'),
    ('get_port:resource_request', ADMIN,
     'GET /ports; GET /ports/{id}'),
    ('get_port:hints', ADMIN,
     'GET /ports; GET /ports/{id}'),
    ('get_port:trusted', ADMIN,
     'GET /ports; GET /ports/{id}'),
    ('update_port:data_plane_status', 'rule:admin_only or role:data_plane_integrator',
     'PUT /ports/{id}'),
    ('update_port:hints', ADMIN,
     'PUT /ports/{id}'),
    ('update_port:trusted', ADMIN,
     'PUT /ports/{id}'),
    ('create_port:pvlan_type', MEMBER,
     'POST /ports'),
    ('create_port:pvlan_community', MEMBER,
     'POST /ports'),
    ('update_port:pvlan_type', MEMBER,
     'PUT /ports/{id}'),
    ('update_port:pvlan_community', MEMBER,
     'PUT /ports/{id}'),
    ('get_port:pvlan_type', READER,
     'GET /ports; GET /ports/{id}'),
    ('get_port:pvlan_community', READER,
     'GET /ports; GET /ports/{id}'),
    ('create_network:pvlan', MEMBER,
     'POST /networks'),
    ('update_network:pvlan', MEMBER,
     'PUT /networks/{id}'),
    ('get_network:pvlan', READER,
     'GET /networks; GET /networks/{id}'),
    ('get_policy', READER + ' or rule:shared_qos_policy',
     'GET /qos/policies; GET /qos/policies/{id}'),
    ('get_policy:tags', READER + ' or rule:shared_qos_policy',
     'GET /qos/policies/{id}/tags; GET /qos/policies/{id}/tags/{tag_id}'),
    ('create_policy', MANAGER,
     'POST /qos/policies'),
    ('create_policy:tags', MANAGER,
     'POST /qos/policies/{id}/tags'),
    ('update_policy', MANAGER,
     'PUT /qos/policies/{id}'),
    ('update_policy:tags', MANAGER,
     'PUT /qos/policies/{id}/tags; PUT /qos/policies/{id}/tags/{tag_id}'),
    ('delete_policy', MANAGER,
     'DELETE /qos/policies/{id}'),
    ('delete_policy:tags', MANAGER,
     'DELETE /qos/policies/{id}/tags; DELETE /qos/policies/{id}/tags/{tag_id}'),
    ('get_rule_type', 'role:reader',
     'GET /qos/rule-types; GET /qos/rule-types/{rule_type}'),
    ('get_policy_bandwidth_limit_rule', PARENT_READER,
     'GET /qos/policies/{policy_id}/bandwidth_limit_rules;'
     'GET /qos/policies/{policy_id}/bandwidth_limit_rules/{rule_id}'),
    ('create_policy_bandwidth_limit_rule', PARENT_MANAGER,
     'POST /qos/policies/{policy_id}/bandwidth_limit_rules'),
    ('update_policy_bandwidth_limit_rule', PARENT_MANAGER,
     'PUT /qos/policies/{policy_id}/bandwidth_limit_rules/{rule_id}'),
    ('delete_policy_bandwidth_limit_rule', PARENT_MANAGER,
     'DELETE /qos/policies/{policy_id}/bandwidth_limit_rules/{rule_id}'),
    ('get_policy_packet_rate_limit_rule', PARENT_READER,
     'GET /qos/policies/{policy_id}/packet_rate_limit_rules;'
     'GET /qos/policies/{policy_id}/packet_rate_limit_rules/{rule_id}'),
    ('create_policy_packet_rate_limit_rule', PARENT_MANAGER,
     'POST /qos/policies/{policy_id}/packet_rate_limit_rules'),
    ('update_policy_packet_rate_limit_rule', PARENT_MANAGER,
     'PUT /qos/policies/{policy_id}/packet_rate_limit_rules/{rule_id}'),
    ('delete_policy_packet_rate_limit_rule', PARENT_MANAGER,
     'DELETE /qos/policies/{policy_id}/packet_rate_limit_rules/{rule_id}'),
    ('get_policy_dscp_marking_rule', PARENT_READER,
     'GET /qos/policies/{policy_id}/dscp_marking_rules;'
     'GET /qos/policies/{policy_id}/dscp_marking_rules/{rule_id}'),
    ('create_policy_dscp_marking_rule', PARENT_MANAGER,
     'POST /qos/policies/{policy_id}/dscp_marking_rules'),
    ('update_policy_dscp_marking_rule', PARENT_MANAGER,
     'PUT /qos/policies/{policy_id}/dscp_marking_rules/{rule_id}'),
    ('delete_policy_dscp_marking_rule', PARENT_MANAGER,
     'DELETE /qos/policies/{policy_id}/dscp_marking_rules/{rule_id}'),
    ('get_policy_minimum_bandwidth_rule', PARENT_READER,
     'GET /qos/policies/{policy_id}/minimum_bandwidth_rules;'
     'GET /qos/policies/{policy_id}/minimum_bandwidth_rules/{rule_id}'),
    ('create_policy_minimum_bandwidth_rule', PARENT_MANAGER,
     'POST /qos/policies/{policy_id}/minimum_bandwidth_rules'),
    ('update_policy_minimum_bandwidth_rule', PARENT_MANAGER,
     'PUT /qos/policies/{policy_id}/minimum_bandwidth_rules/{rule_id}'),
    ('delete_policy_minimum_bandwidth_rule', PARENT_MANAGER,
     'DELETE /qos/policies/{policy_id}/minimum_bandwidth_rules/{rule_id}'),
    ('get_policy_minimum_packet_rate_rule', PARENT_READER,
     'GET /qos/policies/{policy_id}/minimum_packet_rate_rules;'
     'GET /qos/policies/{policy_id}/minimum_packet_rate_rules/{rule_id}'),
    ('create_policy_minimum_packet_rate_rule', PARENT_MANAGER,
     'POST /qos/policies/{policy_id}/minimum_packet_rate_rules'),
    ('update_policy_minimum_packet_rate_rule', PARENT_MANAGER,
     'PUT /qos/policies/{policy_id}/minimum_packet_rate_rules/{rule_id}'),
    ('delete_policy_minimum_packet_rate_rule', PARENT_MANAGER,
     'DELETE /qos/policies/{policy_id}/minimum_packet_rate_rules/{rule_id}'),
    ('get_alias_bandwidth_limit_rule', PARENT_READER,
     'GET /qos/alias_bandwidth_limit_rules/{rule_id}/'),
    ('update_alias_bandwidth_limit_rule', PARENT_MANAGER,
     'PUT /qos/alias_bandwidth_limit_rules/{rule_id}/'),
    ('delete_alias_bandwidth_limit_rule', PARENT_MANAGER,
     'DELETE /qos/alias_bandwidth_limit_rules/{rule_id}/'),
    ('get_alias_dscp_marking_rule', PARENT_READER,
     'GET /qos/alias_dscp_marking_rules/{rule_id}/'),
    ('update_alias_dscp_marking_rule', PARENT_MANAGER,
     'PUT /qos/alias_dscp_marking_rules/{rule_id}/'),
    ('delete_alias_dscp_marking_rule', PARENT_MANAGER,
     'DELETE /qos/alias_dscp_marking_rules/{rule_id}/'),
    ('get_alias_minimum_bandwidth_rule', PARENT_READER,
     'GET /qos/alias_minimum_bandwidth_rules/{rule_id}/'),
    ('update_alias_minimum_bandwidth_rule', PARENT_MANAGER,
     'PUT /qos/alias_minimum_bandwidth_rules/{rule_id}/'),
    ('delete_alias_minimum_bandwidth_rule', PARENT_MANAGER,
     'DELETE /qos/alias_minimum_bandwidth_rules/{rule_id}/'),
    ('get_alias_minimum_packet_rate_rule', 'rule:get_policy_minimum_packet_rate_rule',
     'GET /qos/alias_minimum_packet_rate_rules/{rule_id}/'),
    ('update_alias_minimum_packet_rate_rule', 'rule:update_policy_minimum_packet_rate_rule',
     'PUT /qos/alias_minimum_packet_rate_rules/{rule_id}/'),
    ('delete_alias_minimum_packet_rate_rule', 'rule:delete_policy_minimum_packet_rate_rule',
     'DELETE /qos/alias_minimum_packet_rate_rules/{rule_id}/'),
    ('create_router:distributed', ADMIN,
     'POST /routers'),
    ('create_router:ha', ADMIN,
     'POST /routers'),
    ('create_router:enable_default_route_bfd', ADMIN,
     'POST /routers'),
    ('create_router:enable_default_route_ecmp', ADMIN,
     'POST /routers'),
    ('get_router:distributed', ADMIN,
     'GET /routers; GET /routers/{id}'),
    ('get_router:ha', ADMIN,
     'GET /routers; GET /routers/{id}'),
    ('update_router:distributed', ADMIN,
     'PUT /routers/{id}'),
    ('update_router:ha', ADMIN,
     'PUT /routers/{id}'),
    ('update_router:enable_default_route_bfd', ADMIN,
     'PUT /routers/{id}'),
    ('update_router:enable_default_route_ecmp', ADMIN,
     'PUT /routers/{id}'),
    ('add_external_gateways', MEMBER,
     'PUT /routers/{id}/add_external_gateways'),
    ('add_external_gateways:external_gateways', MEMBER,
     'PUT /routers/{id}/add_external_gateways'),
    ('add_external_gateways:external_gateways:network_id', MEMBER,
     'PUT /routers/{id}/add_external_gateways'),
    ('add_external_gateways:external_gateways:enable_snat', ADMIN,
     'PUT /routers/{id}/add_external_gateways'),
    ('add_external_gateways:external_gateways:external_fixed_ips', ADMIN,
     'PUT /routers/{id}/add_external_gateways'),
    ('update_external_gateways', MEMBER,
     'PUT /routers/{id}/update_external_gateways'),
    ('update_external_gateways:external_gateways', MEMBER,
     'PUT /routers/{id}/update_external_gateways'),
    ('update_external_gateways:external_gateways:network_id', MEMBER,
     'PUT /routers/{id}/update_external_gateways'),
    ('update_external_gateways:external_gateways:enable_snat', ADMIN,
     'PUT /routers/{id}/update_external_gateways'),
    ('update_external_gateways:external_gateways:external_fixed_ips', ADMIN,
     'PUT /routers/{id}/update_external_gateways'),
    ('remove_external_gateways', MEMBER,
     'PUT /routers/{id}/remove_external_gateways'),
    ('remove_external_gateways:external_gateways', MEMBER,
     'PUT /routers/{id}/remove_external_gateways'),
    ('create_security_groups_default_statefulness', MANAGER,
     'POST /security-groups-default-statefulness'),
    ('get_security_groups_default_statefulness', READER,
     'GET /security-groups-default-statefulness; GET /security-groups-default-statefulness/{id}'),
    ('update_security_groups_default_statefulness', MANAGER,
     'PUT /security-groups-default-statefulness/{id}'),
    ('delete_security_groups_default_statefulness', MANAGER,
     'DELETE /security-groups-default-statefulness/{id}'),
    ('create_segment', ADMIN,
     'POST /segments'),
    ('create_segments_tags', ADMIN,
     'POST /segments/{id}/tags'),
    ('get_segment', ADMIN,
     'GET /segments; GET /segments/{id}'),
    ('get_segments_tags', ADMIN,
     'GET /segments/{id}/tags; GET /segments/{id}/tags/{tag_id}'),
    ('update_segment', ADMIN,
     'PUT /segments/{id}'),
    ('update_segments_tags', ADMIN,
     'PUT /segments/{id}/tags; PUT /segments/{id}/tags/{tag_id}'),
    ('delete_segment', ADMIN,
     'DELETE /segments/{id}'),
    ('delete_segments_tags', ADMIN,
     'DELETE /segments/{id}/tags; DELETE /segments/{id}/tags/{tag_id}'),
    ('create_subnet:segment_id', ADMIN,
     'POST /subnets'),
    ('get_subnet:segment_id', ADMIN,
     'GET /subnets; GET /subnets/{id}'),
    ('update_subnet:segment_id', ADMIN,
     'PUT /subnets/{id}'),
    ('update_subnet:leak_routes', ADMIN,
     'PUT /subnets/{id}'),
    ('onboard_network_subnets', MEMBER,
     'PUT /subnetpools/{id}/onboard_network_subnets'),
    ('create_trunk', MEMBER,
     'POST /trunks'),
    ('create_trunk:tags', MEMBER,
     'POST /trunks/{id}/tags'),
    ('get_trunk', READER,
     'GET /trunks; GET /trunks/{id}'),
    ('get_trunk:tags', READER,
     'GET /trunks/{id}/tags; GET /trunks/{id}/tags/{tag_id}'),
    ('update_trunk', MEMBER,
     'PUT /trunks/{id}'),
    ('update_trunk:tags', MEMBER,
     'PUT /trunks/{id}/tags; PUT /trunks/{id}/tags/{tag_id}'),
    ('delete_trunk', MEMBER,
     'DELETE /trunks/{id}'),
    ('delete_trunk:tags', MEMBER,
     'DELETE /trunks/{id}/tags; DELETE /trunks/{id}/tags/{tag_id}'),
    ('get_subports', READER,
     'GET /trunks/{id}/get_subports'),
    ('add_subports', MEMBER,
     'PUT /trunks/{id}/add_subports'),
    ('remove_subports', MEMBER,
     'PUT /trunks/{id}/remove_subports'),
)

# Neutron's deprecated check strings, OR-ed with the defaults while
# [oslo_policy] enforce_new_defaults is off: {old check string: rules}.
DEPRECATED = {
    'rule:regular_user': """
        create_address_group create_address_scope get_availability_zone
        get_default_security_group_rule get_flavor get_flavor_service_profile
        create_floatingip get_floatingip_pool create_local_ip create_ndp_proxy
        create_network create_network:port_security_enabled create_port
        create_port:device_id create_port:binding:vnic_type update_port:device_id
        get_policy get_rule_type get_policy_bandwidth_limit_rule
        get_policy_dscp_marking_rule get_policy_minimum_bandwidth_rule
        get_alias_bandwidth_limit_rule get_alias_dscp_marking_rule
        get_alias_minimum_bandwidth_rule create_rbac_policy create_router
        get_security_group get_service_provider create_subnetpool create_trunk
        get_subports""".split(),
    'rule:admin_or_owner or rule:shared_address_groups': """
        get_address_group""".split(),
    'rule:admin_or_owner': """
        update_address_group delete_address_group add_addresses remove_addresses
        update_address_scope delete_address_scope get_auto_allocated_topology
        delete_auto_allocated_topology get_floatingip update_floatingip
        delete_floatingip get_local_ip update_local_ip delete_local_ip get_ndp_proxy
        update_ndp_proxy delete_ndp_proxy update_network
        update_network:port_security_enabled delete_network update_rbac_policy
        get_rbac_policy delete_rbac_policy create_router:external_gateway_info
        create_router:external_gateway_info:network_id get_router update_router
        update_router:external_gateway_info
        update_router:external_gateway_info:network_id delete_router
        add_router_interface remove_router_interface add_extraroutes remove_extraroutes
        create_security_group update_security_group delete_security_group
        create_security_group_rule delete_security_group_rule update_subnetpool
        delete_subnetpool onboard_network_subnets add_prefixes remove_prefixes get_trunk
        update_trunk delete_trunk add_subports remove_subports""".split(),
    'rule:admin_only': """
        create_address_scope:shared update_address_scope:shared get_agent update_agent
        delete_agent create_dhcp-network get_dhcp-networks delete_dhcp-network
        create_l3-router get_l3-routers update_l3-router delete_l3-router get_dhcp-agents
        get_l3-agents create_default_security_group_rule
        delete_default_security_group_rule create_flavor update_flavor delete_flavor
        create_service_profile get_service_profile update_service_profile
        delete_service_profile create_flavor_service_profile
        delete_flavor_service_profile create_floatingip:floating_ip_address
        get_loggable_resource create_log get_log update_log delete_log
        create_metering_label get_metering_label delete_metering_label
        create_metering_label_rule get_metering_label_rule delete_metering_label_rule
        create_network:shared create_network:router:external create_network:is_default
        create_network:segments create_network:provider:network_type
        create_network:provider:physical_network create_network:provider:segmentation_id
        get_network:segments get_network:provider:network_type
        get_network:provider:physical_network get_network:provider:segmentation_id
        update_network:segments update_network:shared
        update_network:provider:network_type update_network:provider:physical_network
        update_network:provider:segmentation_id update_network:router:external
        update_network:is_default get_network_ip_availability
        create_network_segment_range create_network_segment_range:tags
        get_network_segment_range get_network_segment_range:tags
        update_network_segment_range update_network_segment_range:tags
        delete_network_segment_range delete_network_segment_range:tags
        create_port:binding:host_id create_port:binding:profile
        get_port:binding:vif_type get_port:binding:vif_details get_port:binding:host_id
        get_port:binding:profile get_port:resource_request update_port:binding:host_id
        update_port:binding:profile create_policy update_policy delete_policy
        create_policy_bandwidth_limit_rule update_policy_bandwidth_limit_rule
        delete_policy_bandwidth_limit_rule create_policy_dscp_marking_rule
        update_policy_dscp_marking_rule delete_policy_dscp_marking_rule
        create_policy_minimum_bandwidth_rule update_policy_minimum_bandwidth_rule
        delete_policy_minimum_bandwidth_rule update_alias_bandwidth_limit_rule
        delete_alias_bandwidth_limit_rule update_alias_dscp_marking_rule
        delete_alias_dscp_marking_rule update_alias_minimum_bandwidth_rule
        delete_alias_minimum_bandwidth_rule get_quota update_quota delete_quota
        create_router:distributed create_router:ha
        create_router:external_gateway_info:enable_snat
        create_router:external_gateway_info:external_fixed_ips get_router:distributed
        get_router:ha update_router:distributed update_router:ha
        update_router:external_gateway_info:enable_snat
        update_router:external_gateway_info:external_fixed_ips create_segment
        get_segment update_segment delete_segment create_subnet:segment_id
        create_subnet:service_types get_subnet:segment_id update_subnet:segment_id
        update_subnet:service_types create_subnetpool:shared
        create_subnetpool:is_default update_subnetpool:is_default""".split(),
    'rule:admin_or_owner or rule:shared_address_scopes': """
        get_address_scope""".split(),
    '(rule:admin_only) or (role:member and project_id:%(project_id)s)': """
        create_floatingip:tags update_floatingip:tags delete_floatingip:tags
        create_network:tags update_network:tags delete_network:tags
        create_security_group:tags update_security_group:tags delete_security_group:tags
        create_subnetpool:tags update_subnetpool:tags delete_subnetpool:tags
        create_trunk:tags update_trunk:tags delete_trunk:tags""".split(),
    '(rule:admin_only) or (role:reader and project_id:%(project_id)s)': """
        get_floatingip:tags get_network:tags get_router:tags get_trunk:tags""".split(),
    'rule:admin_or_ext_parent_owner': """
        create_floatingip_port_forwarding get_floatingip_port_forwarding
        update_floatingip_port_forwarding delete_floatingip_port_forwarding
        create_router_conntrack_helper get_router_conntrack_helper
        update_router_conntrack_helper delete_router_conntrack_helper
        create_local_ip_port_association get_local_ip_port_association
        delete_local_ip_port_association""".split(),
    'rule:admin_or_owner or rule:shared or rule:external or rule:context_is_advsvc': """
        get_network""".split(),
    'not rule:network_device or rule:context_is_advsvc or rule:admin_or_network_owner': """
        create_port:device_owner update_port:device_owner""".split(),
    'rule:context_is_advsvc or rule:admin_or_network_owner': """
        create_port:mac_address create_port:fixed_ips:ip_address
        create_port:port_security_enabled update_port:fixed_ips
        update_port:fixed_ips:ip_address update_port:port_security_enabled""".split(),
    'rule:context_is_advsvc or rule:admin_or_network_owner or rule:shared': """
        create_port:fixed_ips create_port:fixed_ips:subnet_id
        update_port:fixed_ips:subnet_id""".split(),
    'rule:admin_or_network_owner': """
        create_port:allowed_address_pairs create_port:allowed_address_pairs:mac_address
        create_port:allowed_address_pairs:ip_address update_port:allowed_address_pairs
        update_port:allowed_address_pairs:mac_address
        update_port:allowed_address_pairs:ip_address create_subnet update_subnet
        delete_subnet""".split(),
    ('(rule:admin_only) or (role:member and project_id:%(project_id)s) or '
     'rule:context_is_advsvc'): """
        create_port:tags update_port:tags""".split(),
    'rule:context_is_advsvc or rule:admin_owner_or_network_owner': """
        get_port delete_port""".split(),
    ('rule:context_is_advsvc or (rule:admin_only) or (role:reader and '
     'rule:network_owner) or role:reader and project_id:%(project_id)s'): """
        get_port:tags""".split(),
    'rule:admin_or_owner or rule:context_is_advsvc': """
        update_port update_port:binding:vnic_type""".split(),
    'rule:admin_only or rule:context_is_advsvc': """
        update_port:mac_address""".split(),
    'rule:admin_or_data_plane_int': """
        update_port:data_plane_status""".split(),
    ('rule:context_is_advsvc or role:member and project_id:%(project_id)s or '
     '(rule:admin_only) or (role:member and rule:network_owner)'): """
        delete_port:tags""".split(),
    ('(rule:admin_only) or (role:reader and project_id:%(project_id)s) or '
     'rule:shared_qos_policy'): """
        get_policy:tags""".split(),
    '(rule:admin_only) or (role:manager and project_id:%(project_id)s)': """
        create_policy:tags update_policy:tags delete_policy:tags create_router:tags
        update_router:tags delete_router:tags""".split(),
    'rule:restrict_wildcard': """
        create_rbac_policy:target_tenant""".split(),
    'rule:restrict_wildcard and rule:admin_or_owner': """
        update_rbac_policy:target_tenant""".split(),
    ('(rule:admin_only) or (role:reader and project_id:%(project_id)s) or '
     'rule:shared_security_group'): """
        get_security_group:tags""".split(),
    'rule:admin_owner_or_sg_owner': """
        get_security_group_rule""".split(),
    ('role:member and project_id:%(project_id)s or (rule:admin_only) or (role:member '
     'and rule:network_owner)'): """
        create_subnet:tags update_subnet:tags delete_subnet:tags""".split(),
    'rule:shared or rule:external_network or rule:admin_or_owner': """
        get_subnet""".split(),
    ('role:reader and project_id:%(project_id)s or rule:shared or '
     'rule:external_network or (rule:admin_only) or (role:reader and '
     'rule:network_owner)'): """
        get_subnet:tags""".split(),
    'rule:admin_or_owner or rule:shared_subnetpools': """
        get_subnetpool""".split(),
    ('(rule:admin_only) or (role:reader and project_id:%(project_id)s) or '
     'rule:shared_subnetpools'): """
        get_subnetpool:tags""".split(),
}
# Rules whose deprecated form had another name.
RENAMED = {
    'create_floatingip:tags': 'create_floatingips_tags',
    'get_floatingip:tags': 'get_floatingips_tags',
    'update_floatingip:tags': 'update_floatingips_tags',
    'delete_floatingip:tags': 'delete_floatingips_tags',
    'create_network:tags': 'create_networks_tags',
    'get_network:tags': 'get_networks_tags',
    'update_network:tags': 'update_networks_tags',
    'delete_network:tags': 'delete_networks_tags',
    'create_network_segment_range:tags': 'create_network_segment_ranges_tags',
    'get_network_segment_range:tags': 'get_network_segment_ranges_tags',
    'update_network_segment_range:tags': 'update_network_segment_ranges_tags',
    'delete_network_segment_range:tags': 'delete_network_segment_ranges_tags',
    'create_port:tags': 'create_ports_tags',
    'get_port:tags': 'get_ports_tags',
    'update_port:tags': 'update_ports_tags',
    'delete_port:tags': 'delete_ports_tags',
    'get_policy:tags': 'get_policies_tags',
    'create_policy:tags': 'create_policies_tags',
    'update_policy:tags': 'update_policies_tags',
    'delete_policy:tags': 'delete_policies_tags',
    'create_router:tags': 'create_routers_tags',
    'get_router:tags': 'get_routers_tags',
    'update_router:tags': 'update_routers_tags',
    'delete_router:tags': 'delete_routers_tags',
    'create_security_group:tags': 'create_security_groups_tags',
    'get_security_group:tags': 'get_security_groups_tags',
    'update_security_group:tags': 'update_security_groups_tags',
    'delete_security_group:tags': 'delete_security_groups_tags',
    'create_subnet:tags': 'create_subnets_tags',
    'get_subnet:tags': 'get_subnets_tags',
    'update_subnet:tags': 'update_subnets_tags',
    'delete_subnet:tags': 'delete_subnets_tags',
    'create_subnetpool:tags': 'create_subnetpools_tags',
    'get_subnetpool:tags': 'get_subnetpools_tags',
    'update_subnetpool:tags': 'update_subnetpools_tags',
    'delete_subnetpool:tags': 'delete_subnetpools_tags',
    'create_trunk:tags': 'create_trunks_tags',
    'get_trunk:tags': 'get_trunks_tags',
    'update_trunk:tags': 'update_trunks_tags',
    'delete_trunk:tags': 'delete_trunks_tags',
}
DEPRECATED_REASON = 'Neutron now knows the reader, member and manager roles.'


ACTIONS = {'add_router_interface', 'remove_router_interface', 'add_extraroutes',
           'remove_extraroutes', 'add_addresses', 'remove_addresses', 'add_prefixes',
           'remove_prefixes'}


def _operations(path, name):
    verb = name.split(':')[0]
    item = path + '/{id}'
    if verb in ACTIONS:
        return [{'method': 'PUT', 'path': '%s/%s' % (item, verb)}]
    method = verb.partition('_')[0]
    if method == 'create':
        return [{'method': 'POST', 'path': path}]
    if method == 'get':
        return [{'method': 'GET', 'path': path}, {'method': 'GET', 'path': item}]
    return [{'method': {'update': 'PUT', 'delete': 'DELETE'}[method], 'path': item}]


def _describe(name):
    verb, _, attribute = name.partition(':')
    words = verb.replace('_', ' ').replace('-', ' ')
    return words.capitalize() + (' (attribute %s)' % attribute if attribute else '')


def _deprecated(name):
    for old, names in DEPRECATED.items():
        if name in names:
            return policy.DeprecatedRule(RENAMED.get(name, name), old,
                                         deprecated_reason=DEPRECATED_REASON,
                                         deprecated_since='W')
    return None


def _calls(calls):
    return [{'method': method, 'path': path} for method, _, path in
            (call.strip().partition(' ') for call in calls.split(';'))]


def list_rules():
    rules = [policy.RuleDefault(name, check, description=text)
             for name, check, text in BASE_RULES]
    rules += [policy.RuleDefault(name, check, description=text, scope_types=['project'],
                                 deprecated_rule=_deprecated(name))
              for name, check, text in INTERNAL_RULES]
    documented = [(name, check, _operations(path, name))
                  for path, operations in OPERATIONS for name, check in operations]
    documented += [(name, check, _calls(calls)) for name, check, calls in MORE_OPERATIONS]
    for name, check, operations in documented:
        rules.append(policy.DocumentedRuleDefault(
            name=name, check_str=check, description=_describe(name),
            operations=operations, scope_types=['project'],
            deprecated_rule=_deprecated(name)))
    return rules


def _target_value(target, resource, field):
    if field in target:
        return target[field]
    return target.get('%s:%s' % (resource, field))


@policy.register('field')
class FieldCheck(policy.Check):
    """field:<collection>:<attribute>=<value>: the target's attribute has the
    value (`True`/`False` as booleans, `~regex` a match)."""

    def __init__(self, kind, match):
        resource, _, rest = match.partition(':')
        field, _, value = rest.rpartition('=')
        self.resource, self.field = resource, field
        self.regex = re.compile(value[1:]) if value.startswith('~') else None
        self.value = {'True': True, 'False': False}.get(value, value)
        super().__init__(kind, match)

    def __call__(self, target, creds, enforcer):
        found = _target_value(target, self.resource, self.field)
        if found is None:
            return False
        if self.regex is not None:
            return bool(self.regex.match(str(found)))
        return found == self.value


@policy.register('tenant_id')
class TenantCheck(policy.Check):
    """tenant_id:%(key)s, the legacy spelling of project_id:%(key)s."""

    def __call__(self, target, creds, enforcer):
        try:
            wanted = self.match % target
        except KeyError:
            return False
        return creds.get('project_id') is not None and wanted == str(creds['project_id'])
