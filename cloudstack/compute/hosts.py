"""Compute's view of the agents table: nova-compute services and their hosts.

os-services, os-hypervisors' state and the scheduler's "is this host up and
enabled" all read it through here."""
from cloudstack.compute.manager.base import this_host

try:
    from cloudstack.tasks import agents
except ImportError:         # before the foundation's agents table lands
    agents = None

ROLE = 'compute'


def compute_services():
    """[{'id', 'uuid', 'host', 'binary', 'disabled', 'disabled_reason',
    'forced_down', 'up', 'heartbeat_at', 'availability_zone', 'role'}]"""
    if agents is not None:
        return agents.list_agents(role=ROLE)
    return [_local()]


def all_services():
    if agents is not None:
        return agents.list_agents()
    return [_local()]


def _local():
    return {'id': 1, 'uuid': '00000000-0000-0000-0000-000000000001',
            'host': this_host(), 'role': ROLE, 'binary': 'cloudstack-compute',
            'disabled': False, 'disabled_reason': None, 'forced_down': False,
            'up': True, 'heartbeat_at': None, 'updated_at': None,
            'availability_zone': None}


def usable_hosts():
    """{host: service} of compute services up and enabled."""
    return {s['host']: s for s in compute_services() if s['up'] and not s['disabled']}


def service_for(host):
    for s in compute_services():
        if s['host'] == host:
            return s
    return None


def is_up(host):
    service = service_for(host)
    return bool(service and service['up'])
