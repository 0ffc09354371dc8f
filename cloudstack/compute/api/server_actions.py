"""POST /servers/{id}/action: one handler per action name in the body."""
import os
import re
import urllib.parse

import webob

from cloudstack import exception
from cloudstack.api import wsgi
from cloudstack.conf import CONF
from cloudstack.compute import manager, network_proxy
from cloudstack.compute.api import common, views
from cloudstack.compute.api.servers import (
    ACCESS_IP_V4, ACCESS_IP_V6, Servers, _image_id, _password, hostname_schema, ipv6)
from cloudstack.compute.manager.flavors import FlavorNotFound

P = 'os_compute_api:'


def _obj(props=None, required=(), extra=False):
    out = {'type': 'object', 'properties': props or {}, 'additionalProperties': extra}
    if required:
        out['required'] = list(required)
    return out


def _null_obj():
    return {'type': ['object', 'null']}


class ServerActions:
    def __init__(self):
        self.manager = manager.get()
        self.servers = Servers()

    def action(self, req, server_id):
        body = req.json_body()
        if not isinstance(body, dict) or len(body) != 1:
            raise exception.BadRequest('There is no such action: %s'
                                       % ','.join(body) if isinstance(body, dict)
                                       else 'Malformed request body')
        name, args = next(iter(body.items()))
        handler = ACTIONS.get(name)
        if handler is None:
            raise exception.BadRequest('There is no such action: %s' % name)
        since = VERSIONS.get(name)
        if since and not (common.at_least(req, since[0]) and (
                since[1] is None or not common.at_least(req, since[1]))):
            raise exception.BadRequest('There is no such action: %s' % name)
        rec = self.manager.get_server(req.context, server_id)
        return handler(self, req, rec, args)

    def _auth(self, req, rule, rec):
        common.authorize(req, rule, rec['project_id'], rec['user_id'])

    @staticmethod
    def _accepted():
        return webob.Response(status=202, content_type=None)

    # Power -------------------------------------------------------------------------

    def reboot(self, req, rec, args):
        self._auth(req, P + 'servers:reboot', rec)
        common.validate_value(args, _obj({'type': {'type': 'string', 'enum': [
            'HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']}}, ['type']))
        self.manager.reboot(req.context, rec['uuid'], args['type'].upper() == 'HARD')
        return self._accepted()

    def _simple(rule, method, schema=None):
        def handler(self, req, rec, args):
            self._auth(req, rule, rec)
            if schema is not None:
                common.validate_value(args, schema)
            getattr(self.manager, method)(req.context, rec['uuid'])
            return self._accepted()
        return handler

    stop = _simple(P + 'servers:stop', 'stop', _null_obj())
    start = _simple(P + 'servers:start', 'start', _null_obj())
    pause = _simple(P + 'os-pause-server:pause', 'pause', _null_obj())
    unpause = _simple(P + 'os-pause-server:unpause', 'unpause', _null_obj())
    suspend = _simple(P + 'os-suspend-server:suspend', 'suspend', _null_obj())
    resume = _simple(P + 'os-suspend-server:resume', 'resume', _null_obj())
    unrescue = _simple(P + 'os-unrescue', 'unrescue', _null_obj())
    shelve_offload = _simple(P + 'os-shelve:shelve_offload', 'shelve_offload', _null_obj())
    confirm = _simple(P + 'servers:confirm_resize', 'confirm_resize', _null_obj())
    revert = _simple(P + 'servers:revert_resize', 'revert_resize', _null_obj())
    restore = _simple(P + 'os-deferred-delete:restore', 'restore_server', _null_obj())
    shelve = _simple(P + 'os-shelve:shelve', 'shelve', _null_obj())
    crash_dump = _simple(P + 'servers:trigger_crash_dump', 'trigger_crash_dump', _null_obj())

    def confirm_resize(self, req, rec, args):
        self.confirm(req, rec, args)
        return webob.Response(status=204, content_type=None)

    def force_delete(self, req, rec, args):
        self._auth(req, P + 'os-deferred-delete:force', rec)
        self.manager.delete_server(req.context, rec['uuid'], force=True)
        return self._accepted()

    def lock(self, req, rec, args):
        self._auth(req, P + 'os-lock-server:lock', rec)
        schema = _obj({'locked_reason': {'type': 'string', 'minLength': 1,
                                         'maxLength': 255}}) if common.at_least(
            req, '2.73') else _null_obj()
        common.validate_value(args, schema)
        by = 'owner' if rec['project_id'] == req.context.project_id else 'admin'
        self.manager.lock_server(req.context, rec['uuid'], (args or {}).get('locked_reason'), by)
        return self._accepted()

    def unlock(self, req, rec, args):
        self._auth(req, P + 'os-lock-server:unlock', rec)
        override = True
        if rec['locked_by'] == 'admin' and rec['project_id'] == req.context.project_id:
            override = common.can(req, P + 'os-lock-server:unlock:unlock_override',
                                  rec['project_id'], rec['user_id'])
        self.manager.unlock_server(req.context, rec['uuid'], override)
        return self._accepted()

    def reset_state(self, req, rec, args):
        self._auth(req, P + 'os-admin-actions:reset_state', rec)
        common.validate_value(args, _obj({'state': {'type': 'string', 'enum': [
            'active', 'error']}}, ['state']))
        self.manager.reset_state(req.context, rec['uuid'], args['state'])
        return self._accepted()

    def inject_network_info(self, req, rec, args):
        self._auth(req, P + 'os-admin-actions:inject_network_info', rec)
        return self._accepted()

    # Rescue, password ------------------------------------------------------------

    def rescue(self, req, rec, args):
        self._auth(req, P + 'os-rescue', rec)
        common.validate_value(args, {'type': ['object', 'null'], 'properties': {
            'adminPass': {'type': 'string'}, 'rescue_image_ref': common.UUID},
            'additionalProperties': False})
        args = args or {}
        password = args.get('adminPass') or _password()
        self.manager.rescue(req.context, rec['uuid'], password,
                            args.get('rescue_image_ref'))
        return {'adminPass': password}

    def change_password(self, req, rec, args):
        self._auth(req, P + 'os-admin-password', rec)
        common.validate_value(args, _obj({'adminPass': {'type': 'string'}}, ['adminPass']))
        self.manager.set_password(req.context, rec['uuid'], args['adminPass'])
        return self._accepted()

    # Rebuild ---------------------------------------------------------------------

    def rebuild(self, req, rec, args):
        self._auth(req, P + 'servers:rebuild', rec)
        v = lambda version: common.at_least(req, version)  # noqa: E731
        props = {'imageRef': {'type': 'string'}, 'name': common.NAME,
                 'adminPass': {'type': 'string'}, 'metadata': common.METADATA,
                 'preserve_ephemeral': {'type': 'boolean'},
                 'OS-DCF:diskConfig': {'type': 'string', 'enum': ['AUTO', 'MANUAL']},
                 'accessIPv4': ACCESS_IP_V4, 'accessIPv6': ACCESS_IP_V6}
        if not v('2.57'):
            props['personality'] = {'type': 'array'}
        if v('2.19'):
            props['description'] = common.DESCRIPTION
        if v('2.54'):
            props['key_name'] = {'type': ['string', 'null'], 'minLength': 1,
                                 'maxLength': 255}
        if v('2.57'):
            props['user_data'] = {'type': ['string', 'null'], 'format': 'base64',
                                  'maxLength': 65535}
        if v('2.63'):
            props['trusted_image_certificates'] = {'type': ['array', 'null']}
        if v('2.90'):
            props['hostname'] = hostname_schema(req)
        common.validate_value(args, _obj(props, ['imageRef']))
        image_id = _image_id(args['imageRef'])
        image = self.servers._image(req.context, image_id)
        self.manager._check_image_fits(image, rec['flavor'])
        changes = {}
        if 'name' in args:
            changes['display_name'] = args['name']
        if 'description' in args:
            changes['display_description'] = args['description']
        if 'accessIPv4' in args:
            changes['access_ip_v4'] = args['accessIPv4'] or None
        if 'accessIPv6' in args:
            changes['access_ip_v6'] = ipv6(args['accessIPv6']) or None
        if 'OS-DCF:diskConfig' in args:
            changes['auto_disk_config'] = args['OS-DCF:diskConfig'] == 'AUTO'
        if 'hostname' in args:
            changes['hostname'] = args['hostname']
        if 'user_data' in args:
            changes['user_data'] = args['user_data']
        if 'key_name' in args:
            if args['key_name'] is None:
                changes['key_name'] = changes['key_data'] = None
            else:
                try:
                    k = self.manager.get_keypair(req.context, req.context.user_id,
                                                 args['key_name'])
                except exception.NotFound:
                    raise exception.BadRequest('Invalid key_name provided.')
                changes['key_name'], changes['key_data'] = k['name'], k['public_key']
        if args.get('metadata') is not None:
            self.manager.set_metadata(req.context, rec['uuid'], args['metadata'],
                                      replace=True)
        password = args.get('adminPass') or _password()
        rec = self.manager.rebuild(req.context, rec['uuid'], image, changes, password,
                                   args.get('preserve_ephemeral', False))
        out = views.mutated(req, rec, self.servers.security_groups(req, rec))
        out['adminPass'] = password
        if v('2.54'):
            out['key_name'] = rec['key_name']
        if v('2.57'):
            out['user_data'] = rec['user_data']
            out.pop('OS-EXT-SRV-ATTR:user_data', None)
        return wsgi.json_response({'server': out}, 202)

    # Snapshots -------------------------------------------------------------------

    def create_image(self, req, rec, args):
        self._auth(req, P + 'servers:create_image', rec)
        common.validate_value(args, _obj({'name': common.NAME,
                                          'metadata': common.METADATA}, ['name']))
        if (rec['system_metadata'] or {}).get('boot_index0_volume'):
            self._auth(req, P + 'servers:create_image:allow_volume_backed', rec)
        image_id = self.manager.snapshot(req.context, rec['uuid'], args['name'],
                                         args.get('metadata'))
        return self._image_answer(req, image_id)

    def create_backup(self, req, rec, args):
        self._auth(req, P + 'os-create-backup', rec)
        common.validate_value(args, _obj({
            'name': common.NAME, 'backup_type': {'type': 'string'},
            'rotation': common.NON_NEGATIVE_INT, 'metadata': common.METADATA},
            ['name', 'backup_type', 'rotation']))
        image_id = self.manager.snapshot(req.context, rec['uuid'], args['name'],
                                         args.get('metadata'), kind='backup',
                                         backup_type=args['backup_type'],
                                         rotation=int(args['rotation']))
        return self._image_answer(req, image_id)

    def _image_answer(self, req, image_id):
        if common.at_least(req, '2.45'):
            return wsgi.json_response({'image_id': image_id}, 202)
        resp = webob.Response(status=202, content_type=None)
        resp.headers['Location'] = '%s/images/%s' % (common.base_url(req), image_id)
        return resp

    # Shelve ------------------------------------------------------------------------

    def unshelve(self, req, rec, args):
        self._auth(req, P + 'os-shelve:unshelve', rec)
        zone = host = None
        unpin = False
        if common.at_least(req, '2.77') and args is not None:
            props = {'availability_zone': {'type': ['string', 'null']}}
            if common.at_least(req, '2.91'):
                props['host'] = {'type': 'string'}
            common.validate_value(args, _obj(props))
            zone = args.get('availability_zone')
            unpin = 'availability_zone' in args and zone is None
            host = args.get('host')
            if host:
                self._auth(req, P + 'os-shelve:unshelve_to_host', rec)
        else:
            common.validate_value(args, _null_obj())
        self.manager.unshelve(req.context, rec['uuid'], zone, host, unpin)
        return self._accepted()

    # Resize and migrations ------------------------------------------------------------

    def resize(self, req, rec, args):
        self._auth(req, P + 'servers:resize', rec)
        common.validate_value(args, _obj({
            'flavorRef': {'type': ['string', 'integer'], 'minLength': 1},
            'OS-DCF:diskConfig': {'type': 'string', 'enum': ['AUTO', 'MANUAL']}},
            ['flavorRef']))
        try:
            flavor = self.manager.get_flavor(req.context, str(args['flavorRef']))
        except FlavorNotFound:
            raise exception.BadRequest('Unable to find flavor %s' % args['flavorRef'])
        disk = args.get('OS-DCF:diskConfig')
        self.manager.resize(req.context, rec['uuid'], flavor,
                            auto_disk_config=None if disk is None else disk == 'AUTO')
        return self._accepted()

    def migrate(self, req, rec, args):
        self._auth(req, P + 'os-migrate-server:migrate', rec)
        host = None
        if common.at_least(req, '2.56'):
            common.validate_value(args, {'type': ['object', 'null'], 'properties': {
                'host': {'type': ['string', 'null']}}, 'additionalProperties': False})
            host = (args or {}).get('host')
            if host:
                self._auth(req, P + 'os-migrate-server:migrate:host', rec)
        else:
            common.validate_value(args, _null_obj())
        self.manager.resize(req.context, rec['uuid'], None, host)
        return self._accepted()

    def live_migrate(self, req, rec, args):
        self._auth(req, P + 'os-migrate-server:migrate_live', rec)
        props = {'host': {'type': ['string', 'null']},
                 'block_migration': {'type': ['boolean', 'string']}}
        required = ['block_migration', 'host']
        if not common.at_least(req, '2.25'):
            props['disk_over_commit'] = {'type': ['boolean', 'string']}
            required.append('disk_over_commit')
        if common.at_least(req, '2.30') and not common.at_least(req, '2.68'):
            props['force'] = {'type': 'boolean'}
        common.validate_value(args, _obj(props, required))
        if args.get('host'):
            self._auth(req, P + 'os-migrate-server:migrate_live:host', rec)
        block = args.get('block_migration')
        self.manager.live_migrate(req.context, rec['uuid'], args.get('host'),
                                  block if block != 'auto' else None,
                                  bool(args.get('force')))
        return self._accepted()

    def evacuate(self, req, rec, args):
        self._auth(req, P + 'os-evacuate', rec)
        props = {'host': {'type': 'string'}, 'adminPass': {'type': 'string'}}
        required = []
        if not common.at_least(req, '2.14'):
            props['onSharedStorage'] = common.BOOLEAN
            required.append('onSharedStorage')
        if common.at_least(req, '2.29') and not common.at_least(req, '2.68'):
            props['force'] = {'type': 'boolean'}
        common.validate_value(args, _obj(props, required))
        password = args.get('adminPass') or _password()
        self.manager.evacuate(req.context, rec['uuid'], args.get('host'), password,
                              bool(args.get('force')))
        if common.at_least(req, '2.14'):
            return webob.Response(status=200, content_type=None)
        return {'adminPass': password}

    # Consoles ----------------------------------------------------------------------

    def console_output(self, req, rec, args):
        self._auth(req, P + 'os-console-output', rec)
        common.validate_value(args, {'type': ['object', 'null'], 'properties': {
            'length': {'type': ['integer', 'string', 'null'], 'pattern': '^-?[0-9]+$'}},
            'additionalProperties': False})
        length = (args or {}).get('length')
        if length is not None:
            length = int(length)
            if length < -1:
                raise exception.BadRequest('length must be -1 or greater')
            if length == -1:
                length = None
        try:
            output = self.manager.query(req.context, rec['uuid'], 'console_output',
                                        length=length)
        except exception.NotFound:
            raise exception.NotFound('Unable to get console output')
        return {'output': output}

    def _console(types):
        def handler(self, req, rec, args):
            self._auth(req, P + 'os-remote-consoles', rec)
            common.validate_value(args, _obj({'type': {'type': 'string', 'enum': types}},
                                             ['type']))
            return {'console': {'type': args['type'],
                                'url': console_url(req, self.manager, rec, args['type'])}}
        return handler

    vnc = _console(['novnc', 'xvpvnc'])
    spice = _console(['spice-html5'])
    serial = _console(['serial'])
    rdp = _console(['rdp-html5'])

    # Network proxies -------------------------------------------------------------

    def _floating(rule, change, extra=()):
        def handler(self, req, rec, args):
            if common.at_least(req, '2.44'):
                raise exception.NotFound('The resource could not be found.')
            self._auth(req, rule, rec)
            props = {key: {'type': 'string', 'oneOf': [{'format': 'ipv4'},
                                                       {'format': 'ipv6'}]}
                     for key in ('address',) + extra}
            common.validate_value(args, _obj(props, ['address']))
            change(req.context, rec['uuid'], *(args.get(k) for k in ('address',) + extra))
            return self._accepted()
        return handler

    add_floating_ip = _floating(P + 'os-floating-ips:add', network_proxy.associate,
                                ('fixed_address',))
    remove_floating_ip = _floating(P + 'os-floating-ips:remove', network_proxy.disassociate)

    def add_security_group(self, req, rec, args):
        self._auth(req, P + 'os-security-groups:add', rec)
        common.validate_value(args, _obj({'name': {'type': 'string', 'minLength': 1}},
                                         ['name']))
        self.manager.add_security_group(req.context, rec['uuid'], args['name'])
        return self._accepted()

    def remove_security_group(self, req, rec, args):
        self._auth(req, P + 'os-security-groups:remove', rec)
        common.validate_value(args, _obj({'name': {'type': 'string', 'minLength': 1}},
                                         ['name']))
        self.manager.remove_security_group(req.context, rec['uuid'], args['name'])
        return self._accepted()


