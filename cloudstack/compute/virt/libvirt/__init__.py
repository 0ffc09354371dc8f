"""The libvirt compute driver (driver.py) and what it is made of: domain XML
(config.py), the daemon connection (host.py), local disks and the base image
cache (disks.py), volumes (volumes.py), and a private libvirt daemon for
tests and benchmarks (sandbox.py)."""
