"""Block Storage on real I/O: file volumes, the tgt iSCSI target read and
written by QEMU's iSCSI initiator (libiscsi), backups in Object Storage, and
kill -9 of the tree in the middle of the slow work.

Driven with the unmodified clients: the `openstack` CLI and openstacksdk.
Runs as root with tgt (tgtd, tgtadm) and qemu-utils with qemu-block-extra
(qemu-img and qemu-io open iscsi:// URLs); it skips, naming what is missing,
elsewhere. Every test starts a tgtd of its own (control port and portal of
its own, targets named with a prefix of its own) and stops it at the end.
"""
import glob
import hashlib
import json
import os
import random
import shutil
import subprocess
import threading

import pytest

from cloudstack.volume import qemu
from tests.functional.conftest import ADMIN_PASSWORD, BIN, free_port

GiB = 1 << 30
MiB = 1 << 20
QEMU_MODULES = '/usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so'


def _missing():
    if os.geteuid() != 0:
        return 'not root (tgtd needs root)'
    for tool in ('tgtd', 'tgtadm', 'qemu-img', 'qemu-io'):
        if shutil.which(tool) is None:
            return 'no %s on this host' % tool
    if not glob.glob(QEMU_MODULES):
        return 'QEMU has no iSCSI initiator here (qemu-block-extra)'
    if not os.path.exists(os.path.join(BIN, 'openstack')):
        return 'no openstack CLI in the test environment'
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or '')


class Tgt:
    """The tgtd of one test: its control port, portal and target prefix."""

    def __init__(self, data_dir):
        used = set(os.listdir('/var/run/tgtd')) if os.path.isdir('/var/run/tgtd') else set()
        while True:
            self.control = random.randint(20000, 29999)
            if 'socket.%d' % self.control not in used:
                break
        self.port = free_port()
        self.prefix = 'iqn.2026-12.org.cloudstack.voltest%d:' % self.control
        self.pid_file = os.path.join(data_dir, 'tgtd-%d.pid' % self.control)

    def options(self):
        return {'target_driver': 'tgt', 'manage_tgtd': 'true',
                'tgt_control_port': self.control, 'target_port': self.port,
                'target_ip_address': '127.0.0.1', 'target_prefix': self.prefix}

    def adm(self, *args):
        return subprocess.run(['tgtadm', '-C', str(self.control)] + list(args),
                              capture_output=True, text=True)

    def targets(self):
        """The IQNs of the targets tgtd serves."""
        out = self.adm('--lld', 'iscsi', '--op', 'show', '--mode', 'target').stdout
        return [line.split(': ', 1)[1].strip() for line in out.splitlines()
                if line.startswith('Target ')]

    def stop(self):
        out = self.adm('--lld', 'iscsi', '--op', 'show', '--mode', 'target').stdout
        for line in out.splitlines():
            if line.startswith('Target '):
                tid = line.split()[1].rstrip(':')
                self.adm('--lld', 'iscsi', '--op', 'delete', '--force', '--mode',
                         'target', '--tid', tid)
        self.adm('--op', 'delete', '--mode', 'system')
        if os.path.exists(self.pid_file):
            try:
                os.kill(int(open(self.pid_file).read().strip()), 9)
            except (ValueError, ProcessLookupError):
                pass
        for name in ('socket.%d' % self.control, 'socket.%d.lock' % self.control):
            path = os.path.join('/var/run/tgtd', name)
            if os.path.exists(path):
                os.unlink(path)


