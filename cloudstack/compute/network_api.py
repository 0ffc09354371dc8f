"""Compute's use of Networking, through its manager only (doc/design.md).

Networking is present when its manager is installed; without it servers
boot with no network, and asking for one is a 400. Ports are created (or the
user's ports bound) by the compute agent of the server's host, with
binding:host_id set to it; a server's VIFs (virt/driver.py's shape) are kept
in its network_info."""
import functools
import importlib.util
import logging

from cloudstack import context as cs_context
from cloudstack import exception

LOG = logging.getLogger(__name__)


@functools.lru_cache(maxsize=None)
def enabled():
    """Whether the service is installed (asked once per process)."""
    try:
        return importlib.util.find_spec('cloudstack.network.manager') is not None
    except ModuleNotFoundError:
        return False


def manager():
    from cloudstack.network import manager as network_manager
    return network_manager.get()


def project_context(inst):
    """Compute acting for the server's owner inside Networking."""
    return cs_context.RequestContext(user_id=inst.user_id, project_id=inst.project_id,
                                     roles=['member'])


# Validation at the API ---------------------------------------------------------

def _usable_networks(ctx):
    return [n for n in manager().list_networks(ctx)
            if not n.get('router:external') and n.get('status', 'ACTIVE') == 'ACTIVE'
            and (n.get('project_id') == ctx.project_id or n.get('shared'))]


def validate_requested(ctx, requested):
    """Check the networks a create asks for; returns what to store.

    `requested`: 'auto', 'none', None (not given) or [{'uuid', 'port',
    'fixed_ip', 'tag'}]."""
    if requested == 'none' or not enabled():
        if isinstance(requested, list) and requested:
            raise exception.BadRequest('Networking is not available in this cloud; '
                                       'servers can only be created without networks.')
        return requested
    net = manager()
    if requested in (None, 'auto'):
        usable = _usable_networks(ctx)
        if len(usable) > 1:
            raise exception.Conflict('Multiple possible networks found, use a Network ID '
                                     'to be more specific.')
        return requested
    for item in requested:
        if item.get('port'):
            try:
                port = net.get_port(ctx, item['port'])
            except exception.NotFound:
                raise exception.BadRequest('Port %s could not be found.' % item['port'])
            if port.get('device_id'):
                raise exception.Conflict('Port %s is still in use.' % item['port'])
        else:
            try:
                net.get_network(ctx, item['uuid'])
            except exception.NotFound:
                raise exception.BadRequest('Network %s could not be found.' % item['uuid'])
    return requested


# The agent's side -------------------------------------------------------------

def _vif(net, port, network, subnets, tag=None, preserve=False):
    by_id = {s['id']: s for s in subnets}
    out_subnets = {}
    for ip in port.get('fixed_ips') or []:
        subnet = by_id.get(ip['subnet_id'])
        if subnet is None:
            continue
        entry = out_subnets.setdefault(subnet['id'], {
            'id': subnet['id'], 'cidr': subnet['cidr'], 'version': subnet['ip_version'],
            'gateway': subnet.get('gateway_ip'), 'dns': subnet.get('dns_nameservers') or [],
            'routes': [{'destination': r['destination'], 'nexthop': r['nexthop']}
                       for r in subnet.get('host_routes') or []],
            'ips': [], 'dhcp_server': None,
            'ipv6_address_mode': subnet.get('ipv6_address_mode')})
        entry['ips'].append({'address': ip['ip_address'], 'floating_ips': []})
    details = port.get('binding:vif_details') or {}
    return {'id': port['id'], 'address': port['mac_address'],
            'devname': 'tap' + port['id'][:11],
            'bridge': details.get('bridge_name') or 'brq' + network['id'][:11],
            'mtu': network.get('mtu'), 'vif_type': port.get('binding:vif_type') or 'bridge',
            'active': port.get('status') == 'ACTIVE', 'tag': tag,
            'preserve_on_delete': preserve,
            'network': {'id': network['id'], 'label': network['name'],
                        'subnets': list(out_subnets.values())}}


