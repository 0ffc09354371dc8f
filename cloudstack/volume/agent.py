"""The volume agent: the per-host work of Block Storage.

It holds this host's backends (a volume driver each, [volume]
enabled_backends) and its target driver, and carries out the tasks the
manager addresses to this host: making, copying, growing, snapshotting and
deleting volumes, exporting them to hypervisors, backing them up to Object
Storage and restoring them, uploading them to Image. Every task first reads
what the database says is wanted and does nothing when that is done already,
so a task run again after a crash finishes the job; its last step writes the
new status in one transaction.

On start (and after a crash) it sets its backends up, settles resources left
in transitional states (their lifecycles: manager/recovery.py) and makes its
iSCSI targets match the database (resync): targets nobody wants go, missing ones come back.
"""
import contextlib
import logging
import os
import tempfile

import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack import context as cs_context
from cloudstack import drivers as cs_drivers
from cloudstack import exception
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.tasks import agents
from cloudstack.volume import backup as backup_io
from cloudstack.volume import models, qemu
from cloudstack.volume.drivers import base as driver_base
from cloudstack.volume.manager import base as mbase
from cloudstack.volume.manager import quotas as quota_area

LOG = logging.getLogger(__name__)

DRIVERS = 'cloudstack.volume.drivers'
TARGETS = 'cloudstack.volume.targets'
GiB = driver_base.GiB
IMAGE_CHUNK = 1024 * 1024
# A volume's metadata and attachments load only when used (not selectin).
LAZY = (orm.lazyload('*'),)


def _manager():
    from cloudstack.volume import manager
    return manager.get()


def _admin():
    return cs_context.RequestContext.admin()


def volume_dict(row):
    return {'id': row.id, 'size': row.size, 'provider_location': row.provider_location,
            'name': row.name, 'host': row.host}


def snapshot_dict(row):
    return {'id': row.id, 'size': row.volume_size, 'volume_id': row.volume_id,
            'provider_location': row.provider_location}


