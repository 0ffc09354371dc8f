"""Image API nodes with staging directories of their own: the stage host
recorded on the image, and what another node does with it."""
import os
import socket

import pytest

from tests.unit.image.conftest import IMG


@pytest.fixture
def self_url(conf):
    def set_url(url):
        conf.set_override('worker_self_reference_url', url, group='image')
    yield set_url
    conf.clear_override('worker_self_reference_url', group='image')


def _closed_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _stage(client, url_here, self_url):
    self_url(url_here)
    img = client.create_image()
    resp = client.raw('PUT', '%s/%s/stage' % (IMG, img['id']), b'data')
    assert resp.status_int == 204, resp.text
    return img['id']


def test_stage_records_this_nodes_url(users, self_url):
    a = users['alice']
    image_id = _stage(a, 'http://node-a:5000/image/', self_url)
    assert a.get(IMG + '/' + image_id).json['os_glance_stage_host'] == \
        'http://node-a:5000/image'


def test_another_node_forwards_import_and_delete(users, self_url, conf):
    a = users['alice']
    staging_node = 'http://127.0.0.1:%d/image' % _closed_port()
    image_id = _stage(a, staging_node, self_url)
    self_url('http://node-b:5000/image')
    resp = a.post(IMG + '/%s/import' % image_id, {'method': {'name': 'glance-direct'}})
    assert resp.status_int == 504, resp.text
    assert a.get(IMG + '/' + image_id).json['status'] == 'uploading'
    # a forwarded call is handled here, never forwarded again
    resp = a.raw('POST', IMG + '/%s/import' % image_id,
                 b'{"method": {"name": "glance-direct"}}', content_type='application/json',
                 headers={'X-Image-Stage-Forwarded': '1'})
    assert resp.status_int == 202, resp.text
    image = a.get(IMG + '/' + image_id).json
    assert image['status'] == 'importing' and 'os_glance_stage_host' not in image


def test_delete_when_the_staging_node_is_down_deletes_here(users, self_url, conf):
    a = users['alice']
    image_id = _stage(a, 'http://127.0.0.1:%d/image' % _closed_port(), self_url)
    self_url('http://node-b:5000/image')
    assert a.delete(IMG + '/' + image_id).status_int == 204
    assert a.get(IMG + '/' + image_id).status_int == 404
