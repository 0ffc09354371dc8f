"""Networking (Neutron v2.0): networks, subnets, ports, routers, floating IPs,
security groups and their kin, with IPAM; drivers build the dataplane."""
