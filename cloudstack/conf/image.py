"""Options for the Image service."""
from oslo_config import cfg
from oslo_config import types

image_opts = [
    cfg.StrOpt('filesystem_store_datadir',
               help='Directory the file store keeps image data in '
                    '(default: <data_dir>/images).'),
    cfg.StrOpt('staging_dir',
               help='Directory of data staged for glance-direct import '
                    '(default: <data_dir>/image-staging).'),
    cfg.StrOpt('worker_self_reference_url',
               help='URL of this node\'s Image API (as its catalog endpoint, '
                    'e.g. http://node1:5000/image), when several nodes serve it '
                    'with staging directories of their own: data staged here '
                    'records it as the image\'s os_glance_stage_host, and the '
                    'other nodes forward that image\'s glance-direct import '
                    'and its delete here, with the caller\'s token. Default: '
                    '<public_url>/image.'),
    cfg.StrOpt('default_store', default='file',
               help='Store new image data is written to: one of the ids of '
                    'enabled_backends.'),
    cfg.DictOpt('enabled_backends', default={},
                help='The stores image data may be kept in, as store id: store '
                     'type pairs, e.g. "fast:file, objects:object_store". '
                     'Empty: one store named default_store of that type. A file '
                     'store other than "file" keeps its data in '
                     '<data_dir>/images-<id>.'),
    cfg.StrOpt('object_store_account', default='AUTH_image-service',
               help='Object Storage account the object_store store keeps image '
                    'data in (an account no project owns by default).'),
    cfg.StrOpt('object_store_container', default='glance',
               help='Container of that account holding the image data.'),
    cfg.ListOpt('enabled_import_methods',
                default=['glance-direct', 'web-download', 'copy-image'],
                help='Interoperable import methods offered. web-download is '
                     'only offered when web_download_allowed_hosts is set. '
                     'glance-download (from the Image service of a region in '
                     'the catalog, with the caller\'s token) is off by '
                     'default, as in Glance.'),
    cfg.ListOpt('web_download_allowed_hosts', default=[],
                help='Hosts web-download and import tasks may fetch image '
                     'data from: a name or address (its scheme\'s default port '
                     'only) or host:port; a leading "." allows a domain and '
                     'its subdomains. Empty: none, and web-download is not '
                     'offered.'),
    cfg.ListOpt('location_allowed_hosts', default=[],
                help='Hosts the http store reads client-given image locations '
                     'from (JSON-patch on /locations, POST /v2/images/{id}/'
                     'locations), redirects included; same form as '
                     'web_download_allowed_hosts. Empty: no location a client '
                     'gives is accepted.'),
    cfg.IntOpt('web_download_timeout', default=60, min=1,
               help='Seconds to wait on a web-download server before giving up.'),
    cfg.IntOpt('task_time_to_live', default=48, min=1,
               help='Hours a finished task is kept before it expires.'),
    cfg.BoolOpt('image_cache_enabled', default=True,
                help='Keep a local cache of image data on each Image API node, '
                     'filled only by an admin queueing images through that '
                     'node (PUT /v2/cache/<id>, `openstack image cache queue`) '
                     'and used by its downloads: nothing is cached unless '
                     'asked. Off: /v2/cache answers 404.'),
    cfg.StrOpt('image_cache_dir',
               help='Directory of this node\'s image cache (default: '
                    '<data_dir>/image-cache). Nodes on one host with '
                    'directories of their own have caches of their own.'),
    cfg.IntOpt('cache_prefetcher_interval', default=300, min=1,
               help='Seconds between two looks of each API worker for images '
                    'queued for its node\'s cache that nobody is copying (left '
                    'by a restart or a dead worker); an image queued through '
                    'a worker is copied at once.'),
    cfg.IntOpt('image_cache_max_size', default=10737418240, min=0,
               help='Bytes the local image cache may hold; the least recently '
                    'used images go first when a new one needs room.'),
    cfg.BoolOpt('use_keystone_limits', default=False,
                help='Enforce image_size_total, image_stage_total, '
                     'image_count_total and image_count_uploading (MiB and '
                     'counts) from the identity service\'s unified limits '
                     '(registered limits for service "image", project limits).'),
    cfg.IntOpt('image_size_cap', default=1099511627776, min=1,
               help='Largest image, in bytes, an upload or stage may write.'),
    cfg.IntOpt('image_property_quota', default=128,
               help='Most custom properties one image may have.'),
    cfg.IntOpt('image_tag_quota', default=128,
               help='Most tags one image may have.'),
    cfg.IntOpt('image_member_quota', default=128,
               help='Most members one image may have.'),
    cfg.IntOpt('limit_param_default', default=25, min=1,
               help='Images a list returns when the request gives no limit.'),
    cfg.IntOpt('api_limit_max', default=1000, min=1,
               help='Most images one list returns, whatever the limit asked.'),
    cfg.BoolOpt('require_image_format_match', default=True,
                help='Reject uploaded data whose detected format contradicts '
                     'the declared disk_format.'),
    cfg.Opt('weight', type=types.Dict(value_type=types.Integer()), default={},
            help='Weight of each store, as store id: integer pairs (e.g. '
                     '"fast:100, objects:50"): an image\'s data is read from '
                     'its locations highest weight first, and its `stores` are '
                     'listed in that order. Unlisted stores weigh 0.'),
    cfg.BoolOpt('show_multiple_locations', default=False,
                help='Show each image\'s `locations` (and `direct_url`) and let '
                     'clients change them with JSON-patch on /locations (the '
                     'set_image_location, delete_image_location and '
                     'get_image_location rules decide who). Off by default, as '
                     'in Glance: locations reveal where the data lives.'),
    cfg.BoolOpt('show_image_direct_url', default=False,
                help='Show `direct_url`, the location data is read from first.'),
    cfg.BoolOpt('do_secure_hash', default=True,
                help='When a location is added with POST /v2/images/{id}/locations, '
                     'read its data once to compute the checksum and hash (and '
                     'check them against the validation data given).'),
    cfg.StrOpt('image_conversion_format', default='', choices=['', 'raw', 'qcow2', 'vmdk'],
               help='Convert the data of imported images (glance-direct, '
                    'web-download, glance-download) to this disk format, as '
                    'Glance\'s image_conversion import plugin does: the data must '
                    'be what its disk_format says and pass the safety checks; an '
                    'ISO stays an ISO. Empty: images are stored as they come.'),
    cfg.ListOpt('glance_download_properties',
                default=['hw_', 'trait:', 'os_distro', 'os_secure_boot', 'os_type'],
                help='The glance-download import copies the source image\'s '
                     'properties whose names start with one of these prefixes '
                     '(besides its disk and container formats); it never copies '
                     'os_glance* or core attributes.'),
]


def register_opts(conf):
    conf.register_opts(image_opts, group='image')


def list_opts():
    return [('image', image_opts)]

