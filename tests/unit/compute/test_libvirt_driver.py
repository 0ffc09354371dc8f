"""The libvirt driver against libvirt's own in-memory test hypervisor
(test:///default): real domain definitions, states and XML, no QEMU. What
needs a real guest is in tests/functional/test_libvirt_*.py."""
import hashlib
import json
import os
import shutil
import subprocess
import uuid

import pytest

from cloudstack.compute.metadata import configdrive
from cloudstack.compute.virt import driver
from cloudstack.compute.virt.libvirt import config
from tests.unit.compute.libvirt_fixtures import instance, vif

libvirt = pytest.importorskip('libvirt', reason='libvirt-python is not installed')
pytestmark = pytest.mark.skipif(not shutil.which('qemu-img'),
                                reason='qemu-img (qemu-utils) is not installed')


@pytest.fixture
def drv(conf, tmp_path):
    from cloudstack.compute.virt.libvirt import driver as libvirt_driver
    conf.set_override('virt_type', 'qemu', group='libvirt')
    conf.set_override('connection_uri', 'test:///default', group='libvirt')
    conf.set_override('instances_path', str(tmp_path / 'instances'), group='libvirt')
    conf.set_override('host_ip', '192.0.2.7', group='libvirt')
    d = libvirt_driver.LibvirtDriver('host-a')
    d._cachemode = 'writeback'
    os.makedirs(d.instances_path)
    yield d
    for uid in d.list_instances():
        dom = d._host.lookup(uid)
        if dom.isActive():
            dom.destroy()
        dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
    for name in ('virt_type', 'connection_uri', 'instances_path', 'host_ip'):
        conf.clear_override(name, group='libvirt')


@pytest.fixture
def image(tmp_path):
    raw = tmp_path / 'image.raw'
    raw.write_bytes(b'\0' * (1 << 20))
    path = tmp_path / 'image.qcow2'
    subprocess.run(['qemu-img', 'convert', '-q', '-O', 'qcow2', str(raw), str(path)], check=True)
    data = path.read_bytes()
    return driver.ImageSource(id='img-1', disk_format='qcow2', size=len(data),
                              checksum=hashlib.md5(data).hexdigest(),
                              chunks=lambda: iter([data]))


def new_instance(**kw):
    uid = str(uuid.uuid4())
    return instance(uuid=uid, name='instance-' + uid[:8], **kw)


BDI = {'root_device_name': '/dev/vda', 'block_device_mapping': [],
       'ephemerals': [{'device_name': '/dev/vdb', 'size': 1, 'guest_format': None}],
       'swap': {'device_name': '/dev/vdc', 'swap_size': 16}}


def domain_xml(drv, inst):
    return config.parse(drv._host.lookup(inst.uuid).XMLDesc(0))


def test_spawn_lays_out_disks_and_domain(drv, image):
    inst = new_instance(config_drive=True)
    drv.spawn(None, inst, image, [{'path': '/etc/motd', 'contents': 'aGk='}], 'adminpw',
              [vif()], BDI)
    here = os.path.join(drv.instances_path, inst.uuid)
    assert sorted(os.listdir(here)) == ['disk', 'disk.config', 'disk.eph0', 'disk.swap',
                                        'libvirt.xml']
    root = domain_xml(drv, inst)
    targets = config.disk_targets(root)
    assert sorted(targets) == ['hdd', 'vda', 'vdb', 'vdc']
    assert targets['vda'].find('source').get('file') == os.path.join(here, 'disk')
    assert targets['vda'].find('boot').get('order') == '1'
    assert targets['hdd'].get('device') == 'cdrom'
    backing = subprocess.run(['qemu-img', 'info', '--output=json', os.path.join(here, 'disk')],
                             capture_output=True, text=True).stdout
    assert '_base' in json.loads(backing)['backing-filename']
    cd = configdrive.read(os.path.join(here, 'disk.config'))
    meta = json.loads(cd['openstack/latest/meta_data.json'])
    assert meta['uuid'] == inst.uuid and meta['admin_pass'] == 'adminpw'
    assert meta['name'] == 'Web One'
    assert cd['openstack/content/0000'] == b'hi'
    nic = root.find('devices/interface')
    assert nic.find('target').get('dev') == vif()['devname']
    assert nic.find('source').get('bridge') == vif()['bridge']
    assert nic.find('mac').get('address') == 'fa:16:3e:11:22:33'
    assert drv.get_info(inst)['power_state'] == driver.RUNNING      # its port is active
    assert drv.list_instances() == [inst.uuid]


