"""Requests to one agent: call (wait for its answer) and cast (do not).

    output = tasks.call('compute.console_output', {'server_id': server_id},
                        role='compute', host=server['host'], timeout=30)

runs the handler registered as 'compute.console_output' in the compute agent
of that host and returns what it returns. It raises NoAgent at once when no
such agent is up, CallTimeout when none answers in time, the handler's own
cloudstack error (NotFound, Conflict...) when it raised one, and RemoteError
for anything else that went wrong there.

With no transport_url, a call is a task addressed to that agent (one attempt,
a reply channel): the enqueue wakes the agent at once, and the agent's commit
of the result wakes the caller. With a transport_url it is an oslo.messaging
RPC call to the agent's server on the bus (cloudstack.tasks.messaging).
"""
import logging
import os
import uuid

import eventlet
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.tasks import agents
from cloudstack.tasks import queue
from cloudstack.tasks import wakeup
from cloudstack.tasks.models import DONE, FAILED, QUEUED, Task

LOG = logging.getLogger(__name__)
RECHECK = 5.0       # seconds: a waiting call looks at its task even if no wake-up came


class CallError(exception.ServiceUnavailable):
    """A call to an agent did not get its answer."""


class NoAgent(CallError):
    pass


class CallTimeout(CallError):
    pass


class RemoteError(CallError):
    """The handler failed in the agent with an unexpected error."""
    code = 500
    title = 'Internal Server Error'


def call(name, args=None, *, role, host, timeout=None):
    """Run handler `name(**args)` in the agent of `role` on `host`; its result."""
    name = queue._name(name)
    if db_api.in_writer():
        raise RuntimeError('tasks.call() inside a writer() would hold its locks '
                           'while the agent needs them')
    if not agents.live(role, host):
        raise NoAgent('No %s agent is up on host %s.' % (role, host))
    timeout = CONF.rpc_response_timeout if timeout is None else timeout
    if CONF.transport_url:
        from cloudstack.tasks import messaging
        return messaging.call(name, args or {}, role=role, host=host, timeout=timeout)
    return _replies().call(name, args or {}, role, host, timeout)


def cast(name, args=None, *, role, host=None):
    """Have the agent of `role` (on `host`) run `name(**args)`; no answer, and
    no retries: durable work is tasks.enqueue()."""
    name = queue._name(name)
    if CONF.transport_url:
        from cloudstack.tasks import messaging
        messaging.cast(name, args or {}, role=role, host=host)
    else:
        queue.enqueue(None, name, args, role=role, host=host, max_attempts=1)


def raise_remote(task_name, error, result):
    """Raise what a failed call's handler raised, as well as it can be told."""
    detail = (result or {}).get('error') if isinstance(result, dict) else None
    if detail:
        cls = getattr(exception, detail.get('type', ''), None)
        if isinstance(cls, type) and issubclass(cls, exception.CloudstackError):
            raise cls(detail.get('message'))
    raise RemoteError('%s failed in the agent: %s' % (task_name, error))


class _Replies:
    """This process's reply channel, and the calls waiting on it by task id."""

    def __init__(self):
        self.pid = os.getpid()
        self.carrier = wakeup._carrier()
        self.channel = 'reply.' + uuid.uuid4().hex
        self.waiting = {}
        self.handle = wakeup.listen(self.channel, self._woken)

    def _woken(self, task_id):
        event = self.waiting.get(task_id)
        if event is not None and not event.ready():
            event.send()

    def call(self, name, args, role, host, timeout):
        task_id = queue.enqueue(None, name, args, role=role, host=host, max_attempts=1,
                                reply_to=self.channel)
        deadline = eventlet.hubs.get_hub().clock() + timeout
        try:
            while True:
                event = self.waiting[task_id] = eventlet.Event()
                task = queue.get(task_id)
                if task is not None and task.state in (DONE, FAILED):
                    break
                left = deadline - eventlet.hubs.get_hub().clock()
                if left <= 0:
                    self._abandon(task_id)
                    raise CallTimeout('The %s agent on host %s did not answer %s in %ss.'
                                      % (role, host, name, timeout))
                event.wait(min(left, RECHECK))
        finally:
            self.waiting.pop(task_id, None)
        self._forget(task_id)
        if task.state == FAILED:
            raise_remote(name, task.error, task.result)
        return task.result

    @staticmethod
    def _abandon(task_id):
        """Withdraw a call nobody took; one already running finishes unheard."""
        with db_api.writer() as s:
            s.execute(sa.delete(Task).where(Task.id == task_id, Task.state == QUEUED))

    @staticmethod
    def _forget(task_id):
        with db_api.writer() as s:
            s.execute(sa.delete(Task).where(Task.id == task_id))


_reply_state = {}


def _replies():
    replies = _reply_state.get('replies')
    if replies is None or replies.pid != os.getpid() or replies.carrier is not wakeup._carrier():
        replies = _reply_state['replies'] = _Replies()
    return replies