def _group_ids(net, ctx, names):
    if names is None:
        return None
    ids = []
    for name in names:
        found = net.list_security_groups(ctx, name=name, project_id=ctx.project_id) or \
            [g for g in net.list_security_groups(ctx, project_id=ctx.project_id)
             if g['id'] == name]
        if not found:
            raise exception.BadRequest('Security group %s not found for project %s.'
                                       % (name, ctx.project_id))
        ids.append(found[0]['id'])
    return ids


def validate_security_groups(ctx, names):
    """The groups a create asks for exist in the caller's project (else 400)."""
    if enabled() and names:
        _group_ids(manager(), ctx, names)


def check_bound(port):
    """A port no network agent of the host could bind fails the build (Nova's
    libvirt driver raises this on vif_type binding_failed)."""
    if port.get('binding:vif_type') == 'binding_failed':
        raise exception.CloudstackError('Unexpected vif_type=binding_failed: port %s could '
                                        'not be bound to host %s' % (
                                            port['id'], port.get('binding:host_id')))


def allocate_for_instance(ctx, inst, host):
    """Create or bind the server's ports on `host`; the VIF list. Idempotent:
    the ports a previous attempt made are found by device_id."""
    sysmeta = inst.system_metadata or {}
    requested = sysmeta.get('networks')
    if not enabled() or requested == 'none':
        return []
    net = manager()
    pctx = project_context(inst)
    if requested in (None, 'auto'):
        usable = _usable_networks(pctx)
        requested = [{'uuid': usable[0]['id']}] if len(usable) == 1 else []
    existing = {p['network_id']: p for p in net.list_ports(pctx, device_id=inst.uuid)}
    groups = _group_ids(net, pctx, sysmeta.get('security_groups'))
    owner = 'compute:%s' % (inst.availability_zone or 'nova')
    vifs = []
    for item in requested:
        binding = {'device_id': inst.uuid, 'device_owner': owner, 'binding:host_id': host}
        if item.get('port'):
            port = net.update_port(pctx, item['port'], dict(binding))
            preserve = True
        elif item['uuid'] in existing:
            port = existing.pop(item['uuid'])
            if port.get('binding:host_id') != host:
                port = net.update_port(pctx, port['id'], {'binding:host_id': host})
            preserve = False
        else:
            body = dict(binding, network_id=item['uuid'], tenant_id=inst.project_id)
            if item.get('fixed_ip'):
                body['fixed_ips'] = [{'ip_address': item['fixed_ip']}]
            if groups is not None:
                body['security_groups'] = groups
            port = net.create_port(pctx, body)
            preserve = False
        check_bound(port)
        network = net.get_network(pctx, port['network_id'])
        subnets = net.list_subnets(pctx, network_id=network['id'])
        vifs.append(_vif(net, port, network, subnets, item.get('tag'), preserve))
    return vifs


def refresh(ctx, inst):
    """The server's VIFs as Networking has them now (addresses, floating IPs)."""
    if not enabled() or not inst.network_info:
        return inst.network_info or []
    net = manager()
    pctx = admin()
    out = []
    for vif in inst.network_info:
        try:
            port = net.get_port(pctx, vif['id'])
        except exception.NotFound:
            continue
        network = net.get_network(pctx, port['network_id'])
        subnets = net.list_subnets(pctx, network_id=network['id'])
        fresh = _vif(net, port, network, subnets, vif.get('tag'),
                     vif.get('preserve_on_delete', False))
        floating = net.list_floatingips(pctx, port_id=port['id'])
        for subnet in fresh['network']['subnets']:
            for ip in subnet['ips']:
                ip['floating_ips'] = [f['floating_ip_address'] for f in floating
                                      if f.get('fixed_ip_address') == ip['address']]
        out.append(fresh)
    return out


