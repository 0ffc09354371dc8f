"""The local target: a path handed only to a hypervisor on the same machine."""
import pytest

from cloudstack import drivers, exception
from cloudstack.volume.targets.local import LocalTarget


def _target():
    target = LocalTarget.__new__(LocalTarget)
    target.host = 'vm'
    return target


def test_a_host_on_the_same_machine_gets_the_path():
    info = _target().export('v1', '/data/v1', 'raw', None,
                            {'host': 'ci-compute-2', 'machine': drivers.this_machine()})
    assert info == {'driver_volume_type': 'local',
                    'data': {'device_path': '/data/v1', 'format': 'raw'}}


def test_a_host_on_another_machine_is_refused():
    with pytest.raises(exception.BadRequest):
        _target().export('v1', '/data/v1', 'raw', None,
                         {'host': 'elsewhere', 'machine': 'another-boot-id'})
    with pytest.raises(exception.BadRequest):
        _target().export('v1', '/data/v1', 'raw', None, {'host': 'elsewhere'})
