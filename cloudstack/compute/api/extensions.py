"""/extensions: the frozen list of v2 extensions that v2.1 still names."""
from cloudstack import exception
from cloudstack.compute.api import common

# (alias, name): what the API's v2.0-era clients look for.
EXTENSIONS = [
    ('NMN', 'Multinic'), ('OS-DCF', 'DiskConfig'), ('OS-EXT-AZ', 'ExtendedAvailabilityZone'),
    ('OS-EXT-IMG-SIZE', 'ImageSize'), ('OS-EXT-IPS', 'ExtendedIps'),
    ('OS-EXT-IPS-MAC', 'ExtendedIpsMac'), ('OS-EXT-SRV-ATTR', 'ExtendedServerAttributes'),
    ('OS-EXT-STS', 'ExtendedStatus'), ('OS-FLV-DISABLED', 'FlavorDisabled'),
    ('OS-FLV-EXT-DATA', 'FlavorExtraData'), ('OS-SCH-HNT', 'SchedulerHints'),
    ('OS-SRV-USG', 'ServerUsage'), ('os-access-ips', 'AccessIPs'),
    ('os-admin-actions', 'AdminActions'), ('os-admin-password', 'AdminPassword'),
    ('os-aggregates', 'Aggregates'), ('os-assisted-volume-snapshots',
                                      'AssistedVolumeSnapshots'),
    ('os-attach-interfaces', 'AttachInterfaces'), ('os-availability-zone',
                                                   'AvailabilityZone'),
    ('os-block-device-mapping', 'BlockDeviceMapping'), ('os-config-drive', 'ConfigDrive'),
    ('os-console-auth-tokens', 'ConsoleAuthTokens'), ('os-console-output', 'ConsoleOutput'),
    ('os-consoles', 'Consoles'), ('os-create-backup', 'CreateBackup'),
    ('os-deferred-delete', 'DeferredDelete'), ('os-evacuate', 'Evacuate'),
    ('os-extended-evacuate-find-host', 'ExtendedEvacuateFindHost'),
    ('os-extended-volumes', 'ExtendedVolumes'), ('os-flavor-access', 'FlavorAccess'),
    ('os-flavor-extra-specs', 'FlavorExtraSpecs'), ('os-flavor-manage', 'FlavorManage'),
    ('os-flavor-rxtx', 'FlavorRxtx'), ('os-hide-server-addresses', 'HideServerAddresses'),
    ('os-hosts', 'Hosts'), ('os-hypervisors', 'Hypervisors'),
    ('os-instance-actions', 'InstanceActions'), ('os-keypairs', 'Keypairs'),
    ('os-lock-server', 'LockServer'), ('os-migrate-server', 'MigrateServer'),
    ('os-migrations', 'Migrations'), ('os-multiple-create', 'MultipleCreate'),
    ('os-networks', 'Networks'), ('os-pause-server', 'PauseServer'),
    ('os-quota-class-sets', 'QuotaClasses'), ('os-quota-sets', 'Quotas'),
    ('os-remote-consoles', 'RemoteConsoles'), ('os-rescue', 'Rescue'),
    ('os-security-groups', 'SecurityGroups'), ('os-server-diagnostics',
                                               'ServerDiagnostics'),
    ('os-server-external-events', 'ServerExternalEvents'),
    ('os-server-group-quotas', 'ServerGroupQuotas'), ('os-server-groups', 'ServerGroups'),
    ('os-server-password', 'ServerPassword'), ('os-server-sort-keys', 'ServerSortKeys'),
    ('os-services', 'Services'), ('os-shelve', 'Shelve'),
    ('os-simple-tenant-usage', 'SimpleTenantUsage'), ('os-suspend-server', 'SuspendServer'),
    ('os-tenant-networks', 'OSTenantNetworks'), ('os-used-limits', 'UsedLimits'),
    ('os-user-data', 'UserData'), ('os-volumes', 'Volumes')]


def _view(alias, name):
    return {'alias': alias, 'name': name, 'namespace': 'http://docs.openstack.org/compute/'
            'ext/fake_xml', 'description': '%s support.' % name, 'links': [],
            'updated': '2014-12-03T00:00:00Z'}


class Extensions:
    def index(self, req):
        common.authorize(req, 'os_compute_api:extensions')
        return {'extensions': [_view(a, n) for a, n in EXTENSIONS]}

    def show(self, req, alias):
        common.authorize(req, 'os_compute_api:extensions')
        for a, n in EXTENSIONS:
            if a == alias:
                return {'extension': _view(a, n)}
        raise exception.NotFound('Extension %s could not be found.' % alias)


def add_routes(router):
    e = Extensions()
    router.connect('/extensions', e, GET='index')
    router.connect('/extensions/{alias}', e, GET='show')
