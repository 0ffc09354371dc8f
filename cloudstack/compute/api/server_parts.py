"""What hangs off a server: metadata, tags, instance actions, addresses,
password, diagnostics, remote consoles, interfaces, volume attachments,
security groups and in-progress migrations."""
import webob

from cloudstack import exception
from cloudstack.compute import manager, network_api, network_proxy, states, volume_api
from cloudstack.compute.api import common, views
from cloudstack.compute.manager.base import InstanceInvalidState
from cloudstack.compute.api.server_actions import console_url

P = 'os_compute_api:'
META_KEY = r'^[a-zA-Z0-9-_:. ]{1,255}$'


def _meta_schema(key):
    return {'type': 'object', 'properties': {key: common.METADATA}, 'required': [key],
            'additionalProperties': False}


ONE_META = {'type': 'object', 'properties': {'meta': {
    'type': 'object', 'patternProperties': {META_KEY: {'type': 'string', 'maxLength': 255}},
    'minProperties': 1, 'maxProperties': 1, 'additionalProperties': False}},
    'required': ['meta'], 'additionalProperties': False}


class Part:
    def __init__(self):
        self.manager = manager.get()

    def server(self, req, server_id, rule, deleted=False):
        rec = self.manager.get_server(req.context, server_id, deleted=deleted)
        common.authorize(req, rule, rec['project_id'], rec['user_id'])
        return rec


class Metadata(Part):
    def index(self, req, server_id):
        return {'metadata': self.server(req, server_id, P + 'server-metadata:index')['metadata']}

    def create(self, req, server_id):
        self.server(req, server_id, P + 'server-metadata:create')
        body = common.body(req, _meta_schema('metadata'))
        return {'metadata': self.manager.set_metadata(req.context, server_id,
                                                      body['metadata'])}

    def update_all(self, req, server_id):
        self.server(req, server_id, P + 'server-metadata:update_all')
        body = common.body(req, _meta_schema('metadata'))
        return {'metadata': self.manager.set_metadata(req.context, server_id,
                                                      body['metadata'], replace=True)}

    def show(self, req, server_id, key):
        meta = self.server(req, server_id, P + 'server-metadata:show')['metadata']
        if key not in meta:
            raise exception.NotFound('Metadata item was not found')
        return {'meta': {key: meta[key]}}

    def update(self, req, server_id, key):
        self.server(req, server_id, P + 'server-metadata:update')
        body = common.body(req, ONE_META)
        if key not in body['meta']:
            raise exception.BadRequest('Request body and URI mismatch')
        self.manager.set_metadata(req.context, server_id, body['meta'])
        return {'meta': body['meta']}

    def delete(self, req, server_id, key):
        self.server(req, server_id, P + 'server-metadata:delete')
        self.manager.delete_metadata(req.context, server_id, key)
        return webob.Response(status=204, content_type=None)


TAGS = {'type': 'object', 'properties': {'tags': {
    'type': 'array', 'items': common.TAG, 'maxItems': 50}},
    'required': ['tags'], 'additionalProperties': False}


class Tags(Part):
    def _check(self, req):
        if not common.at_least(req, '2.26'):
            raise exception.NotFound('The resource could not be found.')

    def index(self, req, server_id):
        self._check(req)
        return {'tags': self.server(req, server_id, P + 'os-server-tags:index')['tags']}

    def update_all(self, req, server_id):
        self._check(req)
        self.server(req, server_id, P + 'os-server-tags:update_all')
        body = common.body(req, TAGS)
        tags, _ = self.manager.set_tags(req.context, server_id, body['tags'])
        return {'tags': tags}

    def delete_all(self, req, server_id):
        self._check(req)
        self.server(req, server_id, P + 'os-server-tags:delete_all')
        self.manager.delete_tag(req.context, server_id)
        return webob.Response(status=204, content_type=None)

    def show(self, req, server_id, tag):
        self._check(req)
        rec = self.server(req, server_id, P + 'os-server-tags:show')
        if tag not in rec['tags']:
            raise exception.NotFound('Tag %s could not be found for instance %s.'
                                     % (tag, server_id))
        return webob.Response(status=204, content_type=None)

    def update(self, req, server_id, tag):
        self._check(req)
        self.server(req, server_id, P + 'os-server-tags:update')
        common.validate_value(tag, common.TAG)
        if req.body:
            raise exception.BadRequest('The request body must be empty')
        _, new = self.manager.set_tags(req.context, server_id, [tag], replace=False)
        resp = webob.Response(status=201 if new else 204, content_type=None)
        resp.headers['Location'] = '%s/v2.1/servers/%s/tags/%s' % (
            common.base_url(req), server_id, tag)
        return resp

    def delete(self, req, server_id, tag):
        self._check(req)
        self.server(req, server_id, P + 'os-server-tags:delete')
        self.manager.delete_tag(req.context, server_id, tag)
        return webob.Response(status=204, content_type=None)


