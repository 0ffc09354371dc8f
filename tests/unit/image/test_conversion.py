"""[image] image_conversion_format: imported data converted with qemu-img
after inspection, as Glance's image_conversion plugin; unsafe or mislabelled
data fails the import and the image goes back to queued."""
import shutil
import subprocess

import pytest

from tests.unit.image.conftest import IMG
from tests.unit.image.drain import run_tasks
from tests.unit.image.test_inspection import QCOW2_INCOMPAT_DATA_FILE, iso, qcow2

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None,
                                reason='the host lacks qemu-img')

MiB = 1024 * 1024
RAW = bytes(range(256)) * 4096          # 1 MiB that is not all zeros


@pytest.fixture
def converting(override):
    override('image_conversion_format', 'raw', group='image')


def _qemu_image(tmp_path, fmt, *opts):
    src, out = tmp_path / 'src.raw', tmp_path / ('out.' + fmt)
    src.write_bytes(RAW)
    subprocess.run(['qemu-img', 'convert', '-q', '-f', 'raw', '-O', fmt, *opts,
                    str(src), str(out)], check=True)
    return out.read_bytes()


def _direct_import(client, data, disk_format, container_format='bare'):
    img = client.create_image(disk_format=disk_format, container_format=container_format)
    resp = client.raw('PUT', IMG + '/%s/stage' % img['id'], data)
    assert resp.status_int == 204, resp.text
    resp = client.post(IMG + '/%s/import' % img['id'], {'method': {'name': 'glance-direct'}})
    assert resp.status_int == 202, resp.text
    run_tasks()
    return client.get(IMG + '/' + img['id']).json


@pytest.mark.parametrize('fmt, qemu_fmt, opts', [
    ('qcow2', 'qcow2', ()), ('vhd', 'vpc', ()), ('vhdx', 'vhdx', ()),
    ('vmdk', 'vmdk', ('-o', 'subformat=streamOptimized')), ('vdi', 'vdi', ())])
def test_usable_images_are_stored_as_raw(users, converting, tmp_path, fmt, qemu_fmt,
                                         opts):
    a = users['alice']
    shown = _direct_import(a, _qemu_image(tmp_path, qemu_fmt, *opts), fmt,
                           container_format='ovf')
    assert shown['status'] == 'active', shown
    assert (shown['disk_format'], shown['container_format']) == ('raw', 'bare')
    # (VHD rounds the disk up to a whole cylinder.)
    assert shown['size'] == shown['virtual_size'] >= len(RAW)
    body = a.get(IMG + '/%s/file' % shown['id']).body
    assert body[:len(RAW)] == RAW and not body[len(RAW):].strip(b'\0')


def test_without_the_option_data_is_stored_as_it_comes(users, tmp_path):
    data = _qemu_image(tmp_path, 'qcow2')
    shown = _direct_import(users['alice'], data, 'qcow2')
    assert shown['status'] == 'active' and shown['disk_format'] == 'qcow2'
    assert shown['size'] == len(data)


def test_raw_and_iso_are_not_converted(users, converting):
    a = users['alice']
    shown = _direct_import(a, RAW, 'raw')
    assert shown['status'] == 'active' and shown['disk_format'] == 'raw'
    cd = iso(blocks=40)
    shown = _direct_import(a, cd, 'iso')
    assert shown['status'] == 'active' and shown['disk_format'] == 'iso'
    assert a.get(IMG + '/%s/file' % shown['id']).body == cd


@pytest.mark.parametrize('data, declared', [
    (qcow2(MiB, backing=b'/etc/hosts'), 'qcow2'),   # unsafe
    (qcow2(MiB, incompat=QCOW2_INCOMPAT_DATA_FILE, data_file_ext=b'/etc/hosts'), 'qcow2'),
    (qcow2(MiB), 'raw'),                             # mislabelled
    (RAW, 'qcow2'),
])
def test_unsafe_or_mislabelled_data_fails_the_import(users, converting, data, declared):
    a = users['alice']
    shown = _direct_import(a, data, declared)
    assert shown['status'] == 'queued', shown
    assert shown['disk_format'] == declared and shown['os_glance_failed_import'] == 'file'
    [task] = a.get(IMG + '/%s/tasks' % shown['id']).json['tasks']
    assert task['status'] == 'failure' and 'cannot be converted' in task['message']


def test_web_download_is_converted_too(users, converting, tmp_path, monkeypatch):
    from tests.unit.image import test_tasks
    from cloudstack.image.manager import imports
    from cloudstack.conf import CONF
    CONF.set_override('web_download_allowed_hosts', ['images.example.com'], group='image')
    try:
        data = _qemu_image(tmp_path, 'qcow2')
        monkeypatch.setattr(imports, 'open_url', lambda url: (
            test_tasks.FakeResponse(data), len(data)))
        a = users['alice']
        img = a.create_image(disk_format='qcow2')
        resp = a.post(IMG + '/%s/import' % img['id'], {'method': {
            'name': 'web-download', 'uri': test_tasks.URL}})
        assert resp.status_int == 202, resp.text
        run_tasks()
        shown = a.get(IMG + '/' + img['id']).json
        assert shown['status'] == 'active' and shown['disk_format'] == 'raw'
        assert a.get(IMG + '/%s/file' % img['id']).body == RAW
    finally:
        CONF.clear_override('web_download_allowed_hosts', group='image')
