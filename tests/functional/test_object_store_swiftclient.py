"""Swift as python-swiftclient sees it: a real cloudstack-all, the catalog's
storage URL at /v1/AUTH_<project> (as DevStack registers it), and the
behaviours of issue 10 that a Swift user scripts against."""
import hashlib
import json
import time
import urllib.parse

import pytest
import requests

from tests.functional.conftest import ADMIN_PASSWORD

swiftclient = pytest.importorskip('swiftclient.client')


@pytest.fixture
def conn(cloud):
    cloud.options['object_store'] = {
        'catalog_path': '/v1/AUTH_%(tenant_id)s',
        'storage_policies': 'gold, bronze', 'policy_replicas': 'bronze:1',
        'default_devices': 'objects/d1, objects/d2', 'default_replicas': 2}
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/identity/v3', timeout=60)
    c = swiftclient.Connection(
        authurl=cloud.url + '/identity/v3', user='admin', key=ADMIN_PASSWORD,
        auth_version='3', os_options={'project_name': 'admin',
                                      'user_domain_id': 'default',
                                      'project_domain_id': 'default'},
        retries=0)
    c.get_auth()
    return c


def _raw(conn, method, path, headers=None, **kw):
    """A request swiftclient would not make, with the same token."""
    url = conn.url + path
    return requests.request(method, url, headers=dict(headers or {}, **{
        'X-Auth-Token': conn.token}), timeout=30, allow_redirects=False, **kw)


def test_swiftclient_against_v1(conn, cloud):
    path = urllib.parse.urlparse(conn.url).path
    assert path.startswith('/v1/AUTH_'), conn.url
    headers = conn.head_account()
    tid = headers['x-trans-id']
    assert tid.startswith('tx') and headers['x-openstack-request-id'] == tid
    # malformed paths answer as Swift's proxy does
    assert requests.get(cloud.url + '/v1//c/o', timeout=10).status_code == 404
    assert requests.get(cloud.url + '/info junk', timeout=10).status_code == 412
    info = conn.get_capabilities()
    assert {p['name'] for p in info['swift']['policies']} == {'gold', 'bronze'}


def test_utf8_headers_and_delete_at(conn):
    conn.put_container('c\u2603')
    conn.put_container('versions\u00e9')
    # a UTF-8 header value comes back whole (it made eventlet drop the reply)
    conn.post_container('c\u2603', {'X-Versions-Location': 'versions\u00e9'})
    assert conn.head_container('c\u2603')['x-versions-location'] == 'versions\u00e9'
    conn.put_object('c\u2603', 'far', b'x', headers={'X-Delete-At': '1' * 100})
    assert conn.head_object('c\u2603', 'far')['x-delete-at'] == '9999999999'
    with pytest.raises(swiftclient.ClientException) as err:
        conn.put_object('c\u2603', 'bad', b'x', headers={'X-Delete-At': 'soon'})
    assert err.value.http_status == 400
    with pytest.raises(swiftclient.ClientException) as err:
        conn.delete_object('c\u2603', 'far', headers={'X-If-Delete-At': 'bad'})
    assert err.value.http_status == 400
    # 204s carry Content-Length: 0
    r = _raw(conn, 'HEAD', '')
    assert r.status_code == 204 and r.headers['Content-Length'] == '0'


def test_policies_and_cross_policy_copies(conn):
    conn.put_container('g')
    conn.put_container('b', headers={'X-Storage-Policy': 'bronze'})
    with pytest.raises(swiftclient.ClientException) as err:
        conn.put_container('x', headers={'X-Storage-Policy': 'silver'})
    assert err.value.http_status == 400
    assert conn.head_container('b')['x-storage-policy'] == 'bronze'
    conn.put_object('g', 'o', b'golden')
    conn.copy_object('g', 'o', '/b/o')
    assert conn.get_object('b', 'o')[1] == b'golden'
    account = conn.head_account()
    assert account['x-account-storage-policy-bronze-object-count'] == '1'
    assert account['x-account-project-domain-id'] == 'default'


