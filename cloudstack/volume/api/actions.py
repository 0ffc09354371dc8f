"""POST /volumes/{id}/action: one action per body, named by its only key."""
import webob

from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.volume.api import common

CONNECTOR = {'type': 'object'}


def mgr():
    return common.manager()


def _accepted():
    return webob.Response(status=202, content_type=None)


def _ok(body=None):
    if body is None:
        return webob.Response(status=200, content_type=None)
    return wsgi.json_response(body, 200)


def _member(args, name, required=True):
    if not isinstance(args, dict) or (required and name not in args):
        raise exception.BadRequest("Missing required element '%s' in request body."
                                   % name)
    return args.get(name)


class VolumeActions:

    def action(self, req, volume_id):
        data = req.json_body()
        if not isinstance(data, dict) or len(data) != 1:
            raise exception.BadRequest('There is either no action or more than one '
                                       'action in the request body.')
        (name, args), = data.items()
        handler = getattr(self, '_' + name.replace('-', '_'), None) \
            if name.startswith('os-') or name == 'revert' else None
        if handler is None:
            raise exception.BadRequest('There is no such action: %s' % name)
        rec = mgr().get_volume(req.context, volume_id)
        return handler(req, rec, args if args is not None else {})

    def _auth(self, req, rec, rule):
        common.authorize(req, rule, rec['project_id'])

    # --- size, type, place ----------------------------------------------------------
    def _os_extend(self, req, rec, args):
        new_size = common.size_value(_member(args, 'new_size'), 'new_size')
        self._auth(req, rec, 'volume:extend')
        attached = rec['status'] == 'in-use'
        if attached:
            if not common.at_least(req, common.EXTEND_ATTACHED):
                raise exception.BadRequest('Volume status must be available to extend.')
            self._auth(req, rec, 'volume:extend_attached_volume')
        mgr().extend_volume(req.context, rec['id'], new_size,
                            attached_allowed=common.at_least(req, common.EXTEND_ATTACHED))
        return _accepted()

    def _os_extend_volume_completion(self, req, rec, args):
        common.require(req, common.EXTEND_COMPLETION)
        self._auth(req, rec, 'volume_extension:volume_admin_actions:extend_volume_completion')
        mgr().extend_volume_completion(req.context, rec['id'],
                                       common.flag(_member(args, 'error'), 'error'))
        return _accepted()

    def _os_retype(self, req, rec, args):
        new_type = _member(args, 'new_type')
        if not isinstance(new_type, str) or not new_type:
            raise exception.BadRequest('New volume type must be specified.')
        policy = args.get('migration_policy') or 'never'
        if policy not in ('never', 'on-demand'):
            raise exception.BadRequest('Invalid migration policy %s.' % policy)
        self._auth(req, rec, 'volume:retype')
        mgr().retype_volume(req.context, rec['id'], new_type, policy)
        return _accepted()

    def _os_migrate_volume(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_admin_actions:migrate_volume')
        host = args.get('host') or args.get('cluster')
        if not host:
            raise exception.BadRequest('Host field is missing.')
        mgr().migrate_volume(req.context, rec['id'], host,
                             common.flag(args.get('force_host_copy', False), 'force_host_copy'),
                             common.flag(args.get('lock_volume', False), 'lock_volume'))
        return _accepted()

    def _os_migrate_volume_completion(self, req, rec, args):
        self._auth(req, rec,
                   'volume_extension:volume_admin_actions:migrate_volume_completion')
        new_volume = _member(args, 'new_volume')
        out = mgr().migrate_volume_completion(req.context, rec['id'], new_volume,
                                              common.flag(args.get('error', False), 'error'))
        return _ok(out)

    # --- admin -----------------------------------------------------------------------
    def _os_reset_status(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_admin_actions:reset_status')
        if not isinstance(args, dict) or not set(args) & {
                'status', 'attach_status', 'migration_status'}:
            raise exception.BadRequest('Must specify status, attach_status or '
                                       'migration_status.')
        status = args.get('status')
        mgr().reset_volume_status(req.context, rec['id'],
                                  status.lower() if isinstance(status, str) else status,
                                  args.get('attach_status'), args.get('migration_status'))
        return _accepted()

    def _os_force_delete(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_admin_actions:force_delete')
        mgr().force_delete_volume(req.context, rec['id'])
        return _accepted()

    def _os_force_detach(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_admin_actions:force_detach')
        mgr().force_detach(req.context, rec['id'], args.get('attachment_id'),
                           args.get('connector'))
        return _accepted()

    def _os_unmanage(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_unmanage')
        mgr().unmanage_volume(req.context, rec['id'])
        return _accepted()

    # --- attaching (the older API) ---------------------------------------------------------
    def _os_reserve(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_actions:reserve')
        mgr().reserve(req.context, rec['id'])
        return _accepted()

    def _os_unreserve(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_actions:unreserve')
        mgr().unreserve(req.context, rec['id'])
        return _accepted()

    def _os_begin_detaching(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_actions:begin_detaching')
        mgr().begin_detaching(req.context, rec['id'])
        return _accepted()

    def _os_roll_detaching(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_actions:roll_detaching')
        mgr().roll_detaching(req.context, rec['id'])
        return _accepted()

    def _os_initialize_connection(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_actions:initialize_connection')
        connector = _member(args, 'connector')
        if not isinstance(connector, dict):
            raise exception.BadRequest('Must specify a connector.')
        info = mgr().initialize_connection(req.context, rec['id'], connector)
        return _ok({'connection_info': info})

    def _os_terminate_connection(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_actions:terminate_connection')
        connector = _member(args, 'connector')
        if not isinstance(connector, dict):
            raise exception.BadRequest('Must specify a connector.')
        mgr().terminate_connection(req.context, rec['id'], connector)
        return _accepted()

    def _os_attach(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_actions:attach')
        instance = args.get('instance_uuid')
        host_name = args.get('host_name')
        if not instance and not host_name:
            raise exception.BadRequest('Invalid request to attach volume to an '
                                       'invalid target')
        mode = args.get('mode', 'rw')
        if mode not in ('rw', 'ro'):
            raise exception.BadRequest('Invalid request to attach volume with an '
                                       'invalid mode. Attaching mode should be '
                                       "'rw' or 'ro'")
        mgr().attach(req.context, rec['id'], instance, host_name,
                     args.get('mountpoint'), mode)
        return _accepted()

    def _os_detach(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_actions:detach')
        mgr().detach(req.context, rec['id'], args.get('attachment_id'))
        return _accepted()

    # --- flags and metadata ----------------------------------------------------------
    def _os_set_bootable(self, req, rec, args):
        self._auth(req, rec, 'volume:update')
        bootable = common.flag(_member(args, 'bootable'), 'bootable')
        mgr().set_bootable(req.context, rec['id'], bootable)
        return _ok()

    def _os_update_readonly_flag(self, req, rec, args):
        self._auth(req, rec, 'volume:update_readonly_flag')
        readonly = common.flag(_member(args, 'readonly'), 'readonly')
        mgr().set_readonly(req.context, rec['id'], readonly)
        return _accepted()

    def _os_set_image_metadata(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_image_metadata:set')
        meta = _member(args, 'metadata')
        if not isinstance(meta, dict) or not all(
                isinstance(k, str) and 0 < len(k) <= 255 for k in meta):
            raise exception.BadRequest('Malformed metadata.')
        return _ok({'metadata': mgr().set_image_metadata(req.context, rec['id'], meta)})

    def _os_unset_image_metadata(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_image_metadata:remove')
        key = _member(args, 'key')
        if not isinstance(key, str) or not key:
            raise exception.BadRequest('Malformed key.')
        mgr().unset_image_metadata(req.context, rec['id'], key)
        return _ok()

    def _os_show_image_metadata(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_image_metadata:show')
        return _ok({'metadata': mgr().get_image_metadata(req.context, rec['id'])})

    # --- data ---------------------------------------------------------------------
    def _os_volume_upload_image(self, req, rec, args):
        self._auth(req, rec, 'volume_extension:volume_actions:upload_image')
        image_name = _member(args, 'image_name')
        if not isinstance(image_name, str) or not image_name.strip():
            raise exception.BadRequest('No image_name was specified in request.')
        force = common.flag(args.get('force', False), 'force')
        visibility = protected = None
        if common.at_least(req, '3.1'):
            visibility = args.get('visibility')
            if visibility == 'public':
                self._auth(req, rec, 'volume_extension:volume_actions:upload_public')
            if 'protected' in args:
                protected = common.flag(args['protected'], 'protected')
        out = mgr().upload_to_image(
            req.context, rec['id'], image_name, args.get('disk_format') or 'raw',
            args.get('container_format') or 'bare', force, visibility, protected)
        if not common.at_least(req, '3.1'):
            out.pop('visibility', None)
            out.pop('protected', None)
        return wsgi.json_response({'os-volume_upload_image': out}, 202)

    def _revert(self, req, rec, args):
        common.require(req, common.VOLUME_REVERT)
        self._auth(req, rec, 'volume:revert_to_snapshot')
        snapshot_id = _member(args, 'snapshot_id')
        mgr().revert_to_snapshot(req.context, rec['id'], snapshot_id)
        return _accepted()

    def _os_reimage(self, req, rec, args):
        common.require(req, common.REIMAGE)
        self._auth(req, rec, 'volume:reimage')
        reserved = common.flag(args.get('reimage_reserved', False), 'reimage_reserved')
        if reserved:
            self._auth(req, rec, 'volume:reimage_reserved')
        mgr().reimage(req.context, rec['id'], _member(args, 'image_id'), reserved)
        return _accepted()
