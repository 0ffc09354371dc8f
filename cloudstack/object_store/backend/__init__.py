"""Where object bytes live."""


def load(conf=None):
    """The configured backend: a DiskBackend on the ring in
    [object_store] ring_file, which is created (the embedded default ring,
    see ring.load_ring) when it does not exist yet."""
    from cloudstack.object_store.backend import disk
    return disk.DiskBackend.from_config(conf)
