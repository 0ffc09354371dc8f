"""A fake volume driver for tests: complete, deterministic, instant.

It remembers volumes and snapshots (name -> size in GiB, and what they were
made from) in memory, per backend; their data reads as zeros."""
import contextlib
import os
import tempfile

from cloudstack import exception
from cloudstack.volume.drivers import base

STORE = {}      # backend -> {name: {'size': GiB, 'from': origin}}


class FakeDriver(base.VolumeDriver):

    def __init__(self, conf, backend, host):
        super().__init__(conf, backend, host)
        self.items = STORE.setdefault(backend, {})

    def setup(self):
        pass

    def stats(self):
        return {'vendor_name': self.vendor_name, 'driver_version': self.driver_version,
                'total_capacity_gb': 1000.0, 'free_capacity_gb': 1000.0,
                'reserved_percentage': 0, 'thin_provisioning_support': True,
                'max_over_subscription_ratio': 20.0, 'multiattach': True,
                'online_extend_support': True, 'QoS_support': False}

    def volume_format(self):
        return 'raw'

    def path(self, volume):
        return '/dev/fake/%s' % self.volume_name(volume['id'])

    def exists(self, volume):
        return self.volume_name(volume['id']) in self.items

    def list_names(self):
        return sorted(self.items)

    def list_manageable(self, kind='volume'):
        return [{'name': name, 'size': item['size']} for name, item in sorted(self.items.items())
                if name.startswith(kind + '-')]

    def _add(self, name, size, origin):
        self.items.setdefault(name, {'size': size, 'from': origin})
        return name

    def create(self, volume):
        return self._add(self.volume_name(volume['id']), volume['size'], None)

    def create_from_image(self, volume, image_path, image_format):
        return self._add(self.volume_name(volume['id']), volume['size'],
                         ('image', image_format))

    def create_from_snapshot(self, volume, snapshot):
        return self._add(self.volume_name(volume['id']), volume['size'],
                         ('snapshot', snapshot['id']))

    def clone(self, volume, source):
        return self._add(self.volume_name(volume['id']), volume['size'],
                         ('volume', source['id']))

    def delete(self, volume):
        self.items.pop(self.volume_name(volume['id']), None)

    def extend(self, volume, new_size):
        self.items[self.volume_name(volume['id'])]['size'] = new_size

    def create_snapshot(self, snapshot, volume):
        return self._add(self.snapshot_name(snapshot['id']), volume['size'],
                         ('volume', volume['id']))

    def delete_snapshot(self, snapshot):
        self.items.pop(self.snapshot_name(snapshot['id']), None)

    def revert(self, volume, snapshot):
        self.items[self.volume_name(volume['id'])]['from'] = ('snapshot', snapshot['id'])

    @contextlib.contextmanager
    def raw_reader(self, item, kind='volume'):
        fd, path = tempfile.mkstemp(prefix='fake-volume-')
        try:
            os.ftruncate(fd, item['size'] * base.GiB)
            os.close(fd)
            yield path
        finally:
            os.unlink(path)

    @contextlib.contextmanager
    def raw_writer(self, volume):
        fd, path = tempfile.mkstemp(prefix='fake-volume-')
        os.close(fd)
        try:
            yield path
        finally:
            os.unlink(path)

    def manage_existing(self, volume, ref):
        name = (ref or {}).get('source-name')
        if name not in self.items:
            raise exception.BadRequest('Manage existing: %s not found.' % name)
        self.items[self.volume_name(volume['id'])] = self.items.pop(name)
        return self.items[self.volume_name(volume['id'])]['size']

    def manage_existing_snapshot(self, snapshot, ref):
        name = (ref or {}).get('source-name')
        if name not in self.items:
            raise exception.BadRequest('Manage existing: %s not found.' % name)
        self.items[self.snapshot_name(snapshot['id'])] = self.items.pop(name)
        return self.items[self.snapshot_name(snapshot['id'])]['size']
