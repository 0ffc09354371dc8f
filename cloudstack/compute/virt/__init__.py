"""Hypervisor drivers (stevedore namespace cloudstack.compute.drivers)."""
