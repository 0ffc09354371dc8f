"""Several stores: configuration, /v2/info/stores, X-Image-Meta-Store, the
image's stores, DELETE /v2/stores/{store}/{image}, and the object_store store."""
import hashlib
import os

import pytest

from cloudstack.conf import CONF
from cloudstack.image import stores
from cloudstack.image.stores import base
from cloudstack.image.stores.object_store import ObjectStore
from tests.unit.image.conftest import IMG
from tests.unit.image.drain import run_tasks


@pytest.fixture
def multi(conf):
    CONF.set_override('enabled_backends', {'fast': 'file', 'cheap': 'file',
                                           'objects': 'object_store'}, group='image')
    CONF.set_override('default_store', 'fast', group='image')
    yield
    CONF.clear_override('enabled_backends', group='image')
    CONF.clear_override('default_store', group='image')


def test_one_file_store_by_default(conf):
    # ... and the read-only http store beside it, as Glance's default stores.
    assert stores.backends(CONF) == {'file': 'file', 'http': 'http'}
    assert stores.available(CONF) == ['file']
    assert stores.default(CONF) == 'file'
    assert stores.get_store(CONF).id == 'file'
    with pytest.raises(stores.UnknownStore):
        stores.get_store(CONF, 'fast')


def test_configured_stores(multi):
    assert stores.available(CONF) == ['fast', 'cheap', 'objects']
    assert stores.default(CONF) == 'fast'
    fast, cheap = stores.get_store(CONF, 'fast'), stores.get_store(CONF, 'cheap')
    assert fast.datadir == os.path.join(CONF.data_dir, 'images-fast')
    assert cheap.datadir == os.path.join(CONF.data_dir, 'images-cheap')
    assert isinstance(stores.get_store(CONF, 'objects'), ObjectStore)
    CONF.set_override('default_store', 'file', group='image')
    assert stores.default(CONF) == 'fast'   # not enabled: the first one


def test_info_stores(users, multi):
    listed = users['alice'].get('/image/v2/info/stores').json['stores']
    assert [s['id'] for s in listed] == ['fast', 'cheap', 'objects']
    assert [s.get('default', False) for s in listed] == [True, False, False]
    methods = users['alice'].get('/image/v2/info/import').json
    assert methods['import-methods']['value'] == ['glance-direct', 'copy-image']


def test_upload_to_a_named_store(users, multi):
    a = users['alice']
    img = a.create_image()
    resp = a.upload(img['id'], b'data' * 100,
                    headers={'X-Image-Meta-Store': 'objects'})
    assert resp.status_int == 204, resp.text
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['stores'] == 'objects' and shown['status'] == 'active'
    assert a.get(IMG + '/%s/file' % img['id']).body == b'data' * 100
    got = a.get(IMG + '/%s/file' % img['id'], headers={'Range': 'bytes=4-9'})
    assert got.status_int == 206 and got.body == b'datada'
    other = a.create_image()
    assert a.upload(other['id'], b'x', headers={'X-Image-Meta-Store': 'nope'}
                    ).status_int == 400
    assert a.get(IMG + '/' + other['id']).json['status'] == 'queued'


def test_default_store_upload(users, multi):
    a = users['alice']
    img = a.create_image()
    a.upload(img['id'], b'abc')
    assert a.get(IMG + '/' + img['id']).json['stores'] == 'fast'
    assert os.listdir(os.path.join(CONF.data_dir, 'images-fast')) == [img['id']]


def _staged(a, data=b'staged-data'):
    img = a.create_image()
    assert a.raw('PUT', IMG + '/%s/stage' % img['id'], data).status_int == 204
    return img['id']


