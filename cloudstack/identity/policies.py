"""Default policy rules of the Identity API: Keystone's secure-RBAC defaults.

Every rule keeps Keystone's name, check string and scope types, and the
deprecated check string Keystone still honours while `[oslo_policy]
enforce_new_defaults` is off. The API layer builds the targets these check
strings read: `target.user.domain_id`, `target.project.domain_id`,
`target.group.domain_id`, `target.role.name`/`domain_id`,
`target.credential.user_id`, `target.trust.*`, `target.limit.*`,
`target.token.user_id`, `target.domain_id` (a list's domain) and the path's
own `user_id`. The caller's credentials carry `token.domain.id` and
`token.project.domain.id` (cloudstack.context).
"""
from oslo_policy import policy

ANYONE = ''
ADMIN = 'rule:admin_required'
SYSTEM_READER = '(role:reader and system_scope:all)'
SYSTEM_ADMIN = '(role:admin and system_scope:all)'
ADMIN_OR_SYSTEM_READER = ADMIN + ' or ' + SYSTEM_READER
OWNER = 'rule:owner'


def _any_of(*checks):
    return ' or '.join('(%s)' % c for c in checks)


def _reader_in(*attrs):
    """A reader whose domain-scoped token is the domain of every `attr`."""
    return ' and '.join(['role:reader'] + ['domain_id:%%(target.%s)s' % a for a in attrs])


def _manager_in(*attrs):
    return ' and '.join(['role:manager'] + ['domain_id:%%(target.%s)s' % a for a in attrs])


# A project's domain: the caller's domain, never a project without one.
PROJECT_DOMAIN = ('domain_id:%(target.project.domain_id)s and '
                  'not None:%(target.project.domain_id)s')
ADMIN_OR_DOMAIN_READER_OR_PROJECT_USER = _any_of(
    ADMIN, SYSTEM_READER[1:-1], 'role:reader and ' + PROJECT_DOMAIN) \
    + ' or project_id:%(target.project.id)s'
ADMIN_OR_PROJECT_DOMAIN_MANAGER = _any_of(ADMIN, 'role:manager and ' + PROJECT_DOMAIN)
ADMIN_OR_USER_DOMAIN_MANAGER = _any_of(
    ADMIN, 'role:manager and token.domain.id:%(target.user.domain_id)s')


def _admin_or_system_or_domain_reader(*attrs):
    return _any_of(ADMIN, SYSTEM_READER[1:-1], _reader_in(*attrs))


# Grants: the actor (user or group) and the target (project or domain) both
# in the caller's domain; a domain-specific role only of that domain; a
# domain manager only grants the roles `domain_managed_target_role` names.
_GRANT_PAIRS = (('user.domain_id', 'project.domain_id'), ('user.domain_id', 'domain.id'),
                ('group.domain_id', 'project.domain_id'), ('group.domain_id', 'domain.id'))


def _grant_in_domain(role):
    return ' or '.join('(role:%s and domain_id:%%(target.%s)s and domain_id:%%(target.%s)s)'
                       % (role, actor, target) for actor, target in _GRANT_PAIRS)


ROLE_OF_DOMAIN = ('(domain_id:%(target.role.domain_id)s or '
                  'None:%(target.role.domain_id)s)')
LIST_GRANTS = '(%s) or (%s or %s)' % (ADMIN, SYSTEM_READER, _grant_in_domain('reader'))
CHECK_GRANT = '(%s) or (%s or ((%s) and %s))' % (
    ADMIN, SYSTEM_READER, _grant_in_domain('reader'), ROLE_OF_DOMAIN)
CHANGE_GRANT = '(%s) or (%s) and %s or (%s) and rule:domain_managed_target_role' % (
    ADMIN, _grant_in_domain('admin'), ROLE_OF_DOMAIN, _grant_in_domain('manager'))

TRUST_TRUSTOR = 'user_id:%(target.trust.trustor_user_id)s'
TRUST_TRUSTEE = 'user_id:%(target.trust.trustee_user_id)s'
TRUST_PARTY = '(%s) or (role:reader and system_scope:all or %s or %s)' % (
    ADMIN, TRUST_TRUSTOR, TRUST_TRUSTEE)

