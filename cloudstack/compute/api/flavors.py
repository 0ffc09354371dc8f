"""/flavors: flavors, their extra specs (os-extra_specs) and access lists."""
from cloudstack import exception
from cloudstack.api import wsgi
from cloudstack.compute import manager
from cloudstack.compute.api import common
from cloudstack.compute.manager.base import is_admin

_FLAVOR_NUMBERS = {'type': ['integer', 'string'], 'pattern': '^[0-9]+$'}
CREATE = {
    'type': 'object',
    'properties': {'flavor': {
        'type': 'object',
        'properties': {
            'name': common.NAME,
            'id': {'type': ['string', 'number', 'null'], 'minLength': 1,
                   'maxLength': 255, 'pattern': r'^(?! )[a-zA-Z0-9. _-]+(?<! )$'},
            'ram': dict(_FLAVOR_NUMBERS, minimum=1),
            'vcpus': dict(_FLAVOR_NUMBERS, minimum=1),
            'disk': dict(_FLAVOR_NUMBERS, minimum=0),
            'OS-FLV-EXT-DATA:ephemeral': dict(_FLAVOR_NUMBERS, minimum=0),
            'swap': dict(_FLAVOR_NUMBERS, minimum=0),
            'rxtx_factor': {'type': ['number', 'string'],
                            'pattern': r'^[0-9]+(\.[0-9]+)?$', 'minimum': 0,
                            'exclusiveMinimum': 0, 'maximum': 3.40282e+38},
            'os-flavor-access:is_public': common.BOOLEAN,
            'description': common.DESCRIPTION,
        },
        'required': ['name', 'ram', 'vcpus', 'disk'],
        'additionalProperties': False,
    }},
    'required': ['flavor'],
    'additionalProperties': False,
}
UPDATE = {
    'type': 'object',
    'properties': {'flavor': {
        'type': 'object', 'properties': {'description': common.DESCRIPTION},
        'required': ['description'], 'additionalProperties': False}},
    'required': ['flavor'], 'additionalProperties': False,
}
_SPEC_KEY = r'^[a-zA-Z0-9-_:. ]{1,255}$'
_SPEC_VALUE = {'type': ['string', 'number', 'boolean'], 'minLength': 0,
               'maxLength': 255}
SPECS = {
    'type': 'object',
    'properties': {'extra_specs': {
        'type': 'object', 'patternProperties': {_SPEC_KEY: _SPEC_VALUE},
        'additionalProperties': False}},
    'required': ['extra_specs'], 'additionalProperties': False,
}
SPEC = {'type': 'object', 'patternProperties': {_SPEC_KEY: _SPEC_VALUE},
        'minProperties': 1, 'maxProperties': 1, 'additionalProperties': False}
ACCESS = {
    'type': 'object',
    'properties': {
        'addTenantAccess': {'type': 'object', 'properties': {
            'tenant': {'type': 'string', 'minLength': 1, 'maxLength': 255}},
            'required': ['tenant'], 'additionalProperties': False},
        'removeTenantAccess': {'type': 'object', 'properties': {
            'tenant': {'type': 'string', 'minLength': 1, 'maxLength': 255}},
            'required': ['tenant'], 'additionalProperties': False},
    },
    'minProperties': 1, 'maxProperties': 1, 'additionalProperties': False,
}


def show_specs(req):
    return common.at_least(req, '2.61') and common.can(
        req, 'os_compute_api:os-flavor-extra-specs:index')


def view(req, f, detail=True, specs=False):
    out = {'id': f['flavorid'], 'name': f['name'],
           'links': common.links(req, 'flavors', f['flavorid'])}
    if common.at_least(req, '2.55'):
        out['description'] = f['description']
    if not detail:
        return out
    swap = f['swap']
    if not common.at_least(req, '2.75') and not swap:
        swap = ''
    out.update({'ram': f['memory_mb'], 'disk': f['root_gb'], 'vcpus': f['vcpus'],
                'swap': swap, 'rxtx_factor': f['rxtx_factor'],
                'OS-FLV-EXT-DATA:ephemeral': f['ephemeral_gb'],
                'OS-FLV-DISABLED:disabled': f['disabled'],
                'os-flavor-access:is_public': f['is_public']})
    if specs:
        out['extra_specs'] = f['extra_specs']
    return out