def test_import_to_all_stores(users, multi):
    a = users['alice']
    iid = _staged(a)
    resp = a.post(IMG + '/%s/import' % iid, {'method': {'name': 'glance-direct'},
                                              'all_stores': True})
    assert resp.status_int == 202
    shown = a.get(IMG + '/' + iid).json
    assert shown['status'] == 'importing'
    assert shown['os_glance_importing_to_stores'] == 'fast,cheap,objects'
    assert shown['os_glance_import_task']
    run_tasks()
    shown = a.get(IMG + '/' + iid).json
    assert shown['status'] == 'active'
    assert shown['stores'] == 'cheap,fast,objects'
    assert shown['os_glance_importing_to_stores'] == ''
    assert shown['os_glance_failed_import'] == ''
    assert 'os_glance_import_task' not in shown
    for store_id in ('fast', 'cheap', 'objects'):
        data = b''.join(stores.get_store(CONF, store_id).get(
            _location(iid, store_id)))
        assert data == b'staged-data'
    [task] = a.get(IMG + '/%s/tasks' % iid).json['tasks']
    assert task['status'] == 'success' and task['type'] == 'api_image_import'
    assert task['input']['backend'] == ['fast', 'cheap', 'objects']
    assert task['input']['import_req']['method']['name'] == 'glance-direct'


def _location(image_id, store_id):
    import sqlalchemy as sa
    from cloudstack.db import api as db_api
    from cloudstack.image import models
    with db_api.reader() as s:
        return s.scalars(sa.select(models.ImageLocation.url).where(
            models.ImageLocation.image_id == image_id,
            models.ImageLocation.store == store_id)).one()


def test_import_to_chosen_stores_and_header(users, multi):
    a = users['alice']
    iid = _staged(a)
    assert a.post(IMG + '/%s/import' % iid, {'method': {'name': 'glance-direct'},
                                              'stores': ['nope']}).status_int == 400
    assert a.post(IMG + '/%s/import' % iid, {'method': {'name': 'glance-direct'},
                                              'stores': ['cheap'],
                                              'all_stores': True}).status_int == 400
    resp = a.post(IMG + '/%s/import' % iid, {'method': {'name': 'glance-direct'}},
                  headers={'X-Image-Meta-Store': 'cheap'})
    assert resp.status_int == 202
    run_tasks()
    assert a.get(IMG + '/' + iid).json['stores'] == 'cheap'


def test_copy_image_and_delete_from_store(users, multi):
    a, boss = users['alice'], users['boss']
    img = a.create_image()
    a.upload(img['id'], b'z' * 1000)
    url = IMG + '/%s/import' % img['id']
    copy = {'method': {'name': 'copy-image'}, 'stores': ['cheap', 'objects']}
    assert a.post(url, copy).status_int == 403      # the admin's
    assert boss.post(url, {'method': {'name': 'copy-image'}}).status_int == 400
    assert boss.post(url, copy).status_int == 202
    assert boss.post(url, copy).status_int == 409   # already importing
    run_tasks()
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['stores'] == 'cheap,fast,objects' and shown['status'] == 'active'
    assert boss.post(url, copy).status_int == 409   # nothing left to copy
    # delete from one store, then another; the last one stays
    assert a.delete('/image/v2/stores/cheap/' + img['id']).status_int == 403
    assert boss.delete('/image/v2/stores/cheap/' + img['id']).status_int == 204
    assert boss.delete('/image/v2/stores/cheap/' + img['id']).status_int == 404
    assert boss.delete('/image/v2/stores/bogus/' + img['id']).status_int == 404
    assert boss.delete('/image/v2/stores/fast/' + img['id']).status_int == 204
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['stores'] == 'objects'
    assert os.listdir(os.path.join(CONF.data_dir, 'images-fast')) == []
    assert a.get(IMG + '/%s/file' % img['id']).body == b'z' * 1000
    assert boss.delete('/image/v2/stores/objects/' + img['id']).status_int == 403
    # deleting the image removes the object too
    assert a.delete(IMG + '/' + img['id']).status_int == 204
    with pytest.raises(base.NotFound):
        ObjectStore(CONF, 'objects').size(
            'object_store://AUTH_image-service/glance/' + img['id'])


