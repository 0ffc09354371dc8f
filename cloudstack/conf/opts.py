"""Every option group, for oslo-config-generator."""
from cloudstack.conf import compute, default, identity, image, object_store, server


def list_opts():
    return (default.list_opts() + identity.list_opts() + image.list_opts()
            + object_store.list_opts() + server.list_opts()
            + compute.list_opts())
