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

