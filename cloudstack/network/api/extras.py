"""What is not a plain collection: router and pool actions, tags, quotas,
agent scheduling, availability zones, IP availability, service providers and
floating IP pools."""
from cloudstack.api import wsgi
from cloudstack.network import exceptions as exc
from cloudstack.network import manager
from cloudstack.network.api import attributes
from cloudstack.network.api import base
from cloudstack.network.api import resources


def _json_object(req, key=None):
    body = req.json_body()
    if not isinstance(body, dict) or (key is not None and not isinstance(body.get(key),
                                                                         dict)):
        raise exc.BadRequest('Body contains invalid data')
    return body[key] if key is not None else body


class Actions:
    """PUT /<collection>/{id}/<action> on routers, subnet pools and address
    groups."""

    def __init__(self):
        self.manager = manager.get()
        self.routers = resources.Routers()
        self.pools = resources.SubnetPools()
        self.groups = resources.AddressGroups()

    def _authorize(self, req, resource, item_id, rule):
        auth = base.Authorizer(req.context)
        _item, target = resource.existing(req.context, auth, item_id)
        auth.enforce(rule, target)
        return auth

    def add_router_interface(self, req, id):
        self._authorize(req, self.routers, id, 'add_router_interface')
        return self.manager.add_router_interface(req.context, id, _json_object(req))

    def remove_router_interface(self, req, id):
        self._authorize(req, self.routers, id, 'remove_router_interface')
        return self.manager.remove_router_interface(req.context, id, _json_object(req))

    def _routes(self, req, id, add):
        rule = 'add_extraroutes' if add else 'remove_extraroutes'
        self._authorize(req, self.routers, id, rule)
        body = _json_object(req, 'router')
        routes = attributes.convert('routes', attributes.Attr('dicts'), body.get('routes'))
        return {'router': self.manager.change_routes(req.context, id, routes, add)}

    def add_extraroutes(self, req, id):
        return self._routes(req, id, True)

    def remove_extraroutes(self, req, id):
        return self._routes(req, id, False)

    def _prefixes(self, req, id, add):
        self._authorize(req, self.pools, id, 'add_prefixes' if add else 'remove_prefixes')
        body = _json_object(req)
        prefixes = attributes.convert('prefixes', attributes.Attr('strings'),
                                      body.get('prefixes'))
        return {'prefixes': self.manager.change_prefixes(req.context, id, prefixes, add)}

    def add_prefixes(self, req, id):
        return self._prefixes(req, id, True)

    def remove_prefixes(self, req, id):
        return self._prefixes(req, id, False)

    def _addresses(self, req, id, add):
        self._authorize(req, self.groups, id, 'add_addresses' if add else 'remove_addresses')
        body = _json_object(req)
        addresses = attributes.convert('addresses', attributes.Attr('strings'),
                                       body.get('addresses'))
        return {'address_group': self.manager.change_addresses(req.context, id, addresses,
                                                               add)}

    def add_addresses(self, req, id):
        return self._addresses(req, id, True)

    def remove_addresses(self, req, id):
        return self._addresses(req, id, False)


class Tags:
    """/<collection>/{id}/tags[/{tag}] (standard-attr-tag)."""

    RESOURCES = {cls.collection: cls for cls in (
        resources.Networks, resources.Subnets, resources.Ports, resources.Routers,
        resources.FloatingIPs, resources.SecurityGroups, resources.SubnetPools,
        resources.AddressScopes)}

    def __init__(self):
        self.manager = manager.get()
        self.resources = {name: cls() for name, cls in self.RESOURCES.items()}

    def _authorize(self, req, collection, resource_id, action):
        resource = self.resources.get(collection)
        if resource is None:
            raise exc.NotFound('The resource could not be found.')
        auth = base.Authorizer(req.context)
        _item, target = resource.existing(req.context, auth, resource_id)
        resource._enforce_known(auth, '%s_%s:tags' % (action, resource.name), target)

    def index(self, req, collection, id):
        self._authorize(req, collection, id, 'get')
        return {'tags': self.manager.get_tags(req.context, collection, id)}

    def show(self, req, collection, id, tag):
        self._authorize(req, collection, id, 'get')
        self.manager.has_tag(req.context, collection, id, tag)

    def replace(self, req, collection, id):
        self._authorize(req, collection, id, 'update')
        body = _json_object(req)
        tags = attributes.convert('tags', attributes.Attr('strings'), body.get('tags'))
        return {'tags': self.manager.replace_tags(req.context, collection, id, tags)}

    @wsgi.response(201)
    def add(self, req, collection, id, tag):
        self._authorize(req, collection, id, 'update')
        self.manager.add_tag(req.context, collection, id, tag)

    def delete(self, req, collection, id, tag):
        self._authorize(req, collection, id, 'delete')
        self.manager.delete_tag(req.context, collection, id, tag)

    def delete_all(self, req, collection, id):
        self._authorize(req, collection, id, 'delete')
        self.manager.delete_tags(req.context, collection, id)


