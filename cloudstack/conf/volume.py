"""Options for the Block Storage service and its volume agent."""
from oslo_config import cfg

volume_opts = [
    cfg.DictOpt('enabled_backends', default={'file': 'file'},
                help='The backends this host\'s volume agent serves, as backend '
                     'name: driver pairs (drivers: file, lvm), e.g. '
                     '"fast: file, big: lvm". A volume lives at '
                     '<host>@<backend>#<pool>.'),
    cfg.StrOpt('default_volume_type', default='__DEFAULT__',
               help='Volume type of volumes created without one, unless the '
                    'project has a default type of its own.'),
    cfg.StrOpt('storage_availability_zone', default='nova',
               help='Availability zone of this host\'s backends.'),
    cfg.StrOpt('default_availability_zone',
               help='Zone of new volumes that name none (default: '
                    'storage_availability_zone).'),
    cfg.StrOpt('target_driver', default='local',
               help='How volumes are exported to hypervisors: tgt (iSCSI, '
                    'the userspace target driven by tgtadm), lio (iSCSI '
                    'through rtslib-fb; needs configfs) or local (the file '
                    'path, for a hypervisor on the volume\'s own host).'),
    cfg.StrOpt('target_prefix', default='iqn.2010-10.org.openstack:',
               help='Prefix of the iSCSI target names (IQN) of volumes; a '
                    'target is <prefix>volume-<id>. The agent treats every '
                    'target with this prefix as its own.'),
    cfg.StrOpt('target_ip_address', default='127.0.0.1',
               help='Address hypervisors reach this host\'s iSCSI portal at.'),
    cfg.PortOpt('target_port', default=3260, help='Port of the iSCSI portal.'),
    cfg.BoolOpt('use_chap_auth', default=True,
                help='Protect every iSCSI target with CHAP credentials of its '
                     'own, handed to the hypervisor in the connection info.'),
    cfg.IntOpt('tgt_control_port', default=0, min=0,
               help='tgtd control port (tgtadm -C) of the tgtd to drive.'),
    cfg.BoolOpt('manage_tgtd', default=False,
                help='Start a tgtd of our own (on tgt_control_port, listening '
                     'on target_ip_address:target_port) when none answers.'),
    cfg.StrOpt('file_volumes_dir',
               help='Directory the file driver keeps volumes in, one '
                    'sub-directory per backend (default: <data_dir>/volumes).'),
    cfg.StrOpt('file_volume_format', default='raw', choices=['raw', 'qcow2'],
               help='Format of the file driver\'s volumes. iSCSI targets '
                    'export raw files only; qcow2 needs target_driver local.'),
    cfg.StrOpt('file_preallocation', default='off',
               choices=['off', 'falloc', 'full'],
               help='off: sparse files; falloc: allocate the blocks; full: '
                    'write them.'),
    cfg.FloatOpt('max_over_subscription_ratio', default=20.0, min=1.0,
                 help='How far thin (sparse) backends may promise more than '
                      'their free space.'),
    cfg.IntOpt('reserved_percentage', default=0, min=0, max=100,
               help='Percentage of a backend\'s capacity kept free.'),
    cfg.StrOpt('lvm_volume_group', default='cinder-volumes',
               help='Volume group of the lvm driver.'),
    cfg.StrOpt('lvm_type', default='thin', choices=['default', 'thin'],
               help='lvm driver: thin-provisioned logical volumes in a thin '
                    'pool of the group, or plain ones.'),
    cfg.StrOpt('image_conversion_dir',
               help='Scratch space for image downloads and conversions '
                    '(default: <data_dir>/volume-conversion).'),
    cfg.ListOpt('allowed_direct_url_schemes', default=['file'],
                help='Image locations a volume agent may read directly instead '
                     'of downloading the image through the Image service: file '
                     '(an image store directory on the same host). Empty: '
                     'always download.'),
    cfg.StrOpt('backup_container', default='volumebackups',
               help='Object Storage container of backups that name none; '
                    'backups live in the project\'s own account.'),
    cfg.IntOpt('backup_chunk_size', default=8 * 1024 * 1024, min=65536,
               help='Bytes per backup object; an incremental backup stores '
                    'the chunks that changed.'),
    cfg.StrOpt('backup_compression', default='none', choices=['none', 'zlib'],
               help='Compression of backup chunks.'),
    cfg.IntOpt('api_max_limit', default=1000, min=1,
               help='Most items one list returns.'),
    cfg.IntOpt('message_ttl', default=2592000, min=1,
               help='Seconds a user message is kept.'),
    cfg.IntOpt('transfer_key_length', default=16, min=8,
               help='Characters of a volume transfer\'s auth key.'),
    cfg.IntOpt('quota_volumes', default=10, help='Default volumes per project.'),
    cfg.IntOpt('quota_snapshots', default=10, help='Default snapshots per project.'),
    cfg.IntOpt('quota_gigabytes', default=1000,
               help='Default GiB of volumes and snapshots per project.'),
    cfg.IntOpt('quota_backups', default=10, help='Default backups per project.'),
    cfg.IntOpt('quota_backup_gigabytes', default=1000,
               help='Default GiB of backups per project.'),
    cfg.IntOpt('quota_groups', default=10, help='Default groups per project.'),
    cfg.IntOpt('per_volume_size_limit', default=-1,
               help='Default largest volume in GiB (-1: no limit).'),
    cfg.FloatOpt('stats_interval', default=10.0, min=1.0,
                 help='Seconds between the volume agent\'s capacity reports.'),
    cfg.IntOpt('agent_timeout', default=60, min=1,
               help='Seconds the API waits for a volume agent to export or '
                    'unexport a volume.'),
]


def register_opts(conf):
    conf.register_opts(volume_opts, group='volume')


def list_opts():
    return [('volume', volume_opts)]
