"""Default policy rules of the Image API.

Which images a caller can see at all (own project, public, community, shared
with its project) is decided by the manager; these rules decide what a caller
may do. Targets: `target.owner` is the image's owning project,
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


def list_rules():
    return [policy.RuleDefault(name, check) for name, check in RULES.items()]

