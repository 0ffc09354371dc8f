"""Temp URLs (middleware/tempurl.py) through the whole paste app."""
import base64
import hashlib
import hmac
import time

from tests.unit.object_store.test_api_fixtures import (  # noqa: F401
    backend, other, raw, swift)


def sig(key, method, expires, path, digest='sha256', prefix=False, b64=False):
    body = '%s\n%s\n%s%s' % (method, expires, 'prefix:' if prefix else '', path)
    mac = hmac.new(key.encode(), body.encode(), getattr(hashlib, digest))
    if b64:
        return '%s:%s' % (digest, base64.urlsafe_b64encode(mac.digest()).decode().rstrip('='))
    return mac.hexdigest()


def setup_object(swift, key='secret'):
    assert swift('POST', headers={'X-Account-Meta-Temp-URL-Key': key}).status_int == 204
    assert swift('PUT', '/c').status_int == 201
    assert swift('PUT', '/c/dir/o.txt', b'hello').status_int == 201


def url(swift, obj, method='GET', key='secret', expires=None, path=None, **kw):
    expires = expires or int(time.time()) + 60
    full = swift.url('/c/' + obj)
    signed = path if path is not None else full
    return '%s?temp_url_sig=%s&temp_url_expires=%s' % (
        full, sig(key, method, expires, signed, **kw), expires)


def test_info_lists_tempurl(app):
    info = raw(app, 'GET', '/info').json['tempurl']
    assert info['methods'] == ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']
    assert set(info['allowed_digests']) == {'sha1', 'sha256', 'sha512'}


def test_get_and_head_without_token(app, swift):
    setup_object(swift)
    r = raw(app, 'GET', url(swift, 'dir/o.txt'))
    assert r.status_int == 200, r.text
    assert r.body == b'hello'
    assert r.headers['Content-Disposition'].startswith('attachment; filename="o.txt"')
    assert r.headers['X-Trans-Id'].startswith('tx')
    # a URL signed for GET also serves HEAD
    r = raw(app, 'HEAD', url(swift, 'dir/o.txt'))
    assert r.status_int == 200 and r.headers['Content-Length'] == '5'
    # without a signature the object is not public
    assert raw(app, 'GET', swift.url('/c/dir/o.txt')).status_int == 401


def test_swift_path_and_other_digests(app, swift):
    setup_object(swift)
    swift_path = '/v1/%s/c/dir/o.txt' % swift.account
    for kw in ({'digest': 'sha1'}, {'digest': 'sha512', 'b64': True},
               {'digest': 'sha256', 'b64': True}):
        r = raw(app, 'GET', url(swift, 'dir/o.txt', path=swift_path, **kw))
        assert r.status_int == 200, (kw, r.text)


def test_invalid_signatures_are_refused(app, swift):
    setup_object(swift)
    past = int(time.time()) - 1
    bad = [url(swift, 'dir/o.txt', expires=past),
           url(swift, 'dir/o.txt', key='wrong'),
           url(swift, 'dir/o.txt', method='PUT'),
           swift.url('/c/dir/o.txt') + '?temp_url_sig=abc&temp_url_expires=9999999999',
           swift.url('/c/dir/o.txt') + '?temp_url_expires=9999999999']
    for u in bad:
        r = raw(app, 'GET', u)
        assert r.status_int == 401, (u, r.status)
        assert b'Temp URL invalid' in r.body
    # a URL signed for another object
    u = url(swift, 'dir/o.txt').replace('/c/dir/o.txt', '/c/dir/other')
    assert raw(app, 'GET', u).status_int == 401
    # a valid URL does not make other methods valid
    assert raw(app, 'DELETE', url(swift, 'dir/o.txt')).status_int == 401
    assert swift('GET', '/c/dir/o.txt').body == b'hello'


def test_put_and_delete(app, swift):
    setup_object(swift)
    r = raw(app, 'PUT', url(swift, 'new', method='PUT'), body=b'fresh')
    assert r.status_int == 201, r.text
    assert swift('GET', '/c/new').body == b'fresh'
    assert raw(app, 'DELETE', url(swift, 'new', method='DELETE')).status_int == 204
    assert swift('GET', '/c/new').status_int == 404


def test_inline_and_filename(app, swift):
    setup_object(swift)
    r = raw(app, 'GET', url(swift, 'dir/o.txt') + '&inline')
    assert r.headers['Content-Disposition'] == 'inline'
    r = raw(app, 'GET', url(swift, 'dir/o.txt') + '&filename=report.txt')
    assert r.headers['Content-Disposition'].startswith('attachment; filename="report.txt"')


def test_key_2_and_container_key(app, swift):
    setup_object(swift)
    swift('POST', headers={'X-Account-Meta-Temp-URL-Key-2': 'second'})
    assert raw(app, 'GET', url(swift, 'dir/o.txt', key='second')).status_int == 200
    swift('POST', '/c', headers={'X-Container-Meta-Temp-URL-Key': 'ckey'})
    assert raw(app, 'GET', url(swift, 'dir/o.txt', key='ckey')).status_int == 200
    # the container key does not open another container
    swift('PUT', '/d')
    swift('PUT', '/d/x', b'x')
    expires = int(time.time()) + 60
    p = swift.url('/d/x')
    u = '%s?temp_url_sig=%s&temp_url_expires=%s' % (p, sig('ckey', 'GET', expires, p), expires)
    assert raw(app, 'GET', u).status_int == 401


