"""Fixtures every test shares: configuration, a migrated database, the API.

The database is SQLite in the test's tmp dir, copied from a template migrated
once per session; with CLOUDSTACK_TEST_DB_URL set (a PostgreSQL URL) tests run
against that database instead, emptied between tests.
"""
import datetime
import json
import os
import shutil
import warnings

import pytest
import sqlalchemy as sa
import webob

warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

from cloudstack.conf import CONF  # noqa: E402
from cloudstack.db import api as db_api  # noqa: E402
from cloudstack.db import migration  # noqa: E402
from cloudstack.db import models  # noqa: E402
from cloudstack import policy  # noqa: E402

CONF([], project='cloudstack', default_config_files=[])
CONF.set_default('enabled', False, group='dashboard')   # Horizon's load where a test asks
PG_URL = os.environ.get('CLOUDSTACK_TEST_DB_URL')
ADMIN_PASSWORD = 'admin-secret'


@pytest.fixture(autouse=True)
def _not_green():
    """Tests run in a plain process: importing cloudstack.cmd (the commands'
    eventlet.monkey_patch) mid-session would turn later tests green halfway."""
    yield
    from eventlet import patcher
    assert not patcher.is_monkey_patched('thread'), \
        'this test imported cloudstack.cmd; run the command as a subprocess'


@pytest.fixture
def clock(monkeypatch):
    """clock(module, ...) -> later(seconds), which moves those modules' utcnow forward."""
    def patch(*modules):
        shift = [datetime.timedelta()]
        for module in modules:
            monkeypatch.setattr(module, 'utcnow', lambda: models.utcnow() + shift[0])

        def later(seconds):
            shift[0] += datetime.timedelta(seconds=seconds)
        return later
    return patch


@pytest.fixture
def conf(tmp_path):
    CONF.set_override('data_dir', str(tmp_path))
    CONF.set_override('password_hash_rounds', 4, group='identity')
    if PG_URL:
        CONF.set_override('connection', PG_URL, group='database')
    yield CONF
    CONF.clear_override('data_dir')
    CONF.clear_override('password_hash_rounds', group='identity')
    CONF.clear_override('connection', group='database')
    from cloudstack.tasks import wakeup
    wakeup.reset()
    db_api.reset()
    policy.reset()
    _reset_services()


@pytest.fixture
def override(conf):
    """override(name, value, group=None): a configuration value for this test only."""
    done = []

    def set_override(name, value, group=None):
        CONF.set_override(name, value, group=group)
        done.append((name, group))
    yield set_override
    for name, group in done:
        CONF.clear_override(name, group=group)
    policy.reset()


def _reset_services():
    from cloudstack.identity import manager
    manager._manager = None


@pytest.fixture(scope='session')
def _template(tmp_path_factory):
    """A migrated database: a SQLite file to copy, or the PostgreSQL schema."""
    path = tmp_path_factory.mktemp('template')
    CONF.set_override('data_dir', str(path))
    if PG_URL:
        CONF.set_override('connection', PG_URL, group='database')
    migration.sync()
    db_api.reset()
    CONF.clear_override('data_dir')
    CONF.clear_override('connection', group='database')
    return os.path.join(path, 'cloudstack.db')


@pytest.fixture
def db(conf, _template, tmp_path):
    if PG_URL:
        with db_api.get_engine().begin() as conn:
            for table in reversed(models.all_models().sorted_tables):
                conn.execute(sa.delete(table))
    else:
        shutil.copy(_template, tmp_path / 'cloudstack.db')
    db_api.reset()
    yield


class Client:
    """Calls a WSGI app in-process; JSON in, webob responses out."""

    def __init__(self, app, token=None):
        self.app = app
        self.token = token

    def request(self, method, path, body=None, headers=None, token=None):
        req = webob.Request.blank(path, method=method)
        req.headers['Accept'] = 'application/json'
        token = token if token is not None else self.token
        if token:
            req.headers['X-Auth-Token'] = token
        if body is not None:
            req.body = json.dumps(body).encode()
            req.content_type = 'application/json'
        for k, v in (headers or {}).items():
            req.headers[k] = v
        return req.get_response(self.app)

    def get(self, path, **kw):
        return self.request('GET', path, **kw)

    def head(self, path, **kw):
        return self.request('HEAD', path, **kw)

    def post(self, path, body=None, **kw):
        return self.request('POST', path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request('PUT', path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request('PATCH', path, body, **kw)

    def delete(self, path, **kw):
        return self.request('DELETE', path, **kw)

    def issue_token(self, username, password, project=None, domain='Default', **scope):
        """POST /v3/auth/tokens with a password; returns the response."""
        auth = {'identity': {'methods': ['password'], 'password': {'user': {
            'name': username, 'domain': {'name': domain}, 'password': password}}}}
        if project:
            auth['scope'] = {'project': {'name': project, 'domain': {'name': domain}}}
        elif scope:
            auth['scope'] = scope
        return self.post('/identity/v3/auth/tokens', {'auth': auth})


@pytest.fixture
def app(db):
    from cloudstack.identity import keys
    from cloudstack.wsgi import app as wsgi_app
    keys.setup()
    return wsgi_app.load_app()


@pytest.fixture
def client(app):
    return Client(app)


@pytest.fixture
def admin(client):
    """A client holding a project-scoped token of the bootstrapped admin."""
    from cloudstack.identity import manager
    manager.get().bootstrap(ADMIN_PASSWORD, public_url='http://localhost')
    resp = client.issue_token('admin', ADMIN_PASSWORD, project='admin')
    assert resp.status_int == 201, resp.text
    return Client(client.app, resp.headers['X-Subject-Token'])