def test_flavor_ephemeral_and_swap_without_block_device_info(drv, image):
    inst = new_instance(flavor=driver.Flavor('eph', 1, 256, 1, ephemeral_gb=1, swap=16))
    drv.spawn(None, inst, image, [], None, [], None)
    targets = config.disk_targets(domain_xml(drv, inst))
    here = os.path.join(drv.instances_path, inst.uuid)
    assert targets['vdb'].find('source').get('file') == os.path.join(here, 'disk.eph0')
    assert targets['vdc'].find('source').get('file') == os.path.join(here, 'disk.swap')
    eph = json.loads(subprocess.run(['qemu-img', 'info', '--output=json',
                                     os.path.join(here, 'disk.eph0')],
                                    capture_output=True, text=True).stdout)
    assert eph['virtual-size'] == 1 << 30


def test_spawn_paused_until_ports_are_plugged(drv, image):
    inst = new_instance()
    port = dict(vif(), active=False)
    drv.spawn(None, inst, image, [], None, [port], None)
    assert drv.get_info(inst)['power_state'] == driver.PAUSED
    drv.resume_after_plug(inst)
    assert drv.get_info(inst)['power_state'] == driver.RUNNING
    drv.resume_after_plug(inst)                    # again: nothing to do
    drv.spawn(None, inst, image, [], None, [port], None)    # again: nothing to do
    assert drv.get_info(inst)['power_state'] == driver.RUNNING


def test_spawn_without_power_on_and_a_crashed_spawn_resumes(drv, image):
    inst = new_instance()
    drv.spawn(None, inst, image, [], None, [], None, power_on=False)
    assert drv.get_info(inst)['power_state'] == driver.SHUTDOWN
    os.unlink(os.path.join(drv.instances_path, inst.uuid, 'disk'))   # as if cut short
    drv.spawn(None, inst, image, [], None, [], None)
    assert drv.get_info(inst)['power_state'] == driver.RUNNING
    assert os.path.exists(os.path.join(drv.instances_path, inst.uuid, 'disk'))


def test_destroy_removes_everything_and_is_idempotent(drv, image):
    inst = new_instance()
    drv.spawn(None, inst, image, [], None, [], BDI)
    drv.destroy(None, inst, [], BDI)
    assert drv._host.lookup(inst.uuid) is None
    assert not os.path.exists(os.path.join(drv.instances_path, inst.uuid))
    drv.destroy(None, inst, [], BDI)
    with pytest.raises(driver.InstanceNotFound):
        drv.get_info(inst)


def test_destroy_can_keep_disks(drv, image):
    inst = new_instance()
    drv.spawn(None, inst, image, [], None, [], None)
    drv.destroy(None, inst, [], None, destroy_disks=False)
    assert os.path.exists(os.path.join(drv.instances_path, inst.uuid, 'disk'))


def test_power_cycle(drv, image):
    inst = new_instance()
    drv.spawn(None, inst, image, [], None, [], None)
    drv.pause(inst)
    assert drv.get_info(inst)['power_state'] == driver.PAUSED
    drv.unpause(inst)
    drv.power_off(inst, timeout=5, retry_interval=1)
    assert drv.get_info(inst)['power_state'] == driver.SHUTDOWN
    drv.power_off(inst)
    drv.power_on(None, inst, [], None)
    assert drv.get_info(inst)['power_state'] == driver.RUNNING
    drv.reboot(None, inst, [], 'SOFT')
    drv.reboot(None, inst, [], 'HARD')
    assert drv.get_info(inst)['power_state'] == driver.RUNNING
    drv.suspend(None, inst)
    assert drv.get_info(inst)['power_state'] == driver.SUSPENDED
    drv.resume(None, inst, [])
    assert drv.get_info(inst)['power_state'] == driver.RUNNING


