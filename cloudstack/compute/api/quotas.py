"""/os-quota-sets and /os-quota-class-sets."""
from cloudstack import exception
from cloudstack.api import wsgi
from cloudstack.compute import manager
from cloudstack.compute.api import common
from cloudstack.compute.manager.quotas import LEGACY_NETWORK, RESOURCES

_LIMIT = {'type': ['integer', 'string'], 'pattern': '^-?[0-9]+$', 'minimum': -1,
          'maximum': 0x7FFFFFFF}


def _resources(req):
    out = list(RESOURCES)
    if common.at_least(req, '2.57'):
        out = [r for r in out if not r.startswith('injected_file')]
    return out


def _schema(req, key, with_force):
    props = {r: _LIMIT for r in _resources(req)}
    if not common.at_least(req, '2.36'):
        props.update({r: _LIMIT for r in LEGACY_NETWORK})
    if with_force:
        props['force'] = common.BOOLEAN
    return {'type': 'object', 'properties': {key: {
        'type': 'object', 'properties': props, 'additionalProperties': False}},
        'required': [key], 'additionalProperties': False}


def _view(req, limits, used=None, ident=None, detail=False):
    out = {}
    for r in _resources(req):
        out[r] = ({'limit': limits[r], 'in_use': used.get(r, 0), 'reserved': 0}
                  if detail else limits[r])
    if not common.at_least(req, '2.36'):
        for r in LEGACY_NETWORK:
            out[r] = {'limit': limits[r], 'in_use': 0, 'reserved': 0} if detail else limits[r]
    if ident is not None:
        out['id'] = ident
    return out


class QuotaSets:
    def __init__(self):
        self.manager = manager.get()

    def _user(self, req):
        return req.GET.get('user_id') or None

    def show(self, req, tenant_id):
        common.authorize(req, 'os_compute_api:os-quota-sets:show', project_id=tenant_id)
        limits, used = self.manager.get_quota_set(req.context, tenant_id, self._user(req))
        return {'quota_set': _view(req, limits, used, tenant_id)}

    def detail(self, req, tenant_id):
        common.authorize(req, 'os_compute_api:os-quota-sets:detail', project_id=tenant_id)
        limits, used = self.manager.get_quota_set(req.context, tenant_id, self._user(req))
        return {'quota_set': _view(req, limits, used, tenant_id, detail=True)}

    def defaults(self, req, tenant_id):
        common.authorize(req, 'os_compute_api:os-quota-sets:defaults', project_id=tenant_id)
        limits, _ = self.manager.get_quota_set(req.context, tenant_id, defaults=True)
        return {'quota_set': _view(req, limits, ident=tenant_id)}

    def update(self, req, tenant_id):
        common.authorize(req, 'os_compute_api:os-quota-sets:update', project_id=tenant_id)
        body = common.body(req, _schema(req, 'quota_set', True))['quota_set']
        force = common.to_bool(body.pop('force', False))
        values = {r: int(v) for r, v in body.items() if r in RESOURCES or r in LEGACY_NETWORK}
        limits = self.manager.update_quota_set(req.context, tenant_id, values,
                                               self._user(req), force)
        return {'quota_set': _view(req, limits)}

    @wsgi.response(202)
    def delete(self, req, tenant_id):
        common.authorize(req, 'os_compute_api:os-quota-sets:delete', project_id=tenant_id)
        self.manager.delete_quota_set(req.context, tenant_id, self._user(req))


class QuotaClasses:
    def __init__(self):
        self.manager = manager.get()

    def _view(self, req, limits, ident):
        out = _view(req, limits, ident=ident)
        if common.at_least(req, '2.50'):
            for r in ('server_groups', 'server_group_members'):
                out[r] = limits[r]
            for r in LEGACY_NETWORK:
                out.pop(r, None)
        else:
            for r in ('server_groups', 'server_group_members'):
                out.pop(r, None)
            for r in LEGACY_NETWORK:
                out[r] = limits[r]
        return out

    def show(self, req, id):
        common.authorize(req, 'os_compute_api:os-quota-class-sets:show')
        return {'quota_class_set': self._view(
            req, self.manager.get_quota_class(req.context, id), id)}

    def update(self, req, id):
        common.authorize(req, 'os_compute_api:os-quota-class-sets:update')
        if len(id) > 255:
            raise exception.BadRequest('The quota class name is too long.')
        body = common.body(req, _schema(req, 'quota_class_set', False))['quota_class_set']
        values = {r: int(v) for r, v in body.items() if r in RESOURCES or r in LEGACY_NETWORK}
        limits = self.manager.update_quota_class(req.context, id, values)
        out = self._view(req, limits, id)
        out.pop('id')
        return {'quota_class_set': out}


def add_routes(router):
    q = QuotaSets()
    router.connect('/os-quota-sets/{tenant_id}', q, GET='show', PUT='update',
                   DELETE='delete')
    router.connect('/os-quota-sets/{tenant_id}/detail', q, GET='detail')
    router.connect('/os-quota-sets/{tenant_id}/defaults', q, GET='defaults')
    c = QuotaClasses()
    router.connect('/os-quota-class-sets/{id}', c, GET='show', PUT='update')
