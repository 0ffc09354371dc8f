"""Image quotas from the identity service's unified limits, and /v2/info/usage."""
import pytest

from cloudstack.conf import CONF
from tests.unit.image.conftest import IMG, V3

MIB = 1024 * 1024


@pytest.fixture
def limits(users):
    """Turn enforcement on; returns set(resource, value, project=None)."""
    boss = users['boss']
    CONF.set_override('use_keystone_limits', True, group='image')
    services = boss.get(V3 + '/services?type=image').json['services']
    if services:
        service_id = services[0]['id']
    else:
        service_id = boss.post(V3 + '/services', {'service': {
            'type': 'image', 'name': 'glance'}}).json['service']['id']

    def set_limit(resource, value, project=None):
        if project is None:
            resp = boss.post(V3 + '/registered_limits', {'registered_limits': [{
                'service_id': service_id, 'resource_name': resource,
                'default_limit': value}]})
        else:
            resp = boss.post(V3 + '/limits', {'limits': [{
                'service_id': service_id, 'project_id': project,
                'resource_name': resource, 'resource_limit': value}]})
        assert resp.status_int == 201, resp.text
    yield set_limit
    CONF.clear_override('use_keystone_limits', group='image')


def test_no_enforcement_by_default(users):
    a = users['alice']
    usage = a.get('/image/v2/info/usage').json['usage']
    assert usage['image_count_total'] == {'limit': -1, 'usage': 0}
    assert set(usage) == {'image_size_total', 'image_stage_total',
                          'image_count_total', 'image_count_uploading'}


def test_image_count_total(users, limits):
    a, bob = users['alice'], users['bob']
    limits('image_count_total', 1)
    limits('image_count_total', 3, project=bob.project_id)
    a.create_image()
    assert a.post(IMG, {'name': 'one too many'}).status_int == 413
    for _ in range(3):
        bob.create_image()
    assert bob.post(IMG, {'name': 'x'}).status_int == 413
    usage = a.get('/image/v2/info/usage').json['usage']
    assert usage['image_count_total'] == {'limit': 1, 'usage': 1}


def test_image_size_total(users, limits):
    a = users['alice']
    limits('image_size_total', 1)       # MiB
    img = a.create_image()
    resp = a.upload(img['id'], b'x' * (MIB + 1))
    assert resp.status_int == 413
    assert a.get(IMG + '/' + img['id']).json['status'] == 'queued'
    assert a.upload(img['id'], b'x' * MIB).status_int == 204
    other = a.create_image()
    assert a.upload(other['id'], b'y').status_int == 413
    usage = a.get('/image/v2/info/usage').json['usage']
    assert usage['image_size_total'] == {'limit': 1, 'usage': 1}


def test_stage_limits(users, limits):
    a = users['alice']
    limits('image_stage_total', 1)
    limits('image_count_uploading', 1)
    img = a.create_image()
    assert a.raw('PUT', IMG + '/%s/stage' % img['id'], b's' * (MIB + 1)
                 ).status_int == 413
    assert a.raw('PUT', IMG + '/%s/stage' % img['id'], b's' * 10).status_int == 204
    other = a.create_image()
    assert a.raw('PUT', IMG + '/%s/stage' % other['id'], b's').status_int == 413
    usage = a.get('/image/v2/info/usage').json['usage']
    assert usage['image_count_uploading'] == {'limit': 1, 'usage': 1}
    assert usage['image_stage_total']['limit'] == 1


def test_web_download_counts_as_uploading(users, limits):
    from tests.unit.image import test_tasks
    CONF.set_override('web_download_allowed_hosts', ['images.example.com'],
                      group='image')
    try:
        a = users['alice']
        limits('image_count_uploading', 1)
        staged = a.create_image()
        a.raw('PUT', IMG + '/%s/stage' % staged['id'], b's')
        img = a.create_image()
        resp = a.post(IMG + '/%s/import' % img['id'], {'method': {
            'name': 'web-download', 'uri': test_tasks.URL}})
        assert resp.status_int == 413
        assert a.get(IMG + '/' + img['id']).json['status'] == 'queued'
    finally:
        CONF.clear_override('web_download_allowed_hosts', group='image')