def test_boot_from_volume_has_no_local_root(drv, image):
    inst = new_instance(image_ref=None)
    bdi = {'root_device_name': '/dev/vda', 'ephemerals': [], 'swap': None,
           'block_device_mapping': [{
               'boot_index': 0, 'mount_device': '/dev/vda', 'disk_bus': 'virtio',
               'device_type': 'disk', 'volume_id': 'vol-1',
               'connection_info': {'driver_volume_type': 'iscsi', 'data': {
                   'target_portal': '192.0.2.20:3260', 'target_iqn': 'iqn.2010-10.org:vol-1',
                   'target_lun': 1, 'volume_id': 'vol-1', 'access_mode': 'rw'}}}]}
    drv.spawn(None, inst, None, [], None, [], bdi)
    assert not os.path.exists(os.path.join(drv.instances_path, inst.uuid, 'disk'))
    root = domain_xml(drv, inst)
    vda = config.disk_targets(root)['vda']
    assert vda.get('type') == 'network' and vda.find('boot').get('order') == '1'
    assert vda.find('source').get('name') == 'iqn.2010-10.org:vol-1/1'
    assert vda.find('source/host').attrib == {'name': '192.0.2.20', 'port': '3260'}
    assert vda.find('source/auth') is None           # CHAP: see the functional tests
    assert vda.findtext('serial') == 'vol-1'


def test_iso_images_boot_from_cdrom_with_a_blank_disk(drv, tmp_path):
    data = b'\0' * (1 << 20)
    iso = driver.ImageSource(id='iso-1', disk_format='iso', size=len(data), checksum=None,
                             chunks=lambda: iter([data]))
    inst = new_instance(image_meta={'disk_format': 'iso', 'properties': {}})
    drv.spawn(None, inst, iso, [], None, [], None)
    targets = config.disk_targets(domain_xml(drv, inst))
    assert targets['hda'].get('device') == 'cdrom'
    assert targets['hda'].find('boot').get('order') == '1'
    assert targets['vda'].find('boot') is None


def test_only_our_domains_are_listed(drv, image):
    conn = drv._host.conn
    foreign = conn.defineXML("<domain type='test'><name>not-ours-%s</name><memory>1024</memory>"
                             "<os><type>hvm</type></os></domain>" % uuid.uuid4().hex[:6])
    try:
        inst = new_instance()
        drv.spawn(None, inst, image, [], None, [], None)
        assert drv.list_instances() == [inst.uuid]
    finally:
        foreign.undefine()


def test_host_facts(drv):
    res = drv.get_available_resource()
    assert res['hypervisor_hostname'] == 'host-a' and res['host_ip'] == '192.0.2.7'
    assert res['hypervisor_type'] == 'QEMU' and res['vcpus'] > 0 and res['memory_mb'] > 0
    assert json.loads(res['cpu_info'])['arch']
    conn = drv.get_connector()
    assert conn['ip'] == '192.0.2.7' and conn['initiator'].startswith('iqn.')


def test_rescue_and_unrescue(drv, image):
    inst = new_instance()
    drv.spawn(None, inst, image, [], None, [], None)
    drv.rescue(None, inst, [], image, 'rescuepw')
    targets = config.disk_targets(domain_xml(drv, inst))
    here = os.path.join(drv.instances_path, inst.uuid)
    assert targets['vda'].find('source').get('file') == os.path.join(here, 'disk.rescue')
    assert targets['vdb'].find('source').get('file') == os.path.join(here, 'disk')
    drv.rescue(None, inst, [], image, 'rescuepw')           # again: still rescued
    drv.unrescue(None, inst)
    targets = config.disk_targets(domain_xml(drv, inst))
    assert targets['vda'].find('source').get('file') == os.path.join(here, 'disk')
    assert not os.path.exists(os.path.join(here, 'disk.rescue'))
    assert drv.get_info(inst)['power_state'] == driver.RUNNING


