"""Several storage policies: containers choose one, objects live on its ring,
accounts count per policy, quotas and copies cross them."""
import pytest

from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403
from tests.unit.object_store.test_api_fixtures import raw
from tests.unit.object_store.test_mw_quotas import as_reseller, reseller  # noqa: F401


@pytest.fixture
def two(override):
    override('storage_policies', ['gold', 'bronze'], group='object_store')


def test_container_policy(app, swift, backend, two):
    assert swift('PUT', '/g').status_int == 201
    assert swift('PUT', '/b', headers={'X-Storage-Policy': 'Bronze'}).status_int == 201
    assert swift('PUT', '/x', headers={'X-Storage-Policy': 'silver'}).status_int == 400
    assert swift('HEAD', '/x').status_int == 404
    # an empty name: the default policy
    assert swift('PUT', '/e', headers={'X-Storage-Policy': ''}).status_int == 201
    assert swift('HEAD', '/e').headers['X-Storage-Policy'] == 'gold'
    assert swift('HEAD', '/g').headers['X-Storage-Policy'] == 'gold'
    assert swift('HEAD', '/b').headers['X-Storage-Policy'] == 'bronze'
    # a container keeps its policy
    assert swift('PUT', '/b', headers={'X-Storage-Policy': 'gold'}).status_int == 409
    assert swift('PUT', '/b', headers={'X-Storage-Policy': 'bronze'}).status_int == 202
    assert swift('PUT', '/b').status_int == 202
    assert swift('PUT', '/g/o', b'12345').status_int == 201
    assert swift('PUT', '/b/o', b'123').status_int == 201
    assert ('AUTH_' + swift.project_id, 'b', 'o') in backend.policies[1].objects
    assert ('AUTH_' + swift.project_id, 'b', 'o') not in backend.objects
    assert swift('GET', '/b/o').body == b'123'
    h = swift('HEAD').headers
    assert h['X-Account-Storage-Policy-Gold-Bytes-Used'] == '5'
    assert h['X-Account-Storage-Policy-Bronze-Object-Count'] == '1'
    assert h['X-Account-Storage-Policy-Bronze-Container-Count'] == '1'
    info = raw(app, 'GET', '/info').json['swift']['policies']
    assert [p['name'] for p in info] == ['gold', 'bronze'] and info[0]['default']
    # copies and links across policies
    r = swift('PUT', '/g/copy', b'', headers={'X-Copy-From': 'b/o'})
    assert r.status_int == 201
    assert swift('GET', '/g/copy').body == b'123'
    r = swift('COPY', '/g/o', headers={'Destination': 'b/o2'})
    assert r.status_int == 201
    assert swift('GET', '/b/o2').body == b'12345'
    r = swift('PUT', '/g/link', b'', headers={'X-Symlink-Target': 'b/o'})
    assert r.status_int == 201
    assert swift('GET', '/g/link').body == b'123'
    assert swift('DELETE', '/b/o').status_int == 204
    assert ('AUTH_' + swift.project_id, 'b', 'o') not in backend.policies[1].objects


def test_account_quotas_per_policy(swift, reseller, two):  # noqa: F811
    swift('PUT', '/g')
    swift('PUT', '/b', headers={'X-Storage-Policy': 'bronze'})
    r = as_reseller(reseller, swift, 'POST', headers={
        'X-Account-Quota-Bytes-Policy-bronze': '4', 'X-Account-Quota-Count-Policy-gold': '1',
        'X-Account-Quota-Bytes': '100'})
    assert r.status_int == 204
    h = swift('HEAD').headers
    assert h['X-Account-Quota-Bytes-Policy-bronze'] == '4'
    assert h['X-Account-Quota-Count-Policy-gold'] == '1'
    assert h['X-Account-Quota-Bytes'] == '100'
    assert not any('sysmeta' in k.lower() for k in h)
    assert swift('PUT', '/b/o', b'1234').status_int == 201
    r = swift('PUT', '/b/p', b'5')
    assert r.status_int == 413 and b'policy quota' in r.body
    assert swift('PUT', '/g/o', b'5').status_int == 201
    assert swift('PUT', '/g/p', b'5').status_int == 413
    r = as_reseller(reseller, swift, 'POST', headers={
        'X-Remove-Account-Quota-Bytes-Policy-bronze': 'x'})
    assert r.status_int == 204
    assert 'X-Account-Quota-Bytes-Policy-bronze' not in swift('HEAD').headers
    assert swift('PUT', '/b/p', b'5').status_int == 201
