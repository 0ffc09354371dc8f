"""Options of the libvirt compute driver."""
from oslo_config import cfg

libvirt_opts = [
    cfg.StrOpt('virt_type', default='kvm', choices=['kvm', 'qemu', 'lxc', 'xen'],
               help='Hypervisor the libvirt driver runs guests on: kvm (QEMU with '
                    'hardware acceleration), qemu (software emulation, TCG), lxc '
                    '(containers) or xen.'),
    cfg.StrOpt('connection_uri', default='',
               help='libvirt URI of the hypervisor. Empty: the local system daemon '
                    'for virt_type (qemu:///system, lxc:///system, xen:///system). '
                    'A daemon on another socket, e.g. one in its own namespaces: '
                    'qemu:///system?socket=/path/libvirt-sock.'),
    cfg.StrOpt('instances_path',
               help='Directory of the instances\' disks, config drives and console '
                    'logs, with the cached base images in its _base/ '
                    '(default: <data_dir>/instances). The hypervisor\'s own user '
                    '(libvirt-qemu) must be able to reach it.'),
    cfg.BoolOpt('force_raw_images', default=True,
                help='Convert cached base images to raw once, so that guests do not '
                     'pay for decompression on every read of a compressed qcow2.'),
    cfg.StrOpt('hw_machine_type', default='pc',
               help='QEMU machine type of new x86 guests (an image\'s '
                    'hw_machine_type property overrides it).'),
    cfg.StrOpt('cpu_mode', choices=['host-model', 'host-passthrough', 'custom', 'none'],
               help='CPU model guests see. Default: host-model for kvm, none (the '
                    'emulator\'s default) for qemu.'),
    cfg.StrOpt('cpu_model', help='The model when cpu_mode is custom, e.g. Haswell-noTSX.'),
    cfg.StrOpt('disk_cachemode',
               help='Cache mode of local disks. Default: none where the instances '
                    'directory supports O_DIRECT, else writeback.'),
    cfg.StrOpt('rng_dev_path', default='/dev/urandom',
               help='Host entropy source behind each guest\'s virtio RNG; empty: no RNG '
                    'device.'),
    cfg.StrOpt('host_ip',
               help='Address of this host that other hosts, console proxies and volume '
                    'targets see (default: the address of the interface of the default '
                    'route, else 127.0.0.1).'),
    cfg.StrOpt('iscsi_initiator',
               help='This host\'s iSCSI initiator name (default: the one in '
                    '/etc/iscsi/initiatorname.iscsi, else one made from the host name).'),
    cfg.BoolOpt('vnc_enabled', default=True,
                help='Give every QEMU/KVM guest a VNC server (noVNC consoles).'),
    cfg.StrOpt('vnc_listen', default='127.0.0.1',
               help='Address guests\' VNC servers listen on.'),
    cfg.BoolOpt('serial_console_enabled', default=False,
                help='Give guests a serial console on a TCP port of this host (for the '
                     'serial console proxy) instead of a local pseudo-terminal. The '
                     'console log is kept either way.'),
    cfg.StrOpt('serial_port_range', default='10000:20000',
               help='Ports serial consoles are given, as first:last.'),
    cfg.StrOpt('serial_listen', default='127.0.0.1',
               help='Address serial consoles listen on.'),
    cfg.IntOpt('bridge_wait_timeout', default=60, min=0,
               help='Seconds a starting guest waits for the bridge of its ports to '
                    'appear (the network agent of this host creates it).'),
    cfg.IntOpt('shutdown_timeout', default=60, min=0,
               help='Seconds a soft reboot waits for the guest to shut down before '
                    'resetting it.'),
    cfg.StrOpt('live_migration_uri', default='qemu+tcp://%s/system',
               help='libvirt URI of a destination host for live migration; %s is '
                    'replaced by the destination\'s host name.'),
    cfg.StrOpt('live_migration_inbound_uri',
               help='Where the destination\'s QEMU receives a live migration, %s being '
                    'the destination host name: tcp://ADDRESS, or unix:///path for '
                    'hosts sharing a file system. Default: libvirt chooses.'),
    cfg.IntOpt('live_migration_completion_timeout', default=800, min=0,
               help='Seconds a live migration may take before it is aborted.'),
    cfg.StrOpt('lxc_init', default='/sbin/init',
               help='Program run as init in an LXC container (an image\'s '
                    'os_command_line property overrides it).'),
]

def register_opts(conf):
    conf.register_opts(libvirt_opts, group='libvirt')


def list_opts():
    return [('libvirt', libvirt_opts)]
