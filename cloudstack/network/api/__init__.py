"""The Networking API (Neutron v2.0), served at /networking; clients find
/v2.0 under it, as under a Neutron endpoint."""
from cloudstack.api import wsgi
from cloudstack.network.api import extras, resources, versions

V2 = '/v2.0'


def app_factory(global_conf, **local_conf):
    router = wsgi.Router()
    ver = versions.Versions()
    router.connect('/', ver, public=True, GET='root')
    router.connect(V2, ver, GET='v2')
    router.connect(V2 + '/', ver, GET='v2')
    router.connect(V2 + '/extensions', ver, GET='extensions')
    router.connect(V2 + '/extensions/{alias}', ver, GET='show_extension')

    for cls in resources.COLLECTIONS + (resources.PortForwardings,):
        cls().connect(router)

    act = extras.Actions()
    for collection, actions in (
            ('routers', ('add_router_interface', 'remove_router_interface',
                         'add_extraroutes', 'remove_extraroutes')),
            ('subnetpools', ('add_prefixes', 'remove_prefixes')),
            ('address-groups', ('add_addresses', 'remove_addresses'))):
        for action in actions:
            router.connect('%s/%s/{id}/%s' % (V2, collection, action), act, PUT=action)

    tags = extras.Tags()
    router.connect(V2 + '/{collection}/{id}/tags', tags, GET='index', PUT='replace',
                   DELETE='delete_all')
    router.connect(V2 + '/{collection}/{id}/tags/{tag}', tags, GET='show', PUT='add',
                   DELETE='delete')

    quotas = extras.Quotas()
    router.connect(V2 + '/quotas', quotas, GET='index')
    router.connect(V2 + '/quotas/tenant', quotas, GET='tenant')
    router.connect(V2 + '/quotas/project', quotas, GET='tenant')
    router.connect(V2 + '/quotas/{project_id}', quotas, GET='show', PUT='update',
                   DELETE='delete')
    router.connect(V2 + '/quotas/{project_id}/default', quotas, GET='defaults')
    router.connect(V2 + '/quotas/{project_id}/details', quotas, GET='details')

    sched = extras.Scheduling()
    router.connect(V2 + '/agents/{id}/dhcp-networks', sched, GET='dhcp_networks',
                   POST='add_dhcp_network')
    router.connect(V2 + '/agents/{id}/dhcp-networks/{network_id}', sched,
                   DELETE='remove_dhcp_network')
    router.connect(V2 + '/networks/{id}/dhcp-agents', sched, GET='dhcp_agents')
    router.connect(V2 + '/agents/{id}/l3-routers', sched, GET='l3_routers',
                   POST='add_l3_router')
    router.connect(V2 + '/agents/{id}/l3-routers/{router_id}', sched,
                   DELETE='remove_l3_router')
    router.connect(V2 + '/routers/{id}/l3-agents', sched, GET='l3_agents')

    lists = extras.Lists()
    router.connect(V2 + '/availability_zones', lists, GET='availability_zones')
    router.connect(V2 + '/network-ip-availabilities', lists, GET='ip_availabilities')
    router.connect(V2 + '/network-ip-availabilities/{id}', lists, GET='ip_availability')
    router.connect(V2 + '/service-providers', lists, GET='service_providers')
    router.connect(V2 + '/floatingip_pools', lists, GET='floatingip_pools')
    return router
