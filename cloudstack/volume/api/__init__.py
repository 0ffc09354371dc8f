"""The Block Storage (Cinder v3) API, at /volume.

GET /volume answers every version (300), /volume/v3 the v3 document. Under
/volume/v3 the project id in the URL is optional (Cinder's /v3/{project_id}/
... and, from 3.67, /v3/...); a request names a microversion with
`OpenStack-API-Version: volume 3.X` (3.0 to 3.71) and the answer says which.
"""
from cloudstack.api import faults
from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.volume.api import (
    actions, backups, common, groups, quotas, services, snapshots, transfers, types,
    versions, volumes)

# First path segments under /v3 that are collections, not a project id.
COLLECTIONS = frozenset((
    'volumes', 'snapshots', 'backups', 'types', 'qos-specs', 'os-quota-sets',
    'os-quota-class-sets', 'limits', 'os-services', 'os-hosts', 'os-availability-zone',
    'scheduler-stats', 'capabilities', 'os-volume-transfer', 'volume-transfers',
    'messages', 'groups', 'group_types', 'group_snapshots', 'attachments',
    'extensions', 'manageable_volumes', 'manageable_snapshots', 'os-volume-manage',
    'os-snapshot-manage', 'default-types', 'workers', 'clusters', 'resource_filters',
    'consistencygroups', 'cgsnapshots'))


def _routes():
    r = wsgi.Router()
    vol, act = volumes.Volumes(), actions.VolumeActions()
    r.connect('/volumes', vol, GET='index', POST='create')
    r.connect('/volumes/detail', vol, GET='detail')
    r.connect('/volumes/summary', vol, GET='summary')
    r.connect('/volumes/{volume_id}', vol, GET='show', PUT='update', DELETE='delete')
    r.connect('/volumes/{volume_id}/action', act, POST='action')
    r.connect('/volumes/{volume_id}/metadata', vol, GET='metadata',
              POST='create_metadata', PUT='replace_metadata')
    r.connect('/volumes/{volume_id}/metadata/{key}', vol, GET='metadata_item',
              PUT='update_metadata_item', DELETE='delete_metadata_item')
    r.connect('/volumes/{volume_id}/encryption', vol, GET='encryption')
    r.connect('/volumes/{volume_id}/encryption/{key}', vol, GET='encryption_item')

    snap = snapshots.Snapshots()
    r.connect('/snapshots', snap, GET='index', POST='create')
    r.connect('/snapshots/detail', snap, GET='detail')
    r.connect('/snapshots/{snapshot_id}', snap, GET='show', PUT='update', DELETE='delete')
    r.connect('/snapshots/{snapshot_id}/action', snap, POST='action')
    r.connect('/snapshots/{snapshot_id}/metadata', snap, GET='metadata',
              POST='create_metadata', PUT='replace_metadata')
    r.connect('/snapshots/{snapshot_id}/metadata/{key}', snap, GET='metadata_item',
              PUT='update_metadata_item', DELETE='delete_metadata_item')
    r.connect('/os-snapshot-manage', snap, POST='manage')
    r.connect('/manageable_snapshots', snap, GET='manageable', POST='manage')
    r.connect('/manageable_snapshots/detail', snap, GET='manageable_detail')

    bak = backups.Backups()
    r.connect('/backups', bak, GET='index', POST='create')
    r.connect('/backups/detail', bak, GET='detail')
    r.connect('/backups/import_record', bak, POST='import_record')
    r.connect('/backups/{backup_id}', bak, GET='show', PUT='update', DELETE='delete')
    r.connect('/backups/{backup_id}/action', bak, POST='action')
    r.connect('/backups/{backup_id}/restore', bak, POST='restore')
    r.connect('/backups/{backup_id}/export_record', bak, GET='export_record')

    typ = types.Types()
    r.connect('/types', typ, GET='index', POST='create')
    r.connect('/types/{type_id}', typ, GET='show', PUT='update', DELETE='delete')
    r.connect('/types/{type_id}/action', typ, POST='action')
    r.connect('/types/{type_id}/os-volume-type-access', typ, GET='access')
    r.connect('/types/{type_id}/extra_specs', typ, GET='extra_specs',
              POST='create_extra_specs')
    r.connect('/types/{type_id}/extra_specs/{key}', typ, GET='extra_spec',
              PUT='update_extra_spec', DELETE='delete_extra_spec')
    r.connect('/types/{type_id}/encryption', typ, GET='encryption',
              POST='create_encryption')
    r.connect('/types/{type_id}/encryption/{encryption_id}', typ, GET='encryption_item',
              PUT='update_encryption', DELETE='delete_encryption')
    r.connect('/default-types', typ, GET='list_defaults')
    r.connect('/default-types/{project_id}', typ, GET='get_default', PUT='set_default',
              DELETE='unset_default')

    qos = types.Qos()
    r.connect('/qos-specs', qos, GET='index', POST='create')
    r.connect('/qos-specs/{qos_id}', qos, GET='show', PUT='update', DELETE='delete')
    r.connect('/qos-specs/{qos_id}/delete_keys', qos, PUT='delete_keys')
    r.connect('/qos-specs/{qos_id}/associations', qos, GET='associations')
    r.connect('/qos-specs/{qos_id}/associate', qos, GET='associate')
    r.connect('/qos-specs/{qos_id}/disassociate', qos, GET='disassociate')
    r.connect('/qos-specs/{qos_id}/disassociate_all', qos, GET='disassociate_all')

    quo, qcl, lim = quotas.Quotas(), quotas.QuotaClasses(), quotas.Limits()
    r.connect('/os-quota-sets/{project_id}', quo, GET='show', PUT='update',
              DELETE='delete')
    r.connect('/os-quota-sets/{project_id}/defaults', quo, GET='defaults')
    r.connect('/os-quota-class-sets/{class_name}', qcl, GET='show', PUT='update')
    r.connect('/limits', lim, GET='index')

    svc, hst, pls, misc = (services.Services(), services.Hosts(), services.Pools(),
                           services.Misc())
    r.connect('/os-services', svc, GET='index')
    r.connect('/os-services/{service_action}', svc, PUT='update')
    r.connect('/os-hosts', hst, GET='index')
    r.connect('/os-hosts/{host}', hst, GET='show', PUT='update')
    r.connect('/scheduler-stats/get_pools', pls, GET='get_pools')
    r.connect('/capabilities/{host}', pls, GET='capabilities')
    r.connect('/os-availability-zone', misc, GET='availability_zones')
    r.connect('/extensions', misc, GET='extensions')
    r.connect('/resource_filters', misc, GET='resource_filters')
    r.connect('/workers/cleanup', misc, POST='workers_cleanup')
    r.connect('/clusters', misc, GET='clusters')
    r.connect('/clusters/detail', misc, GET='clusters')
    r.connect('/clusters/{cluster_id}', misc, GET='cluster')

    man = services.Manageable()
    r.connect('/os-volume-manage', man, POST='manage')
    r.connect('/manageable_volumes', man, GET='manageable', POST='manage')
    r.connect('/manageable_volumes/detail', man, GET='manageable_detail')

    for prefix, new_api in (('/os-volume-transfer', False), ('/volume-transfers', True)):
        tra = transfers.Transfers(new_api)
        r.connect(prefix, tra, GET='index', POST='create')
        r.connect(prefix + '/detail', tra, GET='detail')
        r.connect(prefix + '/{transfer_id}', tra, GET='show', DELETE='delete')
        r.connect(prefix + '/{transfer_id}/accept', tra, POST='accept')

    msg = transfers.Messages()
    r.connect('/messages', msg, GET='index')
    r.connect('/messages/{message_id}', msg, GET='show', DELETE='delete')

    att = transfers.Attachments()
    r.connect('/attachments', att, GET='index', POST='create')
    r.connect('/attachments/detail', att, GET='detail')
    r.connect('/attachments/{attachment_id}', att, GET='show', PUT='update',
              DELETE='delete')
    r.connect('/attachments/{attachment_id}/action', att, POST='action')

    gty, grp, gsn = groups.GroupTypes(), groups.Groups(), groups.GroupSnapshots()
    r.connect('/group_types', gty, GET='index', POST='create')
    r.connect('/group_types/{group_type_id}', gty, GET='show', PUT='update',
              DELETE='delete')
    r.connect('/group_types/{group_type_id}/group_specs', gty, GET='specs',
              POST='create_specs')
    r.connect('/group_types/{group_type_id}/group_specs/{key}', gty, GET='spec',
              PUT='update_spec', DELETE='delete_spec')
    r.connect('/groups', grp, GET='index', POST='create')
    r.connect('/groups/detail', grp, GET='detail')
    r.connect('/groups/action', grp, POST='create_from_src')
    r.connect('/groups/{group_id}', grp, GET='show', PUT='update')
    r.connect('/groups/{group_id}/action', grp, POST='action')
    r.connect('/group_snapshots', gsn, GET='index', POST='create')
    r.connect('/group_snapshots/detail', gsn, GET='detail')
    r.connect('/group_snapshots/{group_snapshot_id}', gsn, GET='show', DELETE='delete')
    r.connect('/group_snapshots/{group_snapshot_id}/action', gsn, POST='action')
    return r


