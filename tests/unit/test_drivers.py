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
    assert "'libvirt'" in str(err.value) and 'available: identity' in str(err.value)


def test_an_empty_namespace_says_so():
    with pytest.raises(drivers.DriverNotFound, match='none installed'):
        drivers.load('cloudstack.nothing', 'x')
