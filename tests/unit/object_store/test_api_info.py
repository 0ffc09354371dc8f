"""GET /info, at the server root and under /object-store."""
from tests.unit.object_store.test_api_fixtures import raw


def test_info_at_root(app):
    r = raw(app, 'GET', '/info')
    assert r.status_int == 200, r.text
    swift = r.json['swift']
    assert swift['max_file_size'] == 5 * 1024 ** 3
    assert swift['max_object_name_length'] == 1024
    assert swift['container_listing_limit'] == 10000
    assert swift['account_listing_limit'] == 10000
    assert swift['max_meta_name_length'] == 128
    assert swift['max_meta_value_length'] == 256
    assert swift['max_meta_count'] == 90
    assert swift['max_meta_overall_size'] == 4096
    assert swift['strict_cors_mode'] is True
    assert swift['policies'] == [{'name': 'Policy-0', 'aliases': 'Policy-0', 'default': True}]
    for feature in ('tempurl', 'formpost', 'staticweb', 'bulk_delete', 'slo', 'dlo',
                    'symlink', 'versioned_writes', 'container_quotas'):
        assert feature in r.json, feature
    assert 'sha256' in r.json['tempurl']['allowed_digests']
    assert r.headers['X-Trans-Id'].startswith('tx')


def test_info_under_service(app):
    r = raw(app, 'GET', '/object-store/info')
    assert r.status_int == 200 and 'swift' in r.json
    assert raw(app, 'POST', '/info').status_int == 405
    assert raw(app, 'GET', '/object-store/v2/x').status_int == 400
