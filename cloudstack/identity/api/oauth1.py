"""/v3/OS-OAUTH1/consumers."""
from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.identity.api import common
from cloudstack.identity import manager

PATH = '/v3/OS-OAUTH1/consumers'
CONSUMER = {'type': 'object', 'properties': {
    'consumer': {'type': 'object', 'properties': {
        'description': {'type': ['string', 'null']}}}},
    'required': ['consumer']}


def _one(req, consumer):
    return {'consumer': common.entity(req, PATH, consumer)}


class Consumers:

    def index(self, req):
        common.authorize(req, 'identity:list_consumers')
        return common.collection(req, 'consumers', manager.get().list_consumers(), PATH)

    @wsgi.response(201)
    def create(self, req):
        common.authorize(req, 'identity:create_consumer')
        body = validation.validate(CONSUMER, req.json_body())
        return _one(req, manager.get().create_consumer(body['consumer']))

    def show(self, req, consumer_id):
        common.authorize(req, 'identity:get_consumer')
        return _one(req, manager.get().get_consumer(consumer_id))

    def update(self, req, consumer_id):
        common.authorize(req, 'identity:update_consumer')
        changes = validation.validate(CONSUMER, req.json_body())['consumer']
        if changes.get('id', consumer_id) != consumer_id:
            raise exception.ValidationError('Cannot change the ID of a consumer.')
        return _one(req, manager.get().update_consumer(consumer_id, changes))

    def delete(self, req, consumer_id):
        common.authorize(req, 'identity:delete_consumer')
        manager.get().delete_consumer(consumer_id)


def add_routes(router):
    consumers = Consumers()
    router.connect(PATH, consumers, GET='index', POST='create')
    router.connect(PATH + '/{consumer_id}', consumers, GET='show', PATCH='update',
                   DELETE='delete')
