"""Options for the Compute service: the agent, its driver, the scheduler, quotas."""
from oslo_config import cfg

compute_opts = [
    cfg.StrOpt('compute_driver', default='fake',
               help='Hypervisor driver of this host\'s compute agent, by its name '
                    'in the cloudstack.compute.drivers namespace (fake, libvirt).'),
    cfg.StrOpt('default_availability_zone', default='nova',
               help='Availability zone of hosts in no aggregate that names one.'),
    cfg.StrOpt('default_schedule_zone',
               help='Availability zone given to servers created without one '
                    '(default: none, any host).'),
    cfg.StrOpt('internal_service_availability_zone', default='internal',
               help='Availability zone the services that are not compute agents '
                    'are shown in.'),
    cfg.BoolOpt('allow_resize_to_same_host', default=True,
                help='Let a resize pick the server\'s own host.'),
    cfg.IntOpt('reclaim_instance_interval', default=0, min=0,
               help='Seconds a deleted server stays SOFT_DELETED (restorable) '
                    'before it is reclaimed; 0 deletes at once.'),
    cfg.IntOpt('shelved_offload_time', default=0,
               help='Seconds a shelved server keeps its host before it is '
                    'offloaded; 0 offloads at once, -1 never.'),
    cfg.IntOpt('resize_confirm_window', default=0, min=0,
               help='Seconds after which a resize waiting for confirmation is '
                    'confirmed automatically; 0 never.'),
    cfg.IntOpt('vif_plugging_timeout', default=300, min=0,
               help='Seconds a booting server waits for Networking to report '
                    'its ports plugged.'),
    cfg.BoolOpt('vif_plugging_is_fatal', default=True,
                help='Whether a server whose ports were not reported plugged in '
                     'time goes to ERROR (else it starts anyway).'),
    cfg.IntOpt('max_local_block_devices', default=3,
               help='Most local (image, blank, swap) disks a server may have; '
                    'negative for no limit.'),
    cfg.StrOpt('dhcp_domain', default='novalocal',
               help='Domain a server\'s hostname is qualified with in metadata.'),
    cfg.FloatOpt('cpu_allocation_ratio', default=4.0, min=0.0,
                 help='Virtual CPUs the scheduler places per physical CPU.'),
    cfg.FloatOpt('ram_allocation_ratio', default=1.0, min=0.0,
                 help='Memory the scheduler places per MiB of the host\'s memory.'),
    cfg.FloatOpt('disk_allocation_ratio', default=1.0, min=0.0,
                 help='Disk the scheduler places per GiB of the host\'s disk.'),
    cfg.IntOpt('reserved_host_memory_mb', default=0, min=0,
               help='Memory of each host kept from servers.'),
    cfg.IntOpt('reserved_host_disk_mb', default=0, min=0,
               help='Disk of each host kept from servers.'),
    cfg.IntOpt('resource_update_interval', default=60, min=1,
               help='Seconds between a compute agent\'s reports of its host\'s '
                    'resources and power states.'),
    cfg.IntOpt('max_api_limit', default=1000, min=1,
               help='Most items one list returns, whatever the limit asked.'),
    cfg.IntOpt('api_call_timeout', default=30, min=1,
               help='Seconds the API waits for an agent to answer a synchronous '
                    'call (console output, diagnostics).'),
    cfg.StrOpt('novncproxy_base_url', default='',
               help='The noVNC page console links point at; empty: this cloud\'s '
                    'own console proxy (<API root>/console/vnc_lite.html).'),
    cfg.StrOpt('serialproxy_base_url', default='',
               help='The websocket serial console links point at; empty: this '
                    'cloud\'s own console proxy (<API root>/console/serial).'),
    cfg.IntOpt('console_token_ttl', default=600, min=1,
               help='Seconds a console URL\'s token stays valid.'),
    cfg.StrOpt('novnc_web_dir', default='/usr/share/novnc',
               help='noVNC\'s web files (Debian package novnc), which the console '
                    'proxy serves at /console/.'),
    cfg.StrOpt('spicehtml5proxy_base_url', default='http://127.0.0.1:6082/spice_auto.html',
               help='URL the SPICE console links point at.'),
    cfg.IntOpt('deleted_server_retention', default=86400, min=0,
               help='Seconds a deleted server\'s record is kept (listed with '
                    'changes-since or deleted=true) before it is purged.'),
]

