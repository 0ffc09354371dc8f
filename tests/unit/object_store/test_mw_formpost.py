"""Form POST uploads (middleware/formpost.py) through the whole paste app."""
import hashlib
import hmac
import time

from tests.unit.object_store.test_api_fixtures import (  # noqa: F401
    backend, raw, swift)

BOUNDARY = '----formboundary'


def form(path, key='secret', redirect='', max_file_size=1024, max_file_count=2,
         expires=None, files=(('file1', 'a.txt', b'hello world'),), extra=None,
         digest=hashlib.sha1):
    expires = expires or int(time.time()) + 60
    body = '%s\n%s\n%s\n%s\n%s' % (path, redirect, max_file_size, max_file_count, expires)
    signature = hmac.new(key.encode(), body.encode(), digest).hexdigest()
    fields = [('redirect', redirect), ('max_file_size', str(max_file_size)),
              ('max_file_count', str(max_file_count)), ('expires', str(expires)),
              ('signature', signature)] + list(extra or [])
    out = []
    for name, value in fields:
        out += [b'--' + BOUNDARY.encode(),
                b'Content-Disposition: form-data; name="%s"' % name.encode(), b'',
                value.encode()]
    for name, filename, data in files:
        out += [b'--' + BOUNDARY.encode(),
                b'Content-Disposition: form-data; name="%s"; filename="%s"' % (
                    name.encode(), filename.encode()),
                b'Content-Type: text/plain', b'', data]
    out += [b'--' + BOUNDARY.encode() + b'--', b'']
    return b'\r\n'.join(out)


def post(app, url, body):
    return raw(app, 'POST', url, body=body, headers={
        'Content-Type': 'multipart/form-data; boundary=' + BOUNDARY})


def setup(swift):
    swift('POST', headers={'X-Account-Meta-Temp-URL-Key': 'secret'})
    assert swift('PUT', '/c').status_int == 201


def test_info(app):
    assert 'formpost' in raw(app, 'GET', '/info').json


def test_upload_without_token(app, swift):
    setup(swift)
    url = swift.url('/c/up_')
    big = b'x' * 200000      # spans many reads of the stream
    r = post(app, url, form(url, files=[('f1', 'a.txt', b'hello world'),
                                        ('f2', 'b.bin', big)], max_file_size=300000))
    assert r.status_int == 201, r.text
    assert r.headers['X-Trans-Id'].startswith('tx')
    assert swift('GET', '/c/up_a.txt').body == b'hello world'
    got = swift('GET', '/c/up_b.bin')
    assert got.body == big and got.content_type == 'text/plain'


def test_swift_path_sha256_and_redirect(app, swift):
    setup(swift)
    url = swift.url('/c/')
    signed = '/v1/%s/c/' % swift.account
    r = post(app, url, form(signed, redirect='https://example.com/done',
                            digest=hashlib.sha256))
    assert r.status_int == 303, r.text
    assert r.headers['Location'] == 'https://example.com/done?status=201&message='
    assert swift('GET', '/c/a.txt').body == b'hello world'


def test_expired_and_bad_signature(app, swift):
    setup(swift)
    url = swift.url('/c/o')
    r = post(app, url, form(url, expires=int(time.time()) - 1))
    assert r.status_int == 401 and b'FormPost: Form Expired' in r.body
    r = post(app, url, form(url, key='Wrong'))
    assert r.status_int == 401 and b'FormPost: Invalid Signature' in r.body
    # signed for another path
    r = post(app, url, form(swift.url('/c/other')))
    assert r.status_int == 401
    assert swift('GET', '/c/oa.txt').status_int == 404


def test_limits(app, swift):
    setup(swift)
    url = swift.url('/c/')
    r = post(app, url, form(url, max_file_size=5))
    assert r.status_int == 400 and b'max_file_size exceeded' in r.body
    r = post(app, url, form(url, max_file_count=1, files=[
        ('f1', '1.txt', b'1'), ('f2', '2.txt', b'2')]))
    assert r.status_int == 400 and b'max_file_count exceeded' in r.body
    assert swift('GET', '/c/1.txt').body == b'1'
    assert swift('GET', '/c/2.txt').status_int == 404


def test_container_key_and_delete_after(app, swift):
    swift('PUT', '/c', headers={'X-Container-Meta-Temp-URL-Key': 'ckey'})
    url = swift.url('/c/')
    r = post(app, url, form(url, key='ckey', extra=[('x_delete_after', '100')]))
    assert r.status_int == 201, r.text
    assert 'X-Delete-At' in swift('HEAD', '/c/a.txt').headers


def test_other_posts_pass_through(app, swift):
    setup(swift)
    swift('PUT', '/c/o', b'x')
    r = swift('POST', '/c/o', headers={'X-Object-Meta-A': 'b'})
    assert r.status_int == 202


def test_fields_after_files_cannot_change_what_was_signed(app, swift):
    setup(swift)
    url = swift.url('/c/')
    body = form(url)
    tail = ('--%s\r\nContent-Disposition: form-data; name="redirect"\r\n\r\n'
            'https://evil.example/\r\n--%s--\r\n' % (BOUNDARY, BOUNDARY)).encode()
    body = body[:body.rindex(b'--' + BOUNDARY.encode() + b'--')] + tail
    r = post(app, url, body)
    assert r.status_int == 201 and 'Location' not in r.headers