def test_resize_on_one_host(drv, image):
    inst = new_instance()
    drv.spawn(None, inst, image, [], None, [], None)
    bigger = driver.Flavor('m1.big', 2, 512, 2)
    info = drv.migrate_disk_and_power_off(None, inst, 'host-a', bigger, [], None)
    assert [f['name'] for f in info['files']] == ['disk']
    assert drv._host.lookup(inst.uuid) is None
    resized = new_instance(flavor=bigger)
    resized.uuid, resized.name = inst.uuid, inst.name
    drv.finish_migration(None, None, resized, info, [], image, True, None)
    disk = os.path.join(drv.instances_path, inst.uuid, 'disk')
    out = json.loads(subprocess.run(['qemu-img', 'info', '--output=json', disk],
                                    capture_output=True, text=True).stdout)
    assert out['virtual-size'] == 2 << 30
    assert drv.get_info(resized)['num_cpu'] == 2
    drv.finish_revert_migration(None, inst, [], None)
    assert drv.get_info(inst)['num_cpu'] == 1
    assert not os.path.exists(os.path.join(drv.instances_path, inst.uuid + '_resize'))
    with pytest.raises(Exception, match='shrink'):
        drv.migrate_disk_and_power_off(None, resized, 'host-a', driver.Flavor('s', 1, 256, 1),
                                       [], None)


def test_what_needs_a_guest_agent(drv, image):
    inst = new_instance()
    drv.spawn(None, inst, image, [], None, [], None)
    with pytest.raises(driver.NotSupported, match='guest agent'):
        drv.set_admin_password(inst, 'new')


@pytest.mark.parametrize('shared', [True, False], ids=['shared-storage', 'copying-disks'])
def test_live_migration_on_shared_storage_or_copying_the_disks(drv, image, conf, tmp_path,
                                                              shared):
    """pre_live_migration on the destination tells shared storage (it sees the
    source's files) from none (it makes empty disks of the same sizes); the
    source then asks libvirt for the matching migration. The real migrations
    (QEMU on both ends) are in tests/functional/test_libvirt_migration.py."""
    from cloudstack.compute.virt.libvirt import driver as libvirt_driver
    inst = new_instance()
    drv.spawn(None, inst, image, [], None, [], BDI)
    if not shared:
        conf.set_override('instances_path', str(tmp_path / 'instances-b'), group='libvirt')
    conf.set_override('live_migration_uri', 'qemu+unix:///system?socket=/x/%s/sock',
                      group='libvirt')
    conf.set_override('live_migration_inbound_uri', 'unix:///run/mig/%s.sock', group='libvirt')
    try:
        dest = libvirt_driver.LibvirtDriver('host-b')
        data = dest.pre_live_migration(None, inst, BDI, [], None,
                                       {'source_instances_path': drv.instances_path})
        calls = []

        def call(fn, *args, **kwargs):
            if getattr(fn, '__name__', '') == 'migrateToURI3':
                calls.append(args)
                return None
            return fn(*args, **kwargs)

        drv._host.call = call
        drv.live_migration(None, inst, 'host-b', not shared, data)
    finally:
        for name in ('live_migration_uri', 'live_migration_inbound_uri'):
            conf.clear_override(name, group='libvirt')
        conf.set_override('instances_path', drv.instances_path, group='libvirt')
    assert data['shared_storage'] is shared and data['dest_host'] == 'host-b'
    [(uri, params, flags)] = calls
    assert uri == 'qemu+unix:///system?socket=/x/host-b/sock'
    assert params[libvirt.VIR_MIGRATE_PARAM_URI] == 'unix:///run/mig/host-b.sock-' + inst.uuid
    assert flags & libvirt.VIR_MIGRATE_LIVE and flags & libvirt.VIR_MIGRATE_PERSIST_DEST
    source_dir = os.path.join(drv.instances_path, inst.uuid)
    if shared:
        assert flags & libvirt.VIR_MIGRATE_UNSAFE
        assert not flags & libvirt.VIR_MIGRATE_NON_SHARED_DISK
        assert libvirt.VIR_MIGRATE_PARAM_DISKS_URI not in params
        assert libvirt.VIR_MIGRATE_PARAM_DEST_XML not in params
        assert os.path.exists(os.path.join(source_dir, 'disk'))        # the same files
        return
    assert flags & libvirt.VIR_MIGRATE_NON_SHARED_DISK
    assert not flags & libvirt.VIR_MIGRATE_UNSAFE
    assert params[libvirt.VIR_MIGRATE_PARAM_DISKS_URI] == (
        'unix:///run/mig/host-b.sock-%s.disks' % inst.uuid)
    dest_dir = os.path.join(dest.instances_path, inst.uuid)
    assert dest_dir in params[libvirt.VIR_MIGRATE_PARAM_DEST_XML]
    assert source_dir not in params[libvirt.VIR_MIGRATE_PARAM_DEST_XML]
    names = sorted(n for n in os.listdir(dest_dir) if n.startswith('disk'))
    assert 'disk' in names and 'disk.eph0' in names
    size = json.loads(subprocess.run(['qemu-img', 'info', '--output=json',
                                      os.path.join(dest_dir, 'disk')],
                                     capture_output=True, text=True).stdout)['virtual-size']
    assert size == 1 << 30                  # empty, the source's size: the copy fills it
    assert not os.path.exists(source_dir)   # gone from the source


