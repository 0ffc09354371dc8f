"""Default policy rules of the Identity API.

`admin` anywhere administers identity; readers and owners get the reads and
self-service Keystone grants them. Targets are flattened, e.g. the user being
read is `target.user.id`.
"""
from oslo_policy import policy

from cloudstack.policy import ADMIN

ANY = ''
SYSTEM_READER = '(role:reader and system_scope:all)'
ADMIN_OR_READER = ADMIN + ' or ' + SYSTEM_READER
OWNER = 'user_id:%(target.user.id)s'
ADMIN_OR_OWNER = ADMIN + ' or ' + OWNER
CREDENTIAL_OWNER = ADMIN + ' or user_id:%(target.credential.user_id)s'
TOKEN_OWNER = (ADMIN_OR_READER + ' or role:service or '
               'user_id:%(target.token.user_id)s')
TRUST_PARTY = (ADMIN + ' or user_id:%(target.trust.trustor_user_id)s'
               ' or user_id:%(target.trust.trustee_user_id)s')
PROJECT_READER = (ADMIN_OR_READER + ' or project_id:%(target.project.id)s')
DOMAIN_READER = (ADMIN_OR_READER + ' or domain_id:%(target.domain.id)s'
                 ' or project_domain_id:%(target.domain.id)s')

