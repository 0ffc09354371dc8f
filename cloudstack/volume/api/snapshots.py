"""/snapshots: snapshots, their metadata and actions, and snapshot manage."""
import webob

from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.volume.api import common, views
from cloudstack.volume.api.volumes import META_ITEM_BODY, METADATA_BODY
from cloudstack.volume.manager import snapshots as snapshot_area

CREATE = {
    'type': 'object', 'additionalProperties': False, 'required': ['volume_id'],
    'properties': {
        'volume_id': common.NULLABLE_UUID, 'name': common.STRING_255,
        'description': common.DESCRIPTION, 'display_name': common.STRING_255,
        'display_description': common.DESCRIPTION, 'force': common.BOOL_LIKE,
        'metadata': common.NULLABLE_METADATA,
    },
}
UPDATE = {
    'type': 'object', 'additionalProperties': False,
    'properties': {'name': common.STRING_255, 'description': common.DESCRIPTION,
                   'display_name': common.STRING_255,
                   'display_description': common.DESCRIPTION},
}
MANAGE = {
    'type': 'object', 'required': ['volume_id', 'ref'],
    'properties': {'volume_id': common.UUID, 'ref': {'type': 'object'},
                   'name': common.STRING_255, 'description': common.DESCRIPTION,
                   'metadata': common.NULLABLE_METADATA},
}
FILTER_KEYS = ('name', 'status', 'volume_id', 'metadata', 'project_id', 'user_id',
               'consumes_quota', 'group_snapshot_id')


def mgr():
    return common.manager()


def _accepted(body=None):
    if body is None:
        return webob.Response(status=202, content_type=None)
    return wsgi.json_response(body, 202)


