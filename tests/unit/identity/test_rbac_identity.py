"""Identity API x personas: allowed or 403 exactly as Keystone's defaults say.

Each row is one operation, the personas Keystone's secure-RBAC defaults let
through (enforce_scope and enforce_new_defaults on), derived from the rules'
check strings and scope types: `rule:admin_required` is any `admin`
assignment; a domain manager acts on users, groups, projects and grants of
its own domain only, granting at most `manager`; readers of a domain read
its users, groups, projects and grants.
"""
import uuid

import pytest

from cloudstack import policy
from tests.unit.identity import rbac_world
from tests.unit.identity.rbac_world import DOMAIN, PERSONAS, PROJECT, SYSTEM

ALL = set(PERSONAS)
ADMINS = {'system_admin', 'domain_admin', 'project_admin'}
# `rule:admin_required or (role:reader and system_scope:all)`, system or project scope
SYSTEM_OR_ADMIN = set(SYSTEM) | {'project_admin'}
# ... and the readers of the target's domain
DOMAIN_READERS = set(SYSTEM) | set(DOMAIN) | {'project_admin'}
OTHER_DOMAIN_READERS = set(SYSTEM) | {'domain_admin', 'project_admin'}
MANAGERS = ADMINS | {'domain_manager'}
ADMINS_SP = {'system_admin', 'project_admin'}
OWN = ALL        # every persona on its own user
OWN_SP = set(SYSTEM) | set(PROJECT) | {'service'}


def name():
    return 'n-' + uuid.uuid4().hex[:8]


def fresh(kind, domain):
    return lambda w, p: ('DELETE', '/%ss/%s' % (kind, w.new(kind, getattr(w, domain))), None)


def grant(where, actor, role, method='PUT'):
    """A grant of `role` to a fresh user of `actor`'s domain on `where`."""
    def op(w, p):
        user = w.new('user', getattr(w, actor))
        target = {'p1': 'projects/' + w.p1, 'p2': 'projects/' + w.p2,
                  'd1': 'domains/' + w.d1, 'd2': 'domains/' + w.d2}[where]
        if method != 'PUT':
            w.grant(target, user, role)
        return method, '/%s/users/%s/roles/%s' % (target, user, w.roles[role]), None
    return op


