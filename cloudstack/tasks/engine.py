"""The engine: green threads running queued tasks, and the periodic tasks.

An engine runs a set of roles on one host: cloudstack-all's runs every role
(ROLES) and the host-less work (None); cloudstack-engine only the host-less
work; an agent (cloudstack-compute...) one role. It claims only the tasks
addressed to those roles and that host, registers each role in the agents
table and beats there. A role's tasks are claimed once its start-up is done:
its services' init_host(), the recovery of its resources, their resync().

It polls the task table every task_poll_interval, and wakes at once on a
wake-up on the channels of its tasks (see wakeup.py).
"""
import datetime
import logging
import os

import eventlet
from eventlet.green import socket

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db.models import utcnow
from cloudstack.tasks import agents
from cloudstack.tasks import queue
from cloudstack.tasks import recovery
from cloudstack.tasks import wakeup

LOG = logging.getLogger(__name__)
START_RETRY_MAX = 60.0      # seconds between attempts to start a failing role, at most


@queue.periodic(3600, name='tasks.purge')
def purge():
    purged = queue.purge()
    if purged:
        LOG.info('purged %d finished tasks', purged)


def channels(roles, host):
    """The wake-up channels of the tasks an engine running `roles` on `host` takes."""
    found = []
    for role in roles:
        found.append(wakeup.task_channel(role))
        if role is not None:
            found.append(wakeup.task_channel(role, host))
    return found


class Engine:
    """Runs claimed tasks in a pool of [engine] task_workers green threads."""

    def __init__(self, roles=(None,), host=None, binary='cloudstack-engine'):
        self.roles = tuple(roles)
        self.host = host or CONF.host
        self.binary = binary
        # Task leases are held by this process of this machine, whatever host
        # name it serves: a restart here reclaims them from a dead pid.
        self.owner = recovery.process_owner()
        self.pool = eventlet.GreenPool(CONF.engine.task_workers)
        self.running = {}       # task id -> green thread
        self.ready = set()      # roles started: their tasks are claimed
        self.services = {}      # role -> its RoleService instances
        self.rpc_servers = []   # with a transport_url: serving calls to the agents
        self.stopping = False
        self._wake = eventlet.Event()
        self._listening = []

    def wake(self, _payload=None):
        if not self._wake.ready():
            self._wake.send()

    def stop(self):
        """Claim nothing more; run() returns once running tasks end or are released."""
        self.stopping = True
        self.wake()

    def run(self):
        queue.load_modules()
        self._reclaim()
        for role in self.roles:
            self.services[role] = agents.role_services(role, self.host) if role else []
            agents.run_locally(role, self.services[role])
            zone = next((s.availability_zone for s in self.services[role]), None)
            agents.register(self.host, role, self.binary, zone)
        self._listen()
        helpers = [eventlet.spawn(self._heartbeat), eventlet.spawn(self._periodics),
                   eventlet.spawn(self._report), eventlet.spawn(self._recovering)]
        helpers += [eventlet.spawn(self._start_role, role) for role in self.roles]
        LOG.info('engine %s running %d workers for %s on host %s', self.owner,
                 CONF.engine.task_workers, ', '.join(r or 'host-less work' for r in self.roles),
                 self.host)
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
            for server in self.rpc_servers:
                server.stop()
                server.wait()
            self._unlisten()
            for services in self.services.values():
                for service in services:
                    service.stop()
            LOG.info('engine %s stopped', self.owner)

    def _start_role(self, role):
        """init_host, recovery and resync of `role`, retried until they pass."""
        delay = 1.0
        while True:
            try:
                for service in self.services[role]:
                    service.init_host()
                recovery.recover(role, self.host)
                for service in self.services[role]:
                    service.resync()
                break
            except Exception:
                LOG.exception('starting %s on host %s failed; trying again in %.0fs',
                              role or 'the engine', self.host, delay)
                eventlet.sleep(delay)
                delay = min(delay * 2, START_RETRY_MAX)
        if role is not None and CONF.transport_url:
            from cloudstack.tasks import messaging
            self.rpc_servers.append(messaging.serve(role, self.host))
        self.ready.add(role)
        self._beat([role])
        self.wake()

    def _claim(self):
        """Start what the free workers can take; True if there may be more."""
        free = self.pool.free()
        if not free or not self.ready:
            return False
        try:
            tasks = queue.claim(self.owner, free, roles=tuple(self.ready), host=self.host)
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
            if isinstance(exc, (exception.CloudstackError, queue.Permanent)):
                LOG.warning('task %s %s failed: %s', task.id, task.handler, exc)
            else:
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
        """Rerun at once what engines that died on this machine were running."""
        machine = socket.gethostname()
        for owner in queue.owners(machine):
            pid = int(owner.rpartition(':')[2])
            if pid == os.getpid() or not recovery.pid_alive(pid):
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

    def _beat(self, roles):
        reports = {}
        for role in roles:
            reports[role] = {}
            for service in self.services[role]:
                reports[role].update(service.report() or {})
        for role in agents.beat(self.host, reports):
            # An operator deleted the row; a live agent comes back, as after a restart.
            zone = next((s.availability_zone for s in self.services[role]), None)
            agents.register(self.host, role, self.binary, zone)
            agents.beat(self.host, {role: reports[role]})

    def _report(self):
        while True:
            eventlet.sleep(CONF.report_interval)
            try:
                self._beat(list(self.ready))
            except Exception:
                LOG.exception('the heartbeat of host %s failed', self.host)

    def _recovering(self):
        """Between starts, recover what work that died meanwhile left (an API
        worker killed mid-upload, an engine on another host)."""
        while True:
            eventlet.sleep(CONF.engine.recovery_interval)
            for role in list(self.ready):
                try:
                    recovery.recover(role, self.host)
                except Exception:
                    LOG.exception('recovering %s on host %s failed',
                                  agents.agent_role(role), self.host)

    def _periodics(self):
        due = {}
        while True:
            now = utcnow()
            for name, spec in queue.periodics.items():
                if spec.role not in self.ready or due.get(name, now) > now:
                    continue
                host = self.host if spec.per_host else None
                try:
                    task_id, due[name] = queue.schedule_periodic(
                        name, spec.spacing, role=spec.role, host=host)
                except Exception:
                    LOG.exception('scheduling periodic task %s failed', name)
                    due[name] = utcnow() + datetime.timedelta(seconds=spec.spacing)
                    continue
                if task_id:
                    self.wake()
            soonest = min(due.values(), default=None)
            wait = (soonest - utcnow()).total_seconds() if soonest else 1.0
            if len(self.ready) < len(self.roles):
                wait = min(wait, 1.0)   # a role that gets ready starts its periodics soon
            eventlet.sleep(max(wait, 0.1))

    def _listen(self):
        for channel in channels(self.roles, self.host):
            try:
                self._listening.append(wakeup.listen(channel, self.wake))
            except Exception as exc:
                LOG.warning('cannot listen for wake-ups on %s (%s); polling only',
                            channel, exc)

    def _unlisten(self):
        for handle in self._listening:
            handle.close()
        self._listening = []
