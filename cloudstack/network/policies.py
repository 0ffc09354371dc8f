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


def list_rules():
    rules = [policy.RuleDefault(name, check, description=text)
             for name, check, text in BASE_RULES]
    for path, operations in OPERATIONS:
        for name, check in operations:
            rules.append(policy.DocumentedRuleDefault(
                name=name, check_str=check, description=_describe(name),
                operations=_operations(path, name), scope_types=['project']))
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
