"""Loading drivers by name."""
import pytest

from cloudstack import drivers
from cloudstack.identity import tasks as identity_tasks

# Any namespace of ours serves; the task modules' is installed with the package.
NAMESPACE = 'cloudstack.tasks'


def test_load_returns_the_registered_plugin():
    assert drivers.load(NAMESPACE, 'identity') is identity_tasks


def test_an_unknown_name_names_the_available_ones():
    with pytest.raises(drivers.DriverNotFound) as err:
        drivers.load(NAMESPACE, 'libvirt')
    message = str(err.value)
    assert "'libvirt'" in message
    assert 'identity' in message.split('available: ')[1].split(', ')


def test_an_empty_namespace_says_so():
    with pytest.raises(drivers.DriverNotFound, match='none installed'):
        drivers.load('cloudstack.nothing', 'x')


def test_every_kind_of_driver_has_its_namespace():
    """Each kind of driver is installed as entry points, not imported by path."""
    from cloudstack.image import stores
    from cloudstack.object_store import backend
    from cloudstack.object_store.backend import disk
    assert drivers.load(backend.NAMESPACE, 'disk') is disk.DiskBackend
    assert {'file', 'object_store'} <= set(drivers.available(stores.NAMESPACE))


def test_the_object_store_loads_its_configured_backend(conf, monkeypatch):
    from cloudstack.object_store import manager
    monkeypatch.setattr(manager, '_backends', {})
    conf.set_override('backend', 'nosuch', group='object_store')
    try:
        with pytest.raises(drivers.DriverNotFound, match='available: disk'):
            manager._backend()
    finally:
        conf.clear_override('backend', group='object_store')