class InstanceActions(Part):
    def _deleted(self, req):
        return common.at_least(req, '2.21')

    def _view(self, req, a):
        out = {'action': a['action'], 'instance_uuid': a['instance_uuid'],
               'request_id': a['request_id'], 'user_id': a['user_id'],
               'project_id': a['project_id'], 'start_time': views.usg_time(a['start_time']),
               'message': a['message']}
        if common.at_least(req, '2.58'):
            out['updated_at'] = views.usg_time(a['updated_at'])
        return out

    def index(self, req, server_id):
        self.server(req, server_id, P + 'os-instance-actions:list', self._deleted(req))
        limit = marker = since = before = None
        if common.at_least(req, '2.58'):
            from cloudstack.compute.manager.servers import parse_time
            limit, marker = common.limit_marker(req)
            if 'changes-since' in req.GET:
                since = parse_time(req.GET['changes-since'], 'changes-since')
            if common.at_least(req, '2.66') and 'changes-before' in req.GET:
                before = parse_time(req.GET['changes-before'], 'changes-before')
        found = self.manager.list_actions(req.context, server_id, limit, marker, since,
                                          before)
        out = {'instanceActions': [self._view(req, a) for a in found]}
        if common.at_least(req, '2.58'):
            more = common.collection_links(req, 'servers/%s/os-instance-actions' % server_id,
                                           [{'id': a['request_id']} for a in found], limit)
            if more:
                out['links'] = more
        return out

    def show(self, req, server_id, request_id):
        rec = self.server(req, server_id, P + 'os-instance-actions:show', self._deleted(req))
        a = self.manager.get_action(req.context, server_id, request_id)
        out = self._view(req, a)
        show_events = common.at_least(req, '2.51') or common.can(
            req, P + 'os-instance-actions:events', rec['project_id'], rec['user_id'])
        if show_events:
            details = common.can(req, P + 'os-instance-actions:events:details',
                                 rec['project_id'], rec['user_id'])
            trace = common.can(req, P + 'os-instance-actions:events', rec['project_id'],
                               rec['user_id'])
            events = []
            for e in a['events']:
                ev = {'event': e['event'], 'start_time': views.usg_time(e['start_time']),
                      'finish_time': views.usg_time(e['finish_time']), 'result': e['result']}
                if trace:
                    ev['traceback'] = e['traceback']
                if common.at_least(req, '2.62'):
                    ev['hostId'] = views.host_id({'host': e['host'],
                                                  'project_id': e['project_id']})
                    if trace:
                        ev['host'] = e['host'] or ''
                if common.at_least(req, '2.84') and details:
                    ev['details'] = e['details']
                events.append(ev)
            out['events'] = events
        return {'instanceAction': out}


class Ips(Part):
    def index(self, req, server_id):
        rec = self.server(req, server_id, P + 'ips:index')
        return {'addresses': views.addresses(rec, detail=False)}

    def show(self, req, server_id, network_label):
        rec = self.server(req, server_id, P + 'ips:show')
        found = views.addresses(rec, detail=False)
        if network_label not in found:
            raise exception.NotFound('There is no such network %s on the server.'
                                     % network_label)
        return {network_label: found[network_label]}


class Password(Part):
    def show(self, req, server_id):
        self.server(req, server_id, P + 'os-server-password:show')
        return {'password': self.manager.get_password(req.context, server_id)}

    def clear(self, req, server_id):
        self.server(req, server_id, P + 'os-server-password:clear')
        self.manager.clear_password(req.context, server_id)
        return webob.Response(status=204, content_type=None)


class Diagnostics(Part):
    def show(self, req, server_id):
        self.server(req, server_id, P + 'os-server-diagnostics')
        found = self.manager.query(req.context, server_id, 'diagnostics')
        if common.at_least(req, '2.48'):
            return found
        out = {'cpu0_time': 17300000000, 'memory': found['memory_details']['maximum'],
               'vda_read': 262144, 'vda_read_req': 112, 'vda_write': 5778432,
               'vda_write_req': 488, 'vda_errors': -1}
        return out