scheduler_opts = [
    cfg.ListOpt('enabled_filters',
                default=['ComputeFilter', 'AvailabilityZoneFilter',
                         'ComputeCapabilitiesFilter', 'ImagePropertiesFilter',
                         'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter',
                         'SameHostFilter', 'DifferentHostFilter',
                         'AggregateInstanceExtraSpecsFilter', 'RamFilter',
                         'DiskFilter', 'CoreFilter'],
                help='Filters a host must pass to be chosen, by name.'),
    cfg.ListOpt('weighers', default=['RAMWeigher', 'ServerGroupSoftAffinityWeigher',
                                     'ServerGroupSoftAntiAffinityWeigher'],
                help='Weighers ranking the hosts that passed, by name.'),
    cfg.IntOpt('max_attempts', default=3, min=1,
               help='Hosts a server\'s build is tried on before it goes to ERROR.'),
]

fake_driver_opts = [
    cfg.IntOpt('vcpus', default=1000, min=1, help='CPUs the fake hypervisor reports.'),
    cfg.IntOpt('memory_mb', default=800000, min=1,
               help='Memory (MiB) the fake hypervisor reports.'),
    cfg.IntOpt('local_gb', default=600000, min=1,
               help='Disk (GiB) the fake hypervisor reports.'),
    cfg.StrOpt('state_dir',
               help='Directory the fake hypervisor keeps its instances in, so '
                    'they outlive a restart (default: <data_dir>/fake-virt/<host>).'),
    cfg.FloatOpt('snapshot_seconds', default=0, min=0,
                 help='How long the fake hypervisor takes to write a snapshot, so that '
                      'clients can see the server while its image is uploading.'),
    cfg.StrOpt('vnc_listen', default='127.0.0.1',
               help='Address the fake guests\' consoles listen on (VNC: a minimal RFB '
                    'handshake and a black screen; serial: a login prompt that echoes; '
                    'both in the compute agent), where the console proxy reaches them.'),
]

quota_opts = [
    cfg.IntOpt('instances', default=10, min=-1, help='Servers per project.'),
    cfg.IntOpt('cores', default=20, min=-1, help='Server vCPUs per project.'),
    cfg.IntOpt('ram', default=51200, min=-1, help='Server MiB of memory per project.'),
    cfg.IntOpt('metadata_items', default=128, min=-1, help='Metadata items per server.'),
    cfg.IntOpt('injected_files', default=5, min=-1, help='Personality files per server.'),
    cfg.IntOpt('injected_file_content_bytes', default=10240, min=-1,
               help='Bytes of one personality file.'),
    cfg.IntOpt('injected_file_path_length', default=255, min=-1,
               help='Characters of one personality file\'s path.'),
    cfg.IntOpt('key_pairs', default=100, min=-1, help='Key pairs per user.'),
    cfg.IntOpt('server_groups', default=10, min=-1, help='Server groups per project.'),
    cfg.IntOpt('server_group_members', default=10, min=-1,
               help='Servers per server group.'),
]


def register_opts(conf):
    conf.register_opts(compute_opts, group='compute')
    conf.register_opts(scheduler_opts, group='scheduler')
    conf.register_opts(fake_driver_opts, group='fake_driver')
    conf.register_opts(quota_opts, group='quota')


def list_opts():
    return [('compute', compute_opts), ('scheduler', scheduler_opts),
            ('fake_driver', fake_driver_opts), ('quota', quota_opts)]
