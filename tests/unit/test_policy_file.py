"""An operator's policy.yaml changes decisions of every service, through the
HTTP API; the enforcer's scope checks refuse tokens of the wrong scope."""
import os
import re

import pytest

from tests.unit.image.conftest import IMG, users  # noqa: F401 (fixture)
from tests.unit.object_store.test_api_fixtures import (  # noqa: F401 (fixtures)
    Swift, backend, make_user, other, swift)


@pytest.fixture
def policy_file(override, tmp_path):
    """write(rules): the policy file the server reads from now on."""
    from cloudstack import policy
    path = tmp_path / 'policy.yaml'
    path.write_text('{}\n')
    override('policy_file', str(path), group='oslo_policy')
    policy.reset()

    def write(rules):
        path.write_text(''.join('"%s": "%s"\n' % kv for kv in rules.items()))
        policy.reset()
    return write


def test_identity_rule_overridden(admin, policy_file):
    assert admin.get('/identity/v3/regions').status_int == 200
    policy_file({'identity:list_regions': '!'})
    assert admin.get('/identity/v3/regions').status_int == 403


def test_image_rule_overridden(users, policy_file):  # noqa: F811
    alice = users['alice']
    public = {'name': 'pub', 'visibility': 'public'}
    assert alice.post(IMG, public).status_int == 403
    policy_file({'publicize_image': 'role:member'})
    assert alice.post(IMG, public).status_int == 201


def test_object_store_rule_overridden(swift, other, policy_file):  # noqa: F811
    assert other('PUT', '/c').status_int == 201
    policy_file({'object_store:operator': 'role:swiftoperator'})
    assert other('PUT', '/c2').status_int == 403
    assert other('GET', '/c').status_int == 204     # empty, but still a project reader's
    policy_file({'object_store:operator': 'role:swiftoperator',
                 'object_store:project_reader': '!'})
    assert other('GET', '/c').status_int == 403


def test_compute_rule_overridden(admin, policy_file):
    assert admin.get('/compute/v2.1/os-keypairs').status_int == 200
    policy_file({'os_compute_api:os-keypairs:index': '!'})
    assert admin.get('/compute/v2.1/os-keypairs').status_int == 403


def test_network_rule_overridden(admin, policy_file):
    body = {'network': {'name': 'n1'}}
    assert admin.post('/networking/v2.0/networks', body).status_int == 201
    policy_file({'create_network': '!'})
    assert admin.post('/networking/v2.0/networks', body).status_int == 403


def test_volume_rule_overridden(admin, policy_file):
    project = admin.get('/identity/v3/auth/projects').json['projects'][0]['id']
    assert admin.get('/volume/v3/%s/volumes' % project).status_int == 200
    policy_file({'volume:get_all': '!'})
    assert admin.get('/volume/v3/%s/volumes' % project).status_int == 403


def test_a_changed_policy_file_is_noticed_without_a_restart(admin, policy_file,
                                                            monkeypatch):
    from cloudstack import policy
    monkeypatch.setattr(policy, 'RELOAD_INTERVAL', 0)
    assert admin.get('/identity/v3/regions').status_int == 200
    path = policy.enforcer('identity:list_regions').policy_file
    with open(path, 'w') as f:
        f.write('"identity:list_regions": "!"\n')
    later = os.path.getmtime(path) + 10
    os.utime(path, (later, later))      # newer than what was loaded
    assert admin.get('/identity/v3/regions').status_int == 403


def _system_token(admin):
    resp = admin.post('/identity/v3/auth/tokens', {'auth': {
        'identity': {'methods': ['token'], 'token': {'id': admin.token}},
        'scope': {'system': {'all': True}}}})
    assert resp.status_int == 201, resp.text
    return resp.headers['X-Subject-Token']


def test_image_refuses_a_system_scoped_token_as_glance_does(admin):
    system = _system_token(admin)
    assert admin.get(IMG, token=system).status_int == 403
    assert admin.get(IMG).status_int == 200


def test_a_domain_scoped_token_cannot_do_system_or_project_operations(admin):
    resp = admin.post('/identity/v3/auth/tokens', {'auth': {
        'identity': {'methods': ['token'], 'token': {'id': admin.token}},
        'scope': {'domain': {'id': 'default'}}}})
    if resp.status_int != 201:     # the admin needs a role on the domain
        role = admin.get('/identity/v3/roles?name=admin').json['roles'][0]['id']
        uid = admin.get('/identity/v3/users?name=admin').json['users'][0]['id']
        assert admin.put('/identity/v3/domains/default/users/%s/roles/%s' % (
            uid, role)).status_int == 204
        resp = admin.post('/identity/v3/auth/tokens', {'auth': {
            'identity': {'methods': ['token'], 'token': {'id': admin.token}},
            'scope': {'domain': {'id': 'default'}}}})
    domain = resp.headers['X-Subject-Token']
    # Keystone's scopes: creating a domain takes a system or project token,
    # listing users any token.
    assert admin.post('/identity/v3/domains', {'domain': {'name': 'd2'}},
                      token=domain).status_int == 403
    assert admin.get('/identity/v3/users', token=domain).status_int == 200


def test_no_code_tests_role_names():
    """Decisions about roles are policy rules, never code."""
    root = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, 'cloudstack')
    pattern = re.compile(r"""['"]\w+['"] in (\w+\.)*roles\b|\broles\s*==|\.roles\.count""")
    found = []
    for top, _, files in os.walk(root):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(top, name)
                with open(path) as f:
                    found += ['%s:%d' % (path, n) for n, line in enumerate(f, 1)
                              if pattern.search(line)]
    assert found == []


def test_the_policy_generator_writes_every_services_rules(tmp_path):
    """oslopolicy-sample-generator, through our entry points, writes a sample
    naming each rule of each service (as for OpenStack's services)."""
    import subprocess
    import sys

    from cloudstack import policy
    generator = os.path.join(os.path.dirname(sys.executable), 'oslopolicy-sample-generator')
    out = tmp_path / 'policy.yaml'
    args = [generator, '--output-file', str(out)]
    for service in policy.SERVICES:
        args += ['--namespace', 'cloudstack.' + service]
    subprocess.run(args, check=True, capture_output=True, timeout=120)
    written = set(re.findall(r'^#"([^"]+)":', out.read_text(), re.M))
    assert written == {rule.name for rule in policy.list_rules()}
