"""Default policy rules of the Compute API: Nova's names, defaults and scope
types. Targets carry the server's (or other resource's) `project_id` and
`user_id`; policy.authorize offers them both as `%(project_id)s` (upstream's
check strings) and `%(target.project_id)s`."""
from oslo_policy import policy

ADMIN = 'rule:context_is_admin'
MEMBER = 'rule:project_member_or_admin'
READER = 'rule:project_reader_or_admin'
MANAGER = 'rule:project_manager_or_admin'
SERVICE = 'rule:service_api'
SERVICE_OR_ADMIN = 'rule:service_or_admin'
ANY = '@'
NOBODY = '!'

BASE_RULES = [
    ('context_is_admin', 'role:admin',
     "Decides what is required for the 'is_admin:True' check to succeed."),
    ('admin_or_owner', 'is_admin:True or project_id:%(project_id)s',
     'Default rule for most non-Admin APIs (deprecated).'),
    ('admin_api', 'is_admin:True', 'Default rule for most Admin APIs.'),
    ('project_manager_api', 'role:manager and project_id:%(project_id)s',
     'Default rule for Project level management APIs.'),
    ('project_member_api', 'role:member and project_id:%(project_id)s',
     'Default rule for Project level non admin APIs.'),
    ('project_reader_api', 'role:reader and project_id:%(project_id)s',
     'Default rule for Project level read only APIs.'),
    ('project_manager_or_admin', 'rule:project_manager_api or rule:context_is_admin',
     'Default rule for Project Manager or admin APIs.'),
    ('project_member_or_admin', 'rule:project_member_api or rule:context_is_admin',
     'Default rule for Project Member or admin APIs.'),
    ('project_reader_or_admin', 'rule:project_reader_api or rule:context_is_admin',
     'Default rule for Project reader or admin APIs.'),
    ('service_api', 'role:service', 'Default rule for service-to-service APIs.'),
    ('service_or_admin', 'rule:service_api or rule:context_is_admin',
     'Default rule for service-to-service or admin APIs.'),
]

