"""Compute, Networking and Block Storage x the personas of secure RBAC, with
`enforce_scope` and `enforce_new_defaults` on, through the server's API.

Expectations come from the upstream defaults (Nova's, Neutron's, Cinder's
rule check strings and scope types), not from our code:
- Nova and Neutron take project tokens only: system and domain personas are
  refused (403, or 404 where the resource is looked up before the policy).
  Their `admin` is any token with the admin role in its project; the
  project reader reads, the member writes; `service` is Neutron's
  `service_api` (ports and networks of every project).
- Cinder's rules have no scope types: the admin role on any scope is its
  admin; the other system and domain personas never see or touch the
  project's volumes.
Another project's resource is a 404 to the project personas that may not
see it.
"""
import uuid

import pytest

from tests.unit.compute.conftest import compute, run_tasks as run_compute_tasks  # noqa: F401
from tests.unit.identity import rbac_world
from tests.unit.identity.rbac_world import DOMAIN, PERSONAS, SYSTEM
from tests.unit.volume.conftest import backend, cloud, run_tasks as run_volume_tasks  # noqa: F401

NOVA = '/compute/v2.1'
NEUTRON = '/networking/v2.0'
CINDER = '/volume/v3'

PROJECT_ADMIN = {'project_admin'}
MEMBERS = {'project_admin', 'project_member'}
READERS = MEMBERS | {'project_reader'}
NOT_IN_SCOPE = set(SYSTEM) | set(DOMAIN)
SCOPED_ADMINS = {'system_admin', 'domain_admin'}


class Row:
    """One operation: `request(world)` -> (method, path, body); `allowed`
    succeed (and, for a list, find the project's resource with `sees`);
    `hidden` get 404; system and domain personas 403 or 404; the rest 403.
    A list may also answer those not allowed with a list lacking it."""

    def __init__(self, name, request, allowed, hidden=(), sees=None, out_of_scope=None):
        self.name, self.request, self.allowed = name, request, set(allowed)
        self.hidden, self.sees = set(hidden), sees
        self.out_of_scope = NOT_IN_SCOPE if out_of_scope is None else out_of_scope

    def judge(self, persona, resp, world):
        status = resp.status_int
        if persona in self.allowed:
            return status < 400 and (self.sees is None or self.sees(resp.json, world))
        if self.sees is not None and status == 200:
            return not self.sees(resp.json, world)
        if persona in self.hidden:
            return status == 404
        if persona in self.out_of_scope:
            return status in (403, 404)
        return status == 403


def run_matrix(world, rows, base):
    wrong = []
    for row in rows:
        for persona in PERSONAS:
            request = row.request(world, persona)
            resp = world.call(persona, *request, base=base)
            if resp.status_int >= 500 or not row.judge(persona, resp, world):
                wrong.append('%s: %s %s %s -> %s %s' % (
                    row.name, persona, request[0], request[1], resp.status,
                    resp.text[:200]))
    assert not wrong, '\n'.join(wrong)


@pytest.fixture
def secure_rbac(override):
    from cloudstack.conf import CONF
    if 'enforce_scope' in CONF.oslo_policy:      # oslo.policy 6 always enforces scope
        override('enforce_scope', True, group='oslo_policy')
    override('enforce_new_defaults', True, group='oslo_policy')
    from cloudstack import policy
    policy.reset()


def _id(resp, key):
    rbac_world.ok(resp, 200, 201, 202)
    return resp.json[key]['id']


# ---- Compute

class ComputeWorld(rbac_world.World):
    """A server of p1 and one of the admin's project (another project)."""

    def __init__(self, admin, client, image_id):
        super().__init__(admin, client)
        self.image_id = image_id
        rbac_world.ok(admin.put(NOVA + '/os-quota-sets/' + self.p1, {'quota_set': {
            'instances': -1, 'cores': -1, 'ram': -1}}), 200)
        self.own = self.boot('project_member')
        self.other = self.boot(None)

    def boot(self, persona):
        body = {'server': {'name': 'vm-' + uuid.uuid4().hex[:6], 'imageRef': self.image_id,
                           'flavorRef': '1'}}
        if persona is None:
            resp = self.admin.post(NOVA + '/servers', body)
        else:
            resp = self.call(persona, 'POST', '/servers', body, base=NOVA)
        server_id = _id(resp, 'server')
        run_compute_tasks()
        return server_id


def _server_listed(body, world):
    return world.own in [s['id'] for s in body['servers']]