def test_snapshot_overlay_pivots_only_when_the_commit_is_ready(drv, tmp_path):
    """The active commit of a live snapshot's overlay: QEMU may report cur ==
    end before the job is ready to pivot (a loaded host); the driver waits for
    <mirror ready='yes'> and retries a pivot refused as "not ready"."""
    disk, overlay = str(tmp_path / 'disk'), tmp_path / 'disk.snap'
    overlay.write_bytes(b'')

    class Dom:
        def __init__(self):
            self.polls, self.aborts, self.committed = 0, 0, False

        def isActive(self):
            return 1

        def XMLDesc(self, flags):
            ready = "ready='yes'" if self.polls >= 3 else ''
            mirror = "<mirror type='file' job='active-commit' %s/>" % ready
            return ("<domain><devices><disk type='file' device='disk'>"
                    "<source file='%s'/><target dev='vda'/>%s</disk></devices></domain>" % (
                        overlay if not self.committed else disk,
                        '' if self.committed else mirror))

        def blockCommit(self, *args):
            raise AssertionError('a job is running already')

        def blockJobInfo(self, target, flags):
            if self.committed:
                return {}
            self.polls += 1
            return {'type': 4, 'bandwidth': 0, 'cur': 10, 'end': 10}

        def blockJobAbort(self, target, flags):
            assert flags == libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT and self.polls >= 3
            self.aborts += 1
            if self.aborts == 1:
                err = libvirt.libvirtError("block copy still active: block job "
                                           "'commit-vda' not ready for pivot yet")
                err.err = (libvirt.VIR_ERR_BLOCK_COPY_ACTIVE, 0, '', 0, '', None, None, 0, 0)
                raise err
            self.committed = True

    dom = Dom()
    drv._commit_leftover(dom, 'vda', disk)
    assert dom.committed and dom.aborts == 2 and dom.polls >= 4
    assert not overlay.exists()                         # the overlay is gone


class VolumeDom:
    """A domain with a root disk, a file-based volume (serial vol-file) and
    an iSCSI one (vol-net), recording the snapshot and block-job calls."""

    def __init__(self, folder, active=True):
        self.folder, self.active, self.calls, self.job_polls = folder, active, [], 0
        self.volume = os.path.join(folder, 'volume-1')

    def isActive(self):
        return 1 if self.active else 0

    def XMLDesc(self, flags):
        return ("<domain><devices>"
                "<disk type='file' device='disk'><source file='/inst/disk'/>"
                "<target dev='vda'/></disk>"
                "<disk type='file' device='disk'><source file='%s'/><target dev='vdb'/>"
                "<serial>vol-file</serial></disk>"
                "<disk type='network' device='disk'><source protocol='iscsi' name='iqn/1'/>"
                "<target dev='vdc'/><serial>vol-net</serial></disk>"
                "</devices></domain>" % self.volume)

    def snapshotCreateXML(self, xml, flags):
        self.calls.append(('snapshot', xml, flags))

    def blockRebase(self, disk, base, bandwidth, flags):
        self.calls.append(('rebase', disk, base, flags))

    def blockCommit(self, disk, base, top, bandwidth, flags):
        self.calls.append(('commit', disk, base, top, flags))

    def blockJobInfo(self, disk, flags):
        self.job_polls += 1
        return {'cur': 1, 'end': 2} if self.job_polls < 3 else {}