S = '/servers/{server_id}'
A = S + '/action'
P = 'os_compute_api:'
# (name, default, [(method, path)], description)
RULES = [
    # servers
    (P + 'servers:index', READER, [('GET', '/servers')], 'List servers'),
    (P + 'servers:detail', READER, [('GET', '/servers/detail')], 'List servers with details'),
    (P + 'servers:index:get_all_tenants', ADMIN, [('GET', '/servers')],
     'List servers of all projects'),
    (P + 'servers:detail:get_all_tenants', ADMIN, [('GET', '/servers/detail')],
     'List servers of all projects with details'),
    (P + 'servers:allow_all_filters', ADMIN, [('GET', '/servers')],
     'Filter the server list by any attribute'),
    (P + 'servers:show', READER, [('GET', S)], 'Show a server'),
    (P + 'servers:show:flavor-extra-specs', READER, [('GET', S)],
     "Show a server's flavor extra specs"),
    (P + 'servers:show:host_status', ADMIN, [('GET', S)], "Show a server's host status"),
    (P + 'servers:show:host_status:unknown-only', ADMIN, [('GET', S)],
     "Show a server's host status when it is UNKNOWN"),
    (P + 'servers:create', MEMBER, [('POST', '/servers')], 'Create a server'),
    (P + 'servers:create:forced_host', ADMIN, [('POST', '/servers')],
     'Create a server on a given host'),
    ('compute:servers:create:requested_destination', ADMIN, [('POST', '/servers')],
     'Create a server on a requested host or node'),
    (P + 'servers:create:attach_volume', MEMBER, [('POST', '/servers')],
     'Create a server with volumes'),
    (P + 'servers:create:attach_network', MEMBER, [('POST', '/servers')],
     'Create a server with networks'),
    (P + 'servers:create:trusted_certs', MEMBER, [('POST', '/servers')],
     'Create a server with trusted image certificates'),
    (P + 'servers:create:zero_disk_flavor', ADMIN, [('POST', '/servers')],
     'Boot an image-backed server with a flavor of no disk'),
    ('network:attach_external_network', ADMIN, [('POST', '/servers'),
                                                ('POST', S + '/os-interface')],
     'Attach an unshared external network to a server'),
    (P + 'servers:delete', MEMBER, [('DELETE', S)], 'Delete a server'),
    (P + 'servers:update', MEMBER, [('PUT', S)], 'Update a server'),
    (P + 'servers:confirm_resize', MEMBER, [('POST', A)], 'Confirm a resize'),
    (P + 'servers:revert_resize', MEMBER, [('POST', A)], 'Revert a resize'),
    (P + 'servers:reboot', MEMBER, [('POST', A)], 'Reboot a server'),
    (P + 'servers:resize', MEMBER, [('POST', A)], 'Resize a server'),
    ('compute:servers:resize:cross_cell', NOBODY, [('POST', A)], 'Resize across cells'),
    (P + 'servers:rebuild', MEMBER, [('POST', A)], 'Rebuild a server'),
    (P + 'servers:rebuild:trusted_certs', MEMBER, [('POST', A)],
     'Rebuild a server with trusted image certificates'),
    (P + 'servers:create_image', MEMBER, [('POST', A)], 'Snapshot a server to an image'),
    (P + 'servers:create_image:allow_volume_backed', MEMBER, [('POST', A)],
     'Snapshot a volume-backed server'),
    (P + 'servers:start', MEMBER, [('POST', A)], 'Start a server'),
    (P + 'servers:stop', MEMBER, [('POST', A)], 'Stop a server'),
    (P + 'servers:trigger_crash_dump', MEMBER, [('POST', A)], 'Trigger a crash dump'),
    (P + 'servers:migrations:show', ADMIN, [('GET', S + '/migrations/{migration_id}')],
     "Show a server's migration"),
    (P + 'servers:migrations:force_complete', MANAGER,
     [('POST', S + '/migrations/{migration_id}/action')], 'Force a live migration to end'),
    (P + 'servers:migrations:delete', MANAGER,
     [('DELETE', S + '/migrations/{migration_id}')], 'Abort a live migration'),
    (P + 'servers:migrations:index', MANAGER, [('GET', S + '/migrations')],
     "List a server's live migrations"),
    (P + 'servers:migrations:index:host', ADMIN, [('GET', S + '/migrations')],
     "Show the hosts of a server's live migrations"),
    # server actions by extension
    (P + 'os-admin-actions:reset_state', ADMIN, [('POST', A)], "Reset a server's state"),
    (P + 'os-admin-actions:inject_network_info', ADMIN, [('POST', A)],
     'Inject network info into a server'),
    (P + 'os-admin-password', MEMBER, [('POST', A)], "Change a server's password"),
    (P + 'os-console-output', MEMBER, [('POST', A)], "Show a server's console output"),
    (P + 'os-create-backup', MEMBER, [('POST', A)], 'Back a server up'),
    (P + 'os-deferred-delete:restore', MEMBER, [('POST', A)], 'Restore a soft-deleted server'),
    (P + 'os-deferred-delete:force', MEMBER, [('POST', A)], 'Delete a soft-deleted server now'),
    (P + 'os-evacuate', ADMIN, [('POST', A)], 'Evacuate a server'),
    (P + 'os-extended-server-attributes', ADMIN, [('GET', S)],
     "Show a server's extended attributes"),
    (P + 'os-lock-server:lock', MEMBER, [('POST', A)], 'Lock a server'),
    (P + 'os-lock-server:unlock', MEMBER, [('POST', A)], 'Unlock a server'),
    (P + 'os-lock-server:unlock:unlock_override', ADMIN, [('POST', A)],
     'Unlock a server locked by someone else'),
    (P + 'os-migrate-server:migrate', MANAGER, [('POST', A)], 'Cold migrate a server'),
    (P + 'os-migrate-server:migrate:host', ADMIN, [('POST', A)],
     'Cold migrate a server to a given host'),
    (P + 'os-migrate-server:migrate_live', MANAGER, [('POST', A)], 'Live migrate a server'),
    (P + 'os-migrate-server:migrate_live:host', ADMIN, [('POST', A)],
     'Live migrate a server to a given host'),
    (P + 'os-multinic:add', MEMBER, [('POST', A)], 'Add a fixed IP (deprecated)'),
    (P + 'os-multinic:remove', MEMBER, [('POST', A)], 'Remove a fixed IP (deprecated)'),
    (P + 'os-pause-server:pause', MEMBER, [('POST', A)], 'Pause a server'),
    (P + 'os-pause-server:unpause', MEMBER, [('POST', A)], 'Unpause a server'),
    (P + 'os-remote-consoles', MEMBER, [('POST', S + '/remote-consoles')],
     'Create a remote console'),
    (P + 'os-rescue', MEMBER, [('POST', A)], 'Rescue a server'),
    (P + 'os-unrescue', MEMBER, [('POST', A)], 'Unrescue a server'),
    (P + 'os-security-groups:add', MEMBER, [('POST', A)], 'Add a security group to a server'),
    (P + 'os-security-groups:remove', MEMBER, [('POST', A)],
     'Remove a security group from a server'),
    (P + 'os-security-groups:list', READER, [('GET', S + '/os-security-groups')],
     "List a server's security groups"),
    (P + 'os-shelve:shelve', MEMBER, [('POST', A)], 'Shelve a server'),
    (P + 'os-shelve:shelve_offload', ADMIN, [('POST', A)], 'Offload a shelved server'),
    (P + 'os-shelve:unshelve', MEMBER, [('POST', A)], 'Unshelve a server'),
    (P + 'os-shelve:unshelve_to_host', ADMIN, [('POST', A)], 'Unshelve a server to a host'),
    (P + 'os-suspend-server:suspend', MEMBER, [('POST', A)], 'Suspend a server'),
    (P + 'os-suspend-server:resume', MEMBER, [('POST', A)], 'Resume a server'),
    (P + 'os-server-diagnostics', ADMIN, [('GET', S + '/diagnostics')],
     "Show a server's diagnostics"),
    (P + 'os-server-password:show', READER, [('GET', S + '/os-server-password')],
     "Show a server's encrypted password"),
    (P + 'os-server-password:clear', MEMBER, [('DELETE', S + '/os-server-password')],
     "Clear a server's encrypted password"),
    ('compute:server:topology:index', READER, [('GET', S + '/topology')],
     "Show a server's NUMA topology"),
    ('compute:server:topology:host:index', ADMIN, [('GET', S + '/topology')],
     "Show a server's NUMA topology with host details"),
    # server sub-resources
    (P + 'server-metadata:index', READER, [('GET', S + '/metadata')], 'List metadata'),
    (P + 'server-metadata:show', READER, [('GET', S + '/metadata/{key}')], 'Show metadata'),
    (P + 'server-metadata:create', MEMBER, [('POST', S + '/metadata')], 'Add metadata'),
    (P + 'server-metadata:update_all', MEMBER, [('PUT', S + '/metadata')],
     'Replace metadata'),
    (P + 'server-metadata:update', MEMBER, [('PUT', S + '/metadata/{key}')],
     'Set one metadata item'),
    (P + 'server-metadata:delete', MEMBER, [('DELETE', S + '/metadata/{key}')],
     'Delete one metadata item'),
    (P + 'os-server-tags:index', READER, [('GET', S + '/tags')], 'List tags'),
    (P + 'os-server-tags:show', READER, [('GET', S + '/tags/{tag}')], 'Check a tag'),
    (P + 'os-server-tags:update', MEMBER, [('PUT', S + '/tags/{tag}')], 'Add a tag'),
    (P + 'os-server-tags:update_all', MEMBER, [('PUT', S + '/tags')], 'Replace tags'),
    (P + 'os-server-tags:delete', MEMBER, [('DELETE', S + '/tags/{tag}')], 'Delete a tag'),
    (P + 'os-server-tags:delete_all', MEMBER, [('DELETE', S + '/tags')], 'Delete all tags'),
    (P + 'os-instance-actions:list', READER, [('GET', S + '/os-instance-actions')],
     "List a server's actions"),
    (P + 'os-instance-actions:show', READER,
     [('GET', S + '/os-instance-actions/{request_id}')], 'Show an action'),
    (P + 'os-instance-actions:events', ADMIN,
     [('GET', S + '/os-instance-actions/{request_id}')], "Show an action's events"),
    (P + 'os-instance-actions:events:details', ADMIN,
     [('GET', S + '/os-instance-actions/{request_id}')], "Show an action's event details"),
    (P + 'ips:index', READER, [('GET', S + '/ips')], "List a server's addresses"),
    (P + 'ips:show', READER, [('GET', S + '/ips/{network_label}')],
     "List a server's addresses on a network"),
    (P + 'os-attach-interfaces:list', READER, [('GET', S + '/os-interface')],
     "List a server's interfaces"),
    (P + 'os-attach-interfaces:show', READER, [('GET', S + '/os-interface/{port_id}')],
     'Show an interface'),
    (P + 'os-attach-interfaces:create', MEMBER, [('POST', S + '/os-interface')],
     'Attach an interface'),
    (P + 'os-attach-interfaces:delete', MEMBER, [('DELETE', S + '/os-interface/{port_id}')],
     'Detach an interface'),
    (P + 'os-volumes-attachments:index', READER, [('GET', S + '/os-volume_attachments')],
     "List a server's volume attachments"),
    (P + 'os-volumes-attachments:show', READER,
     [('GET', S + '/os-volume_attachments/{volume_id}')], 'Show a volume attachment'),
    (P + 'os-volumes-attachments:create', MEMBER,
     [('POST', S + '/os-volume_attachments')], 'Attach a volume'),
    (P + 'os-volumes-attachments:update', MEMBER,
     [('PUT', S + '/os-volume_attachments/{volume_id}')], 'Update a volume attachment'),
    (P + 'os-volumes-attachments:swap', SERVICE_OR_ADMIN,
     [('PUT', S + '/os-volume_attachments/{volume_id}')], 'Swap a volume'),
    (P + 'os-volumes-attachments:delete', MEMBER,
     [('DELETE', S + '/os-volume_attachments/{volume_id}')], 'Detach a volume'),
    (P + 'os-server-shares:index', READER, [('GET', S + '/shares')], 'List shares'),
    (P + 'os-server-shares:create', MEMBER, [('POST', S + '/shares')], 'Attach a share'),
    (P + 'os-server-shares:show', READER, [('GET', S + '/shares/{share_id}')], 'Show a share'),
    (P + 'os-server-shares:delete', MEMBER, [('DELETE', S + '/shares/{share_id}')],
     'Detach a share'),
    (P + 'os-server-external-events:create', SERVICE_OR_ADMIN,
     [('POST', '/os-server-external-events')], 'Send events to servers'),
    # flavors
    (P + 'os-flavor-manage:create', ADMIN, [('POST', '/flavors')], 'Create a flavor'),
    (P + 'os-flavor-manage:update', ADMIN, [('PUT', '/flavors/{flavor_id}')],
     'Update a flavor'),
    (P + 'os-flavor-manage:delete', ADMIN, [('DELETE', '/flavors/{flavor_id}')],
     'Delete a flavor'),
    (P + 'os-flavor-access', ADMIN, [('GET', '/flavors/{flavor_id}/os-flavor-access')],
     "List a flavor's access"),
    (P + 'os-flavor-access:add_tenant_access', ADMIN,
     [('POST', '/flavors/{flavor_id}/action')], 'Add a project to a flavor'),
    (P + 'os-flavor-access:remove_tenant_access', ADMIN,
     [('POST', '/flavors/{flavor_id}/action')], 'Remove a project from a flavor'),
    (P + 'os-flavor-extra-specs:index', READER, [('GET', '/flavors/{flavor_id}/os-extra_specs')],
     "List a flavor's extra specs"),
    (P + 'os-flavor-extra-specs:show', READER,
     [('GET', '/flavors/{flavor_id}/os-extra_specs/{key}')], 'Show an extra spec'),
    (P + 'os-flavor-extra-specs:create', ADMIN,
     [('POST', '/flavors/{flavor_id}/os-extra_specs')], 'Add extra specs'),
    (P + 'os-flavor-extra-specs:update', ADMIN,
     [('PUT', '/flavors/{flavor_id}/os-extra_specs/{key}')], 'Update an extra spec'),
    (P + 'os-flavor-extra-specs:delete', ADMIN,
     [('DELETE', '/flavors/{flavor_id}/os-extra_specs/{key}')], 'Delete an extra spec'),
    # key pairs
    (P + 'os-keypairs:index', '(' + ADMIN + ') or user_id:%(user_id)s',
     [('GET', '/os-keypairs')], 'List key pairs'),
    (P + 'os-keypairs:create', '(' + ADMIN + ') or user_id:%(user_id)s',
     [('POST', '/os-keypairs')], 'Create a key pair'),
    (P + 'os-keypairs:delete', '(' + ADMIN + ') or user_id:%(user_id)s',
     [('DELETE', '/os-keypairs/{keypair_name}')], 'Delete a key pair'),
    (P + 'os-keypairs:show', '(' + ADMIN + ') or user_id:%(user_id)s',
     [('GET', '/os-keypairs/{keypair_name}')], 'Show a key pair'),
    # quotas, limits, usage
    (P + 'limits', ANY, [('GET', '/limits')], 'Show rate and absolute limits'),
    (P + 'limits:other_project', ADMIN, [('GET', '/limits')],
     'Show the limits of another project'),
    (P + 'os-quota-sets:show', READER, [('GET', '/os-quota-sets/{tenant_id}')],
     'Show a quota set'),
    (P + 'os-quota-sets:update', ADMIN, [('PUT', '/os-quota-sets/{tenant_id}')],
     'Update a quota set'),
    (P + 'os-quota-sets:defaults', ANY, [('GET', '/os-quota-sets/{tenant_id}/defaults')],
     'Show the default quotas'),
    (P + 'os-quota-sets:detail', READER, [('GET', '/os-quota-sets/{tenant_id}/detail')],
     'Show a quota set with usage'),
    (P + 'os-quota-sets:delete', ADMIN, [('DELETE', '/os-quota-sets/{tenant_id}')],
     'Revert a quota set to the defaults'),
    (P + 'os-quota-class-sets:show', ADMIN, [('GET', '/os-quota-class-sets/{id}')],
     'Show a quota class'),
    (P + 'os-quota-class-sets:update', ADMIN, [('PUT', '/os-quota-class-sets/{id}')],
     'Update a quota class'),
    (P + 'os-simple-tenant-usage:show', READER,
     [('GET', '/os-simple-tenant-usage/{tenant_id}')], "Show a project's usage"),
    (P + 'os-simple-tenant-usage:list', ADMIN, [('GET', '/os-simple-tenant-usage')],
     "List every project's usage"),
    (P + 'os-instance-usage-audit-log:list', ADMIN,
     [('GET', '/os-instance_usage_audit_log')], 'List usage audits'),
    (P + 'os-instance-usage-audit-log:show', ADMIN,
     [('GET', '/os-instance_usage_audit_log/{before_timestamp}')], 'Show a usage audit'),
    # server groups
    (P + 'os-server-groups:create', MEMBER, [('POST', '/os-server-groups')],
     'Create a server group'),
    (P + 'os-server-groups:delete', MEMBER, [('DELETE', '/os-server-groups/{server_group_id}')],
     'Delete a server group'),
    (P + 'os-server-groups:index', READER, [('GET', '/os-server-groups')],
     'List server groups'),
    (P + 'os-server-groups:index:all_projects', ADMIN, [('GET', '/os-server-groups')],
     'List the server groups of every project'),
    (P + 'os-server-groups:show', READER, [('GET', '/os-server-groups/{server_group_id}')],
     'Show a server group'),
    # the cloud: zones, aggregates, hosts, hypervisors, services, migrations
    (P + 'os-availability-zone:list', ANY, [('GET', '/os-availability-zone')],
     'List availability zones'),
    (P + 'os-availability-zone:detail', ADMIN, [('GET', '/os-availability-zone/detail')],
     'List availability zones with their hosts'),
    (P + 'os-aggregates:index', ADMIN, [('GET', '/os-aggregates')], 'List aggregates'),
    (P + 'os-aggregates:create', ADMIN, [('POST', '/os-aggregates')], 'Create an aggregate'),
    (P + 'os-aggregates:show', ADMIN, [('GET', '/os-aggregates/{aggregate_id}')],
     'Show an aggregate'),
    (P + 'os-aggregates:update', ADMIN, [('PUT', '/os-aggregates/{aggregate_id}')],
     'Update an aggregate'),
    (P + 'os-aggregates:delete', ADMIN, [('DELETE', '/os-aggregates/{aggregate_id}')],
     'Delete an aggregate'),
    (P + 'os-aggregates:add_host', ADMIN, [('POST', '/os-aggregates/{aggregate_id}/action')],
     'Add a host to an aggregate'),
    (P + 'os-aggregates:remove_host', ADMIN,
     [('POST', '/os-aggregates/{aggregate_id}/action')], 'Remove a host from an aggregate'),
    (P + 'os-aggregates:set_metadata', ADMIN,
     [('POST', '/os-aggregates/{aggregate_id}/action')], "Set an aggregate's metadata"),
    ('compute:aggregates:images', ADMIN, [('POST', '/os-aggregates/{aggregate_id}/images')],
     "Cache images on an aggregate's hosts"),
    (P + 'os-hypervisors:list', ADMIN, [('GET', '/os-hypervisors')], 'List hypervisors'),
    (P + 'os-hypervisors:list-detail', ADMIN, [('GET', '/os-hypervisors/detail')],
     'List hypervisors with details'),
    (P + 'os-hypervisors:statistics', ADMIN, [('GET', '/os-hypervisors/statistics')],
     'Show hypervisor statistics'),
    (P + 'os-hypervisors:show', ADMIN, [('GET', '/os-hypervisors/{hypervisor_id}')],
     'Show a hypervisor'),
    (P + 'os-hypervisors:uptime', ADMIN, [('GET', '/os-hypervisors/{hypervisor_id}/uptime')],
     "Show a hypervisor's uptime"),
    (P + 'os-hypervisors:search', ADMIN, [('GET', '/os-hypervisors/{pattern}/search')],
     'Search hypervisors'),
    (P + 'os-hypervisors:servers', ADMIN, [('GET', '/os-hypervisors/{pattern}/servers')],
     "List a hypervisor's servers"),
    (P + 'os-services:list', ADMIN, [('GET', '/os-services')], 'List services'),
    (P + 'os-services:update', ADMIN, [('PUT', '/os-services/{service_id}')],
     'Update a service'),
    (P + 'os-services:delete', ADMIN, [('DELETE', '/os-services/{service_id}')],
     'Delete a service'),
    (P + 'os-hosts:list', ADMIN, [('GET', '/os-hosts')], 'List hosts (deprecated)'),
    (P + 'os-hosts:show', ADMIN, [('GET', '/os-hosts/{host_name}')], 'Show a host'),
    (P + 'os-hosts:update', ADMIN, [('PUT', '/os-hosts/{host_name}')], 'Update a host'),
    (P + 'os-hosts:reboot', ADMIN, [('GET', '/os-hosts/{host_name}/reboot')], 'Reboot a host'),
    (P + 'os-hosts:shutdown', ADMIN, [('GET', '/os-hosts/{host_name}/shutdown')],
     'Shut a host down'),
    (P + 'os-hosts:start', ADMIN, [('GET', '/os-hosts/{host_name}/startup')], 'Start a host'),
    (P + 'os-migrations:index', MANAGER, [('GET', '/os-migrations')], 'List migrations'),
    (P + 'os-migrations:index:all_projects', ADMIN, [('GET', '/os-migrations')],
     'List the migrations of every project'),
    (P + 'os-migrations:index:host', ADMIN, [('GET', '/os-migrations')],
     'Show the hosts of migrations'),
    (P + 'os-console-auth-tokens', ADMIN, [('GET', '/os-console-auth-tokens/{console_token}')],
     'Show a console connection'),
    (P + 'os-assisted-volume-snapshots:create', SERVICE,
     [('POST', '/os-assisted-volume-snapshots')], 'Create an assisted volume snapshot'),
    (P + 'os-assisted-volume-snapshots:delete', SERVICE,
     [('DELETE', '/os-assisted-volume-snapshots/{snapshot_id}')],
     'Delete an assisted volume snapshot'),
    (P + 'extensions', ANY, [('GET', '/extensions')], 'List extensions'),
    # the deprecated proxies to Image, Networking and Block Storage
    (P + 'os-networks:list', READER, [('GET', '/os-networks')], 'List networks'),
    (P + 'os-networks:show', READER, [('GET', '/os-networks/{network_id}')], 'Show a network'),
    (P + 'os-tenant-networks:list', READER, [('GET', '/os-tenant-networks')],
     'List project networks'),
    (P + 'os-tenant-networks:show', READER, [('GET', '/os-tenant-networks/{network_id}')],
     'Show a project network'),
    (P + 'os-floating-ip-pools', ANY, [('GET', '/os-floating-ip-pools')],
     'List floating IP pools'),
    (P + 'os-floating-ips:list', READER, [('GET', '/os-floating-ips')], 'List floating IPs'),
    (P + 'os-floating-ips:show', READER, [('GET', '/os-floating-ips/{floating_ip_id}')],
     'Show a floating IP'),
    (P + 'os-floating-ips:create', MEMBER, [('POST', '/os-floating-ips')],
     'Allocate a floating IP'),
    (P + 'os-floating-ips:delete', MEMBER, [('DELETE', '/os-floating-ips/{floating_ip_id}')],
     'Release a floating IP'),
    (P + 'os-floating-ips:add', MEMBER, [('POST', A)], 'Associate a floating IP'),
    (P + 'os-floating-ips:remove', MEMBER, [('POST', A)], 'Disassociate a floating IP'),
    (P + 'os-security-groups:get', READER, [('GET', '/os-security-groups')],
     'List security groups'),
    (P + 'os-security-groups:show', READER, [('GET', '/os-security-groups/{id}')],
     'Show a security group'),
    (P + 'os-security-groups:create', MEMBER, [('POST', '/os-security-groups')],
     'Create a security group'),
    (P + 'os-security-groups:update', MEMBER, [('PUT', '/os-security-groups/{id}')],
     'Update a security group'),
    (P + 'os-security-groups:delete', MEMBER, [('DELETE', '/os-security-groups/{id}')],
     'Delete a security group'),
    (P + 'os-security-groups:rule:create', MEMBER, [('POST', '/os-security-group-rules')],
     'Create a security group rule'),
    (P + 'os-security-groups:rule:delete', MEMBER,
     [('DELETE', '/os-security-group-rules/{id}')], 'Delete a security group rule'),
    (P + 'os-volumes:list', READER, [('GET', '/os-volumes')], 'List volumes'),
    (P + 'os-volumes:detail', READER, [('GET', '/os-volumes/detail')],
     'List volumes with details'),
    (P + 'os-volumes:show', READER, [('GET', '/os-volumes/{volume_id}')], 'Show a volume'),
    (P + 'os-volumes:create', MEMBER, [('POST', '/os-volumes')], 'Create a volume'),
    (P + 'os-volumes:delete', MEMBER, [('DELETE', '/os-volumes/{volume_id}')],
     'Delete a volume'),
    (P + 'os-volumes:snapshots:list', READER, [('GET', '/os-snapshots')], 'List snapshots'),
    (P + 'os-volumes:snapshots:detail', READER, [('GET', '/os-snapshots/detail')],
     'List snapshots with details'),
    (P + 'os-volumes:snapshots:show', READER, [('GET', '/os-snapshots/{snapshot_id}')],
     'Show a snapshot'),
    (P + 'os-volumes:snapshots:create', MEMBER, [('POST', '/os-snapshots')],
     'Create a snapshot'),
    (P + 'os-volumes:snapshots:delete', MEMBER, [('DELETE', '/os-snapshots/{snapshot_id}')],
     'Delete a snapshot'),
    (P + 'os-baremetal-nodes:list', ADMIN, [('GET', '/os-baremetal-nodes')],
     'List bare metal nodes'),
    (P + 'os-baremetal-nodes:show', ADMIN, [('GET', '/os-baremetal-nodes/{node_id}')],
     'Show a bare metal node'),
]


