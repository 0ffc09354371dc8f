"""Default policy rules of the Image API: Glance's secure-RBAC defaults.

Glance's rule names (unprefixed: `get_image`, `add_member`, ...), check
strings, scope types (project tokens only) and the deprecated check strings
it keeps while `[oslo_policy] enforce_new_defaults` is off. Targets, as
Glance's: `project_id` and `owner` are the image's owning project,
`visibility` its visibility, `member_id` the caller's project when the image
is shared with it; a metadef namespace's `project_id` is its owner. Which
images a caller can see at all is the manager's scoping (404 for the
others). Rules of our own, for checks Glance makes in code, keep an `image:`
prefix.
"""
from oslo_policy import policy

ADMIN = 'rule:context_is_admin'
OWNER_MEMBER = 'role:member and project_id:%(project_id)s'
# The image is the caller's, shared with it, or public/community/shared.
SEES_IMAGE = ("(project_id:%(project_id)s or project_id:%(member_id)s or "
              "'community':%(visibility)s or 'public':%(visibility)s or "
              "'shared':%(visibility)s)")
ADMIN_OR_OWNER_MEMBER = '%s or (%s)' % (ADMIN, OWNER_MEMBER)
ADMIN_OR_OWNER_READER = '%s or (role:reader and project_id:%%(project_id)s)' % ADMIN
METADEF_READ = ("%s or (role:reader and (project_id:%%(project_id)s or "
                "'public':%%(visibility)s))" % ADMIN)
METADEF_ADMIN = 'rule:metadef_admin'

BASE_RULES = [
    ('default', '', 'rule:context_is_admin'),
    ('context_is_admin', 'role:admin', None),
    ('service_api', 'role:service or role:admin', None),
    ('metadef_default', '', None),
    ('metadef_admin', ADMIN, None),
]


OLD = 'rule:default'
OLD_METADEF = 'rule:metadef_default'

# (name, check string, deprecated check string)
RULES = [
    ('manage_image_cache', ADMIN, None),
    ('tasks_api_access', ADMIN, None),
    # images
    ('add_image', ADMIN + ' or (role:member and project_id:%(project_id)s and '
     'project_id:%(owner)s)', OLD),
    ('delete_image', ADMIN_OR_OWNER_MEMBER, OLD),
    ('get_image', '%s or (role:reader and %s)' % (ADMIN, SEES_IMAGE), OLD),
    ('get_images', ADMIN_OR_OWNER_READER, OLD),
    ('modify_image', ADMIN_OR_OWNER_MEMBER, OLD),
    ('publicize_image', ADMIN, None),
    ('communitize_image', ADMIN_OR_OWNER_MEMBER, OLD),
    ('download_image', '%s or (role:member and %s)' % (ADMIN, SEES_IMAGE), OLD),
    ('download_from_store', '%s or (role:member and %s)' % (ADMIN, SEES_IMAGE), None),
    ('upload_image', ADMIN_OR_OWNER_MEMBER, OLD),
    ('deactivate', ADMIN_OR_OWNER_MEMBER, OLD),
    ('reactivate', ADMIN_OR_OWNER_MEMBER, OLD),
    ('copy_image', ADMIN, None),
    # locations
    ('delete_image_location', ADMIN, OLD),
    ('get_image_location', ADMIN_OR_OWNER_READER, OLD),
    ('set_image_location', ADMIN_OR_OWNER_MEMBER, OLD),
    ('add_image_location', 'rule:service_api or (role:member and project_id:%(project_id)s'
     ' and project_id:%(owner)s)', None),
    ('fetch_image_location', 'rule:service_api', None),
    # members: the owner's members manage them, the member project answers
    ('add_member', ADMIN_OR_OWNER_MEMBER, OLD),
    ('delete_member', ADMIN_OR_OWNER_MEMBER, OLD),
    ('get_member', ADMIN + ' or role:reader and (project_id:%(project_id)s or '
     'project_id:%(member_id)s)', OLD),
    ('get_members', ADMIN + ' or role:reader and (project_id:%(project_id)s or '
     'project_id:%(member_id)s)', OLD),
    ('modify_member', ADMIN + ' or (role:member and project_id:%(member_id)s)', OLD),
    # cache and stores
    ('list_cached_nodes', ADMIN, None),
    ('cache_image', ADMIN, 'rule:manage_image_cache'),
    ('cache_list', ADMIN, 'rule:manage_image_cache'),
    ('cache_delete', ADMIN, 'rule:manage_image_cache'),
    ('cache_clean', ADMIN, None),
    ('cache_prune', ADMIN, None),
    ('stores_info_detail', ADMIN + ' or rule:service_api', ADMIN),
    # tasks (besides tasks_api_access)
    ('get_task', 'rule:default', 'rule:default'),
    ('get_tasks', 'rule:default', 'rule:default'),
    ('add_task', 'rule:default', 'rule:default'),
    ('modify_task', 'rule:default', None),
    # metadata definitions
    ('get_metadef_namespace', METADEF_READ, OLD_METADEF),
    ('get_metadef_namespaces', ADMIN_OR_OWNER_READER, OLD_METADEF),
    *[(verb + '_metadef_namespace', METADEF_ADMIN, None)
      for verb in ('modify', 'add', 'delete')],
    ('get_metadef_object', METADEF_READ, OLD_METADEF),
    ('get_metadef_objects', METADEF_READ, OLD_METADEF),
    *[(verb + '_metadef_object', METADEF_ADMIN, None) for verb in ('modify', 'add', 'delete')],
    ('list_metadef_resource_types', METADEF_READ, OLD_METADEF),
    ('get_metadef_resource_type', METADEF_READ, OLD_METADEF),
    ('add_metadef_resource_type_association', METADEF_ADMIN, None),
    ('remove_metadef_resource_type_association', METADEF_ADMIN, None),
    ('get_metadef_property', METADEF_READ, OLD_METADEF),
    ('get_metadef_properties', METADEF_READ, OLD_METADEF),
    *[(verb + '_metadef_property', METADEF_ADMIN, None)
      for verb in ('modify', 'add', 'remove')],
    ('get_metadef_tag', METADEF_READ, OLD_METADEF),
    ('get_metadef_tags', METADEF_READ, OLD_METADEF),
    *[(name, METADEF_ADMIN, None) for name in (
        'modify_metadef_tag', 'add_metadef_tag', 'add_metadef_tags',
        'delete_metadef_tag', 'delete_metadef_tags')],
]

# Checks Glance makes in code rather than in policy: giving an image to
# another project, downloading a deactivated image (admins only); the
# import-methods discovery and the quota usage (any project user).
OWN_RULES = [
    ('image:set_owner', ADMIN),
    ('image:download_deactivated', ADMIN),
    ('image:get_info', ''),
    ('image:get_usage', 'role:reader'),
]

DEPRECATED_REASON = ('Glance now knows project scope and the default reader, member '
                     'and admin roles.')


def _deprecated(name, check):
    return policy.DeprecatedRule(name=name, check_str=check,
                                 deprecated_reason=DEPRECATED_REASON,
                                 deprecated_since='W')


def list_rules():
    rules = [policy.RuleDefault(name, check,
                                deprecated_rule=old and _deprecated(name, old))
             for name, check, old in BASE_RULES]
    rules += [policy.RuleDefault(name, check, scope_types=['project'],
                                 deprecated_rule=old and _deprecated(name, old))
              for name, check, old in RULES]
    rules += [policy.RuleDefault(name, check, scope_types=['project'])
              for name, check in OWN_RULES]
    return rules
