"""Default policy rules of the Block Storage API: Cinder's rule names, check
strings and (absent) scope types, with the base rules they are built from.

Targets carry the resource's `project_id` (and `user_id`); the check strings
use them bare, as upstream does (`project_id:%(project_id)s`).
"""
from oslo_policy import policy

ADMIN = 'rule:admin_api'
READER = 'rule:xena_system_admin_or_project_reader'
MEMBER = 'rule:xena_system_admin_or_project_member'

BASE_RULES = [
    ('context_is_admin', 'role:admin'),
    ('admin_api', 'is_admin:True or (role:admin and is_admin_project:True)'),
    ('admin_or_owner',
     'is_admin:True or (role:admin and is_admin_project:True) or project_id:%(project_id)s'),
    ('system_or_domain_or_project_admin',
     '(role:admin and system_scope:all) or (role:admin and domain_id:%(domain_id)s) or '
     '(role:admin and project_id:%(project_id)s)'),
    ('xena_system_admin_or_project_reader',
     '(role:admin) or (role:reader and project_id:%(project_id)s)'),
    ('xena_system_admin_or_project_member',
     '(role:admin) or (role:member and project_id:%(project_id)s)'),
]

# (rule, default, the API calls it guards: "METHOD path" separated by ";")
RULES = [
    ('volume:attachment_create', MEMBER, 'POST /attachments'),
    ('volume:attachment_update', MEMBER, 'PUT /attachments/{attachment_id}'),
    ('volume:attachment_delete', MEMBER, 'DELETE /attachments/{attachment_id}'),
    ('volume:attachment_complete', MEMBER, 'POST /attachments/{attachment_id}/action (os-complete)'),
    ('volume:multiattach_bootable_volume', MEMBER, 'POST /attachments'),
    ('volume_extension:backup_admin_actions:reset_status', ADMIN, 'POST /backups/{backup_id}/action (os-reset_status)'),
    ('volume_extension:backup_admin_actions:force_delete', ADMIN, 'POST /backups/{backup_id}/action (os-force_delete)'),
    ('backup:get_all', READER, 'GET /backups;GET /backups/detail'),
    ('backup:backup_project_attribute', ADMIN, 'GET /backups/{backup_id};GET /backups/detail'),
    ('backup:create', MEMBER, 'POST /backups'),
    ('backup:get', READER, 'GET /backups/{backup_id}'),
    ('backup:update', MEMBER, 'PUT /backups/{backup_id}'),
    ('backup:delete', MEMBER, 'DELETE /backups/{backup_id}'),
    ('backup:restore', MEMBER, 'POST /backups/{backup_id}/restore'),
    ('backup:backup-import', ADMIN, 'POST /backups/{backup_id}/import_record'),
    ('backup:export-import', ADMIN, 'POST /backups/{backup_id}/export_record'),
    ('volume_extension:capabilities', ADMIN, 'GET /capabilities/{host_name}'),
    ('clusters:get_all', ADMIN, 'GET /clusters;GET /clusters/detail'),
    ('clusters:get', ADMIN, 'GET /clusters/{cluster_id}'),
    ('clusters:update', ADMIN, 'PUT /clusters/{cluster_id}'),
    ('volume_extension:default_set_or_update', ADMIN, 'PUT /default-types'),
    ('volume_extension:default_get', ADMIN, 'GET /default-types/{project-id}'),
    ('volume_extension:default_get_all', ADMIN, 'GET /default-types/'),
    ('volume_extension:default_unset', ADMIN, 'DELETE /default-types/{project-id}'),
    ('group:delete', MEMBER, 'POST /groups/{group_id}/action (delete)'),
    ('group:reset_status', ADMIN, 'POST /groups/{group_id}/action (reset_status)'),
    ('group:enable_replication', MEMBER, 'POST /groups/{group_id}/action (enable_replication)'),
    ('group:disable_replication', MEMBER, 'POST /groups/{group_id}/action (disable_replication)'),
    ('group:failover_replication', MEMBER, 'POST /groups/{group_id}/action (failover_replication)'),
    ('group:list_replication_targets', MEMBER, 'POST /groups/{group_id}/action (list_replication_targets)'),
    ('group:reset_group_snapshot_status', ADMIN, 'POST /group_snapshots/{g_snapshot_id}/action (reset_status)'),
    ('group:get_all_group_snapshots', READER, 'GET /group_snapshots;GET /group_snapshots/detail'),
    ('group:create_group_snapshot', MEMBER, 'POST /group_snapshots'),
    ('group:get_group_snapshot', READER, 'GET /group_snapshots/{group_snapshot_id}'),
    ('group:delete_group_snapshot', MEMBER, 'DELETE /group_snapshots/{group_snapshot_id}'),
    ('group:update_group_snapshot', MEMBER, 'PUT /group_snapshots/{group_snapshot_id}'),
    ('group:group_snapshot_project_attribute', ADMIN, 'GET /group_snapshots/{group_snapshot_id};GET /group_snapshots/detail'),
    ('group:group_types:create', ADMIN, 'POST /group_types/'),
    ('group:group_types:update', ADMIN, 'PUT /group_types/{group_type_id}'),
    ('group:group_types:delete', ADMIN, 'DELETE /group_types/{group_type_id}'),
    ('group:access_group_types_specs', ADMIN, 'GET /group_types/{group_type_id}'),
    ('group:group_types_specs:get', ADMIN, 'GET /group_types/{group_type_id}/group_specs/{g_spec_id}'),
    ('group:group_types_specs:get_all', ADMIN, 'GET /group_types/{group_type_id}/group_specs'),
    ('group:group_types_specs:create', ADMIN, 'POST /group_types/{group_type_id}/group_specs'),
    ('group:group_types_specs:update', ADMIN, 'PUT /group_types/{group_type_id}/group_specs/{g_spec_id}'),
    ('group:group_types_specs:delete', ADMIN, 'DELETE /group_types/{group_type_id}/group_specs/{g_spec_id}'),
    ('group:get_all', READER, 'GET /groups;GET /groups/detail'),
    ('group:create', MEMBER, 'POST /groups'),
    ('group:get', READER, 'GET /groups/{group_id}'),
    ('group:update', MEMBER, 'PUT /groups/{group_id}'),
    ('group:group_project_attribute', ADMIN, 'GET /groups/{group_id};GET /groups/detail'),
    ('volume_extension:hosts', ADMIN, 'GET /os-hosts;PUT /os-hosts/{host_name};GET /os-hosts/{host_id}'),
    ('limits_extension:used_limits', READER, 'GET /limits'),
    ('snapshot_extension:list_manageable', ADMIN, 'GET /manageable_snapshots;GET /manageable_snapshots/detail'),
    ('snapshot_extension:snapshot_manage', ADMIN, 'POST /manageable_snapshots'),
    ('snapshot_extension:snapshot_unmanage', ADMIN, 'POST /snapshots/{snapshot_id}/action (os-unmanage)'),
    ('volume_extension:list_manageable', ADMIN, 'GET /manageable_volumes;GET /manageable_volumes/detail'),
    ('volume_extension:volume_manage', ADMIN, 'POST /manageable_volumes'),
    ('volume_extension:volume_unmanage', ADMIN, 'POST /volumes/{volume_id}/action (os-unmanage)'),
    ('message:get_all', READER, 'GET /messages'),
    ('message:get', READER, 'GET /messages/{message_id}'),
    ('message:delete', MEMBER, 'DELETE /messages/{message_id}'),
    ('volume_extension:qos_specs_manage:get_all', ADMIN, 'GET /qos-specs;GET /qos-specs/{qos_id}/associations'),
    ('volume_extension:qos_specs_manage:get', ADMIN, 'GET /qos-specs/{qos_id}'),
    ('volume_extension:qos_specs_manage:create', ADMIN, 'POST /qos-specs'),
    ('volume_extension:qos_specs_manage:update', ADMIN, 'PUT /qos-specs/{qos_id};GET /qos-specs/{qos_id}/disassociate_all;GET /qos-specs/{qos_id}/associate;GET /qos-specs/{qos_id}/disassociate'),
    ('volume_extension:qos_specs_manage:delete', ADMIN, 'DELETE /qos-specs/{qos_id};PUT /qos-specs/{qos_id}/delete_keys'),
    ('volume_extension:quota_classes:get', ADMIN, 'GET /os-quota-class-sets/{project_id}'),
    ('volume_extension:quota_classes:update', ADMIN, 'PUT /os-quota-class-sets/{project_id}'),
    ('volume_extension:quotas:show', READER, 'GET /os-quota-sets/{project_id};GET /os-quota-sets/{project_id}/default;GET /os-quota-sets/{project_id}?usage=True'),
    ('volume_extension:quotas:update', ADMIN, 'PUT /os-quota-sets/{project_id}'),
    ('volume_extension:quotas:delete', ADMIN, 'DELETE /os-quota-sets/{project_id}'),
    ('scheduler_extension:scheduler_stats:get_pools', ADMIN, 'GET /scheduler-stats/get_pools'),
    ('volume_extension:services:index', ADMIN, 'GET /os-services'),
    ('volume_extension:services:update', ADMIN, 'PUT /os-services/{action}'),
    ('volume:freeze_host', ADMIN, 'PUT /os-services/freeze'),
    ('volume:thaw_host', ADMIN, 'PUT /os-services/thaw'),
    ('volume:failover_host', ADMIN, 'PUT /os-services/failover_host'),
    ('volume_extension:snapshot_admin_actions:reset_status', ADMIN, 'POST /snapshots/{snapshot_id}/action (os-reset_status)'),
    ('snapshot_extension:snapshot_actions:update_snapshot_status', MEMBER, 'POST /snapshots/{snapshot_id}/action (update_snapshot_status)'),
    ('volume_extension:snapshot_admin_actions:force_delete', ADMIN, 'POST /snapshots/{snapshot_id}/action (os-force_delete)'),
    ('volume:get_snapshot_metadata', READER, 'GET /snapshots/{snapshot_id}/metadata;GET /snapshots/{snapshot_id}/metadata/{key}'),
    ('volume:update_snapshot_metadata', MEMBER, 'POST /snapshots/{snapshot_id}/metadata;PUT /snapshots/{snapshot_id}/metadata/{key}'),
    ('volume:delete_snapshot_metadata', MEMBER, 'DELETE /snapshots/{snapshot_id}/metadata/{key}'),
    ('volume:get_all_snapshots', READER, 'GET /snapshots;GET /snapshots/detail'),
    ('volume_extension:extended_snapshot_attributes', READER, 'GET /snapshots/{snapshot_id};GET /snapshots/detail'),
    ('volume:create_snapshot', MEMBER, 'POST /snapshots'),
    ('volume:get_snapshot', READER, 'GET /snapshots/{snapshot_id}'),
    ('volume:update_snapshot', MEMBER, 'PUT /snapshots/{snapshot_id}'),
    ('volume:delete_snapshot', MEMBER, 'DELETE /snapshots/{snapshot_id}'),
    ('volume_extension:types_extra_specs:index', READER, 'GET /types/{type_id}/extra_specs'),
    ('volume_extension:types_extra_specs:create', ADMIN, 'POST /types/{type_id}/extra_specs'),
    ('volume_extension:types_extra_specs:show', READER, 'GET /types/{type_id}/extra_specs/{extra_spec_key}'),
    ('volume_extension:types_extra_specs:read_sensitive', ADMIN, 'GET /types;GET /types/{type_id};GET /types/{type_id}/extra_specs;GET /types/{type_id}/extra_specs/{extra_spec_key}'),
    ('volume_extension:types_extra_specs:update', ADMIN, 'PUT /types/{type_id}/extra_specs/{extra_spec_key}'),
    ('volume_extension:types_extra_specs:delete', ADMIN, 'DELETE /types/{type_id}/extra_specs/{extra_spec_key}'),
    ('volume_extension:volume_type_access', MEMBER, 'GET /types;GET /types/{type_id};POST /types'),
    ('volume_extension:volume_type_access:addProjectAccess', ADMIN, 'POST /types/{type_id}/action (addProjectAccess)'),
    ('volume_extension:volume_type_access:removeProjectAccess', ADMIN, 'POST /types/{type_id}/action (removeProjectAccess)'),
    ('volume_extension:volume_type_access:get_all_for_type', ADMIN, 'GET /types/{type_id}/os-volume-type-access'),
    ('volume:extend', MEMBER, 'POST /volumes/{volume_id}/action (os-extend)'),
    ('volume:extend_attached_volume', MEMBER, 'POST /volumes/{volume_id}/action (os-extend)'),
    ('volume_extension:volume_admin_actions:extend_volume_completion', ADMIN, 'POST /volumes/{volume_id}/action (os-extend_volume_completion)'),
    ('volume:revert_to_snapshot', MEMBER, 'POST /volumes/{volume_id}/action (revert)'),
    ('volume_extension:volume_admin_actions:reset_status', ADMIN, 'POST /volumes/{volume_id}/action (os-reset_status)'),
    ('volume:retype', MEMBER, 'POST /volumes/{volume_id}/action (os-retype)'),
    ('volume:update_readonly_flag', MEMBER, 'POST /volumes/{volume_id}/action (os-update_readonly_flag)'),
    ('volume_extension:volume_admin_actions:force_delete', ADMIN, 'POST /volumes/{volume_id}/action (os-force_delete)'),
    ('volume_extension:volume_actions:upload_public', ADMIN, 'POST /volumes/{volume_id}/action (os-volume_upload_image)'),
    ('volume_extension:volume_actions:upload_image', MEMBER, 'POST /volumes/{volume_id}/action (os-volume_upload_image)'),
    ('volume_extension:volume_admin_actions:force_detach', ADMIN, 'POST /volumes/{volume_id}/action (os-force_detach)'),
    ('volume_extension:volume_admin_actions:migrate_volume', ADMIN, 'POST /volumes/{volume_id}/action (os-migrate_volume)'),
    ('volume_extension:volume_admin_actions:migrate_volume_completion', ADMIN, 'POST /volumes/{volume_id}/action (os-migrate_volume_completion)'),
    ('volume_extension:volume_actions:initialize_connection', MEMBER, 'POST /volumes/{volume_id}/action (os-initialize_connection)'),
    ('volume_extension:volume_actions:terminate_connection', MEMBER, 'POST /volumes/{volume_id}/action (os-terminate_connection)'),
    ('volume_extension:volume_actions:roll_detaching', MEMBER, 'POST /volumes/{volume_id}/action (os-roll_detaching)'),
    ('volume_extension:volume_actions:reserve', MEMBER, 'POST /volumes/{volume_id}/action (os-reserve)'),
    ('volume_extension:volume_actions:unreserve', MEMBER, 'POST /volumes/{volume_id}/action (os-unreserve)'),
    ('volume_extension:volume_actions:begin_detaching', MEMBER, 'POST /volumes/{volume_id}/action (os-begin_detaching)'),
    ('volume_extension:volume_actions:attach', MEMBER, 'POST /volumes/{volume_id}/action (os-attach)'),
    ('volume_extension:volume_actions:detach', MEMBER, 'POST /volumes/{volume_id}/action (os-detach)'),
    ('volume:reimage', MEMBER, 'POST /volumes/{volume_id}/action (os-reimage)'),
    ('volume:reimage_reserved', MEMBER, 'POST /volumes/{volume_id}/action (os-reimage)'),
    ('volume:get_volume_metadata', READER, 'GET /volumes/{volume_id}/metadata;GET /volumes/{volume_id}/metadata/{key};POST /volumes/{volume_id}/action  (os-show_image_metadata)'),
    ('volume:create_volume_metadata', MEMBER, 'POST /volumes/{volume_id}/metadata'),
    ('volume:update_volume_metadata', MEMBER, 'PUT /volumes/{volume_id}/metadata;PUT /volumes/{volume_id}/metadata/{key}'),
    ('volume:delete_volume_metadata', MEMBER, 'DELETE /volumes/{volume_id}/metadata/{key}'),
    ('volume_extension:volume_image_metadata:show', READER, 'GET /volumes/detail;GET /volumes/{volume_id}'),
    ('volume_extension:volume_image_metadata:set', MEMBER, 'POST /volumes/{volume_id}/action (os-set_image_metadata)'),
    ('volume_extension:volume_image_metadata:remove', MEMBER, 'POST /volumes/{volume_id}/action (os-unset_image_metadata)'),
    ('volume:update_volume_admin_metadata', ADMIN, 'POST /volumes/{volume_id}/action (os-update_readonly_flag);POST /volumes/{volume_id}/action (os-attach)'),
    ('volume:get_all_transfers', READER, 'GET /os-volume-transfer;GET /os-volume-transfer/detail;GET /volume_transfers;GET /volume-transfers/detail'),
    ('volume:create_transfer', MEMBER, 'POST /os-volume-transfer;POST /volume_transfers'),
    ('volume:get_transfer', READER, 'GET /os-volume-transfer/{transfer_id};GET /volume-transfers/{transfer_id}'),
    ('volume:accept_transfer', MEMBER, 'POST /os-volume-transfer/{transfer_id}/accept;POST /volume-transfers/{transfer_id}/accept'),
    ('volume:delete_transfer', MEMBER, 'DELETE /os-volume-transfer/{transfer_id};DELETE /volume-transfers/{transfer_id}'),
    ('volume_extension:type_create', ADMIN, 'POST /types'),
    ('volume_extension:type_update', ADMIN, 'PUT /types'),
    ('volume_extension:type_delete', ADMIN, 'DELETE /types'),
    ('volume_extension:type_get', READER, 'GET /types/{type_id}'),
    ('volume_extension:type_get_all', READER, 'GET /types/'),
    ('volume_extension:access_types_extra_specs', READER, 'GET /types/{type_id};GET /types'),
    ('volume_extension:access_types_qos_specs_id', ADMIN, 'GET /types/{type_id};GET /types'),
    ('volume_extension:volume_type_encryption', ADMIN, ''),
    ('volume_extension:volume_type_encryption:create', ADMIN, 'POST /types/{type_id}/encryption'),
    ('volume_extension:volume_type_encryption:get', ADMIN, 'GET /types/{type_id}/encryption;GET /types/{type_id}/encryption/{key}'),
    ('volume_extension:volume_type_encryption:update', ADMIN, 'PUT /types/{type_id}/encryption/{encryption_id}'),
    ('volume_extension:volume_type_encryption:delete', ADMIN, 'DELETE /types/{type_id}/encryption/{encryption_id}'),
    ('volume:create', MEMBER, 'POST /volumes'),
    ('volume:create_from_image', MEMBER, 'POST /volumes'),
    ('volume:get', READER, 'GET /volumes/{volume_id}'),
    ('volume:get_all', READER, 'GET /volumes;GET /volumes/detail;GET /volumes/summary'),
    ('volume:update', MEMBER, 'PUT /volumes;POST /volumes/{volume_id}/action (os-set_bootable)'),
    ('volume:delete', MEMBER, 'DELETE /volumes/{volume_id}'),
    ('volume:force_delete', ADMIN, 'DELETE /volumes/{volume_id}'),
    ('volume_extension:volume_host_attribute', ADMIN, 'GET /volumes/{volume_id};GET /volumes/detail'),
    ('volume_extension:volume_tenant_attribute', READER, 'GET /volumes/{volume_id};GET /volumes/detail'),
    ('volume_extension:volume_mig_status_attribute', ADMIN, 'GET /volumes/{volume_id};GET /volumes/detail'),
    ('volume_extension:volume_encryption_metadata', READER, 'GET /volumes/{volume_id}/encryption;GET /volumes/{volume_id}/encryption/{encryption_key}'),
    ('volume:multiattach', MEMBER, 'POST /volumes'),
    ('workers:cleanup', ADMIN, 'POST /workers/cleanup'),
]


