"""/crossdomain.xml (middleware/crossdomain.py) and Swift's /healthcheck
under the object store's mount, through the whole paste app."""
from tests.unit.object_store.test_api_fixtures import raw

START = ('<?xml version="1.0"?>\n<!DOCTYPE cross-domain-policy SYSTEM '
         '"http://www.adobe.com/xml/dtds/cross-domain-policy.dtd" >\n'
         '<cross-domain-policy>\n')


def test_crossdomain_policy(app):
    r = raw(app, 'GET', '/object-store/crossdomain.xml')
    assert r.status_int == 200
    text = r.text
    assert text.startswith(START) and text.endswith('</cross-domain-policy>')
    assert '<allow-access-from domain="*" secure="false" />' in text
    assert r.content_type == 'application/xml'
    assert r.headers['Content-Length'] == str(len(r.body))
    assert r.headers['X-Trans-Id'].startswith('tx') and 'Date' in r.headers
    assert raw(app, 'HEAD', '/object-store/crossdomain.xml').status_int == 200
    # only that path
    assert raw(app, 'GET', '/object-store/v1/AUTH_x/crossdomain.xml').status_int == 401


def test_info(app):
    assert raw(app, 'GET', '/info').json['crossdomain'] == {}


def test_configured_policy():
    from cloudstack.object_store.middleware import crossdomain
    mw = crossdomain.filter_factory({}, cross_domain_policy=(
        '<allow-access-from domain="a.example" />\n'
        '<allow-access-from domain="b.example" />'))(None)
    assert '<allow-access-from domain="a.example" />\n<allow-access-from ' \
           'domain="b.example" />\n</cross-domain-policy>' in mw.body


def test_swift_healthcheck(app):
    r = raw(app, 'GET', '/object-store/healthcheck')
    assert r.status_int == 200 and r.body == b'OK'
    assert r.headers['Content-Length'] == '2'
    assert r.headers['Content-Type'].startswith('text/plain')
    assert r.headers['X-Trans-Id'].startswith('tx') and 'Date' in r.headers
    # the server's own /healthcheck is oslo.middleware's
    assert raw(app, 'GET', '/healthcheck').text == 'OK'


def test_crossdomain_at_server_root(app):
    r = raw(app, 'GET', '/crossdomain.xml')
    assert r.status_int == 200 and r.text.startswith(START)
    assert r.headers['X-Trans-Id'].startswith('tx')
