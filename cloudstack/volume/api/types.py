"""/types (with extra specs, access and encryption), /default-types and
/qos-specs."""
import webob

from cloudstack import exception
from cloudstack.volume.api import common, views
from cloudstack.volume.manager import types as type_area

NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255, 'pattern': r'\S'}
SPECS = {'type': 'object', 'maxProperties': 1000,
         'propertyNames': {'minLength': 1, 'maxLength': 255,
                           'pattern': r'^[a-zA-Z0-9\-_:. /]+$'},
         'additionalProperties': {'type': 'string', 'maxLength': 255}}
CREATE = {
    'type': 'object', 'additionalProperties': False, 'required': ['name'],
    'properties': {'name': NAME, 'description': common.DESCRIPTION,
                   'extra_specs': SPECS, 'os-volume-type-access:is_public': common.BOOL_LIKE,
                   'is_public': common.BOOL_LIKE},
}
UPDATE = {
    'type': 'object', 'additionalProperties': False, 'minProperties': 1,
    'properties': {'name': NAME, 'description': common.DESCRIPTION,
                   'is_public': common.BOOL_LIKE},
}
ENCRYPTION = {
    'type': 'object', 'additionalProperties': False,
    'properties': {
        'provider': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        'cipher': {'type': ['string', 'null'], 'maxLength': 255},
        'key_size': {'type': ['integer', 'null'], 'enum': [None, 128, 192, 256, 512]},
        'control_location': {'type': 'string', 'enum': list(type_area.CONTROL_LOCATIONS)},
    },
}
SORT_KEYS = ('id', 'name', 'created_at', 'updated_at', 'is_public', 'description')


def mgr():
    return common.manager()


def _accepted():
    return webob.Response(status=202, content_type=None)


