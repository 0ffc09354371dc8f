"""/limits: the caller's absolute limits and usage."""
from cloudstack.compute import manager
from cloudstack.compute.api import common

# API name -> quota resource
ABSOLUTE = [('maxServerMeta', 'metadata_items'), ('maxPersonality', 'injected_files'),
            ('maxPersonalitySize', 'injected_file_content_bytes'),
            ('maxTotalKeypairs', 'key_pairs'), ('maxTotalInstances', 'instances'),
            ('maxTotalCores', 'cores'), ('maxTotalRAMSize', 'ram'),
            ('maxServerGroups', 'server_groups'),
            ('maxServerGroupMembers', 'server_group_members')]
USED = [('totalInstancesUsed', 'instances'), ('totalCoresUsed', 'cores'),
        ('totalRAMUsed', 'ram'), ('totalServerGroupsUsed', 'server_groups')]


class Limits:
    def __init__(self):
        self.manager = manager.get()

    def index(self, req):
        project_id = req.context.project_id
        asked = req.GET.get('tenant_id')
        common.authorize(req, 'os_compute_api:limits')
        if asked and asked != project_id:
            common.authorize(req, 'os_compute_api:limits:other_project',
                             project_id=asked)
            project_id = asked
        limits, used = self.manager.get_quota_set(req.context, project_id,
                                                  req.context.user_id if not asked else None)
        absolute = {name: limits[r] for name, r in ABSOLUTE}
        absolute.update({name: used[r] for name, r in USED})
        if not common.at_least(req, '2.36'):
            absolute.update({'maxSecurityGroups': limits['security_groups'],
                             'maxSecurityGroupRules': limits['security_group_rules'],
                             'maxTotalFloatingIps': limits['floating_ips'],
                             'totalSecurityGroupsUsed': 0, 'totalFloatingIpsUsed': 0})
        if not common.at_least(req, '2.39'):
            absolute['maxImageMeta'] = limits['metadata_items']
        if common.at_least(req, '2.57'):
            for key in ('maxPersonality', 'maxPersonalitySize'):
                absolute.pop(key)
        return {'limits': {'rate': [], 'absolute': absolute}}


def add_routes(router):
    router.connect('/limits', Limits(), GET='index')
