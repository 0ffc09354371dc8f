"""tools/make-test-images: the images Tempest's format tests upload are what
the manifest says, as the Image service's own inspection sees them."""
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from cloudstack.image import inspection

TOOL = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'tools',
                    'make-test-images')

pytestmark = pytest.mark.skipif(shutil.which('qemu-img') is None,
                                reason='the host lacks qemu-img')


@pytest.fixture(scope='module')
def manifest(tmp_path_factory):
    out = tmp_path_factory.mktemp('test-images')
    subprocess.run([sys.executable, TOOL, str(out)], check=True, capture_output=True)
    with open(out / 'manifest.yaml') as f:
        return out, yaml.safe_load(f)['images']


def _inspect(path, declared):
    inspector = inspection.StreamInspector(declared, enforce=True)
    with open(path, 'rb') as f:
        while chunk := f.read(65536):
            inspector.feed(chunk)
    return inspector.finish()


def test_the_manifest_lists_usable_and_unsafe_images(manifest):
    out, images = manifest
    names = {img['name'] for img in images}
    assert {'raw', 'qcow2', 'vmdk-sparse', 'vhd', 'vhdx', 'vdi', 'qcow2-backing-file',
            'qcow2-data-file', 'vmdk-flat', 'vmdk-sparse-outside-extent'} <= names
    for img in images:
        assert set(img) >= {'name', 'format', 'filename', 'usable'}
        assert os.path.exists(out / img['filename'])
    assert {img['format'] for img in images if not img['usable']} == {'qcow2', 'vmdk'}


@pytest.mark.parametrize('name', ['raw', 'qcow2', 'vmdk-sparse', 'vmdk-stream-optimized',
                                  'vhd', 'vhdx', 'vdi', 'iso'])
def test_usable_images_pass_as_their_format(manifest, name):
    out, images = manifest
    img = next((i for i in images if i['name'] == name), None)
    if img is None:
        pytest.skip('the host lacks genisoimage, mkisofs and xorriso')
    result = _inspect(out / img['filename'], img['format'])
    assert result.format == img['format']


@pytest.mark.parametrize('name', ['qcow2-backing-file', 'qcow2-data-file',
                                  'qcow2-iso-polyglot', 'vmdk-flat',
                                  'vmdk-sparse-outside-extent'])
def test_unsafe_images_are_refused(manifest, name):
    out, images = manifest
    [img] = [i for i in images if i['name'] == name]
    with pytest.raises(inspection.FormatError):
        _inspect(out / img['filename'], img['format'])
    # ... and under any other name too.
    with pytest.raises(inspection.FormatError):
        inspector = inspection.StreamInspector('raw', enforce=False)
        with open(out / img['filename'], 'rb') as f:
            inspector.feed(f.read())
        inspector.finish()
