"""Fixtures of the Image API tests: its tables, and member users of two projects."""
import json

import pytest
import webob

from tests.conftest import Client

V3 = '/identity/v3'
IMG = '/image/v2/images'
PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'


def _project(admin, name):
    resp = admin.post(V3 + '/projects', {'project': {'name': name,
                                                     'domain_id': 'default'}})
    assert resp.status_int == 201, resp.text
    return resp.json['project']['id']


def _user(admin, name, project_id, project, role='member'):
    resp = admin.post(V3 + '/users', {'user': {
        'name': name, 'password': 'pw-' + name, 'domain_id': 'default'}})
    assert resp.status_int == 201, resp.text
    user_id = resp.json['user']['id']
    role_id = admin.get(V3 + '/roles?name=' + role).json['roles'][0]['id']
    resp = admin.put('%s/projects/%s/users/%s/roles/%s' % (
        V3, project_id, user_id, role_id))
    assert resp.status_int == 204, resp.text
    resp = admin.issue_token(name, 'pw-' + name, project=project)
    assert resp.status_int == 201, resp.text
    c = ImageClient(admin.app, resp.headers['X-Subject-Token'])
    c.project_id = project_id
    return c


class ImageClient(Client):
    project_id = None

    def raw(self, method, path, data=b'', content_type='application/octet-stream',
            headers=None):
        req = webob.Request.blank(path, method=method)
        req.headers['X-Auth-Token'] = self.token
        req.body = data
        if content_type:
            req.content_type = content_type
        for k, v in (headers or {}).items():
            req.headers[k] = v
        return req.get_response(self.app)

    def upload(self, image_id, data, **kw):
        return self.raw('PUT', '%s/%s/file' % (IMG, image_id), data, **kw)

    def patch_image(self, image_id, ops, content_type=PATCH_TYPE):
        return self.raw('PATCH', '%s/%s' % (IMG, image_id), json.dumps(ops).encode(),
                        content_type=content_type)

    def create_image(self, **body):
        body.setdefault('disk_format', 'raw')
        body.setdefault('container_format', 'bare')
        resp = self.post(IMG, body)
        assert resp.status_int == 201, resp.text
        return resp.json


@pytest.fixture
def users(admin):
    """alice and carol: members of project p1 (carol a reader); bob: member of p2;
    boss: the admin."""
    p1, p2 = _project(admin, 'p1'), _project(admin, 'p2')
    out = {'alice': _user(admin, 'alice', p1, 'p1'),
           'carol': _user(admin, 'carol', p1, 'p1', role='reader'),
           'bob': _user(admin, 'bob', p2, 'p2')}
    boss = ImageClient(admin.app, admin.token)
    boss.project_id = admin.get(V3 + '/projects?name=admin').json['projects'][0]['id']
    out['boss'] = boss
    return out