# (rule, check string) per resource; one RuleDefault each.
RULES = {
    # tokens and auth
    'identity:validate_token': TOKEN_OWNER,
    'identity:check_token': TOKEN_OWNER,
    'identity:revoke_token': TOKEN_OWNER,
    'identity:get_auth_catalog': ANY,
    'identity:get_auth_projects': ANY,
    'identity:get_auth_domains': ANY,
    'identity:get_auth_system': ANY,
    'identity:list_revoke_events': ADMIN_OR_READER + ' or role:service',
    # domains and projects
    'identity:get_domain': DOMAIN_READER,
    'identity:list_domains': ADMIN_OR_READER,
    'identity:create_domain': ADMIN,
    'identity:update_domain': ADMIN,
    'identity:delete_domain': ADMIN,
    'identity:get_project': PROJECT_READER,
    'identity:list_projects': ADMIN_OR_READER,
    'identity:list_user_projects': ADMIN_OR_READER + ' or ' + OWNER,
    'identity:create_project': ADMIN,
    'identity:update_project': ADMIN,
    'identity:delete_project': ADMIN,
    'identity:list_project_tags': PROJECT_READER,
    'identity:get_project_tag': PROJECT_READER,
    'identity:update_project_tags': ADMIN,
    'identity:create_project_tag': ADMIN,
    'identity:delete_project_tags': ADMIN,
    'identity:delete_project_tag': ADMIN,
    # users and groups
    'identity:get_user': ADMIN_OR_READER + ' or ' + OWNER,
    'identity:list_users': ADMIN_OR_READER,
    'identity:create_user': ADMIN,
    'identity:update_user': ADMIN,
    'identity:delete_user': ADMIN,
    'identity:get_group': ADMIN_OR_READER,
    'identity:list_groups': ADMIN_OR_READER,
    'identity:list_groups_for_user': ADMIN_OR_READER + ' or ' + OWNER,
    'identity:create_group': ADMIN,
    'identity:update_group': ADMIN,
    'identity:delete_group': ADMIN,
    'identity:list_users_in_group': ADMIN_OR_READER,
    'identity:add_user_to_group': ADMIN,
    'identity:remove_user_from_group': ADMIN,
    'identity:check_user_in_group': ADMIN_OR_READER,
    # roles, implied roles and assignments
    'identity:get_role': ADMIN_OR_READER,
    'identity:list_roles': ADMIN_OR_READER,
    'identity:create_role': ADMIN,
    'identity:update_role': ADMIN,
    'identity:delete_role': ADMIN,
    'identity:get_domain_role': ADMIN_OR_READER,
    'identity:list_domain_roles': ADMIN_OR_READER,
    'identity:create_domain_role': ADMIN,
    'identity:update_domain_role': ADMIN,
    'identity:delete_domain_role': ADMIN,
    'identity:get_implied_role': ADMIN_OR_READER,
    'identity:list_implied_roles': ADMIN_OR_READER,
    'identity:list_role_inference_rules': ADMIN_OR_READER,
    'identity:create_implied_role': ADMIN,
    'identity:delete_implied_role': ADMIN,
    'identity:check_implied_role': ADMIN_OR_READER,
    'identity:check_grant': ADMIN_OR_READER,
    'identity:list_grants': ADMIN_OR_READER,
    'identity:create_grant': ADMIN,
    'identity:revoke_grant': ADMIN,
    'identity:list_role_assignments': ADMIN_OR_READER,
    'identity:list_role_assignments_for_tree': ADMIN_OR_READER,
    'identity:check_system_grant_for_user': ADMIN_OR_READER,
    'identity:list_system_grants_for_user': ADMIN_OR_READER,
    'identity:create_system_grant_for_user': ADMIN,
    'identity:revoke_system_grant_for_user': ADMIN,
    'identity:check_system_grant_for_group': ADMIN_OR_READER,
    'identity:list_system_grants_for_group': ADMIN_OR_READER,
    'identity:create_system_grant_for_group': ADMIN,
    'identity:revoke_system_grant_for_group': ADMIN,
    # trusts
    'identity:create_trust': 'user_id:%(target.trust.trustor_user_id)s',
    'identity:list_trusts': ADMIN_OR_READER,
    'identity:list_trusts_for_trustor': ADMIN_OR_READER
                                        + ' or user_id:%(target.trust.trustor_user_id)s',
    'identity:list_trusts_for_trustee': ADMIN_OR_READER
                                        + ' or user_id:%(target.trust.trustee_user_id)s',
    'identity:get_trust': TRUST_PARTY,
    'identity:delete_trust': ADMIN + ' or user_id:%(target.trust.trustor_user_id)s',
    'identity:list_roles_for_trust': TRUST_PARTY,
    'identity:get_role_for_trust': TRUST_PARTY,
    # application credentials and access rules
    'identity:get_application_credential': ADMIN_OR_READER + ' or ' + OWNER,
    'identity:list_application_credentials': ADMIN_OR_READER + ' or ' + OWNER,
    'identity:create_application_credential': OWNER,
    'identity:delete_application_credential': ADMIN + ' or ' + OWNER,
    'identity:get_access_rule': ADMIN_OR_READER + ' or ' + OWNER,
    'identity:list_access_rules': ADMIN_OR_READER + ' or ' + OWNER,
    'identity:delete_access_rule': ADMIN + ' or ' + OWNER,
    # credentials and EC2 credentials
    'identity:get_credential': CREDENTIAL_OWNER,
    'identity:list_credentials': ANY,      # filtered to the caller's own
    'identity:create_credential': CREDENTIAL_OWNER,
    'identity:update_credential': CREDENTIAL_OWNER,
    'identity:delete_credential': CREDENTIAL_OWNER,
    'identity:ec2_get_credential': CREDENTIAL_OWNER,
    'identity:ec2_list_credentials': ADMIN_OR_READER + ' or ' + OWNER,
    'identity:ec2_create_credential': ADMIN + ' or ' + OWNER,
    'identity:ec2_delete_credential': CREDENTIAL_OWNER,
    # catalog
    'identity:get_region': ANY,
    'identity:list_regions': ANY,
    'identity:create_region': ADMIN,
    'identity:update_region': ADMIN,
    'identity:delete_region': ADMIN,
    'identity:get_service': ADMIN_OR_READER,
    'identity:list_services': ADMIN_OR_READER,
    'identity:create_service': ADMIN,
    'identity:update_service': ADMIN,
    'identity:delete_service': ADMIN,
    'identity:get_endpoint': ADMIN_OR_READER,
    'identity:list_endpoints': ADMIN_OR_READER,
    'identity:create_endpoint': ADMIN,
    'identity:update_endpoint': ADMIN,
    'identity:delete_endpoint': ADMIN,
    'identity:get_endpoint_group': ADMIN_OR_READER,
    'identity:list_endpoint_groups': ADMIN_OR_READER,
    'identity:create_endpoint_group': ADMIN,
    'identity:update_endpoint_group': ADMIN,
    'identity:delete_endpoint_group': ADMIN,
    'identity:list_projects_for_endpoint': ADMIN_OR_READER,
    'identity:list_endpoints_for_project': ADMIN_OR_READER,
    'identity:add_endpoint_to_project': ADMIN,
    'identity:remove_endpoint_from_project': ADMIN,
    'identity:check_endpoint_in_project': ADMIN_OR_READER,
    'identity:list_endpoint_groups_for_project': ADMIN_OR_READER,
    'identity:list_projects_associated_with_endpoint_group': ADMIN_OR_READER,
    'identity:list_endpoints_associated_with_endpoint_group': ADMIN_OR_READER,
    'identity:get_endpoint_group_in_project': ADMIN_OR_READER,
    'identity:add_endpoint_group_to_project': ADMIN,
    'identity:remove_endpoint_group_from_project': ADMIN,
    # policies, domain configuration, OAuth1, limits
    'identity:get_policy': ADMIN_OR_READER,
    'identity:list_policies': ADMIN_OR_READER,
    'identity:create_policy': ADMIN,
    'identity:update_policy': ADMIN,
    'identity:delete_policy': ADMIN,
    'identity:get_domain_config': ADMIN_OR_READER,
    'identity:get_domain_config_default': ADMIN_OR_READER,
    'identity:get_security_compliance_domain_config': ANY,
    'identity:create_domain_config': ADMIN,
    'identity:update_domain_config': ADMIN,
    'identity:delete_domain_config': ADMIN,
    'identity:get_consumer': ADMIN_OR_READER,
    'identity:list_consumers': ADMIN_OR_READER,
    'identity:create_consumer': ADMIN,
    'identity:update_consumer': ADMIN,
    'identity:delete_consumer': ADMIN,
    'identity:authorize_request_token': ADMIN,
    'identity:get_access_token': ADMIN,
    'identity:get_access_token_role': ADMIN,
    'identity:list_access_tokens': ADMIN,
    'identity:list_access_token_roles': ADMIN,
    'identity:delete_access_token': ADMIN,
    # federation
    'identity:create_identity_provider': ADMIN,
    'identity:update_identity_provider': ADMIN,
    'identity:delete_identity_provider': ADMIN,
    'identity:get_identity_provider': ADMIN_OR_READER,
    'identity:list_identity_providers': ADMIN_OR_READER,
    'identity:create_protocol': ADMIN,
    'identity:update_protocol': ADMIN,
    'identity:delete_protocol': ADMIN,
    'identity:get_protocol': ADMIN_OR_READER,
    'identity:list_protocols': ADMIN_OR_READER,
    'identity:create_mapping': ADMIN,
    'identity:update_mapping': ADMIN,
    'identity:delete_mapping': ADMIN,
    'identity:get_mapping': ADMIN_OR_READER,
    'identity:list_mappings': ADMIN_OR_READER,
    'identity:create_service_provider': ADMIN,
    'identity:update_service_provider': ADMIN,
    'identity:delete_service_provider': ADMIN,
    'identity:get_service_provider': ADMIN_OR_READER,
    'identity:list_service_providers': ADMIN_OR_READER,
    'identity:get_registered_limit': ANY,
    'identity:list_registered_limits': ANY,
    'identity:create_registered_limits': ADMIN,
    'identity:update_registered_limit': ADMIN,
    'identity:delete_registered_limit': ADMIN,
    'identity:get_limit_model': ANY,
    'identity:get_limit': ADMIN_OR_READER + ' or project_id:%(target.limit.project_id)s',
    'identity:list_limits': ANY,            # filtered to the caller's project
    'identity:create_limits': ADMIN,
    'identity:update_limit': ADMIN,
    'identity:delete_limit': ADMIN,
}