class Types:

    # --- types ------------------------------------------------------------------
    def index(self, req):
        common.authorize(req, 'volume_extension:type_get_all')
        limit, marker, offset, sort = common.paging(req, SORT_KEYS, 'created_at', 'asc')
        is_public = True
        if common.is_admin(req):
            value = req.GET.get('is_public')
            is_public = None if value is None or value.lower() == 'none' else \
                common.bool_value(value, 'is_public')
        specs = None
        if 'extra_specs' in req.GET and common.at_least(req, common.TYPE_EXTRA_SPECS_FILTER):
            specs = common.dict_param(req.GET['extra_specs'], 'extra_specs')
        records = mgr().list_types(req.context, is_public, specs, sort, limit, marker,
                                   offset)
        out = {'volume_types': [views.volume_type(req, r) for r in records]}
        found = common.collection_links(req, 'types', records, limit)
        if found:
            out['volume_type_links'] = found
        return out

    def show(self, req, type_id):
        common.authorize(req, 'volume_extension:type_get')
        if type_id == 'default':
            rec = mgr().default_type_for(req.context)
        else:
            rec = mgr().get_type(req.context, type_id)
        return {'volume_type': views.volume_type(req, rec)}

    def create(self, req):
        spec = common.body(req, 'volume_type', CREATE, strict_from=None)
        common.authorize(req, 'volume_extension:type_create')
        is_public = spec.get('os-volume-type-access:is_public', spec.get('is_public', True))
        rec = mgr().create_type(req.context, spec['name'].strip(), spec.get('description'),
                                common.flag(is_public, 'is_public'),
                                spec.get('extra_specs') or {})
        return {'volume_type': views.volume_type(req, rec, brief=True)
                | {'os-volume-type-access:is_public': rec['is_public']}}

    def update(self, req, type_id):
        spec = common.body(req, 'volume_type', UPDATE, strict_from=None)
        common.authorize(req, 'volume_extension:type_update')
        rec = mgr().update_type(
            req.context, type_id, spec.get('name'), spec.get('description'),
            common.flag(spec['is_public'], 'is_public') if 'is_public' in spec else None,
            update_description='description' in spec)
        return {'volume_type': views.volume_type(req, rec, brief=True)}

    def delete(self, req, type_id):
        common.authorize(req, 'volume_extension:type_delete')
        mgr().delete_type(req.context, type_id)
        return _accepted()

    # --- extra specs ---------------------------------------------------------------
    def extra_specs(self, req, type_id):
        common.authorize(req, 'volume_extension:types_extra_specs:index')
        return {'extra_specs': self._visible_specs(req, mgr().get_extra_specs(
            req.context, type_id))}

    def _visible_specs(self, req, specs):
        if common.allowed(req, 'volume_extension:types_extra_specs:read_sensitive'):
            return specs
        return {k: v for k, v in specs.items() if k in type_area.USER_VISIBLE_SPECS}

    def create_extra_specs(self, req, type_id):
        spec = common.body(req, None, {'type': 'object', 'required': ['extra_specs'],
                                       'properties': {'extra_specs': SPECS}},
                           strict_from=None)
        common.authorize(req, 'volume_extension:types_extra_specs:create')
        return {'extra_specs': mgr().set_extra_specs(req.context, type_id,
                                                     spec['extra_specs'])}

    def extra_spec(self, req, type_id, key):
        common.authorize(req, 'volume_extension:types_extra_specs:show')
        specs = self._visible_specs(req, mgr().get_extra_specs(req.context, type_id))
        if key not in specs:
            raise exception.NotFound('Volume Type %s has no extra specs with key %s.'
                                     % (type_id, key))
        return {key: specs[key]}

    def update_extra_spec(self, req, type_id, key):
        data = common.body(req, None, dict(SPECS, minProperties=1), strict_from=None)
        if len(data) != 1:
            raise exception.BadRequest('Request body contains too many items.')
        if key not in data:
            raise exception.BadRequest('Request body and URI mismatch')
        common.authorize(req, 'volume_extension:types_extra_specs:update')
        mgr().set_extra_specs(req.context, type_id, data)
        return dict(data)

    def delete_extra_spec(self, req, type_id, key):
        common.authorize(req, 'volume_extension:types_extra_specs:delete')
        mgr().delete_extra_spec(req.context, type_id, key)
        return _accepted()

    # --- access -----------------------------------------------------------------------
    def access(self, req, type_id):
        common.authorize(req, 'volume_extension:volume_type_access:get_all_for_type')
        return {'volume_type_access': mgr().type_access(req.context, type_id)}

    def action(self, req, type_id):
        data = req.json_body()
        if not isinstance(data, dict) or len(data) != 1:
            raise exception.BadRequest('There is either no action or more than one '
                                       'action in the request body.')
        (name, args), = data.items()
        project = (args or {}).get('project') if isinstance(args, dict) else None
        if name not in ('addProjectAccess', 'removeProjectAccess'):
            raise exception.BadRequest('There is no such action: %s' % name)
        if not project:
            raise exception.BadRequest('Access list requires a project.')
        common.authorize(req, 'volume_extension:volume_type_access:%s' % name)
        if name == 'addProjectAccess':
            mgr().add_type_access(req.context, type_id, project)
        else:
            mgr().remove_type_access(req.context, type_id, project)
        return _accepted()

    # --- encryption ----------------------------------------------------------------------
    def encryption(self, req, type_id):
        common.authorize(req, 'volume_extension:volume_type_encryption:get')
        return mgr().get_encryption(req.context, type_id)

    def encryption_item(self, req, type_id, encryption_id):
        """GET /types/{id}/encryption/{key}: one field of the encryption."""
        key = encryption_id
        common.authorize(req, 'volume_extension:volume_type_encryption:get')
        found = mgr().get_encryption(req.context, type_id)
        if key == 'encryption_key_id' or key not in found:
            raise exception.NotFound('Volume type encryption for type %s has no %s.'
                                     % (type_id, key))
        return {key: found[key]}

    def create_encryption(self, req, type_id):
        spec = common.body(req, 'encryption', dict(
            ENCRYPTION, required=['provider', 'control_location']), strict_from=None)
        common.authorize(req, 'volume_extension:volume_type_encryption:create')
        rec = mgr().create_encryption(req.context, type_id, dict(spec))
        return {'encryption': {k: rec[k] for k in (
            'volume_type_id', 'encryption_id', 'provider', 'cipher', 'key_size',
            'control_location')}}

    def update_encryption(self, req, type_id, encryption_id):
        spec = common.body(req, 'encryption', dict(ENCRYPTION, minProperties=1),
                           strict_from=None)
        common.authorize(req, 'volume_extension:volume_type_encryption:update')
        return {'encryption': mgr().update_encryption(req.context, type_id,
                                                      encryption_id, dict(spec))}

    def delete_encryption(self, req, type_id, encryption_id):
        common.authorize(req, 'volume_extension:volume_type_encryption:delete')
        mgr().delete_encryption(req.context, type_id, encryption_id)
        return _accepted()

    # --- default types (3.62) ---------------------------------------------------------
    def set_default(self, req, project_id):
        common.require(req, common.DEFAULT_TYPES)
        spec = common.body(req, 'default_type', {
            'type': 'object', 'required': ['volume_type'], 'additionalProperties': False,
            'properties': {'volume_type': {'type': 'string', 'minLength': 1,
                                           'maxLength': 255}}}, strict_from=None)
        common.authorize(req, 'volume_extension:default_set_or_update', project_id)
        return {'default_type': mgr().set_default_type(req.context, project_id,
                                                       spec['volume_type'])}

    def get_default(self, req, project_id):
        common.require(req, common.DEFAULT_TYPES)
        common.authorize(req, 'volume_extension:default_get', project_id)
        return {'default_type': mgr().get_default_type(req.context, project_id)}

    def list_defaults(self, req):
        common.require(req, common.DEFAULT_TYPES)
        common.authorize(req, 'volume_extension:default_get_all')
        return {'default_types': mgr().list_default_types(req.context)}

    def unset_default(self, req, project_id):
        common.require(req, common.DEFAULT_TYPES)
        common.authorize(req, 'volume_extension:default_unset', project_id)
        mgr().unset_default_type(req.context, project_id)
        return webob.Response(status=204, content_type=None)


