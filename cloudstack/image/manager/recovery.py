"""Images and image tasks after a crash: their lifecycles for the generic
recovery (cloudstack.tasks.recovery), and the clean-up of partial files.

An upload (saving) or a staging (uploading) streams in an API worker under a
lease (recovery.working); an import (importing) and the image tasks run as
queue tasks for resource ('image', id). What none of those works on any more:
- saving -> queued (Glance's state for an image without data; upload again);
- uploading without its staged file -> queued; with it, it is staged: stable;
- importing -> uploading if the staged data is still there (import again),
  else queued; the import's properties say it failed;
- an image task pending or processing -> failure, with the reason as message.
"""
import datetime
import logging
import os

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import models
from cloudstack.image import stores
from cloudstack.image.manager.base import FAILED_IMPORT, IMPORTING_TO, IMPORT_TASK
from cloudstack.image.stores import file as file_store
from cloudstack.tasks import recovery

LOG = logging.getLogger(__name__)


class Recovery:

    def lifecycles(self):
        image_states = dict.fromkeys(models.TRANSITIONAL_STATES)
        image_states.update(saving=self._recover_saving,
                            uploading=self._recover_uploading,
                            importing=self._recover_importing)
        return [
            recovery.Lifecycle(kind='image', model=models.Image,
                               transitional=image_states, cleanup=self.remove_leftovers),
            recovery.Lifecycle(
                kind='image task', name='image_task', model=models.ImageTask,
                transitional=dict.fromkeys(models.TASK_TRANSITIONAL_STATES,
                                           self._recover_task),
                resource=lambda task: ('image', task.image_id)),
        ]

    @staticmethod
    def _recover_saving(session, img, reason):
        img.status, img.updated_at = 'queued', utcnow()
        return True

    def _recover_uploading(self, session, img, reason):
        if os.path.exists(self._staging_path(img.id)):
            return False        # staged, waiting for its import
        img.status, img.updated_at = 'queued', utcnow()
        return True

    def _recover_importing(self, session, img, reason):
        staged = os.path.exists(self._staging_path(img.id))
        img.status, img.updated_at = ('uploading' if staged else 'queued'), utcnow()
        props = {p.name: p.value for p in session.scalars(sa.select(models.ImageProperty).where(
            models.ImageProperty.image_id == img.id))}
        self._set_props(session, img.id, {
            IMPORT_TASK: None, IMPORTING_TO: '',
            FAILED_IMPORT: props.get(IMPORTING_TO) or props.get(FAILED_IMPORT) or ''})
        return True

    @staticmethod
    def _recover_task(session, task, reason):
        now = utcnow()
        task.status, task.message, task.updated_at = 'failure', reason, now
        task.expires_at = now + datetime.timedelta(hours=CONF.image.task_time_to_live)
        return True

    def remove_leftovers(self):
        """Remove what interrupted writes left: temp files in the stores (the
        cache's are its node's to remove, see Cache.prune), staged data of images no longer waiting for it, and store data
        no image refers to. Only for images nothing works on."""
        partials, contents = [], []
        for store_id in stores.available(CONF):
            store = self.store(store_id)
            partials.extend(store.partials())
            contents.extend((store, image_id, location)
                            for image_id, location in store.contents())
        staged = self._staged_files()
        ids = ({i for i, _ in partials} | {i for _, i, _ in contents}
               | {i for i, _, _ in staged}) - {None}
        # What is on disk first, then what is in flight, then what is recorded:
        # work that ends meanwhile has recorded its data before it let go.
        in_flight = recovery.busy_ids('image', ids)
        with db_api.reader() as s:
            referenced = set(s.scalars(sa.select(models.ImageLocation.url)))
            referenced.update(s.scalars(sa.select(models.Image.location).where(
                models.Image.location.is_not(None))))
            statuses = dict(s.execute(sa.select(models.Image.id, models.Image.status).where(
                models.Image.id.in_(list(ids)))).all()) if ids else {}
        removed = 0
        for image_id, remove in partials:
            if image_id not in in_flight:
                remove()
                removed += 1
        for store, image_id, location in contents:
            if image_id not in in_flight and location not in referenced:
                store.delete(location)
                removed += 1
        for image_id, path, complete in staged:
            if image_id in in_flight:
                continue
            if complete and statuses.get(image_id) in ('uploading', 'importing'):
                continue
            file_store._unlink(path)
            removed += 1
        if removed:
            LOG.warning('removed %d partial or unreferenced image files', removed)
        return removed

    def _staged_files(self):
        """(image id, path, complete) of what is in the staging directory."""
        try:
            names = os.listdir(self.staging_dir())
        except FileNotFoundError:
            return []
        found = []
        for name in names:
            image_id, part = (name[:-5], True) if name.endswith('.part') else (name, False)
            found.append((image_id, os.path.join(self.staging_dir(), name), not part))
        return found
