"""Where Swift's clients look besides Tempest (issue 10): the /v1 mount,
Swift's answers to malformed paths, transaction ids, header values that are
not latin-1, X-Delete-At bounds, 204 lengths, CORS, /info, account ACLs and
the domain rule of names in ACLs."""
import json
import time
import urllib.parse

from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403
from tests.unit.object_store.test_api_fixtures import Swift, make_user, raw


def _root(swift):
    """The same account at /v1/<account> on the server's root."""
    s = Swift(swift.app, swift.token, swift.project_id)
    s.base = '/v1/' + swift.account
    return s


def test_v1_at_the_root_serves_the_same_account(swift):
    assert swift('PUT', '/c').status_int == 201
    assert swift('PUT', '/c/o', b'data').status_int == 201
    root = _root(swift)
    assert root('GET', '/c/o').body == b'data'
    assert root('GET', '/c').text == 'o\n'
    assert root('PUT', '/c/p', b'x').status_int == 201
    assert swift('GET', '/c').text == 'o\np\n'
    alt = Swift(swift.app, swift.token, swift.project_id)
    alt.base = '/v1.0/' + swift.account
    assert alt('HEAD', '/c/o').status_int == 200


def test_catalog_path_is_the_operators_choice(app, admin, override):
    override('catalog_path', '/v1/AUTH_%(tenant_id)s', group='object_store')
    from cloudstack.identity import manager
    manager.get().bootstrap(None, public_url='http://localhost')
    r = admin.get('/identity/v3/endpoints')
    urls = {e['url'] for e in r.json['endpoints']}
    assert 'http://localhost/v1/AUTH_$(project_id)s' in urls or \
        'http://localhost/v1/AUTH_%(tenant_id)s' in urls, urls


def test_malformed_paths_answer_as_swift(app, swift):
    def status(path, method='GET'):
        r = raw(app, method, path, token=swift.token)
        return r.status_int, r.text
    assert status('/v1') == (412, 'Bad URL')
    assert status('/v1/', 'PUT') == (412, 'Bad URL')
    assert status('/infojunk') == (412, 'Bad URL')
    assert status('/v2/%s' % swift.account)[0] == 400
    assert status('//v1/%s' % swift.account)[0] == 404
    assert status('/v1/%s/%%FF' % swift.account) == (
        412, 'Invalid UTF8 or contains NULL')
    assert status('/v1/%s/c%%00' % swift.account) == (
        412, 'Invalid UTF8 or contains NULL')
    # an empty segment before the last: Swift's split_path refuses it
    assert status('/v1/%s//o' % swift.account)[0] == 404
    assert status('/v1//c/o')[0] == 404
    assert status('/v1///o')[0] == 404


def test_transaction_ids_are_swifts(swift):
    r = swift('HEAD')
    tid = r.headers['X-Trans-Id']
    assert tid.startswith('tx') and len(tid) == 34 and tid[23] == '-', tid
    assert r.headers['X-Openstack-Request-Id'] == tid
    bad = swift('GET', '/missing')
    assert bad.status_int == 404
    assert bad.headers['X-Openstack-Request-Id'] == bad.headers['X-Trans-Id'] != tid


def test_204_carries_a_zero_length(swift):
    for r in (swift('HEAD'), swift('POST', headers={'X-Account-Meta-A': 'b'})):
        assert r.status_int == 204
        assert r.headers['Content-Length'] == '0'


