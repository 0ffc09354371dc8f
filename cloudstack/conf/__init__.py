"""The one oslo.config object every module reads its options from."""
from oslo_config import cfg

from cloudstack.conf import (compute, default, identity, image, libraries, libvirt, metadata,
                             object_store, server)
from cloudstack.conf import network
from cloudstack.conf import linuxbridge
from cloudstack.conf import volume
from cloudstack.conf import dashboard

CONF = cfg.CONF

default.register_opts(CONF)
identity.register_opts(CONF)
image.register_opts(CONF)
libraries.register_opts(CONF)
libvirt.register_opts(CONF)
metadata.register_opts(CONF)
object_store.register_opts(CONF)
server.register_opts(CONF)
network.register_opts(CONF)
linuxbridge.register_opts(CONF)
compute.register_opts(CONF)
volume.register_opts(CONF)
dashboard.register_opts(CONF)
