"""/os-services (views of the agents table) and the deprecated /os-hosts."""
import webob

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.compute import hosts, manager, scheduler
from cloudstack.compute.api import common, views

P = 'os_compute_api:'
# Nova's binaries for the engine roles it shows.
BINARIES = {'compute': 'nova-compute', 'engine': 'nova-scheduler'}


def binary(service):
    return BINARIES.get(service.get('role'), 'nova-%s' % service.get('role'))


def updated(service):
    return views.usg_time(service.get('heartbeat_at') or service.get('updated_at'))


def nova_services():
    return [s for s in hosts.all_services() if s.get('role') in BINARIES]


def _zone(service, zones):
    if service.get('role') == 'compute':
        return zones.get(service['host']) or CONF.compute.default_availability_zone
    return CONF.compute.internal_service_availability_zone


class Services:
    def __init__(self):
        self.manager = manager.get()

    def _zones(self):
        with self.manager.read() as s:
            return scheduler.host_availability_zones(s)

    def view(self, req, s, zones):
        out = {'id': s['uuid'] if common.at_least(req, '2.53') else s['id'],
               'binary': binary(s), 'host': s['host'], 'zone': _zone(s, zones),
               'status': 'disabled' if s['disabled'] else 'enabled',
               'state': 'up' if s['up'] else 'down', 'updated_at': updated(s),
               'disabled_reason': s.get('disabled_reason')}
        if common.at_least(req, '2.11'):
            out['forced_down'] = bool(s.get('forced_down'))
        return out

    def index(self, req):
        common.authorize(req, P + 'os-services:list')
        zones = self._zones()
        found = nova_services()
        if req.GET.get('host'):
            found = [s for s in found if s['host'] == req.GET['host']]
        if req.GET.get('binary'):
            found = [s for s in found if binary(s) == req.GET['binary']]
        return {'services': [self.view(req, s, zones) for s in found]}

    def _find(self, host, binary_name):
        for s in nova_services():
            if s['host'] == host and binary(s) == binary_name:
                return s
        raise exception.NotFound('Service %s on host %s not found.' % (binary_name, host))

    def update(self, req, service_id):
        common.authorize(req, P + 'os-services:update')
        if common.at_least(req, '2.53'):
            return self._update_by_id(req, service_id)
        return self._update_legacy(req, service_id)

    def _update_legacy(self, req, action):
        props = {'host': {'type': 'string', 'minLength': 1, 'maxLength': 255},
                 'binary': {'type': 'string', 'minLength': 1, 'maxLength': 255}}
        if action == 'disable-log-reason':
            props['disabled_reason'] = {'type': 'string', 'minLength': 1, 'maxLength': 255}
        elif action == 'force-down':
            if not common.at_least(req, '2.11'):
                raise exception.NotFound('Unknown action')
            props['forced_down'] = common.BOOLEAN
        elif action not in ('enable', 'disable'):
            raise exception.NotFound('Unknown action')
        body = common.body(req, {'type': 'object', 'properties': props,
                                 'required': list(props), 'additionalProperties': False})
        s = self._find(body['host'], body['binary'])
        if action == 'force-down':
            forced = common.to_bool(body['forced_down'])
            self._set(s, forced_down=forced)
            return {'service': {'host': s['host'], 'binary': binary(s),
                                'forced_down': forced}}
        disabled = action != 'enable'
        reason = body.get('disabled_reason') if disabled else None
        self._set(s, disabled=disabled, disabled_reason=reason)
        out = {'host': s['host'], 'binary': binary(s),
               'status': 'disabled' if disabled else 'enabled'}
        if action == 'disable-log-reason':
            out['disabled_reason'] = reason
        return {'service': out}

    def _set(self, service, **values):
        hosts.agents.update(service['id'], **values)

    def _update_by_id(self, req, service_id):
        body = common.body(req, {'type': 'object', 'properties': {
            'status': {'type': 'string', 'enum': ['enabled', 'disabled']},
            'disabled_reason': {'type': 'string', 'minLength': 1, 'maxLength': 255},
            'forced_down': common.BOOLEAN}, 'additionalProperties': False})
        if not body:
            raise exception.BadRequest('At least one of status or forced_down must be '
                                       'specified.')
        if 'disabled_reason' in body and body.get('status') != 'disabled':
            raise exception.BadRequest('Specifying a disabled_reason is only allowed when '
                                       'the status is disabled.')
        s = self._by_id(service_id)
        if binary(s) != 'nova-compute':
            raise exception.BadRequest('Updating a %s service is not supported. Only '
                                       'nova-compute services can be updated.' % binary(s))
        values = {}
        if 'status' in body:
            values['disabled'] = body['status'] == 'disabled'
            values['disabled_reason'] = body.get('disabled_reason')
        if 'forced_down' in body:
            values['forced_down'] = common.to_bool(body['forced_down'])
        self._set(s, **values)
        return {'service': self.view(req, self._by_id(service_id), self._zones())}

    def _by_id(self, service_id):
        for s in nova_services():
            if str(s['uuid']) == str(service_id) or str(s['id']) == str(service_id):
                return s
        raise exception.NotFound('Service %s could not be found.' % service_id)

    def delete(self, req, service_id):
        common.authorize(req, P + 'os-services:delete')
        if common.at_least(req, '2.53') and not common.is_uuid(service_id):
            raise exception.BadRequest('Invalid uuid %s' % service_id)
        if not common.at_least(req, '2.53') and not str(service_id).isdigit():
            raise exception.BadRequest('Invalid service id %s' % service_id)
        s = self._by_id(service_id)
        if binary(s) == 'nova-compute':
            with self.manager.read() as session:
                from cloudstack.compute import models
                import sqlalchemy as sa
                if session.scalar(sa.select(models.Instance.id).where(
                        models.Instance.host == s['host'],
                        models.Instance.deleted.is_(False)).limit(1)):
                    raise exception.Conflict('Unable to delete compute service that is '
                                             'hosting instances.')
        hosts.agents.delete(s['id'])
        return webob.Response(status=204, content_type=None)


