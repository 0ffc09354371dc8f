"""The hypervisor driver interface every compute driver implements.

The compute agent of a host calls its driver; the driver touches the world
(libvirt domains, disks, taps) and nothing else: it never reads the database
nor calls another service. What it needs arrives as arguments:

- `instance`: an `Instance`, the driver's view of a server;
- `network_info`: a list of `VIF` dicts, one per port, in device order;
- `block_device_info`: a `BlockDeviceInfo` dict, the volumes (with the
  connection info Block Storage returned), ephemeral and swap disks;
- `image`: an `ImageSource`, how to get the base image's bytes.

An operation a driver cannot do raises `NotSupported`; the API answers it
with the status Nova gives for that operation. Every operation is
idempotent: the agent may call it again after a crash.
"""
import abc
import dataclasses

from cloudstack import exception

# Power states, as Nova reports them in OS-EXT-STS:power_state.
NOSTATE, RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED = 0, 1, 3, 4, 6, 7


class NotSupported(exception.CloudstackError):
    code = 409
    title = 'Conflict'
    message = 'The hypervisor does not support this operation.'


class InstanceNotFound(exception.NotFound):
    message = 'The instance is not on this hypervisor.'


@dataclasses.dataclass
class Flavor:
    name: str
    vcpus: int
    memory_mb: int
    root_gb: int
    ephemeral_gb: int = 0
    swap: int = 0                       # MiB
    extra_specs: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Instance:
    uuid: str
    name: str                           # the hypervisor's name for it, e.g. instance-0000002a
    hostname: str
    flavor: Flavor
    project_id: str
    user_id: str
    image_ref: str | None = None        # None when booted from a volume
    image_meta: dict = dataclasses.field(default_factory=dict)   # disk_format, properties
    metadata: dict = dataclasses.field(default_factory=dict)
    key_data: str | None = None
    user_data: bytes | None = None
    config_drive: bool = False
    availability_zone: str | None = None
    launch_index: int = 0
    vm_state: str | None = None
    task_state: str | None = None
    # What the metadata documents (config drive, metadata service) need beyond
    # these fields: display_name, key_name, keys, security_groups, devices, ...
    # (the list is in cloudstack/compute/metadata/document.py).
    extra: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ImageSource:
    """The base image: its id, format, size and a callable returning an
    iterator of its bytes (from the Image service's manager)."""
    id: str
    disk_format: str
    size: int
    checksum: str | None
    chunks: object                      # () -> iterator of bytes


# A VIF (dict):
#   {'id': port id, 'address': MAC, 'devname': 'tap...', 'bridge': 'brq...',
#    'mtu': 1450, 'vif_type': 'bridge', 'active': bool,
#    'network': {'id', 'label', 'subnets': [{'cidr', 'version', 'gateway',
#                'dns': [...], 'routes': [{'destination', 'nexthop'}],
#                'ips': [{'address', 'floating_ips': [...]}], 'dhcp_server',
#                'ipv6_address_mode'}]}}
# A BlockDeviceInfo (dict):
#   {'root_device_name': '/dev/vda',
#    'block_device_mapping': [{'connection_info': {...}, 'mount_device': '/dev/vdb',
#                              'boot_index': None | 0, 'disk_bus': 'virtio',
#                              'device_type': 'disk', 'volume_id': ...}],
#    'ephemerals': [{'device_name', 'size' (GiB), 'guest_format'}],
#    'swap': {'device_name', 'swap_size' (MiB)} | None}


