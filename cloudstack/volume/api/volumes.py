"""/volumes: volumes, their metadata and their actions."""
import webob

from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.volume.api import common, views
from cloudstack.volume.manager import types as type_area
from cloudstack.volume.manager import volumes as volume_area

CREATE = {
    'type': 'object',
    'properties': {
        'name': common.STRING_255, 'description': common.DESCRIPTION,
        'display_name': common.STRING_255, 'display_description': common.DESCRIPTION,
        'size': {'type': ['integer', 'string', 'null']},
        'volume_type': {'type': ['string', 'null'], 'maxLength': 255},
        'metadata': common.NULLABLE_METADATA,
        'snapshot_id': common.NULLABLE_UUID, 'source_volid': common.NULLABLE_UUID,
        'backup_id': common.NULLABLE_UUID, 'group_id': common.NULLABLE_UUID,
        'consistencygroup_id': common.NULLABLE_UUID,
        'imageRef': common.NULLABLE_UUID, 'image_id': common.NULLABLE_UUID,
        'availability_zone': {'type': ['string', 'null'], 'maxLength': 255},
        'multiattach': common.BOOL_LIKE,
        'source_replica': common.NULLABLE_UUID,
    },
}
UPDATE = {
    'type': 'object', 'additionalProperties': False,
    'properties': {
        'name': common.STRING_255, 'description': common.DESCRIPTION,
        'display_name': common.STRING_255, 'display_description': common.DESCRIPTION,
        'metadata': common.NULLABLE_METADATA,
    },
}
METADATA_BODY = {'type': 'object', 'required': ['metadata'],
                 'properties': {'metadata': common.METADATA}}
META_ITEM_BODY = {'type': 'object', 'required': ['meta'],
                  'properties': {'meta': dict(common.METADATA, minProperties=1,
                                              maxProperties=1)}}
SORT_KEYS = volume_area.SORT_KEYS
FILTER_KEYS = ('name', 'status', 'metadata', 'bootable', 'availability_zone',
               'migration_status', 'group_id', 'size', 'created_at', 'updated_at',
               'glance_metadata', 'consumes_quota', 'user_id', 'volume_type_id',
               'description', 'host', 'attach_status', 'multiattach', 'snapshot_id',
               'source_volid', 'id')


def mgr():
    return common.manager()


def _accepted(body=None):
    if body is None:
        return webob.Response(status=202, content_type=None)
    return wsgi.json_response(body, 202)


