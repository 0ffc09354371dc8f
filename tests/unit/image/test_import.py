"""Interoperable import run as a task: glance-direct, web-download, the
os_glance_* properties, the methods offered and the real URL fetcher."""

import pytest

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.image.manager import imports
from tests.unit.image.conftest import IMG
from tests.unit.image.drain import run_tasks
from tests.unit.image.test_inspection import qcow2
from tests.unit.image import test_tasks
from tests.unit.image import webserver

URL = test_tasks.URL
web = test_tasks.web          # the fixtures, shared
allowed = test_tasks.allowed


def _import(client, image_id, method, **extra):
    body = {'method': dict({'name': method}, **extra.pop('params', {}))}
    body.update(extra)
    return client.post(IMG + '/%s/import' % image_id, body)


def test_methods_offered(users, conf):
    info = users['alice'].get('/image/v2/info/import').json
    assert info['import-methods']['value'] == ['glance-direct']
    resp = users['alice'].post(IMG, {'name': 'x'})
    assert resp.headers['OpenStack-image-import-methods'] == 'glance-direct'
    CONF.set_override('web_download_allowed_hosts', ['h.test'], group='image')
    CONF.set_override('enabled_import_methods', ['web-download', 'bogus'],
                      group='image')
    try:
        info = users['alice'].get('/image/v2/info/import').json
        assert info['import-methods']['value'] == ['web-download']
    finally:
        CONF.clear_override('web_download_allowed_hosts', group='image')
        CONF.clear_override('enabled_import_methods', group='image')


def test_web_download(users, web):
    a = users['alice']
    web[URL] = b'\0' * 2048
    img = a.create_image()
    resp = _import(a, img['id'], 'web-download', params={'uri': URL})
    assert resp.status_int == 202, resp.text
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['status'] == 'importing'
    assert shown['os_glance_importing_to_stores'] == 'file'
    run_tasks()
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['status'] == 'active' and shown['size'] == 2048
    assert shown['stores'] == 'file' and shown['os_glance_failed_import'] == ''
    assert a.get(IMG + '/%s/file' % img['id']).body == web[URL]
    [task] = a.get(IMG + '/%s/tasks' % img['id']).json['tasks']
    assert task['status'] == 'success'
    assert task['input']['import_req']['method']['uri'] == URL
    assert task['request_id'] == resp.headers['x-openstack-request-id']


@pytest.mark.parametrize('uri', [None, 'http://other.test/x', 'file:///etc/passwd'])
def test_web_download_refuses_other_hosts(users, web, uri):
    a = users['alice']
    img = a.create_image()
    params = {'uri': uri} if uri else {}
    assert _import(a, img['id'], 'web-download', params=params).status_int == 400
    assert a.get(IMG + '/' + img['id']).json['status'] == 'queued'


def test_web_download_failure_goes_back_to_queued(users, web):
    a = users['alice']
    img = a.create_image(disk_format='raw')
    web[URL] = qcow2()
    _import(a, img['id'], 'web-download', params={'uri': URL})
    run_tasks()
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['status'] == 'queued' and shown['os_glance_failed_import'] == 'file'
    assert 'os_glance_import_task' not in shown
    # and it can be tried again
    web[URL] = b'fine'
    assert _import(a, img['id'], 'web-download', params={'uri': URL}).status_int == 202
    run_tasks()
    assert a.get(IMG + '/' + img['id']).json['status'] == 'active'


def test_import_state_rules(users, web):
    a, b = users['alice'], users['bob']
    img = a.create_image()
    # glance-direct needs staged data, web-download a queued image
    assert _import(a, img['id'], 'glance-direct').status_int == 409
    assert _import(b, img['id'], 'glance-direct').status_int == 404
    assert _import(a, img['id'], 'copy-image').status_int == 400   # one store
    assert a.post(IMG + '/%s/import' % img['id'], {'method': {
        'name': 'web-download', 'uri': URL}, 'all_stores': 'yes'}).status_int == 400
    bare = a.post(IMG, {'name': 'no formats'}).json
    assert _import(a, bare['id'], 'web-download', params={'uri': URL}
                   ).status_int == 400
    a.upload(img['id'], b'x')
    assert _import(a, img['id'], 'web-download', params={'uri': URL}
                   ).status_int == 409
    assert users['carol'].post(IMG + '/%s/import' % img['id'], {'method': {
        'name': 'glance-direct'}}).status_int == 403


def test_reserved_properties_stay_the_servers(users, web):
    a = users['alice']
    img = a.create_image()
    web[URL] = b'x'
    _import(a, img['id'], 'web-download', params={'uri': URL})
    run_tasks()
    resp = a.patch_image(img['id'], [{'op': 'replace',
                                      'path': '/os_glance_failed_import',
                                      'value': 'x'}])
    assert resp.status_int == 403
    resp = a.patch_image(img['id'], [{'op': 'add', 'path': '/color', 'value': 'red'}])
    assert resp.status_int == 200 and resp.json['os_glance_failed_import'] == ''


def test_deleted_while_importing(users, web):
    a = users['alice']
    img = a.create_image()
    web[URL] = b'x' * 100
    _import(a, img['id'], 'web-download', params={'uri': URL})
    assert a.delete(IMG + '/' + img['id']).status_int == 204
    run_tasks()
    [task] = users['boss'].get('/image/v2/tasks').json['tasks']
    assert task['status'] == 'failure'


@pytest.fixture
def server(conf):
    with webserver.running() as port:
        CONF.set_override('web_download_allowed_hosts', ['127.0.0.1:%d' % port],
                          group='image')
        yield 'http://127.0.0.1:%d' % port
    CONF.clear_override('web_download_allowed_hosts', group='image')


def test_open_url_fetches_and_checks_redirects(server):
    resp, length = imports.open_url(server + '/image')
    with resp:
        assert resp.read() == webserver.DATA and length == len(webserver.DATA)
    with pytest.raises(exception.BadRequest):
        imports.open_url(server + '/away')
    with pytest.raises(exception.BadRequest):
        imports.open_url('http://127.0.0.1:1/x')       # port not allowed
