"""How Compute addresses work to the compute agent of a host: durable tasks
(`cast`) and synchronous calls (`call`), through cloudstack.tasks."""
import inspect

from cloudstack import tasks
from cloudstack.conf import CONF

ROLE = 'compute'
# Until host-addressed tasks land from the foundation branch, every engine
# runs every task (one host); then this is always True.
_ADDRESSED = 'role' in inspect.signature(tasks.enqueue).parameters


def cast(session, name, args, host, uuid=None, delay=0):
    """Queue handler `name(**args)` for the compute agent of `host`, in the
    caller's transaction; `uuid` is the server the task works on."""
    if not _ADDRESSED:
        return tasks.enqueue(session, name, args, delay=delay)
    return tasks.enqueue(session, name, args, role=ROLE, host=host, delay=delay,
                         resource=('server', uuid) if uuid else None)


def cast_anywhere(session, name, args, uuid=None, delay=0):
    """Queue host-less work."""
    if not _ADDRESSED:
        return tasks.enqueue(session, name, args, delay=delay)
    return tasks.enqueue(session, name, args, delay=delay,
                         resource=('server', uuid) if uuid else None)


def call(name, args, host, timeout=None):
    """Run `name(**args)` on the compute agent of `host` and return its result."""
    if not hasattr(tasks, 'call'):
        from cloudstack.tasks import queue
        return queue.resolve(name)(**args)
    return tasks.call(name, args, role=ROLE, host=host,
                      timeout=timeout or CONF.compute.api_call_timeout)