MATRIX = {
    'users': [
        ('list_users', lambda w, p: ('GET', '/users', None), DOMAIN_READERS),
        ('get_user_own_domain', lambda w, p: ('GET', '/users/' + w.u1, None), DOMAIN_READERS),
        ('get_user_other_domain', lambda w, p: ('GET', '/users/' + w.u2, None),
         OTHER_DOMAIN_READERS),
        ('get_user_self', lambda w, p: ('GET', '/users/' + w.users[p], None), OWN),
        ('create_user_own_domain', lambda w, p: (
            'POST', '/users', {'user': {'name': name(), 'domain_id': w.d1}}), MANAGERS),
        ('create_user_other_domain', lambda w, p: (
            'POST', '/users', {'user': {'name': name(), 'domain_id': w.d2}}), ADMINS),
        ('update_user_own_domain', lambda w, p: (
            'PATCH', '/users/' + w.u1, {'user': {'description': name()}}), MANAGERS),
        ('update_user_other_domain', lambda w, p: (
            'PATCH', '/users/' + w.u2, {'user': {'description': name()}}), ADMINS),
        ('delete_user_own_domain', fresh('user', 'd1'), MANAGERS),
        ('delete_user_other_domain', fresh('user', 'd2'), ADMINS),
        ('list_user_projects', lambda w, p: ('GET', '/users/%s/projects' % w.u1, None),
         DOMAIN_READERS),
        ('list_groups_for_user_other_domain',
         lambda w, p: ('GET', '/users/%s/groups' % w.u2, None), OTHER_DOMAIN_READERS),
        ('list_groups_for_user_self',
         lambda w, p: ('GET', '/users/%s/groups' % w.users[p], None), OWN),
    ],
    'groups': [
        ('list_groups', lambda w, p: ('GET', '/groups', None), DOMAIN_READERS),
        ('get_group_own_domain', lambda w, p: ('GET', '/groups/' + w.g1, None), DOMAIN_READERS),
        ('get_group_other_domain', lambda w, p: ('GET', '/groups/' + w.g2, None),
         OTHER_DOMAIN_READERS),
        ('create_group_own_domain', lambda w, p: (
            'POST', '/groups', {'group': {'name': name(), 'domain_id': w.d1}}), MANAGERS),
        ('create_group_other_domain', lambda w, p: (
            'POST', '/groups', {'group': {'name': name(), 'domain_id': w.d2}}), ADMINS),
        ('delete_group_own_domain', fresh('group', 'd1'), MANAGERS),
        ('add_user_to_group_own_domain', lambda w, p: (
            'PUT', '/groups/%s/users/%s' % (w.g1, w.new('user', w.d1)), None), MANAGERS),
        ('add_user_of_other_domain_to_group', lambda w, p: (
            'PUT', '/groups/%s/users/%s' % (w.g1, w.u2), None), ADMINS),
        ('list_users_in_group', lambda w, p: ('GET', '/groups/%s/users' % w.g1, None),
         DOMAIN_READERS),
    ],
    'projects': [
        ('list_projects', lambda w, p: ('GET', '/projects', None), DOMAIN_READERS),
        ('get_project_own', lambda w, p: ('GET', '/projects/' + w.p1, None),
         DOMAIN_READERS | set(PROJECT) | {'service'}),
        ('get_project_other_domain', lambda w, p: ('GET', '/projects/' + w.p2, None),
         OTHER_DOMAIN_READERS),
        ('create_project_own_domain', lambda w, p: (
            'POST', '/projects', {'project': {'name': name(), 'domain_id': w.d1}}), MANAGERS),
        ('create_project_other_domain', lambda w, p: (
            'POST', '/projects', {'project': {'name': name(), 'domain_id': w.d2}}), ADMINS),
        ('update_project_own', lambda w, p: (
            'PATCH', '/projects/' + w.p1, {'project': {'description': name()}}), MANAGERS),
        ('delete_project_other_domain', fresh('project', 'd2'), ADMINS),
        ('list_project_tags_other_domain',
         lambda w, p: ('GET', '/projects/%s/tags' % w.p2, None), OTHER_DOMAIN_READERS),
        ('create_project_tag_own',
         lambda w, p: ('PUT', '/projects/%s/tags/%s' % (w.p1, name()), None), MANAGERS),
    ],
    'domains': [
        ('get_domain_own', lambda w, p: ('GET', '/domains/' + w.d1, None), ALL),
        ('get_domain_other', lambda w, p: ('GET', '/domains/' + w.d2, None),
         OTHER_DOMAIN_READERS),
        ('list_domains', lambda w, p: ('GET', '/domains', None), OTHER_DOMAIN_READERS),
        ('create_domain', lambda w, p: ('POST', '/domains', {'domain': {'name': name()}}),
         ADMINS_SP),
    ],
    'grants': [
        ('list_grants_own_domain', lambda w, p: (
            'GET', '/projects/%s/users/%s/roles' % (w.p1, w.u1), None), DOMAIN_READERS),
        ('list_grants_other_domain', lambda w, p: (
            'GET', '/projects/%s/users/%s/roles' % (w.p2, w.u2), None), OTHER_DOMAIN_READERS),
        ('create_grant_member_own_domain', grant('p1', 'd1', 'member'), MANAGERS),
        ('create_grant_manager_on_domain', grant('d1', 'd1', 'manager'), MANAGERS),
        ('create_grant_admin_own_domain', grant('p1', 'd1', 'admin'), ADMINS),
        ('create_grant_other_domain', grant('p2', 'd2', 'member'), ADMINS),
        ('create_grant_user_of_other_domain', grant('p1', 'd2', 'member'), ADMINS),
        ('check_grant_own_domain', grant('p1', 'd1', 'reader', method='HEAD'), DOMAIN_READERS),
        ('revoke_grant_own_domain', grant('p1', 'd1', 'member', method='DELETE'), MANAGERS),
        ('revoke_grant_admin_own_domain', grant('p1', 'd1', 'admin', method='DELETE'), ADMINS),
        ('list_role_assignments', lambda w, p: ('GET', '/role_assignments', None),
         DOMAIN_READERS),
        ('list_system_grants', lambda w, p: ('GET', '/system/users/%s/roles' % w.u1, None),
         SYSTEM_OR_ADMIN),
        ('create_system_grant', lambda w, p: ('PUT', '/system/users/%s/roles/%s' % (
            w.new('user', w.d1), w.roles['reader']), None), ADMINS_SP),
    ],
    'roles': [
        ('list_roles', lambda w, p: ('GET', '/roles', None),
         OTHER_DOMAIN_READERS | {'domain_manager'}),
        ('get_role_member', lambda w, p: ('GET', '/roles/' + w.roles['member'], None),
         OTHER_DOMAIN_READERS | {'domain_manager'}),
        ('get_role_admin', lambda w, p: ('GET', '/roles/' + w.roles['admin'], None),
         OTHER_DOMAIN_READERS),
        ('create_role', lambda w, p: ('POST', '/roles', {'role': {'name': name()}}), ADMINS_SP),
    ],
    'credentials': [
        ('create_credential_own', lambda w, p: ('POST', '/credentials', {'credential': {
            'type': 'totp', 'blob': name(), 'user_id': w.users[p]}}), OWN),
        ('create_credential_other', lambda w, p: ('POST', '/credentials', {'credential': {
            'type': 'totp', 'blob': name(), 'user_id': w.u1}}), ADMINS),
        ('list_credentials', lambda w, p: ('GET', '/credentials', None), ALL),
    ],
    'application_credentials': [
        ('list_application_credentials_own', lambda w, p: (
            'GET', '/users/%s/application_credentials' % w.users[p], None), OWN_SP),
        ('list_application_credentials_other', lambda w, p: (
            'GET', '/users/%s/application_credentials' % w.u1, None), SYSTEM_OR_ADMIN),
        ('create_application_credential_own', lambda w, p: (
            'POST', '/users/%s/application_credentials' % w.users[p],
            {'application_credential': {'name': name()}}), set(PROJECT) | {'service'}),
        ('list_ec2_credentials_own', lambda w, p: (
            'GET', '/users/%s/credentials/OS-EC2' % w.users[p], None), OWN_SP),
        ('create_ec2_credential_own', lambda w, p: (
            'POST', '/users/%s/credentials/OS-EC2' % w.users[p], {'tenant_id': w.p1}),
         {'system_admin', 'system_member', 'project_admin', 'project_member'}),
    ],
    'other': [
        ('list_trusts', lambda w, p: ('GET', '/OS-TRUST/trusts', None), SYSTEM_OR_ADMIN),
        ('list_services', lambda w, p: ('GET', '/services', None), SYSTEM_OR_ADMIN),
        ('create_service', lambda w, p: ('POST', '/services', {'service': {'type': name()}}),
         ADMINS_SP),
        ('list_endpoints', lambda w, p: ('GET', '/endpoints', None), SYSTEM_OR_ADMIN),
        ('list_regions', lambda w, p: ('GET', '/regions', None), ALL),
        ('list_policies', lambda w, p: ('GET', '/policies', None), SYSTEM_OR_ADMIN),
        ('validate_own_token', lambda w, p: (
            'GET', '/auth/tokens', None, {'X-Subject-Token': w.tokens[p]}), ALL),
        ('validate_other_token', lambda w, p: (
            'GET', '/auth/tokens', None, {'X-Subject-Token': w.tokens['project_reader']}),
         OTHER_DOMAIN_READERS | {'service', 'project_reader'}),
        ('list_registered_limits', lambda w, p: ('GET', '/registered_limits', None), ALL),
        ('list_limits', lambda w, p: ('GET', '/limits', None), ALL),
    ],
}