CREDENTIAL_OWNER = 'user_id:%(target.credential.user_id)s'

# Keystone's base rules: the defaults are built from them, operators'
# policy files refer to them.
BASE_RULES = {
    'admin_required': 'role:admin or is_admin:1',
    'service_role': 'role:service',
    'service_or_admin': 'rule:admin_required or rule:service_role',
    'owner': 'user_id:%(user_id)s',
    'admin_or_owner': 'rule:admin_required or rule:owner',
    'token_subject': 'user_id:%(target.token.user_id)s',
    'admin_or_token_subject': 'rule:admin_required or rule:token_subject',
    'service_admin_or_token_subject': 'rule:service_or_admin or rule:token_subject',
    'domain_managed_target_role': "'manager':%(target.role.name)s or "
                                  "'member':%(target.role.name)s or "
                                  "'reader':%(target.role.name)s",
}

# a domain reader lists its domain's assignments, never those of no domain
LIST_ASSIGNMENTS = (_admin_or_system_or_domain_reader('domain_id')[:-1]
                    + ' and not None:%(target.domain_id)s)')

SDP = ('system', 'domain', 'project')
SP = ('system', 'project')
P = ('project',)

# Deprecated check strings (kept while enforce_new_defaults is off).
OLD_ADMIN = ADMIN
OLD_ADMIN_OR_OWNER = 'rule:admin_or_owner'
OLD_TARGET_PROJECT = 'rule:admin_required or project_id:%(target.project.id)s'
OLD_TRUST_PARTY = TRUST_TRUSTOR + ' or ' + TRUST_TRUSTEE
OLD_EC2_OWNER = 'rule:admin_required or (rule:owner and ' + CREDENTIAL_OWNER + ')'


def _crud(kind, reader=ADMIN_OR_SYSTEM_READER, writer=ADMIN, scope=SP, plural=None,
          deprecated=OLD_ADMIN):
    """get/list/create/update/delete of `kind` as Keystone's catalog-like
    resources are: readers, admins, one scope set."""
    plural = plural or kind + 's'
    return [('get_' + kind, reader, scope, deprecated),
            ('list_' + plural, reader, scope, deprecated),
            ('create_' + kind, writer, scope, deprecated),
            ('update_' + kind, writer, scope, deprecated),
            ('delete_' + kind, writer, scope, deprecated)]