def test_header_values_that_are_not_latin1_are_sent(app, swift):
    name = 'caf\u00e9 \u2603'
    quoted = urllib.parse.quote(name)
    assert swift('PUT', '/' + quoted).status_int == 201
    r = swift('PUT', '/c', headers={'X-Versions-Location': quoted})
    assert r.status_int == 201
    r = swift('HEAD', '/c')
    # the versions container's name as it was set, as Swift answers it
    assert r.headers['X-Versions-Location'] == quoted
    r = swift('POST', '/c', headers={'X-Versions-Location': name.encode().decode('latin-1')})
    assert r.status_int == 204
    # raw UTF-8: its bytes again
    r = swift('HEAD', '/c')
    assert r.headers['X-Versions-Location'].encode('latin-1').decode() == name
    # a temp URL on a UTF-8 object name: its Content-Disposition
    swift('POST', headers={'X-Account-Meta-Temp-URL-Key': 'k'})
    assert swift('PUT', '/c/' + quoted, b'x').status_int == 201
    import hashlib
    import hmac
    expires = int(time.time()) + 60
    path = swift.url('/c/' + quoted)
    signed = swift.url('/c/' + name)      # the path itself, as clients sign it
    sig = hmac.new(b'k', ('GET\n%d\n%s' % (expires, signed)).encode(),
                   hashlib.sha256).hexdigest()
    r = raw(app, 'GET', '%s?temp_url_sig=%s&temp_url_expires=%d' % (path, sig, expires))
    assert r.status_int == 200, r.text
    r.headers['Content-Disposition'].encode('latin-1')
    assert quoted in r.headers['Content-Disposition']


def test_every_answer_header_is_latin1(app):
    """The edge filter sends any header value (even one a filter made of
    text) as bytes the server can write."""
    from cloudstack.object_store.middleware import edge

    def inner(environ, start_response):
        start_response('200 OK', [('X-Thing', '\u2603'), ('Location', '/v1/a/\u2603')])
        return [b'']
    got = {}

    def start(status, headers, exc_info=None):
        got.update(headers)
    edge.Edge(inner)({'PATH_INFO': '/'}, start)
    assert got['X-Thing'] == '\u2603'.encode().decode('latin-1')
    assert got['Location'] == '/v1/a/%E2%98%83'
    assert got['X-Trans-Id'].startswith('tx')


def test_x_delete_at_bounds(swift):
    assert swift('PUT', '/c').status_int == 201
    for value in ('abc', '1e400', 'nan', '-5', '0'):
        r = swift('PUT', '/c/o', b'x', headers={'X-Delete-At': value})
        assert r.status_int == 400, (value, r.status)
    # far in the future: clamped to Swift's largest timestamp, not a 500
    r = swift('PUT', '/c/far', b'x', headers={'X-Delete-At': '1' * 100})
    assert r.status_int == 201
    assert swift('HEAD', '/c/far').headers['X-Delete-At'] == '9' * 10
    assert swift('PUT', '/c/o', b'x').status_int == 201
    r = swift('POST', '/c/o', headers={'X-Delete-At': '99999999999999999999'})
    assert r.status_int == 202
    r = swift('POST', '/c/missing', headers={'X-Delete-At': 'soon'})
    assert r.status_int == 400
    r = swift('POST', '/c/o', headers={'X-Delete-At': str(time.time() + 60)})
    assert r.status_int == 202
    r = swift('POST', '/c/o', headers={'X-Delete-After': '99999999999999'})
    assert r.status_int == 202
    assert swift('HEAD', '/c/o').headers['X-Delete-At'] == '9999999999'


def test_x_if_delete_at(swift):
    assert swift('PUT', '/c').status_int == 201
    at = int(time.time()) + 600
    assert swift('PUT', '/c/o', b'x', headers={'X-Delete-At': str(at)}).status_int == 201
    assert swift('DELETE', '/c/o', headers={'X-If-Delete-At': 'bad'}).status_int == 400
    assert swift('DELETE', '/c/gone', headers={'X-If-Delete-At': str(at)}).status_int == 404
    assert swift('DELETE', '/c/o', headers={'X-If-Delete-At': str(at + 1)}).status_int == 412
    assert swift('HEAD', '/c/o').status_int == 200
    assert swift('DELETE', '/c/o', headers={'X-If-Delete-At': str(at)}).status_int == 204
    assert swift('HEAD', '/c/o').status_int == 404


def test_info_tells_the_truth(app, override):
    from cloudstack.object_store import api
    info = raw(app, 'GET', '/info').json['swift']
    assert info['version'] == api.SWIFT_API_VERSION
    assert info['cloudstack_version'] == api.server_version()
    assert info['strict_cors_mode'] is True
    override('strict_cors_mode', False, group='object_store')
    assert raw(app, 'GET', '/info').json['swift']['strict_cors_mode'] is False


