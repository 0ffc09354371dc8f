"""Fixtures of the Networking tests: the manager over a migrated database,
contexts of two projects and the admin."""
import pytest

from cloudstack import context
from cloudstack.network import manager as network_manager


AGENT_HOST = 'net-host-1'


@pytest.fixture
def mgr(db):
    """The manager, with one live network agent (on AGENT_HOST)."""
    from cloudstack.tasks import agents
    agents.register(AGENT_HOST, 'network', 'cloudstack-network-agent')
    agents.beat(AGENT_HOST, {'network': {'local_ip': '192.0.2.1'}})
    network_manager._manager = None
    yield network_manager.get()
    network_manager._manager = None


def _ctx(project, roles=('member', 'reader')):
    return context.RequestContext(user_id='user-' + project, project_id=project,
                                  roles=list(roles))


@pytest.fixture
def alice():
    return _ctx('project-a')


@pytest.fixture
def bob():
    return _ctx('project-b')


@pytest.fixture
def admin_ctx():
    return _ctx('project-admin', roles=('admin', 'member', 'reader'))


@pytest.fixture
def net(mgr, alice):
    """Alice's network with a /24 IPv4 subnet."""
    network = mgr.create_network(alice, {'name': 'n1'})
    subnet = mgr.create_subnet(alice, {'network_id': network['id'], 'ip_version': 4,
                                       'cidr': '10.0.0.0/24'})
    return network, subnet
