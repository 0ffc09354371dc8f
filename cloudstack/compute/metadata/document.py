"""What a guest learns about itself: one instance's metadata documents.

`InstanceMetadata(instance, network_info, extra)` is the one source of both
the metadata service (`app.py`) and the config drive (`configdrive.py`).
It takes plain data only:

- `instance`: the driver's `Instance` (virt/driver.py): uuid, hostname,
  flavor, project_id, metadata (the server's metadata), key_data, user_data,
  availability_zone, launch_index, image_ref and image_meta;
- `network_info`: the driver's list of VIF dicts, in device order;
- `extra`: `instance.extra` updated with the `extra` argument (every key
  optional), what a server has beyond `Instance`'s other fields:
    display_name      the server's name (default: the hostname)
    key_name          the name of key_data's key pair
    keys              [{'name', 'type': 'ssh' | 'x509', 'data'}] (default:
                      key_name/key_data as one ssh key)
    security_groups   [names] (EC2's security-groups)
    reservation_id    e.g. r-3fhpjulh
    ec2_id            the server's integer id, for EC2's i-%08x (default:
                      derived from the uuid)
    devices           tagged devices: [{'type': 'nic' | 'disk', 'bus',
                      'address', 'mac' | 'serial', 'tags': [...],
                      'vlan'?, 'vf_trusted'?}]
    root_device_name  e.g. /dev/vda
    admin_pass        written on the config drive only
    password          the encrypted password the guest posted earlier
    injected_files    [(path, bytes)] (legacy personality files)
    dedicated_cpus    [cpu numbers]
    vendor_data       dict, served as vendor_data.json (default: the
                      [metadata] vendor_data option)
    vendor_data2      dict of dynamic vendor data, served as vendor_data2.json
"""
import base64
import hashlib
import ipaddress
import json
import os

from cloudstack.conf import CONF

# The OpenStack format's versions, oldest first; each adds to the previous.
OPENSTACK_VERSIONS = ['2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15', '2016-06-30',
                      '2016-10-06', '2017-02-22', '2018-08-27', '2020-10-14']
RANDOM_SEED_SINCE = '2013-04-04'
VENDOR_DATA_SINCE = '2013-10-17'
NETWORK_DATA_SINCE = '2015-10-15'
DEVICES_SINCE = '2016-06-30'
VENDOR_DATA2_SINCE = '2016-10-06'
KEYS_SINCE = '2017-02-22'
PROJECT_ID_SINCE = '2018-08-27'
DEDICATED_CPUS_SINCE = '2020-10-14'
# The EC2 format's versions; they all serve the same tree here.
EC2_VERSIONS = ['1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10', '2007-12-15',
                '2008-02-01', '2008-09-01', '2009-04-04']
LATEST = 'latest'
MAX_PASSWORD_BYTES = 256


def openstack_version(name):
    """The OpenStack version a path names ('latest' is the newest), or None."""
    if name == LATEST:
        return OPENSTACK_VERSIONS[-1]
    return name if name in OPENSTACK_VERSIONS else None


def _since(version, first):
    return version >= first          # ISO dates compare as strings


def ec2_id(prefix, value):
    """An EC2 style id: prefix-%08x of an integer, or of a uuid's hash."""
    if not isinstance(value, int):
        value = int(hashlib.sha256(str(value).encode()).hexdigest()[:8], 16)
    return '%s-%08x' % (prefix, value)


