"""Container and account quotas (middleware/quotas.py) through the paste app."""
import io
import urllib.parse

import pytest
import webob

from tests.unit.object_store.test_api_fixtures import (  # noqa: F401
    Swift, backend, make_user, raw, swift)


@pytest.fixture
def reseller(app, admin, backend):
    token, pid, _ = make_user(admin, 'resellers', 'rita', role='ResellerAdmin')
    return Swift(app, token, pid)


def as_reseller(reseller, swift, method, path='', body=None, headers=None):
    return raw(swift.app, method, swift.url(path), reseller.token, body, headers)


def test_info(app):
    info = raw(app, 'GET', '/info').json
    assert 'container_quotas' in info and 'account_quotas' in info


def test_container_quota_bytes_and_count(swift):
    r = swift('PUT', '/c', headers={'X-Container-Meta-Quota-Bytes': '10',
                                    'X-Container-Meta-Quota-Count': '2'})
    assert r.status_int == 201
    assert swift('PUT', '/c/a', b'x' * 10).status_int == 201
    r = swift('PUT', '/c/b', b'y')
    assert r.status_int == 413 and b'Upload exceeds quota.' in r.body
    assert swift('HEAD', '/c').headers['X-Container-Bytes-Used'] == '10'
    swift('POST', '/c', headers={'X-Container-Meta-Quota-Bytes': ''})
    assert swift('PUT', '/c/b', b'y').status_int == 201
    r = swift('PUT', '/c/third', b'')
    assert r.status_int == 413
    assert swift('HEAD', '/c').headers['X-Container-Object-Count'] == '2'


def test_container_quota_chunked_and_copy(swift):
    swift('PUT', '/c', headers={'X-Container-Meta-Quota-Bytes': '5'})
    swift('PUT', '/src')
    swift('PUT', '/src/big', b'z' * 8)
    # a chunked upload (no Content-Length) is cut off when it passes the quota
    req = webob.Request.blank(swift.url('/c/chunked'), method='PUT')
    req.headers['X-Auth-Token'] = swift.token
    req.headers['Transfer-Encoding'] = 'chunked'
    req.body_file = io.BytesIO(b'q' * 8)
    assert req.content_length is None
    assert req.get_response(swift.app).status_int == 413
    assert swift('HEAD', '/c/chunked').status_int == 404
    r = swift('PUT', '/c/copy', headers={'X-Copy-From': '/src/big',
                                         'Content-Length': '0'})
    assert r.status_int == 413
    r = swift('COPY', '/src/big', headers={'Destination': '/c/copy'})
    assert r.status_int == 413
    assert swift('HEAD', '/c/copy').status_int == 404


def test_container_quota_values_are_checked(swift):
    for value in ('abc', '-1'):
        r = swift('PUT', '/c', headers={'X-Container-Meta-Quota-Bytes': value})
        assert r.status_int == 400, value
        r = swift('PUT', '/c', headers={'X-Container-Meta-Quota-Count': value})
        assert r.status_int == 400, value


def test_only_reseller_admin_sets_account_quota(swift, reseller):
    for headers in ({'X-Account-Meta-Quota-Bytes': '100'},
                    {'X-Account-Meta-Quota-Bytes': ''},
                    {'X-Remove-Account-Meta-Quota-Bytes': 'x'},
                    {'X-Account-Quota-Count': '3'}):
        assert swift('POST', headers=headers).status_int == 403, headers
    r = as_reseller(reseller, swift, 'POST', headers={'X-Account-Meta-Quota-Bytes': '20'})
    assert r.status_int == 204
    assert swift('HEAD').headers['X-Account-Meta-Quota-Bytes'] == '20'
    r = as_reseller(reseller, swift, 'POST', headers={'X-Account-Meta-Quota-Bytes': 'x'})
    assert r.status_int == 400
    # other metadata stays the owner's to change
    assert swift('POST', headers={'X-Account-Meta-Color': 'red'}).status_int == 204


def test_account_quota_bytes(swift, reseller):
    as_reseller(reseller, swift, 'POST', headers={'X-Account-Meta-Quota-Bytes': '20'})
    swift('PUT', '/c')
    assert swift('PUT', '/c/a', b'x' * 15).status_int == 201
    r = swift('PUT', '/c/b', b'x' * 6)
    assert r.status_int == 413 and b'Upload exceeds quota.' in r.body
    assert swift('HEAD').headers['X-Account-Bytes-Used'] == '15'
    # the reseller admin is not limited
    assert as_reseller(reseller, swift, 'PUT', '/c/b', b'x' * 6).status_int == 201
    as_reseller(reseller, swift, 'POST', headers={'X-Remove-Account-Meta-Quota-Bytes': 'x'})
    assert 'X-Account-Meta-Quota-Bytes' not in swift('HEAD').headers
    assert swift('PUT', '/c/c', b'x' * 6).status_int == 201


def test_account_quota_count(swift, reseller):
    r = as_reseller(reseller, swift, 'POST', headers={'X-Account-Quota-Count': '1'})
    assert r.status_int == 204
    swift('PUT', '/c')
    assert swift('PUT', '/c/a', b'').status_int == 201
    assert swift('PUT', '/c/b', b'').status_int == 413
    as_reseller(reseller, swift, 'POST', headers={'X-Remove-Account-Quota-Count': 'x'})
    assert swift('PUT', '/c/b', b'').status_int == 201


def test_account_quota_per_policy(swift, reseller):
    r = as_reseller(reseller, swift, 'POST',
                    headers={'X-Account-Quota-Bytes-Policy-Policy-0': '4'})
    assert r.status_int == 204
    r = as_reseller(reseller, swift, 'POST',
                    headers={'X-Account-Quota-Bytes-Policy-silver': '4'})
    assert r.status_int == 400
    assert swift('POST', headers={
        'X-Account-Quota-Bytes-Policy-Policy-0': '9'}).status_int == 403
    swift('PUT', '/c')
    assert swift('PUT', '/c/a', b'1234').status_int == 201
    assert swift('PUT', '/c/b', b'5').status_int == 413
    as_reseller(reseller, swift, 'POST',
                headers={'X-Remove-Account-Quota-Bytes-Policy-Policy-0': 'x'})
    assert swift('PUT', '/c/b', b'5').status_int == 201


def test_container_quota_on_a_name_that_needs_quoting(swift):
    """The filter's own look-up of the container must reach the same one."""
    quoted = '/' + urllib.parse.quote('cé %?#')
    assert swift('PUT', quoted, headers={'X-Container-Meta-Quota-Bytes': '4'}).status_int == 201
    assert swift('PUT', quoted + '/o', b'1234').status_int == 201
    assert swift('PUT', quoted + '/p', b'5').status_int == 413