def console_url(req, mgr, rec, kind):
    """The URL of a new console of the server, as Nova gives it: noVNC's page
    with the websocket's path (and token) in its `path` parameter, or the
    serial console's websocket with the token."""
    token = mgr.create_console(req.context, rec['uuid'], kind)
    proxy = common.base_url(req).rsplit('/', 1)[0] + '/console'
    if kind == 'novnc':
        page = CONF.compute.novncproxy_base_url or proxy + '/vnc_lite.html'
        folder = os.path.dirname(urllib.parse.urlsplit(page).path).strip('/')
        path = (folder + '/' if folder else '') + 'websockify?token=' + token
        return '%s?%s' % (page, urllib.parse.urlencode({'path': path}))
    socket_url = CONF.compute.serialproxy_base_url or re.sub(r'^http', 'ws', proxy) + '/serial'
    return '%s?token=%s' % (socket_url, token)


ACTIONS = {
    'reboot': ServerActions.reboot, 'os-stop': ServerActions.stop,
    'os-start': ServerActions.start, 'pause': ServerActions.pause,
    'unpause': ServerActions.unpause, 'suspend': ServerActions.suspend,
    'resume': ServerActions.resume, 'lock': ServerActions.lock,
    'unlock': ServerActions.unlock, 'rescue': ServerActions.rescue,
    'unrescue': ServerActions.unrescue, 'changePassword': ServerActions.change_password,
    'rebuild': ServerActions.rebuild, 'createImage': ServerActions.create_image,
    'createBackup': ServerActions.create_backup, 'shelve': ServerActions.shelve,
    'shelveOffload': ServerActions.shelve_offload, 'unshelve': ServerActions.unshelve,
    'resize': ServerActions.resize, 'confirmResize': ServerActions.confirm_resize,
    'revertResize': ServerActions.revert, 'migrate': ServerActions.migrate,
    'os-migrateLive': ServerActions.live_migrate, 'evacuate': ServerActions.evacuate,
    'os-getConsoleOutput': ServerActions.console_output,
    'os-getVNCConsole': ServerActions.vnc, 'os-getSPICEConsole': ServerActions.spice,
    'os-getSerialConsole': ServerActions.serial, 'os-getRDPConsole': ServerActions.rdp,
    'os-resetState': ServerActions.reset_state, 'forceDelete': ServerActions.force_delete,
    'restore': ServerActions.restore, 'trigger_crash_dump': ServerActions.crash_dump,
    'injectNetworkInfo': ServerActions.inject_network_info,
    'addSecurityGroup': ServerActions.add_security_group,
    'removeSecurityGroup': ServerActions.remove_security_group,
    'addFloatingIp': ServerActions.add_floating_ip,
    'removeFloatingIp': ServerActions.remove_floating_ip,
}
# Actions that exist only in a range of microversions: (first, first without).
VERSIONS = {'trigger_crash_dump': ('2.17', None), 'os-getVNCConsole': ('2.1', '2.6'),
            'os-getSPICEConsole': ('2.1', '2.6'), 'os-getSerialConsole': ('2.1', '2.6'),
            'os-getRDPConsole': ('2.1', '2.6')}


def add_routes(router):
    router.connect('/servers/{server_id}/action', ServerActions(), POST='action')
