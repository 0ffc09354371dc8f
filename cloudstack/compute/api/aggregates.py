"""/os-aggregates."""
import webob

from cloudstack import exception
from cloudstack.compute import manager
from cloudstack.compute.api import common, views

P = 'os_compute_api:os-aggregates:'
_NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255,
         'pattern': r'^(?!\s)[\s\S]*(?<!\s)$'}
_ZONE = {'type': ['string', 'null'], 'minLength': 1, 'maxLength': 255,
         'pattern': r'^(?!\s)[^:]*(?<!\s)$'}


def view(req, a, full=True):
    out = {'id': a['id'], 'name': a['name'], 'availability_zone': a['availability_zone'],
           'created_at': views.usg_time(a['created_at']),
           'updated_at': views.usg_time(a['updated_at']), 'deleted': False,
           'deleted_at': None}
    if full:
        out['hosts'] = a['hosts']
        out['metadata'] = a['metadata']
    if common.at_least(req, '2.41'):
        out['uuid'] = a['uuid']
    return out


class Aggregates:
    def __init__(self):
        self.manager = manager.get()

    def index(self, req):
        common.authorize(req, P + 'index')
        return {'aggregates': [view(req, a) for a in self.manager.list_aggregates(
            req.context)]}

    def create(self, req):
        common.authorize(req, P + 'create')
        body = common.body(req, {'type': 'object', 'properties': {'aggregate': {
            'type': 'object', 'properties': {'name': _NAME, 'availability_zone': _ZONE},
            'required': ['name'], 'additionalProperties': False}},
            'required': ['aggregate'], 'additionalProperties': False})['aggregate']
        a = self.manager.create_aggregate(req.context, body['name'],
                                          body.get('availability_zone'))
        return {'aggregate': view(req, a, full=False)}

    def show(self, req, aggregate_id):
        common.authorize(req, P + 'show')
        return {'aggregate': view(req, self.manager.get_aggregate(req.context, aggregate_id))}

    def update(self, req, aggregate_id):
        common.authorize(req, P + 'update')
        body = common.body(req, {'type': 'object', 'properties': {'aggregate': {
            'type': 'object', 'properties': {'name': _NAME, 'availability_zone': _ZONE},
            'additionalProperties': False, 'minProperties': 1}},
            'required': ['aggregate'], 'additionalProperties': False})['aggregate']
        a = self.manager.update_aggregate(req.context, aggregate_id, body.get('name'),
                                          body.get('availability_zone'),
                                          'availability_zone' in body)
        return {'aggregate': view(req, a)}

    def delete(self, req, aggregate_id):
        common.authorize(req, P + 'delete')
        self.manager.delete_aggregate(req.context, aggregate_id)
        return webob.Response(status=200, content_type=None)

    def action(self, req, aggregate_id):
        body = common.body(req, {'type': 'object', 'properties': {
            'add_host': {'type': 'object', 'properties': {'host': {
                'type': 'string', 'minLength': 1, 'maxLength': 255}},
                'required': ['host'], 'additionalProperties': False},
            'remove_host': {'type': 'object', 'properties': {'host': {
                'type': 'string', 'minLength': 1, 'maxLength': 255}},
                'required': ['host'], 'additionalProperties': False},
            'set_metadata': {'type': 'object', 'properties': {'metadata': {
                'type': 'object', 'patternProperties': {r'^[a-zA-Z0-9-_:. ]{1,255}$': {
                    'type': ['string', 'null'], 'maxLength': 255}},
                'additionalProperties': False}},
                'required': ['metadata'], 'additionalProperties': False}},
            'minProperties': 1, 'maxProperties': 1, 'additionalProperties': False})
        name, args = next(iter(body.items()))
        common.authorize(req, P + name)
        if name == 'add_host':
            a = self.manager.add_aggregate_host(req.context, aggregate_id, args['host'])
        elif name == 'remove_host':
            a = self.manager.remove_aggregate_host(req.context, aggregate_id, args['host'])
        else:
            a = self.manager.set_aggregate_metadata(req.context, aggregate_id,
                                                    args['metadata'])
        return {'aggregate': view(req, a)}

    def images(self, req, aggregate_id):
        if not common.at_least(req, '2.81'):
            raise exception.NotFound('The resource could not be found.')
        common.authorize(req, P + 'images')
        self.manager.get_aggregate(req.context, aggregate_id)
        return webob.Response(status=202, content_type=None)


def add_routes(router):
    a = Aggregates()
    router.connect('/os-aggregates', a, GET='index', POST='create')
    router.connect('/os-aggregates/{aggregate_id}', a, GET='show', PUT='update',
                   DELETE='delete')
    router.connect('/os-aggregates/{aggregate_id}/action', a, POST='action')
    router.connect('/os-aggregates/{aggregate_id}/images', a, POST='images')
