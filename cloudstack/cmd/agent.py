"""The per-host agents, each an engine running one role for `--host NAME`
(default: [DEFAULT] host, the hostname), in this one process:

    cloudstack-compute        compute (the hypervisor)
    cloudstack-network-agent  network (bridges, namespaces, DHCP, firewall)
    cloudstack-volume         volume (volume files, iSCSI targets)
    cloudstack-object-server  object (the ring devices: replicator, auditor)
"""
from cloudstack import cmd
from cloudstack.wsgi import server


def _agent(role, short):
    def main(argv=None):
        cmd.parse(argv)
        server.run_engine(roles=(role,), short=short, title='%s agent' % role)
        return 0
    main.__doc__ = 'The %s agent of this host.' % role
    return main


compute = _agent('compute', 'cs-compute')
network = _agent('network', 'cs-network')
volume = _agent('volume', 'cs-volume')
object_server = _agent('object', 'cs-object')