REMOTE = {'vnc': ['novnc', 'xvpvnc'], 'spice': ['spice-html5'], 'rdp': ['rdp-html5'],
          'serial': ['serial'], 'mks': ['webmks']}


class RemoteConsoles(Part):
    def create(self, req, server_id):
        if not common.at_least(req, '2.6'):
            raise exception.NotFound('The resource could not be found.')
        rec = self.server(req, server_id, P + 'os-remote-consoles')
        protocols = ['vnc', 'spice', 'rdp', 'serial'] + (
            ['mks'] if common.at_least(req, '2.8') else [])
        types = [t for p in protocols for t in REMOTE[p]]
        if common.at_least(req, '2.99'):
            types.append('spice-direct')
        body = common.body(req, {'type': 'object', 'properties': {'remote_console': {
            'type': 'object', 'properties': {
                'protocol': {'type': 'string', 'enum': protocols},
                'type': {'type': 'string', 'enum': types}},
            'required': ['protocol', 'type'], 'additionalProperties': False}},
            'required': ['remote_console'], 'additionalProperties': False})['remote_console']
        if body['type'] not in REMOTE.get(body['protocol'], []):
            raise exception.BadRequest('Unsupported console type %s for protocol %s'
                                       % (body['type'], body['protocol']))
        url = console_url(req, self.manager, rec, body['type'])
        return {'remote_console': {'protocol': body['protocol'], 'type': body['type'],
                                   'url': url}}


class Interfaces(Part):
    def index(self, req, server_id):
        rec = self.server(req, server_id, P + 'os-attach-interfaces:list')
        return {'interfaceAttachments': [network_api.interface_view(req, rec, vif)
                                         for vif in rec['network_info'] or []]}

    def show(self, req, server_id, port_id):
        rec = self.server(req, server_id, P + 'os-attach-interfaces:show')
        for vif in rec['network_info'] or []:
            if vif['id'] == port_id:
                return {'interfaceAttachment': network_api.interface_view(req, rec, vif)}
        raise exception.NotFound('Port %s is not attached' % port_id)

    def create(self, req, server_id):
        self.server(req, server_id, P + 'os-attach-interfaces:create')
        if not network_api.enabled():
            raise exception.NotImplementedYet('Network driver does not support this '
                                              'function.')
        body = common.body(req, {'type': 'object', 'properties': {'interfaceAttachment': {
            'type': 'object', 'properties': {
                'net_id': common.UUID, 'port_id': common.UUID,
                'fixed_ips': {'type': 'array', 'minItems': 1, 'maxItems': 1, 'items': {
                    'type': 'object', 'properties': {'ip_address': {'type': 'string'}},
                    'required': ['ip_address'], 'additionalProperties': False}},
                'tag': common.TAG},
            'additionalProperties': False}},
            'additionalProperties': False})
        args = body.get('interfaceAttachment') or {}
        vif = self.manager.attach_interface(req.context, server_id, args.get('net_id'),
                                            args.get('port_id'), args.get('fixed_ips'),
                                            args.get('tag'))
        rec = self.manager.get_server(req.context, server_id)
        return {'interfaceAttachment': network_api.interface_view(req, rec, vif)}

    def delete(self, req, server_id, port_id):
        self.server(req, server_id, P + 'os-attach-interfaces:delete')
        self.manager.detach_interface(req.context, server_id, port_id)
        return webob.Response(status=202, content_type=None)


