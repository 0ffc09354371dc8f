"""Version discovery: /compute and /compute/v2.1 answer without a token."""
from cloudstack.api import wsgi
from cloudstack.compute.api import common

UPDATED = '2013-07-23T11:33:21Z'
MEDIA = [{'base': 'application/json',
          'type': 'application/vnd.openstack.compute+json;version=2.1'}]


def _v21(req, root):
    return {'id': 'v2.1', 'status': 'CURRENT', 'version': common.MAX_VERSION,
            'min_version': common.MIN_VERSION, 'updated': UPDATED,
            'links': [{'rel': 'self', 'href': root + '/v2.1/'}]}


def _v20(req, root):
    return {'id': 'v2.0', 'status': 'SUPPORTED', 'version': '', 'min_version': '',
            'updated': '2011-01-21T11:33:21Z',
            'links': [{'rel': 'self', 'href': root + '/v2/'}]}


class Versions:
    @wsgi.response(300)
    def multiple_choices(self, req):
        root = common.base_url(req)
        return {'choices': [dict(_v21(req, root), **{
            'links': [{'rel': 'self', 'href': root + '/v2.1' + req.path_info}],
            'media-types': MEDIA})]}

    def index(self, req):
        root = common.base_url(req)
        return {'versions': [_v20(req, root), _v21(req, root)]}

    def show(self, req):
        root = common.base_url(req)
        doc = _v20(req, root) if req.path_info.startswith('/v2/') or \
            req.path_info == '/v2' else _v21(req, root)
        doc['links'].append({'rel': 'describedby', 'type': 'text/html',
                             'href': 'http://docs.openstack.org/'})
        doc['media-types'] = MEDIA
        return {'version': doc}
