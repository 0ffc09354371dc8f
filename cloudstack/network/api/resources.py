"""The Networking collections: attribute maps and policy targets."""
from cloudstack.network import exceptions as exc
from cloudstack.network.api import attributes
from cloudstack.network.api import base


def _owner(ctx, body):
    project = body.get('project_id') or body.get('tenant_id') or ctx.project_id or ''
    return {'project_id': project, 'tenant_id': project}


def network_facts(manager, ctx, network_ids, visible=False):
    """What policy needs of networks, remembered for the request."""
    known = ctx.__dict__.setdefault('_network_facts', {})
    missing = {i for i in network_ids if i and i not in known}
    if missing:
        known.update(manager.network_facts(ctx, missing, visible=visible))
    return known


class OnNetwork(base.Resource):
    """Ports and subnets: their targets carry their network's owner and
    whether it is shared or external."""

    def targets(self, ctx, items):
        facts = network_facts(self.manager, ctx, [i.get('network_id') for i in items])
        out = []
        for item in items:
            target = dict(item)
            fact = facts.get(item.get('network_id')) or {}
            target['network:project_id'] = target['network:tenant_id'] = fact.get(
                'project_id')
            target['shared'] = fact.get('shared', False)
            target['router:external'] = fact.get('router:external', False)
            out.append(target)
        return out

    def defaults(self, ctx, body):
        network_id = body.get('network_id')
        network = network_facts(self.manager, ctx, [network_id], visible=True).get(
            network_id)
        if network is None:
            raise exc.not_found('network', network_id)
        target = dict(body)
        target.update(_owner(ctx, body))
        target['network:project_id'] = target['network:tenant_id'] = network['project_id']
        target['shared'] = network['shared']
        target['router:external'] = network['router:external']
        target.setdefault('device_owner', '')
        return target


class Networks(base.Resource):
    name, collection, spec = 'network', 'networks', attributes.NETWORK

    def defaults(self, ctx, body):
        target = {'shared': False, 'router:external': False}
        target.update(body)
        target.update(_owner(ctx, body))
        return target


class Subnets(OnNetwork):
    name, collection, spec = 'subnet', 'subnets', attributes.SUBNET


class Ports(OnNetwork):
    name, collection, spec = 'port', 'ports', attributes.PORT


class Routers(base.Resource):
    name, collection, spec = 'router', 'routers', attributes.ROUTER

    def defaults(self, ctx, body):
        return dict(body, **_owner(ctx, body))


class FloatingIPs(base.Resource):
    name, collection, spec = 'floatingip', 'floatingips', attributes.FLOATINGIP

    def defaults(self, ctx, body):
        return dict(body, **_owner(ctx, body))


class SecurityGroups(base.Resource):
    name, collection = 'security_group', 'security-groups'
    spec = attributes.SECURITY_GROUP

    def targets(self, ctx, items):
        return [dict(item, shared=item.get('shared', False)) for item in items]

    def defaults(self, ctx, body):
        return dict(body, shared=False, **_owner(ctx, body))


class SecurityGroupRules(base.Resource):
    name, collection = 'security_group_rule', 'security-group-rules'
    spec = attributes.SECURITY_GROUP_RULE

    def targets(self, ctx, items):
        owners = self.manager.group_owners([i['security_group_id'] for i in items])
        out = []
        for item in items:
            target = dict(item)
            target['security_group:project_id'] = target['security_group:tenant_id'] = \
                owners.get(item['security_group_id'])
            out.append(target)
        return out

    def defaults(self, ctx, body):
        group = self.manager.get_security_group(ctx, body.get('security_group_id'))
        target = dict(body)
        target.update(_owner(ctx, body) if body.get('project_id') or body.get('tenant_id')
                      else {'project_id': group['project_id'],
                            'tenant_id': group['project_id']})
        target['security_group:project_id'] = target['security_group:tenant_id'] = \
            group['project_id']
        return target


class SubnetPools(base.Resource):
    name, collection, spec = 'subnetpool', 'subnetpools', attributes.SUBNETPOOL

    def defaults(self, ctx, body):
        return dict({'shared': False}, **body, **_owner(ctx, body))


class AddressScopes(base.Resource):
    name, collection, spec = 'address_scope', 'address-scopes', attributes.ADDRESS_SCOPE

    def defaults(self, ctx, body):
        return dict({'shared': False}, **body, **_owner(ctx, body))


class AddressGroups(base.Resource):
    name, collection, spec = 'address_group', 'address-groups', attributes.ADDRESS_GROUP

    def targets(self, ctx, items):
        return [dict(item, shared=False) for item in items]

    def defaults(self, ctx, body):
        return dict(body, shared=False, **_owner(ctx, body))


class RBACPolicies(base.Resource):
    name, collection, spec = 'rbac_policy', 'rbac-policies', attributes.RBAC_POLICY

    def update_item(self, ctx, item_id, body, revision):
        return self.manager.update_rbac_policy(ctx, item_id, body)

    def defaults(self, ctx, body):
        target = dict(body, **_owner(ctx, body))
        target.setdefault('target_tenant', body.get('target_project'))
        target.setdefault('target_project', body.get('target_tenant'))
        return target


class PortForwardings(base.Resource):
    """/floatingips/{floatingip_id}/port_forwardings: targets carry the
    floating IP's owner as ext_parent."""
    name, key = 'floatingip_port_forwarding', 'port_forwarding'
    collection, spec = 'port_forwardings', attributes.PORT_FORWARDING
    bulk = False

    def targets(self, ctx, items, floatingip_id):
        owner = self.manager.get_floatingip(ctx, floatingip_id)['project_id']
        return [dict(item, project_id=owner, tenant_id=owner,
                     **{'ext_parent:project_id': owner, 'ext_parent:tenant_id': owner})
                for item in items]

    def defaults(self, ctx, body, floatingip_id):
        return self.targets(ctx, [body], floatingip_id)[0]

    def list_items(self, ctx, query, floatingip_id):
        return self.manager.list_port_forwardings(ctx, floatingip_id, query)

    def get_item(self, ctx, item_id, floatingip_id):
        return self.manager.get_port_forwarding(ctx, floatingip_id, item_id)

    def create_items(self, ctx, bodies, floatingip_id):
        return [self.manager.create_port_forwarding(ctx, floatingip_id, b) for b in bodies]

    def update_item(self, ctx, item_id, body, revision, floatingip_id):
        return self.manager.update_port_forwarding(ctx, floatingip_id, item_id, body)

    def delete_item(self, ctx, item_id, floatingip_id):
        self.manager.delete_port_forwarding(ctx, floatingip_id, item_id)

    def connect(self, router, prefix='/v2.0'):
        super().connect(router, prefix + '/floatingips/{floatingip_id}')


class Agents(base.Resource):
    name, collection, spec = 'agent', 'agents', attributes.AGENT
    bulk = False

    def update_item(self, ctx, item_id, body, revision):
        return self.manager.update_agent(ctx, item_id, body)

    def create(self, req):
        raise exc.BadRequest('Agents register themselves; they cannot be created')


COLLECTIONS = (Networks, Subnets, Ports, Routers, FloatingIPs, SecurityGroups,
               SecurityGroupRules, SubnetPools, AddressScopes, AddressGroups, RBACPolicies,
               Agents)