def _operations(calls):
    out = []
    for call in filter(None, calls.split(';')):
        method, _, path = call.strip().partition(' ')
        out.append({'method': method, 'path': path.strip()})
    return out


# Cinder's deprecated check strings, OR-ed with the defaults while
# [oslo_policy] enforce_new_defaults is off: {old check string: rules}.
DEPRECATED = {
    'rule:admin_or_owner': """
        backup:delete backup:get backup:get_all backup:restore backup:update group:delete
        group:delete_group_snapshot group:disable_replication group:enable_replication
        group:failover_replication group:get group:get_all group:get_all_group_snapshots
        group:get_group_snapshot group:list_replication_targets group:update
        group:update_group_snapshot limits_extension:used_limits message:delete message:get
        message:get_all volume:attachment_complete volume:attachment_delete
        volume:attachment_update volume:create_snapshot volume:create_transfer
        volume:create_volume_metadata volume:delete volume:delete_snapshot
        volume:delete_snapshot_metadata volume:delete_transfer volume:delete_volume_metadata
        volume:extend volume:extend_attached_volume volume:get volume:get_all
        volume:get_all_snapshots volume:get_all_transfers volume:get_snapshot
        volume:get_snapshot_metadata volume:get_transfer volume:get_volume_metadata
        volume:multiattach volume:multiattach_bootable_volume volume:retype
        volume:revert_to_snapshot volume:update volume:update_readonly_flag
        volume:update_snapshot volume:update_snapshot_metadata volume:update_volume_metadata
        volume_extension:extended_snapshot_attributes volume_extension:quotas:show
        volume_extension:volume_actions:attach volume_extension:volume_actions:begin_detaching
        volume_extension:volume_actions:detach
        volume_extension:volume_actions:initialize_connection
        volume_extension:volume_actions:reserve volume_extension:volume_actions:roll_detaching
        volume_extension:volume_actions:terminate_connection
        volume_extension:volume_actions:unreserve volume_extension:volume_actions:upload_image
        volume_extension:volume_encryption_metadata
        volume_extension:volume_image_metadata:remove
        volume_extension:volume_image_metadata:set volume_extension:volume_image_metadata:show
        volume_extension:volume_tenant_attribute volume_extension:volume_type_access""".split(),
    'rule:admin_api': """
        volume_extension:access_types_extra_specs
        group:group_types:create group:group_types:delete group:group_types:update
        group:group_types_specs:create group:group_types_specs:delete
        group:group_types_specs:get group:group_types_specs:get_all
        group:group_types_specs:update volume_extension:quota_classes:get
        volume_extension:quota_classes:update volume_extension:type_create
        volume_extension:type_delete volume_extension:type_update""".split(),
    'rule:volume_extension:volume_type_encryption': """
        volume_extension:volume_type_encryption:create
        volume_extension:volume_type_encryption:delete
        volume_extension:volume_type_encryption:get
        volume_extension:volume_type_encryption:update""".split(),
    'volume_extension:volume_type_access': """
        volume_extension:volume_type_access:get_all_for_type""".split(),
    'rule:system_or_domain_or_project_admin': """
        volume_extension:default_get volume_extension:default_set_or_update
        volume_extension:default_unset""".split(),
    'role:admin and system_scope:all': """
        volume_extension:default_get_all""".split(),
    '': """
        backup:create group:create group:create_group_snapshot
        snapshot_extension:snapshot_actions:update_snapshot_status
        volume:accept_transfer volume:attachment_create volume:create
        volume:create_from_image volume_extension:type_get
        volume_extension:type_get_all volume_extension:types_extra_specs:index
        volume_extension:types_extra_specs:show""".split(),
}