def current(inst):
    """The server's VIFs as Networking has them now; the ones last stored
    when Networking cannot answer."""
    try:
        return refresh(None, inst)
    except Exception:
        LOG.warning('reading the ports of server %s from Networking failed; using '
                    'its stored network info', inst.uuid, exc_info=True)
        return inst.network_info or []


def pending_ports(ctx, inst, vifs):
    """The ids of the server's ports that are not ACTIVE yet."""
    if not enabled() or not vifs:
        return []
    net = manager()
    pctx = project_context(inst)
    out = []
    for vif in vifs:
        try:
            if net.get_port(pctx, vif['id']).get('status') != 'ACTIVE':
                out.append(vif['id'])
        except exception.NotFound:
            out.append(vif['id'])
    return out


def deallocate_for_instance(ctx, inst):
    """Delete the ports Compute created for the server, unbind the user's."""
    if not enabled():
        return
    net = manager()
    pctx = project_context(inst)
    preserved = {item['port'] for item in (
        (inst.system_metadata or {}).get('networks') or []) if isinstance(item, dict)
        and item.get('port')}
    preserved |= {v['id'] for v in inst.network_info or [] if v.get('preserve_on_delete')}
    for port in net.list_ports(pctx, device_id=inst.uuid):
        try:
            if port['id'] in preserved:
                net.update_port(pctx, port['id'], {'device_id': '', 'device_owner': '',
                                                   'binding:host_id': ''})
            else:
                net.delete_port(pctx, port['id'])
        except exception.NotFound:
            pass


def attach_interface(ctx, inst, host, net_id=None, port_id=None, fixed_ips=None, tag=None):
    net = manager()
    pctx = project_context(inst)
    owner = 'compute:%s' % (inst.availability_zone or 'nova')
    binding = {'device_id': inst.uuid, 'device_owner': owner, 'binding:host_id': host}
    if port_id:
        port = net.get_port(pctx, port_id)
        if port.get('device_id'):
            raise exception.Conflict('Port %s is still in use.' % port_id)
        port = net.update_port(pctx, port_id, binding)
        preserve = True
    else:
        if net_id is None:
            usable = _usable_networks(pctx)
            if len(usable) != 1:
                raise exception.BadRequest('Please give a network (net_id) or a port.')
            net_id = usable[0]['id']
        body = dict(binding, network_id=net_id, tenant_id=inst.project_id)
        if fixed_ips:
            body['fixed_ips'] = [{'ip_address': f['ip_address']} for f in fixed_ips]
        port = net.create_port(pctx, body)
        preserve = False
    network = net.get_network(pctx, port['network_id'])
    subnets = net.list_subnets(pctx, network_id=network['id'])
    return _vif(net, port, network, subnets, tag, preserve)


def detach_interface(ctx, inst, vif):
    net = manager()
    pctx = project_context(inst)
    try:
        if vif.get('preserve_on_delete'):
            net.update_port(pctx, vif['id'], {'device_id': '', 'device_owner': '',
                                              'binding:host_id': ''})
        else:
            net.delete_port(pctx, vif['id'])
    except exception.NotFound:
        pass


def rebind(ctx, inst, host):
    """Point the server's ports at its new host (migrations, evacuate)."""
    if not enabled():
        return
    net = manager()
    pctx = project_context(inst)
    for vif in inst.network_info or []:
        try:
            net.update_port(pctx, vif['id'], {'binding:host_id': host})
        except exception.NotFound:
            pass


# Views for the API ----------------------------------------------------------------

def admin():
    return cs_context.RequestContext.admin()