# (rule without `identity:`, check string, scope types, deprecated check).
RULES = [
    # tokens and auth
    ('check_token', ADMIN_OR_SYSTEM_READER + ' or rule:token_subject', SDP,
     'rule:admin_or_token_subject'),
    ('validate_token', ADMIN_OR_SYSTEM_READER + ' or rule:service_role or rule:token_subject',
     SDP, 'rule:service_admin_or_token_subject'),
    ('revoke_token', ADMIN + ' or rule:token_subject', SDP, 'rule:admin_or_token_subject'),
    ('get_auth_catalog', ANYONE, None, None),
    ('get_auth_projects', ANYONE, None, None),
    ('get_auth_domains', ANYONE, None, None),
    ('get_auth_system', ANYONE, None, None),
    ('list_projects_for_user', ANYONE, None, None),
    ('list_domains_for_user', ANYONE, None, None),
    ('list_revoke_events', 'rule:service_or_admin', SP, None),
    ('revocation_list', 'rule:service_or_admin', SP, None),
    ('ec2tokens_validate', 'rule:service_or_admin', SDP, None),
    ('s3tokens_validate', 'rule:service_or_admin', SDP, None),
    # domains
    ('get_domain', ADMIN_OR_SYSTEM_READER + ' or token.domain.id:%(target.domain.id)s'
     ' or token.project.domain.id:%(target.domain.id)s', SDP,
     'rule:admin_required or token.project.domain.id:%(target.domain.id)s'),
    ('list_domains', ADMIN_OR_SYSTEM_READER + ' or (role:reader and '
     'domain_id:%(target.domain.id)s)', SDP, OLD_ADMIN),
    ('create_domain', ADMIN, SP, OLD_ADMIN),
    ('update_domain', ADMIN, SP, OLD_ADMIN),
    ('delete_domain', ADMIN, SP, OLD_ADMIN),
    # projects and their tags
    ('get_project', ADMIN_OR_DOMAIN_READER_OR_PROJECT_USER, SDP, OLD_TARGET_PROJECT),
    ('list_projects', _admin_or_system_or_domain_reader('domain_id'), SDP, OLD_ADMIN),
    ('list_user_projects', _admin_or_system_or_domain_reader('user.domain_id')
     + ' or user_id:%(target.user.id)s', SDP, OLD_ADMIN_OR_OWNER),
    ('create_project', ADMIN_OR_PROJECT_DOMAIN_MANAGER, SDP, OLD_ADMIN),
    ('update_project', ADMIN_OR_PROJECT_DOMAIN_MANAGER, SDP, OLD_ADMIN),
    ('delete_project', ADMIN_OR_PROJECT_DOMAIN_MANAGER, SDP, OLD_ADMIN),
    ('list_project_tags', ADMIN_OR_DOMAIN_READER_OR_PROJECT_USER, SDP, OLD_TARGET_PROJECT),
    ('get_project_tag', ADMIN_OR_DOMAIN_READER_OR_PROJECT_USER, SDP, OLD_TARGET_PROJECT),
    ('update_project_tags', ADMIN_OR_PROJECT_DOMAIN_MANAGER, SDP, OLD_ADMIN),
    ('create_project_tag', ADMIN_OR_PROJECT_DOMAIN_MANAGER, SDP, OLD_ADMIN),
    ('delete_project_tags', ADMIN_OR_PROJECT_DOMAIN_MANAGER, SDP, OLD_ADMIN),
    ('delete_project_tag', ADMIN_OR_PROJECT_DOMAIN_MANAGER, SDP, OLD_ADMIN),
    # users
    ('get_user', _any_of(ADMIN, SYSTEM_READER[1:-1],
                         'role:reader and token.domain.id:%(target.user.domain_id)s')
     + ' or user_id:%(target.user.id)s', SDP, OLD_ADMIN_OR_OWNER),
    ('list_users', _admin_or_system_or_domain_reader('domain_id'), SDP, OLD_ADMIN),
    ('create_user', ADMIN_OR_USER_DOMAIN_MANAGER, SDP, OLD_ADMIN),
    ('update_user', ADMIN_OR_USER_DOMAIN_MANAGER, SDP, OLD_ADMIN),
    ('delete_user', ADMIN_OR_USER_DOMAIN_MANAGER, SDP, OLD_ADMIN),
    ('revoke_tokens_for_user', 'rule:admin_or_owner', SDP, None),
    # groups and membership
    ('get_group', _admin_or_system_or_domain_reader('group.domain_id'), SDP, OLD_ADMIN),
    ('list_groups', _admin_or_system_or_domain_reader('group.domain_id'), SDP, OLD_ADMIN),
    ('list_groups_for_user', _admin_or_system_or_domain_reader('user.domain_id')
     + ' or user_id:%(user_id)s', SDP, OLD_ADMIN_OR_OWNER),
    ('create_group', _any_of(ADMIN, _manager_in('group.domain_id')), SDP, OLD_ADMIN),
    ('update_group', _any_of(ADMIN, _manager_in('group.domain_id')), SDP, OLD_ADMIN),
    ('delete_group', _any_of(ADMIN, _manager_in('group.domain_id')), SDP, OLD_ADMIN),
    ('list_users_in_group', _admin_or_system_or_domain_reader('group.domain_id'), SDP,
     OLD_ADMIN),
    ('check_user_in_group',
     _admin_or_system_or_domain_reader('group.domain_id', 'user.domain_id'), SDP, OLD_ADMIN),
    ('add_user_to_group', _any_of(ADMIN, _manager_in('group.domain_id', 'user.domain_id')),
     SDP, OLD_ADMIN),
    ('remove_user_from_group',
     _any_of(ADMIN, _manager_in('group.domain_id', 'user.domain_id')), SDP, OLD_ADMIN),
    # roles: a domain manager sees the roles it may grant
    ('get_role', '(%s) or (role:manager and rule:domain_managed_target_role)'
     % ADMIN_OR_SYSTEM_READER, SDP, OLD_ADMIN),
    ('list_roles', '(%s) or (role:manager and not domain_id:None)' % ADMIN_OR_SYSTEM_READER,
     SDP, OLD_ADMIN),
    ('create_role', ADMIN, SP, OLD_ADMIN),
    ('update_role', ADMIN, SP, OLD_ADMIN),
    ('delete_role', ADMIN, SP, OLD_ADMIN),
    *_crud('domain_role'),
    ('get_implied_role', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('list_implied_roles', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('create_implied_role', ADMIN, SP, OLD_ADMIN),
    ('delete_implied_role', ADMIN, SP, OLD_ADMIN),
    ('list_role_inference_rules', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('check_implied_role', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    # grants and role assignments
    ('check_grant', CHECK_GRANT, SDP, OLD_ADMIN),
    ('list_grants', LIST_GRANTS, SDP, OLD_ADMIN),
    ('create_grant', CHANGE_GRANT, SDP, OLD_ADMIN),
    ('revoke_grant', CHANGE_GRANT, SDP, OLD_ADMIN),
    ('list_role_assignments', LIST_ASSIGNMENTS, SDP, OLD_ADMIN),
    ('list_role_assignments_for_tree', LIST_ASSIGNMENTS, SDP, OLD_ADMIN),
    *[(verb + '_system_grant' + ('s' if verb == 'list' else '') + '_for_' + actor,
       ADMIN_OR_SYSTEM_READER if verb in ('list', 'check') else ADMIN, SP, OLD_ADMIN)
      for actor in ('user', 'group') for verb in ('list', 'check', 'create', 'revoke')],
    # trusts
    ('create_trust', TRUST_TRUSTOR, P, None),
    ('list_trusts', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('list_trusts_for_trustor', '(%s) or (role:reader and system_scope:all or %s)'
     % (ADMIN, TRUST_TRUSTOR), SP, None),
    ('list_trusts_for_trustee', '(%s) or (role:reader and system_scope:all or %s)'
     % (ADMIN, TRUST_TRUSTEE), SP, None),
    ('list_roles_for_trust', TRUST_PARTY, SP, OLD_TRUST_PARTY),
    ('get_role_for_trust', TRUST_PARTY, SP, OLD_TRUST_PARTY),
    ('get_trust', TRUST_PARTY, SP, OLD_TRUST_PARTY),
    ('delete_trust', ADMIN + ' or ' + TRUST_TRUSTOR, SP, TRUST_TRUSTOR),
    # application credentials and access rules
    ('get_application_credential', '(%s) or %s or %s' % (ADMIN, SYSTEM_READER, OWNER), SP,
     OLD_ADMIN_OR_OWNER),
    ('list_application_credentials', '(%s) or %s or %s' % (ADMIN, SYSTEM_READER, OWNER), SP,
     OLD_ADMIN_OR_OWNER),
    ('create_application_credential', 'user_id:%(user_id)s', P, None),
    ('delete_application_credential', 'rule:admin_or_owner', SP, OLD_ADMIN_OR_OWNER),
    ('get_access_rule', SYSTEM_READER + ' or user_id:%(target.user.id)s', SP, None),
    ('list_access_rules', SYSTEM_READER + ' or user_id:%(target.user.id)s', SP, None),
    ('delete_access_rule', SYSTEM_ADMIN + ' or user_id:%(target.user.id)s', SP, None),
    # credentials and EC2 credentials
    *[(verb + '_credential' + ('s' if verb == 'list' else ''),
       '(%s) or %s or %s' % (ADMIN, SYSTEM_READER, CREDENTIAL_OWNER)
       if verb in ('get', 'list') else '(%s) or %s' % (ADMIN, CREDENTIAL_OWNER), SDP, OLD_ADMIN)
      for verb in ('get', 'list', 'create', 'update', 'delete')],
    ('ec2_get_credential', '(%s) or %s or %s' % (ADMIN, SYSTEM_READER, CREDENTIAL_OWNER), SP,
     OLD_EC2_OWNER),
    ('ec2_list_credentials', '(%s) or %s or %s' % (ADMIN, SYSTEM_READER, OWNER), SP,
     OLD_ADMIN_OR_OWNER),
    ('ec2_create_credential', '(%s) or (role:member and %s)' % (ADMIN, CREDENTIAL_OWNER), SP,
     OLD_ADMIN_OR_OWNER),
    ('ec2_delete_credential', '(%s) or (role:member and %s)' % (ADMIN, CREDENTIAL_OWNER), SP,
     OLD_EC2_OWNER),
    # catalog: regions anyone reads; services, endpoints and groups of them
    ('get_region', ANYONE, SDP, None),
    ('list_regions', ANYONE, SDP, None),
    ('create_region', ADMIN, SP, OLD_ADMIN),
    ('update_region', ADMIN, SP, OLD_ADMIN),
    ('delete_region', ADMIN, SP, OLD_ADMIN),
    *_crud('service'),
    *_crud('endpoint'),
    *_crud('endpoint_group'),
    ('list_projects_for_endpoint', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('list_endpoints_for_project', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('check_endpoint_in_project', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('add_endpoint_to_project', ADMIN, SP, OLD_ADMIN),
    ('remove_endpoint_from_project', ADMIN, SP, OLD_ADMIN),
    ('list_endpoint_groups_for_project', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('list_projects_associated_with_endpoint_group', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('list_endpoints_associated_with_endpoint_group', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('get_endpoint_group_in_project', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('add_endpoint_group_to_project', ADMIN, SP, OLD_ADMIN),
    ('remove_endpoint_group_from_project', ADMIN, SP, OLD_ADMIN),
    # policies and their associations
    *_crud('policy', plural='policies'),
    *[(verb + '_policy_association_for_' + kind,
       ADMIN_OR_SYSTEM_READER if verb == 'check' else ADMIN, SP, OLD_ADMIN)
      for kind in ('endpoint', 'service', 'region_and_service')
      for verb in ('create', 'check', 'delete')],
    ('get_policy_for_endpoint', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('list_endpoints_for_policy', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    # domain configuration
    ('get_domain_config', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('get_domain_config_default', ADMIN_OR_SYSTEM_READER, SP, OLD_ADMIN),
    ('get_security_compliance_domain_config', ANYONE, SDP, None),
    ('create_domain_config', ADMIN, SP, OLD_ADMIN),
    ('update_domain_config', ADMIN, SP, OLD_ADMIN),
    ('delete_domain_config', ADMIN, SP, OLD_ADMIN),
    # OAuth1
    *_crud('consumer'),
    *[(name, ADMIN, P, None) for name in (
        'authorize_request_token', 'get_access_token', 'get_access_token_role',
        'list_access_tokens', 'list_access_token_roles', 'delete_access_token')],
    # federation
    *_crud('identity_provider'),
    *_crud('protocol'),
    *_crud('mapping'),
    *_crud('service_provider'),
    # limits
    ('get_registered_limit', ANYONE, SDP, None),
    ('list_registered_limits', ANYONE, SDP, None),
    ('create_registered_limits', ADMIN, SP, None),
    ('update_registered_limit', ADMIN, SP, None),
    ('delete_registered_limit', ADMIN, SP, None),
    ('get_limit_model', ANYONE, SDP, None),
    ('get_limit', ADMIN_OR_SYSTEM_READER + ' or (domain_id:%(target.limit.domain.id)s or '
     'domain_id:%(target.limit.project.domain_id)s) or (project_id:%(target.limit.project_id)s'
     ' and not None:%(target.limit.project_id)s)', SDP, None),
    ('list_limits', ANYONE, SDP, None),
    ('create_limits', ADMIN, SP, None),
    ('update_limit', ADMIN, SP, None),
    ('delete_limit', ADMIN, SP, None),
]

DEPRECATED_REASON = ('Keystone now knows system, domain and project scope and the '
                     'default reader, member, manager and admin roles.')


def _default(short, check, scope, deprecated):
    name = 'identity:' + short
    old = None
    if deprecated is not None:      # also when unchanged: upstream keeps those
        old = policy.DeprecatedRule(name=name, check_str=deprecated,
                                    deprecated_reason=DEPRECATED_REASON,
                                    deprecated_since='S')
    return policy.RuleDefault(name, check, scope_types=list(scope) if scope else None,
                              deprecated_rule=old)


def list_rules():
    return ([policy.RuleDefault(name, check) for name, check in BASE_RULES.items()]
            + [_default(*rule) for rule in RULES])