QOS_CREATE = {
    'type': 'object', 'required': ['name'],
    'properties': {'name': NAME, 'consumer': {'type': 'string',
                                              'enum': list(type_area.QOS_CONSUMERS)}},
    'additionalProperties': {'type': 'string', 'maxLength': 255},
}


class Qos:

    def index(self, req):
        common.authorize(req, 'volume_extension:qos_specs_manage:get_all')
        limit, marker, offset, sort = common.paging(req, ('id', 'name', 'created_at',
                                                          'consumer'), 'created_at', 'asc')
        return {'qos_specs': [views.qos(r) for r in mgr().list_qos(
            req.context, sort, limit, marker, offset)]}

    def show(self, req, qos_id):
        common.authorize(req, 'volume_extension:qos_specs_manage:get')
        rec = mgr().get_qos(req.context, qos_id)
        return {'qos_specs': views.qos(rec), 'links': common.links(req, 'qos-specs', qos_id)}

    def create(self, req):
        spec = common.body(req, 'qos_specs', QOS_CREATE, strict_from=None)
        common.authorize(req, 'volume_extension:qos_specs_manage:create')
        spec = dict(spec)
        name, consumer = spec.pop('name').strip(), spec.pop('consumer', 'back-end')
        rec = mgr().create_qos(req.context, name, consumer, spec)
        return {'qos_specs': views.qos(rec),
                'links': common.links(req, 'qos-specs', rec['id'])}

    def update(self, req, qos_id):
        spec = common.body(req, 'qos_specs', {
            'type': 'object', 'minProperties': 1,
            'properties': {'consumer': {'type': 'string',
                                        'enum': list(type_area.QOS_CONSUMERS)}},
            'additionalProperties': {'type': 'string', 'maxLength': 255}},
            strict_from=None)
        common.authorize(req, 'volume_extension:qos_specs_manage:update')
        return {'qos_specs': mgr().set_qos_keys(req.context, qos_id, dict(spec))}

    def delete(self, req, qos_id):
        common.authorize(req, 'volume_extension:qos_specs_manage:delete')
        force = common.bool_value(req.GET.get('force', 'false'), 'force')
        mgr().delete_qos(req.context, qos_id, force)
        return _accepted()

    def delete_keys(self, req, qos_id):
        spec = common.body(req, None, {
            'type': 'object', 'required': ['keys'],
            'properties': {'keys': {'type': 'array', 'minItems': 1,
                                    'items': {'type': 'string', 'minLength': 1}}}},
            strict_from=None)
        common.authorize(req, 'volume_extension:qos_specs_manage:delete')
        mgr().unset_qos_keys(req.context, qos_id, spec['keys'])
        return _accepted()

    def associations(self, req, qos_id):
        common.authorize(req, 'volume_extension:qos_specs_manage:get_all')
        return {'qos_associations': mgr().qos_associations(req.context, qos_id)}

    def _type_param(self, req):
        type_id = req.GET.get('vol_type_id')
        if not type_id:
            raise exception.BadRequest('Volume Type id must not be None.')
        return type_id

    def associate(self, req, qos_id):
        common.authorize(req, 'volume_extension:qos_specs_manage:update')
        mgr().associate_qos(req.context, qos_id, self._type_param(req))
        return _accepted()

    def disassociate(self, req, qos_id):
        common.authorize(req, 'volume_extension:qos_specs_manage:update')
        mgr().disassociate_qos(req.context, qos_id, self._type_param(req))
        return _accepted()

    def disassociate_all(self, req, qos_id):
        common.authorize(req, 'volume_extension:qos_specs_manage:update')
        mgr().disassociate_qos(req.context, qos_id)
        return _accepted()