class InstanceMetadata:
    def __init__(self, instance, network_info=None, extra=None):
        self.instance = instance
        self.network_info = list(network_info or [])
        self.extra = dict(getattr(instance, 'extra', None) or {}, **(extra or {}))

    # -- pieces ------------------------------------------------------------

    @property
    def display_name(self):
        return self.extra.get('display_name') or self.instance.hostname

    @property
    def hostname(self):
        """The server's hostname qualified with [compute] dhcp_domain, as
        Nova's metadata gives it."""
        host, domain = self.instance.hostname, CONF.compute.dhcp_domain
        return '%s.%s' % (host, domain) if host and domain else host

    @property
    def user_data(self):
        data = self.instance.user_data
        if isinstance(data, str):
            data = data.encode()
        return data or None

    def keys(self):
        keys = self.extra.get('keys')
        if keys is None and self.instance.key_data:
            keys = [{'name': self.extra.get('key_name') or 'key', 'type': 'ssh',
                     'data': self.instance.key_data}]
        return list(keys or [])

    def ssh_keys(self):
        return [k for k in self.keys() if k.get('type', 'ssh') == 'ssh']

    def fixed_ips(self, version=4):
        return [ip['address'] for vif in self.network_info
                for subnet in vif.get('network', {}).get('subnets', [])
                if subnet.get('version', 4) == version
                for ip in subnet.get('ips', [])]

    def floating_ips(self):
        found = []
        for vif in self.network_info:
            for subnet in vif.get('network', {}).get('subnets', []):
                for ip in subnet.get('ips', []):
                    for fip in ip.get('floating_ips', []):
                        found.append(fip['address'] if isinstance(fip, dict) else fip)
        return found

    # -- the OpenStack format ----------------------------------------------

    def meta_data(self, version=LATEST, config_drive=False):
        version = openstack_version(version) or OPENSTACK_VERSIONS[-1]
        inst = self.instance
        doc = {
            'uuid': inst.uuid,
            'meta': {str(k): str(v) for k, v in (inst.metadata or {}).items()},
            'hostname': self.hostname,
            'name': self.display_name,
            'launch_index': inst.launch_index,
            'availability_zone': inst.availability_zone,
        }
        keys = self.keys()
        ssh = self.ssh_keys()
        if ssh:
            doc['public_keys'] = {k['name']: k['data'] for k in ssh}
        if keys and _since(version, KEYS_SINCE):
            doc['keys'] = [{'name': k['name'], 'type': k.get('type', 'ssh'),
                            'data': k['data']} for k in keys]
        if config_drive and self.extra.get('admin_pass'):
            doc['admin_pass'] = self.extra['admin_pass']
        files = self.extra.get('injected_files') or []
        if files:
            doc['files'] = [{'path': path, 'content_path': '/content/%04d' % i}
                            for i, (path, _) in enumerate(files)]
        if _since(version, RANDOM_SEED_SINCE):
            doc['random_seed'] = base64.b64encode(os.urandom(512)).decode()
        if _since(version, DEVICES_SINCE):
            doc['devices'] = [dict(d) for d in self.extra.get('devices') or []]
        if _since(version, PROJECT_ID_SINCE):
            doc['project_id'] = inst.project_id
        if _since(version, DEDICATED_CPUS_SINCE) and self.extra.get('dedicated_cpus'):
            doc['dedicated_cpus'] = list(self.extra['dedicated_cpus'])
        return doc

    def network_data(self):
        """network_data.json: links (one per port), networks (one per subnet
        of a port), services (DNS servers)."""
        links, networks, services = [], [], []
        for vif in self.network_info:
            link_id = vif.get('devname') or 'tap' + vif['id'][:11]
            links.append({'id': link_id, 'vif_id': vif['id'],
                          'type': vif.get('vif_type') or 'bridge',
                          'mtu': vif.get('mtu'),
                          'ethernet_mac_address': vif.get('address')})
            net = vif.get('network') or {}
            for subnet in net.get('subnets', []):
                version = subnet.get('version', 4)
                dns = [{'type': 'dns', 'address': d} for d in subnet.get('dns', [])]
                for s in dns:
                    if s not in services:
                        services.append(s)
                ips = subnet.get('ips') or [{}]
                for ip in ips:
                    entry = {'id': 'network%d' % len(networks), 'link': link_id,
                             'network_id': net.get('id')}
                    if version == 4 and subnet.get('dhcp_server'):
                        entry['type'] = 'ipv4_dhcp'
                    elif version == 6 and subnet.get('ipv6_address_mode') in (
                            'slaac', 'dhcpv6-stateful', 'dhcpv6-stateless'):
                        entry['type'] = 'ipv6_' + subnet['ipv6_address_mode']
                    else:
                        entry['type'] = 'ipv%d' % version
                    if entry['type'] in ('ipv4', 'ipv6', 'ipv6_dhcpv6-stateful') and ip:
                        entry.update(self._static(subnet, ip['address'], version))
                        entry['services'] = dns
                    networks.append(entry)
        return {'links': links, 'networks': networks, 'services': services}

    @staticmethod
    def _static(subnet, address, version):
        net = ipaddress.ip_network(subnet['cidr'], strict=False)
        mask = str(net.netmask) if version == 4 else str(net.prefixlen)
        routes = []
        if subnet.get('gateway'):
            routes.append({'network': '0.0.0.0' if version == 4 else '::',
                           'netmask': '0.0.0.0' if version == 4 else '0',
                           'gateway': subnet['gateway']})
        for r in subnet.get('routes', []):
            dest = ipaddress.ip_network(r['destination'], strict=False)
            routes.append({'network': str(dest.network_address),
                           'netmask': str(dest.netmask) if version == 4 else str(dest.prefixlen),
                           'gateway': r['nexthop']})
        return {'ip_address': address, 'netmask': mask, 'routes': routes}

    def vendor_data(self):
        data = self.extra.get('vendor_data')
        return dict(CONF.metadata.vendor_data if data is None else data)

    def vendor_data2(self):
        return dict(self.extra.get('vendor_data2') or {})

    def openstack_files(self, version=LATEST, config_drive=False):
        """{name: bytes} of one version directory of the OpenStack format."""
        v = openstack_version(version) or OPENSTACK_VERSIONS[-1]
        files = {'meta_data.json': _json(self.meta_data(version, config_drive))}
        if _since(v, VENDOR_DATA_SINCE):
            files['vendor_data.json'] = _json(self.vendor_data())
        if _since(v, NETWORK_DATA_SINCE):
            files['network_data.json'] = _json(self.network_data())
        if _since(v, VENDOR_DATA2_SINCE):
            files['vendor_data2.json'] = _json(self.vendor_data2())
        if self.user_data:
            files['user_data'] = self.user_data
        return files

    # -- the EC2 format ----------------------------------------------------

    def ec2_meta_data(self):
        """The EC2 meta-data tree: nested dicts and lists of strings."""
        inst = self.instance
        v4 = self.fixed_ips(4)
        floating = self.floating_ips()
        hostname = self.hostname
        root = self.extra.get('root_device_name') or '/dev/vda'
        props = (inst.image_meta or {}).get('properties', {})
        tree = {
            'ami-id': ec2_id('ami', inst.image_ref or ''),
            'ami-launch-index': str(inst.launch_index),
            'ami-manifest-path': 'FIXME',
            'block-device-mapping': {'ami': os.path.basename(root), 'root': root},
            'hostname': hostname,
            'instance-action': 'none',
            'instance-id': ec2_id('i', self.extra.get('ec2_id', inst.uuid)),
            'instance-type': inst.flavor.name,
            'local-hostname': hostname,
            'local-ipv4': v4[0] if v4 else '',
            'placement': {'availability-zone': inst.availability_zone or ''},
            'public-hostname': hostname,
            'public-ipv4': floating[0] if floating else '',
            'reservation-id': self.extra.get('reservation_id') or '',
            'security-groups': '\n'.join(self.extra.get('security_groups') or []),
        }
        for prop, key, prefix in (('kernel_id', 'kernel-id', 'aki'),
                                  ('ramdisk_id', 'ramdisk-id', 'ari')):
            if props.get(prop):
                tree[key] = ec2_id(prefix, props[prop])
        ssh = self.ssh_keys()
        if ssh:     # listed as "0=name" (see ec2_listing), read as public-keys/0/openssh-key
            tree['public-keys'] = {str(i): {'openssh-key': k['data']} for i, k in enumerate(ssh)}
        return tree

    def ec2_listing(self, path, node):
        """The lines of a directory of the EC2 tree at `path` (a tuple)."""
        if path == ('public-keys',):
            return ['%d=%s' % (i, k['name']) for i, k in enumerate(self.ssh_keys())]
        return sorted(k + '/' if isinstance(v, dict) else k for k, v in node.items())

    def ec2_files(self):
        files = {'meta-data.json': _json(self.ec2_meta_data())}
        if self.user_data:
            files['user-data'] = self.user_data
        return files

    # -- the config drive ----------------------------------------------------

    def config_drive_files(self):
        """{path: bytes} of a config drive: both formats, every version."""
        files = {}
        for version in OPENSTACK_VERSIONS + [LATEST]:
            for name, data in self.openstack_files(version, config_drive=True).items():
                files['openstack/%s/%s' % (version, name)] = data
        for i, (_, content) in enumerate(self.extra.get('injected_files') or []):
            files['openstack/content/%04d' % i] = (content if isinstance(content, bytes)
                                                   else content.encode())
        for version in ('2009-04-04', LATEST):
            for name, data in self.ec2_files().items():
                files['ec2/%s/%s' % (version, name)] = data
        return files


def _json(doc):
    return json.dumps(doc, sort_keys=True).encode()
