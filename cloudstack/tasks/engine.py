"""The engine: green threads running queued tasks, and the periodic tasks.

It polls the task table every task_poll_interval, and wakes at once when a
datagram reaches its socket in data_dir (queue.notify() after an enqueue).
"""
import contextlib
import datetime
import logging
import os

import eventlet
from eventlet.green import socket

from cloudstack.conf import CONF
from cloudstack.db.models import utcnow
from cloudstack.tasks import queue

LOG = logging.getLogger(__name__)


@queue.periodic(3600, name='tasks.purge')
def purge():
    purged = queue.purge()
    if purged:
        LOG.info('purged %d finished tasks', purged)


def _alive(pid):
    """Whether process `pid` exists and is not a zombie (Linux)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rpartition(')')[2].split()[0] != 'Z'
    except FileNotFoundError:
        return False


class Engine:
    """Runs claimed tasks in a pool of [engine] task_workers green threads."""

    def __init__(self):
        self.owner = '%s:%d' % (socket.gethostname(), os.getpid())
        self.pool = eventlet.GreenPool(CONF.engine.task_workers)
        self.running = {}       # task id -> green thread
        self.stopping = False
        self._wake = eventlet.Event()
        self._sock = self._inode = None

    def wake(self):
        if not self._wake.ready():
            self._wake.send()

    def stop(self):
        """Claim nothing more; run() returns once running tasks end or are released."""
        self.stopping = True
        self.wake()

    def run(self):
        queue.load_modules()
        self._reclaim()
        helpers = [eventlet.spawn(self._heartbeat), eventlet.spawn(self._periodics)]
        if self._listen():
            helpers.append(eventlet.spawn(self._wakeups))
        LOG.info('engine %s running %d workers', self.owner, CONF.engine.task_workers)
        try:
            while not self.stopping:
                self._wake = eventlet.Event()
                if not self._claim():
                    with eventlet.Timeout(CONF.engine.task_poll_interval, False):
                        self._wake.wait()
            self._drain()
        finally:
            for gt in helpers:
                gt.kill()
            self._unlisten()
            LOG.info('engine %s stopped', self.owner)

    def _claim(self):
        """Start what the free workers can take; True if there may be more."""
        free = self.pool.free()
        if not free:
            return False
        try:
            tasks = queue.claim(self.owner, free)
        except Exception:
            LOG.exception('claiming tasks failed')
            return False
        for task in tasks:
            self.running[task.id] = self.pool.spawn(self._run, task)
        return len(tasks) == free

    def _run(self, task):
        LOG.info('task %s %s: attempt %d', task.id, task.handler, task.attempts)
        try:
            result = queue.resolve(task.handler)(**task.args)
        except Exception as exc:
            LOG.exception('task %s %s failed', task.id, task.handler)
            queue.fail(task.id, self.owner, exc)
        else:
            queue.complete(task.id, self.owner, result)
            LOG.info('task %s %s: done', task.id, task.handler)
        finally:
            self.running.pop(task.id, None)
            self.wake()

    def _drain(self):
        with eventlet.Timeout(CONF.graceful_shutdown_timeout, False):
            self.pool.waitall()
        if self.running:
            unfinished = list(self.running)
            for gt in list(self.running.values()):
                gt.kill()
            queue.release(self.owner, unfinished)
            LOG.info('released %d unfinished tasks', len(unfinished))

    def _reclaim(self):
        """Rerun at once what engines that died on this host were running."""
        host = socket.gethostname()
        for owner in queue.owners(host):
            pid = int(owner.rpartition(':')[2])
            if pid == os.getpid() or not _alive(pid):
                LOG.info('reclaiming the tasks of %s, which is gone', owner)
                queue.expire(owner)

    def _heartbeat(self):
        while True:
            eventlet.sleep(CONF.engine.task_lease / 3.0)
            if self.running:
                try:
                    queue.heartbeat(self.owner, list(self.running))
                except Exception:
                    LOG.exception('extending task leases failed')

    def _periodics(self):
        due = dict.fromkeys(queue.periodics, utcnow())
        while due:
            for name, spacing in queue.periodics.items():
                if due[name] <= utcnow():
                    try:
                        task_id, due[name] = queue.schedule_periodic(name, spacing)
                    except Exception:
                        LOG.exception('scheduling periodic task %s failed', name)
                        due[name] = utcnow() + datetime.timedelta(seconds=spacing)
                        continue
                    if task_id:
                        self.wake()
            eventlet.sleep(max((min(due.values()) - utcnow()).total_seconds(), 0.1))

    def _listen(self):
        path = queue.wakeup_path()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            sock.bind(path)
        except OSError as exc:
            LOG.warning('cannot listen on %s (%s); polling only', path, exc)
            sock.close()
            return False
        self._sock, self._inode = sock, os.stat(path).st_ino
        return True

    def _wakeups(self):
        while True:
            self._sock.recv(16)
            self.wake()

    def _unlisten(self):
        if self._sock is None:
            return
        path = queue.wakeup_path()
        with contextlib.suppress(OSError):
            if os.stat(path).st_ino == self._inode:
                os.unlink(path)     # still ours, not a newer engine's
        self._sock.close()
        self._sock = None
