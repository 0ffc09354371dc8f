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
    assert 'href="index.html"' in text and 'href="sub/"' in text
    r = raw(app, 'GET', swift.url('/site/sub/'))
    assert 'href="page.txt"' in r.text and 'href="../"' in r.text
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