# --- CORS --------------------------------------------------------------------
def test_cors_preflight_and_actual_requests(app, swift):
    assert swift('PUT', '/open', headers={
        'X-Container-Meta-Access-Control-Allow-Origin': 'http://a.example http://b.example',
        'X-Container-Meta-Access-Control-Max-Age': '30',
        'X-Container-Meta-Access-Control-Expose-Headers': 'X-Custom'}).status_int == 201
    assert swift('PUT', '/shut').status_int == 201
    assert swift('PUT', '/open/o', b'x', headers={'X-Object-Meta-Color': 'red'}).status_int == 201
    # preflight needs no token
    pre = {'Origin': 'http://a.example', 'Access-Control-Request-Method': 'GET',
           'Access-Control-Request-Headers': 'x-auth-token, range'}
    r = raw(app, 'OPTIONS', swift.url('/open/o'), headers=pre)
    assert r.status_int == 200, r.text
    assert r.headers['Access-Control-Allow-Origin'] == 'http://a.example'
    assert r.headers['Access-Control-Max-Age'] == '30'
    assert 'GET' in r.headers['Access-Control-Allow-Methods']
    assert r.headers['Access-Control-Allow-Headers'] == 'x-auth-token, range'
    assert r.headers['Content-Length'] == '0'
    for path, headers in (('/shut/o', pre), ('/open/o', dict(pre, Origin='http://c.example')),
                          ('/open/o', dict(pre, **{'Access-Control-Request-Method': 'PATCH'}))):
        assert raw(app, 'OPTIONS', swift.url(path), headers=headers).status_int == 401
    r = raw(app, 'OPTIONS', swift.url('/open/o'))
    assert r.status_int == 200 and 'COPY' in r.headers['Allow']
    assert raw(app, 'OPTIONS', swift.url()).status_int == 200
    assert raw(app, 'OPTIONS', '/info').status_int == 200
    # the request itself
    r = swift('GET', '/open/o', headers={'Origin': 'http://b.example'})
    assert r.headers['Access-Control-Allow-Origin'] == 'http://b.example'
    exposed = r.headers['Access-Control-Expose-Headers'].split(', ')
    assert {'etag', 'x-custom', 'x-object-meta-color', 'x-trans-id'} <= set(exposed)
    r = swift('GET', '/shut', headers={'Origin': 'http://b.example'})
    assert r.status_int == 204 and 'Access-Control-Allow-Origin' not in r.headers


def test_cors_options(app, swift, override):
    assert swift('PUT', '/shut').status_int == 201
    override('cors_allow_origin', ['http://all.example'], group='object_store')
    pre = {'Origin': 'http://all.example', 'Access-Control-Request-Method': 'PUT'}
    assert raw(app, 'OPTIONS', swift.url('/shut/o'), headers=pre).status_int == 200
    r = swift('HEAD', '/shut', headers={'Origin': 'http://x.example'})
    assert 'Access-Control-Allow-Origin' not in r.headers
    override('strict_cors_mode', False, group='object_store')
    r = swift('HEAD', '/shut', headers={'Origin': 'http://x.example'})
    assert r.headers['Access-Control-Allow-Origin'] == 'http://x.example'


# --- ACLs --------------------------------------------------------------------
def _as(owner, who):
    return Swift(owner.app, who.token, owner.project_id)


def test_names_in_acls_match_only_in_the_default_domain(app, admin, swift):
    r = admin.post('/identity/v3/domains', {'domain': {'name': 'elsewhere'}})
    assert r.status_int == 201, r.text
    domain = (r.json['domain']['id'], 'elsewhere')
    # same project and user names as in the ACL, in another domain
    token, pid, uid = make_user(admin, 'team', 'carol', domain=domain)
    outsider = Swift(app, token, pid)
    token, pid, uid = make_user(admin, 'team', 'carol')
    insider = Swift(app, token, pid)
    assert swift('PUT', '/c', headers={'X-Container-Read': 'team:carol'}).status_int == 201
    assert swift('PUT', '/c/o', b'x').status_int == 201
    assert _as(swift, insider)('GET', '/c/o').status_int == 200
    assert _as(swift, outsider)('GET', '/c/o').status_int == 403
    # ids still match across domains
    swift('POST', '/c', headers={'X-Container-Read': '%s:*' % outsider.project_id})
    assert _as(swift, outsider)('GET', '/c/o').status_int == 200


