"""Every option group, for oslo-config-generator."""
from cloudstack.conf import default, identity, image, libvirt, metadata, object_store, server


def list_opts():
    return (default.list_opts() + identity.list_opts() + image.list_opts()
            + libvirt.list_opts() + metadata.list_opts()
            + object_store.list_opts() + server.list_opts())
