"""Volumes as logical volumes of an LVM volume group, for real hosts.

[volume] lvm_volume_group holds volume-<id> and snapshot-<id>; with lvm_type
thin they are thin volumes of the pool <vg>-pool (created when missing) and
snapshots are thin snapshots (instant, copy-on-write); with lvm_type default
they are plain volumes and snapshots are full copies. Needs the lvm2 tools
and device-mapper: the tests of this driver skip on hosts without them.
"""
import contextlib
import os
import shutil

from cloudstack import exception
from cloudstack.volume import qemu
from cloudstack.volume.drivers import base


class LVMDriver(base.VolumeDriver):

    def __init__(self, conf, backend, host):
        super().__init__(conf, backend, host)
        self.vg = conf.volume.lvm_volume_group
        self.thin = conf.volume.lvm_type == 'thin'
        self.pool = '%s-pool' % self.vg

    def _lv(self, name):
        return '%s/%s' % (self.vg, name)

    def _dev(self, name):
        return '/dev/%s/%s' % (self.vg, name)

    def _lvs(self):
        _, out, _ = qemu.run(['lvs', '--noheadings', '--units', 'b', '--nosuffix',
                              '-o', 'lv_name,lv_size', self.vg])
        found = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2:
                found[parts[0]] = int(float(parts[1]))
        return found

    def setup(self):
        for tool in ('lvcreate', 'lvs', 'vgs', qemu.QEMU_IMG):
            if shutil.which(tool) is None:
                raise RuntimeError('the lvm volume driver needs %s' % tool)
        if not os.path.exists('/dev/mapper/control'):
            raise RuntimeError('the lvm volume driver needs device-mapper')
        qemu.run(['vgs', self.vg])
        if self.thin and self.pool not in self._lvs():
            qemu.run(['lvcreate', '-y', '-T', '-l', '95%FREE', self._lv(self.pool)])

    def stats(self):
        _, out, _ = qemu.run(['vgs', '--noheadings', '--units', 'b', '--nosuffix',
                              '-o', 'vg_size,vg_free', self.vg])
        total, free = (int(float(x)) for x in out.split()[:2])
        if self.thin:
            _, out, _ = qemu.run(['lvs', '--noheadings', '--units', 'b', '--nosuffix',
                                  '-o', 'lv_size,data_percent', self._lv(self.pool)])
            size, used = out.split()[:2]
            total = int(float(size))
            free = int(total * (1 - float(used) / 100.0))
        return {
            'vendor_name': self.vendor_name, 'driver_version': self.driver_version,
            'total_capacity_gb': round(total / base.GiB, 2),
            'free_capacity_gb': round(free / base.GiB, 2),
            'reserved_percentage': self.conf.volume.reserved_percentage,
            'thin_provisioning_support': self.thin,
            'thick_provisioning_support': not self.thin,
            'max_over_subscription_ratio': self.conf.volume.max_over_subscription_ratio,
            'multiattach': True, 'online_extend_support': True, 'QoS_support': False,
        }

    def volume_format(self):
        return 'raw'

    def path(self, volume):
        return self._dev(volume.get('provider_location') or self.volume_name(volume['id']))

    def exists(self, volume):
        return self.volume_name(volume['id']) in self._lvs()

    def list_names(self):
        return sorted(n for n in self._lvs() if n != self.pool)

    def _create_lv(self, name, size_gb):
        if name in self._lvs():
            return
        if self.thin:
            qemu.run(['lvcreate', '-y', '-T', self._lv(self.pool), '-V', '%dg' % size_gb,
                      '-n', name])
        else:
            qemu.run(['lvcreate', '-y', '-L', '%dg' % size_gb, '-n', name, self.vg])

    def create(self, volume):
        self._create_lv(self.volume_name(volume['id']), volume['size'])
        return self.volume_name(volume['id'])

    def _fill(self, volume, source, source_fmt):
        # A rerun copies again: an earlier copy may have been cut short.
        name = self.volume_name(volume['id'])
        self._create_lv(name, volume['size'])
        qemu.run([qemu.QEMU_IMG, 'convert', '-q', '-n', '-f', source_fmt, '-O', 'raw',
                  source, self._dev(name)])
        qemu.fsync_path(self._dev(name))
        return name

    def create_from_image(self, volume, image_path, image_format):
        return self._fill(volume, image_path, image_format)

    def create_from_snapshot(self, volume, snapshot):
        return self._fill(volume, self._dev(self.snapshot_name(snapshot['id'])), 'raw')

    def clone(self, volume, source):
        return self._fill(volume, self.path(source), 'raw')

    def _remove(self, name):
        if name in self._lvs():
            qemu.run(['lvremove', '-f', self._lv(name)])

    def delete(self, volume):
        self._remove(self.volume_name(volume['id']))

    def extend(self, volume, new_size):
        qemu.run(['lvextend', '-L', '%dg' % new_size, self._lv(self.volume_name(volume['id']))])

    def create_snapshot(self, snapshot, volume):
        name = self.snapshot_name(snapshot['id'])
        if name not in self._lvs():
            if self.thin:
                qemu.run(['lvcreate', '-y', '-s', '-kn', '-n', name,
                          self._lv(self.volume_name(volume['id']))])
            else:
                self._create_lv(name, volume['size'])
                qemu.run([qemu.QEMU_IMG, 'convert', '-q', '-n', '-f', 'raw', '-O', 'raw',
                          self.path(volume), self._dev(name)])
        return name

    def delete_snapshot(self, snapshot):
        self._remove(self.snapshot_name(snapshot['id']))

    def revert(self, volume, snapshot):
        qemu.run([qemu.QEMU_IMG, 'convert', '-q', '-n', '-f', 'raw', '-O', 'raw',
                  self._dev(self.snapshot_name(snapshot['id'])), self.path(volume)])
        qemu.fsync_path(self.path(volume))

    @contextlib.contextmanager
    def raw_reader(self, item, kind='volume'):
        yield self.path(item) if kind == 'volume' else self._dev(
            self.snapshot_name(item['id']))

    @contextlib.contextmanager
    def raw_writer(self, volume):
        qemu.run(['blkdiscard', '--zeroout', self.path(volume)])
        yield self.path(volume)
        qemu.fsync_path(self.path(volume))

    def manage_existing(self, volume, ref):
        name = (ref or {}).get('source-name')
        sizes = self._lvs()
        if name not in sizes:
            raise exception.BadRequest('Manage existing: %s not found in %s.'
                                       % (name, self.vg))
        qemu.run(['lvrename', self.vg, name, self.volume_name(volume['id'])])
        return -(-sizes[name] // base.GiB)

    def manage_existing_snapshot(self, snapshot, ref):
        name = (ref or {}).get('source-name')
        sizes = self._lvs()
        if name not in sizes:
            raise exception.BadRequest('Manage existing: %s not found in %s.'
                                       % (name, self.vg))
        qemu.run(['lvrename', self.vg, name, self.snapshot_name(snapshot['id'])])
        return -(-sizes[name] // base.GiB)
