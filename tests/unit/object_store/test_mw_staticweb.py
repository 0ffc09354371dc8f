"""Static web (middleware/staticweb.py) through the whole paste app."""
from tests.unit.object_store.test_api_fixtures import (  # noqa: F401
    backend, raw, swift)


def site(swift, read='.r:*,.rlistings', **meta):
    headers = {'X-Container-Read': read}
    headers.update(('X-Container-Meta-Web-' + k.replace('_', '-'), v)
                   for k, v in meta.items())
    assert swift('PUT', '/site', headers=headers).status_int == 201
    for name, body in (('index.html', b'<h1>home</h1>'), ('sub/index.html', b'sub home'),
                       ('sub/page.txt', b'page'), ('404error.html', b'missing!'),
                       ('401error.html', b'go away')):
        assert swift('PUT', '/site/' + name, body).status_int == 201


def test_info(app):
    assert 'staticweb' in raw(app, 'GET', '/info').json


def test_index_redirect_and_serve(app, swift):
    site(swift, index='index.html')
    r = raw(app, 'GET', swift.url('/site'))
    assert r.status_int == 301
    assert r.headers['Location'].endswith(swift.url('/site/'))
    r = raw(app, 'GET', swift.url('/site/'))
    assert r.status_int == 200 and r.body == b'<h1>home</h1>'
    r = raw(app, 'GET', swift.url('/site/sub/'))
    assert r.status_int == 200 and r.body == b'sub home'
    # a pseudo directory named without its slash
    r = raw(app, 'GET', swift.url('/site/sub'))
    assert r.status_int == 301 and r.headers['Location'].endswith('/site/sub/')
    # objects are served as usual
    assert raw(app, 'GET', swift.url('/site/sub/page.txt')).body == b'page'
    # the owner with a token gets the API, not the site
    r = swift('GET', '/site')
    assert r.status_int == 200 and b'index.html\n' in r.body
    # unless asking for web mode
    r = swift('GET', '/site/', headers={'X-Web-Mode': 'true'})
    assert r.body == b'<h1>home</h1>'


def test_listings_with_css(app, swift):
    site(swift, listings='true', listings_css='listings.css')
    r = raw(app, 'GET', swift.url('/site/'))
    assert r.status_int == 200, r.text
    assert r.content_type == 'text/html'
    text = r.text
    assert '<link rel="stylesheet" type="text/css" href="listings.css" />' in text
    # Swift's links: relative, quoted, dots escaped
    assert '<a href="./index%2Ehtml">index.html</a>' in text
    assert '<a href="./sub/">sub/</a>' in text
    r = raw(app, 'GET', swift.url('/site/sub/'))
    assert 'href="./page%2Etxt"' in r.text and 'href="../"' in r.text
    assert 'href="../listings.css"' in r.text
    assert raw(app, 'GET', swift.url('/site/nothing/')).status_int == 404


def test_error_pages(app, swift):
    site(swift, listings='true', error='error.html')
    r = raw(app, 'GET', swift.url('/site/missing'))
    assert r.status_int == 404 and r.body == b'missing!'


def test_private_container_stays_private(app, swift):
    site(swift, read='', index='index.html')
    assert raw(app, 'GET', swift.url('/site/')).status_int == 401
    assert raw(app, 'GET', swift.url('/site/index.html')).status_int == 401


def test_listings_need_rlistings(app, swift):
    site(swift, read='.r:*', listings='true')
    assert raw(app, 'GET', swift.url('/site/')).status_int == 401
    assert raw(app, 'GET', swift.url('/site/index.html')).body == b'<h1>home</h1>'


def test_without_web_metadata_nothing_changes(app, swift):
    site(swift)
    r = raw(app, 'GET', swift.url('/site'))
    assert r.status_int == 200 and r.content_type == 'text/plain'


def test_utf8_names_in_listings_and_redirects(app, swift):
    import urllib.parse
    site(swift, listings='true')
    name = 'd\u00e9j\u00e0 \u2603'
    q = urllib.parse.quote(name)
    assert swift('PUT', '/site/%s/x' % q, b'x').status_int == 201
    r = raw(app, 'GET', swift.url('/site/'))
    assert '<a href="./%s/">%s/</a>' % (q, name) in r.text
    r = raw(app, 'GET', swift.url('/site/%s' % q))
    assert r.status_int == 301
    # percent-encoded, as Swift sends it
    assert r.headers['Location'].endswith(swift.url('/site/%s/' % q))


def test_listings_through_a_prefix_temp_url(app, swift):
    import hashlib
    import hmac
    import time
    site(swift, listings='true', read='')
    assert swift('POST', headers={'X-Account-Meta-Temp-URL-Key': 'k'}).status_int == 204
    expires = int(time.time() + 60)
    path = swift.url('/site/')[len('/object-store'):]
    sig = hmac.new(b'k', ('GET\n%d\nprefix:%s' % (expires, path)).encode(),
                   hashlib.sha256).hexdigest()
    qs = 'temp_url_prefix=&temp_url_expires=%d&temp_url_sig=%s' % (expires, sig)
    r = raw(app, 'GET', swift.url('/site/?' + qs))
    assert r.status_int == 200, r.text
    link = '?temp_url_prefix=&amp;temp_url_expires=%d&amp;temp_url_sig=%s' % (expires, sig)
    assert '<a href="./sub/%s">sub/</a>' % link in r.text
    assert 'href="..' not in r.text
    r = raw(app, 'GET', swift.url('/site/sub/?' + qs))
    assert r.status_int == 200 and 'href="../' in r.text
    # without listings, the container's root is no temp URL path
    assert swift('POST', '/site', headers={
        'X-Remove-Container-Meta-Web-Listings': 'x'}).status_int == 204
    assert raw(app, 'GET', swift.url('/site/?' + qs)).status_int == 401
