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
    return [{'name': name} for name in
            (instance.system_metadata or {}).get('security_groups') or ['default']]
