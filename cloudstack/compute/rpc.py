"""How Compute addresses work to the compute agent of a host: durable tasks
(`cast`) and synchronous calls (`call`), through cloudstack.tasks."""
from cloudstack import exception
from cloudstack import tasks
from cloudstack.conf import CONF

ROLE = 'compute'
# What an agent's error becomes on the way back: tasks.call() rebuilds only
# the classes of cloudstack.exception, so an agent raises those.
_BY_CODE = {400: exception.BadRequest, 403: exception.Forbidden, 404: exception.NotFound,
            409: exception.Conflict, 501: exception.NotImplementedYet}


def cast(session, name, args, host, uuid=None, delay=0):
    """Queue handler `name(**args)` for the compute agent of `host`, in the
    caller's transaction; `uuid` is the server the task works on."""
    return tasks.enqueue(session, name, args, role=ROLE, host=host, delay=delay,
                         resource=('server', uuid) if uuid else None)


def call(name, args, host, timeout=None):
    """Run `name(**args)` on the compute agent of `host` and return its result."""
    return tasks.call(name, args, role=ROLE, host=host,
                      timeout=timeout or CONF.compute.api_call_timeout)


def portable(exc):
    """`exc` as a class tasks.call() can rebuild in the caller."""
    cls = _BY_CODE.get(getattr(exc, 'code', 500))
    if cls is None or type(exc) is cls:
        return exc
    return cls(exc.message)
