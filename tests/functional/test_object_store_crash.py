"""kill -9 of the API worker during a PUT: no partial object is ever visible,
and what the dead write left on the devices does not stay forever.

A PUT streams the body into a temp file per replica (<dev>/tmp), renames them
into place, then records the listing row. Killed while streaming, it leaves
temp files (the replicator reaps those after tmp_max_age); killed between the
rename and the row, it leaves whole data files no listing names (the auditor
deletes those after orphan_grace, by a tombstone the replicator reclaims after
reclaim_age). The ages are cut to seconds here and the periodic tasks are
queued through the engine rather than waited for.
"""
import glob
import hashlib
import os
import signal
import threading
import time

import requests
from sqlalchemy import text

from cloudstack.db import api as db_api
from cloudstack.object_store import ring
from tests.functional.conftest import (ADMIN_PASSWORD, DB_URL, Swift, periodics_ran,
                                       run_task)

MIB = 1 << 20
DEVICES = ('objects/d1', 'objects/d2', 'objects/d3')
GRACE = 2                   # seconds: orphan_grace and tmp_max_age of this cloud


class Upload:
    """A chunked PUT in a thread whose body stalls after `before` MiB until
    resume(); then it sends `after` MiB more."""

    def __init__(self, swift, path, before=4, after=4):
        self.swift, self.path = swift, path
        self.before, self.after = before, after
        self.block = os.urandom(MIB)
        self.stalled, self.go = threading.Event(), threading.Event()
        self.response = self.error = None
        self.thread = threading.Thread(target=self._put, daemon=True)
        self.thread.start()

    def _body(self):
        for _ in range(self.before):
            yield self.block
        self.stalled.set()
        self.go.wait(60)
        for _ in range(self.after):
            yield self.block

    def _put(self):
        try:
            self.response = self.swift.request('PUT', self.path, data=self._body(), timeout=60)
        except requests.RequestException as e:
            self.error = e

    def resume(self):
        self.go.set()

    def finish(self):
        self.go.set()
        self.thread.join(70)
        assert not self.thread.is_alive()


def _start(cloud):
    cloud.options['object_store'] = {
        'default_devices': ','.join(DEVICES), 'default_replicas': 3,
        'orphan_grace': GRACE, 'tmp_max_age': GRACE, 'reclaim_age': 0}
    proc = cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    swift = Swift(cloud)
    # The engine runs every periodic task once when it starts: let those go by.
    periodics_ran(cloud, 'object_store.replicate', 'object_store.audit')
    assert swift.request('PUT', '/crash').status_code == 201
    return proc, swift


def _tmp_files(cloud):
    return glob.glob(os.path.join(cloud.data_dir, 'objects', 'd*', 'tmp', '*'))


def _object_files(cloud, swift, name, pattern='*'):
    r = ring.get_ring(os.path.join(cloud.data_dir, 'object.ring'))
    h = r.hash_path(swift.account, 'crash', name)
    return glob.glob(os.path.join(cloud.data_dir, 'objects', 'd*', 'objects', '*', '*',
                                  h, pattern))


def _writer(cloud, proc):
    """The API worker holding temp files of the devices open: the one serving the PUT."""
    tmp = os.path.join(cloud.data_dir, 'objects')

    def find():
        for pid, name in cloud.children(proc.pid).items():
            try:
                fds = os.listdir('/proc/%d/fd' % pid)
            except OSError:
                continue
            for fd in fds:
                try:
                    target = os.readlink('/proc/%d/fd/%s' % (pid, fd))
                except OSError:
                    continue
                if target.startswith(tmp) and '/tmp/' in target:
                    assert name.startswith('cs-api'), name
                    return pid
        return None
    return cloud.wait_for(find)


def _kill_worker(cloud, proc, pid):
    os.kill(pid, signal.SIGKILL)
    cloud.wait_for(lambda: not cloud.alive(pid))
    # The parent starts another worker in its place.
    cloud.wait_for(lambda: pid not in cloud.family(proc) and cloud.family(proc))


def _absent(swift, name):
    assert swift.request('HEAD', '/crash/' + name).status_code == 404
    assert swift.request('GET', '/crash/' + name).status_code == 404
    assert name not in swift.names('crash')


def _reaped(cloud):
    """The replicator, once the temp files are older than tmp_max_age, removes them."""
    newest = max(os.stat(p).st_mtime for p in _tmp_files(cloud))
    cloud.wait_for(lambda: time.time() > newest + GRACE + 0.1, timeout=GRACE + 5)
    stats = run_task(cloud, 'object_store.replicate')
    assert stats['tmp_reaped'] == 3, stats
    assert _tmp_files(cloud) == []