COMPUTE = [
    Row('list_servers', lambda w, p: ('GET', '/servers', None), READERS,
        sees=_server_listed),
    Row('show_own_server', lambda w, p: ('GET', '/servers/' + w.own, None), READERS),
    Row('show_other_projects_server', lambda w, p: ('GET', '/servers/' + w.other, None),
        PROJECT_ADMIN, hidden={'project_member', 'project_reader', 'service'}),
    Row('create_server', lambda w, p: ('POST', '/servers', {'server': {
        'name': 'new', 'imageRef': w.image_id, 'flavorRef': '1'}}), MEMBERS),
    Row('delete_own_server', lambda w, p: (
        'DELETE', '/servers/' + w.boot('project_member'), None), MEMBERS),
    Row('stop_own_server', lambda w, p: (
        'POST', '/servers/%s/action' % w.boot('project_member'), {'os-stop': None}),
        MEMBERS),
    Row('list_hypervisors', lambda w, p: ('GET', '/os-hypervisors', None), PROJECT_ADMIN),
    Row('list_compute_services', lambda w, p: ('GET', '/os-services', None), PROJECT_ADMIN),
    Row('show_own_quotas', lambda w, p: ('GET', '/os-quota-sets/' + w.p1, None), READERS),
    Row('update_quotas', lambda w, p: (
        'PUT', '/os-quota-sets/' + w.p1, {'quota_set': {'instances': 1000}}), PROJECT_ADMIN),
    Row('create_flavor', lambda w, p: ('POST', '/flavors', {'flavor': {
        'name': 'f-' + uuid.uuid4().hex[:8], 'ram': 64, 'vcpus': 1, 'disk': 1}}),
        PROJECT_ADMIN),
    Row('list_aggregates', lambda w, p: ('GET', '/os-aggregates', None), PROJECT_ADMIN),
    Row('create_keypair', lambda w, p: ('POST', '/os-keypairs', {'keypair': {
        'name': 'k-' + uuid.uuid4().hex[:8]}}), READERS | {'service'}),
    Row('create_server_group', lambda w, p: ('POST', '/os-server-groups', {'server_group': {
        'name': 'g', 'policies': ['affinity']}}), MEMBERS),
    Row('lock_own_server', lambda w, p: (
        'POST', '/servers/%s/action' % w.own, {'lock': None}), MEMBERS),
    Row('list_own_server_actions', lambda w, p: (
        'GET', '/servers/%s/os-instance-actions' % w.own, None), READERS),
    Row('list_migrations', lambda w, p: ('GET', '/os-migrations', None), PROJECT_ADMIN),
    Row('server_external_events', lambda w, p: (
        'POST', '/os-server-external-events', {'events': [
            {'name': 'network-changed', 'server_uuid': w.own}]}),
        PROJECT_ADMIN | {'service'}),
]


def test_compute_personas(secure_rbac, admin, client, compute):  # noqa: F811
    run_matrix(ComputeWorld(admin, client, compute.image_id), COMPUTE, NOVA)


# ---- Networking

class NetworkWorld(rbac_world.World):
    """p1's network and port, the admin project's network; a network agent."""

    def __init__(self, admin, client):
        super().__init__(admin, client)
        from cloudstack.tasks import agents
        agents.register('rbac-net-host', 'network', 'cloudstack-network-agent')
        agents.beat('rbac-net-host', {'network': {'local_ip': '192.0.2.1'}})
        self.own = self.network('project_member')
        self.other = self.network(None)
        self.port = self.new_port()
        self.pool = _id(self.call('project_member', 'POST', '/subnetpools', {'subnetpool': {
            'name': 'pool', 'prefixes': ['10.10.0.0/16'], 'default_prefixlen': 24}},
            base=NEUTRON), 'subnetpool')

    def network(self, persona, **extra):
        body = {'network': dict(name='net-' + uuid.uuid4().hex[:6], **extra)}
        if persona is None:
            return _id(self.admin.post(NEUTRON + '/networks', body), 'network')
        return _id(self.call(persona, 'POST', '/networks', body, base=NEUTRON), 'network')

    def new_port(self):
        return _id(self.call('project_member', 'POST', '/ports',
                             {'port': {'network_id': self.own}}, base=NEUTRON), 'port')


def _listed(collection, attr):
    return lambda body, w: getattr(w, attr) in [r['id'] for r in body[collection]]


