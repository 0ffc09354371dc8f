"""Domain XML: what a guest is made of, as libvirt reads it.

Plain dataclasses describe a guest (`Domain`, `Disk`, `Interface`); the
functions turn them into libvirt XML for each virt_type (qemu, kvm, lxc,
xen). Nothing here talks to libvirt, so all of it is unit-tested.
"""
import dataclasses
import xml.etree.ElementTree as ET

NS = 'urn:cloudstack:libvirt:instance:1'      # our <metadata> element's namespace
ET.register_namespace('cloudstack', NS)


@dataclasses.dataclass
class Disk:
    target: str                         # vda, hdd, sda, xvda
    bus: str = 'virtio'                 # virtio, ide, sata, scsi, xen, usb
    device: str = 'disk'                # disk, cdrom
    source_type: str = 'file'           # file, block, network
    path: str | None = None             # file or block device
    format: str = 'qcow2'
    cache: str | None = None
    readonly: bool = False
    serial: str | None = None
    boot_order: int | None = None
    # network disks (iSCSI through QEMU's initiator)
    protocol: str | None = None
    name: str | None = None             # IQN/LUN
    hosts: list = dataclasses.field(default_factory=list)    # [(host, port)]
    auth_username: str | None = None
    secret_usage: str | None = None     # a libvirt secret of usage type 'iscsi'
    initiator: str | None = None        # our IQN
    io: str | None = None
    slice_size: int | None = None       # only the first bytes of the source (a copy's target)


@dataclasses.dataclass
class Interface:
    mac: str
    bridge: str
    tap: str | None = None
    model: str | None = 'virtio'
    mtu: int | None = None


@dataclasses.dataclass
class Domain:
    virt_type: str
    name: str
    uuid: str
    memory_mb: int
    vcpus: int
    # what the <metadata> element records: {'display_name', 'flavor', 'project_id', ...}
    owner: dict = dataclasses.field(default_factory=dict)
    machine_type: str | None = 'pc'
    cpu_mode: str | None = None         # host-model, host-passthrough, custom, None
    cpu_model: str | None = None
    os_type: str = 'hvm'                # hvm; xen (Xen PV); exe (LXC)
    boot_devs: list = dataclasses.field(default_factory=lambda: ['hd'])
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str | None = None
    init: str | None = None             # LXC
    rootfs: str | None = None           # LXC: a raw file system image
    disks: list = dataclasses.field(default_factory=list)
    interfaces: list = dataclasses.field(default_factory=list)
    console_log: str | None = None
    serial_tcp: tuple | None = None     # (host, port): a serial console proxy's target
    vnc_listen: str | None = None
    rng_path: str | None = None
    guest_agent: bool = False
    sysinfo: dict = dataclasses.field(default_factory=dict)


def _sub(parent, tag, text=None, **attrs):
    el = ET.SubElement(parent, tag, {k.rstrip('_'): str(v) for k, v in attrs.items()
                                     if v is not None})
    if text is not None:
        el.text = str(text)
    return el


def _tostring(el):
    ET.indent(el)
    return ET.tostring(el, encoding='unicode')


def disk_element(disk):
    el = ET.Element('disk', {'type': disk.source_type, 'device': disk.device})
    _sub(el, 'driver', name='qemu', type=disk.format, cache=disk.cache, io=disk.io)
    src = None
    if disk.source_type == 'network':
        src = _sub(el, 'source', protocol=disk.protocol, name=disk.name)
        for host, port in disk.hosts:
            _sub(src, 'host', name=host, port=port)
        if disk.initiator:
            _sub(_sub(src, 'initiator'), 'iqn', name=disk.initiator)
        if disk.auth_username:
            auth = _sub(src, 'auth', username=disk.auth_username)
            _sub(auth, 'secret', type='iscsi', usage=disk.secret_usage)
    elif disk.path:
        src = _sub(el, 'source', **{'file' if disk.source_type == 'file' else 'dev': disk.path})
    if disk.slice_size and src is not None:
        _sub(_sub(src, 'slices'), 'slice', type='storage', offset=0, size=disk.slice_size)
    _sub(el, 'target', dev=disk.target, bus=disk.bus)
    if disk.readonly:
        _sub(el, 'readonly')
    if disk.serial:
        _sub(el, 'serial', disk.serial)
    if disk.boot_order:
        _sub(el, 'boot', order=disk.boot_order)
    return el


