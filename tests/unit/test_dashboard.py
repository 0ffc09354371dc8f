"""/dashboard when Horizon is off or not installed: a 404 saying why, and
nothing of Django loaded. (Horizon itself: tests/functional/test_dashboard.py.)"""
import sys

import webob

from cloudstack import dashboard
from cloudstack.wsgi import app as wsgi_app


def _get(path):
    return webob.Request.blank(path).get_response(wsgi_app.load_app())


def test_turned_off(db):
    resp = _get('/dashboard/')
    assert resp.status_int == 404
    assert resp.text == dashboard.DISABLED
    assert _get('/dashboard/auth/login/').text == dashboard.DISABLED


def test_not_installed(db, override, monkeypatch):
    monkeypatch.delitem(sys.modules, 'cloudstack.dashboard.app', raising=False)
    override('enabled', True, group='dashboard')
    monkeypatch.setattr(dashboard, 'installed', lambda: False)
    resp = _get('/dashboard')
    assert resp.status_int == 404
    assert "pip install 'cloudstack[dashboard]'" in resp.text
    assert 'cloudstack.dashboard.app' not in sys.modules     # nor, so, Django
    # The APIs beside it are served as ever.
    assert _get('/identity/v3').status_int == 200


def test_a_dashboard_that_fails_to_load_leaves_the_apis_up(db, override, monkeypatch):
    from cloudstack.dashboard import app

    def broken():
        raise RuntimeError('static files could not be compressed')
    override('enabled', True, group='dashboard')
    monkeypatch.setattr(dashboard, 'installed', lambda: True)
    monkeypatch.setattr(app, 'build', broken)
    resp = _get('/dashboard/')
    assert resp.status_int == 503
    assert resp.text == dashboard.BROKEN
    assert _get('/identity/v3').status_int == 200



def _served(override, monkeypatch, build=None):
    """The dashboard turned on and 'installed'; its Django app replaced by
    `build` (or one that fails to load), so that no test here loads Horizon."""
    from cloudstack.dashboard import app

    def broken():
        raise RuntimeError('not in unit tests')
    override('enabled', True, group='dashboard')
    monkeypatch.setattr(dashboard, 'installed', lambda: True)
    monkeypatch.setattr(app, 'build', build or broken)


def _health():
    return webob.Request.blank('/healthcheck', headers={'Accept': 'application/json'}
                               ).get_response(wsgi_app.load_app())


def test_healthcheck_says_what_the_dashboard_is(db, override, monkeypatch):
    assert _health().json['reasons'] == ['OK']      # turned off: as before

    _served(override, monkeypatch, build=lambda: dashboard.absent('Horizon', status=200))
    resp = _health()
    assert resp.status_int == 200
    assert resp.json['reasons'] == ['OK', 'dashboard OK']

    _served(override, monkeypatch)          # fails to load: reported, APIs still up
    resp = _health()
    assert resp.status_int == 200
    assert resp.json['reasons'] == ['OK', 'dashboard failed']

    monkeypatch.setattr(dashboard, 'installed', lambda: False)
    assert _health().json['reasons'] == ['OK', 'dashboard not installed']


def _catalog_urls(admin, stype):
    catalog = admin.get('/identity/v3/auth/catalog').json['catalog']
    return sorted((ep['interface'], ep['url']) for svc in catalog if svc['type'] == stype
                  for ep in svc['endpoints'])


def test_catalog_lists_the_dashboard_while_it_is_served(admin, override, monkeypatch):
    from cloudstack.identity import manager
    assert _catalog_urls(admin, 'dashboard') == []
    _served(override, monkeypatch)
    manager.get().bootstrap(None, public_url='http://localhost')
    assert _catalog_urls(admin, 'dashboard') == [
        (i, 'http://localhost/dashboard/') for i in ('admin', 'internal', 'public')]
    [svc] = admin.get('/identity/v3/services?type=dashboard').json['services']
    assert svc['name'] == 'horizon'
    # Turned off: the next start's bootstrap takes it out again.
    override('enabled', False, group='dashboard')
    manager.get().bootstrap(None, public_url='http://localhost')
    assert _catalog_urls(admin, 'dashboard') == []
    assert admin.get('/identity/v3/services?type=dashboard').json['services'] == []


def _preflight(app, origin, path='/image/v2/images/some-id/file'):
    req = webob.Request.blank(path, method='OPTIONS', headers={
        'Origin': origin, 'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'x-auth-token,content-type'})
    return req.get_response(app)


def test_the_dashboards_origin_may_upload_straight_to_the_image_api(db, override, monkeypatch):
    override('public_url', 'https://cloud.example.com:8443')
    # Without the dashboard (and no [cors] allowed_origin): no CORS at all.
    assert 'Access-Control-Allow-Origin' not in _preflight(
        wsgi_app.load_app(), 'https://cloud.example.com:8443').headers

    _served(override, monkeypatch)
    app = wsgi_app.load_app()
    for path in ('/image/v2/images/some-id/file', '/compute/v2.1/servers',
                 '/volume/v3/', '/identity/v3/auth/tokens'):
        resp = _preflight(app, 'https://cloud.example.com:8443', path)
        # Answered before authentication: a preflight carries no token.
        assert resp.status_int == 200, (path, resp.status)
        assert resp.headers['Access-Control-Allow-Origin'] == 'https://cloud.example.com:8443'
        assert resp.headers['Access-Control-Allow-Methods'] == 'PUT'
        assert set(resp.headers['Access-Control-Allow-Headers'].lower().split(',')) == {
            'x-auth-token', 'content-type'}
    other = _preflight(app, 'https://elsewhere.example.com')
    assert 'Access-Control-Allow-Origin' not in other.headers
    # Requests themselves still need their token.
    put = webob.Request.blank('/image/v2/images/some-id/file', method='PUT', headers={
        'Origin': 'https://cloud.example.com:8443'}).get_response(app)
    assert put.status_int == 401
    assert put.headers['Access-Control-Allow-Origin'] == 'https://cloud.example.com:8443'


def test_the_domain_token_every_log_in_asks_for_is_keystones_401(admin, client):
    """Horizon's log-in exchanges the unscoped token for one scoped to the
    user's domain (Default); the admin has no role there. Keystone refuses
    with its generic 401, which tells nothing about why."""
    from tests.conftest import ADMIN_PASSWORD
    unscoped = client.issue_token('admin', ADMIN_PASSWORD)
    assert unscoped.status_int == 201
    resp = client.post('/identity/v3/auth/tokens', {'auth': {
        'identity': {'methods': ['token'],
                     'token': {'id': unscoped.headers['X-Subject-Token']}},
        'scope': {'domain': {'name': 'Default'}}}})
    assert resp.status_int == 401
    assert resp.json == {'error': {
        'code': 401, 'title': 'Unauthorized',
        'message': 'The request you have made requires authentication.'}}
    assert resp.headers['WWW-Authenticate'] == 'Keystone uri="http://localhost/identity"'


def test_the_default_volume_type_exists_before_any_volume(admin):
    """Horizon's Create Volume form first asks Block Storage for the default
    type; Cinder has it from its first start, before any volume."""
    project_id = admin.get('/identity/v3/auth/projects').json['projects'][0]['id']
    resp = admin.get('/volume/v3/%s/types/default' % project_id)
    assert resp.status_int == 200, resp.text
    assert resp.json['volume_type']['name'] == '__DEFAULT__'
