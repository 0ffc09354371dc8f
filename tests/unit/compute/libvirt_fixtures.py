"""Shared builders for the libvirt driver and metadata unit tests."""
from cloudstack.compute.virt import driver

FLAVOR = driver.Flavor(name='m1.tiny', vcpus=1, memory_mb=256, root_gb=1)


def instance(**kw):
    fields = dict(uuid='6e0d4a2b-1c3f-4e5a-9b7d-0a1b2c3d4e5f', name='instance-0000002a',
                  hostname='web-1', flavor=FLAVOR, project_id='proj-1', user_id='user-1',
                  image_ref='img-1', image_meta={'disk_format': 'qcow2', 'properties': {}},
                  metadata={'role': 'web'}, key_data='ssh-ed25519 AAAAC3Nza me@laptop',
                  user_data=b'#!/bin/sh\necho hi\n', availability_zone='nova',
                  extra={'display_name': 'Web One', 'key_name': 'mykey'})
    fields.update(kw)
    return driver.Instance(**fields)


def vif(port_id='0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0', mac='fa:16:3e:11:22:33',
        address='10.0.0.5', dhcp=True, floating=None, v6=None):
    subnets = [{'cidr': '10.0.0.0/24', 'version': 4, 'gateway': '10.0.0.1',
                'dns': ['10.0.0.2'], 'routes': [{'destination': '192.168.0.0/16',
                                                'nexthop': '10.0.0.254'}],
                'ips': [{'address': address,
                         'floating_ips': [{'address': floating}] if floating else []}],
                'dhcp_server': '10.0.0.2' if dhcp else None}]
    if v6:
        subnets.append({'cidr': 'fd00::/64', 'version': 6, 'gateway': 'fd00::1', 'dns': [],
                        'routes': [], 'ips': [{'address': v6}], 'dhcp_server': None,
                        'ipv6_address_mode': 'slaac'})
    return {'id': port_id, 'address': mac, 'devname': 'tap' + port_id[:11],
            'bridge': 'brq' + 'net-1234567'[:11], 'mtu': 1450, 'vif_type': 'bridge',
            'active': True, 'network': {'id': 'net-12345678', 'label': 'private',
                                        'subnets': subnets}}
