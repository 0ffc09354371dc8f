"""/backups: backups, restore, export and import of records."""
import webob

from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.volume.api import common, views
from cloudstack.volume.manager import backups as backup_area

CREATE = {
    'type': 'object', 'additionalProperties': False, 'required': ['volume_id'],
    'properties': {
        'volume_id': common.UUID, 'container': common.STRING_255,
        'name': common.STRING_255, 'description': common.DESCRIPTION,
        'display_name': common.STRING_255, 'display_description': common.DESCRIPTION,
        'incremental': common.BOOL_LIKE, 'force': common.BOOL_LIKE,
        'snapshot_id': common.NULLABLE_UUID, 'metadata': common.NULLABLE_METADATA,
        'availability_zone': {'type': ['string', 'null'], 'maxLength': 255},
    },
}
UPDATE = {
    'type': 'object', 'additionalProperties': False,
    'properties': {'name': common.STRING_255, 'description': common.DESCRIPTION,
                   'metadata': common.NULLABLE_METADATA},
}
RESTORE = {
    'type': ['object', 'null'], 'additionalProperties': False,
    'properties': {'volume_id': common.NULLABLE_UUID, 'name': common.STRING_255},
}
IMPORT = {
    'type': 'object', 'additionalProperties': False,
    'required': ['backup_service', 'backup_url'],
    'properties': {'backup_service': {'type': 'string', 'maxLength': 255},
                   'backup_url': {'type': 'string'}},
}
FILTER_KEYS = ('name', 'status', 'volume_id', 'container', 'snapshot_id',
               'availability_zone', 'parent_id', 'user_id')


def mgr():
    return common.manager()


class Backups:

    def _visible(self, req, backup_id, rule):
        rec = mgr().get_backup(req.context, backup_id)
        common.authorize(req, rule, rec['project_id'])
        return rec

    def _list(self, req, detail):
        common.authorize(req, 'backup:get_all')
        limit, marker, offset, sort = common.paging(req, backup_area.SORT_KEYS)
        everyone, project = common.all_projects(req)
        found = common.filters(req, 'backup', FILTER_KEYS)
        records, count = mgr().list_backups(
            req.context, found, sort, limit, marker, offset, everyone, project,
            with_count=common.count_wanted(req))
        view = views.backup if detail else views.backup_summary
        return common.listing(req, 'backups', [view(req, r) for r in records], limit,
                              'backups/detail' if detail else 'backups', count)

    def index(self, req):
        return self._list(req, False)

    def detail(self, req):
        return self._list(req, True)

    def show(self, req, backup_id):
        return {'backup': views.backup(req, self._visible(req, backup_id, 'backup:get'))}

    def create(self, req):
        spec = common.body(req, 'backup', CREATE)
        volume = mgr().get_volume(req.context, spec['volume_id'])
        common.authorize(req, 'backup:create', volume['project_id'])
        metadata = spec.get('metadata') if common.at_least(
            req, common.BACKUP_METADATA) else None
        zone = spec.get('availability_zone') if common.at_least(
            req, common.BACKUP_AZ) else None
        rec = mgr().create_backup(
            req.context, spec['volume_id'], spec.get('name', spec.get('display_name')),
            spec.get('description', spec.get('display_description')),
            spec.get('container'), common.flag(spec.get('incremental', False),
                                               'incremental'),
            common.flag(spec.get('force', False), 'force'), spec.get('snapshot_id'),
            metadata, zone)
        return wsgi.json_response({'backup': views.backup_created(req, rec)}, 202)

    def update(self, req, backup_id):
        common.require(req, common.BACKUP_UPDATE)
        values = common.body(req, 'backup', UPDATE, strict_from=common.BACKUP_UPDATE)
        if 'metadata' in values and not common.at_least(req, common.BACKUP_METADATA):
            values.pop('metadata')
        self._visible(req, backup_id, 'backup:update')
        rec = mgr().update_backup(req.context, backup_id, values)
        return {'backup': views.backup_created(req, rec)}

    def delete(self, req, backup_id):
        self._visible(req, backup_id, 'backup:delete')
        mgr().delete_backup(req.context, backup_id)
        return webob.Response(status=202, content_type=None)

    def restore(self, req, backup_id):
        spec = common.body(req, 'restore', RESTORE) if req.body else {}
        spec = spec or {}
        self._visible(req, backup_id, 'backup:restore')
        out = mgr().restore_backup(req.context, backup_id, spec.get('volume_id'),
                                   spec.get('name'))
        return wsgi.json_response({'restore': out}, 202)

    def export_record(self, req, backup_id):
        rec = mgr().get_backup(req.context, backup_id)
        common.authorize(req, 'backup:export-import', rec['project_id'])
        return {'backup-record': mgr().export_backup(req.context, backup_id)}

    def import_record(self, req):
        spec = common.body(req, 'backup-record', IMPORT, strict_from=None)
        common.authorize(req, 'backup:backup-import')
        common.require_project(req, 'backup')
        rec = mgr().import_backup(req.context, spec['backup_service'], spec['backup_url'])
        return wsgi.json_response({'backup': views.backup_summary(req, rec)}, 201)

    def action(self, req, backup_id):
        data = req.json_body()
        if not isinstance(data, dict) or len(data) != 1:
            raise exception.BadRequest('There is either no action or more than one '
                                       'action in the request body.')
        (name, args), = data.items()
        rec = mgr().get_backup(req.context, backup_id)
        if name == 'os-reset_status':
            common.authorize(req, 'volume_extension:backup_admin_actions:reset_status',
                             rec['project_id'])
            status = (args or {}).get('status')
            if not status:
                raise exception.BadRequest('Must specify a status.')
            mgr().reset_backup_status(req.context, backup_id, status)
        elif name == 'os-force_delete':
            common.authorize(req, 'volume_extension:backup_admin_actions:force_delete',
                             rec['project_id'])
            mgr().delete_backup(req.context, backup_id, force=True)
        else:
            raise exception.BadRequest('There is no such action: %s' % name)
        return webob.Response(status=202, content_type=None)
