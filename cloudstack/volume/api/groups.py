"""/groups (3.13), /group_types with group specs (3.11) and /group_snapshots
(3.14)."""
import webob

from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.volume.api import common, views

NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255}
SPECS = {'type': 'object',
         'propertyNames': {'minLength': 1, 'maxLength': 255},
         'additionalProperties': {'type': 'string', 'maxLength': 255}}
TYPE_CREATE = {
    'type': 'object', 'required': ['name'], 'additionalProperties': False,
    'properties': {'name': NAME, 'description': common.DESCRIPTION,
                   'is_public': common.BOOL_LIKE, 'group_specs': SPECS},
}
TYPE_UPDATE = {
    'type': 'object', 'additionalProperties': False, 'minProperties': 1,
    'properties': {'name': NAME, 'description': common.DESCRIPTION,
                   'is_public': common.BOOL_LIKE},
}
GROUP_CREATE = {
    'type': 'object', 'required': ['group_type', 'volume_types'],
    'additionalProperties': False,
    'properties': {'name': common.STRING_255, 'description': common.DESCRIPTION,
                   'group_type': {'type': 'string', 'minLength': 1},
                   'volume_types': {'type': 'array', 'minItems': 1,
                                    'items': {'type': 'string', 'minLength': 1}},
                   'availability_zone': {'type': ['string', 'null']}},
}
GROUP_FROM_SRC = {
    'type': 'object', 'additionalProperties': False,
    'properties': {'name': common.STRING_255, 'description': common.DESCRIPTION,
                   'group_snapshot_id': common.NULLABLE_UUID,
                   'source_group_id': common.NULLABLE_UUID},
}
GROUP_UPDATE = {
    'type': 'object', 'additionalProperties': False,
    'properties': {'name': common.STRING_255, 'description': common.DESCRIPTION,
                   'add_volumes': {'type': ['string', 'null']},
                   'remove_volumes': {'type': ['string', 'null']}},
}
SNAPSHOT_CREATE = {
    'type': 'object', 'required': ['group_id'], 'additionalProperties': False,
    'properties': {'group_id': common.UUID, 'name': common.STRING_255,
                   'description': common.DESCRIPTION},
}
SORT_KEYS = ('id', 'name', 'created_at', 'status', 'updated_at')
TYPE_SORT_KEYS = ('id', 'name', 'created_at', 'is_public', 'description')


def mgr():
    return common.manager()


def _accepted(body=None):
    if body is None:
        return webob.Response(status=202, content_type=None)
    return wsgi.json_response(body, 202)


class GroupTypes:

    def index(self, req):
        common.require(req, common.GROUP_TYPES)
        limit, marker, offset, sort = common.paging(req, TYPE_SORT_KEYS, 'created_at',
                                                    'asc')
        value = req.GET.get('is_public')
        is_public = True
        if common.is_admin(req):
            is_public = None if value is None or value.lower() == 'none' else \
                common.bool_value(value, 'is_public')
        records = mgr().list_group_types(req.context, is_public, sort, limit, marker,
                                         offset)
        return {'group_types': [views.group_type(req, r) for r in records]}

    def show(self, req, group_type_id):
        common.require(req, common.GROUP_TYPES)
        if group_type_id == 'default':
            raise exception.NotFound('No default group type is configured.')
        return {'group_type': views.group_type(
            req, mgr().get_group_type(req.context, group_type_id))}

    def create(self, req):
        common.require(req, common.GROUP_TYPES)
        spec = common.body(req, 'group_type', TYPE_CREATE, strict_from=None)
        common.authorize(req, 'group:group_types:create')
        rec = mgr().create_group_type(req.context, spec['name'].strip(),
                                      spec.get('description'),
                                      common.flag(spec.get('is_public', True), 'is_public'),
                                      spec.get('group_specs'))
        return _accepted({'group_type': views.group_type(req, rec)})

    def update(self, req, group_type_id):
        common.require(req, common.GROUP_TYPES)
        spec = common.body(req, 'group_type', TYPE_UPDATE, strict_from=None)
        common.authorize(req, 'group:group_types:update')
        if 'is_public' in spec:
            spec['is_public'] = common.flag(spec['is_public'], 'is_public')
        return {'group_type': views.group_type(
            req, mgr().update_group_type(req.context, group_type_id, spec))}

    def delete(self, req, group_type_id):
        common.require(req, common.GROUP_TYPES)
        common.authorize(req, 'group:group_types:delete')
        mgr().delete_group_type(req.context, group_type_id)
        return _accepted()

    def specs(self, req, group_type_id):
        common.require(req, common.GROUP_TYPES)
        common.authorize(req, 'group:group_types_specs:get_all')
        return {'group_specs': mgr().get_group_specs(req.context, group_type_id)}

    def create_specs(self, req, group_type_id):
        common.require(req, common.GROUP_TYPES)
        spec = common.body(req, None, {'type': 'object', 'required': ['group_specs'],
                                       'properties': {'group_specs': SPECS}},
                           strict_from=None)
        common.authorize(req, 'group:group_types_specs:create')
        return _accepted({'group_specs': mgr().set_group_specs(
            req.context, group_type_id, spec['group_specs'])})

    def spec(self, req, group_type_id, key):
        common.require(req, common.GROUP_TYPES)
        common.authorize(req, 'group:group_types_specs:get')
        found = mgr().get_group_specs(req.context, group_type_id)
        if key not in found:
            raise exception.NotFound('Group type %s has no group specs with key %s.'
                                     % (group_type_id, key))
        return {key: found[key]}

    def update_spec(self, req, group_type_id, key):
        common.require(req, common.GROUP_TYPES)
        data = common.body(req, None, dict(SPECS, minProperties=1, maxProperties=1),
                           strict_from=None)
        if key not in data:
            raise exception.BadRequest('Request body and URI mismatch')
        common.authorize(req, 'group:group_types_specs:update')
        mgr().set_group_specs(req.context, group_type_id, data)
        return dict(data)

    def delete_spec(self, req, group_type_id, key):
        common.require(req, common.GROUP_TYPES)
        common.authorize(req, 'group:group_types_specs:delete')
        mgr().delete_group_spec(req.context, group_type_id, key)
        return _accepted()


