"""Cinder's response bodies, per microversion and policy, from the manager's
records."""
from cloudstack.volume.api import common

STATUS_SHOWN = {'managing': 'creating', 'error_managing': 'error',
                'error_managing_deleting': 'deleting'}


# --- volumes -------------------------------------------------------------------
def volume_summary(req, rec):
    return {'id': rec['id'], 'name': rec['name'],
            'links': common.links(req, 'volumes', rec['id'])}


def _volume_attachments(req, rec, admin):
    out = []
    for a in rec['attachments']:
        if a['attach_status'] != 'attached':
            continue
        out.append({'id': rec['id'], 'attachment_id': a['id'], 'volume_id': rec['id'],
                    'server_id': a['instance'],
                    'host_name': a['attached_host'] if admin else None,
                    'device': a['mountpoint'], 'attached_at': a['attached_at']})
    return out


# Rules that add fields to a volume's detail view, per its project.
VOLUME_EXTRA_RULES = ('volume_extension:volume_tenant_attribute',
                      'volume_extension:volume_host_attribute',
                      'volume_extension:volume_mig_status_attribute')


def _volume_view(req):
    """What the volume view shows in this request (microversion, admin),
    worked out once per request: a list renders many volumes."""
    found = req.environ.get('cloudstack.volume.volume_view')
    if found is None:
        admin = common.is_admin(req)
        at = lambda v: common.at_least(req, v)  # noqa: E731
        found = req.environ['cloudstack.volume.volume_view'] = {
            'admin': admin, 'group_id': at(common.GROUPS),
            'provider_id': admin and at(common.PROVIDER_ID),
            'shared_targets': at(common.SHARED_TARGETS),
            'cluster_name': admin and at(common.CLUSTER_NAME),
            'volume_type_id': at(common.TYPE_ID_IN_DETAIL),
            'encryption_key_id': at(common.ENCRYPTION_KEY_ID),
            'consumes_quota': at(common.CONSUMES_QUOTA),
            'projects': {}}
    return found


def _volume_extras(req, view, project):
    """The answers of VOLUME_EXTRA_RULES on a volume of `project`."""
    found = view['projects'].get(project)
    if found is None:
        found = view['projects'][project] = [common.allowed(req, rule, project)
                                             for rule in VOLUME_EXTRA_RULES]
    return found


def volume(req, rec, create=False):
    view = _volume_view(req)
    admin = view['admin']
    out = {
        'id': rec['id'], 'status': STATUS_SHOWN.get(rec['status'], rec['status']),
        'size': rec['size'], 'availability_zone': rec['availability_zone'],
        'created_at': rec['created_at'], 'updated_at': rec['updated_at'],
        'name': rec['name'], 'description': rec['description'],
        'volume_type': rec['volume_type'], 'snapshot_id': rec['snapshot_id'],
        'source_volid': rec['source_volid'], 'metadata': rec['metadata'],
        'links': common.links(req, 'volumes', rec['id']), 'user_id': rec['user_id'],
        'bootable': 'true' if rec['bootable'] else 'false',
        'encrypted': rec['encrypted'], 'replication_status': rec['replication_status'],
        'consistencygroup_id': rec['consistencygroup_id'],
        'multiattach': rec['multiattach'],
        'attachments': _volume_attachments(req, rec, admin) if rec['attachments'] else [],
    }
    if admin:
        out['migration_status'] = rec['migration_status']
    if view['group_id']:
        out['group_id'] = rec['group_id']
    if view['provider_id']:
        out['provider_id'] = rec['provider_id']
    if view['shared_targets']:
        out['shared_targets'] = rec['shared_targets']
        out['service_uuid'] = rec['service_uuid']
    if view['cluster_name']:
        out['cluster_name'] = rec['cluster_name']
    if create:
        return out
    if view['volume_type_id']:
        out['volume_type_id'] = rec['volume_type_id']
    if view['encryption_key_id']:
        out['encryption_key_id'] = rec['encryption_key_id']
    if view['consumes_quota']:
        out['consumes_quota'] = rec['consumes_quota']
    project = rec['project_id']
    tenant, host, migration = _volume_extras(req, view, project)
    if tenant:
        out['os-vol-tenant-attr:tenant_id'] = project
    if host:
        out['os-vol-host-attr:host'] = rec['host']
    if migration:
        out['os-vol-mig-status-attr:migstat'] = rec['migration_status']
        out['os-vol-mig-status-attr:name_id'] = rec['name_id']
    if rec['volume_image_metadata'] and common.allowed(
            req, 'volume_extension:volume_image_metadata:show', project):
        out['volume_image_metadata'] = rec['volume_image_metadata']
    return out


