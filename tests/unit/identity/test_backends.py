"""Identity backends per domain: the domain configuration selects one; an
external backend's users and groups are mirrored, read-only. (The LDAP
backend itself runs against a real slapd in tests/functional.)"""
import pytest

from cloudstack.identity import backends
from cloudstack.identity.backends import base
from cloudstack.identity.backends import ldap
from cloudstack.identity.backends import sql

V3 = '/identity/v3'


class FakeDirectory(base.IdentityBackend):
    """An external backend whose content the test sets."""
    name = 'fake'
    users = []
    groups = []
    passwords = {}

    def list_users(self):
        return list(self.users)

    def find_user(self, name):
        return next((u for u in self.users if u.name == name), None)

    def list_groups(self):
        return list(self.groups)

    def authenticate(self, local_id, password):
        return self.passwords.get(local_id) == password


@pytest.fixture
def drivers_enabled(conf):
    conf.set_override('domain_specific_drivers_enabled', True, group='identity')
    yield
    conf.clear_override('domain_specific_drivers_enabled', group='identity')


@pytest.fixture
def fake_backend(monkeypatch, drivers_enabled):
    real_load, real_available = backends.load, backends.available
    monkeypatch.setattr(backends, 'load',
                        lambda name: FakeDirectory if name == 'fake' else real_load(name))
    monkeypatch.setattr(backends, 'available', lambda: real_available() + ['fake'])
    FakeDirectory.users = [base.UserRecord('u1', 'ann', email='ann@x'),
                           base.UserRecord('u2', 'ben', enabled=False)]
    FakeDirectory.groups = [base.GroupRecord('g1', 'staff', member_ids=['u1'])]
    FakeDirectory.passwords = {'u1': 'ann-pw', 'u2': 'ben-pw'}
    return FakeDirectory


@pytest.fixture
def directory_domain(admin, fake_backend):
    domain = admin.post(V3 + '/domains', {'domain': {'name': 'dir'}}).json['domain']
    resp = admin.put(V3 + '/domains/%s/config' % domain['id'],
                     {'config': {'identity': {'driver': 'fake'}}})
    assert resp.status_int == 201, resp.text
    return domain['id']


def test_the_installed_backends():
    assert {'sql', 'ldap'} <= set(backends.available())
    assert backends.load('sql') is sql.SqlBackend
    assert backends.load('ldap') is ldap.LdapBackend


def test_configurations_are_inert_unless_domain_drivers_are_enabled(admin, fake_backend):
    """As in Keystone: [identity] domain_specific_drivers_enabled off, a domain's
    configuration is stored as given and selects nothing."""
    from cloudstack.conf import CONF
    CONF.set_override('domain_specific_drivers_enabled', False, group='identity')
    path = V3 + '/domains/default/config'
    assert admin.put(path, {'config': {'identity': {'driver': 'fake'}}}).status_int == 201
    assert admin.put(path, {'config': {'identity': {'driver': 'any-name'}}}).status_int == 200
    resp = admin.post(V3 + '/users', {'user': {'name': 'x'}})
    assert resp.status_int == 201          # the default domain stays the SQL tables


def test_a_driver_we_do_not_have_is_refused_and_not_stored(admin, drivers_enabled):
    path = V3 + '/domains/default/config'
    resp = admin.put(path, {'config': {'identity': {'driver': 'nosuch'}}})
    assert resp.status_int == 400 and 'nosuch' in resp.text
    assert admin.get(path).status_int == 404
    assert admin.put(path, {'config': {'identity': {'driver': 'sql'}}}).status_int == 201
    resp = admin.patch(path + '/identity/driver', {'config': {'driver': 'nosuch'}})
    assert resp.status_int == 400
    assert admin.get(path).json['config'] == {'identity': {'driver': 'sql'}}


def test_external_users_and_groups_are_listed_with_stable_ids(admin, directory_domain):
    users = admin.get(V3 + '/users?domain_id=' + directory_domain).json['users']
    assert sorted((u['name'], u['enabled']) for u in users) == [('ann', True), ('ben', False)]
    ann = next(u for u in users if u['name'] == 'ann')
    assert ann['email'] == 'ann@x' and len(ann['id']) == 64
    groups = admin.get(V3 + '/groups?domain_id=' + directory_domain).json['groups']
    assert [g['name'] for g in groups] == ['staff']
    members = admin.get(V3 + '/groups/%s/users' % groups[0]['id']).json['users']
    assert [m['id'] for m in members] == [ann['id']]
    # listing again changes nothing, ids included
    again = admin.get(V3 + '/users?domain_id=' + directory_domain).json['users']
    assert sorted(u['id'] for u in again) == sorted(u['id'] for u in users)


def test_external_users_authenticate_against_the_backend(admin, client, directory_domain,
                                                         fake_backend):
    def token(name, password):
        return client.post(V3 + '/auth/tokens', {'auth': {'identity': {
            'methods': ['password'], 'password': {'user': {
                'name': name, 'domain': {'name': 'dir'}, 'password': password}}}}})
    assert token('ann', 'ann-pw').status_int == 201
    assert token('ann', 'wrong').status_int == 401
    assert token('ben', 'ben-pw').status_int == 401          # disabled there
    # a user that appears in the backend may sign in before any listing
    fake_backend.users = fake_backend.users + [base.UserRecord('u3', 'cid')]
    fake_backend.passwords['u3'] = 'cid-pw'
    assert token('cid', 'cid-pw').status_int == 201
    # one that leaves the backend is gone, with its tokens
    ann_token = token('ann', 'ann-pw').headers['X-Subject-Token']
    fake_backend.users = [u for u in fake_backend.users if u.name != 'ann']
    admin.get(V3 + '/users')
    assert admin.get(V3 + '/auth/tokens', headers={
        'X-Subject-Token': ann_token}).status_int == 404


def test_external_domains_are_read_only(admin, directory_domain):
    resp = admin.post(V3 + '/users', {'user': {'name': 'x', 'domain_id': directory_domain}})
    assert resp.status_int == 403 and 'FAKE user create' in resp.text
    users = admin.get(V3 + '/users?domain_id=' + directory_domain).json['users']
    resp = admin.patch(V3 + '/users/' + users[0]['id'], {'user': {'enabled': False}})
    assert resp.status_int == 403
    assert admin.delete(V3 + '/users/' + users[0]['id']).status_int == 403
    groups = admin.get(V3 + '/groups?domain_id=' + directory_domain).json['groups']
    assert admin.put(V3 + '/groups/%s/users/%s' % (
        groups[0]['id'], users[1]['id'])).status_int == 403
    assert admin.post(V3 + '/groups', {'group': {
        'name': 'g', 'domain_id': directory_domain}}).status_int == 403
    # the default domain stays writable
    assert admin.post(V3 + '/users', {'user': {'name': 'x'}}).status_int == 201