def disk_xml(disk):
    return _tostring(disk_element(disk))


def interface_element(iface, virt_type='kvm'):
    el = ET.Element('interface', {'type': 'bridge'})
    _sub(el, 'mac', address=iface.mac)
    _sub(el, 'source', bridge=iface.bridge)
    if iface.tap:               # the host side: a tap, or for LXC a veth
        _sub(el, 'target', dev=iface.tap)
    if iface.model and virt_type in ('qemu', 'kvm'):
        _sub(el, 'model', type=iface.model)
    if iface.mtu:
        _sub(el, 'mtu', size=iface.mtu)
    return el


def interface_xml(iface, virt_type='kvm'):
    return _tostring(interface_element(iface, virt_type))


def _metadata(root, dom):
    md = _sub(_sub(root, 'metadata'), '{%s}instance' % NS)
    owner = dom.owner
    if owner.get('display_name'):
        _sub(md, '{%s}name' % NS, owner['display_name'])
    flavor = owner.get('flavor')
    if flavor:
        fl = _sub(md, '{%s}flavor' % NS, name=flavor.name)
        for field in ('memory_mb', 'vcpus', 'root_gb', 'ephemeral_gb', 'swap'):
            _sub(fl, '{%s}%s' % (NS, field), getattr(flavor, field))
    own = _sub(md, '{%s}owner' % NS)
    _sub(own, '{%s}user' % NS, uuid=owner.get('user_id'))
    _sub(own, '{%s}project' % NS, uuid=owner.get('project_id'))
    if owner.get('image_id'):
        _sub(md, '{%s}image' % NS, uuid=owner['image_id'])


def domain_xml(dom):
    if dom.virt_type == 'lxc':
        return _lxc_xml(dom)
    root = ET.Element('domain', {'type': dom.virt_type})
    _sub(root, 'name', dom.name)
    _sub(root, 'uuid', dom.uuid)
    _metadata(root, dom)
    _sub(root, 'memory', dom.memory_mb * 1024, unit='KiB')
    _sub(root, 'vcpu', dom.vcpus)
    if dom.sysinfo and dom.virt_type in ('qemu', 'kvm'):
        sysinfo = _sub(root, 'sysinfo', type='smbios')
        system = _sub(sysinfo, 'system')
        for name, value in dom.sysinfo.items():
            _sub(system, 'entry', value, name=name)
    os_el = _sub(root, 'os')
    if dom.os_type == 'xen':
        _sub(os_el, 'type', 'xen', arch='x86_64')
    else:
        machine = dom.machine_type if dom.virt_type in ('qemu', 'kvm') else None
        _sub(os_el, 'type', 'hvm', arch='x86_64', machine=machine)
        if dom.virt_type == 'xen':
            _sub(os_el, 'loader', '/usr/lib/xen/boot/hvmloader', type='rom')
    if dom.kernel:
        _sub(os_el, 'kernel', dom.kernel)
        if dom.initrd:
            _sub(os_el, 'initrd', dom.initrd)
        if dom.cmdline:
            _sub(os_el, 'cmdline', dom.cmdline)
    elif dom.os_type != 'xen' and not any(d.boot_order for d in dom.disks):
        for dev in dom.boot_devs:
            _sub(os_el, 'boot', dev=dev)
    if dom.sysinfo and dom.virt_type in ('qemu', 'kvm'):
        _sub(os_el, 'smbios', mode='sysinfo')
    features = _sub(root, 'features')
    if dom.os_type != 'xen':
        _sub(features, 'acpi')
        _sub(features, 'apic')
    if dom.virt_type == 'xen' and dom.os_type != 'xen':
        _sub(features, 'pae')
    if dom.cpu_mode in ('host-model', 'host-passthrough'):
        _sub(root, 'cpu', mode=dom.cpu_mode)
    elif dom.cpu_mode == 'custom' and dom.cpu_model:
        cpu = _sub(root, 'cpu', mode='custom', match='exact')
        _sub(cpu, 'model', dom.cpu_model, fallback='allow')
    clock = _sub(root, 'clock', offset='utc')
    if dom.virt_type in ('qemu', 'kvm'):
        _sub(clock, 'timer', name='pit', tickpolicy='delay')
        _sub(clock, 'timer', name='rtc', tickpolicy='catchup')
        _sub(clock, 'timer', name='hpet', present='no')
    _sub(root, 'on_poweroff', 'destroy')
    _sub(root, 'on_reboot', 'restart')
    _sub(root, 'on_crash', 'destroy')
    devices = _sub(root, 'devices')
    for disk in dom.disks:
        devices.append(disk_element(disk))
    for iface in dom.interfaces:
        devices.append(interface_element(iface, dom.virt_type))
    _serial(devices, dom)
    if dom.vnc_listen and dom.virt_type in ('qemu', 'kvm', 'xen'):
        _sub(devices, 'graphics', type='vnc', autoport='yes', listen=dom.vnc_listen)
        if dom.virt_type != 'xen':
            _sub(_sub(devices, 'video'), 'model', type='virtio' if dom.virt_type == 'kvm'
                 else 'vga')
    if dom.virt_type in ('qemu', 'kvm'):
        if dom.guest_agent:
            ch = _sub(devices, 'channel', type='unix')
            _sub(ch, 'target', type='virtio', name='org.qemu.guest_agent.0')
        if dom.rng_path:
            rng = _sub(devices, 'rng', model='virtio')
            _sub(rng, 'backend', dom.rng_path, model='random')
        balloon = _sub(devices, 'memballoon', model='virtio')
        _sub(balloon, 'stats', period=10)
    return _tostring(root)