# Deprecated defaults that had another name (an old policy.yaml uses it):
# {old name: the rules it became}.
RENAMED_FROM = {
    'group:group_types_manage': """
        group:group_types:create group:group_types:update group:group_types:delete""".split(),
    'group:group_types_specs': """
        group:group_types_specs:get group:group_types_specs:get_all
        group:group_types_specs:create group:group_types_specs:update
        group:group_types_specs:delete""".split(),
    'volume_extension:quota_classes': """
        volume_extension:quota_classes:get volume_extension:quota_classes:update""".split(),
    'volume_extension:types_manage': """
        volume_extension:type_create volume_extension:type_update
        volume_extension:type_delete""".split(),
    'volume_extension:volume_image_metadata': """
        volume_extension:volume_image_metadata:show
        volume_extension:volume_image_metadata:set
        volume_extension:volume_image_metadata:remove""".split(),
}
_OLD_NAME = {new: old for old, names in RENAMED_FROM.items() for new in names}
DEPRECATED_REASON = 'Cinder now knows the reader, member and manager roles.'


def _deprecated(name):
    for old, names in DEPRECATED.items():
        if name in names:
            return policy.DeprecatedRule(_OLD_NAME.get(name, name), old,
                                         deprecated_reason=DEPRECATED_REASON,
                                         deprecated_since='W')
    return None


def list_rules():
    rules = [policy.RuleDefault(name, check, deprecated_rule=_deprecated(name))
             for name, check in BASE_RULES]
    for name, check, calls in RULES:
        operations = _operations(calls)
        if operations:
            rules.append(policy.DocumentedRuleDefault(
                name, check, 'Block Storage: ' + calls.replace(';', ', '),
                operations, deprecated_rule=_deprecated(name)))
        else:
            rules.append(policy.RuleDefault(name, check, deprecated_rule=_deprecated(name)))
    return rules
