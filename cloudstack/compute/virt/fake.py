"""The fake hypervisor: complete, deterministic and instant (snapshots wait
[fake_driver] snapshot_seconds, default none).

It keeps each instance as a small JSON file in its state directory, so that
what it "runs" outlives a restart of the agent (as a real hypervisor's
domains do) and tests can see exactly what a crash left behind.
"""
import contextlib
import json
import os
import time

from cloudstack import drivers
from cloudstack.conf import CONF
from cloudstack.compute.virt import driver, fake_serial, fake_vnc


# What the fake guest writes to its console when it starts.
BOOT_LOG = ['[    0.000000] Linux version 6.1.0-fake (cloudstack fake hypervisor)',
            '[    0.000000] Command line: console=ttyS0',
            '[    0.120000] Memory: available',
            '[    0.400000] Run /init as init process',
            'Starting network: OK',
            'checking http://169.254.169.254/2009-04-04/instance-id',
            'Starting dropbear sshd: OK',
            '=== system information ===']


def _record_volumes(record, block_device_info):
    """The guest's volumes are those block_device_info maps (and those it had)."""
    for bdm in (block_device_info or {}).get('block_device_mapping', []):
        record['volumes'][bdm['mount_device']] = bdm.get('volume_id')


class FakeDriver(driver.ComputeDriver):

    def __init__(self, host):
        super().__init__(host)
        self.state_dir = CONF.fake_driver.state_dir or os.path.join(
            CONF.data_dir, 'fake-virt', host)
        self.vnc = fake_vnc.Consoles(CONF.fake_driver.vnc_listen)
        self.serial = fake_vnc.Consoles(CONF.fake_driver.vnc_listen, fake_serial.serve_client)

    # State -----------------------------------------------------------------

    def _path(self, uuid):
        return os.path.join(self.state_dir, uuid + '.json')

    def _load(self, uuid):
        try:
            with open(self._path(uuid)) as f:
                return json.load(f)
        except FileNotFoundError:
            raise driver.InstanceNotFound()

    def _save(self, record):
        os.makedirs(self.state_dir, exist_ok=True)
        tmp = self._path(record['uuid']) + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(record, f)
        os.replace(tmp, self._path(record['uuid']))

    def _update(self, instance, **changes):
        record = self._load(instance.uuid)
        record.update(changes)
        self._save(record)
        return record

    def _log(self, instance, line):
        record = self._load(instance.uuid)
        record['console'].append(line)
        self._save(record)

    # The host --------------------------------------------------------------

    def init_host(self):
        os.makedirs(self.state_dir, exist_ok=True)

    def get_available_resource(self):
        records = [self._load(u) for u in self.list_instances()]
        return {'vcpus': CONF.fake_driver.vcpus, 'memory_mb': CONF.fake_driver.memory_mb,
                'local_gb': CONF.fake_driver.local_gb,
                'vcpus_used': sum(r['vcpus'] for r in records),
                'memory_mb_used': sum(r['memory_mb'] for r in records),
                'local_gb_used': sum(r['root_gb'] for r in records),
                'hypervisor_type': 'fake', 'hypervisor_version': 1000,
                'hypervisor_hostname': self.host,
                'cpu_info': json.dumps({'arch': 'x86_64', 'model': 'fake',
                                        'vendor': 'cloudstack',
                                        'topology': {'sockets': 1, 'cores': 1,
                                                     'threads': 1}}),
                'host_ip': '127.0.0.1'}

    def list_instances(self):
        try:
            names = os.listdir(self.state_dir)
        except FileNotFoundError:
            return []
        return sorted(n[:-5] for n in names if n.endswith('.json'))

    def get_info(self, instance):
        return {'power_state': self._load(instance.uuid)['power_state']}

    def get_connector(self):
        return {'host': self.host, 'ip': '127.0.0.1', 'platform': 'x86_64',
                'os_type': 'linux', 'multipath': False,
                'initiator': 'iqn.2004-10.org.cloudstack:%s' % self.host,
                'machine': drivers.this_machine()}

    # Life cycle --------------------------------------------------------------

    def spawn(self, context, instance, image, injected_files, admin_password,
              network_info, block_device_info, power_on=True):
        flavor = instance.flavor
        record = {'uuid': instance.uuid, 'name': instance.name,
                  'vcpus': flavor.vcpus, 'memory_mb': flavor.memory_mb,
                  'root_gb': flavor.root_gb, 'image': image.id if image else None,
                  'vifs': [v['id'] for v in network_info or []],
                  'volumes': {}, 'rescued': False, 'password': admin_password,
                  'power_state': driver.RUNNING if power_on else driver.SHUTDOWN,
                  'console': BOOT_LOG + ['%s login:' % instance.hostname]}
        with contextlib.suppress(driver.InstanceNotFound):
            old = self._load(instance.uuid)
            record['console'] = old['console'] + record['console']
            record['volumes'] = old.get('volumes', {})
        _record_volumes(record, block_device_info)
        self._save(record)

    def destroy(self, context, instance, network_info, block_device_info,
                destroy_disks=True):
        self.vnc.stop(instance.uuid)
        self.serial.stop(instance.uuid)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(instance.uuid))

    def reboot(self, context, instance, network_info, reboot_type,
               block_device_info=None):
        self._update(instance, power_state=driver.RUNNING)
        self._log(instance, '%s reboot' % reboot_type.lower())

    def power_off(self, instance, timeout=0, retry_interval=0):
        self._update(instance, power_state=driver.SHUTDOWN)

    def power_on(self, context, instance, network_info, block_device_info=None):
        self._update(instance, power_state=driver.RUNNING)

    def pause(self, instance):
        self._update(instance, power_state=driver.PAUSED)

    def unpause(self, instance):
        self._update(instance, power_state=driver.RUNNING)

    def suspend(self, context, instance):
        self._update(instance, power_state=driver.SUSPENDED)

    def resume(self, context, instance, network_info, block_device_info=None):
        self._update(instance, power_state=driver.RUNNING)

    def rescue(self, context, instance, network_info, image, rescue_password):
        self._update(instance, rescued=True, power_state=driver.RUNNING)

    def unrescue(self, context, instance):
        self._update(instance, rescued=False, power_state=driver.RUNNING)

    def rebuild(self, context, instance, image, injected_files, admin_password,
                network_info, block_device_info, preserve_ephemeral=False):
        self.spawn(context, instance, image, injected_files, admin_password,
                   network_info, block_device_info)

    def set_admin_password(self, instance, new_pass):
        self._update(instance, password=new_pass)

    def trigger_crash_dump(self, instance):
        self._log(instance, 'NMI received: crash dump')

    # Snapshots, resize and migration ---------------------------------------

    def snapshot(self, context, instance, upload):
        record = self._load(instance.uuid)
        time.sleep(CONF.fake_driver.snapshot_seconds)
        upload('raw', iter([('fake disk of %s\n' % record['uuid']).encode()]))

    def migrate_disk_and_power_off(self, context, instance, dest_host, flavor,
                                   network_info, block_device_info):
        self._update(instance, power_state=driver.SHUTDOWN)
        return json.dumps({'source': self.host})

    def finish_migration(self, context, migration, instance, disk_info,
                         network_info, image, resize_instance,
                         block_device_info, power_on=True):
        flavor = instance.flavor
        try:
            record = self._load(instance.uuid)
        except driver.InstanceNotFound:
            record = {'uuid': instance.uuid, 'name': instance.name, 'image': None,
                      'volumes': {}, 'rescued': False, 'password': None,
                      'console': []}
        record.update({'vcpus': flavor.vcpus, 'memory_mb': flavor.memory_mb,
                       'root_gb': flavor.root_gb,
                       'vifs': [v['id'] for v in network_info or []],
                       'power_state': driver.RUNNING if power_on else driver.SHUTDOWN})
        _record_volumes(record, block_device_info)
        self._save(record)

    def confirm_migration(self, context, migration, instance, network_info):
        if migration.get('source_compute') != migration.get('dest_compute'):
            self.destroy(context, instance, network_info, None)

    def finish_revert_migration(self, context, instance, network_info,
                                block_device_info, power_on=True):
        flavor = instance.flavor
        record = self._update(instance, vcpus=flavor.vcpus, memory_mb=flavor.memory_mb,
                              root_gb=flavor.root_gb,
                              power_state=driver.RUNNING if power_on else driver.SHUTDOWN)
        _record_volumes(record, block_device_info)
        self._save(record)

    def live_migration(self, context, instance, dest_host, block_migration,
                       migrate_data=None):
        self.destroy(context, instance, None, None)

    def post_live_migration_at_destination(self, context, instance, network_info,
                                           block_migration=False,
                                           block_device_info=None):
        self.finish_migration(context, None, instance, None, network_info, None,
                              False, block_device_info)

    # Devices ---------------------------------------------------------------

    def attach_volume(self, context, connection_info, instance, mountpoint,
                      disk_bus=None, device_type=None):
        record = self._load(instance.uuid)
        record['volumes'][mountpoint] = (connection_info.get('data') or {}).get('volume_id')
        self._save(record)

    def detach_volume(self, context, connection_info, instance, mountpoint):
        with contextlib.suppress(driver.InstanceNotFound):
            record = self._load(instance.uuid)
            record['volumes'].pop(mountpoint, None)
            self._save(record)

    def swap_volume(self, context, old_connection_info, new_connection_info, instance,
                    mountpoint, resize_to):
        record = self._load(instance.uuid)
        if mountpoint not in record['volumes']:
            raise driver.NotSupported('No volume is attached at %s.' % mountpoint)
        old = record['volumes'][mountpoint]
        new = (new_connection_info.get('data') or {}).get('volume_id')
        record['volumes'][mountpoint] = new
        # the "copy" the fake does: what a test can check
        record.setdefault('swaps', []).append({'mountpoint': mountpoint, 'old': old,
                                               'new': new, 'resize_to': resize_to})
        self._save(record)

    def extend_volume(self, context, connection_info, instance, new_size):
        self._load(instance.uuid)

    def volume_snapshot_create(self, context, instance, volume_id, create_info):
        record = self._load(instance.uuid)
        if volume_id not in record['volumes'].values():
            raise driver.NotSupported('Volume %s is not attached.' % volume_id)
        record.setdefault('volume_snapshots', {})[create_info['snapshot_id']] = {
            'volume_id': volume_id, 'new_file': create_info['new_file']}
        self._save(record)

    def volume_snapshot_delete(self, context, instance, volume_id, snapshot_id,
                               delete_info):
        record = self._load(instance.uuid)
        record.get('volume_snapshots', {}).pop(snapshot_id, None)
        self._save(record)

    def attach_interface(self, context, instance, image_meta, vif):
        record = self._load(instance.uuid)
        if vif['id'] not in record['vifs']:
            record['vifs'].append(vif['id'])
        self._save(record)

    def detach_interface(self, context, instance, vif):
        with contextlib.suppress(driver.InstanceNotFound):
            record = self._load(instance.uuid)
            if vif['id'] in record['vifs']:
                record['vifs'].remove(vif['id'])
            self._save(record)

    # Consoles and introspection ----------------------------------------------

    def get_console_output(self, context, instance):
        return ('\n'.join(self._load(instance.uuid)['console']) + '\n').encode()

    def get_vnc_console(self, context, instance):
        """A fake VNC server of the guest's (fake_vnc), in this process."""
        record = self._load(instance.uuid)
        host, port = self.vnc.address(instance.uuid, record.get('name') or instance.uuid)
        return {'host': host, 'port': port, 'internal_access_path': None}

    def get_serial_console(self, context, instance):
        """The guest's serial port (fake_serial: a getty's prompt and echo),
        in this process."""
        record = self._load(instance.uuid)
        host, port = self.serial.address(instance.uuid, instance.hostname or record['name'])
        return {'host': host, 'port': port}

    def get_diagnostics(self, instance):
        record = self._load(instance.uuid)
        return {'state': {driver.RUNNING: 'running', driver.PAUSED: 'paused',
                          driver.SHUTDOWN: 'shutdown', driver.SUSPENDED: 'suspended',
                          driver.CRASHED: 'crashed'}.get(record['power_state'], 'pending'),
                'driver': 'libvirt', 'hypervisor': 'fake', 'hypervisor_os': 'linux',
                'uptime': 46664, 'config_drive': False, 'num_cpus': record['vcpus'],
                'num_nics': len(record['vifs']), 'num_disks': 1 + len(record['volumes']),
                'memory_details': {'maximum': record['memory_mb'], 'used': 0},
                'cpu_details': [{'id': i, 'time': 17300000000, 'utilisation': 15}
                                for i in range(record['vcpus'])],
                'nic_details': [{'mac_address': None, 'rx_octets': 2070139,
                                 'rx_errors': 0, 'rx_drop': 0, 'rx_packets': 26701,
                                 'rx_rate': None, 'tx_octets': 140208, 'tx_errors': 0,
                                 'tx_drop': 0, 'tx_packets': 662, 'tx_rate': None}
                                for _ in record['vifs']],
                'disk_details': [{'read_bytes': 262144, 'read_requests': 112,
                                  'write_bytes': 5778432, 'write_requests': 488,
                                  'errors_count': 1}]}
