"""Target drivers (stevedore namespace cloudstack.volume.targets): how a
volume is exported to a hypervisor. See base.Target."""