def test_copy_failure_with_all_stores_must_succeed(users, multi, monkeypatch):
    a, boss = users['alice'], users['boss']
    img = a.create_image()
    a.upload(img['id'], b'q' * 10)

    def broken(self, image_id, chunks):
        for _ in chunks:
            pass
        raise base.StoreError('disk on fire')
    monkeypatch.setattr(ObjectStore, 'add', broken)
    url = IMG + '/%s/import' % img['id']
    boss.post(url, {'method': {'name': 'copy-image'}, 'all_stores': True})
    run_tasks()
    shown = a.get(IMG + '/' + img['id']).json
    # the copies made by this task are undone; the image keeps its data
    assert shown['status'] == 'active' and shown['stores'] == 'fast'
    assert shown['os_glance_failed_import'] == 'objects'
    assert os.listdir(os.path.join(CONF.data_dir, 'images-cheap')) == []
    [task] = boss.get(IMG + '/%s/tasks' % img['id']).json['tasks']
    assert task['status'] == 'failure' and 'disk on fire' in task['message']
    # without all_stores_must_succeed the copies that worked stay
    boss.post(url, {'method': {'name': 'copy-image'}, 'all_stores': True,
                    'all_stores_must_succeed': False})
    run_tasks()
    shown = a.get(IMG + '/' + img['id']).json
    assert shown['stores'] == 'cheap,fast'
    assert shown['os_glance_failed_import'] == 'objects'


def test_import_failure_in_a_later_store_resets_a_new_image(users, multi, monkeypatch):
    a = users['alice']
    iid = _staged(a)

    def broken(self, image_id, chunks):
        raise base.StoreError('no room')
    monkeypatch.setattr(ObjectStore, 'add', broken)
    a.post(IMG + '/%s/import' % iid, {'method': {'name': 'glance-direct'},
                                       'all_stores': True})
    run_tasks()
    shown = a.get(IMG + '/' + iid).json
    assert shown['status'] == 'queued' and 'stores' not in shown
    assert shown['size'] is None and shown['checksum'] is None
    assert os.listdir(os.path.join(CONF.data_dir, 'images-fast')) == []


def test_object_store_round_trip(conf, db):
    store = ObjectStore(CONF, 'objects')
    data = os.urandom(200000)
    location, size = store.add('img-1', iter([data[:70000], data[70000:]]))
    assert size == len(data)
    assert location == 'object_store://AUTH_image-service/glance/img-1'
    assert store.size(location) == len(data)
    assert hashlib.md5(b''.join(store.get(location))).digest() == \
        hashlib.md5(data).digest()
    assert b''.join(store.get(location, offset=5, length=10)) == data[5:15]
    assert b''.join(store.get(location, offset=199990)) == data[199990:]
    with pytest.raises(base.NotFound):
        store.get('object_store://AUTH_other/glance/img-1')
    with pytest.raises(base.NotFound):
        store.get('file:///etc/passwd')
    assert list(store.contents()) == [('img-1', location)]
    store.delete(location)
    store.delete(location)
    with pytest.raises(base.NotFound):
        store.size(location)
    assert list(store.contents()) == []


def test_object_store_failed_add_leaves_nothing(conf, db):
    store = ObjectStore(CONF, 'objects')

    def chunks():
        yield b'partial'
        raise RuntimeError('gone')
    with pytest.raises(RuntimeError):
        store.add('img-2', chunks())
    with pytest.raises(base.NotFound):
        store.size('object_store://AUTH_image-service/glance/img-2')


def test_store_ids_are_checked(conf):
    CONF.set_override('enabled_backends', {'../x': 'file'}, group='image')
    try:
        with pytest.raises(ValueError):
            stores.backends(CONF)
    finally:
        CONF.clear_override('enabled_backends', group='image')