class VolumeAttachments(Part):
    def _view(self, req, rec, b):
        out = {'device': b['device_name'], 'serverId': rec['uuid'],
               'volumeId': b['volume_id']}
        if common.at_least(req, '2.89'):
            out.update({'attachment_id': b['attachment_id'], 'bdm_uuid': b['uuid']})
        else:
            out['id'] = b['volume_id']
        if common.at_least(req, '2.70'):
            out['tag'] = b['tag']
        if common.at_least(req, '2.79'):
            out['delete_on_termination'] = b['delete_on_termination']
        return out

    def _attached(self, rec):
        return [b for b in rec['bdms'] if b['volume_id'] and b['destination_type'] == 'volume']

    @staticmethod
    def _shelved_from_2_20(req, rec, action):
        """Volumes of a shelved (or offloaded) server change from 2.20 only."""
        if (rec['vm_state'] in (states.SHELVED, states.SHELVED_OFFLOADED)
                and not common.at_least(req, '2.20')):
            raise InstanceInvalidState(action=action, uuid=rec['uuid'], attr='vm_state',
                                       state=rec['vm_state'])

    def index(self, req, server_id):
        rec = self.server(req, server_id, P + 'os-volumes-attachments:index')
        found = self._attached(rec)
        limit, marker = common.limit_marker(req)
        offset = int(req.GET.get('offset', 0) or 0)
        found = found[offset:offset + limit]
        return {'volumeAttachments': [self._view(req, rec, b) for b in found]}

    def show(self, req, server_id, volume_id):
        rec = self.server(req, server_id, P + 'os-volumes-attachments:show')
        for b in self._attached(rec):
            if b['volume_id'] == volume_id:
                return {'volumeAttachment': self._view(req, rec, b)}
        raise exception.NotFound('Volume %s is not attached to the server.' % volume_id)

    def create(self, req, server_id):
        rec = self.server(req, server_id, P + 'os-volumes-attachments:create')
        props = {'volumeId': common.UUID,
                 'device': {'type': ['string', 'null'],
                            'pattern': '(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$'}}
        if common.at_least(req, '2.49'):
            props['tag'] = common.TAG
        if common.at_least(req, '2.79'):
            props['delete_on_termination'] = {'type': 'boolean'}
        body = common.body(req, {'type': 'object', 'properties': {'volumeAttachment': {
            'type': 'object', 'properties': props, 'required': ['volumeId'],
            'additionalProperties': False}}, 'required': ['volumeAttachment'],
            'additionalProperties': False})['volumeAttachment']
        self._shelved_from_2_20(req, rec, 'attach_volume')
        volume_api.require()
        bdm = self.manager.attach_volume(req.context, server_id, body['volumeId'],
                                         body.get('device'), body.get('tag'),
                                         body.get('delete_on_termination', False),
                                         multiattach=common.at_least(req, '2.60'))
        rec = self.manager.get_server(req.context, server_id)
        out = self._view(req, rec, bdm)
        out.pop('bdm_uuid', None)
        out.pop('attachment_id', None)
        out['id'] = bdm['volume_id']
        return {'volumeAttachment': out}

    def update(self, req, server_id, volume_id):
        """Before 2.85 a PUT is always a swap; from 2.85 it updates the
        attachment (delete_on_termination), and swaps when volumeId differs."""
        rec = self.manager.get_server(req.context, server_id)
        props = {'volumeId': common.UUID}
        if common.at_least(req, '2.85'):
            props.update({'device': {'type': ['string', 'null']}, 'id': {'type': 'string'},
                          'serverId': {'type': 'string'}, 'tag': {'type': 'string'},
                          'delete_on_termination': {'type': 'boolean'}})
        body = common.body(req, {'type': 'object', 'properties': {'volumeAttachment': {
            'type': 'object', 'properties': props, 'required': ['volumeId'],
            'additionalProperties': False}}, 'required': ['volumeAttachment'],
            'additionalProperties': False})['volumeAttachment']
        new = body['volumeId']
        only_swap = not common.at_least(req, '2.85')
        if only_swap or new != volume_id:
            common.authorize(req, P + 'os-volumes-attachments:swap')
        else:
            common.authorize(req, P + 'os-volumes-attachments:update', rec['project_id'],
                             rec['user_id'])
        volume_api.require()
        if not only_swap:
            self._update_attachment(req, rec, volume_id, body)
        if only_swap or new != volume_id:
            self.manager.swap_volume(req.context, server_id, volume_id, new)
        return webob.Response(status=202, content_type=None)

    def _update_attachment(self, req, rec, volume_id, body):
        bdm = next((b for b in self._attached(rec) if b['volume_id'] == volume_id), None)
        if bdm is None:
            raise exception.NotFound('Volume %s is not attached to the server.' % volume_id)
        for key, current in (('id', volume_id), ('serverId', rec['uuid']),
                             ('device', bdm['device_name']), ('tag', bdm['tag'])):
            if key in body and body[key] != current:
                raise exception.BadRequest('The %s property is not mutable' % key)
        if 'delete_on_termination' in body:
            self.manager.update_volume_attachment(
                req.context, rec['uuid'], volume_id,
                delete_on_termination=body['delete_on_termination'])

    def delete(self, req, server_id, volume_id):
        rec = self.server(req, server_id, P + 'os-volumes-attachments:delete')
        self._shelved_from_2_20(req, rec, 'detach_volume')
        volume_api.require()
        self.manager.detach_volume(req.context, server_id, volume_id)
        return webob.Response(status=202, content_type=None)