# Keystone's base rules, which operators' policy files refer to.
BASE_RULES = {
    'admin_required': ADMIN,
    'owner': 'user_id:%(target.user_id)s',
    'admin_or_owner': 'rule:admin_required or rule:owner',
}


# The token scopes a rule accepts, as Keystone declares them (the enforcer
# refuses others): a system or project token, or any token for these, or a
# project token only for those; the base rules and the token's own catalog,
# projects, domains and system, any token at all.
ANY_SCOPE = frozenset('identity:' + name for name in """
    validate_token check_token revoke_token get_domain list_domains get_project
    list_projects list_user_projects create_project update_project delete_project
    list_project_tags get_project_tag update_project_tags create_project_tag
    delete_project_tags delete_project_tag get_user list_users create_user update_user
    delete_user get_group list_groups list_groups_for_user create_group update_group
    delete_group list_users_in_group add_user_to_group remove_user_from_group
    check_user_in_group get_role list_roles check_grant list_grants create_grant
    revoke_grant list_role_assignments list_role_assignments_for_tree get_credential
    list_credentials create_credential update_credential delete_credential get_region
    list_regions get_security_compliance_domain_config get_registered_limit
    list_registered_limits get_limit_model get_limit list_limits""".split())
PROJECT_SCOPE = frozenset(['identity:create_trust',
                           'identity:create_application_credential',
                           'identity:authorize_request_token', 'identity:get_access_token',
                           'identity:get_access_token_role', 'identity:list_access_tokens',
                           'identity:list_access_token_roles',
                           'identity:delete_access_token'])
UNSCOPED = frozenset(list(BASE_RULES) + ['identity:get_auth_catalog',
                                         'identity:get_auth_projects',
                                         'identity:get_auth_domains',
                                         'identity:get_auth_system'])


def _scope_types(name):
    if name in UNSCOPED:
        return None
    if name in ANY_SCOPE:
        return ['system', 'domain', 'project']
    if name in PROJECT_SCOPE:
        return ['project']
    return ['system', 'project']


def list_rules():
    return [policy.RuleDefault(name, check, scope_types=_scope_types(name))
            for name, check in {**BASE_RULES, **RULES}.items()]