# --- snapshots -----------------------------------------------------------------
def snapshot(req, rec, detail=True):
    out = {'id': rec['id'], 'created_at': rec['created_at'],
           'updated_at': rec['updated_at'], 'name': rec['name'],
           'description': rec['description'], 'volume_id': rec['volume_id'],
           'status': rec['status'], 'size': rec['size'], 'metadata': rec['metadata']}
    if common.at_least(req, common.GROUP_SNAPSHOTS):
        out['group_snapshot_id'] = rec['group_snapshot_id']
    if common.at_least(req, common.SNAPSHOT_USER_ID):
        out['user_id'] = rec['user_id']
    if common.at_least(req, common.CONSUMES_QUOTA):
        out['consumes_quota'] = rec['consumes_quota']
    if detail and common.allowed(req, 'volume_extension:extended_snapshot_attributes',
                                 rec['project_id']):
        out['os-extended-snapshot-attributes:progress'] = rec['progress']
        out['os-extended-snapshot-attributes:project_id'] = rec['project_id']
    return out


# --- backups -------------------------------------------------------------------
def backup_summary(req, rec):
    out = {'id': rec['id'], 'name': rec['name'],
           'links': common.links(req, 'backups', rec['id'])}
    return out


def backup(req, rec):
    out = {'id': rec['id'], 'status': rec['status'], 'size': rec['size'],
           'object_count': rec['object_count'],
           'availability_zone': rec['availability_zone'],
           'container': rec['container'], 'created_at': rec['created_at'],
           'updated_at': rec['updated_at'], 'name': rec['name'],
           'description': rec['description'], 'fail_reason': rec['fail_reason'],
           'volume_id': rec['volume_id'],
           'links': common.links(req, 'backups', rec['id']),
           'is_incremental': rec['is_incremental'],
           'has_dependent_backups': rec['has_dependent_backups'],
           'snapshot_id': rec['snapshot_id'], 'data_timestamp': rec['data_timestamp']}
    if common.at_least(req, common.BACKUP_PROJECT) and common.allowed(
            req, 'backup:backup_project_attribute', rec['project_id']):
        out['os-backup-project-attr:project_id'] = rec['project_id']
    if common.at_least(req, common.BACKUP_METADATA):
        out['metadata'] = rec['metadata']
    if common.at_least(req, common.BACKUP_USER_ID):
        out['user_id'] = rec['user_id']
    if common.at_least(req, common.ENCRYPTION_KEY_ID):
        out['encryption_key_id'] = rec['encryption_key_id']
    return out


def backup_created(req, rec):
    out = backup_summary(req, rec)
    if common.at_least(req, common.BACKUP_METADATA):
        out['metadata'] = rec['metadata']
    return out


# --- types ---------------------------------------------------------------------
def volume_type(req, rec, brief=False, access=True):
    """Cinder's type view: extra specs to those allowed to read them (all to
    admins, the user-visible ones to others), qos_specs_id to admins."""
    out = {'id': rec['id'], 'name': rec['name'], 'is_public': rec['is_public'],
           'description': rec['description']}
    if brief:
        out['extra_specs'] = rec['extra_specs']
        return out
    if common.allowed(req, 'volume_extension:access_types_extra_specs'):
        specs = rec['extra_specs']
        if not common.allowed(req, 'volume_extension:types_extra_specs:read_sensitive'):
            from cloudstack.volume.manager.types import USER_VISIBLE_SPECS
            specs = {k: v for k, v in specs.items() if k in USER_VISIBLE_SPECS}
        out['extra_specs'] = specs
    if common.allowed(req, 'volume_extension:access_types_qos_specs_id'):
        out['qos_specs_id'] = rec['qos_specs_id']
    if access:
        out['os-volume-type-access:is_public'] = rec['is_public']
    return out