class Groups:

    def _visible(self, req, group_id, rule):
        rec = mgr().get_group(req.context, group_id)
        common.authorize(req, rule, rec['project_id'])
        return rec

    def _list(self, req, detail):
        common.require(req, common.GROUPS)
        common.authorize(req, 'group:get_all')
        limit, marker, offset, sort = common.paging(req, SORT_KEYS)
        everyone, project = common.all_projects(req)
        found = {k: v for k, v in common.filters(req, 'group', ('name', 'status')).items()
                 if not isinstance(v, tuple)}
        records = mgr().list_groups(req.context, found, sort, limit, marker, offset,
                                    everyone, project)
        return common.listing(req, 'groups', [views.group(req, r, detail)
                                              for r in records], limit,
                              'groups/detail' if detail else 'groups')

    def index(self, req):
        return self._list(req, False)

    def detail(self, req):
        return self._list(req, True)

    def show(self, req, group_id):
        common.require(req, common.GROUPS)
        return {'group': views.group(req, self._visible(req, group_id, 'group:get'))}

    def create(self, req):
        common.require(req, common.GROUPS)
        spec = common.body(req, 'group', GROUP_CREATE, strict_from=None)
        common.authorize(req, 'group:create')
        common.require_project(req, 'group')
        rec = mgr().create_group(req.context, spec.get('name'), spec['group_type'],
                                 spec['volume_types'], spec.get('description'),
                                 spec.get('availability_zone'))
        return _accepted({'group': views.group(req, rec, detail=False)})

    def create_from_src(self, req):
        common.require(req, common.GROUP_SNAPSHOTS)
        spec = common.body(req, 'create-from-src', GROUP_FROM_SRC, strict_from=None)
        if bool(spec.get('group_snapshot_id')) == bool(spec.get('source_group_id')):
            raise exception.BadRequest('Either group_snapshot_id or source_group_id '
                                       'must be provided, but not both.')
        common.authorize(req, 'group:create')
        common.require_project(req, 'group')
        rec = mgr().create_group_from_source(
            req.context, spec.get('name'), spec.get('description'),
            spec.get('group_snapshot_id'), spec.get('source_group_id'))
        return _accepted({'group': views.group(req, rec, detail=False)})

    def update(self, req, group_id):
        common.require(req, common.GROUPS)
        spec = common.body(req, 'group', GROUP_UPDATE, strict_from=None)
        if not spec:
            raise exception.BadRequest('Name, description, add_volumes, and '
                                       'remove_volumes can not be all empty in the '
                                       'request body.')
        self._visible(req, group_id, 'group:update')
        mgr().update_group(req.context, group_id, spec.get('name'), spec.get('description'),
                           spec.get('add_volumes'), spec.get('remove_volumes'),
                           values=set(spec))
        return _accepted()

    def action(self, req, group_id):
        common.require(req, common.GROUPS)
        data = req.json_body()
        if not isinstance(data, dict) or len(data) != 1:
            raise exception.BadRequest('There is either no action or more than one '
                                       'action in the request body.')
        (name, args), = data.items()
        args = args or {}
        rec = mgr().get_group(req.context, group_id)
        if name == 'delete':
            common.authorize(req, 'group:delete', rec['project_id'])
            mgr().delete_group(req.context, group_id, common.flag(
                args.get('delete-volumes', False), 'delete-volumes'))
        elif name == 'reset_status':
            common.require(req, common.GROUP_RESET)
            common.authorize(req, 'group:reset_status', rec['project_id'])
            if not args.get('status'):
                raise exception.BadRequest('Must specify a status.')
            mgr().reset_group_status(req.context, group_id, args['status'])
        elif name in ('enable_replication', 'disable_replication',
                      'failover_replication'):
            common.authorize(req, 'group:%s' % name, rec['project_id'])
            raise exception.BadRequest('Group %s is not replication-enabled.' % group_id)
        elif name == 'list_replication_targets':
            common.authorize(req, 'group:list_replication_targets', rec['project_id'])
            return {'replication_targets': []}
        else:
            raise exception.BadRequest('There is no such action: %s' % name)
        return _accepted()


