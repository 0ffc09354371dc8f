"""The per-host agents, each an engine running one role for `--host NAME`
(default: [DEFAULT] host, the hostname), in this one process:

    cloudstack-compute        compute (the hypervisor)
    cloudstack-network-agent  network (bridges, namespaces, DHCP, firewall)
    cloudstack-volume         volume (volume files, iSCSI targets)
    cloudstack-object-server  object (the ring devices: replicator, auditor;
                              with [object_store] object_server_bind, it
                              also serves their replicas to the other hosts)
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


def object_server(argv=None):
    """The object agent of this host, and its object server over HTTP."""
    cmd.parse(argv)
    from cloudstack.conf import CONF
    from cloudstack.object_store import ring, server as object_server_app
    try:
        bind = ring.parse_bind(CONF.object_store.object_server_bind)
    except ring.RingError as e:
        raise SystemExit('[object_store] object_server_bind: %s' % e)
    if bind is not None:
        if not CONF.object_store.object_server_key:
            raise SystemExit('[object_store] object_server_bind needs object_server_key: '
                             'the object server takes no unsigned requests')
        import eventlet
        import eventlet.wsgi
        sock = eventlet.listen(bind)
        eventlet.spawn(eventlet.wsgi.server, sock, object_server_app.app_from_config(),
                       log=server.ACCESS_LOG, log_format=server.ACCESS_FORMAT,
                       socket_timeout=CONF.object_store.object_server_node_timeout * 3)
    server.run_engine(roles=('object',), short='cs-object', title='object agent')
    return 0