def test_account_acls(app, admin, swift, other):
    token, pid, uid = make_user(admin, 'third', 'dave')
    dave = Swift(app, token, pid)
    bob = _as(swift, other)
    assert swift('PUT', '/c').status_int == 201
    assert swift('PUT', '/c/o', b'data').status_int == 201
    assert bob('GET').status_int == 403
    for bad in ('not json', '[]', '{"owner": ["x"]}', '{"admin": "x"}'):
        r = swift('POST', headers={'X-Account-Access-Control': bad})
        assert r.status_int == 400, bad
    acl = {'read-only': ['%s:%s' % (other.project_id, other.user_id)],
           'read-write': [pid + ':*']}
    r = swift('POST', headers={'X-Account-Access-Control': json.dumps(acl)})
    assert r.status_int == 204
    assert json.loads(swift('HEAD').headers['X-Account-Access-Control']) == acl
    # read-only
    assert bob('GET').text == 'c\n'
    assert 'X-Account-Access-Control' not in bob('HEAD').headers
    assert bob('GET', '/c/o').body == b'data'
    assert bob('PUT', '/c/p', b'x').status_int == 403
    assert bob('PUT', '/d').status_int == 403
    assert bob('GET', '/nope').status_int == 404
    # read-write: containers and objects, not the account
    carl = _as(swift, dave)
    assert carl('PUT', '/c/p', b'x').status_int == 201
    assert carl('PUT', '/d').status_int == 201
    assert carl('DELETE', '/c/p').status_int == 204
    assert carl('POST', headers={'X-Account-Meta-X': '1'}).status_int == 403
    assert carl('POST', headers={'X-Account-Access-Control': '{}'}).status_int == 403
    # admin: everything the owner may, ACLs included
    acl['admin'] = acl.pop('read-only')
    swift('POST', headers={'X-Account-Access-Control': json.dumps(acl)})
    assert bob('POST', headers={'X-Account-Meta-X': '1'}).status_int == 204
    assert 'X-Account-Access-Control' in bob('HEAD').headers
    assert bob('POST', headers={'X-Account-Access-Control': '{}'}).status_int == 204
    assert bob('GET').status_int == 403
    assert carl('GET', '/c/o').status_int == 403


def test_symlink_put_through_a_temp_url_is_refused(app, swift):
    import hashlib
    import hmac
    swift('POST', headers={'X-Account-Meta-Temp-URL-Key': 'k'})
    assert swift('PUT', '/c').status_int == 201
    expires = int(time.time()) + 60
    path = swift.url('/c/link')
    sig = hmac.new(b'k', ('PUT\n%d\n%s' % (expires, path)).encode(),
                   hashlib.sha256).hexdigest()
    url = '%s?temp_url_sig=%s&temp_url_expires=%d' % (path, sig, expires)
    r = raw(app, 'PUT', url, body=b'', headers={'X-Symlink-Target': 'other/secret'})
    assert r.status_int == 400
    assert 'X-Symlink-Target' in r.text
    assert swift('HEAD', '/c/link').status_int == 404
    assert raw(app, 'PUT', url, body=b'plain').status_int == 201


def test_temp_url_keys_in_utf8(app, swift):
    import hashlib
    import hmac
    key = 'cl\u00e9 \u2603'
    r = swift('POST', headers={'X-Account-Meta-Temp-URL-Key':
                               key.encode().decode('latin-1')})
    assert r.status_int == 204
    assert swift('PUT', '/c').status_int == 201
    assert swift('PUT', '/c/o', b'x').status_int == 201
    expires = int(time.time()) + 60
    path = swift.url('/c/o')
    sig = hmac.new(key.encode(), ('GET\n%d\n%s' % (expires, path)).encode(),
                   hashlib.sha256).hexdigest()
    r = raw(app, 'GET', '%s?temp_url_sig=%s&temp_url_expires=%d' % (path, sig, expires))
    assert r.status_int == 200, r.text


