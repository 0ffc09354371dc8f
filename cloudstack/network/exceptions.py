"""Networking's errors. The class name is the `type` of Neutron's error body
({'NeutronError': {'type', 'message', 'detail'}}), as clients match on it."""
from cloudstack import exception


def _typed(base):
    """A base whose subclasses report their own class name as the type."""
    class Typed(base):
        def __init_subclass__(cls, **kw):
            super().__init_subclass__(**kw)
            cls.title = cls.__name__
    Typed.title = base.__name__
    return Typed


class BadRequest(_typed(exception.BadRequest)):
    message = 'Bad request.'


class InvalidInput(BadRequest):
    message = 'Invalid input for operation: %(error)s.'


class NotFound(_typed(exception.NotFound)):
    message = 'The resource could not be found.'


class Conflict(_typed(exception.Conflict)):
    message = 'The request conflicts with the state of the resource.'


class Forbidden(_typed(exception.Forbidden)):
    pass


class PolicyNotAuthorized(Forbidden):
    message = '(rule:%(action)s) is disallowed by policy.'


class PreconditionFailed(_typed(exception.PreconditionFailed)):
    message = 'Revision number mismatch.'


class NotImplementedYet(_typed(exception.NotImplementedYet)):
    pass


def not_found(kind, resource_id):
    """A `<Kind>NotFound` error, e.g. NetworkNotFound, as Neutron words it."""
    name = ''.join(part.capitalize() for part in kind.replace('-', '_').split('_'))
    cls = type(name + 'NotFound', (NotFound,), {})
    words = kind.replace('_', ' ')
    return cls('%s %s could not be found.' % (words[0].upper() + words[1:], resource_id))


class NetworkInUse(Conflict):
    message = ('Unable to complete operation on network %(net_id)s. There are '
               'one or more ports still in use on the network.')


class SubnetInUse(Conflict):
    message = ('Unable to complete operation on subnet %(subnet_id)s: %(reason)s')


class PortInUse(Conflict):
    message = ('Unable to complete operation on port %(port_id)s for network '
               '%(net_id)s. Port already has an attached device %(device_id)s.')


class InUse(Conflict):
    message = 'The resource is in use.'


class MacAddressInUse(Conflict):
    message = ('Unable to complete operation for network %(net_id)s. The mac '
               'address %(mac)s is in use.')


class IpAddressInUse(Conflict):
    message = ('Unable to complete operation for network %(net_id)s. The IP '
               'address %(ip_address)s is in use.')


class IpAddressGenerationFailure(Conflict):
    message = 'No more IP addresses available on network %(net_id)s.'


class MacAddressGenerationFailure(exception.ServiceUnavailable):
    title = 'MacAddressGenerationFailure'
    message = 'Unable to generate unique mac on network %(net_id)s.'


class InvalidIpForSubnet(BadRequest):
    message = 'IP address %(ip_address)s is not a valid IP for the specified subnet.'


class InvalidIpForNetwork(BadRequest):
    message = 'IP address %(ip_address)s is not a valid IP for any of the subnets on the network.'


class OverQuota(Conflict):
    message = 'Quota exceeded for resources: %(overs)s.'


class SecurityGroupInUse(Conflict):
    message = 'Security Group %(id)s %(reason)s.'


class SecurityGroupRuleExists(Conflict):
    message = 'Security group rule already exists. Rule id is %(rule_id)s.'


class RouterInUse(Conflict):
    message = 'Router %(router_id)s %(reason)s'


class RouterInterfaceInUseByFloatingIP(Conflict):
    message = ('Router interface for subnet %(subnet_id)s on router %(router_id)s '
               'cannot be deleted, as it is required by one or more floating IPs.')


class FloatingIPPortAlreadyAssociated(Conflict):
    message = ('Cannot associate floating IP %(floating_ip_address)s '
               '(%(fip_id)s) with port %(port_id)s using fixed IP %(fixed_ip)s, as '
               'that fixed IP already has a floating IP on external network '
               '%(net_id)s.')


class ExternalGatewayForFloatingIPNotFound(NotFound):
    message = ('External network %(external_network_id)s is not reachable from '
               'subnet %(subnet_id)s. Therefore, cannot associate Port %(port_id)s '
               'with a Floating IP.')


class NetworkVxlanRangeExhausted(exception.ServiceUnavailable):
    title = 'NoNetworkAvailable'
    message = 'Unable to create the network. No tenant network is available for allocation.'


class AddressGroupInUse(Conflict):
    message = 'Address group %(address_group_id)s is in use on one or more security group rules.'
