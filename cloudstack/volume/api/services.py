"""Operator views: /os-services, /os-hosts, /scheduler-stats, /capabilities,
/os-availability-zone, /extensions, /resource_filters, /workers, /clusters,
/manageable_volumes and /os-volume-manage."""
import webob

from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.volume.api import common, views

EXTENSIONS = [
    ('AdminActions', 'os-admin-actions', 'Enable admin actions.'),
    ('AvailabilityZones', 'os-availability-zone', 'Describe Availability Zones.'),
    ('Backups', 'backups', 'Backups support.'),
    ('Capabilities', 'capabilities', 'Capabilities support.'),
    ('ExtendedServices', 'os-extended-services', 'Extended services support.'),
    ('ExtendedSnapshotAttributes', 'os-extended-snapshot-attributes',
     'Extended SnapshotAttributes support.'),
    ('Hosts', 'os-hosts', 'Admin-only host administration.'),
    ('Qos_specs_manage', 'qos-specs', 'QoS specs support.'),
    ('QuotaClasses', 'os-quota-class-sets', 'Quota classes management support.'),
    ('Quotas', 'os-quota-sets', 'Quota management support.'),
    ('SchedulerHints', 'OS-SCH-HNT', 'Pass arbitrary key/value pairs to the scheduler.'),
    ('Scheduler_stats', 'scheduler-stats', 'Scheduler stats support.'),
    ('Services', 'os-services', 'Services support.'),
    ('SnapshotActions', 'os-snapshot-actions', 'Enable snapshot manager actions.'),
    ('SnapshotManage', 'os-snapshot-manage', 'Allows existing backend storage to be '
     "'managed' by Cinder."),
    ('SnapshotUnmanage', 'os-snapshot-unmanage', 'Enable volume unmanage operation.'),
    ('TypesExtraSpecs', 'os-types-extra-specs', 'Type extra specs support.'),
    ('TypesManage', 'os-types-manage', 'Types manage support.'),
    ('UsedLimits', 'os-used-limits', 'Provide data on limited resources that are '
     'being used.'),
    ('VolumeActions', 'os-volume-actions', 'Enable volume actions.'),
    ('VolumeEncryptionMetadata', 'os-volume-encryption-metadata',
     'Volume encryption metadata retrieval support.'),
    ('VolumeHostAttribute', 'os-vol-host-attr', 'Expose host as an attribute of a '
     'volume.'),
    ('VolumeImageMetadata', 'os-vol-image-meta', 'Show image metadata associated '
     'with the volume.'),
    ('VolumeManage', 'os-volume-manage', 'Allows existing backend storage to be '
     "'managed' by Cinder."),
    ('VolumeMigStatusAttribute', 'os-vol-mig-status-attr', 'Expose migration_status '
     'as an attribute of a volume.'),
    ('VolumeTenantAttribute', 'os-vol-tenant-attr', 'Expose the internal project_id '
     'as an attribute of a volume.'),
    ('VolumeTransfer', 'os-volume-transfer', 'Volume transfer management support.'),
    ('VolumeTypeAccess', 'os-volume-type-access', 'Volume type access support.'),
    ('VolumeTypeEncryption', 'encryption', 'Encryption support for volume types.'),
    ('VolumeUnmanage', 'os-volume-unmanage', 'Enable volume unmanage operation.'),
]
UPDATED = '2026-12-01T00:00:00+00:00'
MANAGE = {
    'type': 'object', 'required': ['ref'],
    'properties': {'ref': {'type': 'object'}, 'host': {'type': ['string', 'null']},
                   'cluster': {'type': ['string', 'null']},
                   'name': common.STRING_255, 'description': common.DESCRIPTION,
                   'volume_type': {'type': ['string', 'null']},
                   'availability_zone': {'type': ['string', 'null']},
                   'metadata': common.NULLABLE_METADATA, 'bootable': common.BOOL_LIKE},
}


def mgr():
    return common.manager()