def test_assisted_volume_snapshot_moves_the_volume_onto_the_new_file(drv, tmp_path,
                                                                     monkeypatch):
    dom = VolumeDom(str(tmp_path))
    monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
    drv.volume_snapshot_create(None, new_instance(), 'vol-file', {
        'snapshot_id': 's-1', 'type': 'qcow2', 'new_file': 'volume-1.s-1'})
    [(kind, xml, flags)] = dom.calls
    assert flags == (libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY
                     | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_NO_METADATA
                     | libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT)
    disks = {d.get('name'): d for d in config.parse(xml).iter('disk')}
    assert {n: d.get('snapshot') for n, d in disks.items()} == {
        'vda': 'no', 'vdb': 'external', 'vdc': 'no'}
    assert disks['vdb'].find('source').get('file') == str(tmp_path / 'volume-1.s-1')
    assert disks['vdb'].find('driver').get('type') == 'qcow2'
    for volume_id in ('vol-net', 'vol-gone'):
        with pytest.raises(driver.NotSupported):
            drv.volume_snapshot_create(None, new_instance(), volume_id, {
                'snapshot_id': 's-1', 'type': 'qcow2', 'new_file': 'x'})


def test_assisted_snapshot_delete_pulls_or_commits_and_waits_for_the_job(drv, tmp_path,
                                                                         monkeypatch):
    dom = VolumeDom(str(tmp_path))
    monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
    drv.volume_snapshot_delete(None, new_instance(), 'vol-file', 's-1', {
        'type': 'qcow2', 'file_to_merge': 'volume-1.base', 'merge_target_file': None})
    assert dom.calls == [('rebase', 'vdb', str(tmp_path / 'volume-1.base'),
                          libvirt.VIR_DOMAIN_BLOCK_REBASE_RELATIVE)]
    assert dom.job_polls == 3                       # until the job is gone
    dom.calls, dom.job_polls = [], 0
    drv.volume_snapshot_delete(None, new_instance(), 'vol-file', 's-1', {
        'type': 'qcow2', 'file_to_merge': 'volume-1.s-1', 'merge_target_file': 'volume-1'})
    assert dom.calls == [('commit', 'vdb', str(tmp_path / 'volume-1'),
                          str(tmp_path / 'volume-1.s-1'),
                          libvirt.VIR_DOMAIN_BLOCK_COMMIT_RELATIVE)]
    dom.active = False
    with pytest.raises(Exception, match='running'):
        drv.volume_snapshot_delete(None, new_instance(), 'vol-file', 's-1', {
            'type': 'qcow2', 'file_to_merge': 'volume-1.s-1', 'merge_target_file': 'volume-1'})


def test_assisted_snapshot_delete_of_a_stopped_guest_rebases_the_file(drv, tmp_path,
                                                                      monkeypatch):
    """Offline, qemu-img pulls the backing file's data into the active file."""
    dom = VolumeDom(str(tmp_path), active=False)
    base = tmp_path / 'volume-1.base'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', str(base), '1M'], check=True)
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', 'volume-1.base',
                    '-F', 'qcow2', dom.volume], check=True)
    monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
    drv.volume_snapshot_delete(None, new_instance(), 'vol-file', 's-1', {
        'type': 'qcow2', 'file_to_merge': None, 'merge_target_file': None})
    info = json.loads(subprocess.run(['qemu-img', 'info', '--output=json', dom.volume],
                                     capture_output=True, text=True, check=True).stdout)
    assert 'backing-filename' not in info and dom.calls == []