# Nova's deprecated check strings, OR-ed with the defaults while
# [oslo_policy] enforce_new_defaults is off: {old check string: rules}.
DEPRECATED = {
    'is_admin:True': """
        context_is_admin project_manager_api project_manager_or_admin service_api
        service_or_admin""".split(),
    'is_admin:True or project_id:%(project_id)s': """
        project_member_api project_member_or_admin project_reader_api project_reader_or_admin""".split(),
    'rule:admin_or_owner': """
        os_compute_api:os-attach-interfaces:create os_compute_api:os-attach-interfaces:delete
        os_compute_api:os-attach-interfaces:list os_compute_api:os-attach-interfaces:show
        os_compute_api:os-deferred-delete:force os_compute_api:os-deferred-delete:restore
        os_compute_api:os-flavor-access os_compute_api:os-floating-ips:add
        os_compute_api:os-floating-ips:create os_compute_api:os-floating-ips:delete
        os_compute_api:os-floating-ips:list os_compute_api:os-floating-ips:remove
        os_compute_api:os-floating-ips:show os_compute_api:os-instance-actions:list
        os_compute_api:os-instance-actions:show os_compute_api:os-multinic:add
        os_compute_api:os-multinic:remove os_compute_api:os-networks:list
        os_compute_api:os-networks:show os_compute_api:os-security-groups:add
        os_compute_api:os-security-groups:create os_compute_api:os-security-groups:delete
        os_compute_api:os-security-groups:get os_compute_api:os-security-groups:list
        os_compute_api:os-security-groups:remove os_compute_api:os-security-groups:rule:create
        os_compute_api:os-security-groups:rule:delete os_compute_api:os-security-groups:show
        os_compute_api:os-security-groups:update os_compute_api:os-server-password:clear
        os_compute_api:os-server-password:show os_compute_api:os-tenant-networks:list
        os_compute_api:os-tenant-networks:show os_compute_api:os-unrescue
        os_compute_api:os-volumes:create os_compute_api:os-volumes:delete
        os_compute_api:os-volumes:detail os_compute_api:os-volumes:list
        os_compute_api:os-volumes:show os_compute_api:os-volumes:snapshots:create
        os_compute_api:os-volumes:snapshots:delete os_compute_api:os-volumes:snapshots:detail
        os_compute_api:os-volumes:snapshots:list os_compute_api:os-volumes:snapshots:show
        os_compute_api:servers:show:flavor-extra-specs""".split(),
    'rule:admin_api': """
        os_compute_api:limits:other_project os_compute_api:os-baremetal-nodes:list
        os_compute_api:os-baremetal-nodes:show os_compute_api:os-hosts:list
        os_compute_api:os-hosts:reboot os_compute_api:os-hosts:show
        os_compute_api:os-hosts:shutdown os_compute_api:os-hosts:start
        os_compute_api:os-hosts:update os_compute_api:os-hypervisors:list
        os_compute_api:os-hypervisors:list-detail os_compute_api:os-hypervisors:search
        os_compute_api:os-hypervisors:servers os_compute_api:os-hypervisors:show
        os_compute_api:os-hypervisors:statistics os_compute_api:os-hypervisors:uptime
        os_compute_api:os-instance-usage-audit-log:list
        os_compute_api:os-instance-usage-audit-log:show os_compute_api:os-services:delete
        os_compute_api:os-services:list os_compute_api:os-services:update""".split(),
    'rule:context_is_admin': """
        os_compute_api:os-migrate-server:migrate_live:host
        os_compute_api:os-migrations:index:all_projects
        os_compute_api:os-migrations:index:host
        os_compute_api:servers:migrations:index:host""".split(),
}

