"""Every option group, for oslo-config-generator."""
from cloudstack.conf import compute, default, identity, image, libvirt, metadata, object_store, server
from cloudstack.conf import network
from cloudstack.conf import linuxbridge
from cloudstack.conf import volume
from cloudstack.conf import dashboard


def list_opts():
    return (default.list_opts() + identity.list_opts() + image.list_opts()
            + libvirt.list_opts() + metadata.list_opts()
            + object_store.list_opts() + server.list_opts()
            + network.list_opts()
            + linuxbridge.list_opts()
            + compute.list_opts()
            + volume.list_opts()
            + dashboard.list_opts())