class SwapDom(VolumeDom):
    """VolumeDom whose block copy becomes ready after a few polls, recording
    the copy, the pivot and the definition's change."""

    def __init__(self, folder, active=True, fails=False):
        super().__init__(folder, active)
        self.copying = self.pivoted = False
        self.fails = fails          # QEMU drops the job at once (as for another size)
        self.left_over = {}         # a copy job of a killed agent's, still running

    def XMLDesc(self, flags):
        xml = super().XMLDesc(flags)
        if self.copying and not self.pivoted and not flags and not self.fails:
            ready = "ready='yes'" if self.job_polls >= 2 else ''
            xml = xml.replace("<target dev='vdb'/>",
                              "<target dev='vdb'/><mirror type='file' job='copy' %s/>" % ready)
        return xml

    def blockCopy(self, disk, xml, params, flags):
        self.calls.append(('copy', disk, xml, flags))
        self.copying = True

    def blockJobInfo(self, disk, flags):
        if not self.copying:
            return self.left_over
        self.job_polls += 1
        return {} if self.pivoted or self.fails else {'cur': 5, 'end': 5}

    def blockJobAbort(self, disk, flags):
        if not flags:
            self.calls.append(('abort', disk))
            self.left_over = {}
            return
        assert flags == libvirt.VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT and self.job_polls >= 2
        self.calls.append(('pivot', disk))
        self.pivoted = True

    def blockResize(self, disk, size, flags):
        self.calls.append(('resize', disk, size, flags))

    def blockInfo(self, disk, flags):
        return [1 << 30, 1 << 20, 1 << 30]          # capacity, allocation, physical

    def detachDeviceFlags(self, xml, flags):
        self.calls.append(('undefine', config.ET.fromstring(xml).findtext('serial'), flags))

    def attachDeviceFlags(self, xml, flags):
        self.calls.append(('define', config.ET.fromstring(xml).findtext('serial'), flags))


def test_swap_volume_copies_the_disk_live_then_pivots_and_redefines(drv, tmp_path,
                                                                    monkeypatch):
    dom = SwapDom(str(tmp_path))
    monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
    new_file = tmp_path / 'volume-2'
    new_file.write_bytes(b'')
    new_info = {'driver_volume_type': 'local',
                'data': {'device_path': str(new_file), 'volume_id': 'vol-new'}}
    old_info = {'driver_volume_type': 'local',
                'data': {'device_path': dom.volume, 'volume_id': 'vol-file'}}
    drv.swap_volume(None, old_info, new_info, new_instance(), '/dev/vdb', 0)
    (kind, disk, xml, flags), *rest = dom.calls
    assert (kind, disk) == ('copy', 'vdb')
    assert flags == (libvirt.VIR_DOMAIN_BLOCK_COPY_REUSE_EXT
                     | libvirt.VIR_DOMAIN_BLOCK_COPY_TRANSIENT_JOB)
    copied = config.ET.fromstring(xml)
    assert copied.find('source').get('file') == str(new_file)
    assert copied.findtext('serial') == 'vol-new'
    assert rest == [('pivot', 'vdb'),
                    ('undefine', 'vol-file', libvirt.VIR_DOMAIN_AFFECT_CONFIG),
                    ('define', 'vol-new', libvirt.VIR_DOMAIN_AFFECT_CONFIG)]
    # a shut-off guest (no QEMU to copy, as in Nova), nothing at the
    # mountpoint: NotSupported, nothing done
    for stopped, mountpoint in ((True, '/dev/vdb'), (False, '/dev/vdz')):
        dom = SwapDom(str(tmp_path), active=not stopped)
        monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
        with pytest.raises(driver.NotSupported):
            drv.swap_volume(None, old_info, new_info, new_instance(), mountpoint, 2)
        assert dom.calls == []
    # a copy job QEMU drops (no job, no mirror) fails the swap at once, unchanged
    dom = SwapDom(str(tmp_path), fails=True)
    monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
    with pytest.raises(Exception, match='failed'):
        drv.swap_volume(None, old_info, new_info, new_instance(), '/dev/vdb', 0)
    assert [c[0] for c in dom.calls] == ['copy', 'abort'] and dom.job_polls == 1


