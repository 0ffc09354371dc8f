"""/os-server-external-events: what Networking and Block Storage tell servers."""
from cloudstack import exception
from cloudstack.api import wsgi
from cloudstack.compute import manager
from cloudstack.compute.api import common

NAMES = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged',
         'network-vif-deleted']
LATER = [('2.51', 'volume-extended'), ('2.76', 'power-update'),
         ('2.82', 'accelerator-request-bound'), ('2.93', 'volume-reimaged')]


class ServerEvents:
    def __init__(self):
        self.manager = manager.get()

    def create(self, req):
        common.authorize(req, 'os_compute_api:os-server-external-events:create')
        names = NAMES + [n for v, n in LATER if common.at_least(req, v)]
        body = common.body(req, {'type': 'object', 'properties': {'events': {
            'type': 'array', 'minItems': 1, 'items': {
                'type': 'object', 'properties': {
                    'server_uuid': {'type': 'string', 'format': 'uuid'},
                    'name': {'type': 'string', 'enum': names},
                    'status': {'type': 'string', 'enum': ['failed', 'completed',
                                                          'in-progress']},
                    'tag': {'type': 'string', 'maxLength': 255}},
                'required': ['server_uuid', 'name'], 'additionalProperties': False}}},
            'required': ['events'], 'additionalProperties': False})
        events = [dict(e, status=e.get('status', 'completed')) for e in body['events']]
        result = self.manager.external_instance_event(req.context, events)
        if all(e['code'] == 404 for e in result):
            raise exception.NotFound('No instances found for any event')
        status = 200 if all(e['code'] == 200 for e in result) else 207
        return wsgi.json_response({'events': result}, status)


def add_routes(router):
    router.connect('/os-server-external-events', ServerEvents(), POST='create')
