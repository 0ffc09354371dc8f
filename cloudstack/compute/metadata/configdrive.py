"""The config drive: an ISO 9660 image labelled config-2 holding an
instance's metadata documents (OpenStack and EC2 layouts), as cloud-init and
other guests look for it. Built in Python (pycdlib), with Rock Ridge and
Joliet names so that every reader sees the real file names."""
import io
import os

import pycdlib

LABEL = 'config-2'


def build(path, files):
    """Write the ISO image of `files` ({'openstack/latest/meta_data.json':
    bytes, ...}) to `path`, replacing it atomically."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=4, joliet=3, rock_ridge='1.09', vol_ident=LABEL,
            sys_ident='LINUX', app_ident_str='cloudstack config drive')
    names = {'': ''}                    # real directory path -> ISO 9660 path

    def iso_dir(real):
        if real not in names:
            parent = iso_dir(os.path.dirname(real))
            names[real] = '%s/D%06d' % (parent, len(names))
            iso.add_directory(names[real], rr_name=os.path.basename(real),
                              joliet_path='/' + real)
        return names[real]

    for n, (real, data) in enumerate(sorted(files.items())):
        real = real.strip('/')
        data = data if isinstance(data, bytes) else data.encode()
        iso.add_fp(io.BytesIO(data), len(data),
                   '%s/F%06d.;1' % (iso_dir(os.path.dirname(real)), n),
                   rr_name=os.path.basename(real), joliet_path='/' + real)
    tmp = path + '.tmp'
    iso.write(tmp)
    iso.close()
    with open(tmp, 'rb+') as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read(path):
    """{path: bytes} of a config drive (by Rock Ridge names), for checks."""
    iso = pycdlib.PyCdlib()
    iso.open(path)
    try:
        found = {}
        for dirname, _, filenames in iso.walk(rr_path='/'):
            for name in filenames:
                full = os.path.join(dirname, name)
                out = io.BytesIO()
                iso.get_file_from_iso_fp(out, rr_path=full)
                found[full.lstrip('/')] = out.getvalue()
        return found
    finally:
        iso.close()


def label(path):
    iso = pycdlib.PyCdlib()
    iso.open(path)
    try:
        return iso.pvd.volume_identifier.decode().strip()
    finally:
        iso.close()