class Quotas:

    def __init__(self):
        self.manager = manager.get()

    def _authorize(self, req, rule, project_id):
        base.Authorizer(req.context).enforce(rule, {'project_id': project_id,
                                                    'tenant_id': project_id})

    def index(self, req):
        auth = base.Authorizer(req.context)
        return {'quotas': [q for q in self.manager.list_quotas(req.context)
                           if auth.allowed('get_quota', q)]}

    def tenant(self, req):
        return {'tenant': {'tenant_id': req.context.project_id}}

    def show(self, req, project_id):
        self._authorize(req, 'get_quota', project_id)
        return {'quota': self.manager.get_quota(req.context, project_id)}

    def defaults(self, req, project_id):
        self._authorize(req, 'get_quota', project_id)
        return {'quota': self.manager.get_quota_defaults(req.context, project_id)}

    def details(self, req, project_id):
        self._authorize(req, 'get_quota', project_id)
        return {'quota': self.manager.get_quota_details(req.context, project_id)}

    def update(self, req, project_id):
        self._authorize(req, 'update_quota', project_id)
        body = _json_object(req, 'quota')
        return {'quota': self.manager.update_quota(req.context, project_id, body)}

    def delete(self, req, project_id):
        self._authorize(req, 'delete_quota', project_id)
        self.manager.delete_quota(req.context, project_id)


class Scheduling:
    """Which agents serve which networks (DHCP) and routers (L3)."""

    def __init__(self):
        self.manager = manager.get()
        self.networks = resources.Networks()
        self.routers = resources.Routers()
        self.agents = resources.Agents()

    def _enforce(self, req, rule):
        base.Authorizer(req.context).enforce(rule, {'project_id': req.context.project_id})

    def dhcp_networks(self, req, id):
        self._enforce(req, 'get_dhcp-networks')
        items = self.manager.list_networks_on_dhcp_agent(req.context, id)
        auth = base.Authorizer(req.context)
        return {'networks': self.networks.visible(
            auth, items, self.networks.targets(req.context, items))}

    @wsgi.response(201)
    def add_dhcp_network(self, req, id):
        self._enforce(req, 'create_dhcp-network')
        body = _json_object(req)
        network_id = body.get('network_id')
        if not network_id:
            raise exc.BadRequest('network_id is required')
        self.manager.add_network_to_dhcp_agent(req.context, id, network_id)
        return None

    def remove_dhcp_network(self, req, id, network_id):
        self._enforce(req, 'delete_dhcp-network')
        self.manager.remove_network_from_dhcp_agent(req.context, id, network_id)

    def dhcp_agents(self, req, id):
        self._enforce(req, 'get_dhcp-agents')
        return {'agents': self.manager.list_dhcp_agents_hosting_network(req.context, id)}

    def l3_routers(self, req, id):
        self._enforce(req, 'get_l3-routers')
        items = self.manager.list_routers_on_l3_agent(req.context, id)
        return {'routers': items}

    @wsgi.response(201)
    def add_l3_router(self, req, id):
        self._enforce(req, 'create_l3-router')
        body = _json_object(req)
        if not body.get('router_id'):
            raise exc.BadRequest('router_id is required')
        self.manager.add_router_to_l3_agent(req.context, id, body['router_id'])
        return None

    def remove_l3_router(self, req, id, router_id):
        self._enforce(req, 'delete_l3-router')
        self.manager.remove_router_from_l3_agent(req.context, id, router_id)

    def l3_agents(self, req, id):
        self._enforce(req, 'get_l3-agents')
        return {'agents': self.manager.list_l3_agents_hosting_router(req.context, id)}


class Lists:
    """Read-only lists: availability zones, IP availability, service
    providers, floating IP pools."""

    def __init__(self):
        self.manager = manager.get()

    def availability_zones(self, req):
        base.Authorizer(req.context).enforce('get_availability_zone', {})
        query = base.parse_query(req)
        zones = self.manager.list_availability_zones(req.context, query)
        return {'availability_zones': [base.select(z, query.fields) for z in zones]}

    def ip_availabilities(self, req):
        query = base.parse_query(req)
        auth = base.Authorizer(req.context)
        items = [i for i in self.manager.list_network_ip_availabilities(req.context, query)
                 if auth.allowed('get_network_ip_availability', i)]
        return {'network_ip_availabilities': [base.select(i, query.fields) for i in items]}

    def ip_availability(self, req, id):
        item = self.manager.get_network_ip_availability(req.context, id)
        if not base.Authorizer(req.context).allowed('get_network_ip_availability', item):
            raise exc.not_found('network', id)
        return {'network_ip_availability': item}

    def service_providers(self, req):
        base.Authorizer(req.context).enforce('get_service_provider', {})
        return {'service_providers': [{'service_type': 'L3_ROUTER_NAT',
                                       'name': 'default', 'default': True}]}

    def floatingip_pools(self, req):
        auth = base.Authorizer(req.context)
        pools = []
        for subnet in self.manager.list_subnets(req.context, {'router:external': ['True']}):
            if subnet['ip_version'] != 4:
                continue
            item = {'subnet_id': subnet['id'], 'subnet_name': subnet['name'],
                    'network_id': subnet['network_id'], 'project_id': subnet['project_id'],
                    'tenant_id': subnet['project_id']}
            if auth.allowed('get_floatingip_pool', dict(item, project_id=
                                                        req.context.project_id)):
                pools.append(item)
        return {'floatingip_pools': pools}
