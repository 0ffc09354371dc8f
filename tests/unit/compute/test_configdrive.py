import json
import shutil
import subprocess

import pytest

from cloudstack.compute.metadata import configdrive
from cloudstack.compute.metadata import document
from tests.unit.compute.libvirt_fixtures import instance, vif


def test_round_trip_with_real_names(tmp_path):
    md = document.InstanceMetadata(instance(), [vif()], {'admin_pass': 'pw'})
    files = md.config_drive_files()
    path = str(tmp_path / 'disk.config')
    configdrive.build(path, files)
    assert configdrive.label(path) == 'config-2'
    back = configdrive.read(path)
    assert set(back) == set(files)
    meta = json.loads(back['openstack/latest/meta_data.json'])
    assert meta['uuid'] == instance().uuid and meta['admin_pass'] == 'pw'
    assert back['ec2/latest/user-data'] == b'#!/bin/sh\necho hi\n'


def test_rebuild_replaces(tmp_path):
    path = str(tmp_path / 'disk.config')
    configdrive.build(path, {'openstack/latest/meta_data.json': b'{"a": 1}'})
    configdrive.build(path, {'openstack/latest/meta_data.json': b'{"a": 2}'})
    assert configdrive.read(path) == {'openstack/latest/meta_data.json': b'{"a": 2}'}
    assert not list(tmp_path.glob('*.tmp'))


@pytest.mark.skipif(not shutil.which('blkid'), reason='blkid (util-linux) is not installed')
def test_blkid_sees_the_label(tmp_path):
    path = str(tmp_path / 'disk.config')
    configdrive.build(path, {'openstack/latest/meta_data.json': b'{}'})
    out = subprocess.run(['blkid', '-o', 'export', path], capture_output=True, text=True).stdout
    assert 'LABEL=config-2' in out and 'TYPE=iso9660' in out