class Agent:
    """This host's backends and target, and the tasks' bodies."""

    def __init__(self, host=None):
        self.host = host or mbase.this_host()
        self.drivers = {}
        # Driver and target calls block (disk I/O, subprocesses): they run in
        # OS threads, so the engine's other tasks and heartbeats go on.
        for backend, name in (CONF.volume.enabled_backends or {}).items():
            cls = cs_drivers.load(DRIVERS, name)
            self.drivers[backend] = qemu.Threaded(cls(CONF, backend, self.host))
        self.target = qemu.Threaded(
            cs_drivers.load(TARGETS, CONF.volume.target_driver)(CONF, self.host))
        self.ready = False

    # --- start ------------------------------------------------------------------
    def setup(self):
        for backend, driver in self.drivers.items():
            if driver.volume_format() != 'raw' and self.target.protocol == 'iSCSI':
                raise RuntimeError('backend %s keeps %s volumes; iSCSI targets export '
                                   'raw data only (use target_driver local)'
                                   % (backend, driver.volume_format()))
            driver.setup()
        self.target.setup()
        self.ready = True

    def pool_name(self, backend):
        return '%s@%s#%s' % (self.host, backend, backend)

    def report(self):
        """Every backend's pool and capabilities, stored for the scheduler."""
        pools = []
        for backend, driver in self.drivers.items():
            try:
                caps = driver.stats()
            except Exception:
                LOG.exception('backend %s did not report its capacity', backend)
                continue
            caps.update(volume_backend_name=backend, pool_name=backend,
                        storage_protocol=self.target.protocol)
            pools.append({'name': self.pool_name(backend), 'backend': backend,
                          'availability_zone': CONF.volume.storage_availability_zone,
                          'capabilities': caps})
        _manager().report_pools(self.host, pools)
        return pools

    def resync(self):
        """Exports match the database: the targets of volumes here that have
        an exported attachment, and no others of ours."""
        wanted = {}
        with db_api.reader() as s:
            for row in s.scalars(sa.select(models.Volume).where(
                    models.Volume.host.startswith(self.host + '@'))):
                live = [a for a in row.attachments if a.connection_info
                        and a.attach_status in ('attaching', 'attached', 'detaching')]
                driver = self._driver(row.host, missing_ok=True)
                if live and driver is not None:
                    wanted[row.id] = (driver.path(volume_dict(row)),
                                      driver.volume_format(), row.provider_auth)
        added, removed = self.target.resync(wanted)
        if added or removed:
            LOG.info('targets resynced: %d re-created, %d removed', len(added),
                     len(removed))
        return added, removed

    def _driver(self, host, missing_ok=False):
        name, backend, _ = mbase.split_host(host)
        driver = self.drivers.get(backend) if name == self.host else None
        if driver is None and not missing_ok:
            raise exception.NotFound('Backend %s is not served by the volume agent of '
                                     'host %s.' % (host, self.host))
        return driver

    # --- state changes ----------------------------------------------------------
    @staticmethod
    def _fail_volume(volume_id, status, text, event='VOLUME_000001', restore=False):
        with db_api.writer() as s:
            row = s.get(models.Volume, volume_id, with_for_update=True)
            if row is None:
                return
            row.status = (row.previous_status or 'available') if restore else status
            row.task_id = None
            row.updated_at = utcnow()
            mbase.Base._message(s, row.project_id, 'VOLUME', row.id, event, text)
            if row.group_id:
                _manager()._group_settle(s, row.group_id)

    # --- volumes ------------------------------------------------------------------
    def create_volume(self, volume_id):
        with db_api.reader() as s:
            row = s.get(models.Volume, volume_id, options=LAZY)
            if row is None or row.status != 'creating':
                return
            vol = volume_dict(row)
            snap = s.get(models.Snapshot, row.snapshot_id) if row.snapshot_id else None
            src = s.get(models.Volume, row.source_volid) if row.source_volid else None
            snap = snap and snapshot_dict(snap)
            src_host, src = (src.host, volume_dict(src)) if src else (None, None)
            image_id = row.image_id
        driver = self._driver(vol['host'])
        try:
            if snap is not None:
                location = driver.create_from_snapshot(vol, snap)
            elif src is not None:
                location = self._driver(src_host).clone(vol, src) \
                    if src_host == vol['host'] else self._driver(src_host).copy_to(
                        src, vol, driver)
            elif image_id:
                location = self._from_image(driver, vol, image_id)
            else:
                location = driver.create(vol)
        except Exception as exc:
            LOG.exception('creating volume %s failed', volume_id)
            with contextlib.suppress(Exception):
                driver.delete(vol)
            self._fail_volume(volume_id, 'error', 'create volume:%s' % _reason(exc))
            raise tasks.Permanent(str(exc))
        with db_api.writer() as s:
            row = s.get(models.Volume, volume_id, with_for_update=True, options=LAZY)
            if row is None or row.status != 'creating':
                return
            row.status, row.provider_location, row.task_id = 'available', location, None
            row.launched_at = row.updated_at = utcnow()
            if row.group_id:
                _manager()._group_settle(s, row.group_id)

    @contextlib.contextmanager
    def _image_file(self, image):
        """A local file with the image's data: the image store's own file when
        it is on this host ([volume] allowed_direct_url_schemes), else a
        download to scratch space."""
        location = image.get('location') or ''
        if 'file' in CONF.volume.allowed_direct_url_schemes and \
                location.startswith('file://'):
            path = location[len('file://'):]
            with contextlib.suppress(OSError):
                if os.path.getsize(path) == int(image.get('size') or -1):
                    yield path
                    return
        from cloudstack.image import manager as image_manager
        scratch = CONF.volume.image_conversion_dir or os.path.join(
            CONF.data_dir, 'volume-conversion')
        os.makedirs(scratch, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=scratch, prefix='image-')
        try:
            _, chunks = image_manager.get().download(_admin(), image['id'])
            if chunks is None:
                raise exception.BadRequest('Image %s has no data.' % image['id'])
            with os.fdopen(fd, 'wb') as f:
                for chunk in chunks:
                    f.write(chunk)
            yield tmp
        finally:
            qemu.remove(tmp)

    def _from_image(self, driver, vol, image_id):
        from cloudstack.image import manager as image_manager
        image = image_manager.get().get_image(_admin(), image_id)
        with self._image_file(image) as path:
            fmt, virtual = qemu.check_image(path, image.get('disk_format') or 'raw')
            if virtual > vol['size'] * GiB:
                raise exception.BadRequest('Image virtual size %d is larger than the '
                                           'volume (%d GiB).' % (virtual, vol['size']))
            return driver.create_from_image(vol, path, fmt)

    def delete_volume(self, volume_id):
        with db_api.reader() as s:
            row = s.get(models.Volume, volume_id)
            if row is None or row.status != 'deleting':
                return
            vol = volume_dict(row)
            snaps = [snapshot_dict(sn) for sn in s.scalars(sa.select(models.Snapshot).where(
                models.Snapshot.volume_id == volume_id))]
        driver = self._driver(vol['host'])
        try:
            self.target.unexport(volume_id)
            for snap in snaps:
                driver.delete_snapshot(snap)
            driver.delete(vol)
        except Exception as exc:
            LOG.exception('deleting volume %s failed', volume_id)
            self._fail_volume(volume_id, 'error_deleting', 'delete volume:%s' % _reason(exc))
            raise tasks.Permanent(str(exc))
        with db_api.writer() as s:
            row = s.get(models.Volume, volume_id, with_for_update=True)
            if row is None or row.status != 'deleting':
                return
            mgr = _manager()
            for snap in s.scalars(sa.select(models.Snapshot).where(
                    models.Snapshot.volume_id == volume_id).with_for_update()):
                mgr._finish_snapshot_delete(s, snap)
            group_id = row.group_id
            mgr._finish_delete(s, row)
            s.flush()
            if group_id:
                mgr._group_settle(s, group_id)

    def extend_volume(self, volume_id, new_size):
        with db_api.reader() as s:
            row = s.get(models.Volume, volume_id)
            if row is None or row.status != 'extending':
                return
            vol = volume_dict(row)
            servers = [a.instance_uuid for a in row.attachments
                       if a.attach_status == 'attached' and a.instance_uuid]
        driver = self._driver(vol['host'])
        try:
            driver.extend(vol, new_size)
            if servers:
                self.target.refresh(volume_id, driver.path(vol))
        except Exception as exc:
            LOG.exception('extending volume %s failed', volume_id)
            with db_api.writer() as s:
                row = s.get(models.Volume, volume_id, with_for_update=True)
                vtype = s.get(models.VolumeType, row.volume_type_id) \
                    if row.volume_type_id else None
                _manager()._release(s, row.project_id, quota_area.usage_deltas(
                    new_size - row.size, type_name=vtype and vtype.name))
            self._fail_volume(volume_id, 'error_extending', 'extend volume:%s'
                              % _reason(exc), event='VOLUME_000004')
            raise tasks.Permanent(str(exc))
        with db_api.writer() as s:
            row = s.get(models.Volume, volume_id, with_for_update=True)
            if row is None or row.status != 'extending':
                return
            row.size = new_size
            row.status, row.task_id = row.previous_status or 'available', None
            row.updated_at = utcnow()
        if servers:
            notify_compute(volume_id, servers)

    def revert_volume(self, volume_id, snapshot_id):
        with db_api.reader() as s:
            row = s.get(models.Volume, volume_id)
            snap = s.get(models.Snapshot, snapshot_id)
            if row is None or row.status != 'reverting' or snap is None:
                return
            vol, snap = volume_dict(row), snapshot_dict(snap)
        try:
            self._driver(vol['host']).revert(vol, snap)
            status = 'available'
        except Exception as exc:
            LOG.exception('reverting volume %s failed', volume_id)
            status = 'error'
            self._fail_volume(volume_id, 'error', 'revert volume:%s' % _reason(exc))
        with db_api.writer() as s:
            row = s.get(models.Volume, volume_id, with_for_update=True)
            snap = s.get(models.Snapshot, snapshot_id, with_for_update=True)
            if row is not None and row.status == 'reverting':
                row.status, row.task_id = status, None
            if snap is not None and snap.status == 'restoring':
                snap.status = 'available'

    def reimage_volume(self, volume_id, image_id):
        with db_api.reader() as s:
            row = s.get(models.Volume, volume_id)
            if row is None or row.status != 'downloading':
                return
            vol = volume_dict(row)
        driver = self._driver(vol['host'])
        try:
            scratch = dict(vol, id='reimage-%s' % volume_id, provider_location=None)
            driver.delete(scratch)
            self._from_image(driver, scratch, image_id)
            with driver.raw_reader(scratch) as src, driver.raw_writer(vol) as dst:
                qemu.run([qemu.QEMU_IMG, 'convert', '-q', '-n', '-f', 'raw', '-O', 'raw',
                          src, dst])
            driver.delete(scratch)
        except Exception as exc:
            LOG.exception('re-imaging volume %s failed', volume_id)
            self._fail_volume(volume_id, 'error', 'reimage volume:%s' % _reason(exc))
            raise tasks.Permanent(str(exc))
        with db_api.writer() as s:
            row = s.get(models.Volume, volume_id, with_for_update=True)
            if row is not None and row.status == 'downloading':
                row.status = row.previous_status if row.previous_status in (
                    'available', 'reserved') else 'available'
                row.task_id, row.bootable = None, True

    def upload_image(self, volume_id, image_id, disk_format):
        from cloudstack.image import manager as image_manager
        with db_api.reader() as s:
            row = s.get(models.Volume, volume_id)
            if row is None or row.status != 'uploading':
                return
            vol = volume_dict(row)
        driver = self._driver(vol['host'])
        images = image_manager.get()
        try:
            with driver.raw_reader(vol) as raw, self._converted(raw, disk_format) as path:
                size = os.path.getsize(path)
                images.upload(_admin(), image_id, _file_chunks(path), size)
        except Exception as exc:
            LOG.exception('uploading volume %s to image %s failed', volume_id, image_id)
            with contextlib.suppress(Exception):
                images.delete_image(_admin(), image_id)
            self._fail_volume(volume_id, None, 'copy volume to image:%s' % _reason(exc),
                              event='VOLUME_000005', restore=True)
            raise tasks.Permanent(str(exc))
        with db_api.writer() as s:
            row = s.get(models.Volume, volume_id, with_for_update=True)
            if row is not None and row.status == 'uploading':
                row.status, row.task_id = row.previous_status or 'available', None
                row.updated_at = utcnow()

    @contextlib.contextmanager
    def _converted(self, raw, disk_format):
        if disk_format == 'raw':
            yield raw
            return
        scratch = CONF.volume.image_conversion_dir or os.path.join(
            CONF.data_dir, 'volume-conversion')
        os.makedirs(scratch, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=scratch, prefix='upload-')
        os.close(fd)
        try:
            qemu.convert(raw, 'raw', tmp, qemu.IMAGE_FORMATS.get(disk_format, disk_format))
            yield tmp
        finally:
            qemu.remove(tmp)

    def migrate_volume(self, volume_id, destination, new_type_id=None):
        with db_api.reader() as s:
            row = s.get(models.Volume, volume_id)
            if row is None or row.migration_status != 'migrating':
                return
            vol = volume_dict(row)
        source = self._driver(vol['host'])
        try:
            target = self._driver(destination)
            target_vol = dict(vol, host=destination, provider_location=None)
            location = source.copy_to(vol, target_vol, target)
        except Exception as exc:
            LOG.exception('migrating volume %s failed', volume_id)
            with db_api.writer() as s:
                row = s.get(models.Volume, volume_id, with_for_update=True)
                row.migration_status = 'error'
                row.status, row.task_id = row.previous_status or 'available', None
                mbase.Base._message(s, row.project_id, 'VOLUME', row.id, 'VOLUME_000006',
                                    'migrate volume:%s' % _reason(exc))
            raise tasks.Permanent(str(exc))
        with db_api.writer() as s:
            row = s.get(models.Volume, volume_id, with_for_update=True)
            if row is None or row.migration_status != 'migrating':
                return
            row.host, row.provider_location = destination, location
            row.migration_status = 'success'
            target = s.get(models.VolumeType, new_type_id) if new_type_id else None
            if target is not None:
                _manager()._retype_row(s, row, target)
            if row.status in ('retyping', 'maintenance'):
                row.status = row.previous_status or 'available'
            row.task_id = None
            row.updated_at = utcnow()
        source.delete(vol)

    def manage_volume(self, volume_id, ref):
        with db_api.reader() as s:
            row = s.get(models.Volume, volume_id)
            if row is None or row.status != 'creating':
                return
            vol = volume_dict(row)
        try:
            size = self._driver(vol['host']).manage_existing(vol, ref)
        except Exception as exc:
            LOG.exception('managing volume %s failed', volume_id)
            self._fail_volume(volume_id, 'error_managing', 'manage existing volume:%s'
                              % _reason(exc))
            raise tasks.Permanent(str(exc))
        with db_api.writer() as s:
            row = s.get(models.Volume, volume_id, with_for_update=True)
            if row is None or row.status != 'creating':
                return
            vtype = s.get(models.VolumeType, row.volume_type_id) \
                if row.volume_type_id else None
            try:
                _manager()._reserve(s, row.project_id, quota_area.usage_deltas(
                    size, volumes=1, type_name=vtype and vtype.name))
            except mbase.OverQuota:
                row.use_quota = False
            row.size, row.status, row.task_id = size, 'available', None
            row.provider_location = self._driver(row.host).volume_name(row.id)

    def unmanage_volume(self, volume_id):
        with db_api.reader() as s:
            row = s.get(models.Volume, volume_id)
            if row is None or row.status != 'deleting':
                return
            vol = volume_dict(row)
        self.target.unexport(volume_id)
        self._driver(vol['host']).unmanage(vol)
        with db_api.writer() as s:
            row = s.get(models.Volume, volume_id, with_for_update=True)
            if row is not None and row.status == 'deleting':
                _manager()._finish_delete(s, row)

    def list_manageable(self, backend_host, kind):
        return self._driver(backend_host).list_manageable(kind)

    # --- exports ----------------------------------------------------------------------
    def export(self, volume_id, connector):
        with db_api.reader() as s:
            row = s.get(models.Volume, volume_id)
            if row is None:
                raise exception.NotFound('Volume %s could not be found.' % volume_id)
            vol, auth = volume_dict(row), row.provider_auth
        driver = self._driver(vol['host'])
        return self.target.export(volume_id, driver.path(vol), driver.volume_format(),
                                  auth, connector)

    def unexport(self, volume_id):
        self.target.unexport(volume_id)

    # --- snapshots ------------------------------------------------------------------------
    def _snapshot_and_volume(self, snapshot_id, status):
        with db_api.reader() as s:
            snap = s.get(models.Snapshot, snapshot_id)
            if snap is None or snap.status != status:
                return None, None
            vol = s.get(models.Volume, snap.volume_id)
            return snapshot_dict(snap), vol and volume_dict(vol)

    def _set_snapshot(self, snapshot_id, expect, status, **values):
        with db_api.writer() as s:
            row = s.get(models.Snapshot, snapshot_id, with_for_update=True)
            if row is None or row.status != expect:
                return
            row.status, row.task_id = status, None
            row.updated_at = utcnow()
            for key, value in values.items():
                setattr(row, key, value)
            if row.group_snapshot_id:
                s.flush()
                _manager()._group_snapshot_settle(s, row.group_snapshot_id)

    def create_snapshot(self, snapshot_id):
        snap, vol = self._snapshot_and_volume(snapshot_id, 'creating')
        if snap is None:
            return
        try:
            location = self._driver(vol['host']).create_snapshot(snap, vol)
        except Exception as exc:
            LOG.exception('creating snapshot %s failed', snapshot_id)
            self._set_snapshot(snapshot_id, 'creating', 'error')
            self._snapshot_message(snapshot_id, 'create snapshot:%s' % _reason(exc))
            raise tasks.Permanent(str(exc))
        self._set_snapshot(snapshot_id, 'creating', 'available', progress='100%',
                           provider_location=location)

    @staticmethod
    def _snapshot_message(snapshot_id, text):
        with db_api.writer() as s:
            row = s.get(models.Snapshot, snapshot_id)
            if row is not None:
                mbase.Base._message(s, row.project_id, 'SNAPSHOT', row.id,
                                    'SNAPSHOT_000001', text)

    def delete_snapshot(self, snapshot_id):
        snap, vol = self._snapshot_and_volume(snapshot_id, 'deleting')
        if snap is None:
            return
        try:
            if vol is not None:
                self._driver(vol['host']).delete_snapshot(snap)
        except Exception as exc:
            LOG.exception('deleting snapshot %s failed', snapshot_id)
            self._set_snapshot(snapshot_id, 'deleting', 'error_deleting')
            raise tasks.Permanent(str(exc))
        with db_api.writer() as s:
            row = s.get(models.Snapshot, snapshot_id, with_for_update=True)
            if row is None or row.status != 'deleting':
                return
            group_snapshot_id = row.group_snapshot_id
            _manager()._finish_snapshot_delete(s, row)
            s.flush()
            if group_snapshot_id:
                _manager()._group_snapshot_settle(s, group_snapshot_id)

    def manage_snapshot(self, snapshot_id, ref):
        snap, vol = self._snapshot_and_volume(snapshot_id, 'creating')
        if snap is None:
            return
        driver = self._driver(vol['host'])
        try:
            driver.manage_existing_snapshot(snap, ref)
        except Exception as exc:
            LOG.exception('managing snapshot %s failed', snapshot_id)
            self._set_snapshot(snapshot_id, 'creating', 'error')
            raise tasks.Permanent(str(exc))
        self._set_snapshot(snapshot_id, 'creating', 'available', progress='100%',
                           provider_location=driver.snapshot_name(snapshot_id))

    def unmanage_snapshot(self, snapshot_id):
        snap, vol = self._snapshot_and_volume(snapshot_id, 'unmanaging')
        if snap is None:
            return
        if vol is not None:
            self._driver(vol['host']).unmanage_snapshot(snap)
        with db_api.writer() as s:
            row = s.get(models.Snapshot, snapshot_id, with_for_update=True)
            if row is not None and row.status == 'unmanaging':
                _manager()._finish_snapshot_delete(s, row)

    # --- backups --------------------------------------------------------------------------
    def _fail_backup(self, backup_id, text, restore_volume=True):
        with db_api.writer() as s:
            row = s.get(models.Backup, backup_id, with_for_update=True)
            if row is None:
                return
            row.status, row.fail_reason, row.task_id = 'error', text, None
            if restore_volume:
                _settle_backup_source(s, row)

    def create_backup(self, backup_id):
        with db_api.reader() as s:
            row = s.get(models.Backup, backup_id)
            if row is None or row.status != 'creating':
                return
            vol = s.get(models.Volume, row.volume_id)
            snap = s.get(models.Snapshot, row.snapshot_id) if row.snapshot_id else None
            parent = s.get(models.Backup, row.parent_id) if row.parent_id else None
            attached = vol.previous_status == 'in-use' and snap is None
            info = {'name': vol.name, 'description': vol.description,
                    'bootable': bool(vol.bootable),
                    'metadata': {m.key: m.value for m in vol.meta if m.kind == 'user'},
                    'image_metadata': {m.key: m.value for m in vol.meta
                                       if m.kind == 'image'}}
            where = (row.account, row.container, row.object_prefix)
            parent_where = parent and (parent.account, parent.container,
                                       parent.object_prefix)
            vol_d, snap_d = volume_dict(vol), snap and snapshot_dict(snap)
        driver = self._driver(vol_d['host'])
        temp = {'id': 'backup-%s' % backup_id, 'size': vol_d['size'],
                'provider_location': None}
        try:
            parent_manifest = backup_io.read_manifest(*parent_where) \
                if parent_where else None
            if attached:
                # An attached volume is read from a point-in-time copy.
                driver.delete_snapshot(temp)
                driver.create_snapshot(temp, vol_d)
                item, kind = temp, 'snapshot'
            else:
                item, kind = (snap_d, 'snapshot') if snap_d else (vol_d, 'volume')
            with driver.raw_reader(item, kind=kind) as path:
                manifest, count = backup_io.write(
                    path, vol_d['size'] * GiB, where[0], where[1], where[2],
                    CONF.volume.backup_chunk_size, CONF.volume.backup_compression,
                    parent_manifest, info)
        except Exception as exc:
            LOG.exception('backup %s failed', backup_id)
            with contextlib.suppress(Exception):
                backup_io.delete(*where)
            self._fail_backup(backup_id, _reason(exc))
            raise tasks.Permanent(str(exc))
        finally:
            if attached:
                with contextlib.suppress(Exception):
                    driver.delete_snapshot(temp)
        with db_api.writer() as s:
            row = s.get(models.Backup, backup_id, with_for_update=True)
            if row is None or row.status != 'creating':
                return
            row.status, row.object_count, row.task_id = 'available', count, None
            row.updated_at = utcnow()
            _settle_backup_source(s, row)

    def restore_backup(self, backup_id, volume_id):
        with db_api.reader() as s:
            row = s.get(models.Backup, backup_id)
            vol = s.get(models.Volume, volume_id)
            if row is None or vol is None or vol.status != 'restoring-backup':
                return
            where = (row.account, row.container, row.object_prefix)
            vol_d = volume_dict(vol)
        driver = self._driver(vol_d['host'])
        try:
            manifest = backup_io.read_manifest(*where)
            if manifest['size_bytes'] > vol_d['size'] * GiB:
                raise exception.BadRequest('The backup is larger than the volume.')
            location = vol_d['provider_location'] or driver.create(vol_d)
            vol_d['provider_location'] = location
            with driver.raw_writer(vol_d) as path:
                backup_io.restore(manifest, where[0], path)
        except Exception as exc:
            LOG.exception('restoring backup %s to volume %s failed', backup_id, volume_id)
            with db_api.writer() as s:
                b = s.get(models.Backup, backup_id, with_for_update=True)
                if b is not None and b.status == 'restoring':
                    b.status, b.task_id = 'available', None
            self._fail_volume(volume_id, 'error_restoring', 'restore backup:%s'
                              % _reason(exc), event='VOLUME_000007')
            raise tasks.Permanent(str(exc))
        info = manifest.get('volume') or {}
        with db_api.writer() as s:
            b = s.get(models.Backup, backup_id, with_for_update=True)
            if b is not None and b.status == 'restoring':
                b.status, b.task_id, b.restore_volume_id = 'available', None, None
            v = s.get(models.Volume, volume_id, with_for_update=True)
            if v is None or v.status != 'restoring-backup':
                return
            mgr = _manager()
            mgr._merge_meta(v, 'user', info.get('metadata') or {})
            if info.get('image_metadata'):
                mgr._merge_meta(v, 'image', info['image_metadata'])
            v.bootable = bool(info.get('bootable')) or v.bootable
            v.provider_location = location
            v.status, v.task_id = 'available', None
            v.updated_at = utcnow()

    def delete_backup(self, backup_id):
        with db_api.reader() as s:
            row = s.get(models.Backup, backup_id)
            if row is None or row.status != 'deleting':
                return
            where = (row.account, row.container, row.object_prefix)
            shared = s.scalar(sa.select(sa.func.count()).select_from(models.Backup).where(
                models.Backup.account == where[0], models.Backup.container == where[1],
                models.Backup.object_prefix == where[2], models.Backup.id != backup_id))
        try:
            if not shared:
                backup_io.delete(*where)
        except Exception as exc:
            LOG.exception('deleting backup %s failed', backup_id)
            with db_api.writer() as s:
                row = s.get(models.Backup, backup_id, with_for_update=True)
                row.status, row.fail_reason, row.task_id = 'error_deleting', _reason(exc), None
            raise tasks.Permanent(str(exc))
        with db_api.writer() as s:
            row = s.get(models.Backup, backup_id, with_for_update=True)
            if row is not None and row.status == 'deleting':
                _manager()._finish_backup_delete(s, row)

    def import_backup(self, backup_id):
        with db_api.reader() as s:
            row = s.get(models.Backup, backup_id)
            if row is None or row.status != 'creating':
                return
            where = (row.account, row.container, row.object_prefix)
        try:
            manifest = backup_io.read_manifest(*where)
        except Exception as exc:
            self._fail_backup(backup_id, _reason(exc), restore_volume=False)
            raise tasks.Permanent(str(exc))
        with db_api.writer() as s:
            row = s.get(models.Backup, backup_id, with_for_update=True)
            if row is not None and row.status == 'creating':
                row.status, row.task_id = 'available', None
                row.size = max(row.size, -(-manifest['size_bytes'] // GiB))


def _settle_backup_source(s, backup):
    """The volume (or snapshot) a backup read goes back to its status."""
    if backup.snapshot_id:
        snap = s.get(models.Snapshot, backup.snapshot_id, with_for_update=True)
        if snap is not None and snap.status == 'backing-up':
            snap.status = 'available'
        return
    vol = s.get(models.Volume, backup.volume_id, with_for_update=True)
    if vol is not None and vol.status == 'backing-up':
        vol.status = vol.previous_status or 'available'
        vol.updated_at = utcnow()


def _file_chunks(path, size=IMAGE_CHUNK):
    with open(path, 'rb') as f:
        while True:
            data = f.read(size)
            if not data:
                return
            yield data


def _reason(exc):
    text = getattr(exc, 'message', None) or str(exc) or type(exc).__name__
    return text[:1000]


def notify_compute(volume_id, server_ids):
    """Tell Compute that an attached volume grew (Nova's volume-extended)."""
    try:
        from cloudstack.compute import manager as compute_manager
    except ImportError:
        LOG.info('no Compute service here to tell that volume %s grew', volume_id)
        return
    events = [{'name': 'volume-extended', 'server_uuid': sid, 'tag': volume_id}
              for sid in server_ids]
    try:
        compute_manager.get().external_instance_event(_admin(), events)
    except Exception:
        LOG.exception('telling Compute that volume %s grew failed', volume_id)


class VolumeService(agents.RoleService):
    """The volume role of an engine (cloudstack-volume, or cloudstack-all):
    the backends set up, then recovery and the targets resynced; each
    heartbeat reports the pools."""

    @property
    def availability_zone(self):
        return CONF.volume.storage_availability_zone

    def init_host(self):
        get()

    def resync(self):
        # The engine recovered this host's resources just before (their
        # lifecycles: cloudstack/volume/manager/recovery.py).
        agent = get()
        agent.resync()
        agent.report()

    def report(self):
        return {'pools': get().report()}


_agent = None


def get():
    """This process's agent (its backends set up on first use)."""
    global _agent
    if _agent is None:
        agent = Agent()
        agent.setup()
        _agent = agent
    return _agent


def reset():
    global _agent
    _agent = None
