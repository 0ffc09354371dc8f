"""A standard set of metadata definitions, seeded into an empty catalog.

Horizon's Images, Flavors and Volumes pages offer these properties in their
"Update Metadata" dialogs, and its Images page fails on a catalog with none.
A fresh Glance is loaded with such a set; ours is written here, for what
Compute reads from images and flavors. It is seeded when the dashboard starts
and the Image API's catalog holds no namespace at all, so one an operator
deletes stays deleted.
"""
from oslo_log import log as logging

from cloudstack import context
from cloudstack import exception

LOG = logging.getLogger(__name__)

# As Glance's loader names the owner of the definitions it ships.
OWNER = 'admin'
IMAGE = 'OS::Glance::Image'
VOLUME = 'OS::Cinder::Volume'
FLAVOR = 'OS::Nova::Flavor'
SERVER = 'OS::Nova::Server'
AGGREGATE = 'OS::Nova::Aggregate'


def _enum(title, description, *values):
    return {'title': title, 'description': description, 'type': 'string',
            'enum': list(values)}


STANDARD = [
    {'namespace': 'OS::OperatingSystem',
     'display_name': 'Operating System',
     'description': 'What is installed on the image or volume, for people choosing one '
                    'and for tools that adapt to the guest.',
     'resource_type_associations': [{'name': IMAGE}, {'name': VOLUME,
                                                       'properties_target': 'image'}],
     'properties': {
         'os_distro': {'title': 'OS Distro', 'type': 'string',
                       'description': 'The distribution, lower case: ubuntu, debian, '
                                      'fedora, centos, cirros, windows, ...'},
         'os_version': {'title': 'OS Version', 'type': 'string',
                        'description': 'The distribution\'s version, e.g. "12" or "24.04".'},
         'os_admin_user': {'title': 'OS Admin User', 'type': 'string',
                           'description': 'The account with administrator rights inside '
                                          'the guest, e.g. root or Administrator.'},
         'os_type': _enum('OS Type', 'The kind of operating system.', 'linux', 'windows'),
     }},
    {'namespace': 'OS::Compute::LibvirtImage',
     'display_name': 'Virtual Hardware (libvirt)',
     'description': 'The virtual devices a server booted from this image gets, as '
                    'the libvirt compute driver builds them.',
     'resource_type_associations': [{'name': IMAGE}],
     'properties': {
         'hw_disk_bus': _enum('Disk Bus', 'The bus the root disk is attached to.',
                              'virtio', 'scsi', 'ide', 'sata', 'usb'),
         'hw_vif_model': _enum('Network Card Model', 'The emulated network card.',
                               'virtio', 'e1000', 'rtl8139', 'ne2k_pci', 'pcnet'),
         'hw_cdrom_bus': _enum('CD-ROM Bus', 'The bus of config drives and rescue '
                               'images attached as CD-ROMs.', 'ide', 'scsi', 'sata'),
         'hw_machine_type': {'title': 'Machine Type', 'type': 'string',
                             'description': 'The emulated machine, e.g. pc or q35.'},
         'hw_qemu_guest_agent': {'title': 'QEMU Guest Agent', 'type': 'boolean',
                                 'description': 'The guest runs the QEMU guest agent; '
                                                'its channel is added.'},
     }},
    {'namespace': 'OS::Compute::Hypervisor',
     'display_name': 'Hypervisor Selection',
     'description': 'The hypervisor an image needs; the scheduler places its '
                    'servers on hosts that have it.',
     'resource_type_associations': [{'name': IMAGE}, {'name': AGGREGATE}],
     'properties': {
         'hypervisor_type': _enum('Hypervisor Type', 'The hypervisor the image runs on.',
                                  'qemu', 'kvm', 'lxc'),
         'img_hv_requested_version': {
             'title': 'Hypervisor Version', 'type': 'string',
             'description': 'The hypervisor versions the image needs, e.g. ">=8000000".'},
     }},
    {'namespace': 'OS::Compute::Watchdog',
     'display_name': 'Watchdog Behavior',
     'description': 'What the hypervisor does when the guest\'s watchdog device fires '
                    '(the guest stopped answering it).',
     'resource_type_associations': [{'name': IMAGE, 'prefix': 'hw_'},
                                    {'name': FLAVOR, 'prefix': 'hw:'}],
     'properties': {
         'watchdog_action': _enum('Watchdog Action', 'The action taken when the watchdog '
                                  'fires; without it the guest has no watchdog.',
                                  'disabled', 'reset', 'poweroff', 'pause', 'none'),
     }},
    {'namespace': 'OS::Compute::ServerPurpose',
     'display_name': 'Server Purpose',
     'description': 'Who looks after a server and what it is for, kept in its metadata '
                    'for the people and tools that share the project.',
     'resource_type_associations': [{'name': SERVER}],
     'properties': {
         'purpose': _enum('Purpose', 'What the server does.', 'web', 'database',
                          'worker', 'build', 'test', 'other'),
         'contact': {'title': 'Contact', 'type': 'string',
                     'description': 'Whom to ask about the server (a name or an address).'},
         'expires': {'title': 'Expires', 'type': 'string',
                     'description': 'When the server may be deleted, as YYYY-MM-DD.'},
     }},
]


def seed():
    """Create the standard namespaces in an empty catalog; the names created."""
    from cloudstack.image import metadefs
    manager = metadefs.get()
    ctx = context.RequestContext.admin()
    if manager.list_namespaces(ctx, {}, 1, None, [('namespace', 'asc')]):
        return []
    created = []
    for body in STANDARD:
        try:
            manager.create_namespace(ctx, dict(body, visibility='public', protected=True,
                                               owner=OWNER))
        except exception.Conflict:
            continue    # another process seeded it at the same moment
        created.append(body['namespace'])
    LOG.info('seeded the metadata definition namespaces %s', ', '.join(created))
    return created
