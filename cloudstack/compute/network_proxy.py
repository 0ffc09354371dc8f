"""Nova's deprecated network proxies (before microversion 2.36), served from
Networking's manager as Nova serves them from Neutron: security groups and
their rules, floating IPs and their pools, in Nova's shapes and with Nova's
status codes. The caller's context goes to Networking unchanged: it scopes
what the caller sees (another project's group or address is a 404)."""
import ipaddress
import uuid as uuidlib

from cloudstack import exception
from cloudstack.compute import network_api

# Networking's conflicts (group in use, rule exists, address taken) are
# Nova's 400s in these proxies.
_AS_BAD_REQUEST = (exception.Conflict,)


def _net():
    if not network_api.enabled():
        raise exception.NotFound('Networking is not available in this cloud.')
    return network_api.manager()


def _call(method, *args, not_found=None):
    """A Networking call with its errors in Nova's words and codes."""
    try:
        return method(*args)
    except exception.NotFound as exc:
        raise exception.NotFound(not_found or exc.message)
    except _AS_BAD_REQUEST as exc:
        raise exception.BadRequest(exc.message)
    except exception.Forbidden as exc:
        raise exception.Forbidden(exc.message)


def check_uuid(value, what='Security group id'):
    try:
        uuidlib.UUID(str(value))
    except ValueError:
        raise exception.BadRequest('%s should be uuid' % what)
    return str(value)


# Security groups ----------------------------------------------------------------

def _cidr(prefix):
    return prefix or '0.0.0.0/0'


def rule_view(rule, group_names):
    """A Neutron ingress rule as Nova shows it."""
    protocol = rule['protocol']
    low, high = rule['port_range_min'], rule['port_range_max']
    if protocol is not None and low is None and high is None:
        low, high = (1, 65535) if str(protocol).lower() in ('tcp', 'udp', '6', '17') \
            else (-1, -1)
    out = {'id': rule['id'], 'parent_group_id': rule['security_group_id'],
           'ip_protocol': protocol, 'from_port': low, 'to_port': high,
           'group': {}, 'ip_range': {}}
    if rule['remote_group_id']:
        name, project = group_names.get(rule['remote_group_id'], (None, None))
        if name is not None:
            out['group'] = {'name': name, 'tenant_id': project}
    else:
        out['ip_range'] = {'cidr': _cidr(rule['remote_ip_prefix'])}
    return out


def group_view(group, group_names=None):
    names = dict(group_names or {})
    names[group['id']] = (group['name'], group['project_id'])
    return {'id': group['id'], 'name': group['name'],
            'description': group.get('description') or '',
            'tenant_id': group['project_id'],
            'rules': [rule_view(r, names) for r in group['security_group_rules']
                      if r['direction'] == 'ingress']}


def _remote_names(ctx, groups):
    """{group id: (name, project)} of the groups the rules name as remote."""
    wanted = {r['remote_group_id'] for g in groups for r in g['security_group_rules']
              if r['remote_group_id']} - {g['id'] for g in groups}
    names = {g['id']: (g['name'], g['project_id']) for g in groups}
    if wanted:
        for g in _net().list_security_groups(ctx, id=sorted(wanted)):
            names[g['id']] = (g['name'], g['project_id'])
    return names


def list_security_groups(ctx, all_projects=False):
    filters = {} if all_projects else {'project_id': ctx.project_id}
    groups = _net().list_security_groups(ctx, **filters)
    names = _remote_names(ctx, groups)
    return sorted((group_view(g, names) for g in groups),
                  key=lambda g: (g['tenant_id'], g['name']))


def _group(ctx, group_id):
    check_uuid(group_id)
    return _call(_net().get_security_group, ctx, group_id,
                 not_found='Security group %s not found.' % group_id)


def get_security_group(ctx, group_id):
    group = _group(ctx, group_id)
    return group_view(group, _remote_names(ctx, [group]))


def create_security_group(ctx, name, description):
    group = _call(_net().create_security_group, ctx,
                  {'name': name, 'description': description, 'tenant_id': ctx.project_id})
    return group_view(group)


def update_security_group(ctx, group_id, name, description):
    _group(ctx, group_id)
    group = _call(_net().update_security_group, ctx, group_id,
                  {'name': name, 'description': description})
    return group_view(group, _remote_names(ctx, [group]))