LOOSE = {   # allowed personas may still be refused a bad body (400): the rule is what counts
    'create_limits': (lambda w, p: ('POST', '/limits', {}), ADMINS_SP),
    'create_registered_limits': (lambda w, p: ('POST', '/registered_limits', {}), ADMINS_SP),
}


@pytest.fixture
def world(admin, client):
    return rbac_world.World(admin, client)


@pytest.mark.parametrize('area', sorted(MATRIX))
def test_identity_rbac(world, area):
    """Every row of one area (one world of personas per area: making it is
    most of the cost)."""
    wrong = []
    for row_name, operation, allowed in MATRIX[area]:
        try:
            rbac_world.check_matrix(world, operation, allowed)
        except AssertionError as e:
            wrong.append('%s:\n%s' % (row_name, e))
    assert not wrong, '\n'.join(wrong)


def test_identity_rbac_rule_before_body(world):
    for operation, allowed in LOOSE.values():
        rbac_world.check_matrix(world, operation, allowed, loose=True)


def test_deprecated_defaults_while_new_defaults_are_off(world, override):
    """Keystone's deprecated rules still apply, OR-ed with the new ones, while
    `enforce_new_defaults` is off: a project reader creates its own EC2
    credential (`rule:admin_or_owner`), which the new default keeps for members."""
    def create(w, p):
        return ('POST', '/users/%s/credentials/OS-EC2' % w.users[p], {'tenant_id': w.p1})
    resp = world.call('project_reader', *create(world, 'project_reader'))
    assert resp.status_int == 403, resp.text
    override('enforce_new_defaults', False, group='oslo_policy')
    policy.reset()
    resp = world.call('project_reader', *create(world, 'project_reader'))
    assert resp.status_int == 201, resp.text
