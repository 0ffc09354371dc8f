"""Domain remap and CNAME lookup: accounts and containers named by the host."""
import dns.resolver
import pytest
import webob

from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403
from cloudstack.object_store.middleware import cname_lookup
from cloudstack.object_store.middleware import domain_remap


def _host(app, token, host, method='GET', path='/', body=None, headers=None):
    req = webob.Request.blank(path, method=method)
    req.headers['Host'] = host
    req.headers['X-Auth-Token'] = token
    for k, v in (headers or {}).items():
        req.headers[k] = v
    if body is not None:
        req.body = body
    return req.get_response(app)


def test_account_and_container_hosts_through_the_server(swift, app):
    swift('PUT', '/c')
    swift('PUT', '/c/o', body=b'contents')
    swift('PUT', '/c/v1', body=b'slash')
    acct = swift.account                        # AUTH_<project id>
    for label in (acct, acct.replace('_', '-'), 'auth-' + acct[5:]):
        r = _host(app, swift.token, '%s.example.com' % label)
        assert r.status_int == 200 and r.text.split() == ['c'], (label, r.text)
        r = _host(app, swift.token, '%s.example.com:8080' % label, path='/c/o')
        assert r.body == b'contents'
        r = _host(app, swift.token, 'c.%s.example.com' % label)
        assert r.text.split() == ['o', 'v1']
        # the path is the object's name, /v1 included
        assert _host(app, swift.token, 'c.%s.example.com' % label, path='/v1').body == \
            b'slash'
    r = _host(app, swift.token, 'c.%s.example.com' % acct, 'PUT', '/new', body=b'n')
    assert r.status_int == 201
    assert swift('GET', '/c/new').body == b'n'
    # a container whose name is another API's mount point is still a container
    assert _host(app, swift.token, '%s.example.com' % acct, 'PUT', '/identity').status_int \
        == 201
    assert swift('HEAD', '/identity').status_int == 204
    assert _host(app, swift.token, 'a.b.%s.example.com' % acct).status_int == 400
    # another host, or an unknown reseller prefix: as it was
    assert _host(app, swift.token, 'other.example.org', path='/info').status_int == 200
    assert _host(app, swift.token, 'XYZ_a.example.com', path='/info').status_int == 200
    info = raw(app, 'GET', '/info').json
    assert info['domain_remap'] == {'default_reseller_prefix': None}
    assert 'cname_lookup' not in info           # off in the shipped config


def _echo(environ, start_response):
    start_response('301 Moved', [('Location', 'http://%s%s/x' % (
        environ['HTTP_HOST'], environ['PATH_INFO'])), ('X-Path', environ['PATH_INFO'])])
    return [b'']


def _remap(path, host, **conf):
    req = webob.Request.blank(path, headers={'Host': host})
    return req.get_response(domain_remap.DomainRemap(_echo, conf))


def test_remap_options():
    r = _remap('/o', 'c.auth-acct.example.com')
    assert r.headers['X-Path'] == '/v1/AUTH_acct/c/o'
    # answers name the path the client asked for
    assert r.headers['Location'] == 'http://c.auth-acct.example.com/o/x'
    r = _remap('/c/o', 'acct.s.test', storage_domain='x.test, s.test',
               default_reseller_prefix='KEY', path_root='/v2/')
    assert r.headers['X-Path'] == '/v2/KEY_acct/c/o'
    r = _remap('/o', 'c.acct.example.com')
    assert r.headers['X-Path'] == '/o'           # no prefix, no default: left alone
    r = _remap('/o', 'c.sos_acct.example.com', reseller_prefixes='AUTH, SOS')
    assert r.headers['X-Path'] == '/v1/SOS_acct/c/o'
    r = _remap('/v1/o', 'c.AUTH_a.example.com', mangle_client_paths='true')
    assert r.headers['X-Path'] == '/v1/AUTH_a/c/o'
    r = _remap('/v1/o', 'c.AUTH_a.example.com')
    assert r.headers['X-Path'] == '/v1/AUTH_a/c/v1/o'
    # the object '/v1' at the container's root: the server collapsed '//v1'
    req = webob.Request.blank('/v1', headers={'Host': 'c.AUTH_a.example.com'})
    req.environ['cloudstack.request_target'] = '//v1'
    r = req.get_response(domain_remap.DomainRemap(_echo, {}))
    assert r.headers['X-Path'] == '/v1/AUTH_a/c//v1'
    assert _remap('/', 'x.c.AUTH_a.example.com').status_int == 400


class StubResolver:
    """DNS answers from a dict: name -> CNAME target."""

    def __init__(self, records):
        self.records = records
        self.asked = []

    def resolve(self, name, rdtype):
        assert rdtype == 'CNAME'
        self.asked.append(name)
        if name not in self.records:
            raise dns.resolver.NXDOMAIN()
        target = self.records[name]

        class Item:
            def to_text(self):
                return target + '.'

        class RRset:
            ttl = 300
            items = [Item()]
        return type('Answer', (), {'rrset': RRset()})()


def _cname(host, records, depth=1):
    resolver = StubResolver(records)
    app = cname_lookup.CnameLookup(domain_remap.DomainRemap(_echo, {}), {
        'enabled': 'true', 'lookup_depth': str(depth)}, resolver=resolver)
    req = webob.Request.blank('/o', headers={'Host': host})
    return req.get_response(app), resolver


def test_cname_lookup_follows_the_chain_within_depth():
    r, resolver = _cname('files.customer.test', {
        'files.customer.test': 'c.AUTH_a.example.com'})
    assert r.headers['X-Path'] == '/v1/AUTH_a/c/o'
    assert r.headers['Location'] == 'http://files.customer.test/o/x'
    records = {'www.test': 'cdn.test', 'cdn.test': 'c.AUTH_a.example.com'}
    r, _ = _cname('www.test', records)
    assert r.status_int == 400 and r.text == 'CNAME lookup failed after 1 tries'
    r, _ = _cname('www.test', records, depth=2)
    assert r.headers['X-Path'] == '/v1/AUTH_a/c/o'
    # no CNAME, an IP address, the storage domain itself: untouched
    for host in ('plain.test', '127.0.0.1:80', 'c.AUTH_a.example.com'):
        r, resolver = _cname(host, {})
        assert r.status_int == 301
    assert resolver.asked == []
    # answers are cached for their TTL
    resolver = StubResolver({'a.test': 'c.AUTH_a.example.com'})
    app = cname_lookup.CnameLookup(_echo, {'enabled': 'true'}, resolver=resolver)
    for _ in range(3):
        webob.Request.blank('/', headers={'Host': 'a.test'}).get_response(app)
    assert resolver.asked == ['a.test']


def test_cname_lookup_is_off_by_default_and_checks_nameservers():
    app = cname_lookup.CnameLookup(_echo, {})
    r = webob.Request.blank('/o', headers={'Host': 'a.test'}).get_response(app)
    assert r.headers['X-Path'] == '/o'
    with pytest.raises(ValueError):
        cname_lookup.CnameLookup(_echo, {'enabled': 'true', 'nameservers': 'dns.test'})
    assert cname_lookup.parse_nameserver('[::1]:5353') == ('::1', 5353)