class Snapshots:

    def _visible(self, req, snapshot_id, rule):
        rec = mgr().get_snapshot(req.context, snapshot_id)
        common.authorize(req, rule, rec['project_id'])
        return rec

    def _list(self, req, detail):
        common.authorize(req, 'volume:get_all_snapshots')
        limit, marker, offset, sort = common.paging(req, snapshot_area.SORT_KEYS)
        everyone, project = common.all_projects(req)
        found = common.filters(req, 'snapshot', FILTER_KEYS)
        if 'metadata' in found:
            found['metadata'] = common.dict_param(found['metadata'], 'metadata')
        if 'consumes_quota' in found:
            found['consumes_quota'] = common.bool_value(found['consumes_quota'],
                                                        'consumes_quota')
        records, count = mgr().list_snapshots(
            req.context, found, sort, limit, marker, offset, everyone, project,
            with_count=common.count_wanted(req))
        items = [views.snapshot(req, r, detail=detail) for r in records]
        return common.listing(req, 'snapshots', items, limit,
                              'snapshots/detail' if detail else 'snapshots', count)

    def index(self, req):
        return self._list(req, False)

    def detail(self, req):
        return self._list(req, True)

    def show(self, req, snapshot_id):
        return {'snapshot': views.snapshot(
            req, self._visible(req, snapshot_id, 'volume:get_snapshot'))}

    def create(self, req):
        spec = common.body(req, 'snapshot', CREATE)
        volume = mgr().get_volume(req.context, spec['volume_id'])
        common.authorize(req, 'volume:create_snapshot', volume['project_id'])
        force = common.flag(spec.get('force', False), 'force')
        if common.at_least(req, common.SNAPSHOT_IN_USE):
            force = True
        rec = mgr().create_snapshot(
            req.context, spec['volume_id'], spec.get('name', spec.get('display_name')),
            spec.get('description', spec.get('display_description')),
            spec.get('metadata'), force)
        return _accepted({'snapshot': views.snapshot(req, rec, detail=False)})

    def update(self, req, snapshot_id):
        values = common.body(req, 'snapshot', UPDATE)
        if not values:
            raise exception.BadRequest('At least one valid field is required.')
        values = {{'display_name': 'name', 'display_description': 'description'}.get(k, k): v
                  for k, v in values.items() if k in UPDATE['properties']}
        self._visible(req, snapshot_id, 'volume:update_snapshot')
        rec = mgr().update_snapshot(req.context, snapshot_id, values)
        return {'snapshot': views.snapshot(req, rec, detail=False)}

    def delete(self, req, snapshot_id):
        self._visible(req, snapshot_id, 'volume:delete_snapshot')
        mgr().delete_snapshot(req.context, snapshot_id)
        return _accepted()

    def action(self, req, snapshot_id):
        data = req.json_body()
        if not isinstance(data, dict) or len(data) != 1:
            raise exception.BadRequest('There is either no action or more than one '
                                       'action in the request body.')
        (name, args), = data.items()
        args = args or {}
        rec = mgr().get_snapshot(req.context, snapshot_id)
        if name == 'os-reset_status':
            common.authorize(req, 'volume_extension:snapshot_admin_actions:reset_status',
                             rec['project_id'])
            status = args.get('status') if isinstance(args, dict) else None
            if not status:
                raise exception.BadRequest('Must specify a status.')
            mgr().reset_snapshot_status(req.context, snapshot_id, status)
        elif name == 'os-force_delete':
            common.authorize(req, 'volume_extension:snapshot_admin_actions:force_delete',
                             rec['project_id'])
            mgr().force_delete_snapshot(req.context, snapshot_id)
        elif name == 'os-update_snapshot_status':
            common.authorize(req, 'snapshot_extension:snapshot_actions:'
                             'update_snapshot_status', rec['project_id'])
            status = args.get('status') if isinstance(args, dict) else None
            if not status:
                raise exception.BadRequest("'status' must be specified.")
            mgr().update_snapshot_status(req.context, snapshot_id, status,
                                         args.get('progress'))
        elif name == 'os-unmanage':
            common.authorize(req, 'snapshot_extension:snapshot_unmanage',
                             rec['project_id'])
            mgr().unmanage_snapshot(req.context, snapshot_id)
        else:
            raise exception.BadRequest('There is no such action: %s' % name)
        return _accepted()

    # --- metadata -------------------------------------------------------------------
    def metadata(self, req, snapshot_id):
        self._visible(req, snapshot_id, 'volume:get_snapshot_metadata')
        return {'metadata': mgr().get_snapshot_metadata(req.context, snapshot_id)}

    def create_metadata(self, req, snapshot_id):
        values = common.body(req, None, METADATA_BODY, strict_from=None)['metadata']
        self._visible(req, snapshot_id, 'volume:update_snapshot_metadata')
        return {'metadata': mgr().update_snapshot_metadata(req.context, snapshot_id,
                                                           values)}

    def replace_metadata(self, req, snapshot_id):
        values = common.body(req, None, METADATA_BODY, strict_from=None)['metadata']
        self._visible(req, snapshot_id, 'volume:update_snapshot_metadata')
        return {'metadata': mgr().update_snapshot_metadata(req.context, snapshot_id,
                                                           values, replace=True)}

    def metadata_item(self, req, snapshot_id, key):
        self._visible(req, snapshot_id, 'volume:get_snapshot_metadata')
        found = mgr().get_snapshot_metadata(req.context, snapshot_id)
        if key not in found:
            raise exception.NotFound('Metadata item was not found')
        return {'meta': {key: found[key]}}

    def update_metadata_item(self, req, snapshot_id, key):
        meta = common.body(req, None, META_ITEM_BODY, strict_from=None)['meta']
        if key not in meta:
            raise exception.BadRequest('Request body and URI mismatch')
        self._visible(req, snapshot_id, 'volume:update_snapshot_metadata')
        mgr().update_snapshot_metadata(req.context, snapshot_id, meta)
        return {'meta': meta}

    def delete_metadata_item(self, req, snapshot_id, key):
        self._visible(req, snapshot_id, 'volume:delete_snapshot_metadata')
        mgr().delete_snapshot_metadata_key(req.context, snapshot_id, key)
        return webob.Response(status=200, content_type=None)

    # --- manage ---------------------------------------------------------------------
    def manage(self, req):
        spec = common.body(req, 'snapshot', MANAGE, strict_from=None)
        common.authorize(req, 'snapshot_extension:snapshot_manage')
        rec = mgr().manage_snapshot(req.context, spec['volume_id'], spec['ref'],
                                    spec.get('name'), spec.get('description'),
                                    spec.get('metadata'))
        return _accepted({'snapshot': views.snapshot(req, rec, detail=False)})

    def manageable(self, req):
        common.authorize(req, 'snapshot_extension:list_manageable')
        return common.manageable(req, 'snapshot', detail=False)

    def manageable_detail(self, req):
        common.authorize(req, 'snapshot_extension:list_manageable')
        return common.manageable(req, 'snapshot', detail=True)
