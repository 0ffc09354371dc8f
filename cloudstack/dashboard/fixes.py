"""Corrections to Horizon 27.0.0 where it misreads answers every OpenStack
cloud gives (not ours alone), installed when the dashboard loads."""
import functools


def _network_quotas(request, tenant_id):
    """api.neutron.tenant_quota_get. Horizon's hands QuotaSet the SDK
    resource's `location` (what `dict.pop` returns), and its attribute names
    ('networks') where the forms look for the API's ('network'): Identity >
    Projects > Modify Quotas failed ("Unable to retrieve Neutron quota
    information", then every network quota field empty). The API's own
    answer, as Horizon reads the details beside it."""
    from openstack_dashboard.api import base
    from openstack_dashboard.api import neutron
    quota = neutron.networkclient(request).get('/quotas/%s' % tenant_id).json()['quota']
    return base.QuotaSet({k: v for k, v in quota.items() if isinstance(v, int)})


def _metadefs_full_list(horizon_full_list, request, resource_type, filters=None,
                        *args, **kwargs):
    """api.glance.metadefs_namespace_full_list: with no namespace for the
    resource type, Horizon's thread pool of zero workers raises ValueError
    ("Unable to retrieve the namespaces", e.g. in Launch Instance's Metadata
    step). None is an empty list."""
    from openstack_dashboard.api import glance
    probe = dict(filters or {}, resource_types=[resource_type])
    namespaces, has_more, has_prev = glance.metadefs_namespace_list(
        request, probe, *args, **kwargs)
    if not namespaces:
        return [], has_more, has_prev
    return horizon_full_list(request, resource_type, filters, *args, **kwargs)


def _fix(module, name, replacement):
    current = getattr(module, name)
    if getattr(current, 'cloudstack_fix', False):
        return      # already (Django is set up once per process)
    fixed = functools.wraps(current)(replacement)
    fixed.cloudstack_fix = True
    setattr(module, name, fixed)


def install():
    from openstack_dashboard.api import glance
    from openstack_dashboard.api import neutron
    _fix(neutron, 'tenant_quota_get', _network_quotas)
    _fix(glance, 'metadefs_namespace_full_list',
         functools.partial(_metadefs_full_list, glance.metadefs_namespace_full_list))