def test_prefix(app, swift):
    setup_object(swift)
    expires = int(time.time()) + 60
    s = sig('secret', 'GET', expires, '/v1/%s/c/dir/' % swift.account, prefix=True)
    base = swift.url('/c/dir/o.txt')
    r = raw(app, 'GET', '%s?temp_url_sig=%s&temp_url_expires=%s&temp_url_prefix=dir/' % (
        base, s, expires))
    assert r.status_int == 200, r.text
    # outside the prefix
    swift('PUT', '/c/top', b't')
    r = raw(app, 'GET', '%s?temp_url_sig=%s&temp_url_expires=%s&temp_url_prefix=dir/' % (
        swift.url('/c/top'), s, expires))
    assert r.status_int == 401


def test_iso8601_expiry(app, swift):
    setup_object(swift)
    # the signature covers the Unix time the ISO 8601 form names
    when = int(time.time()) + 60
    expires = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(when))
    p = swift.url('/c/dir/o.txt')
    u = '%s?temp_url_sig=%s&temp_url_expires=%s' % (p, sig('secret', 'GET', when, p),
                                                     expires)
    assert raw(app, 'GET', u).status_int == 200


def test_keys_hidden_from_non_owners(app, swift, other):
    setup_object(swift)
    swift('POST', '/c', headers={'X-Container-Meta-Temp-URL-Key': 'ckey',
                                 'X-Container-Read': '*:*'})
    mine = swift('HEAD', '/c')
    assert mine.headers['X-Container-Meta-Temp-Url-Key'] == 'ckey'
    theirs = raw(app, 'HEAD', swift.url('/c'), token=other.token)
    assert theirs.status_int == 204, theirs.status
    assert 'X-Container-Meta-Temp-Url-Key' not in theirs.headers
    theirs = raw(app, 'GET', swift.url('/c'), token=other.token)
    assert theirs.status_int == 200
    assert 'X-Container-Meta-Temp-Url-Key' not in theirs.headers
    assert swift('HEAD').headers['X-Account-Meta-Temp-Url-Key'] == 'secret'


def test_container_key_reaches_no_segment_of_another_container(app, swift):
    swift('PUT', '/c')
    swift('POST', '/c', headers={'X-Container-Meta-Temp-URL-Key': 'ckey'})
    swift('PUT', '/segs')
    swift('PUT', '/segs/part1', b'one ')
    swift('PUT', '/c/dlo', b'', headers={'X-Object-Manifest': 'segs/part'})
    assert swift('GET', '/c/dlo').body == b'one '
    for method in ('GET', 'HEAD'):
        r = raw(app, method, url(swift, 'dlo', method=method, key='ckey'))
        assert r.status_int == 401, r.text
    # the account's key reaches the whole account
    swift('POST', headers={'X-Account-Meta-Temp-URL-Key': 'akey'})
    r = raw(app, 'GET', url(swift, 'dlo', key='akey'))
    assert r.status_int == 200 and r.body == b'one '


def test_utf8_prefix_is_signed_unquoted(app, swift):
    import urllib.parse
    name = '\u2603snow/o'
    swift('POST', headers={'X-Account-Meta-Temp-URL-Key': 'secret'})
    swift('PUT', '/c')
    assert swift('PUT', '/c/' + urllib.parse.quote(name), b'cold').status_int == 201
    expires = int(time.time()) + 60
    s = sig('secret', 'GET', expires, '/v1/%s/c/\u2603sn' % swift.account, prefix=True)
    r = raw(app, 'GET', '%s?temp_url_sig=%s&temp_url_expires=%s&temp_url_prefix=%s' % (
        swift.url('/c/' + urllib.parse.quote(name)), s, expires,
        urllib.parse.quote('\u2603sn')))
    assert r.status_int == 200, r.text
    assert r.body == b'cold'


def test_a_utf8_key_ending_in_a_byte_str_strip_would_take(app, swift):
    # U+5605 is E5 98 85 in UTF-8; 0x85 read as latin-1 is whitespace to str.strip()
    key = 'k\u5605'
    wsgi_key = key.encode('utf-8').decode('latin-1')
    swift('PUT', '/c', headers={'X-Container-Meta-Temp-URL-Key': wsgi_key})
    assert swift('HEAD', '/c').headers['X-Container-Meta-Temp-Url-Key'] == wsgi_key
    assert swift('PUT', '/c/o', b'x').status_int == 201
    expires = int(time.time()) + 60
    s = hmac.new(key.encode('utf-8'), ('GET\n%s\n%s' % (
        expires, swift.url('/c/o'))).encode(), hashlib.sha256).hexdigest()
    r = raw(app, 'GET', '%s?temp_url_sig=%s&temp_url_expires=%s' % (
        swift.url('/c/o'), s, expires))
    assert r.status_int == 200 and r.body == b'x'
