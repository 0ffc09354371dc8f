"""Durable tasks: slow work that survives any process dying.

A manager writes its intended state and the task in one transaction:

    with db_api.writer() as session:
        server.status = 'BUILD'
        tasks.enqueue(session, 'compute.build', {'server_id': server.id},
                      role='compute', host=server.host, resource=('server', server.id))

and an engine runs `handler(**args)` in a green thread, at least once, until
it returns (done) or has failed max_attempts times. Handlers must therefore be
idempotent, and must not block the process (blocking calls go through
eventlet.tpool). A task goes to any engine running host-less work (no role),
to any agent of a role, or to the agent of a role on one host; see engine.py.
A service registers handlers and periodic tasks under stable names in a module
named in setup.cfg under the `cloudstack.tasks` entry point group; the task
table stores only those names:

    @tasks.handler('compute.build')
    def build(server_id): ...

    @tasks.periodic(600, name='compute.sync_power_states', role='compute', per_host=True)
    def sync_power_states(): ...

`tasks.call()` asks one agent for an answer and waits for it (rpc.py);
`cloudstack.tasks.agents` is the agents table; `cloudstack.tasks.recovery`
the recovery of resources left in transitional states.
"""
from cloudstack.tasks.queue import (  # noqa: F401
    ALL_HOSTS, ROLES, Permanent, enqueue, get, handler, periodic)
from cloudstack.tasks.rpc import (  # noqa: F401
    CallError, CallTimeout, NoAgent, RemoteError, call, cast)
