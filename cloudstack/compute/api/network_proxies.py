"""Nova's deprecated network proxies, served until microversion 2.36 from
Networking's manager (cloudstack/compute/network_proxy.py): os-networks,
os-tenant-networks, os-security-groups, os-security-group-rules,
os-floating-ips and os-floating-ip-pools."""
import webob

from cloudstack import exception
from cloudstack.compute import network_api, network_proxy
from cloudstack.compute.api import common

P = 'os_compute_api:'


def _allow(req, rule):
    """Gone from microversion 2.36 (404), else authorized by `rule`."""
    if common.at_least(req, '2.36'):
        raise exception.NotFound('The resource could not be found.')
    common.authorize(req, P + rule)


def _accepted():
    return webob.Response(status=202, content_type=None)


def _member(req, key, message):
    """The body's object under `key` (Nova's proxies check by hand)."""
    body = req.json_body()
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise exception.BadRequest(message)
    return value


def _text(value, name):
    if not isinstance(value, str) or len(value) > 255:
        raise exception.BadRequest('%s has to be a string of at most 255 characters.'
                                   % name)
    return value


def _offset_page(req, items):
    """Nova's limit/offset paging of the older proxies."""
    try:
        offset = int(req.GET.get('offset', 0))
        limit = int(req.GET['limit']) if 'limit' in req.GET else None
    except ValueError:
        raise exception.BadRequest('limit and offset must be integers')
    if offset < 0 or (limit is not None and limit < 0):
        raise exception.BadRequest('limit and offset must be positive')
    return items[offset:] if limit is None else items[offset:offset + limit]


class Networks:
    """/os-networks and /os-tenant-networks, read from Networking's manager."""

    def __init__(self, prefix):
        self.prefix = prefix

    def _view(self, net):
        if self.prefix == 'os-tenant-networks':
            return {'id': net['id'], 'label': net['name'], 'cidr': None}
        out = {key: None for key in (
            'bridge', 'bridge_interface', 'broadcast', 'cidr', 'cidr_v6', 'created_at',
            'deleted', 'deleted_at', 'dhcp_server', 'dhcp_start', 'dns1', 'dns2',
            'enable_dhcp', 'gateway', 'gateway_v6', 'host', 'injected', 'mtu', 'multi_host',
            'netmask', 'netmask_v6', 'priority', 'project_id', 'rxtx_base',
            'share_address', 'updated_at', 'vlan', 'vpn_private_address',
            'vpn_public_address', 'vpn_public_port')}
        out.update({'id': net['id'], 'label': net['name']})
        return out

    def index(self, req):
        _allow(req, '%s:list' % self.prefix)
        return {'networks': [self._view(n) for n in network_api.list_networks(req.context)]}

    def show(self, req, network_id):
        _allow(req, '%s:show' % self.prefix)
        for net in network_api.list_networks(req.context):
            if net['id'] == network_id:
                return {'network': self._view(net)}
        raise exception.NotFound('Network %s could not be found.' % network_id)


class SecurityGroups:
    def index(self, req):
        _allow(req, 'os-security-groups:get')
        everyone = common.strip_bool(req.GET.get('all_tenants', '0')) and \
            req.context.all_projects
        groups = network_proxy.list_security_groups(req.context, all_projects=everyone)
        return {'security_groups': _offset_page(req, groups)}

    def show(self, req, id):
        _allow(req, 'os-security-groups:show')
        return {'security_group': network_proxy.get_security_group(req.context, id)}

    def _body(self, req):
        group = _member(req, 'security_group', 'security_group not specified')
        return _text(group.get('name'), 'name'), _text(group.get('description'),
                                                       'description')

    def create(self, req):
        _allow(req, 'os-security-groups:create')
        name, description = self._body(req)
        return {'security_group': network_proxy.create_security_group(
            req.context, name, description)}

    def update(self, req, id):
        _allow(req, 'os-security-groups:update')
        name, description = self._body(req)
        return {'security_group': network_proxy.update_security_group(
            req.context, id, name, description)}

    def delete(self, req, id):
        _allow(req, 'os-security-groups:delete')
        network_proxy.delete_security_group(req.context, id)
        return _accepted()


class SecurityGroupRules:
    def create(self, req):
        _allow(req, 'os-security-groups:rule:create')
        rule = _member(req, 'security_group_rule', 'Missing parameter dict')
        if not rule.get('parent_group_id'):
            raise exception.BadRequest('Security group id should be uuid')
        return {'security_group_rule': network_proxy.create_security_group_rule(
            req.context, rule['parent_group_id'], rule.get('ip_protocol'),
            rule.get('from_port'), rule.get('to_port'), rule.get('cidr'),
            rule.get('group_id'))}

    def delete(self, req, id):
        _allow(req, 'os-security-groups:rule:delete')
        network_proxy.delete_security_group_rule(req.context, id)
        return _accepted()


class FloatingIPs:
    def index(self, req):
        _allow(req, 'os-floating-ips:list')
        return {'floating_ips': network_proxy.list_floating_ips(req.context)}

    def show(self, req, id):
        _allow(req, 'os-floating-ips:show')
        return {'floating_ip': network_proxy.get_floating_ip(req.context, id)}

    def create(self, req):
        _allow(req, 'os-floating-ips:create')
        body = req.json_body() if req.body else None
        pool = body.get('pool') if isinstance(body, dict) else None
        if pool is not None and not isinstance(pool, str):
            raise exception.BadRequest('pool has to be a string')
        return {'floating_ip': network_proxy.create_floating_ip(req.context, pool)}

    def delete(self, req, id):
        _allow(req, 'os-floating-ips:delete')
        network_proxy.delete_floating_ip(req.context, id)
        return _accepted()


class FloatingIPPools:
    def index(self, req):
        _allow(req, 'os-floating-ip-pools')
        return {'floating_ip_pools': network_proxy.list_floating_ip_pools(req.context)}


def add_routes(router):
    for prefix in ('os-networks', 'os-tenant-networks'):
        n = Networks(prefix)
        router.connect('/' + prefix, n, GET='index')
        router.connect('/%s/{network_id}' % prefix, n, GET='show')
    g = SecurityGroups()
    router.connect('/os-security-groups', g, GET='index', POST='create')
    router.connect('/os-security-groups/{id}', g, GET='show', PUT='update', DELETE='delete')
    r = SecurityGroupRules()
    router.connect('/os-security-group-rules', r, POST='create')
    router.connect('/os-security-group-rules/{id}', r, DELETE='delete')
    f = FloatingIPs()
    router.connect('/os-floating-ips', f, GET='index', POST='create')
    router.connect('/os-floating-ips/{id}', f, GET='show', DELETE='delete')
    router.connect('/os-floating-ip-pools', FloatingIPPools(), GET='index')
