"""Options for Object Storage: the ring and the disk backend."""
from oslo_config import cfg

object_store_opts = [
    cfg.StrOpt('catalog_path', default='/object-store/v1/AUTH_%(tenant_id)s',
               help='Path of the object-store endpoint the catalog advertises, '
                    'after the public URL. The API answers both under '
                    '/object-store/v1/... and at /v1/... on the same port; '
                    'Swift\'s own tools (which take the storage URL\'s path '
                    'to be /v1/<account>) want /v1/AUTH_%(tenant_id)s, as '
                    'DevStack registers it.'),
    cfg.ListOpt('cors_allow_origin', default=[],
                help='Origins allowed to make cross-origin requests to every '
                     'container, besides those a container allows in its '
                     'X-Container-Meta-Access-Control-Allow-Origin.'),
    cfg.BoolOpt('strict_cors_mode', default=True,
                help='Answer a cross-origin request with CORS headers only '
                     'when its Origin is allowed (else the browser sees the '
                     'answer without them).'),
    cfg.ListOpt('cors_expose_headers', default=[],
                help='Headers exposed to cross-origin requests of every '
                     'container, besides Swift\'s defaults and a '
                     'container\'s X-Container-Meta-Access-Control-Expose-Headers.'),
    cfg.ListOpt('storage_policies', default=['Policy-0'],
                help='The storage policies, by name, the first the default for '
                     'new containers (X-Storage-Policy chooses another). The '
                     'Nth (from 0) has its own ring, ring_file for the first '
                     'and object-N.ring beside it for the others, and keeps '
                     'its objects in objects/ (N=0) or objects-N/ of each '
                     'device. Add policies at the end only: a container '
                     'records its policy\'s position.'),
    cfg.DictOpt('policy_replicas', default={},
                help='Replicas of the ring created on first use for a policy, '
                     'by policy name (default_replicas for those not named), '
                     'e.g. "gold:3, bronze:1".'),
    cfg.StrOpt('backend', default='disk',
               help='Where object bytes live: a driver of the '
                    'cloudstack.object_store.backends namespace.'),
    cfg.StrOpt('ring_file',
               help='File holding the object ring: its devices, the partition '
                    'assignment and the cluster\'s hash secret '
                    '(default: <data_dir>/object.ring). Managed with '
                    '`cloudstack-manage ring ...`; when it does not exist, the '
                    'first use creates one from the default_* options.'),
    cfg.ListOpt('default_devices',
                help='Device directories of the ring created on first use when '
                     'ring_file does not exist, each in its own zone; relative '
                     'paths are inside data_dir (default: objects/d1). '
                     'IP:PORT/absolute/path names a device of the host whose '
                     'object server listens there (see object_server_bind).'),
    cfg.IntOpt('default_replicas', default=1, min=1,
               help='Replicas of the ring created on first use.'),
    cfg.IntOpt('default_part_power', default=10, min=1, max=24,
               help='Partition power (2**N partitions) of the ring created on '
                    'first use.'),
    cfg.StrOpt('object_server_bind', default='',
               help='ip:port where this host\'s object server '
                    '(cloudstack-object-server) serves its devices\' replicas '
                    'to the other hosts, and by which the ring names them '
                    '(`cloudstack-manage ring add --server IP:PORT`). Devices '
                    'named by another ip:port are reached over HTTP; devices '
                    'with none, or with this one, on the local disk. Empty: '
                    'the object server serves nothing over HTTP (one host).'),
    cfg.StrOpt('object_server_key', default='', secret=True,
               help='Secret shared by the API and every object server: each '
                    'request between them carries an HMAC of it. An object '
                    'server with object_server_bind refuses to start without '
                    'it.'),
    cfg.FloatOpt('object_server_conn_timeout', default=1.0, min=0.01,
                 help='Seconds to connect to another host\'s object server '
                      'before its replica is written on a handoff or read '
                      'from another.'),
    cfg.FloatOpt('object_server_node_timeout', default=10.0, min=0.01,
                 help='Seconds an object server may take to accept a chunk '
                      'or answer before its replica counts as failed.'),
    cfg.IntOpt('read_chunk_size', default=65536, min=512,
               help='Bytes an object read yields at a time.'),
    cfg.IntOpt('reclaim_age', default=604800, min=0,
               help='Seconds a deletion\'s tombstone is kept (so that a replica '
                    'that was away meanwhile is not resurrected) before the '
                    'replicator removes it.'),
    cfg.StrOpt('container_sync_realms_conf', default='',
               help='Swift\'s container-sync-realms.conf: one section per '
                    'realm with its key (and key2) and a cluster_<name> = '
                    '<endpoint, e.g. http://host:port/v1/> line per cluster. '
                    'X-Container-Sync-To //realm/cluster/account/container '
                    'then syncs to that endpoint over HTTP, signed with the '
                    'realm key, and requests signed so are accepted here. '
                    'Empty: only the realms of the container_sync filter\'s '
                    '`realms` (this cloud\'s own containers).'),
    cfg.IntOpt('container_sync_timeout', default=30, min=1,
               help='Seconds container sync waits for another cluster\'s '
                    'answer before it tries again on its next pass.'),
    cfg.IntOpt('tmp_max_age', default=86400, min=0,
               help='Seconds after its last write that a temp file in a '
                    'device\'s tmp/ is taken for the leftover of a write that '
                    'died (a killed process, a power cut) and removed by the '
                    'replicator. A live upload writes its temp file '
                    'continuously, so this only has to exceed the longest '
                    'stall of a client upload.'),
    cfg.IntOpt('orphan_grace', default=3600, min=0,
               help='Seconds after it was written that an object\'s data with '
                    'no listing row is taken for an orphan (its PUT died after '
                    'writing the bytes and before recording the row) and '
                    'deleted by the auditor. A PUT writes its bytes before its '
                    'row, so this must exceed the time a PUT may take between '
                    'the two (database retries included).'),
]


def register_opts(conf):
    conf.register_opts(object_store_opts, group='object_store')


def list_opts():
    return [('object_store', object_store_opts)]

