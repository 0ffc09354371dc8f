"""The one oslo.config object every module reads its options from."""
from oslo_config import cfg

from cloudstack.conf import default, identity, image, libraries, object_store, server

CONF = cfg.CONF

default.register_opts(CONF)
identity.register_opts(CONF)
image.register_opts(CONF)
libraries.register_opts(CONF)
object_store.register_opts(CONF)
server.register_opts(CONF)