class Services:

    def index(self, req):
        common.authorize(req, 'volume_extension:services:index')
        found = mgr().list_services(req.context, req.GET.get('binary'),
                                    req.GET.get('host'))
        out = []
        for s in found:
            item = {'binary': s['binary'], 'host': s['host'], 'zone': s['zone'],
                    'status': s['status'], 'state': s['state'],
                    'updated_at': s['updated_at'],
                    'disabled_reason': s['disabled_reason']}
            if s['binary'] == 'cinder-volume':
                item.update(frozen=s['frozen'], replication_status=s['replication_status'],
                            active_backend_id=s['active_backend_id'])
                if common.at_least(req, common.BACKEND_STATE):
                    item['backend_state'] = s['backend_state']
            if common.at_least(req, '3.7'):
                item['cluster'] = s['cluster']
            out.append(item)
        return {'services': out}

    def update(self, req, service_action):
        action = service_action
        common.authorize(req, 'volume_extension:services:update')
        data = req.json_body() if req.body else {}
        if not isinstance(data, dict):
            raise exception.BadRequest('The request body must be a JSON object.')
        if action in ('freeze', 'thaw'):
            common.authorize(req, 'volume:%s_host' % action)
            host = data.get('host')
            if not host:
                raise exception.BadRequest('Missing required element host.')
            mgr().freeze_host(req.context, host, frozen=action == 'freeze')
            return webob.Response(status=200, content_type=None)
        if action == 'failover_host' or action == 'failover':
            common.authorize(req, 'volume:failover_host')
            raise exception.BadRequest('Replication is not configured on any backend.')
        if action in ('set-log', 'get-log'):
            if action == 'get-log':
                return {'log_levels': []}
            return webob.Response(status=202, content_type=None)
        if action not in ('enable', 'disable', 'disable-log-reason'):
            raise exception.NotFound('Unknown action %s.' % action)
        host, binary = data.get('host'), data.get('binary') or data.get('service')
        if not host or not binary:
            raise exception.BadRequest('Missing required elements host and binary.')
        reason = None
        if action == 'disable-log-reason':
            reason = data.get('disabled_reason')
            if not isinstance(reason, str) or not reason.strip() or len(reason) > 255:
                raise exception.BadRequest('Disabled reason contains invalid '
                                           'characters or is too long')
        out = mgr().set_service_disabled(req.context, host, binary,
                                         action != 'enable', reason)
        if action == 'disable':
            out.pop('disabled_reason')
        return out


class Hosts:

    def index(self, req):
        common.authorize(req, 'volume_extension:hosts')
        return {'hosts': mgr().list_hosts(req.context, req.GET.get('zone'))}

    def show(self, req, host):
        common.authorize(req, 'volume_extension:hosts')
        return {'host': mgr().show_host(req.context, host)}

    def update(self, req, host):
        common.authorize(req, 'volume_extension:hosts')
        raise exception.NotImplementedYet('Setting a host\'s status is done through '
                                          'os-services.')


class Pools:

    def get_pools(self, req):
        common.authorize(req, 'scheduler_extension:scheduler_stats:get_pools')
        detail = common.bool_value(req.GET.get('detail', 'false'), 'detail')
        name = volume_type = None
        if common.at_least(req, common.POOL_FILTERS):
            name = req.GET.get('name')
        if common.at_least(req, common.POOL_TYPE_FILTER):
            volume_type = req.GET.get('volume_type')
        return {'pools': mgr().list_pools(req.context, detail, name, volume_type)}

    def capabilities(self, req, host):
        common.authorize(req, 'volume_extension:capabilities')
        return mgr().backend_capabilities(req.context, host)


class Misc:

    def availability_zones(self, req):
        return {'availabilityZoneInfo': mgr().availability_zones(req.context)}

    def extensions(self, req):
        return {'extensions': [
            {'name': name, 'alias': alias, 'description': text, 'updated': UPDATED,
             'links': [], 'namespace': 'https://docs.openstack.org/api-ref/block-storage'}
            for name, alias, text in EXTENSIONS]}

    def resource_filters(self, req):
        common.require(req, common.RESOURCE_FILTERS_LIST)
        wanted = req.GET.get('resource')
        return {'resource_filters': [
            {'resource': name, 'filters': keys}
            for name, keys in sorted(common.RESOURCE_FILTER_KEYS.items())
            if wanted in (None, name)]}

    def workers_cleanup(self, req):
        common.require(req, common.WORKERS_CLEANUP)
        common.authorize(req, 'workers:cleanup')
        settled = mgr().recover()
        return wsgi.json_response({'cleaning': [], 'unavailable': [],
                                   'settled': settled}, 202)

    def clusters(self, req):
        common.require(req, '3.7')
        common.authorize(req, 'clusters:get_all')
        return {'clusters': []}

    def cluster(self, req, cluster_id):
        common.require(req, '3.7')
        common.authorize(req, 'clusters:get')
        raise exception.NotFound('Cluster %s could not be found.' % cluster_id)


class Manageable:

    def manage(self, req):
        spec = common.body(req, 'volume', MANAGE, strict_from=None)
        common.authorize(req, 'volume_extension:volume_manage')
        common.require_project(req, 'volume')
        host = spec.get('host') or spec.get('cluster')
        if not host:
            raise exception.BadRequest('Host field is missing.')
        rec = mgr().manage_volume(
            req.context, host, spec['ref'], spec.get('name'), spec.get('description'),
            spec.get('volume_type'), spec.get('availability_zone'), spec.get('metadata'),
            common.flag(spec.get('bootable', False), 'bootable'))
        return wsgi.json_response({'volume': views.volume(req, rec)}, 202)

    def manageable(self, req):
        common.authorize(req, 'volume_extension:list_manageable')
        return common.manageable(req, 'volume', detail=False)

    def manageable_detail(self, req):
        common.authorize(req, 'volume_extension:list_manageable')
        return common.manageable(req, 'volume', detail=True)