def qos(rec):
    return {'id': rec['id'], 'name': rec['name'], 'consumer': rec['consumer'],
            'specs': rec['specs']}


# --- attachments ---------------------------------------------------------------
def attachment(rec, detail=True):
    out = {'id': rec['id'], 'status': rec['attach_status'], 'instance': rec['instance'],
           'volume_id': rec['volume_id']}
    if detail:
        out.update(attached_at=rec['attached_at'], detached_at=rec['detached_at'],
                   attach_mode=rec['attach_mode'],
                   connection_info=rec['connection_info'] or {},
                   connector=rec['connector'] or {})
    return out


# --- transfers -------------------------------------------------------------------
def transfer(req, rec, detail=True, created=False):
    out = {'id': rec['id'], 'name': rec['name'], 'volume_id': rec['volume_id'],
           'links': common.links(req, 'volume-transfers'
                                 if common.at_least(req, common.TRANSFER_SNAPSHOTS)
                                 else 'os-volume-transfer', rec['id'])}
    if not detail:
        return out
    out['created_at'] = rec['created_at']
    if created:
        out['auth_key'] = rec['auth_key']
    if common.at_least(req, common.TRANSFER_SNAPSHOTS):
        out['no_snapshots'] = rec['no_snapshots']
    if common.at_least(req, common.TRANSFER_PROJECTS):
        out.update(source_project_id=rec['source_project_id'],
                   destination_project_id=rec['destination_project_id'],
                   accepted=rec['accepted'])
    return out


# --- messages --------------------------------------------------------------------
def message(req, rec):
    return {'id': rec['id'], 'resource_type': rec['resource_type'],
            'resource_uuid': rec['resource_uuid'], 'request_id': rec['request_id'],
            'message_level': rec['message_level'], 'event_id': rec['event_id'],
            'created_at': rec['created_at'], 'guaranteed_until': rec['guaranteed_until'],
            'user_message': rec['user_message'],
            'links': common.links(req, 'messages', rec['id'])}


# --- groups ----------------------------------------------------------------------
def group(req, rec, detail=True):
    out = {'id': rec['id'], 'name': rec['name']}
    if not detail:
        return out
    out.update(status=rec['status'], description=rec['description'],
               availability_zone=rec['availability_zone'],
               created_at=rec['created_at'], group_type=rec['group_type'],
               volume_types=rec['volume_types'])
    if common.at_least(req, common.GROUP_SNAPSHOTS):
        out['group_snapshot_id'] = rec['group_snapshot_id']
        out['source_group_id'] = rec['source_group_id']
    if common.at_least(req, common.GROUP_VOLUMES):
        out['volumes'] = rec['volumes']
    if common.at_least(req, '3.38'):
        out['replication_status'] = rec['replication_status']
    if common.at_least(req, common.GROUP_PROJECT_ID) and common.allowed(
            req, 'group:group_project_attribute', rec['project_id']):
        out['project_id'] = rec['project_id']
    return out


def group_snapshot(req, rec, detail=True):
    out = {'id': rec['id'], 'name': rec['name']}
    if not detail:
        return out
    out.update(status=rec['status'], description=rec['description'],
               created_at=rec['created_at'], group_id=rec['group_id'],
               group_type_id=rec['group_type_id'])
    if common.at_least(req, common.GROUP_PROJECT_ID) and common.allowed(
            req, 'group:group_snapshot_project_attribute', rec['project_id']):
        out['project_id'] = rec['project_id']
    return out


def group_type(req, rec):
    out = {'id': rec['id'], 'name': rec['name'], 'description': rec['description'],
           'is_public': rec['is_public']}
    if common.allowed(req, 'group:access_group_types_specs'):
        out['group_specs'] = rec['group_specs']
    return out
