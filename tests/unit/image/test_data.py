"""Image data: upload, download, format checks, stage and import, (de)activation."""
import hashlib
import os

import pytest

from cloudstack.conf import CONF
from cloudstack.image.manager import base
from tests.unit.image.drain import run_tasks
from tests.unit.image.conftest import IMG
from tests.unit.image.test_inspection import qcow2, vmdk


def datadir():
    return os.path.join(CONF.data_dir, 'images')


def files():
    d = datadir()
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_upload_and_download(users):
    a, b = users['alice'], users['bob']
    img = a.create_image(name='data')
    assert a.get(IMG + '/%s/file' % img['id']).status_int == 204
    data = os.urandom(200000)
    resp = a.upload(img['id'], data)
    assert resp.status_int == 204, resp.text
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['status'] == 'active'
    assert shown['size'] == shown['virtual_size'] == len(data)
    assert shown['checksum'] == hashlib.md5(data).hexdigest()
    assert shown['os_hash_algo'] == 'sha512'
    assert shown['os_hash_value'] == hashlib.sha512(data).hexdigest()
    assert shown['stores'] == 'file'
    assert files() == [img['id']]
    resp = a.get(IMG + '/%s/file' % img['id'])
    assert resp.status_int == 200 and resp.body == data
    assert resp.content_type == 'application/octet-stream'
    assert resp.headers['Content-MD5'] == shown['checksum']
    # byte ranges
    resp = a.get(IMG + '/%s/file' % img['id'], headers={'Range': 'bytes=10-19'})
    assert resp.status_int == 206 and resp.body == data[10:20]
    assert resp.headers['Content-Range'] == 'bytes 10-19/%d' % len(data)
    resp = a.get(IMG + '/%s/file' % img['id'], headers={'Range': 'bytes=-5'})
    assert resp.status_int == 206 and resp.body == data[-5:]
    resp = a.get(IMG + '/%s/file' % img['id'], headers={'Range': 'bytes=999999-'})
    assert resp.status_int == 416
    # only once, only queued images
    assert a.upload(img['id'], b'again').status_int == 409
    # others cannot read it (shared, not a member)
    assert b.get(IMG + '/%s/file' % img['id']).status_int == 404
    # delete removes the data
    assert a.delete(IMG + '/' + img['id']).status_int == 204
    assert files() == []


def test_upload_errors(users):
    a, b, c = users['alice'], users['bob'], users['carol']
    img = a.create_image()
    assert a.upload(img['id'], b'x', content_type='application/json').status_int == 415
    assert c.upload(img['id'], b'x').status_int == 403          # reader
    pub = users['boss'].create_image(visibility='public')
    assert b.upload(pub['id'], b'x').status_int == 403
    bare = a.post(IMG, {'name': 'noformat'}).json
    assert a.upload(bare['id'], b'x').status_int == 400
    assert a.get(IMG + '/' + img['id']).json['status'] == 'queued'


def test_upload_over_the_cap(users):
    a = users['alice']
    CONF.set_override('image_size_cap', 1000, group='image')
    try:
        img = a.create_image()
        assert a.upload(img['id'], b'x' * 1001).status_int == 413
        assert a.get(IMG + '/' + img['id']).json['status'] == 'queued'
        assert files() == []
        assert a.upload(img['id'], b'x' * 1000).status_int == 204
    finally:
        CONF.clear_override('image_size_cap', group='image')


@pytest.mark.parametrize('data,declared', [
    (qcow2(), 'raw'),
    (qcow2(backing=b'/etc/passwd'), 'qcow2'),
    (vmdk(create_type='monolithicFlat'), 'vmdk'),
    (b'not a qcow2' * 100, 'qcow2'),
])
def test_format_mismatch_is_rejected(users, data, declared):
    a = users['alice']
    img = a.create_image(disk_format=declared)
    resp = a.upload(img['id'], data)
    assert resp.status_int == 400, resp.text
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['status'] == 'queued' and shown['size'] is None
    assert files() == []
    assert a.get(IMG + '/%s/file' % img['id']).status_int == 204


def test_qcow2_upload_records_virtual_size(users):
    a = users['alice']
    img = a.create_image(disk_format='qcow2')
    assert a.upload(img['id'], qcow2(size=3 << 30)).status_int == 204
    shown = a.get(IMG + '/' + img['id']).json
    assert (shown['status'], shown['virtual_size'], shown['size']) == (
        'active', 3 << 30, 4096)


def test_upload_streams_in_chunks(users, monkeypatch):
    seen = []
    real = base.read_chunks

    def spy(f, chunk_size=base.CHUNK_SIZE):
        for chunk in real(f, chunk_size):
            seen.append(len(chunk))
            yield chunk
    monkeypatch.setattr(base, 'read_chunks', spy)
    a = users['alice']
    img = a.create_image()
    assert a.upload(img['id'], b'\x01' * (3 * base.CHUNK_SIZE + 5)).status_int == 204
    assert seen == [base.CHUNK_SIZE] * 3 + [5]


