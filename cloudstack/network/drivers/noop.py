"""The `noop` driver: the API and IPAM with no dataplane.

Nothing is built, so every port bound to the host is wired as far as anyone
can tell: each sync reports all of them up (a bound port is ACTIVE at once).
"""
from cloudstack.network.drivers import base


class NoopDriver(base.NetworkDriver):
    needs_state = False

    def __init__(self, host):
        super().__init__(host)
        self.state = None       # the last state synced, for tests to look at

    def sync(self, state):
        self.state = state
        return {'up': [p['id'] for p in state['ports']], 'down': []}
