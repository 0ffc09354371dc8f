"""The version documents: GET /volume (300, every version) and /volume/v3."""
from cloudstack.api import wsgi
from cloudstack.volume.api import common

UPDATED = '2025-03-01T00:00:00Z'


def _version(req):
    root = req.application_url.rstrip('/')
    if root.endswith('/v3'):
        root = root[:-3]
    return {
        'id': 'v3.0', 'status': 'CURRENT', 'version': common.MAX_VERSION,
        'min_version': common.MIN_VERSION, 'updated': UPDATED,
        'links': [{'rel': 'describedby', 'type': 'text/html',
                   'href': 'https://docs.openstack.org/'},
                  {'rel': 'self', 'href': root + '/v3/'}],
        'media-types': [{'base': 'application/json',
                         'type': 'application/vnd.openstack.volume+json;version=3'}],
    }


def root(req):
    """Every API version (Cinder answers 300 Multiple Choices)."""
    return wsgi.json_response({'versions': [_version(req)]}, 300)


def v3(req):
    return wsgi.json_response({'versions': [_version(req)]}, 200)