class GroupSnapshots:

    def _list(self, req, detail):
        common.require(req, common.GROUP_SNAPSHOTS)
        common.authorize(req, 'group:get_all_group_snapshots')
        limit, marker, offset, sort = common.paging(req, SORT_KEYS)
        everyone, project = common.all_projects(req)
        found = {k: v for k, v in common.filters(req, 'group_snapshot',
                                                 ('status', 'group_id', 'name')).items()
                 if not isinstance(v, tuple)}
        records = mgr().list_group_snapshots(req.context, found, sort, limit, marker,
                                             offset, everyone, project)
        return common.listing(req, 'group_snapshots',
                              [views.group_snapshot(req, r, detail) for r in records],
                              limit, 'group_snapshots/detail' if detail
                              else 'group_snapshots')

    def index(self, req):
        return self._list(req, False)

    def detail(self, req):
        return self._list(req, True)

    def show(self, req, group_snapshot_id):
        common.require(req, common.GROUP_SNAPSHOTS)
        rec = mgr().get_group_snapshot(req.context, group_snapshot_id)
        common.authorize(req, 'group:get_group_snapshot', rec['project_id'])
        return {'group_snapshot': views.group_snapshot(req, rec)}

    def create(self, req):
        common.require(req, common.GROUP_SNAPSHOTS)
        spec = common.body(req, 'group_snapshot', SNAPSHOT_CREATE, strict_from=None)
        group = mgr().get_group(req.context, spec['group_id'])
        common.authorize(req, 'group:create_group_snapshot', group['project_id'])
        rec = mgr().create_group_snapshot(req.context, spec['group_id'],
                                          spec.get('name'), spec.get('description'))
        return _accepted({'group_snapshot': {'id': rec['id'], 'name': rec['name'],
                                             'group_type_id': rec['group_type_id']}})

    def delete(self, req, group_snapshot_id):
        common.require(req, common.GROUP_SNAPSHOTS)
        rec = mgr().get_group_snapshot(req.context, group_snapshot_id)
        common.authorize(req, 'group:delete_group_snapshot', rec['project_id'])
        mgr().delete_group_snapshot(req.context, group_snapshot_id)
        return _accepted()

    def action(self, req, group_snapshot_id):
        common.require(req, common.GROUP_SNAPSHOT_RESET)
        data = req.json_body()
        if not isinstance(data, dict) or list(data) != ['reset_status']:
            raise exception.BadRequest('There is no such action.')
        rec = mgr().get_group_snapshot(req.context, group_snapshot_id)
        common.authorize(req, 'group:reset_group_snapshot_status', rec['project_id'])
        status = (data['reset_status'] or {}).get('status')
        if not status:
            raise exception.BadRequest('Must specify a status.')
        mgr().reset_group_snapshot_status(req.context, group_snapshot_id, status)
        return _accepted()