NETWORK = [
    Row('list_networks', lambda w, p: ('GET', '/networks', None), READERS | {'service'},
        sees=_listed('networks', 'own')),
    Row('show_own_network', lambda w, p: ('GET', '/networks/' + w.own, None),
        READERS | {'service'}),
    Row('show_other_projects_network', lambda w, p: ('GET', '/networks/' + w.other, None),
        PROJECT_ADMIN | {'service'}, hidden={'project_member', 'project_reader'}),
    Row('create_network', lambda w, p: ('POST', '/networks', {'network': {'name': 'n'}}),
        MEMBERS),
    Row('create_shared_network', lambda w, p: (
        'POST', '/networks', {'network': {'name': 'n', 'shared': True}}), PROJECT_ADMIN),
    Row('update_own_network', lambda w, p: (
        'PUT', '/networks/' + w.own, {'network': {'description': p}}), MEMBERS),
    Row('delete_own_network', lambda w, p: (
        'DELETE', '/networks/' + w.network('project_member'), None), MEMBERS),
    Row('create_port', lambda w, p: ('POST', '/ports', {'port': {'network_id': w.own}}),
        MEMBERS | {'service'}),
    Row('create_port_with_binding_host', lambda w, p: ('POST', '/ports', {'port': {
        'network_id': w.own, 'binding:host_id': 'rbac-net-host'}}),
        PROJECT_ADMIN | {'service'}),
    Row('list_ports', lambda w, p: ('GET', '/ports', None), READERS | {'service'},
        sees=_listed('ports', 'port')),
    Row('show_own_port', lambda w, p: ('GET', '/ports/' + w.port, None),
        READERS | {'service'}),
    Row('delete_own_port', lambda w, p: ('DELETE', '/ports/' + w.new_port(), None),
        MEMBERS | {'service'}),
    Row('create_router', lambda w, p: ('POST', '/routers', {'router': {'name': 'r'}}),
        MEMBERS),
    Row('create_security_group', lambda w, p: (
        'POST', '/security-groups', {'security_group': {'name': 'sg'}}), MEMBERS),
    Row('list_subnet_pools', lambda w, p: ('GET', '/subnetpools', None),
        READERS, sees=_listed('subnetpools', 'pool')),
    Row('network_ip_availability', lambda w, p: (
        'GET', '/network-ip-availabilities/' + w.own, None), PROJECT_ADMIN | {'service'},
        hidden={'project_member', 'project_reader'}),
    Row('list_agents', lambda w, p: ('GET', '/agents', None), PROJECT_ADMIN,
        sees=lambda body, w: bool(body['agents'])),
    Row('update_quotas', lambda w, p: (
        'PUT', '/quotas/' + w.p1, {'quota': {'network': 20}}), PROJECT_ADMIN),
]


def test_networking_personas(secure_rbac, admin, client):
    run_matrix(NetworkWorld(admin, client), NETWORK, NEUTRON)


# ---- Block Storage

class VolumeWorld(rbac_world.World):
    """p1's volume and one of the admin project."""

    def __init__(self, admin, client):
        super().__init__(admin, client)
        rbac_world.ok(admin.put(CINDER + '/os-quota-sets/' + self.p1, {'quota_set': {
            'volumes': -1, 'gigabytes': -1, 'backups': -1, 'backup_gigabytes': -1}}), 200)
        self.own = self.volume('project_member')
        self.other = self.volume(None)
        self.snapshot = _id(self.call('project_member', 'POST', '/snapshots', {'snapshot': {
            'volume_id': self.own, 'name': 'snap'}}, base=CINDER), 'snapshot')
        self.group_type = _id(admin.post(CINDER + '/group_types', {'group_type': {
            'name': 'gt'}}, headers=GROUPS), 'group_type')
        self.volume_type = admin.get(CINDER + '/types/default').json['volume_type']['id']
        run_volume_tasks()

    def transfer(self):
        """A new volume of p1 offered for transfer: the path and body that accept it."""
        resp = self.call('project_member', 'POST', '/os-volume-transfer', {'transfer': {
            'volume_id': self.volume('project_member')}}, base=CINDER)
        rbac_world.ok(resp, 202)
        offer = resp.json['transfer']
        return ('POST', '/os-volume-transfer/%s/accept' % offer['id'],
                {'accept': {'auth_key': offer['auth_key']}})

    def volume(self, persona):
        body = {'volume': {'size': 1, 'name': 'vol-' + uuid.uuid4().hex[:6]}}
        if persona is None:
            resp = self.admin.post(CINDER + '/volumes', body)
        else:
            resp = self.call(persona, 'POST', '/volumes', body, base=CINDER)
        volume_id = _id(resp, 'volume')
        run_volume_tasks()
        return volume_id


