"""What a request body may carry for each resource: Neutron's attribute maps,
as checks and conversions of our own.

An attribute is posted and/or put, maybe required on POST, of a kind that
says how it is checked and converted (Neutron accepts 'true' and '10' where
it means true and 10), and maybe guarded by attribute policy rules
(`create_port:binding:host_id`).
"""
import uuid

from cloudstack.network import exceptions as exc


class Attr:
    def __init__(self, kind='string', post=True, put=True, required=False,
                 policy=False, max_length=255):
        self.kind = kind
        self.post, self.put = post, put
        self.required = required
        self.policy = policy
        self.max_length = max_length


def _fail(name, reason):
    raise exc.InvalidInput(error="Invalid input for %s. Reason: %s" % (name, reason))


def to_bool(name, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ('true', 'false', '1', '0'):
        return value.lower() in ('true', '1')
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    _fail(name, "'%s' cannot be converted to boolean" % (value,))


def to_int(name, value):
    if isinstance(value, bool):
        _fail(name, "'%s' is not an integer" % (value,))
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip('-').isdigit():
        return int(value)
    _fail(name, "'%s' is not an integer" % (value,))


def _string(name, value, attr):
    if not isinstance(value, str):
        _fail(name, "'%s' is not a valid string" % (value,))
    if attr.max_length and len(value) > attr.max_length:
        _fail(name, "'%s' exceeds maximum length of %d" % (value, attr.max_length))
    return value


def _uuid(name, value, attr):
    if not isinstance(value, str):
        _fail(name, "'%s' is not a valid UUID" % (value,))
    try:
        uuid.UUID(value)
    except ValueError:
        _fail(name, "'%s' is not a valid UUID" % value)
    return value


def convert(name, attr, value):
    """The attribute's value, checked and converted, or InvalidInput."""
    kind = attr.kind
    nullable = kind.endswith('?')
    kind = kind.rstrip('?')
    if value is None:
        if nullable or kind == 'any':
            return None
        _fail(name, "'None' is not a valid %s" % kind)
    if kind == 'string':
        return _string(name, value, attr)
    if kind == 'uuid':
        return _uuid(name, value, attr)
    if kind == 'id':        # an id (a project's need not be a UUID)
        return _string(name, value, attr)
    if kind == 'bool':
        return to_bool(name, value)
    if kind == 'int':
        return to_int(name, value)
    if kind == 'list':
        if not isinstance(value, list):
            _fail(name, "'%s' is not a list" % (value,))
        return value
    if kind == 'strings':
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            _fail(name, "'%s' is not a list of strings" % (value,))
        return value
    if kind == 'dicts':
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            _fail(name, "'%s' is not a list of dicts" % (value,))
        return value
    if kind == 'dict':
        if not isinstance(value, dict):
            _fail(name, "'%s' is not a dictionary" % (value,))
        return value
    return value


PROJECT = {'project_id': Attr('id', put=False), 'tenant_id': Attr('id', put=False)}
STANDARD = {'name': Attr('string?'), 'description': Attr('string?')}


def attrs(*groups, **more):
    out = {}
    for group in groups:
        out.update(group)
    out.update(more)
    return out


NETWORK = attrs(PROJECT, STANDARD, {
    'admin_state_up': Attr('bool'),
    'shared': Attr('bool', policy=True),
    'router:external': Attr('bool', policy=True),
    'mtu': Attr('int'),
    'port_security_enabled': Attr('bool', policy=True),
    'availability_zone_hints': Attr('strings', put=False),
    'dns_domain': Attr('string?'),
    'provider:network_type': Attr('string?', policy=True),
    'provider:physical_network': Attr('string?', policy=True),
    'provider:segmentation_id': Attr('int?', policy=True),
    'is_default': Attr('bool', policy=True),
})

SUBNET = attrs(PROJECT, STANDARD, {
    'network_id': Attr('uuid', put=False, required=True),
    'ip_version': Attr('int', put=False, required=True),
    'cidr': Attr('string?', put=False),
    'subnetpool_id': Attr('uuid?', put=False),
    'prefixlen': Attr('int', put=False),
    'use_default_subnetpool': Attr('bool', put=False),
    'gateway_ip': Attr('string?'),
    'enable_dhcp': Attr('bool'),
    'allocation_pools': Attr('dicts'),
    'dns_nameservers': Attr('strings'),
    'host_routes': Attr('dicts'),
    'ipv6_ra_mode': Attr('string?', put=False),
    'ipv6_address_mode': Attr('string?', put=False),
    'service_types': Attr('strings', policy=True),
    'segment_id': Attr('uuid?', put=False, policy=True),
})

PORT = attrs(PROJECT, STANDARD, {
    'network_id': Attr('uuid', put=False, required=True),
    'admin_state_up': Attr('bool'),
    'mac_address': Attr('string', policy=True),
    'fixed_ips': Attr('dicts', policy=True),
    'device_id': Attr('string', policy=True),
    'device_owner': Attr('string', policy=True),
    'security_groups': Attr('strings'),
    'allowed_address_pairs': Attr('dicts', policy=True),
    'extra_dhcp_opts': Attr('dicts'),
    'port_security_enabled': Attr('bool', policy=True),
    'binding:host_id': Attr('string', policy=True),
    'binding:vnic_type': Attr('string', policy=True),
    'binding:profile': Attr('dict', policy=True),
    'dns_name': Attr('string'),
})

ROUTER = attrs(PROJECT, STANDARD, {
    'admin_state_up': Attr('bool'),
    'external_gateway_info': Attr('dict?', policy=True),
    'availability_zone_hints': Attr('strings', put=False),
    'routes': Attr('dicts?', post=False),
})

FLOATINGIP = attrs(PROJECT, {
    'description': Attr('string?'),
    'floating_network_id': Attr('uuid', put=False, required=True),
    'floating_ip_address': Attr('string?', put=False, policy=True),
    'subnet_id': Attr('uuid?', put=False),
    'port_id': Attr('uuid?'),
    'fixed_ip_address': Attr('string?'),
    'dns_name': Attr('string', put=False),
    'dns_domain': Attr('string', put=False),
})

SECURITY_GROUP = attrs(PROJECT, STANDARD, {'stateful': Attr('bool')})

SECURITY_GROUP_RULE = attrs(PROJECT, {
    'description': Attr('string?', put=False),
    'security_group_id': Attr('uuid', put=False, required=True),
    'direction': Attr('string', put=False, required=True),
    'ethertype': Attr('string', put=False),
    'protocol': Attr('any', put=False),
    'port_range_min': Attr('any', put=False),
    'port_range_max': Attr('any', put=False),
    'remote_ip_prefix': Attr('string?', put=False),
    'remote_group_id': Attr('id?', put=False),
    'remote_address_group_id': Attr('id?', put=False),
})

SUBNETPOOL = attrs(PROJECT, STANDARD, {
    'prefixes': Attr('strings', required=True),
    'default_prefixlen': Attr('int'),
    'min_prefixlen': Attr('int'),
    'max_prefixlen': Attr('int'),
    'shared': Attr('bool', put=False, policy=True),
    'is_default': Attr('bool', policy=True),
    'default_quota': Attr('int?'),
    'address_scope_id': Attr('uuid?'),
})

ADDRESS_SCOPE = attrs(PROJECT, STANDARD, {
    'name': Attr('string', required=True),
    'ip_version': Attr('int', put=False, required=True),
    'shared': Attr('bool', policy=True),
})

ADDRESS_GROUP = attrs(PROJECT, STANDARD, {'addresses': Attr('strings', put=False)})

RBAC_POLICY = attrs(PROJECT, {
    'object_type': Attr('string', put=False, required=True),
    'object_id': Attr('uuid', put=False, required=True),
    'action': Attr('string', put=False, required=True),
    'target_tenant': Attr('string', policy=True),
    'target_project': Attr('string', policy=True),
})

PORT_FORWARDING = {
    'internal_port_id': Attr('uuid', required=True),
    'internal_ip_address': Attr('string', required=True),
    'internal_port': Attr('int', required=True),
    'external_port': Attr('int', required=True),
    'protocol': Attr('string', required=True),
    'description': Attr('string?'),
}

AGENT = {'admin_state_up': Attr('bool', post=False),
         'description': Attr('string?', post=False)}


def parse(name, spec, body, creating):
    """The resource's attributes in `body`, checked and converted."""
    if not isinstance(body, dict):
        raise exc.BadRequest('Body contains invalid data: %s must be an object' % name)
    unknown = sorted(set(body) - set(spec))
    if unknown:
        raise exc.BadRequest("Unrecognized attribute(s) '%s'" % ', '.join(unknown))
    out = {}
    for key, value in body.items():
        attr = spec[key]
        if creating and not attr.post or not creating and not attr.put:
            raise exc.BadRequest("Attribute '%s' not allowed in %s" % (
                key, 'POST' if creating else 'PUT'))
        out[key] = convert(key, attr, value)
    if creating:
        for key, attr in spec.items():
            if attr.required and key not in out:
                raise exc.BadRequest("Failed to parse request. Required attribute '%s' "
                                     "not specified" % key)
    return out
