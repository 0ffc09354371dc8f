"""Compute's view of the agents table: nova-compute services and their hosts.

os-services, os-hypervisors' state and the scheduler's "is this host up and
enabled" all read it through here."""
from cloudstack.tasks import agents

ROLE = 'compute'


def compute_services():
    """The compute agents: dicts of the agents table with 'up'."""
    return agents.list_agents(role=ROLE)


def all_services():
    return agents.list_agents()


def usable_hosts():
    """{host: service} of compute services up and enabled."""
    return {s['host']: s for s in compute_services() if s['up'] and not s['disabled']}


def service_for(host):
    return agents.find(host, ROLE)


def is_up(host):
    service = service_for(host)
    return bool(service and service['up'])