def test_swap_onto_a_larger_volume(drv, tmp_path, monkeypatch):
    """QEMU mirrors onto a target of the source's size only (1 GiB here): a
    larger file is cut to it for the copy and grown after the pivot; a
    larger LUN is copied onto a slice of it, and defined whole."""
    dom = SwapDom(str(tmp_path))
    monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
    new_file = tmp_path / 'volume-2'
    new_file.write_bytes(b'')
    os.truncate(new_file, 2 << 30)
    old_info = {'driver_volume_type': 'local',
                'data': {'device_path': dom.volume, 'volume_id': 'vol-file'}}
    sizes = []
    real_copy = dom.blockCopy
    dom.blockCopy = lambda *a: (sizes.append(os.path.getsize(new_file)), real_copy(*a))
    drv.swap_volume(None, old_info, {'driver_volume_type': 'local', 'data': {
        'device_path': str(new_file), 'volume_id': 'vol-new'}}, new_instance(), '/dev/vdb', 2)
    assert sizes == [1 << 30]
    copied = config.ET.fromstring(dom.calls[0][2])
    assert copied.find('source/slices') is None
    assert [c[:3] for c in dom.calls[1:]] == [
        ('pivot', 'vdb'), ('resize', 'vdb', 2 << 30), ('undefine', 'vol-file', 2),
        ('define', 'vol-new', 2)]
    assert dom.calls[2][3] == libvirt.VIR_DOMAIN_BLOCK_RESIZE_BYTES
    # a failed copy gives the file its size back
    dom = SwapDom(str(tmp_path), fails=True)
    monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
    with pytest.raises(Exception, match='failed'):
        drv.swap_volume(None, old_info, {'driver_volume_type': 'local', 'data': {
            'device_path': str(new_file), 'volume_id': 'vol-new'}}, new_instance(),
            '/dev/vdb', 2)
    assert os.path.getsize(new_file) == 2 << 30
    # an iSCSI LUN: its first GiB is the copy's target, the whole LUN the definition's
    dom = SwapDom(str(tmp_path))
    monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
    lun = {'driver_volume_type': 'iscsi', 'data': {
        'target_iqn': 'iqn.x', 'target_lun': 1, 'target_portal': '10.0.0.1:3260',
        'volume_id': 'vol-lun'}}
    drv.swap_volume(None, old_info, lun, new_instance(), '/dev/vdb', 2)
    slice_ = config.ET.fromstring(dom.calls[0][2]).find('source/slices/slice')
    assert slice_.attrib == {'type': 'storage', 'offset': '0', 'size': str(1 << 30)}
    assert [c[0] for c in dom.calls[1:]] == ['pivot', 'undefine', 'define']


def test_swap_run_again_after_its_agent_was_killed(drv, tmp_path, monkeypatch):
    """The task runs again: a copy job still running from the killed attempt
    is cancelled and the copy starts over; a disk already pivoted is not
    copied again, only defined (and grown)."""
    new_file = tmp_path / 'volume-2'
    new_file.write_bytes(b'')
    new_info = {'driver_volume_type': 'local',
                'data': {'device_path': str(new_file), 'volume_id': 'vol-new'}}
    dom = SwapDom(str(tmp_path))
    dom.left_over = {'cur': 1, 'end': 5}
    monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
    old_info = {'driver_volume_type': 'local',
                'data': {'device_path': dom.volume, 'volume_id': 'vol-file'}}
    drv.swap_volume(None, old_info, new_info, new_instance(), '/dev/vdb', 0)
    assert [c[0] for c in dom.calls] == ['abort', 'copy', 'pivot', 'undefine', 'define']
    dom = SwapDom(str(tmp_path))
    dom.volume = str(new_file)                  # the guest reads the new volume already
    monkeypatch.setattr(drv._host, 'get', lambda inst: dom)
    drv.swap_volume(None, old_info, new_info, new_instance(), '/dev/vdb', 2)
    assert [c[:3] for c in dom.calls] == [('resize', 'vdb', 2 << 30),
                                          ('undefine', 'vol-file', 2), ('define', 'vol-new', 2)]
