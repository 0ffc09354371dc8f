"""The file store and store loading."""
import os

import pytest

from cloudstack.conf import CONF
from cloudstack.image import stores
from cloudstack.image.stores import base
from cloudstack.image.stores.file import FileStore


@pytest.fixture
def store(conf, tmp_path):
    CONF.set_override('filesystem_store_datadir', str(tmp_path / 'imgs'), group='image')
    yield FileStore(CONF)
    CONF.clear_override('filesystem_store_datadir', group='image')


def test_add_get_size_delete(store, tmp_path):
    location, size = store.add('img1', iter([b'ab', b'cd', b'']))
    assert size == 4 and location == 'file://%s' % (tmp_path / 'imgs' / 'img1')
    assert store.size(location) == 4
    assert b''.join(store.get(location, chunk_size=3)) == b'abcd'
    assert [len(c) for c in store.get(location, chunk_size=3)] == [3, 1]
    assert b''.join(store.get(location, chunk_size=1, offset=1, length=2)) == b'bc'
    assert b''.join(store.get(location, offset=3, length=10)) == b'd'
    store.delete(location)
    store.delete(location)
    with pytest.raises(base.NotFound):
        store.get(location)
    with pytest.raises(base.NotFound):
        store.size(location)


def test_failed_add_leaves_nothing(store, tmp_path):
    def chunks():
        yield b'partial'
        raise RuntimeError('client went away')
    with pytest.raises(RuntimeError):
        store.add('img2', chunks())
    assert os.listdir(tmp_path / 'imgs') == []


def test_locations_outside_the_store_are_refused(store, tmp_path):
    (tmp_path / 'secret').write_bytes(b'x')
    with pytest.raises(base.NotFound):
        store.get('file://%s' % (tmp_path / 'secret'))
    with pytest.raises(base.NotFound):
        store.get('file://%s/../secret' % (tmp_path / 'imgs'))
    store.delete('file://%s' % (tmp_path / 'secret'))
    assert (tmp_path / 'secret').exists()


def test_default_datadir_and_loading(conf):
    s = stores.get_store(CONF)
    assert isinstance(s, FileStore)
    assert s.datadir == os.path.join(CONF.data_dir, 'images')
    assert 'file' in stores.available(CONF)
    assert issubclass(FileStore, base.Store)