def security_group_bindings(recs):
    """{server uuid: [{'name': group}]} of the servers' ports' groups, in two
    queries for the whole list (a server without groups has no key, as Nova
    shows it); without Networking, the names each server was given."""
    out = {}
    with_ports = [r['uuid'] for r in recs if r.get('network_info')]
    if enabled() and with_ports:
        net = manager()
        groups_of = {}
        for port in net.list_ports(admin(), device_id=with_ports):
            for gid in port.get('security_groups') or []:
                groups_of.setdefault(port['device_id'], []).append(gid)
        wanted = sorted({g for ids in groups_of.values() for g in ids})
        names = {g['id']: g['name'] for g in net.list_security_groups(admin(), id=wanted)} \
            if wanted else {}
        for uuid, ids in groups_of.items():
            found = sorted({names[g] for g in ids if g in names})
            if found:
                out[uuid] = [{'name': n} for n in found]
    if not enabled():
        for rec in recs:
            out[rec['uuid']] = [{'name': n} for n in _groups(rec.get('system_metadata'))]
    return out


def _groups(sysmeta):
    """The security group names a server without Networking keeps
    (None: never set, the default group)."""
    found = (sysmeta or {}).get('security_groups')
    return ['default'] if found is None else list(found)


def interface_view(req, rec, vif):
    ips = [{'ip_address': ip['address'], 'subnet_id': subnet.get('id')}
           for subnet in (vif.get('network') or {}).get('subnets') or []
           for ip in subnet.get('ips') or []]
    out = {'port_id': vif['id'], 'net_id': (vif.get('network') or {}).get('id'),
           'mac_addr': vif.get('address'), 'port_state': 'ACTIVE' if vif.get('active')
           else 'DOWN', 'fixed_ips': ips}
    from cloudstack.compute.api import common
    if common.at_least(req, '2.70'):
        out['tag'] = vif.get('tag')
    return out


def _server_ports_groups(ctx, inst, name):
    """(Networking, the server's ports, the id of its project's group `name`)."""
    net = manager()
    found = [g for g in net.list_security_groups(ctx, project_id=inst.project_id)
             if name in (g['name'], g['id'])]
    if not found:
        raise exception.NotFound('Security group %s not found for project %s.'
                                 % (name, inst.project_id))
    if len(found) > 1:
        raise exception.Conflict('Multiple security groups found matching %s. Use an '
                                 'ID to be more specific.' % name)
    ports = net.list_ports(ctx, device_id=inst.uuid)
    if not ports:
        raise exception.NotFound('instance_id %s could not be found as device id on '
                                 'any ports' % inst.uuid)
    return net, ports, found[0]['id']


def add_security_group(ctx, inst, name):
    """Add a security group to the server's ports (without Networking, to the
    names it keeps; the caller writes them)."""
    if not enabled():
        groups = _groups(inst.system_metadata)
        if name not in groups:
            groups.append(name)
        inst.system_metadata = dict(inst.system_metadata or {}, security_groups=groups)
        return
    net, ports, group_id = _server_ports_groups(ctx, inst, name)
    for port in ports:
        if not port.get('port_security_enabled', True) or not port.get('fixed_ips'):
            raise exception.BadRequest('Cannot add security group %s to %s since the port '
                                       '%s does not meet security requirements'
                                       % (name, inst.uuid, port['id']))
    for port in ports:
        if group_id not in port['security_groups']:
            try:
                net.update_port(ctx, port['id'], {
                    'security_groups': port['security_groups'] + [group_id]})
            except exception.CloudstackError as exc:
                if exc.code >= 500:
                    raise
                raise exception.BadRequest(exc.message)


def remove_security_group(ctx, inst, name):
    if not enabled():
        groups = _groups(inst.system_metadata)
        if name not in groups:
            raise exception.NotFound('Security group %s not associated with the instance'
                                     % name)
        groups.remove(name)
        inst.system_metadata = dict(inst.system_metadata or {}, security_groups=groups)
        return
    net, ports, group_id = _server_ports_groups(ctx, inst, name)
    found = False
    for port in ports:
        if group_id in port['security_groups']:
            found = True
            net.update_port(ctx, port['id'], {'security_groups': [
                g for g in port['security_groups'] if g != group_id]})
    if not found:
        raise exception.NotFound('Security group %s not associated with the instance'
                                 % name)


def list_networks(ctx):
    """The networks the caller may use (Neutron network dicts)."""
    if not enabled():
        return []
    return manager().list_networks(ctx)