class Hosts:
    """The deprecated /os-hosts (before 2.43)."""

    def __init__(self):
        self.manager = manager.get()

    def _check(self, req):
        if common.at_least(req, '2.43'):
            raise exception.NotFound('The resource could not be found.')

    def index(self, req):
        self._check(req)
        common.authorize(req, P + 'os-hosts:list')
        with self.manager.read() as s:
            zones = scheduler.host_availability_zones(s)
        out = []
        for service in nova_services():
            zone = _zone(service, zones)
            if req.GET.get('zone') and req.GET['zone'] != zone:
                continue
            out.append({'host_name': service['host'],
                        'service': 'compute' if service['role'] == 'compute'
                        else 'scheduler', 'zone': zone})
        return {'hosts': out}

    def show(self, req, host_name):
        self._check(req)
        common.authorize(req, P + 'os-hosts:show')
        nodes = [n for n in self.manager.list_nodes() if n['host'] == host_name]
        if not nodes:
            raise exception.NotFound('Compute host %s could not be found.' % host_name)
        n = nodes[0]
        rows = [{'resource': {'host': host_name, 'project': '(total)', 'cpu': n['vcpus'],
                              'memory_mb': n['memory_mb'], 'disk_gb': n['local_gb']}},
                {'resource': {'host': host_name, 'project': '(used_now)',
                              'cpu': n['vcpus_used'], 'memory_mb': n['memory_mb_used'],
                              'disk_gb': n['local_gb_used']}},
                {'resource': {'host': host_name, 'project': '(used_max)',
                              'cpu': n['vcpus_used'], 'memory_mb': n['memory_mb_used'],
                              'disk_gb': n['local_gb_used']}}]
        return {'host': rows}

    def update(self, req, host_name):
        self._check(req)
        common.authorize(req, P + 'os-hosts:update')
        body = common.body(req, {'type': 'object', 'properties': {
            'status': {'type': 'string', 'enum': ['enable', 'disable', 'Enable', 'Disable',
                                                  'ENABLE', 'DISABLE']},
            'maintenance_mode': {'type': 'string', 'enum': [
                'enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE']}},
            'anyOf': [{'required': ['status']}, {'required': ['maintenance_mode']}],
            'additionalProperties': False})
        service = hosts.service_for(host_name)
        if service is None:
            raise exception.NotFound('Compute host %s could not be found.' % host_name)
        out = {'host': host_name}
        if 'maintenance_mode' in body:
            raise exception.NotImplementedYet('Maintenance mode is not supported.')
        disabled = body['status'].lower() == 'disable'
        hosts.agents.update(service['id'], disabled=disabled)
        out['status'] = 'disabled' if disabled else 'enabled'
        return out

    def _power(rule):
        def handler(self, req, host_name):
            self._check(req)
            common.authorize(req, P + rule)
            if hosts.service_for(host_name) is None:
                raise exception.NotFound('Compute host %s could not be found.' % host_name)
            raise exception.NotImplementedYet('This host action is not supported.')
        return handler

    reboot = _power('os-hosts:reboot')
    shutdown = _power('os-hosts:shutdown')
    startup = _power('os-hosts:start')


def add_routes(router):
    s = Services()
    router.connect('/os-services', s, GET='index')
    router.connect('/os-services/{service_id}', s, PUT='update', DELETE='delete')
    h = Hosts()
    router.connect('/os-hosts', h, GET='index')
    router.connect('/os-hosts/{host_name}', h, GET='show', PUT='update')
    router.connect('/os-hosts/{host_name}/reboot', h, GET='reboot')
    router.connect('/os-hosts/{host_name}/shutdown', h, GET='shutdown')
    router.connect('/os-hosts/{host_name}/startup', h, GET='startup')