def delete_security_group(ctx, group_id):
    _group(ctx, group_id)
    _call(_net().delete_security_group, ctx, group_id)


def _port_range(protocol, from_port, to_port):
    """Nova's checks of an ingress rule's protocol and ports; the Neutron
    (protocol, port_range_min, port_range_max)."""
    if protocol is None:
        if from_port is not None or to_port is not None:
            raise exception.BadRequest('Invalid IP protocol None.')
        return None, None, None
    text = str(protocol).strip().lower()
    if text not in ('tcp', 'udp', 'icmp') and not text.isdigit():
        raise exception.BadRequest('Invalid IP protocol %s.' % protocol)
    try:
        low, high = int(from_port), int(to_port)
    except (TypeError, ValueError):
        raise exception.BadRequest('Invalid port range %s:%s. Ports must be integers.'
                                   % (from_port, to_port))
    if text in ('tcp', 'udp'):
        if low > high:
            raise exception.BadRequest('Invalid port range %s:%s. Former value cannot '
                                       'be greater than the later' % (low, high))
        if low < 1 or high > 65535:
            raise exception.BadRequest('Invalid port range %s:%s. Valid %s ports should '
                                       'be between 1-65535' % (low, high, text.upper()))
        return text, low, high
    if text == 'icmp':
        if not (-1 <= low <= 255 and -1 <= high <= 255):
            raise exception.BadRequest('Invalid port range %s:%s. For ICMP, the '
                                       'type:code must be valid' % (low, high))
        if low == -1:
            return text, None, None
        return text, low, None if high == -1 else high
    return text, None, None


def create_security_group_rule(ctx, parent_group_id, ip_protocol=None, from_port=None,
                               to_port=None, cidr=None, group_id=None):
    parent = _group(ctx, check_uuid(parent_group_id))
    protocol, low, high = _port_range(ip_protocol, from_port, to_port)
    body = {'security_group_id': parent['id'], 'direction': 'ingress',
            'protocol': protocol, 'port_range_min': low, 'port_range_max': high,
            'tenant_id': parent['project_id']}
    names = {}
    if group_id:
        remote = _group(ctx, check_uuid(group_id))
        body.update(remote_group_id=remote['id'], ethertype='IPv4')
        names[remote['id']] = (remote['name'], remote['project_id'])
    else:
        try:
            network = ipaddress.ip_network(cidr or '0.0.0.0/0', strict=False)
        except ValueError:
            raise exception.BadRequest('Invalid cidr %s.' % cidr)
        # kept as given (Networking keeps it so too, and shows its normalized_cidr)
        body.update(remote_ip_prefix=cidr or str(network),
                    ethertype='IPv%d' % network.version)
    rule = _call(_net().create_security_group_rule, ctx, body)
    return rule_view(rule, names)


def delete_security_group_rule(ctx, rule_id):
    check_uuid(rule_id, 'Security group rule id')
    _call(_net().delete_security_group_rule, ctx, rule_id,
          not_found='Rule (%s) not found' % rule_id)


def server_groups(ctx, server_uuid):
    """The security groups of a server's ports, in Nova's shape."""
    net = _net()
    group_ids = []
    for port in net.list_ports(ctx, device_id=server_uuid):
        for gid in port.get('security_groups') or []:
            if gid not in group_ids:
                group_ids.append(gid)
    if not group_ids:
        return []
    groups = net.list_security_groups(network_api.admin(), id=group_ids)
    names = _remote_names(network_api.admin(), groups)
    return [group_view(g, names) for g in groups]


# Floating IPs ------------------------------------------------------------------------

def _pools(ctx):
    return {n['id']: n for n in _net().list_networks(ctx, **{'router:external': True})}


def floating_ip_view(fip, pools):
    pool = pools.get(fip['floating_network_id'])
    details = fip.get('port_details') or {}
    return {'id': fip['id'], 'ip': fip['floating_ip_address'],
            'pool': pool['name'] if pool else None,
            'fixed_ip': fip['fixed_ip_address'],
            'instance_id': (details.get('device_id') or None) if fip['port_id'] else None}


def list_floating_ip_pools(ctx):
    return [{'name': n['name']} for n in _pools(ctx).values()]


