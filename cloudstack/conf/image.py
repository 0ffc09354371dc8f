"""Options for the Image service."""
from oslo_config import cfg

image_opts = [
    cfg.StrOpt('filesystem_store_datadir',
               help='Directory the file store keeps image data in '
                    '(default: <data_dir>/images).'),
    cfg.StrOpt('staging_dir',
               help='Directory of data staged for glance-direct import '
                    '(default: <data_dir>/image-staging).'),
    cfg.StrOpt('default_store', default='file',
               help='Store new image data is written to.'),
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
]


def register_opts(conf):
    conf.register_opts(image_opts, group='image')


def list_opts():
    return [('image', image_opts)]