def _shift(environ, count=1):
    """Move the first `count` path segments from PATH_INFO to SCRIPT_NAME."""
    path = environ.get('PATH_INFO', '')
    parts = path.split('/')
    moved = '/'.join(parts[:count + 1])
    environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + moved
    environ['PATH_INFO'] = path[len(moved):]


class VolumeAPI:
    """Versions, the optional project id, microversions; then the router."""

    def __init__(self, router):
        self.router = router

    def __call__(self, environ, start_response):
        req = wsgi.Request(environ)
        headers = {}
        try:
            resp = self._dispatch(req, headers)
        except exception.CloudstackError as exc:
            resp = faults.render('cinder', exc.code, exc.title, exc.message, exc.headers)
        for key, value in headers.items():
            resp.headers[key] = value
        return resp(environ, start_response)

    def _dispatch(self, req, headers):
        environ = req.environ
        path = environ.get('PATH_INFO', '') or '/'
        if path == '/':
            return versions.root(req)
        if path.split('/')[1] != 'v3':
            raise exception.NotFound('The resource could not be found.')
        _shift(environ)
        if environ['PATH_INFO'] in ('', '/'):
            return versions.v3(req)
        segment = environ['PATH_INFO'].split('/')[1]
        if segment not in COLLECTIONS:
            _shift(environ)
            ctx = req.context
            if ctx is not None and segment != ctx.project_id and not common.is_admin(req):
                raise exception.BadRequest(
                    "Malformed request URL: URL's project_id '%s' doesn't match "
                    "Context's project_id '%s'" % (segment, ctx.project_id))
        version = common.NEGOTIATOR.negotiate(req.headers)
        environ['cloudstack.api_version'] = version
        headers.update(common.NEGOTIATOR.response_headers(version))
        return req.get_response(self.router)


def app_factory(global_conf, **local_conf):
    return VolumeAPI(_routes())
