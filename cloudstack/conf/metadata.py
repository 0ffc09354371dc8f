"""Options of the metadata service and config drives (read by the network
agent's metadata proxy too: shared_secret)."""
from oslo_config import cfg

metadata_opts = [
    cfg.StrOpt('shared_secret', secret=True, default='',
               help='Secret the metadata proxy signs instance ids with (HMAC-SHA256 in '
                    'X-Instance-ID-Signature). The metadata service refuses every '
                    'request while it is empty.'),
    cfg.IntOpt('cache_expiration', default=15, min=0,
               help='Seconds the metadata service keeps an instance\'s documents in '
                    'memory; 0: build them on every request.'),
    cfg.DictOpt('vendor_data', default={},
                help='Static vendor data every guest reads in vendor_data.json, as '
                     'key:value pairs.'),
    cfg.BoolOpt('force_config_drive', default=False,
                help='Give every instance a config drive, asked for or not.'),
]


def register_opts(conf):
    conf.register_opts(metadata_opts, group='metadata')


def list_opts():
    return [('metadata', metadata_opts)]