class ComputeDriver(abc.ABC):
    """One hypervisor on one host."""

    def __init__(self, host):
        self.host = host

    # The host -------------------------------------------------------------

    def init_host(self):
        """Called once when the agent starts, before anything else."""

    @abc.abstractmethod
    def get_available_resource(self):
        """What the host offers: {'vcpus', 'memory_mb', 'local_gb',
        'vcpus_used', 'memory_mb_used', 'local_gb_used', 'hypervisor_type',
        'hypervisor_version', 'hypervisor_hostname', 'cpu_info', 'host_ip'}."""

    @abc.abstractmethod
    def list_instances(self):
        """The uuids of the instances this hypervisor holds."""

    @abc.abstractmethod
    def get_info(self, instance):
        """{'power_state': one of the power states}; InstanceNotFound."""

    def get_connector(self):
        """This host's volume connector (see doc/design.md)."""
        raise NotSupported()

    # Life cycle -----------------------------------------------------------

    @abc.abstractmethod
    def spawn(self, context, instance, image, injected_files, admin_password,
              network_info, block_device_info, power_on=True):
        """Create and start the instance. With a non-empty network_info the
        driver returns once the guest is defined, paused if ports are not
        yet active, and `resume_after_plug` starts it."""

    @abc.abstractmethod
    def destroy(self, context, instance, network_info, block_device_info,
                destroy_disks=True):
        """Remove the instance and, with destroy_disks, its local disks.
        Removing what is already gone is not an error."""

    def resume_after_plug(self, instance):
        """Start a guest spawn left paused waiting for its ports."""

    def reboot(self, context, instance, network_info, reboot_type,
               block_device_info=None):
        raise NotSupported()

    def power_off(self, instance, timeout=0, retry_interval=0):
        raise NotSupported()

    def power_on(self, context, instance, network_info, block_device_info=None):
        raise NotSupported()

    def pause(self, instance):
        raise NotSupported()

    def unpause(self, instance):
        raise NotSupported()

    def suspend(self, context, instance):
        raise NotSupported()

    def resume(self, context, instance, network_info, block_device_info=None):
        raise NotSupported()

    def rescue(self, context, instance, network_info, image, rescue_password):
        raise NotSupported()

    def unrescue(self, context, instance):
        raise NotSupported()

    def rebuild(self, context, instance, image, injected_files, admin_password,
                network_info, block_device_info, preserve_ephemeral=False):
        """Default: destroy the root disk and spawn again from `image`."""
        self.destroy(context, instance, network_info, block_device_info,
                     destroy_disks=True)
        self.spawn(context, instance, image, injected_files, admin_password,
                   network_info, block_device_info)

    def set_admin_password(self, instance, new_pass):
        raise NotSupported()

    def trigger_crash_dump(self, instance):
        raise NotSupported()

    # Snapshots, resize and migration ---------------------------------------

    def snapshot(self, context, instance, upload):
        """Write the root disk as an image: `upload(disk_format, chunks)`
        sends its bytes to the Image service."""
        raise NotSupported()

    def migrate_disk_and_power_off(self, context, instance, dest_host, flavor,
                                   network_info, block_device_info):
        """Resize or cold migrate, source side; returns opaque disk info."""
        raise NotSupported()

    def finish_migration(self, context, migration, instance, disk_info,
                         network_info, image, resize_instance,
                         block_device_info, power_on=True):
        """Resize or cold migrate, destination side."""
        raise NotSupported()

    def confirm_migration(self, context, migration, instance, network_info):
        raise NotSupported()

    def finish_revert_migration(self, context, instance, network_info,
                                block_device_info, power_on=True):
        raise NotSupported()

    def pre_live_migration(self, context, instance, block_device_info, network_info,
                           disk_info=None, migrate_data=None):
        """Live migration, destination side, before `live_migration` runs on
        the source: prepare disks and volumes; returns the migrate_data the
        source's `live_migration` is then given."""
        return migrate_data

    def live_migration(self, context, instance, dest_host, block_migration,
                       migrate_data=None):
        """Live migrate, source side: returns once the guest runs on
        dest_host (and is gone from here)."""
        raise NotSupported()

    def post_live_migration_at_destination(self, context, instance, network_info,
                                           block_migration=False,
                                           block_device_info=None):
        """Live migrate, destination side, after the move."""

    def rollback_live_migration_at_destination(self, context, instance,
                                               network_info, block_device_info):
        """Live migrate failed: undo pre_live_migration here."""

    # Devices ---------------------------------------------------------------

    def attach_volume(self, context, connection_info, instance, mountpoint,
                      disk_bus=None, device_type=None):
        raise NotSupported()

    def detach_volume(self, context, connection_info, instance, mountpoint):
        raise NotSupported()

    def swap_volume(self, context, old_connection_info, new_connection_info, instance,
                    mountpoint, resize_to):
        """Copy the guest's disk at `mountpoint` onto the new volume and use it
        from then on (resize_to: its size in GiB when larger, else 0)."""
        raise NotSupported()

    def extend_volume(self, context, connection_info, instance, new_size):
        raise NotSupported()

    def volume_snapshot_create(self, context, instance, volume_id, create_info):
        """Snapshot an attached file-based volume: the guest's disk moves onto
        create_info['new_file'] (a qcow2 file Block Storage made next to the
        current one, backed by it)."""
        raise NotSupported()

    def volume_snapshot_delete(self, context, instance, volume_id, snapshot_id,
                               delete_info):
        """Merge delete_info['file_to_merge'] out of the volume's chain (into
        merge_target_file, or pulled into the active file when that is None)."""
        raise NotSupported()

    def attach_interface(self, context, instance, image_meta, vif):
        raise NotSupported()

    def detach_interface(self, context, instance, vif):
        raise NotSupported()

    # Consoles and introspection ----------------------------------------------

    def get_console_output(self, context, instance):
        """The console log, as bytes."""
        raise NotSupported()

    def get_vnc_console(self, context, instance):
        """{'host', 'port', 'internal_access_path'} of the guest's VNC server."""
        raise NotSupported()

    def get_serial_console(self, context, instance):
        """{'host', 'port'} of the guest's serial console."""
        raise NotSupported()

    def get_diagnostics(self, instance):
        raise NotSupported()