def test_deactivate_and_reactivate(users):
    a, b, c, boss = users['alice'], users['bob'], users['carol'], users['boss']
    img = a.create_image()
    url = IMG + '/%s/actions/' % img['id']
    assert a.post(url + 'deactivate').status_int == 403         # still queued
    a.upload(img['id'], b'data')
    assert c.post(url + 'deactivate').status_int == 403         # a reader
    # the owner (project member) deactivates, as Glance's defaults allow
    assert a.post(url + 'deactivate').status_int == 204
    assert a.post(url + 'deactivate').status_int == 204
    assert a.get(IMG + '/' + img['id']).json['status'] == 'deactivated'
    # nobody but an admin downloads a deactivated image, not even its owner
    assert a.get(IMG + '/%s/file' % img['id']).status_int == 403
    assert boss.get(IMG + '/%s/file' % img['id']).body == b'data'
    assert a.post(url + 'reactivate').status_int == 204
    assert a.post(url + 'reactivate').status_int == 204
    assert a.get(IMG + '/%s/file' % img['id']).body == b'data'
    # others: admin yes, another project's member no
    pub = boss.create_image(visibility='public')
    boss.upload(pub['id'], b'pub')
    purl = IMG + '/%s/actions/' % pub['id']
    assert b.post(purl + 'deactivate').status_int == 403
    assert boss.post(purl + 'deactivate').status_int == 204
    assert b.get(IMG + '/%s/file' % pub['id']).status_int == 403
    assert b.post(purl + 'reactivate').status_int == 403
    assert boss.post(purl + 'reactivate').status_int == 204
    assert b.get(IMG + '/%s/file' % pub['id']).body == b'pub'


def test_stage_and_glance_direct_import(users):
    a = users['alice']
    img = a.create_image(name='staged')
    iid = img['id']
    assert a.raw('PUT', IMG + '/%s/stage' % iid, b'staged-bytes').status_int == 204
    assert a.get(IMG + '/' + iid).json['status'] == 'uploading'
    assert a.raw('PUT', IMG + '/%s/stage' % iid, b'again').status_int == 409
    assert a.upload(iid, b'x').status_int == 409
    assert a.post(IMG + '/%s/import' % iid, {'method': {'name': 'web-download'}}
                  ).status_int == 400
    assert a.post(IMG + '/%s/import' % iid, {}).status_int == 400
    resp = a.post(IMG + '/%s/import' % iid, {'method': {'name': 'glance-direct'},
                                              'all_stores': True})
    assert resp.status_int == 202, resp.text
    assert a.get(IMG + '/' + iid).json['status'] == 'importing'
    assert run_tasks() >= 1
    shown = a.get(IMG + '/' + iid).json
    assert shown['status'] == 'active' and shown['size'] == 12
    assert a.get(IMG + '/%s/file' % iid).body == b'staged-bytes'
    assert os.listdir(os.path.join(CONF.data_dir, 'image-staging')) == []
    # importing again: not uploading any more
    assert a.post(IMG + '/%s/import' % iid, {'method': {'name': 'glance-direct'}}
                  ).status_int == 409


def test_import_rejects_mismatched_format(users):
    a = users['alice']
    img = a.create_image(disk_format='raw')
    iid = img['id']
    assert a.raw('PUT', IMG + '/%s/stage' % iid, qcow2()).status_int == 204
    resp = a.post(IMG + '/%s/import' % iid, {'method': {'name': 'glance-direct'}})
    assert resp.status_int == 202
    run_tasks()
    shown = a.get(IMG + '/' + iid).json
    assert shown['status'] == 'queued'
    assert shown['os_glance_failed_import'] == 'file'
    [task] = users['boss'].get(IMG + '/%s/tasks' % iid).json['tasks']
    assert task['status'] == 'failure' and 'qcow2' in task['message']
    assert files() == []
    assert os.listdir(os.path.join(CONF.data_dir, 'image-staging')) == []


def test_delete_during_upload_leaves_no_data(users, monkeypatch):
    a = users['alice']
    img = a.create_image()
    real = base.read_chunks

    def deleting(f, chunk_size=base.CHUNK_SIZE):
        first = True
        for chunk in real(f, chunk_size):
            if first:
                first = False
                assert a.delete(IMG + '/' + img['id']).status_int == 204
            yield chunk
    monkeypatch.setattr(base, 'read_chunks', deleting)
    assert a.upload(img['id'], b'z' * 100).status_int == 410
    assert files() == []
