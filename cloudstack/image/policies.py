"""Default policy rules of the Image API, checked in its api/ layer.

Which images a caller can see at all (own project, public, community, shared
with its project; everything by `context_is_admin`) is the manager's scoping;
these rules decide what a caller may do. Targets: `target.owner` is the image's owning project,
`target.member_id` the project of an image member.
"""
from oslo_policy import policy

from cloudstack.policy import ADMIN, MEMBER, READER

OWNER_MEMBER = '(' + MEMBER + ') and project_id:%(target.owner)s'
ADMIN_OR_OWNER = ADMIN + ' or (' + OWNER_MEMBER + ')'

RULES = {
    'image:get_image': READER,
    'image:get_images': READER,
    'image:add_image': ADMIN_OR_OWNER,
    'image:modify_image': ADMIN_OR_OWNER,
    'image:delete_image': ADMIN_OR_OWNER,
    'image:upload_image': ADMIN_OR_OWNER,
    'image:download_image': READER,
    'image:publicize_image': ADMIN,
    'image:communitize_image': ADMIN_OR_OWNER,
    'image:set_owner': ADMIN,
    'image:deactivate': ADMIN_OR_OWNER,
    'image:reactivate': ADMIN_OR_OWNER,
    'image:download_deactivated': ADMIN,
    'image:import_image': ADMIN_OR_OWNER,
    'image:add_member': ADMIN_OR_OWNER,
    'image:delete_member': ADMIN_OR_OWNER,
    'image:get_member': READER,
    'image:get_members': READER,
    'image:modify_member': ADMIN + ' or ((' + MEMBER + ') and '
                           'project_id:%(target.member_id)s)',
    'image:get_info': '',
}


# Glance's base rule: who sees (and lists) every project's images, tasks and
# namespaces (the manager scopes by it, through context.all_projects).
BASE_RULES = {
    'context_is_admin': ADMIN,
}


def list_rules():
    """The rules, with Glance's scope: every operation takes a project token
    (the enforcer refuses system and domain tokens)."""
    return ([policy.RuleDefault(name, check) for name, check in BASE_RULES.items()]
            + [policy.RuleDefault(name, check, scope_types=['project'])
               for name, check in RULES.items()])



# -- Metadata definitions (metadefs). As Glance's defaults: anyone with a role
# in a project reads public namespaces and its own private ones (the manager
# also hides other projects' private namespaces, answering 404); only an admin
# writes. Targets: `target.owner` and `target.visibility` of the namespace, so
# a policy.yaml can let owners write, e.g. "role:admin or project_id:%(target.owner)s".
METADEF_READ = ADMIN + ' or ((' + READER + ') and (project_id:%(target.owner)s'\
    ' or \'public\':%(target.visibility)s))'

RULES.update({
    'image:get_metadef_namespace': METADEF_READ,
    'image:get_metadef_namespaces': READER,
    'image:add_metadef_namespace': ADMIN,
    'image:modify_metadef_namespace': ADMIN,
    'image:delete_metadef_namespace': ADMIN,
    'image:get_metadef_object': METADEF_READ,
    'image:get_metadef_objects': METADEF_READ,
    'image:add_metadef_object': ADMIN,
    'image:modify_metadef_object': ADMIN,
    'image:delete_metadef_object': ADMIN,
    'image:list_metadef_resource_types': READER,
    'image:get_metadef_resource_type': METADEF_READ,
    'image:add_metadef_resource_type_association': ADMIN,
    'image:remove_metadef_resource_type_association': ADMIN,
    'image:get_metadef_property': METADEF_READ,
    'image:get_metadef_properties': METADEF_READ,
    'image:add_metadef_property': ADMIN,
    'image:modify_metadef_property': ADMIN,
    'image:remove_metadef_property': ADMIN,
    'image:get_metadef_tag': METADEF_READ,
    'image:get_metadef_tags': METADEF_READ,
    'image:add_metadef_tag': ADMIN,
    'image:add_metadef_tags': ADMIN,
    'image:modify_metadef_tag': ADMIN,
    'image:delete_metadef_tag': ADMIN,
    'image:delete_metadef_tags': ADMIN,
})

# -- Tasks, copies between stores, usage (as Glance's defaults: the tasks API
# is the admin's; copy-image and deleting one store's copy too).
RULES.update({
    'image:get_task': ADMIN,
    'image:get_tasks': ADMIN,
    'image:add_task': ADMIN,
    'image:copy_image': ADMIN,
    'image:delete_image_location': ADMIN,
    'image:get_usage': READER,
})

# -- The local image cache (the admin's, as in Glance).
RULES.update({
    'image:cache_list': ADMIN,
    'image:cache_image': ADMIN,
    'image:cache_delete': ADMIN,
})