class Flavors:
    def __init__(self):
        self.manager = manager.get()

    def _list(self, req, detail):
        ctx = req.context
        is_public = True
        if is_admin(ctx):
            raw = req.GET.get('is_public')
            if raw is not None:
                if raw.lower() == 'none':
                    is_public = None
                else:
                    try:
                        is_public = common.strip_bool(raw) if raw.lower() in (
                            '1', '0', 'true', 'false', 't', 'f', 'yes', 'no', 'y',
                            'n', 'on', 'off') else None
                    except ValueError:
                        is_public = None
                    if raw.lower() not in ('1', '0', 'true', 'false', 't', 'f', 'yes',
                                           'no', 'y', 'n', 'on', 'off'):
                        raise exception.BadRequest('Invalid is_public filter [%s]' % raw)
        mins = {}
        for param, key in (('minRam', 'min_ram'), ('minDisk', 'min_disk')):
            if param in req.GET:
                try:
                    mins[key] = int(req.GET[param])
                except ValueError:
                    raise exception.BadRequest('Invalid %s filter [%s]'
                                               % (param, req.GET[param]))
        limit, marker = common.limit_marker(req)
        sort_dir = req.GET.get('sort_dir', 'asc')
        if sort_dir not in ('asc', 'desc'):
            raise exception.BadRequest('Invalid sort_dir')
        sort_key = req.GET.get('sort_key', 'flavorid')
        from cloudstack.compute.manager.flavors import SORT_KEYS
        if sort_key not in SORT_KEYS:
            raise exception.BadRequest('Invalid sort_key')
        found = self.manager.list_flavors(ctx, is_public=is_public, sort_key=sort_key,
                                          sort_dir=sort_dir, limit=limit,
                                          marker=marker, **mins)
        specs = detail and show_specs(req)
        out = {'flavors': [view(req, f, detail, specs) for f in found]}
        more = common.collection_links(req, 'flavors' + ('/detail' if detail else ''),
                                       [{'id': f['flavorid']} for f in found], limit)
        if more:
            out['flavors_links'] = more
        return out

    def index(self, req):
        return self._list(req, False)

    def detail(self, req):
        return self._list(req, True)

    def show(self, req, flavor_id):
        f = self.manager.get_flavor(req.context, flavor_id)
        return {'flavor': view(req, f, True, show_specs(req))}

    def create(self, req):
        common.authorize(req, 'os_compute_api:os-flavor-manage:create')
        body = common.body(req, CREATE)['flavor']
        if 'description' in body and not common.at_least(req, '2.55'):
            raise exception.ValidationError(
                "Invalid input for field/attribute flavor. Additional properties are "
                "not allowed ('description' was unexpected)")
        name = body['name'].strip()
        flavorid = body.get('id')
        if isinstance(flavorid, float) or isinstance(flavorid, bool):
            raise exception.ValidationError('Invalid flavor id')
        f = self.manager.create_flavor(
            req.context, name=name,
            memory_mb=int(body['ram']), vcpus=int(body['vcpus']),
            root_gb=int(body['disk']),
            flavorid=None if flavorid is None else str(flavorid),
            ephemeral_gb=int(body.get('OS-FLV-EXT-DATA:ephemeral', 0)),
            swap=int(body.get('swap', 0)), rxtx_factor=float(body.get('rxtx_factor', 1.0)),
            is_public=common.to_bool(body.get('os-flavor-access:is_public', True)),
            description=body.get('description'))
        return {'flavor': view(req, f, True, show_specs(req))}

    def update(self, req, flavor_id):
        if not common.at_least(req, '2.55'):
            raise exception.MethodNotAllowed()
        common.authorize(req, 'os_compute_api:os-flavor-manage:update')
        body = common.body(req, UPDATE)['flavor']
        f = self.manager.update_flavor(req.context, flavor_id, body['description'])
        return {'flavor': view(req, f, True, show_specs(req))}

    @wsgi.response(202)
    def delete(self, req, flavor_id):
        common.authorize(req, 'os_compute_api:os-flavor-manage:delete')
        self.manager.delete_flavor(req.context, flavor_id)

    # os-extra_specs ------------------------------------------------------------

    def specs_index(self, req, flavor_id):
        common.authorize(req, 'os_compute_api:os-flavor-extra-specs:index')
        return {'extra_specs': self.manager.flavor_extra_specs(req.context, flavor_id)}

    def specs_create(self, req, flavor_id):
        common.authorize(req, 'os_compute_api:os-flavor-extra-specs:create')
        specs = {k: _spec_value(v) for k, v in common.body(req, SPECS)['extra_specs'].items()}
        self.manager.set_flavor_extra_specs(req.context, flavor_id, specs)
        return {'extra_specs': specs}

    def specs_show(self, req, flavor_id, key):
        common.authorize(req, 'os_compute_api:os-flavor-extra-specs:show')
        specs = self.manager.flavor_extra_specs(req.context, flavor_id)
        if key not in specs:
            raise exception.NotFound('Flavor %s has no extra specs with key %s.'
                                     % (flavor_id, key))
        return {key: specs[key]}

    def specs_update(self, req, flavor_id, key):
        common.authorize(req, 'os_compute_api:os-flavor-extra-specs:update')
        body = common.body(req, SPEC)
        if key not in body:
            raise exception.BadRequest('Request body and URI mismatch')
        specs = {key: _spec_value(body[key])}
        self.manager.set_flavor_extra_specs(req.context, flavor_id, specs)
        return specs

    @wsgi.response(200)
    def specs_delete(self, req, flavor_id, key):
        common.authorize(req, 'os_compute_api:os-flavor-extra-specs:delete')
        self.manager.delete_flavor_extra_spec(req.context, flavor_id, key)

    # os-flavor-access ------------------------------------------------------------

    def access_index(self, req, flavor_id):
        common.authorize(req, 'os_compute_api:os-flavor-access')
        return {'flavor_access': self.manager.flavor_access(req.context, flavor_id)}

    def action(self, req, flavor_id):
        body = common.body(req, ACCESS)
        if 'addTenantAccess' in body:
            common.authorize(req, 'os_compute_api:os-flavor-access:add_tenant_access')
            found = self.manager.add_flavor_access(
                req.context, flavor_id, body['addTenantAccess']['tenant'])
        else:
            common.authorize(req, 'os_compute_api:os-flavor-access:remove_tenant_access')
            found = self.manager.remove_flavor_access(
                req.context, flavor_id, body['removeTenantAccess']['tenant'])
        return {'flavor_access': found}


def _spec_value(value):
    if isinstance(value, bool):
        return str(value)
    return str(value)


def add_routes(router):
    f = Flavors()
    router.connect('/flavors', f, GET='index', POST='create')
    router.connect('/flavors/detail', f, GET='detail')
    router.connect('/flavors/{flavor_id}', f, GET='show', PUT='update', DELETE='delete')
    router.connect('/flavors/{flavor_id}/os-extra_specs', f, GET='specs_index',
                   POST='specs_create')
    router.connect('/flavors/{flavor_id}/os-extra_specs/{key}', f, GET='specs_show',
                   PUT='specs_update', DELETE='specs_delete')
    router.connect('/flavors/{flavor_id}/os-flavor-access', f, GET='access_index')
    router.connect('/flavors/{flavor_id}/action', f, POST='action')
