"""Durable tasks: slow work that survives any process dying.

A manager writes its intended state and the task in one transaction:

    with db_api.writer() as session:
        server.status = 'BUILD'
        tasks.enqueue(session, 'compute.build', {'server_id': server.id})

and the engine runs `handler(**args)` in a green thread, at least once, until
it returns (done) or has failed max_attempts times. Handlers must therefore be
idempotent, and must not block the process (blocking calls go through
eventlet.tpool). A service registers handlers and periodic tasks in a module
named in setup.cfg under the `cloudstack.tasks` entry point group:

    @tasks.handler('compute.build')
    def build(server_id): ...

    @tasks.periodic(600)
    def sync_power_states(): ...
"""
from cloudstack.tasks.queue import Permanent, enqueue, get, handler, periodic  # noqa: F401
