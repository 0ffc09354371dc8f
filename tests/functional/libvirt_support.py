"""Real hypervisor pieces for the libvirt functional tests.

- `guest_image`: the test guest (tools/build-guest-image, cached);
- `sandbox`: a libvirtd in a network and mount namespace of its own (see
  cloudstack/compute/virt/libvirt/sandbox.py): guests' taps and the tests'
  bridges, dnsmasq and tgtd live in that namespace, never in the host's;
- `Net`: a bridge with DHCP (dnsmasq) inside the sandbox's namespace;
- `Target`: a userspace iSCSI target (tgtd) inside it, with CHAP;
- `make_driver`: a LibvirtDriver on the sandbox.
Each skips, naming what the host lacks, where it cannot run.
"""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from cloudstack.compute.virt import driver
from cloudstack.conf import CONF

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PREFIX = 'vrt'          # names of what these tests create: netns, bridges, domains
BOOT_TIMEOUT = 300      # a loaded 2-core host boots a TCG guest in 10-60 s


def _lacks_for_sandbox():
    try:
        import libvirt  # noqa: F401
    except ImportError:
        return ['libvirt-python']
    from cloudstack.compute.virt.libvirt import sandbox
    return sandbox.missing_tools() + [t for t in ('qemu-system-x86_64', 'qemu-img')
                                      if not shutil.which(t)]


@pytest.fixture(scope='session')
def guest_image():
    lacks = [t for t in ('apt-get', 'dpkg-deb', 'mke2fs', 'qemu-img') if not shutil.which(t)]
    if lacks:
        pytest.skip('cannot build the test guest: no %s' % ', '.join(lacks))
    proc = subprocess.run([sys.executable, os.path.join(REPO, 'tools', 'build-guest-image'),
                           '--quiet'], capture_output=True, text=True)
    if proc.returncode:
        pytest.skip('cannot build the test guest (no Debian archive?): %s'
                    % proc.stderr.strip()[-300:])
    return proc.stdout.strip().splitlines()[-1]


def image_source(path, image_id=None, disk_format='qcow2'):
    with open(path, 'rb') as f:
        data = f.read()
    return driver.ImageSource(id=image_id or 'img-' + hashlib.md5(data).hexdigest()[:12],
                              disk_format=disk_format, size=len(data),
                              checksum=hashlib.md5(data).hexdigest(),
                              chunks=lambda: iter([data[i:i + (1 << 20)]
                                                   for i in range(0, len(data), 1 << 20)]))


def _world_dir(prefix):
    """A temp dir QEMU (user libvirt-qemu) can reach: pytest's are 0700."""
    path = tempfile.mkdtemp(prefix=prefix, dir='/tmp')
    os.chmod(path, 0o755)
    return path


def start_sandbox(name, top=None):
    lacks = _lacks_for_sandbox()
    if lacks:
        pytest.skip('no libvirt sandbox here: missing %s' % ', '.join(lacks))
    from cloudstack.compute.virt.libvirt import sandbox
    top = top or _world_dir('%s-%s-' % (PREFIX, name))
    box = sandbox.Sandbox(os.path.join(top, name),
                          netns='%s-%s-%s' % (PREFIX, name, uuid.uuid4().hex[:6]))
    box.top = top
    try:
        box.start()
    except sandbox.SandboxError as e:
        box.stop()
        shutil.rmtree(top, ignore_errors=True)
        pytest.skip('libvirtd does not start here: %s' % e)
    return box


def stop_sandbox(box, remove=True):
    box.stop()
    if remove:
        shutil.rmtree(box.top, ignore_errors=True)


@pytest.fixture(scope='session')
def sandbox():
    box = start_sandbox('a')
    yield box
    stop_sandbox(box)


def make_driver(box, virt_type='qemu', host='host-a', instances=None):
    """A LibvirtDriver on the sandbox (options set on the global CONF)."""
    from cloudstack.compute.virt.libvirt import driver as libvirt_driver
    CONF.set_override('virt_type', virt_type, group='libvirt')
    CONF.set_override('connection_uri', box.uri('lxc' if virt_type == 'lxc' else 'qemu'),
                      group='libvirt')
    path = instances or os.path.join(box.top, 'instances-' + host)
    os.makedirs(path, mode=0o755, exist_ok=True)
    CONF.set_override('instances_path', path, group='libvirt')
    CONF.set_override('host_ip', '127.0.0.1', group='libvirt')
    CONF.set_override('bridge_wait_timeout', 10, group='libvirt')
    CONF.set_override('shutdown_timeout', 30, group='libvirt')
    drv = libvirt_driver.LibvirtDriver(host)
    drv.init_host()
    return drv