def list_floating_ips(ctx):
    pools = _pools(ctx)
    return [floating_ip_view(f, pools)
            for f in _net().list_floatingips(ctx, project_id=ctx.project_id)]


def _floating_ip(ctx, fip_id):
    return _call(_net().get_floatingip, ctx, fip_id,
                 not_found='Floating IP %s could not be found' % fip_id)


def get_floating_ip(ctx, fip_id):
    return floating_ip_view(_floating_ip(ctx, fip_id), _pools(ctx))


def create_floating_ip(ctx, pool=None):
    """Allocate an address from the external network named (or with the id) `pool`,
    else from the only one there is."""
    pools = _pools(ctx)
    if pool:
        found = [n for n in pools.values() if pool in (n['id'], n['name'])]
    else:
        found = [n for n in pools.values() if n['name'] == 'public'] or list(pools.values())
    if not found:
        raise exception.NotFound('Floating IP pool not found.')
    if len(found) > 1 and not pool:
        raise exception.BadRequest('Multiple floating IP pools match; give a pool.')
    try:
        fip = _net().create_floatingip(ctx, {'floating_network_id': found[0]['id'],
                                             'tenant_id': ctx.project_id})
    except exception.Conflict as exc:
        if 'Quota' in exc.message or 'quota' in exc.message:
            raise exception.Forbidden('Maximum number of floating IPs exceeded')
        raise exception.NotFound('No more floating IPs in pool %s.' % found[0]['name'])
    return floating_ip_view(fip, pools)


def _server_refresh(ctx, uuid):
    from cloudstack.compute import manager
    manager.get().refresh_network_info(uuid)


def delete_floating_ip(ctx, fip_id):
    fip = _floating_ip(ctx, fip_id)
    _call(_net().delete_floatingip, ctx, fip_id)
    server = (fip.get('port_details') or {}).get('device_id')
    if fip['port_id'] and server:
        _server_refresh(ctx, server)


def _by_address(ctx, address):
    found = _net().list_floatingips(ctx, floating_ip_address=address) if address else []
    if not found:
        raise exception.NotFound('Floating IP not found for address %s.' % address)
    return found[0]


def associate(ctx, server_uuid, address, fixed_address=None):
    """Point the floating IP `address` at a fixed IP of the server's ports."""
    net = _net()
    ports = net.list_ports(ctx, device_id=server_uuid)
    if not ports:
        raise exception.BadRequest('No nw_info cache associated with instance')
    fixed = [(p['id'], ip['ip_address']) for p in ports for ip in p['fixed_ips']]
    if fixed_address:
        chosen = [f for f in fixed if f[1] == fixed_address]
        if not chosen:
            raise exception.BadRequest('Specified fixed address not assigned to instance')
    else:
        chosen = [f for f in fixed if ipaddress.ip_address(f[1]).version == 4]
        if not chosen:
            raise exception.BadRequest('Unable to associate floating IP %s to any fixed '
                                       'IPs for instance %s. Instance has no fixed IPv4 '
                                       'addresses to associate.' % (address, server_uuid))
    fip = _by_address(ctx, address)
    port_id, fixed_ip = chosen[0]
    try:
        net.update_floatingip(ctx, fip['id'], {'port_id': port_id,
                                               'fixed_ip_address': fixed_ip})
    except exception.CloudstackError as exc:
        if exc.code >= 500:
            raise
        raise exception.BadRequest('Unable to associate floating IP %s to fixed IP %s '
                                   'for instance %s. Error: %s' % (address, fixed_ip,
                                                                   server_uuid, exc.message))
    previous = (fip.get('port_details') or {}).get('device_id')
    _server_refresh(ctx, server_uuid)
    if previous and previous != server_uuid:
        _server_refresh(ctx, previous)


def disassociate(ctx, server_uuid, address):
    fip = _by_address(ctx, address)
    if not fip['port_id'] or (fip.get('port_details') or {}).get('device_id') != server_uuid:
        raise exception.Conflict('Floating IP %s is not associated with instance %s.'
                                 % (address, server_uuid))
    _net().update_floatingip(ctx, fip['id'], {'port_id': None})
    _server_refresh(ctx, server_uuid)
