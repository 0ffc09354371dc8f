"""A host's network agent: the `network` role of an engine.

The manager queues `network.sync_host` for a host whenever something that
host should have changed (at most one waits per host). The handler, run by
that host's agent, asks the manager for the host's whole wanted state, hands
it to the driver, and reports back which ports are wired. The same happens
when the agent starts (after a crash, the first sync repairs the host) and
every RESYNC_INTERVAL seconds.
"""
import logging

import eventlet.semaphore

from cloudstack import context as cs_context
from cloudstack import drivers
from cloudstack import tasks
from cloudstack.conf import CONF
from cloudstack.network import recovery  # noqa: F401  (registers the ports' lifecycle)
from cloudstack.network.manager import base
from cloudstack.tasks import agents

LOG = logging.getLogger(__name__)

DRIVER_NAMESPACE = 'cloudstack.network.drivers'
# While ports bound here are not wired yet (a hypervisor plugs taps after the
# port is bound, which changes nothing in the database), look again soon.
DOWN_RETRY = 2
# A full resync of each host every so often, whatever happened.
RESYNC_INTERVAL = 60

_agents = {}        # host -> HostAgent


class HostAgent:
    """One host's driver, synced by one green thread at a time."""

    def __init__(self, host):
        self.host = host
        self.driver = drivers.load(DRIVER_NAMESPACE, CONF.network.driver)(host)
        self.lock = eventlet.semaphore.Semaphore()
        self.ready = False

    def start(self):
        with self.lock:
            if not self.ready:
                self.driver.init()
                self.ready = True
        _manager().register_host(self.host, CONF.network.local_ip)

    def sync(self):
        """Make the host match the database; returns the driver's answer."""
        if not self.ready:
            self.start()
        manager = _manager()
        ctx = cs_context.RequestContext.admin()
        with self.lock:
            manager.start_sync(self.host, {'driver': CONF.network.driver})
            if self.driver.needs_state:
                state = manager.host_state(ctx, self.host)
            else:
                state = manager.bound_ports(ctx, self.host)
            result = self.driver.sync(state) or {}
        up, down = result.get('up') or [], result.get('down') or []
        manager.update_port_status(ctx, self.host, up, down)
        if down:
            manager.request_host_sync(self.host, delay=DOWN_RETRY)
        return {'up': len(up), 'down': len(down)}


def _manager():
    from cloudstack.network import manager
    return manager.get()


def agent(host):
    found = _agents.get(host)
    if found is None:
        found = _agents[host] = HostAgent(host)
    return found


@tasks.handler(base.SYNC_HANDLER)
def sync_host(host):
    """The task: sync this host's dataplane with the database."""
    return agent(host).sync()


@tasks.periodic(RESYNC_INTERVAL, name='network.resync', role=base.ROLE, per_host=True)
def resync():
    """Every host's whole dataplane again, now and then."""
    return agent(CONF.host).sync()


def interface_mappings():
    """{physical network: interface} of this host, as its driver has them."""
    group = getattr(CONF, 'linuxbridge', None)
    return dict(getattr(group, 'physical_interface_mappings', None) or {})


class NetworkRole(agents.RoleService):
    """The `network` role of an engine (cloudstack.roles): start the host's
    driver, resync it, and report what Neutron's agents report."""

    def __init__(self, host):
        super().__init__(host)
        self.availability_zone = CONF.network.availability_zone

    def init_host(self):
        agent(self.host).start()

    def resync(self):
        agent(self.host).sync()

    def report(self):
        found = _agents.get(self.host)
        return {'driver': CONF.network.driver, 'local_ip': CONF.network.local_ip,
                'interface_mappings': interface_mappings(),
                'tunnel_types': ['vxlan'], 'ready': bool(found and found.ready)}