def clear_driver_options():
    for name in ('virt_type', 'connection_uri', 'instances_path', 'host_ip',
                 'bridge_wait_timeout', 'shutdown_timeout'):
        CONF.clear_override(name, group='libvirt')


def ssh(box, key, ip, command):
    """Run `command` in the guest over SSH from inside the sandbox."""
    return in_ns(box, 'ssh', '-i', key, '-o', 'StrictHostKeyChecking=no', '-o',
                 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=20', '-o', 'BatchMode=yes',
                 'cloud@' + ip, command, check=False, timeout=120)


@pytest.fixture(scope='module')
def keypair(tmp_path_factory):
    if not shutil.which('ssh-keygen') or not shutil.which('ssh'):
        pytest.skip('no OpenSSH client (ssh, ssh-keygen) to reach the guest with')
    path = tmp_path_factory.mktemp('key') / 'id'
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', str(path)], check=True)
    return str(path), path.with_suffix('.pub').read_text().strip()


def new_instance(flavor=None, **kw):
    uid = str(uuid.uuid4())
    fields = dict(uuid=uid, name='%s-%s' % (PREFIX, uid[:8]), hostname='guest-' + uid[:4],
                  flavor=flavor or driver.Flavor('tiny', 1, 192, 1), project_id='proj',
                  user_id='user', image_ref='csguest',
                  image_meta={'disk_format': 'qcow2', 'properties': {}})
    fields.update(kw)
    return driver.Instance(**fields)


def wait_console(drv, inst, marker, timeout=BOOT_TIMEOUT, since=0):
    """The console output once it shows `marker` after byte `since`."""
    deadline = time.monotonic() + timeout
    out = b''
    while time.monotonic() < deadline:
        out = drv.get_console_output(None, inst)
        if marker.encode() in out[since:]:
            return out.decode(errors='replace')
        time.sleep(0.25)
    raise AssertionError('no %r on the console after %ss:\n%s' % (
        marker, timeout, out.decode(errors='replace')[-3000:]))


def in_ns(box, *cmd, check=True, **kw):
    return subprocess.run(box.netns_cmd(*cmd), check=check, capture_output=True, text=True,
                          **kw)


def reachable(box, ip, port=22, timeout=60):
    """Whether a TCP connection to ip:port succeeds from inside the sandbox."""
    code = ('import socket, sys, time\n'
            'deadline = time.time() + %d\n'
            'while time.time() < deadline:\n'
            '    try:\n'
            '        socket.create_connection((%r, %d), 3).close(); sys.exit(0)\n'
            '    except OSError:\n'
            '        time.sleep(0.5)\n'
            'sys.exit(1)\n' % (timeout, ip, port))
    return in_ns(box, sys.executable, '-c', code, check=False).returncode == 0


def links(box):
    return in_ns(box, 'ip', '-o', 'link', 'show').stdout


def make_vif(bridge, index, active=True, mtu=1450):
    """A VIF (virt/driver.py) on `bridge`, in 10.213.<index>.0/24."""
    prefix = '10.213.%d' % index
    port = str(uuid.uuid4())
    mac = 'fa:16:3e:%02x:%02x:%02x' % (index, os.urandom(1)[0], os.urandom(1)[0])
    return {'id': port, 'address': mac, 'devname': 'tap' + port[:11],
            'bridge': bridge, 'mtu': mtu, 'vif_type': 'bridge', 'active': active,
            'network': {'id': 'net-%d' % index, 'label': 'test', 'subnets': [{
                'cidr': prefix + '.0/24', 'version': 4, 'gateway': prefix + '.1',
                'dns': [], 'routes': [], 'ips': [], 'dhcp_server': prefix + '.1'}]}}