class Volumes:

    def _visible(self, req, volume_id, rule):
        """The volume (404 unless the caller sees it), once `rule` allows."""
        rec = mgr().get_volume(req.context, volume_id)
        common.authorize(req, rule, rec['project_id'])
        return rec

    # --- collection --------------------------------------------------------------
    def _list(self, req, summary=False):
        common.authorize(req, 'volume:get_all')
        limit, marker, offset, sort = common.paging(req, SORT_KEYS)
        everyone, project = common.all_projects(req)
        found = self._filters(req)
        records, count = mgr().list_volumes(
            req.context, found, sort, limit, marker, offset, everyone, project,
            with_count=common.count_wanted(req), summary=summary)
        return records, limit, count

    def _filters(self, req):
        found = common.filters(req, 'volume', FILTER_KEYS)
        out = {}
        for key, value in found.items():
            if key in ('metadata', 'glance_metadata'):
                if key == 'glance_metadata' and not common.at_least(
                        req, common.GLANCE_METADATA_FILTER):
                    continue
                out[key] = common.dict_param(value, key)
            elif key == 'bootable':
                if common.at_least(req, '3.2'):
                    out[key] = common.bool_value(value, 'bootable')
                else:       # before 3.2 anything but false meant true
                    out[key] = value not in ('False', 'false', 'FALSE')
            elif key in ('created_at', 'updated_at') and isinstance(value, str) and \
                    ':' in value and value.split(':', 1)[0] in common.TIME_OPERATORS:
                if not common.at_least(req, common.TIME_FILTERS):
                    continue
                op, _, when = value.partition(':')
                out[key] = (op, when.replace('T', ' ').rstrip('Z'))
            elif key in ('multiattach', 'consumes_quota'):
                out[key] = common.bool_value(value, key)
            elif key == 'size':
                try:
                    out[key] = int(value)
                except ValueError:
                    raise exception.BadRequest('Invalid size filter %r.' % value)
            elif key == 'group_id' and not common.at_least(
                    req, common.GROUP_VOLUME_LIST_FILTER):
                continue
            else:
                out[key] = value
        return out

    def index(self, req):
        records, limit, count = self._list(req, summary=True)
        return common.listing(req, 'volumes', [views.volume_summary(req, r)
                                               for r in records], limit, count=count)

    def detail(self, req):
        records, limit, count = self._list(req)
        return common.listing(req, 'volumes', [views.volume(req, r) for r in records],
                              limit, 'volumes/detail', count)

    def summary(self, req):
        common.require(req, common.VOLUME_SUMMARY)
        common.authorize(req, 'volume:get_all')
        everyone, project = common.all_projects(req)
        found = mgr().volume_summary(req.context, self._filters(req), everyone, project)
        if not common.at_least(req, common.SUMMARY_METADATA):
            found.pop('metadata')
        return {'volume-summary': found}

    # --- one volume ----------------------------------------------------------------
    def show(self, req, volume_id):
        return {'volume': views.volume(req, self._visible(req, volume_id, 'volume:get'))}

    def create(self, req):
        spec = common.body(req, 'volume', CREATE)
        spec = dict(spec)
        if 'display_name' in spec and 'name' not in spec:
            spec['name'] = spec.pop('display_name')
        if 'display_description' in spec and 'description' not in spec:
            spec['description'] = spec.pop('display_description')
        spec['imageRef'] = spec.get('imageRef') or spec.pop('image_id', None)
        source = spec.get('snapshot_id') or spec.get('source_volid') or \
            spec.get('backup_id') or spec.get('imageRef')
        spec['size'] = common.size_value(spec.get('size'), required=not source)
        if spec.get('backup_id') and not common.at_least(req, common.CREATE_FROM_BACKUP):
            spec.pop('backup_id')
        if spec.get('group_id') and not common.at_least(req, common.GROUPS):
            spec.pop('group_id')
        if spec.get('multiattach') is not None and common.flag(spec['multiattach'],
                                                               'multiattach'):
            raise exception.BadRequest('The multiattach parameter is no longer '
                                       'accepted: create multiattach volumes with a '
                                       'volume type whose multiattach extra spec is '
                                       '"<is> True".')
        spec.pop('multiattach', None)
        common.authorize(req, 'volume:create')
        common.require_project(req, 'volume')
        if spec.get('imageRef'):
            common.authorize(req, 'volume:create_from_image')
        if spec.get('volume_type'):
            vtype = mgr().get_type(req.context, spec['volume_type'])
            if type_area._bool_spec(vtype['extra_specs'].get('multiattach')):
                common.authorize(req, 'volume:multiattach')
        hints = req.json_body().get('OS-SCH-HNT:scheduler_hints')
        if hints is not None and not isinstance(hints, dict):
            raise exception.BadRequest('Invalid scheduler hints.')
        rec = mgr().create_volume(req.context, spec)
        return _accepted({'volume': views.volume(req, rec, create=True)})

    def update(self, req, volume_id):
        values = common.body(req, 'volume', UPDATE)
        if common.at_least(req, common.STRICT_BODIES) and not values:
            raise exception.BadRequest('At least one valid field is required to '
                                       'update a volume.')
        values = {{'display_name': 'name', 'display_description': 'description'}.get(k, k): v
                  for k, v in values.items()
                  if k in UPDATE['properties']}
        self._visible(req, volume_id, 'volume:update')
        rec = mgr().update_volume(req.context, volume_id, values)
        return {'volume': views.volume(req, rec, create=True)}

    def delete(self, req, volume_id):
        rec = self._visible(req, volume_id, 'volume:delete')
        cascade = common.bool_value(req.GET.get('cascade', 'false'), 'cascade')
        force = False
        if 'force' in req.GET and common.at_least(req, common.VOLUME_DELETE_FORCE):
            force = common.bool_value(req.GET['force'], 'force')
            if force:
                common.authorize(req, 'volume:force_delete', rec['project_id'])
        mgr().delete_volume(req.context, volume_id, cascade=cascade, force=force)
        return _accepted()

    # --- metadata ------------------------------------------------------------------
    def metadata(self, req, volume_id):
        self._visible(req, volume_id, 'volume:get_volume_metadata')
        return {'metadata': mgr().get_metadata(req.context, volume_id)}

    def create_metadata(self, req, volume_id):
        values = common.body(req, None, METADATA_BODY, strict_from=None)['metadata']
        self._visible(req, volume_id, 'volume:create_volume_metadata')
        return {'metadata': mgr().update_metadata(req.context, volume_id, values)}

    def replace_metadata(self, req, volume_id):
        values = common.body(req, None, METADATA_BODY, strict_from=None)['metadata']
        self._visible(req, volume_id, 'volume:update_volume_metadata')
        return {'metadata': mgr().update_metadata(req.context, volume_id, values,
                                                  replace=True)}

    def metadata_item(self, req, volume_id, key):
        self._visible(req, volume_id, 'volume:get_volume_metadata')
        found = mgr().get_metadata(req.context, volume_id)
        if key not in found:
            raise exception.NotFound('Metadata item was not found')
        return {'meta': {key: found[key]}}

    def update_metadata_item(self, req, volume_id, key):
        meta = common.body(req, None, META_ITEM_BODY, strict_from=None)['meta']
        if key not in meta:
            raise exception.BadRequest('Request body and URI mismatch')
        self._visible(req, volume_id, 'volume:update_volume_metadata')
        mgr().update_metadata(req.context, volume_id, meta)
        return {'meta': meta}

    def delete_metadata_item(self, req, volume_id, key):
        self._visible(req, volume_id, 'volume:delete_volume_metadata')
        mgr().delete_metadata_key(req.context, volume_id, key)
        return webob.Response(status=200, content_type=None)

    # --- encryption metadata -------------------------------------------------------
    def encryption(self, req, volume_id):
        rec = self._visible(req, volume_id, 'volume_extension:volume_encryption_metadata')
        return self._encryption(req, rec)

    def _encryption(self, req, rec):
        out = {'encryption_key_id': rec['encryption_key_id']}
        enc = {}
        if rec['volume_type_id']:
            try:
                enc = mgr().get_encryption(req.context, rec['volume_type_id'])
            except exception.NotFound:
                enc = {}
        if not enc:
            return {'encryption_key_id': None}
        out.update(provider=enc['provider'], cipher=enc['cipher'],
                   key_size=enc['key_size'], control_location=enc['control_location'])
        return out

    def encryption_item(self, req, volume_id, key):
        rec = self._visible(req, volume_id, 'volume_extension:volume_encryption_metadata')
        found = self._encryption(req, rec)
        if key not in found:
            raise exception.NotFound('Encryption key %s not found.' % key)
        return webob.Response(status=200, content_type='text/plain',
                              text=str(found[key]))
