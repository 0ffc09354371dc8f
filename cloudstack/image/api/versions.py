"""Version discovery: which Image API versions this server speaks."""
from cloudstack.api import wsgi

CURRENT = (2, 17)


def versions(req):
    href = req.application_url.rstrip('/') + '/v2/'
    out = []
    for minor in range(CURRENT[1], -1, -1):
        out.append({'id': 'v2.%d' % minor,
                    'status': 'CURRENT' if minor == CURRENT[1] else 'SUPPORTED',
                    'links': [{'rel': 'self', 'href': href}]})
    return {'versions': out}


class Versions:
    @wsgi.response(300)
    def root(self, req):
        return versions(req)

    def index(self, req):
        return versions(req)