def test_large_objects_and_links(conn):
    conn.put_container('c')
    seg = 'segs\u00e9'
    conn.put_container(seg)
    for i, part in enumerate((b'aaaa', b'bbbb')):
        conn.put_object(seg, 'p\u2603/%d' % i, part)
    # a DLO whose prefix is UTF-8
    conn.put_object('c', 'dlo', b'', headers={'X-Object-Manifest': '%s/p\u2603/' % seg})
    headers, body = conn.get_object('c', 'dlo')
    assert body == b'aaaabbbb'
    # several ranges of a DLO: the whole, 200
    headers, body = conn.get_object('c', 'dlo', headers={'Range': 'bytes=0-1,4-5'})
    assert body == b'aaaabbbb'
    # an SLO with an inline data segment
    manifest = [{'path': '/%s/p\u2603/0' % seg},
                {'data': 'LS0='}]          # b'--'
    conn.put_object('c', 'slo', json.dumps(manifest),
                    query_string='multipart-manifest=put')
    assert conn.get_object('c', 'slo')[1] == b'aaaa--'
    # a copy with Range copies the range
    conn.copy_object('c', 'slo', '/c/part', headers={'Range': 'bytes=2-4'})
    assert conn.get_object('c', 'part')[1] == b'aa-'
    # a static link to a dynamic link, by the link's own ETag
    conn.put_object('c', 'dyn', b'', headers={'X-Symlink-Target': 'c/part'})
    conn.put_object('c', 'static', b'', headers={
        'X-Symlink-Target': 'c/dyn',
        'X-Symlink-Target-Etag': hashlib.md5(b'').hexdigest()})
    assert conn.get_object('c', 'static')[1] == b'aa-'
    # a POST to a link: 307 with a relative Location
    r = _raw(conn, 'POST', '/c/dyn', headers={'X-Object-Meta-A': '1'})
    assert r.status_code == 307
    assert r.headers['Location'] == urllib.parse.urlparse(conn.url).path + '/c/part'


def test_static_web_and_cors(conn, cloud):
    conn.put_container('site', headers={
        'X-Container-Read': '.r:*,.rlistings', 'X-Container-Meta-Web-Listings': 'true',
        'X-Container-Meta-Access-Control-Allow-Origin': 'http://app.example'})
    conn.put_object('site', 'd\u00e9j\u00e0/page.html', b'<p>hi</p>')
    anon = conn.url + '/site'
    r = requests.get(anon + '/', timeout=10)
    assert r.status_code == 200
    assert '<a href="./d%C3%A9j%C3%A0/">d\u00e9j\u00e0/</a>' in r.text
    r = requests.get(anon + '/d%C3%A9j%C3%A0', timeout=10, allow_redirects=False)
    assert r.status_code == 301
    assert r.headers['Location'].endswith('/site/d%C3%A9j%C3%A0/')
    # CORS preflight from the container's allowed origin
    r = requests.options(anon + '/x', timeout=10, headers={
        'Origin': 'http://app.example', 'Access-Control-Request-Method': 'GET'})
    assert r.status_code == 200
    assert r.headers['Access-Control-Allow-Origin'] == 'http://app.example'
    r = requests.options(anon + '/x', timeout=10, headers={
        'Origin': 'http://evil.example', 'Access-Control-Request-Method': 'GET'})
    assert r.status_code == 401


def test_temp_urls_with_utf8_keys(conn):
    from swiftclient import utils
    key = 'cl\u00e9'
    conn.post_account({'X-Account-Meta-Temp-URL-Key': key})
    conn.put_container('t')
    conn.put_object('t', 'o', b'secret')
    path = urllib.parse.urlparse(conn.url).path + '/t/o'
    signed = utils.generate_temp_url(path, int(time.time()) + 60, key, 'GET')
    base = conn.url[:-len(urllib.parse.urlparse(conn.url).path)]
    r = requests.get(base + signed, timeout=10)
    assert r.status_code == 200 and r.content == b'secret'
    # no symlink through a temp URL
    signed = utils.generate_temp_url(path, int(time.time()) + 60, key, 'PUT')
    r = requests.put(base + signed, data=b'', timeout=10,
                     headers={'X-Symlink-Target': 't/other'})
    assert r.status_code == 400
