"""Version discovery: GET / (Multiple Choices) and GET /v3."""
from cloudstack.api import wsgi

UPDATED = '2024-04-01T00:00:00Z'
MEDIA = [{'base': 'application/json',
          'type': 'application/vnd.openstack.identity-v3+json'}]


def version_v3(req):
    return {'id': 'v3.14', 'status': 'stable', 'updated': UPDATED,
            'links': [{'rel': 'self', 'href': req.application_url + '/v3/'}],
            'media-types': MEDIA}


class Versions:
    def index(self, req):
        return wsgi.json_response({'versions': {'values': [version_v3(req)]}},
                                  status=300)

    def show(self, req):
        return {'version': version_v3(req)}


def add_routes(router):
    versions = Versions()
    router.connect('/', versions, public=True, GET='index')
    router.connect('/v3', versions, public=True, GET='show')
    router.connect('/v3/', versions, public=True, GET='show')
