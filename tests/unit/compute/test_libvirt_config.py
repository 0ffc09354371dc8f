"""Domain XML for every virt_type, checked by libvirt's own validation: its
RNG schemas (virt-xml-validate) and its test driver's define with
VIR_DOMAIN_DEFINE_VALIDATE."""
import shutil
import subprocess
import uuid

import pytest

from cloudstack.compute.virt import driver
from cloudstack.compute.virt.libvirt import config

libvirt = pytest.importorskip('libvirt', reason='libvirt-python is not installed')
FLAVOR = driver.Flavor('m1.small', 2, 512, 10)


def domain(virt_type, os_type='hvm'):
    xen = virt_type == 'xen'
    bus, prefix = ('xen', 'xvd') if xen else ('virtio', 'vd')
    return config.Domain(
        virt_type=virt_type, name='instance-%s' % uuid.uuid4().hex[:8], uuid=str(uuid.uuid4()),
        memory_mb=512, vcpus=2, os_type=os_type,
        owner={'display_name': 'web', 'flavor': FLAVOR, 'project_id': 'p', 'user_id': 'u',
               'image_id': 'img'},
        disks=[config.Disk(target=prefix + 'a', bus=bus, path='/i/disk', cache='none',
                           boot_order=1),
               config.Disk(target='xvdz' if xen else 'hdd', bus='xen' if xen else 'ide',
                           device='cdrom', format='raw', path='/i/disk.config', readonly=True),
               config.Disk(target=prefix + 'b', bus=bus, source_type='network', format='raw',
                           protocol='iscsi', name='iqn.2010-10.org.example:vol-1/1',
                           hosts=[('192.0.2.10', 3260)], auth_username='chapuser',
                           secret_usage='cloudstack-volume-1',
                           initiator='iqn.2026-12.org.cloudstack:h1', serial='vol-1')],
        interfaces=[config.Interface(mac='fa:16:3e:00:00:01', bridge='brq0123456789a',
                                     tap='tap0123456789a', mtu=1450)],
        console_log='/i/console.log', vnc_listen='127.0.0.1', rng_path='/dev/urandom',
        guest_agent=True, cpu_mode='host-model' if virt_type == 'kvm' else None,
        sysinfo={'manufacturer': 'cloudstack', 'product': 'OpenStack Compute'},
        rootfs='/i/disk', init='/sbin/init')


CASES = [('qemu', 'hvm'), ('kvm', 'hvm'), ('xen', 'hvm'), ('xen', 'xen'), ('lxc', 'exe')]


@pytest.mark.skipif(not shutil.which('virt-xml-validate'),
                    reason='virt-xml-validate (libvirt-clients) is not installed')
@pytest.mark.parametrize('virt_type,os_type', CASES)
def test_schema_valid(tmp_path, virt_type, os_type):
    path = tmp_path / 'domain.xml'
    path.write_text(config.domain_xml(domain(virt_type, os_type)))
    proc = subprocess.run(['virt-xml-validate', str(path), 'domain'], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize('virt_type,os_type', CASES)
def test_test_driver_validates_and_keeps_it(virt_type, os_type):
    conn = libvirt.open('test:///default')
    dom_spec = domain(virt_type, os_type)
    dom = conn.defineXMLFlags(config.domain_xml(dom_spec), libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
    try:
        root = config.parse(dom.XMLDesc(0))
        assert root.get('type') == virt_type
        assert dom.UUIDString() == dom_spec.uuid
        md = dom.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, config.NS)
        assert 'm1.small' in md
        if virt_type == 'lxc':
            fs = root.find('devices/filesystem')
            assert fs.get('type') == 'file' and fs.find('source').get('file') == '/i/disk'
            assert root.find('features/privnet') is not None
        else:
            targets = config.disk_targets(root)
            net = targets['xvdb' if virt_type == 'xen' else 'vdb']
            assert net.find('source').get('protocol') == 'iscsi'
            assert net.find('source/auth/secret').get('usage') == 'cloudstack-volume-1'
            assert net.find('source/initiator/iqn').get('name') == 'iqn.2026-12.org.cloudstack:h1'
        iface = root.find('devices/interface')
        assert iface.find('source').get('bridge') == 'brq0123456789a'
    finally:
        dom.undefine()


def test_qemu_details():
    root = config.parse(config.domain_xml(domain('qemu')))
    assert root.find('cpu') is None                       # TCG: the emulator's own model
    assert root.find('devices/serial/log').get('file') == '/i/console.log'
    assert root.find('devices/rng/backend').text == '/dev/urandom'
    assert [e.text for e in root.iter('entry')] == ['cloudstack', 'OpenStack Compute']
    assert root.find('os/smbios').get('mode') == 'sysinfo'
    kvm = config.parse(config.domain_xml(domain('kvm')))
    assert kvm.find('cpu').get('mode') == 'host-model'


def test_serial_console_on_tcp():
    spec = domain('kvm')
    spec.serial_tcp = ('127.0.0.1', 10005)
    serial = config.parse(config.domain_xml(spec)).find('devices/serial')
    assert serial.get('type') == 'tcp'
    assert serial.find('source').attrib == {'mode': 'bind', 'host': '127.0.0.1',
                                            'service': '10005'}
    assert serial.find('log') is not None


def test_hotplug_fragments():
    disk = config.parse(config.disk_xml(config.Disk(
        target='vdc', source_type='file', path='/v/vol.raw', format='raw', serial='v1')))
    assert disk.find('source').get('file') == '/v/vol.raw'
    assert disk.findtext('serial') == 'v1'
    block = config.parse(config.disk_xml(config.Disk(target='vdd', source_type='block',
                                                     path='/dev/sdz', format='raw')))
    assert block.find('source').get('dev') == '/dev/sdz'
    nic = config.parse(config.interface_xml(config.Interface(
        mac='fa:16:3e:aa:bb:cc', bridge='brqx', tap='tapy', mtu=1500), 'lxc'))
    assert nic.find('target').get('dev') == 'tapy' and nic.find('model') is None