class Volumes:
    """The cloud's Block Storage through openstacksdk and the openstack CLI."""

    def __init__(self, cloud):
        import openstack
        self.cloud = cloud
        self.auth = {'auth_url': cloud.url + '/identity/v3', 'username': 'admin',
                     'password': ADMIN_PASSWORD, 'project_name': 'admin',
                     'user_domain_id': 'default', 'project_domain_id': 'default'}
        self.conn = openstack.connect(**self.auth)
        self.bs = self.conn.block_storage

    def cli(self, *args, output=True):
        env = dict(os.environ, OS_AUTH_URL=self.auth['auth_url'], OS_USERNAME='admin',
                   OS_PASSWORD=ADMIN_PASSWORD, OS_PROJECT_NAME='admin',
                   OS_USER_DOMAIN_ID='default', OS_PROJECT_DOMAIN_ID='default',
                   OS_IDENTITY_API_VERSION='3')
        env.pop('OS_CLOUD', None)
        proc = subprocess.run([os.path.join(BIN, 'openstack')] + list(args) +
                              (['-f', 'json'] if output else []), env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout) if proc.stdout.strip() else None

    def wait(self, kind, item_id, status='available', timeout=120):
        get = {'volume': self.bs.get_volume, 'snapshot': self.bs.get_snapshot,
               'backup': self.bs.get_backup}[kind]

        def done():
            found = get(item_id)
            if found.status.startswith('error') and status != found.status:
                raise AssertionError('%s %s is %s' % (kind, item_id, found.status))
            return found.status == status and found
        return self.cloud.wait_for(done, timeout=timeout, interval=0.2)

    def request(self, method, path, body=None, version='3.44'):
        resp = self.conn.session.request(
            self.bs.get_endpoint() + path, method, json=body,
            headers={'OpenStack-API-Version': 'volume ' + version}, raise_exc=False)
        return resp

    def export(self, volume_id, server='server-1'):
        """An attachment exported to this host: (attachment id, iscsi URL)."""
        connector = {'host': 'functional', 'ip': '127.0.0.1', 'multipath': False,
                     'initiator': 'iqn.2008-11.org.linux-kvm', 'platform': 'x86_64',
                     'os_type': 'linux'}
        resp = self.request('POST', '/attachments', {'attachment': {
            'volume_uuid': volume_id, 'instance_uuid': server, 'connector': connector}})
        assert resp.status_code == 200, resp.text
        att = resp.json()['attachment']
        resp = self.request('POST', '/attachments/%s/action' % att['id'],
                            {'os-complete': {}})
        assert resp.status_code == 204, resp.text
        return att['id'], iscsi_url(att['connection_info'])

    def unexport(self, attachment_id):
        resp = self.request('DELETE', '/attachments/' + attachment_id)
        assert resp.status_code == 200, resp.text


def iscsi_url(info):
    assert info['driver_volume_type'] == 'iscsi', info
    data = info['data']
    return 'iscsi://%s%%%s@%s/%s/%d' % (data['auth_username'], data['auth_password'],
                                       data['target_portal'], data['target_iqn'],
                                       data['target_lun'])


