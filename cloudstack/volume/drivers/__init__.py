"""Volume drivers (stevedore namespace cloudstack.volume.drivers): where a
backend keeps volumes and snapshots. See base.VolumeDriver."""