def test_killed_mid_upload_leaves_no_object(cloud):
    proc, swift = _start(cloud)
    upload = Upload(swift, '/crash/new')
    upload.stalled.wait(30)
    pid = _writer(cloud, proc)
    # The bytes so far are in temp files on each device.
    cloud.wait_for(lambda: len(_tmp_files(cloud)) == 3 and all(
        os.path.getsize(p) > 0 for p in _tmp_files(cloud)))
    _kill_worker(cloud, proc, pid)
    upload.finish()
    assert upload.response is None and upload.error is not None
    _absent(swift, 'new')
    assert _object_files(cloud, swift, 'new') == []
    account = swift.request('HEAD', '')
    assert account.headers['X-Account-Object-Count'] == '0'
    assert account.headers['X-Account-Bytes-Used'] == '0'
    _reaped(cloud)
    # The name is usable as ever.
    assert swift.request('PUT', '/crash/new', data=b'whole').status_code == 201
    assert swift.request('GET', '/crash/new').content == b'whole'


def test_killed_mid_overwrite_keeps_the_previous_version(cloud):
    proc, swift = _start(cloud)
    old = os.urandom(3 * MIB + 5)
    resp = swift.request('PUT', '/crash/obj', data=old, headers={'X-Object-Meta-V': '1'})
    assert resp.status_code == 201
    etag = hashlib.md5(old).hexdigest()
    upload = Upload(swift, '/crash/obj')
    upload.stalled.wait(30)
    _kill_worker(cloud, proc, _writer(cloud, proc))
    upload.finish()
    assert upload.response is None
    for _ in range(4):                  # whichever worker answers
        resp = swift.request('GET', '/crash/obj')
        assert resp.status_code == 200
        assert resp.content == old and resp.headers['ETag'].strip('"') == etag
        assert resp.headers['X-Object-Meta-V'] == '1'
    [row] = swift.request('GET', '/crash', params={'format': 'json'}).json()
    assert (row['name'], row['hash'], row['bytes']) == ('obj', etag, len(old))
    assert len(_object_files(cloud, swift, 'obj', '*.data')) == 3
    _reaped(cloud)
    assert swift.request('GET', '/crash/obj').content == old


def _listing_locked():
    """Hold the lock a PUT needs to record its listing row (until the block ends)."""
    with db_api.writer() as session:     # SQLite: BEGIN IMMEDIATE, the database's write lock
        if DB_URL:
            session.execute(text('LOCK TABLE object_store_objects IN EXCLUSIVE MODE'))
        else:
            session.execute(text('SELECT 1'))
        yield


def test_killed_between_the_bytes_and_the_row_leaves_no_orphan(cloud):
    proc, swift = _start(cloud)
    upload = Upload(swift, '/crash/orphan', before=1, after=2)
    upload.stalled.wait(30)
    pid = _writer(cloud, proc)
    lock = _listing_locked()
    next(lock)
    try:
        upload.resume()
        # The whole object reaches every device, then the worker waits for the lock.
        datas = cloud.wait_for(lambda: (lambda f: len(f) == 3 and f)(
            _object_files(cloud, swift, 'orphan', '*.data')))
        _kill_worker(cloud, proc, pid)
    finally:
        next(lock, None)
    upload.finish()
    assert upload.response is None
    _absent(swift, 'orphan')
    assert sorted(_object_files(cloud, swift, 'orphan', '*.data')) == sorted(datas)

    # Once older than orphan_grace, the auditor deletes the data on every
    # replica (a tombstone); the replicator reclaims the tombstone.
    newest = max(os.stat(p).st_mtime for p in datas)
    cloud.wait_for(lambda: time.time() > newest + GRACE + 0.1, timeout=GRACE + 5)
    stats = run_task(cloud, 'object_store.audit')
    assert stats['orphans'] == 1 and stats['quarantined'] == 0, stats
    assert [p.rsplit('.', 1)[1] for p in _object_files(cloud, swift, 'orphan')] == ['ts'] * 3
    run_task(cloud, 'object_store.replicate')
    assert _object_files(cloud, swift, 'orphan') == []
    _absent(swift, 'orphan')
    # Objects that have their row are left alone.
    assert swift.request('PUT', '/crash/kept', data=b'kept').status_code == 201
    kept = _object_files(cloud, swift, 'kept', '*.data')
    cloud.wait_for(lambda: time.time() > max(os.stat(p).st_mtime for p in kept) + GRACE + 0.1,
                   timeout=GRACE + 5)
    assert run_task(cloud, 'object_store.audit')['orphans'] == 0
    assert swift.request('GET', '/crash/kept').content == b'kept'