def qemu_io(url, command):
    proc = subprocess.run(['qemu-io', '-f', 'raw', '-c', command, url],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and 'error' not in proc.stdout.lower() + \
        proc.stderr.lower(), proc.stdout + proc.stderr
    return proc.stdout


def same_data(a, fmt_a, b, fmt_b='raw'):
    proc = subprocess.run(['qemu-img', 'compare', '-q', '-f', fmt_a, '-F', fmt_b, a, b],
                          capture_output=True, text=True, timeout=300)
    return proc.returncode == 0


def volume_file(cloud, volume_id):
    found = glob.glob(os.path.join(cloud.data_dir, 'volumes', '*', 'volume-' + volume_id))
    assert len(found) == 1, found
    return found[0]


def sha256(path, block=MiB):
    """A digest of the data of a file whatever its holes: the index and bytes
    of every block that is not all zeros."""
    h = hashlib.sha256()
    zero = bytes(block)
    with open(path, 'rb') as f:
        size = os.path.getsize(path)
        wanted = set()
        for offset, length in qemu.data_extents(f.fileno(), size):
            wanted.update(range(offset // block, (offset + length - 1) // block + 1))
        for index in sorted(wanted):
            f.seek(index * block)
            data = f.read(block)
            if data != zero[:len(data)]:
                h.update(index.to_bytes(8, 'little') + data)
    return h.hexdigest()


def image_file(tmp_path, fmt='qcow2', mib=8):
    raw = str(tmp_path / 'image.raw')
    with open(raw, 'wb') as f:
        f.write(os.urandom(mib * MiB))
    if fmt == 'raw':
        return raw
    out = str(tmp_path / ('image.' + fmt))
    qemu.convert(raw, 'raw', out, fmt)
    return out


@pytest.fixture
def tgt(cloud):
    found = Tgt(cloud.data_dir)
    cloud.options['volume'] = dict(found.options(), backup_chunk_size=MiB)
    yield found
    found.stop()


def start(cloud, env=None):
    proc = cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD, env=env)
    cloud.ready('/volume/v3/', timeout=60)
    vols = Volumes(cloud)
    cloud.wait_for(lambda: vols.bs.get_endpoint() and list(
        vols.conn.block_storage.backend_pools()), timeout=60, interval=0.5)
    return proc, vols


def test_volumes_on_real_files_exported_over_iscsi(cloud, tgt, tmp_path):
    proc, vols = start(cloud)
    image_path = image_file(tmp_path, 'qcow2')
    image = vols.conn.image.create_image(
        name='disk', filename=image_path, disk_format='qcow2', container_format='bare',
        wait=True)
    # a volume from an image (the CLI) holds the image's bytes
    created = vols.cli('volume', 'create', '--size', '1', '--image', image.id, 'boot')
    vol = vols.wait('volume', created['id'])
    assert vol.is_bootable and vol.volume_image_metadata['image_id'] == image.id
    path = volume_file(cloud, vol.id)
    assert same_data(image_path, 'qcow2', path)
    # exported over iSCSI with CHAP: QEMU reads the image's bytes and writes
    attachment, url = vols.export(vol.id)
    assert tgt.targets() == [tgt.prefix + 'volume-' + vol.id]
    assert same_data(image_path, 'qcow2', url)
    wrong = url.replace('%', '%x', 1)
    assert subprocess.run(['qemu-io', '-f', 'raw', '-c', 'read 0 512', wrong],
                          capture_output=True).returncode != 0
    qemu_io(url, 'write -P 0xab 0 1M')
    with open(path, 'rb') as f:
        assert f.read(MiB) == b'\xab' * MiB
    # extended while exported: the initiator sees the new size
    resp = vols.request('POST', '/volumes/%s/action' % vol.id,
                        {'os-extend': {'new_size': 2}}, version='3.42')
    assert resp.status_code == 202, resp.text
    vols.wait('volume', vol.id, 'in-use')
    assert qemu.info(url)['virtual-size'] == 2 * GiB
    vols.unexport(attachment)
    assert tgt.targets() == []
    # a snapshot and a volume from it keep the data of that moment
    snap = vols.cli('volume', 'snapshot', 'create', '--volume', vol.id, 'snap')
    vols.wait('snapshot', snap['id'])
    attachment, url = vols.export(vol.id)
    qemu_io(url, 'write -P 0xcd 0 1M')
    vols.unexport(attachment)
    clone = vols.bs.create_volume(snapshot_id=snap['id'], name='clone')
    vols.wait('volume', clone.id)
    with open(volume_file(cloud, clone.id), 'rb') as f:
        assert f.read(MiB) == b'\xab' * MiB
    twin = vols.bs.create_volume(source_volume_id=vol.id, size=3, name='twin')
    vols.wait('volume', twin.id)
    with open(volume_file(cloud, twin.id), 'rb') as f:
        assert f.read(MiB) == b'\xcd' * MiB
    assert os.path.getsize(volume_file(cloud, twin.id)) == 3 * GiB


def test_backups_restore_the_same_bytes(cloud, tgt, tmp_path):
    proc, vols = start(cloud)
    vol = vols.bs.create_volume(size=1, name='data')
    vols.wait('volume', vol.id)
    attachment, url = vols.export(vol.id)
    for offset in (0, 300, 777):
        qemu_io(url, 'write -P %d %dM 3M' % (offset % 251 + 1, offset))
    vols.unexport(attachment)
    path = volume_file(cloud, vol.id)
    full_sum = sha256(path)
    backup = vols.cli('volume', 'backup', 'create', '--name', 'full', vol.id)
    vols.wait('backup', backup['id'])
    # incremental: only the changed chunks are written
    attachment, url = vols.export(vol.id)
    qemu_io(url, 'write -P 0x77 500M 1M')
    vols.unexport(attachment)
    inc_sum = sha256(path)
    inc = vols.cli('volume', 'backup', 'create', '--incremental', '--name', 'inc', vol.id)
    inc = vols.wait('backup', inc['id'])
    full = vols.bs.get_backup(backup['id'])
    assert inc.is_incremental and full.object_count > inc.object_count
    # the volume goes; each backup restores into a new volume with its bytes
    vols.cli('volume', 'delete', vol.id, output=False)
    cloud.wait_for(lambda: not glob.glob(path), timeout=60)
    for backup_id, want in ((backup['id'], full_sum), (inc['id'], inc_sum)):
        restored = vols.cli('volume', 'backup', 'restore', backup_id,
                            'restored-' + backup_id[:8])
        new = vols.wait('volume', restored['volume_id'])
        vols.wait('backup', backup_id)
        assert sha256(volume_file(cloud, new.id)) == want


def _slow_command(tmp_path, name, when, mark, seconds=8):
    """A wrapper for command `name` that, when its arguments contain `when`,
    writes its pid to `mark` and sleeps before doing its work."""
    folder = tmp_path / 'slow-bin'
    folder.mkdir(exist_ok=True)
    real = shutil.which(name)
    script = folder / name
    script.write_text('#!/bin/sh\ncase "$*" in *%s*) echo $$ > %s; sleep %d;; esac\n'
                      'exec %s "$@"\n' % (when, mark, seconds, real))
    script.chmod(0o755)
    return {'PATH': '%s:%s' % (folder, os.environ.get('PATH', ''))}


def _power_cut(cloud, proc, mark):
    """kill -9 the tree and the stalled command it ran (as a power cut would)."""
    cloud.kill_tree(proc)
    try:
        os.kill(int(mark.read_text().strip()), 9)
    except (ValueError, ProcessLookupError):
        pass


def _transitional(cloud):
    """Volumes, snapshots and backups in a transitional status (direct SQL)."""
    from cloudstack.db import api as db_api
    from cloudstack.volume import models, states
    cloud.use_database()
    with db_api.reader() as s:
        out = [('volume', v.id, v.status) for v in s.query(models.Volume)
               if v.status in states.VOLUME_TRANSITIONAL]
        out += [('snapshot', v.id, v.status) for v in s.query(models.Snapshot)
                if v.status in states.SNAPSHOT_TRANSITIONAL]
        out += [('backup', v.id, v.status) for v in s.query(models.Backup)
                if v.status in states.BACKUP_TRANSITIONAL]
    return out


def _backend_files(cloud):
    return sorted(os.path.basename(p) for p in glob.glob(
        os.path.join(cloud.data_dir, 'volumes', '*', '*')) +
        glob.glob(os.path.join(cloud.data_dir, 'volumes', '*', '.*')))


def test_kill_mid_create_from_image_then_restart(cloud, tgt, tmp_path):
    mark = tmp_path / 'converting'
    slow = _slow_command(tmp_path, 'qemu-img', 'convert', mark)
    proc, vols = start(cloud, env=slow)
    image_path = image_file(tmp_path, 'qcow2', mib=16)
    image = vols.conn.image.create_image(name='disk', filename=image_path,
                                         disk_format='qcow2', container_format='bare',
                                         wait=True)
    vol = vols.bs.create_volume(size=1, image_id=image.id, name='from-image')
    cloud.wait_for(lambda: mark.exists() and mark.read_text().strip(), timeout=60)
    _power_cut(cloud, proc, mark)
    assert _transitional(cloud) == [('volume', vol.id, 'creating')]
    proc, vols = start(cloud)
    vol = vols.wait('volume', vol.id, timeout=180)
    assert same_data(image_path, 'qcow2', volume_file(cloud, vol.id))
    assert _transitional(cloud) == []
    assert _backend_files(cloud) == ['volume-' + vol.id]


def test_kill_mid_backup_then_restart(cloud, tgt, tmp_path):
    proc, vols = start(cloud)
    vol = vols.bs.create_volume(size=1, name='data')
    vols.wait('volume', vol.id)
    with open(volume_file(cloud, vol.id), 'r+b') as f:
        for i in range(64):
            f.seek(i * 8 * MiB)
            f.write(os.urandom(MiB))
        os.fsync(f.fileno())
    want = sha256(volume_file(cloud, vol.id))
    backup = vols.bs.create_backup(volume_id=vol.id, name='b')
    cloud.wait_for(lambda: vols.bs.get_backup(backup.id).status == 'creating')
    cloud.wait_for(lambda: _object_count(cloud) >= 8
                   or vols.bs.get_backup(backup.id).status != 'creating',
                   timeout=120, interval=0.05)
    got = vols.bs.get_backup(backup.id)
    assert got.status == 'creating', (got.status, got.fail_reason)
    cloud.kill_tree(proc)
    assert ('backup', backup.id, 'creating') in _transitional(cloud)
    proc, vols = start(cloud)
    vols.wait('backup', backup.id, timeout=180)
    vols.wait('volume', vol.id)
    assert _transitional(cloud) == []
    restored = vols.cli('volume', 'backup', 'restore', backup.id, 'again')
    new = vols.wait('volume', restored['volume_id'], timeout=180)
    assert sha256(volume_file(cloud, new.id)) == want


def _object_count(cloud):
    from cloudstack.db import api as db_api
    from cloudstack.object_store import models
    cloud.use_database()
    with db_api.reader() as s:
        return s.query(models.Object).count()


def test_kill_mid_attach_then_restart(cloud, tgt, tmp_path):
    mark = tmp_path / 'exporting'
    slow = _slow_command(tmp_path, 'tgtadm', 'logicalunit', mark)
    proc, vols = start(cloud, env=slow)
    vol = vols.bs.create_volume(size=1, name='disk')
    vols.wait('volume', vol.id)
    path = volume_file(cloud, vol.id)
    with open(path, 'r+b') as f:
        f.write(b'\x42' * MiB)
        os.fsync(f.fileno())
    result = {}

    def attach():
        result['resp'] = vols.request('POST', '/attachments', {'attachment': {
            'volume_uuid': vol.id, 'instance_uuid': 's1', 'connector': {
                'host': 'functional', 'ip': '127.0.0.1', 'initiator': 'iqn.x'}}})
    worker = threading.Thread(target=attach, daemon=True)
    worker.start()
    cloud.wait_for(lambda: mark.exists() and mark.read_text().strip(), timeout=60)
    _power_cut(cloud, proc, mark)
    worker.join(30)
    assert tgt.targets() == [tgt.prefix + 'volume-' + vol.id]     # half made
    proc, vols = start(cloud)
    cloud.wait_for(lambda: tgt.targets() == [], timeout=60)       # resync removed it
    assert _transitional(cloud) == []
    assert vols.bs.get_volume(vol.id).status == 'reserved'        # the client's hold
    att = vols.request('GET', '/attachments?volume_id=' + vol.id).json()['attachments']
    resp = vols.request('PUT', '/attachments/' + att[0]['id'], {'attachment': {
        'connector': {'host': 'functional', 'ip': '127.0.0.1', 'initiator': 'iqn.x'}}})
    assert resp.status_code == 200, resp.text
    url = iscsi_url(resp.json()['attachment']['connection_info'])
    assert qemu_io(url, 'read -P 0x42 0 1M')
    vols.unexport(att[0]['id'])
    assert tgt.targets() == []
    assert vols.bs.get_volume(vol.id).status == 'available'