def test_copy_with_range_copies_the_range(swift):
    assert swift('PUT', '/c').status_int == 201
    assert swift('PUT', '/c/src', b'0123456789').status_int == 201
    r = swift('PUT', '/c/part', b'', headers={'X-Copy-From': 'c/src', 'Range': 'bytes=2-5'})
    assert r.status_int == 201, r.text
    assert swift('GET', '/c/part').body == b'2345'
    r = swift('COPY', '/c/src', headers={'Destination': 'c/tail', 'Range': 'bytes=-3'})
    assert r.status_int == 201
    assert swift('GET', '/c/tail').body == b'789'
    r = swift('COPY', '/c/src', headers={'Destination': 'c/no', 'Range': 'bytes=50-60'})
    assert r.status_int == 416
    assert swift('HEAD', '/c/no').status_int == 404


def test_bulk_delete_names_are_relative_to_the_account(swift):
    assert swift('PUT', '/c').status_int == 201
    assert swift('PUT', '/c/o1', b'x').status_int == 201
    assert swift('PUT', '/d').status_int == 201
    # on an object's path, as Swift answers it: the names still count from
    # the account, objects go before their containers
    r = swift('DELETE', '/c/o1?bulk-delete', b'd\nc/o1\nc/nope',
              headers={'Accept': 'application/json', 'Content-Type': 'text/plain'})
    assert r.status_int == 200
    assert r.json['Number Deleted'] == 2 and r.json['Number Not Found'] == 1, r.json
    assert swift('HEAD', '/d').status_int == 404
    r = swift('POST', '/c?bulk-delete', b'\n', headers={'Accept': 'application/json'})
    assert r.json['Response Status'] == '400 Bad Request'
    assert r.json['Response Body'] == 'Invalid bulk delete.'
    r = swift('POST', '?bulk-delete', b'c', headers={'Content-Type': 'application/json'})
    assert r.status_int == 406


def test_a_project_reader_reads_its_account_never_writes(app, admin, swift):
    token, pid, uid = make_user(admin, 'readers', 'mira')
    owner = Swift(app, token, pid)
    r = admin.post('/identity/v3/users', {'user': {
        'name': 'rhea', 'domain_id': 'default', 'password': 'pw-rhea'}})
    rid = admin.get('/identity/v3/roles?name=reader').json['roles'][0]['id']
    admin.put('/identity/v3/projects/%s/users/%s/roles/%s' % (pid, r.json['user']['id'], rid))
    token = admin.issue_token('rhea', 'pw-rhea', project='readers').headers['X-Subject-Token']
    rhea = Swift(app, token, pid)
    assert owner('PUT', '/c').status_int == 201
    assert owner('PUT', '/c/o', b'data').status_int == 201
    assert rhea('GET').text == 'c\n'
    assert rhea('HEAD', '/c').status_int == 204
    assert rhea('GET', '/c/o').body == b'data'
    assert rhea('PUT', '/c/p', b'x').status_int == 403
    assert rhea('DELETE', '/c/o').status_int == 403
    assert rhea('POST', headers={'X-Account-Meta-A': '1'}).status_int == 403
    assert rhea('PUT', '/d').status_int == 403
    # not another project's account
    assert Swift(app, token, swift.project_id)('GET').status_int == 403


def test_account_shows_its_projects_domain(swift, other):
    # not before the owner's first write
    assert 'X-Account-Project-Domain-Id' not in swift('HEAD').headers
    assert swift('POST', headers={'X-Account-Meta-A': '1'}).status_int == 204
    r = swift('HEAD')
    assert r.headers['X-Account-Project-Domain-Id'] == 'default'
    assert not any(k.lower().startswith('x-account-sysmeta') for k in r.headers)
    assert other('PUT', '/c').status_int == 201
    assert other('HEAD').headers['X-Account-Project-Domain-Id'] == 'default'
    # another project's write in this account records nothing of its own
    assert swift('HEAD', token=other.token).status_int == 403


def test_root_healthcheck_carries_swifts_transaction_id(app):
    # where Tempest and Swift's clients look when the storage URL is /v1/...
    r = raw(app, 'GET', '/healthcheck')
    assert r.status_int == 200
    tid = r.headers['X-Trans-Id']
    assert tid.startswith('tx') and r.headers['X-Openstack-Request-Id'] == tid