GROUPS = {'OpenStack-API-Version': 'volume 3.13'}
VOLUME_ADMINS = PROJECT_ADMIN | SCOPED_ADMINS
# Cinder's rules have no scope types: an admin on any scope is Cinder's admin
# (it reaches every project's volumes); the other system and domain personas
# never see or touch p1's volumes, and create none (a volume needs a project).
VOLUME_OUT_OF_SCOPE = NOT_IN_SCOPE - SCOPED_ADMINS


def _refused_or_400(row):
    """Tokens of no project: Cinder's `role:member and project_id:...` may
    pass them; the volume still needs a project (400), never a 500."""
    judge = row.judge

    def judge_400(persona, resp, world):
        if persona in NOT_IN_SCOPE:
            return resp.status_int in (400, 403, 404)
        return judge(persona, resp, world)
    row.judge = judge_400
    return row


VOLUME = [
    Row('list_volumes', lambda w, p: ('GET', '/volumes', None), READERS,
        sees=_listed('volumes', 'own'), out_of_scope=NOT_IN_SCOPE),
    Row('show_own_volume', lambda w, p: ('GET', '/volumes/' + w.own, None),
        READERS | SCOPED_ADMINS, out_of_scope=VOLUME_OUT_OF_SCOPE),
    Row('show_other_projects_volume', lambda w, p: ('GET', '/volumes/' + w.other, None),
        VOLUME_ADMINS, hidden={'project_member', 'project_reader', 'service'},
        out_of_scope=VOLUME_OUT_OF_SCOPE),
    _refused_or_400(Row('create_volume', lambda w, p: (
        'POST', '/volumes', {'volume': {'size': 1}}), MEMBERS)),
    Row('delete_own_volume', lambda w, p: (
        'DELETE', '/volumes/' + w.volume('project_member'), None), MEMBERS | SCOPED_ADMINS,
        out_of_scope=VOLUME_OUT_OF_SCOPE),
    Row('snapshot_own_volume', lambda w, p: ('POST', '/snapshots', {'snapshot': {
        'volume_id': w.own, 'name': 's'}}), MEMBERS | SCOPED_ADMINS,
        out_of_scope=VOLUME_OUT_OF_SCOPE),
    Row('back_up_own_volume', lambda w, p: ('POST', '/backups', {'backup': {
        'volume_id': w.volume('project_member')}}), MEMBERS | SCOPED_ADMINS,
        out_of_scope=VOLUME_OUT_OF_SCOPE),
    _refused_or_400(Row('create_group', lambda w, p: ('POST', '/groups', {'group': {
        'group_type': w.group_type, 'volume_types': [w.volume_type]}}, GROUPS), MEMBERS)),
    _refused_or_400(Row('accept_transfer', lambda w, p: w.transfer(), MEMBERS)),
    Row('list_snapshots', lambda w, p: ('GET', '/snapshots', None), READERS,
        sees=_listed('snapshots', 'snapshot'), out_of_scope=NOT_IN_SCOPE),
    Row('list_volume_services', lambda w, p: ('GET', '/os-services', None), VOLUME_ADMINS,
        out_of_scope=VOLUME_OUT_OF_SCOPE),
    Row('update_quotas', lambda w, p: (
        'PUT', '/os-quota-sets/' + w.p1, {'quota_set': {'volumes': 20}}), VOLUME_ADMINS,
        out_of_scope=VOLUME_OUT_OF_SCOPE),
    Row('create_volume_type', lambda w, p: (
        'POST', '/types', {'volume_type': {'name': 't-' + uuid.uuid4().hex[:8]}}),
        VOLUME_ADMINS, out_of_scope=VOLUME_OUT_OF_SCOPE),
    Row('reset_volume_status', lambda w, p: (
        'POST', '/volumes/%s/action' % w.own, {'os-reset_status': {'status': 'available'}}),
        VOLUME_ADMINS, out_of_scope=VOLUME_OUT_OF_SCOPE),
]


def test_block_storage_personas(secure_rbac, admin, client, cloud):  # noqa: F811
    run_matrix(VolumeWorld(admin, client), VOLUME, CINDER)
