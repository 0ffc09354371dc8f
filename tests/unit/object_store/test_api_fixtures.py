"""Fixtures of the Object Storage API tests (imported by the test_api_* modules).

The backend is a small in-memory stand-in of backend.base.ObjectBackend, so
that these tests exercise the API and the manager only.
"""
import hashlib
import time

import pytest
import webob

from cloudstack.db import api as db_api
from cloudstack.object_store.backend import base
from cloudstack.object_store import manager
from cloudstack.object_store import models


class MemoryBackend(base.ObjectBackend):
    def __init__(self):
        self.objects = {}
        self.puts = 0

    @classmethod
    def from_config(cls, conf=None):
        return cls()

    def put(self, account, container, obj, chunks, content_type, metadata,
            etag=None, timestamp=None):
        md5, data = hashlib.md5(), []
        for chunk in chunks:
            md5.update(chunk)
            data.append(chunk)
        if etag and etag != md5.hexdigest():
            raise base.ChecksumMismatch()
        self.puts += 1
        info = base.ObjectInfo(md5.hexdigest(), sum(map(len, data)),
                               timestamp or '%.5f' % time.time(), content_type,
                               dict(metadata))
        self.objects[account, container, obj] = (info, b''.join(data))
        return info

    def get(self, account, container, obj, start=None, end=None):
        info, data = self.objects[account, container, obj]
        if start is not None:
            data = data[start:end + 1]
        return info, iter([data[i:i + 7] for i in range(0, len(data), 7)] or [b''])

    def head(self, account, container, obj):
        return self.objects[account, container, obj][0]

    def post(self, account, container, obj, content_type, metadata, timestamp=None):
        info, data = self.objects[account, container, obj]
        info.metadata = dict(metadata)
        info.content_type = content_type

    def delete(self, account, container, obj, timestamp=None, check=True):
        del self.objects[account, container, obj]


def _tables():
    """Our tables, empty (until the migration creates them)."""
    import sqlalchemy as sa
    engine = db_api.get_engine()
    models.Base.metadata.create_all(engine)
    with engine.begin() as conn:
        for model in (models.Object, models.Container, models.Account):
            conn.execute(sa.delete(model.__table__))


@pytest.fixture
def backend(db, monkeypatch):
    _tables()
    store = MemoryBackend()
    store.policies = {0: store}     # a backend per storage policy number
    monkeypatch.setattr(manager, '_backend', lambda policy=0: store.policies.setdefault(
        policy, MemoryBackend()))
    return store


def raw(app, method, path, token=None, body=None, headers=None):
    req = webob.Request.blank(path, method=method)
    if token:
        req.headers['X-Auth-Token'] = token
    if body is not None:
        req.body = body
    for k, v in (headers or {}).items():
        req.headers[k] = v
    return req.get_response(app)


class Swift:
    """A Swift client for one token and its account."""

    def __init__(self, app, token, project_id):
        self.app, self.token, self.project_id = app, token, project_id
        self.account = 'AUTH_' + project_id
        self.base = '/object-store/v1/' + self.account

    def __call__(self, method, path='', body=None, headers=None, token=True):
        return raw(self.app, method, self.base + path,
                   self.token if token is True else token, body, headers)

    def url(self, path=''):
        return self.base + path


def _project_id(client, token):
    resp = client.get('/identity/v3/auth/tokens',
                      headers={'X-Subject-Token': token}, token=token)
    assert resp.status_int == 200, resp.text
    return resp.json['token']['project']['id']


@pytest.fixture
def swift(app, admin, backend):
    """The bootstrapped admin (admin role) on its own account."""
    return Swift(app, admin.token, _project_id(admin, admin.token))


def make_user(admin, project, user, role='member', domain=('default', 'Default')):
    """(token, project_id, user_id) of a new user with `role` on a new project,
    both in `domain` ((id, name))."""
    r = admin.post('/identity/v3/projects', {'project': {
        'name': project, 'domain_id': domain[0]}})
    assert r.status_int == 201, r.text
    pid = r.json['project']['id']
    r = admin.post('/identity/v3/users', {'user': {
        'name': user, 'domain_id': domain[0], 'password': 'pw-' + user}})
    assert r.status_int == 201, r.text
    uid = r.json['user']['id']
    r = admin.get('/identity/v3/roles?name=%s' % role)
    if r.json['roles']:
        rid = r.json['roles'][0]['id']
    else:
        r = admin.post('/identity/v3/roles', {'role': {'name': role}})
        assert r.status_int == 201, r.text
        rid = r.json['role']['id']
    r = admin.put('/identity/v3/projects/%s/users/%s/roles/%s' % (pid, uid, rid))
    assert r.status_int == 204, r.text
    r = admin.issue_token(user, 'pw-' + user, project=project, domain=domain[1])
    assert r.status_int == 201, r.text
    return r.headers['X-Subject-Token'], pid, uid


@pytest.fixture
def other(app, admin, backend):
    """A member of a second project, on its own account."""
    token, pid, uid = make_user(admin, 'other', 'bob')
    s = Swift(app, token, pid)
    s.user_id = uid
    return s
