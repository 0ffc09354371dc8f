"""Images after a crash: the recovery moves what nothing works on any more out
of saving, uploading and importing, fails interrupted image tasks, and removes
partial and unreferenced files; what is in flight it leaves be."""
import os
import socket

import sqlalchemy as sa

from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import models
from cloudstack.tasks import queue, recovery
from cloudstack.tasks.models import WorkLease
from tests.unit.image.conftest import IMG
from tests.unit.image.drain import run_tasks

DEAD = '%s:%d' % (socket.gethostname(), 2 ** 22 + 1)     # a pid above pid_max


def _set(image_id, **values):
    with db_api.writer() as s:
        s.execute(sa.update(models.Image).where(models.Image.id == image_id).values(**values))


def _image(client, image_id):
    return client.get('%s/%s' % (IMG, image_id)).json


def _died_mid_work(image_id, status):
    """As a worker killed in the middle leaves it: the status, and its lease."""
    _set(image_id, status=status)
    with db_api.writer() as s:
        s.add(WorkLease(resource='image/' + image_id, owner=DEAD, started_at=utcnow(),
                        expires_at=utcnow()))


def _path(conf, *parts):
    return os.path.join(conf.data_dir, *parts)


def test_an_interrupted_upload_goes_back_to_queued_and_its_temp_file_goes(users, conf):
    alice = users['alice']
    image_id = alice.create_image(name='up')['id']
    _died_mid_work(image_id, 'saving')
    os.makedirs(_path(conf, 'images'))
    partial = _path(conf, 'images', '.tmp-%s-x1y2' % image_id)
    open(partial, 'wb').write(b'half')
    assert recovery.recover() == 1
    assert _image(alice, image_id)['status'] == 'queued'
    assert not os.path.exists(partial)
    assert alice.upload(image_id, b'data').status_int == 204    # and it can be uploaded again
    assert _image(alice, image_id)['status'] == 'active'


def test_an_upload_in_flight_is_left_alone(users, conf):
    alice = users['alice']
    image_id = alice.create_image(name='up')['id']
    os.makedirs(_path(conf, 'images'))
    partial = _path(conf, 'images', '.tmp-%s-x1y2' % image_id)
    with recovery.working('image', image_id):
        _set(image_id, status='saving')
        open(partial, 'wb').write(b'half')
        assert recovery.recover() == 0
        assert _image(alice, image_id)['status'] == 'saving' and os.path.exists(partial)


def test_staging_interrupted_or_finished(users, conf):
    alice = users['alice']
    staged = alice.create_image(name='staged')['id']
    assert alice.raw('PUT', '%s/%s/stage' % (IMG, staged), b'abc').status_int == 204
    cut = alice.create_image(name='cut')['id']
    _died_mid_work(cut, 'uploading')
    part = _path(conf, 'image-staging', cut + '.part')
    open(part, 'wb').write(b'a')
    assert recovery.recover() == 1
    assert _image(alice, staged)['status'] == 'uploading'   # staged: waits for its import
    assert os.path.exists(_path(conf, 'image-staging', staged))
    assert _image(alice, cut)['status'] == 'queued' and not os.path.exists(part)


def test_an_import_resumes_through_its_task_or_fails_cleanly(users, conf):
    alice = users['alice']
    image_id = alice.create_image(name='imp')['id']
    assert alice.raw('PUT', '%s/%s/stage' % (IMG, image_id), b'abc').status_int == 204
    resp = alice.post('%s/%s/import' % (IMG, image_id), {'method': {'name': 'glance-direct'}})
    assert resp.status_int == 202, resp.text
    assert recovery.recover() == 0          # its task is queued: it will carry on
    assert _image(alice, image_id)['status'] == 'importing'
    [task] = queue.claim('test:1')
    queue.fail(task.id, 'test:1', queue.Permanent('the engine gave up'))
    assert recovery.recover() == 2          # the image, and its image task
    image = _image(alice, image_id)
    assert image['status'] == 'uploading'   # the staged data is still there: import again
    assert image['os_glance_failed_import'] == 'file'
    assert image.get('os_glance_import_task') is None
    [itask] = alice.get('%s/%s/tasks' % (IMG, image_id)).json['tasks']
    assert itask['status'] == 'failure' and 'stopped while it was' in itask['message']
    resp = alice.post('%s/%s/import' % (IMG, image_id), {'method': {'name': 'glance-direct'}})
    assert resp.status_int == 202, resp.text
    run_tasks()
    assert _image(alice, image_id)['status'] == 'active'


def test_store_data_no_image_refers_to_is_removed(users, conf):
    alice = users['alice']
    kept = alice.create_image(name='kept')['id']
    assert alice.upload(kept, b'data').status_int == 204
    orphan = alice.create_image(name='orphan')['id']      # written, never recorded
    open(_path(conf, 'images', orphan), 'wb').write(b'lost')
    busy = alice.create_image(name='busy')['id']
    open(_path(conf, 'images', busy), 'wb').write(b'going')
    with recovery.working('image', busy):
        assert alice.get('/image/v2/images').status_int == 200
        recovery.recover()
    assert sorted(os.listdir(_path(conf, 'images'))) == sorted([kept, busy])
    assert alice.get('%s/%s/file' % (IMG, kept)).body == b'data'