class ServerSecurityGroups(Part):
    def index(self, req, server_id):
        rec = self.server(req, server_id, P + 'os-security-groups:list')
        return {'security_groups': network_proxy.server_groups(req.context, rec['uuid'])}


class ServerMigrations(Part):
    def _check(self, req):
        if not common.at_least(req, '2.22'):
            raise exception.NotFound('The resource could not be found.')

    def index(self, req, server_id):
        self._check(req)
        if not common.at_least(req, '2.23'):
            raise exception.NotFound('The resource could not be found.')
        self.server(req, server_id, P + 'servers:migrations:index')
        found = self.manager.list_migrations(req.context, instance_uuid=server_id,
                                             migration_type='live-migration',
                                             in_progress=True)
        from cloudstack.compute.api.migrations import server_migration_view
        return {'migrations': [server_migration_view(req, m) for m in found]}

    def show(self, req, server_id, migration_id):
        self._check(req)
        if not common.at_least(req, '2.23'):
            raise exception.NotFound('The resource could not be found.')
        self.server(req, server_id, P + 'servers:migrations:show')
        from cloudstack.compute.api.migrations import server_migration_view
        for m in self.manager.list_migrations(req.context, instance_uuid=server_id,
                                              migration_type='live-migration',
                                              in_progress=True):
            if str(m['id']) == migration_id:
                return {'migration': server_migration_view(req, m)}
        raise exception.NotFound('Migration %s for instance %s not found.'
                                 % (migration_id, server_id))

    def action(self, req, server_id, migration_id):
        self._check(req)
        self.server(req, server_id, P + 'servers:migrations:force_complete')
        common.body(req, {'type': 'object', 'properties': {'force_complete': {
            'type': 'null'}}, 'required': ['force_complete'], 'additionalProperties': False})
        raise exception.BadRequest('Migration %s is not in progress.' % migration_id)

    def delete(self, req, server_id, migration_id):
        if not common.at_least(req, '2.24'):
            raise exception.NotFound('The resource could not be found.')
        self.server(req, server_id, P + 'servers:migrations:delete')
        raise exception.NotFound('Migration %s for instance %s not found or not in '
                                 'progress.' % (migration_id, server_id))


def add_routes(router):
    S = '/servers/{server_id}'
    m = Metadata()
    router.connect(S + '/metadata', m, GET='index', POST='create', PUT='update_all')
    router.connect(S + '/metadata/{key}', m, GET='show', PUT='update', DELETE='delete')
    t = Tags()
    router.connect(S + '/tags', t, GET='index', PUT='update_all', DELETE='delete_all')
    router.connect(S + '/tags/{tag}', t, GET='show', PUT='update', DELETE='delete')
    a = InstanceActions()
    router.connect(S + '/os-instance-actions', a, GET='index')
    router.connect(S + '/os-instance-actions/{request_id}', a, GET='show')
    i = Ips()
    router.connect(S + '/ips', i, GET='index')
    router.connect(S + '/ips/{network_label}', i, GET='show')
    p = Password()
    router.connect(S + '/os-server-password', p, GET='show', DELETE='clear')
    router.connect(S + '/diagnostics', Diagnostics(), GET='show')
    router.connect(S + '/remote-consoles', RemoteConsoles(), POST='create')
    f = Interfaces()
    router.connect(S + '/os-interface', f, GET='index', POST='create')
    router.connect(S + '/os-interface/{port_id}', f, GET='show', DELETE='delete')
    v = VolumeAttachments()
    router.connect(S + '/os-volume_attachments', v, GET='index', POST='create')
    router.connect(S + '/os-volume_attachments/{volume_id}', v, GET='show', PUT='update',
                   DELETE='delete')
    router.connect(S + '/os-security-groups', ServerSecurityGroups(), GET='index')
    sm = ServerMigrations()
    router.connect(S + '/migrations', sm, GET='index')
    router.connect(S + '/migrations/{migration_id}', sm, GET='show', DELETE='delete')
    router.connect(S + '/migrations/{migration_id}/action', sm, POST='action')
