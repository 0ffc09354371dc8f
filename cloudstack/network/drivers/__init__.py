"""Network drivers: what builds a host's dataplane (stevedore namespace
`cloudstack.network.drivers`)."""
