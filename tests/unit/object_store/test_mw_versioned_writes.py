"""Versioned writes (X-Versions-Location / X-History-Location) through the pipeline."""
from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403


def _names(swift, container):
    r = swift('GET', '/%s?format=json' % container)
    return [e['name'] for e in r.json] if r.status_int == 200 else []


def test_location_kept_and_shown(swift):
    swift('PUT', '/v')
    r = swift('PUT', '/c', headers={'X-Versions-Location': 'v'})
    assert r.status_int == 201
    r = swift('HEAD', '/c')
    assert r.headers['X-Versions-Location'] == 'v'
    assert not any(k.lower().startswith('x-container-sysmeta') for k in r.headers)
    assert swift('GET', '/c').headers['X-Versions-Location'] == 'v'
    assert 'X-Versions-Location' not in swift('HEAD', '/v').headers
    swift('POST', '/c', headers={'X-Remove-Versions-Location': 'x'})
    assert 'X-Versions-Location' not in swift('HEAD', '/c').headers
    swift('POST', '/c', headers={'X-History-Location': 'v'})
    r = swift('HEAD', '/c')
    assert r.headers['X-History-Location'] == 'v'
    assert 'X-Versions-Location' not in r.headers
    swift('POST', '/c', headers={'X-Versions-Location': ''})
    assert 'X-History-Location' not in swift('HEAD', '/c').headers


def test_bad_locations(swift):
    r = swift('PUT', '/c', headers={'X-Versions-Location': 'v',
                                    'X-History-Location': 'w'})
    assert r.status_int == 400
    r = swift('PUT', '/c', headers={'X-Versions-Location': 'a/b'})
    assert r.status_int == 412


def test_sysmeta_cannot_be_set_by_clients(swift):
    swift('PUT', '/c', headers={'X-Container-Sysmeta-Versions-Location': 'v'})
    assert 'X-Versions-Location' not in swift('HEAD', '/c').headers


def test_stack_mode_archives_and_restores(swift):
    swift('PUT', '/v')
    swift('PUT', '/c', headers={'X-Versions-Location': 'v'})
    assert swift('PUT', '/c/o', body=b'one',
                 headers={'X-Object-Meta-N': '1'}).status_int == 201
    assert _names(swift, 'v') == []
    assert swift('PUT', '/c/o', body=b'two').status_int == 201
    assert swift('PUT', '/c/o', body=b'three').status_int == 201
    names = _names(swift, 'v')
    assert len(names) == 2
    assert all(n.startswith('001o/') for n in names)
    assert swift('GET', '/v/' + names[0]).body == b'one'
    assert swift('GET', '/v/' + names[0]).headers['X-Object-Meta-N'] == '1'
    assert swift('GET', '/c/o').body == b'three'
    assert swift('DELETE', '/c/o').status_int == 204
    assert swift('GET', '/c/o').body == b'two'
    assert swift('DELETE', '/c/o').status_int == 204
    r = swift('GET', '/c/o')
    assert r.body == b'one' and r.headers['X-Object-Meta-N'] == '1'
    assert _names(swift, 'v') == []
    assert swift('DELETE', '/c/o').status_int == 204
    assert swift('GET', '/c/o').status_int == 404
    assert swift('HEAD', '/c').headers['X-Container-Object-Count'] == '0'


def test_history_mode_keeps_everything(swift):
    swift('PUT', '/v')
    swift('PUT', '/c', headers={'X-History-Location': 'v'})
    swift('PUT', '/c/o', body=b'one')
    swift('PUT', '/c/o', body=b'two')
    assert swift('DELETE', '/c/o').status_int == 204
    assert swift('GET', '/c/o').status_int == 404
    r = swift('GET', '/v?format=json')
    assert [e['content_type'] for e in r.json][-1] == \
        'application/x-deleted;swift_versions_deleted=1'
    assert len(r.json) == 3
    assert swift('GET', '/v/' + r.json[0]['name']).body == b'one'
    assert swift('GET', '/v/' + r.json[1]['name']).body == b'two'


def test_unversioned_container_untouched(swift):
    swift('PUT', '/c')
    swift('PUT', '/c/o', body=b'one')
    swift('PUT', '/c/o', body=b'two')
    assert swift('DELETE', '/c/o').status_int == 204
    assert swift('GET', '/c/o').status_int == 404


def test_copy_into_versioned_container_archives(swift):
    swift('PUT', '/v')
    swift('PUT', '/c', headers={'X-Versions-Location': 'v'})
    swift('PUT', '/c/o', body=b'one')
    swift('PUT', '/c/src', body=b'new')
    r = swift('COPY', '/c/src', headers={'Destination': 'c/o'})
    assert r.status_int == 201
    assert swift('GET', '/c/o').body == b'new'
    assert len(_names(swift, 'v')) == 1


def test_unicode_name_prefix(swift):
    swift('PUT', '/v')
    swift('PUT', '/c', headers={'X-Versions-Location': 'v'})
    swift('PUT', '/c/%E2%98%83', body=b'1')
    swift('PUT', '/c/%E2%98%83', body=b'2')
    assert _names(swift, 'v')[0].startswith('003\u2603/')


def test_info(swift, app):
    assert 'versioned_writes' in raw(app, 'GET', '/info').json


def test_write_access_to_the_container_is_enough(swift, other):
    swift('PUT', '/vers', headers={'X-Container-Write': ''})
    swift('PUT', '/c', headers={'X-Container-Write': '%s:*' % other.project_id,
                                'X-Versions-Location': 'vers'})
    # no access of its own to the versions container
    target = '/object-store/v1/%s' % swift.account
    r = raw_put(other, target + '/vers/x', b'no')
    assert r.status_int == 403
    assert raw_put(other, target + '/c/o', b'one').status_int == 201
    assert raw_put(other, target + '/c/o', b'two').status_int == 201
    assert len(swift('GET', '/vers?format=json').json) == 1
    r = raw(other.app, 'DELETE', target + '/c/o', other.token)
    assert r.status_int == 204
    assert swift('GET', '/c/o').body == b'one'
    assert _names(swift, 'vers') == []      # restored from there
    # without write access to the container: nothing is archived
    swift('PUT', '/c2', headers={'X-Versions-Location': 'vers'})
    swift('PUT', '/c2/o', b'one')
    assert raw_put(other, target + '/c2/o', b'two').status_int == 403
    assert _names(swift, 'vers') == []


def raw_put(client, path, body):
    return raw(client.app, 'PUT', path, client.token, body)


def test_stack_delete_over_history_markers(swift):
    swift('PUT', '/vers')
    swift('PUT', '/c', headers={'X-History-Location': 'vers'})
    swift('PUT', '/c/o', b'v1')
    swift('PUT', '/c/o', b'v2')
    assert swift('DELETE', '/c/o').status_int == 204        # v2 archived, a marker
    assert swift('DELETE', '/c/o').status_int == 404        # a second marker
    assert len(_names(swift, 'vers')) == 4
    swift('POST', '/c', headers={'X-Versions-Location': 'vers'})
    # the newest marker goes; the one under it stays: nothing comes back
    assert swift('DELETE', '/c/o').status_int == 204
    assert len(_names(swift, 'vers')) == 3
    assert swift('GET', '/c/o').status_int == 404
    # the next marker goes and v2 under it comes back
    assert swift('DELETE', '/c/o').status_int == 204
    assert swift('GET', '/c/o').body == b'v2'
    assert len(_names(swift, 'vers')) == 1