# Deprecated defaults that had another name (an old policy.yaml uses it):
# {old name: the rules it became}.
RENAMED_FROM = {
    'os_compute_api:os-attach-interfaces': """
        os_compute_api:os-attach-interfaces:list
        os_compute_api:os-attach-interfaces:show
        os_compute_api:os-attach-interfaces:create
        os_compute_api:os-attach-interfaces:delete""".split(),
    'os_compute_api:os-baremetal-nodes': """
        os_compute_api:os-baremetal-nodes:list
        os_compute_api:os-baremetal-nodes:show""".split(),
    'os_compute_api:os-deferred-delete': """
        os_compute_api:os-deferred-delete:restore
        os_compute_api:os-deferred-delete:force""".split(),
    'os_compute_api:os-flavor-extra-specs:index': """
        os_compute_api:servers:show:flavor-extra-specs""".split(),
    'os_compute_api:os-floating-ips': """
        os_compute_api:os-floating-ips:add os_compute_api:os-floating-ips:remove
        os_compute_api:os-floating-ips:list os_compute_api:os-floating-ips:create
        os_compute_api:os-floating-ips:show os_compute_api:os-floating-ips:delete""".split(),
    'os_compute_api:os-hosts': """
        os_compute_api:os-hosts:list os_compute_api:os-hosts:show
        os_compute_api:os-hosts:update os_compute_api:os-hosts:reboot
        os_compute_api:os-hosts:shutdown os_compute_api:os-hosts:start""".split(),
    'os_compute_api:os-hypervisors': """
        os_compute_api:os-hypervisors:list os_compute_api:os-hypervisors:list-detail
        os_compute_api:os-hypervisors:statistics os_compute_api:os-hypervisors:show
        os_compute_api:os-hypervisors:uptime os_compute_api:os-hypervisors:search
        os_compute_api:os-hypervisors:servers""".split(),
    'os_compute_api:os-instance-actions': """
        os_compute_api:os-instance-actions:list
        os_compute_api:os-instance-actions:show""".split(),
    'os_compute_api:os-instance-usage-audit-log': """
        os_compute_api:os-instance-usage-audit-log:list
        os_compute_api:os-instance-usage-audit-log:show""".split(),
    'os_compute_api:os-migrate-server:migrate_live': """
        os_compute_api:os-migrate-server:migrate_live:host""".split(),
    'os_compute_api:os-migrations:index': """
        os_compute_api:os-migrations:index:all_projects
        os_compute_api:os-migrations:index:host""".split(),
    'os_compute_api:os-multinic': """
        os_compute_api:os-multinic:add os_compute_api:os-multinic:remove""".split(),
    'os_compute_api:os-networks:view': """
        os_compute_api:os-networks:list os_compute_api:os-networks:show""".split(),
    'os_compute_api:os-rescue': """
        os_compute_api:os-unrescue""".split(),
    'os_compute_api:os-security-groups': """
        os_compute_api:os-security-groups:get os_compute_api:os-security-groups:show
        os_compute_api:os-security-groups:create
        os_compute_api:os-security-groups:update
        os_compute_api:os-security-groups:delete
        os_compute_api:os-security-groups:rule:create
        os_compute_api:os-security-groups:rule:delete
        os_compute_api:os-security-groups:list os_compute_api:os-security-groups:add
        os_compute_api:os-security-groups:remove""".split(),
    'os_compute_api:os-server-password': """
        os_compute_api:os-server-password:show
        os_compute_api:os-server-password:clear""".split(),
    'os_compute_api:os-services': """
        os_compute_api:os-services:list os_compute_api:os-services:update
        os_compute_api:os-services:delete""".split(),
    'os_compute_api:os-tenant-networks': """
        os_compute_api:os-tenant-networks:list
        os_compute_api:os-tenant-networks:show""".split(),
    'os_compute_api:os-used-limits': """
        os_compute_api:limits:other_project""".split(),
    'os_compute_api:os-volumes': """
        os_compute_api:os-volumes:list os_compute_api:os-volumes:create
        os_compute_api:os-volumes:detail os_compute_api:os-volumes:show
        os_compute_api:os-volumes:delete os_compute_api:os-volumes:snapshots:list
        os_compute_api:os-volumes:snapshots:create
        os_compute_api:os-volumes:snapshots:detail
        os_compute_api:os-volumes:snapshots:show
        os_compute_api:os-volumes:snapshots:delete""".split(),
    'os_compute_api:servers:migrations:index': """
        os_compute_api:servers:migrations:index:host""".split(),
    'rule:admin_api': """
        context_is_admin project_manager_api service_api project_manager_or_admin
        service_or_admin""".split(),
    'rule:admin_or_owner': """
        project_member_api project_reader_api project_member_or_admin
        project_reader_or_admin""".split(),
}
_OLD_NAME = {new: old for old, names in RENAMED_FROM.items() for new in names}
DEPRECATED_REASON = 'Nova now knows the reader, member and manager roles.'


def _deprecated(name):
    for old, names in DEPRECATED.items():
        if name in names:
            return policy.DeprecatedRule(_OLD_NAME.get(name, name), old,
                                         deprecated_reason=DEPRECATED_REASON,
                                         deprecated_since='W')
    return None


def list_rules():
    out = [policy.RuleDefault(name, check, description, deprecated_rule=_deprecated(name))
           for name, check, description in BASE_RULES]
    for name, check, operations, description in RULES:
        out.append(policy.DocumentedRuleDefault(
            name, check, description,
            [{'method': m, 'path': p} for m, p in operations],
            scope_types=['project'], deprecated_rule=_deprecated(name)))
    return out