def _serial(devices, dom):
    if dom.serial_tcp:
        serial = _sub(devices, 'serial', type='tcp')
        _sub(serial, 'source', mode='bind', host=dom.serial_tcp[0], service=dom.serial_tcp[1])
        _sub(serial, 'protocol', type='raw')
    else:
        serial = _sub(devices, 'serial', type='pty')
    if dom.console_log and dom.virt_type in ('qemu', 'kvm'):
        # Appended: a reboot or a live migration's new QEMU keeps what came before
        # (virtlogd rotates the file); get_console_output returns its tail.
        _sub(serial, 'log', file=dom.console_log, append='on')
    _sub(serial, 'target', port=0)
    console = _sub(devices, 'console', type='pty')
    _sub(console, 'target', type='xen' if dom.os_type == 'xen' else 'serial', port=0)


def _lxc_xml(dom):
    root = ET.Element('domain', {'type': 'lxc'})
    _sub(root, 'name', dom.name)
    _sub(root, 'uuid', dom.uuid)
    _metadata(root, dom)
    _sub(root, 'memory', dom.memory_mb * 1024, unit='KiB')
    _sub(root, 'vcpu', dom.vcpus)
    os_el = _sub(root, 'os')
    _sub(os_el, 'type', 'exe')
    _sub(os_el, 'init', dom.init or '/sbin/init')
    # A network namespace of its own even without NICs: never the host's.
    _sub(_sub(root, 'features'), 'privnet')
    _sub(root, 'on_poweroff', 'destroy')
    _sub(root, 'on_reboot', 'restart')
    _sub(root, 'on_crash', 'destroy')
    devices = _sub(root, 'devices')
    fs = _sub(devices, 'filesystem', type='file', accessmode='passthrough')
    _sub(fs, 'driver', type='loop', format='raw')
    _sub(fs, 'source', file=dom.rootfs)
    _sub(fs, 'target', dir='/')
    for iface in dom.interfaces:
        devices.append(interface_element(iface, 'lxc'))
    _sub(_sub(devices, 'console', type='pty'), 'target', type='lxc', port=0)
    return _tostring(root)


# -- reading a domain's XML back -------------------------------------------------


def parse(xml):
    return ET.fromstring(xml)


def disk_targets(root):
    """{target dev: disk element} of a parsed domain."""
    return {d.find('target').get('dev'): d for d in root.iter('disk')
            if d.find('target') is not None}


def interface_macs(root):
    return {i.find('mac').get('address').lower(): i for i in root.iter('interface')
            if i.find('mac') is not None}


def pty_path(root, tag='console'):
    for el in root.find('devices').findall(tag):
        if el.get('type') == 'pty':
            src = el.find('source')
            if src is not None and src.get('path'):
                return src.get('path')
            if el.get('tty'):
                return el.get('tty')
    return None