class Net:
    """A bridge named like Neutron's (brq + 11 chars) with dnsmasq serving
    DHCP on it, inside the sandbox's namespace."""

    def __init__(self, box, index, router=True, bridge=None, dhcp=True):
        self.box, self.index = box, index
        self.bridge = bridge or 'brq%s%02d' % (uuid.uuid4().hex[:9], index)
        self.prefix = '10.213.%d' % index
        self.dir = tempfile.mkdtemp(prefix='%s-net-' % PREFIX)
        in_ns(box, 'ip', 'link', 'add', self.bridge, 'type', 'bridge')
        in_ns(box, 'ip', 'addr', 'add', self.prefix + '.1/24', 'dev', self.bridge)
        in_ns(box, 'ip', 'link', 'set', self.bridge, 'up')
        self.pidfile = os.path.join(self.dir, 'dnsmasq.pid')
        if not dhcp:
            return
        in_ns(box, 'dnsmasq', '--interface=' + self.bridge, '--bind-interfaces',
              '--except-interface=lo', '--dhcp-range=%s.100,%s.150,255.255.255.0,1h' % (
                  self.prefix, self.prefix), '--no-resolv', '--no-hosts', '--port=0',
              '--pid-file=' + self.pidfile, '--dhcp-leasefile=' + os.path.join(self.dir, 'leases'),
              '--log-facility=' + os.path.join(self.dir, 'dnsmasq.log'), '--log-dhcp',
              *([] if router else ['--dhcp-option=3']))

    def vif(self, active=True, mtu=1450):
        return make_vif(self.bridge, self.index, active, mtu)

    def ports(self):
        """Interfaces enslaved to the bridge."""
        out = in_ns(self.box, 'ip', '-o', 'link', 'show', 'master', self.bridge).stdout
        return [line.split(':')[1].strip().split('@')[0] for line in out.splitlines()]

    def close(self):
        try:
            with open(self.pidfile) as f:
                os.kill(int(f.read().strip()), signal.SIGTERM)
        except (OSError, ValueError):
            pass
        in_ns(self.box, 'ip', 'link', 'del', self.bridge, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


class Target:
    """tgtd on 127.0.0.1:<port> inside the sandbox's namespace, exporting
    files as LUNs of one target, with CHAP."""

    def __init__(self, box, port=3260):
        if not shutil.which('tgtd'):
            pytest.skip('no tgtd (Debian package tgt): no iSCSI target to attach')
        self.box, self.port = box, port
        self.control = 100 + os.getpid() % 800
        self.dir = _world_dir('%s-tgt-' % PREFIX)
        self.iqn = 'iqn.2026-12.test.%s:%s' % (PREFIX, uuid.uuid4().hex[:8])
        self.user, self.password = 'chapuser', 'chap-' + uuid.uuid4().hex[:12]
        in_ns(box, 'tgtd', '-C', self.control, '-p', os.path.join(self.dir, 'tgtd.pid'),
              '--iscsi', 'portal=127.0.0.1:%d' % port)
        for _ in range(100):
            if in_ns(box, 'tgtadm', '-C', self.control, '--op', 'show', '--mode', 'sys',
                     check=False).returncode == 0:
                break
            time.sleep(0.1)
        self.adm('--lld', 'iscsi', '--op', 'new', '--mode', 'target', '--tid', 1, '-T', self.iqn)
        self.adm('--lld', 'iscsi', '--op', 'new', '--mode', 'account', '--user', self.user,
                 '--password', self.password)
        self.adm('--lld', 'iscsi', '--op', 'bind', '--mode', 'account', '--tid', 1,
                 '--user', self.user)
        self.adm('--lld', 'iscsi', '--op', 'bind', '--mode', 'target', '--tid', 1,
                 '-I', 'ALL')

    def adm(self, *args):
        return in_ns(self.box, 'tgtadm', '-C', self.control, *args)

    def add_lun(self, lun, marker, size=64 << 20):
        path = os.path.join(self.dir, 'lun%d.img' % lun)
        with open(path, 'wb') as f:
            f.write(marker.encode())
            f.truncate(size)
        self.adm('--lld', 'iscsi', '--op', 'new', '--mode', 'logicalunit', '--tid', 1,
                 '--lun', lun, '-b', path)
        return path

    def connection_info(self, lun, volume_id, chap=True):
        data = {'target_portal': '127.0.0.1:%d' % self.port, 'target_iqn': self.iqn,
                'target_lun': lun, 'volume_id': volume_id, 'access_mode': 'rw'}
        if chap:
            data.update(auth_method='CHAP', auth_username=self.user,
                        auth_password=self.password)
        return {'driver_volume_type': 'iscsi', 'data': data}

    def close(self):
        self.adm('--lld', 'iscsi', '--op', 'delete', '--mode', 'target', '--tid', 1, '--force')
        in_ns(self.box, 'tgtadm', '-C', self.control, '--op', 'delete', '--mode', 'system',
              check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
