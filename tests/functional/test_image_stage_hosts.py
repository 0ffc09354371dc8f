"""Two Image API nodes sharing the database, each with a staging directory and
an image cache of its own: data staged through one node is imported, or
deleted, through the other, which forwards the call to the node holding the
data (as Glance's worker_self_reference_url); each node's cache API fills
and clears that node's cache only. Node A is cloudstack-all, node B a cloudstack-api
on another port, listed in the catalog as service type image_remote (as
Tempest's alternate_image_endpoint finds it), driven with openstacksdk and
the openstack CLI."""
import json
import os
import subprocess

import pytest

from tests.functional.conftest import ADMIN_PASSWORD, BIN, free_port

pytestmark = pytest.mark.filterwarnings('ignore::DeprecationWarning')

DATA = os.urandom(3 * 65536 + 17)


def _cli(cloud, *args):
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=os.path.join(cloud.data_dir, 'clouds.yaml'),
               OS_CLOUD='cloudstack')
    out = subprocess.run([os.path.join(BIN, 'openstack'), *args, '-f', 'json'], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip() else None


def _connect(cloud, **overrides):
    import openstack.config
    import openstack.connection
    config = openstack.config.OpenStackConfig(
        config_files=[os.path.join(cloud.data_dir, 'clouds.yaml')])
    return openstack.connection.Connection(config=config.get_one('cloudstack', **overrides))


@pytest.fixture
def nodes(cloud):
    """(conn to node A, conn to node B, A's staging dir, B's staging dir)."""
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/healthcheck', timeout=120)
    staging_b = cloud.tmp / 'staging-b'
    extra = cloud.tmp / 'node-b.conf'
    extra.write_text('[image]\nstaging_dir = %s\nimage_cache_dir = %s\n' % (
        staging_b, cloud.tmp / 'cache-b'))
    port_b = free_port()
    url_b = 'http://127.0.0.1:%d' % port_b
    cloud.start('cloudstack-api', '--config-file', str(extra),
                '--bind', '127.0.0.1:%d' % port_b, '--workers', '1')
    cloud.wait_for(lambda: _up(url_b), timeout=120)
    service = _cli(cloud, 'service', 'create', '--name', 'glance_remote', 'image_remote')
    _cli(cloud, 'endpoint', 'create', '--region', 'RegionOne', service['id'], 'public',
         url_b + '/image')
    conn_a = _connect(cloud)
    conn_b = _connect(cloud, image_service_type='image_remote')
    assert conn_b.image.get_endpoint().startswith(url_b)
    yield conn_a, conn_b, os.path.join(cloud.data_dir, 'image-staging'), str(staging_b)


def _up(url):
    import requests
    try:
        return requests.get(url + '/healthcheck', timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _staged(conn, staging_dir):
    image = conn.image.create_image('staged', disk_format='raw', container_format='bare')
    conn.image.stage_image(image, data=DATA)
    image = conn.image.get_image(image.id)
    assert image.status == 'uploading'
    assert os.path.exists(os.path.join(staging_dir, image.id))
    return image


def _stage_host(conn, image):
    return conn.image.get_image(image.id).properties.get('os_glance_stage_host')


@pytest.mark.parametrize('direction', ['a-to-b', 'b-to-a'])
def test_import_through_the_other_node(cloud, nodes, direction):
    conn_a, conn_b, staging_a, staging_b = nodes
    stager, importer, staging, elsewhere = (
        (conn_a, conn_b, staging_a, staging_b) if direction == 'a-to-b'
        else (conn_b, conn_a, staging_b, staging_a))
    image = _staged(stager, staging)
    assert _stage_host(importer, image) == stager.image.get_endpoint().rstrip('/').removesuffix('/v2')
    assert not os.path.exists(os.path.join(elsewhere, image.id))

    importer.image.import_image(image, method='glance-direct')
    cloud.wait_for(lambda: conn_a.image.get_image(image.id).status == 'active',
                   interval=0.2)
    assert b''.join(conn_b.image.download_image(image, stream=True).iter_content(
        65536)) == DATA
    assert not os.path.exists(os.path.join(staging, image.id))
    assert _stage_host(conn_a, image) is None


def test_delete_through_the_other_node_cleans_the_staging_node(cloud, nodes):
    conn_a, conn_b, staging_a, _ = nodes
    image = _staged(conn_a, staging_a)
    conn_b.image.delete_image(image)
    assert conn_a.image.find_image(image.id) is None
    assert not os.path.exists(os.path.join(staging_a, image.id))


def test_the_staging_node_down_import_is_504_and_delete_still_deletes(cloud, nodes):
    conn_a, conn_b, _, staging_b = nodes
    image = _staged(conn_b, staging_b)
    cloud.procs[-1].terminate()     # node B, the staging node
    cloud.procs[-1].wait(60)
    # openstacksdk hands back the import's response as it came
    resp = conn_a.image.import_image(image, method='glance-direct')
    assert resp.status_code == 504
    assert conn_a.image.get_image(image.id).status == 'uploading'
    conn_a.image.delete_image(image)
    assert conn_a.image.find_image(image.id) is None


def _cached(conn):
    return [entry['image_id'] for entry in conn.image.get_image_cache().cached_images]


def test_each_node_fills_and_clears_a_cache_of_its_own(cloud, nodes):
    conn_a, conn_b, _, staging_b = nodes
    cache_a = os.path.join(cloud.data_dir, 'image-cache')
    cache_b = os.path.join(os.path.dirname(staging_b), 'cache-b')
    image = conn_a.image.create_image('cached', disk_format='raw', container_format='bare',
                                      data=DATA)
    conn_a.image.queue_image(image.id)
    cloud.wait_for(lambda: _cached(conn_a) == [image.id], interval=0.2)
    assert os.listdir(cache_a) == [image.id]
    assert _cached(conn_b) == [] and not os.path.exists(os.path.join(cache_b, image.id))

    conn_b.image.queue_image(image.id)
    cloud.wait_for(lambda: _cached(conn_b) == [image.id], interval=0.2)
    with open(os.path.join(cache_b, image.id), 'rb') as f:
        assert f.read() == DATA
    conn_b.image.clear_cache()
    cache = conn_b.image.get_image_cache()
    assert cache.cached_images == [] and cache.queued_images == []
    assert os.listdir(cache_b) == []
    assert _cached(conn_a) == [image.id] and os.listdir(cache_a) == [image.id]
