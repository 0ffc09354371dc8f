"""/servers: create, list (with Nova's filters, sorting and paging), show,
update and delete."""
import base64
import binascii
import re

import webob

from cloudstack import exception
from cloudstack.api import wsgi
from cloudstack.compute import manager, network_api, volume_api
from cloudstack.compute.api import common, views
from cloudstack.compute.manager import servers as server_manager
from cloudstack.compute.manager.base import is_admin
from cloudstack.compute.manager.flavors import FlavorNotFound

_BDM_V2 = {
    'type': 'object',
    'properties': {
        'virtual_name': {'type': 'string', 'maxLength': 255},
        'volume_id': common.UUID, 'snapshot_id': common.UUID,
        'volume_size': {'type': ['integer', 'string', 'null'], 'pattern': '^[0-9]+$',
                        'minimum': 1, 'maximum': 2147483647},
        'device_name': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                        'pattern': '^[a-zA-Z0-9._/-]*$'},
        'delete_on_termination': common.BOOLEAN,
        'no_device': {},
        'connection_info': {'type': 'string', 'maxLength': 16777215},
        'source_type': {'type': 'string', 'enum': ['volume', 'image', 'snapshot', 'blank']},
        'uuid': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                 'pattern': '^[a-zA-Z0-9._-]*$'},
        'image_id': common.UUID,
        'destination_type': {'type': 'string', 'enum': ['local', 'volume']},
        'guest_format': {'type': 'string', 'maxLength': 255},
        'device_type': {'type': 'string', 'maxLength': 255},
        'disk_bus': {'type': 'string', 'maxLength': 255},
        'boot_index': {'type': ['integer', 'string', 'null'], 'pattern': '^-?[0-9]+$'},
        'tag': {'type': 'string', 'minLength': 1, 'maxLength': 60, 'pattern': '^[^,/]*$'},
        'volume_type': {'type': ['string', 'null'], 'minLength': 0, 'maxLength': 255},
    },
    'additionalProperties': False,
}
_BDM_V1 = {
    'type': 'object',
    'properties': {
        'virtual_name': {'type': 'string', 'maxLength': 255},
        'volume_id': common.UUID, 'snapshot_id': common.UUID,
        'volume_size': {'type': ['integer', 'string', 'null'], 'pattern': '^[0-9]+$',
                        'minimum': 1},
        'device_name': {'type': 'string', 'minLength': 1, 'maxLength': 255,
                        'pattern': '^[a-zA-Z0-9._/-]*$'},
        'delete_on_termination': common.BOOLEAN, 'no_device': {},
        'connection_info': {'type': 'string'},
    },
    'additionalProperties': False,
}
_NETWORK = {
    'type': 'object',
    'properties': {
        'fixed_ip': {'type': 'string', 'oneOf': [{'format': 'ipv4'}, {'format': 'ipv6'}]},
        'port': {'oneOf': [{'type': 'string', 'format': 'uuid'}, {'type': 'null'}]},
        'uuid': {'type': 'string'},
    },
    'additionalProperties': False,
}
_HINTS = {'type': 'object', 'properties': {
    'group': common.UUID,
    'different_host': {'oneOf': [common.UUID, {'type': 'array', 'items': common.UUID}]},
    'same_host': {'type': ['string', 'array'], 'items': common.UUID},
    'query': {'type': ['string', 'object']},
    'target_cell': common.NAME,
    'different_cell': {'type': ['string', 'array'], 'items': {'type': 'string'}},
    'build_near_host_ip': {'type': 'string', 'oneOf': [{'format': 'ipv4'},
                                                      {'format': 'ipv6'}]},
    'cidr': {'type': 'string', 'pattern': '^/[0-9a-f.:]+$'},
}, 'additionalProperties': True}
_PERSONALITY = {'type': 'array', 'items': {
    'type': 'object',
    'properties': {'path': {'type': 'string'}, 'contents': {'type': 'string',
                                                            'format': 'base64'}},
    'additionalProperties': False}}
# A hostname from 2.90: one DNS label; from 2.94: a fully qualified name.
HOSTNAME = {'type': 'string', 'minLength': 2, 'maxLength': 63,
            'pattern': r'^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'}
FQDN = {'type': 'string', 'minLength': 1, 'maxLength': 255, 'pattern': r'^[a-zA-Z0-9-._]*$'}


def hostname_schema(req):
    return FQDN if common.at_least(req, '2.94') else HOSTNAME


ACCESS_IP_V4 = {'type': 'string', 'format': 'ipv4'}
ACCESS_IP_V6 = {'type': 'string', 'format': 'ipv6'}


def create_schema(req):
    v = lambda version: common.at_least(req, version)  # noqa: E731
    networks = {'type': 'array', 'items': dict(_NETWORK)}
    if v('2.32'):
        networks['items'] = dict(_NETWORK, properties=dict(_NETWORK['properties'],
                                                             tag=common.TAG))
    if v('2.37'):
        networks = {'oneOf': [networks, {'type': 'string', 'enum': ['none', 'auto']}]}
    bdm_v2 = dict(_BDM_V2)
    if not v('2.32'):
        bdm_v2 = dict(bdm_v2, properties={k: p for k, p in _BDM_V2['properties'].items()
                                          if k != 'tag'})
    if not v('2.67'):
        bdm_v2 = dict(bdm_v2, properties={k: p for k, p in bdm_v2['properties'].items()
                                          if k != 'volume_type'})
    props = {
        'name': common.NAME_WITH_SPACES if v('2.1') else common.NAME,
        'imageRef': {'type': 'string', 'maxLength': 255},
        'flavorRef': {'type': ['string', 'integer'], 'minLength': 1},
        'adminPass': {'type': 'string'},
        'metadata': common.METADATA,
        'networks': networks,
        'OS-DCF:diskConfig': {'type': 'string', 'enum': ['AUTO', 'MANUAL']},
        'accessIPv4': ACCESS_IP_V4, 'accessIPv6': ACCESS_IP_V6,
        'key_name': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        'user_data': {'type': 'string', 'format': 'base64', 'maxLength': 65535},
        'availability_zone': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        'block_device_mapping': {'type': 'array', 'items': _BDM_V1},
        'block_device_mapping_v2': {'type': 'array', 'items': bdm_v2},
        'config_drive': common.BOOLEAN,
        'min_count': common.POSITIVE_INT, 'max_count': common.POSITIVE_INT,
        'return_reservation_id': common.BOOLEAN,
        'security_groups': {'type': 'array', 'items': {
            'type': 'object', 'properties': {'name': {'type': 'string', 'minLength': 1,
                                                      'maxLength': 255}},
            'additionalProperties': False}},
    }
    if not v('2.57'):
        props['personality'] = _PERSONALITY
    if v('2.19'):
        props['description'] = common.DESCRIPTION
    if v('2.52'):
        props['tags'] = {'type': 'array', 'items': common.TAG, 'maxItems': 50}
    if v('2.63'):
        props['trusted_image_certificates'] = {
            'type': ['array', 'null'], 'minItems': 1, 'maxItems': 50, 'uniqueItems': True,
            'items': {'type': 'string', 'minLength': 1}}
    if v('2.74'):
        props['host'] = {'type': 'string', 'minLength': 1, 'maxLength': 255}
        props['hypervisor_hostname'] = {'type': 'string', 'minLength': 1, 'maxLength': 255}
    if v('2.90'):
        props['hostname'] = hostname_schema(req)
    required = ['name', 'flavorRef'] + (['networks'] if v('2.37') else [])
    return {
        'type': 'object',
        'properties': {
            'server': {'type': 'object', 'properties': props, 'required': required,
                       'additionalProperties': False},
            'os:scheduler_hints': _HINTS, 'OS-SCH-HNT:scheduler_hints': _HINTS,
        },
        'required': ['server'], 'additionalProperties': False,
    }


UPDATE = {
    'type': 'object',
    'properties': {'server': {'type': 'object', 'properties': {
        'name': common.NAME, 'OS-DCF:diskConfig': {'type': 'string',
                                                   'enum': ['AUTO', 'MANUAL']},
        'accessIPv4': ACCESS_IP_V4, 'accessIPv6': ACCESS_IP_V6,
    }, 'additionalProperties': False}},
    'required': ['server'], 'additionalProperties': False,
}

# Filters any caller may use; an admin may use more (ADMIN_FILTERS).
USER_FILTERS = ('reservation_id', 'name', 'status', 'image', 'flavor', 'ip', 'ip6',
                'changes-since', 'changes-before', 'all_tenants', 'tags', 'tags-any',
                'not-tags', 'not-tags-any', 'locked', 'availability_zone', 'config_drive',
                'key_name', 'created_at', 'launched_at', 'terminated_at',
                'power_state', 'task_state', 'vm_state', 'progress', 'user_id',
                'description', 'hostname', 'uuid', 'access_ip_v4', 'access_ip_v6',
                'node', 'host', 'launch_index', 'project_id', 'tenant_id', 'deleted',
                'kernel_id', 'ramdisk_id')
NON_ADMIN_FILTERS = ('reservation_id', 'name', 'status', 'image', 'flavor', 'ip',
                     'changes-since', 'all_tenants', 'changes-before', 'tags', 'tags-any',
                     'not-tags', 'not-tags-any', 'ip6', 'locked', 'availability_zone',
                     'config_drive', 'key_name', 'created_at', 'launched_at',
                     'terminated_at', 'power_state', 'task_state', 'vm_state', 'progress',
                     'user_id', 'description', 'hostname', 'uuid', 'access_ip_v4',
                     'access_ip_v6')
PAGING = ('limit', 'marker', 'sort_key', 'sort_dir')


def ipv6(value):
    """An IPv6 address in its canonical (compressed) form."""
    import ipaddress
    return str(ipaddress.ip_address(value)) if value else value


def _image_id(ref):
    """The image uuid of an imageRef (a uuid or a URL ending in one)."""
    ref = (ref or '').rstrip('/').rsplit('/', 1)[-1]
    if not common.is_uuid(ref):
        raise exception.BadRequest('Invalid imageRef provided.')
    return ref


class Servers:
    def __init__(self):
        self.manager = manager.get()

    def security_groups(self, req, rec):
        return network_api.security_group_bindings([rec]).get(rec['uuid'])

    # Create -------------------------------------------------------------------

    def create(self, req):
        ctx = req.context
        common.authorize(req, 'os_compute_api:servers:create')
        raw = common.body(req, create_schema(req))
        body = raw['server']
        hints = raw.get('os:scheduler_hints') or raw.get('OS-SCH-HNT:scheduler_hints') or {}
        name = body['name'].strip() if not common.at_least(req, '2.1') else body['name']
        if not name.strip():
            raise exception.ValidationError("Invalid input for field/attribute name.")
        spec = {'name': name, 'description': body.get('description'),
                'metadata': body.get('metadata'), 'key_name': body.get('key_name'),
                'availability_zone': None, 'scheduler_hints': hints,
                'access_ip_v4': body.get('accessIPv4'),
                'access_ip_v6': ipv6(body.get('accessIPv6')),
                'disk_config': body.get('OS-DCF:diskConfig', 'MANUAL'),
                'config_drive': common.to_bool(body.get('config_drive', False)),
                'tags': body.get('tags'), 'hostname': body.get('hostname'),
                'group': hints.get('group')}
        # trusted certificates: no driver verifies image signatures
        if body.get('trusted_image_certificates'):
            raise exception.BadRequest('Image signature certificate validation is not '
                                       'supported by this cloud.')
        spec['admin_pass'] = body.get('adminPass') or _password()
        if 'user_data' in body:
            try:
                base64.b64decode(body['user_data'], validate=True)
            except (binascii.Error, ValueError):
                raise exception.BadRequest('Userdata content cannot be decoded.')
            spec['user_data'] = body['user_data']
        spec['personality'] = self._personality(req, body.get('personality'))
        # Count
        min_count = int(body.get('min_count', 1))
        max_count = int(body.get('max_count', min_count))
        if min_count > max_count:
            raise exception.BadRequest('min_count must be <= max_count')
        spec['min_count'], spec['max_count'] = min_count, max_count
        if spec.get('hostname') and max_count > 1:
            raise exception.BadRequest('Unable to allocate a single hostname to multiple '
                                       'instances')
        # Zone and forced hosts
        self._placement(req, body, spec)
        # Flavor
        flavor_ref = str(body['flavorRef']).rstrip('/').rsplit('/', 1)[-1]
        try:
            flavor = self.manager.get_flavor(ctx, flavor_ref)
        except FlavorNotFound:
            raise exception.BadRequest('Flavor %s could not be found.' % flavor_ref)
        if flavor['disabled']:
            raise exception.BadRequest('Flavor is disabled.')
        spec['flavor'] = flavor
        # Block devices and the image
        bdms = self._block_devices(req, body)
        boot_volume = any(b.get('boot_index') == 0 and b['destination_type'] == 'volume'
                          for b in bdms)
        image_ref = body.get('imageRef')
        image = None
        if image_ref:
            image_id = _image_id(image_ref)
            image = self._image(ctx, image_id)
            spec['image_ref'] = image_id
        elif not boot_volume:
            raise exception.BadRequest('Missing imageRef attribute')
        spec['image'] = image
        spec['block_devices'] = bdms
        if image is not None and not boot_volume and flavor['root_gb'] == 0:
            common.authorize(req, 'os_compute_api:servers:create:zero_disk_flavor')
        if bdms:
            common.authorize(req, 'os_compute_api:servers:create:attach_volume')
        # Networks and security groups
        networks = body.get('networks')
        if isinstance(networks, list):
            common.authorize(req, 'os_compute_api:servers:create:attach_network')
            for net in networks:
                if not net.get('uuid') and not net.get('port'):
                    raise exception.BadRequest('Bad networks format: network uuid is not '
                                               'in proper format')
                if net.get('uuid') and not common.is_uuid(net['uuid']):
                    raise exception.BadRequest('Bad networks format: network uuid is not '
                                               'in proper format (%s)' % net['uuid'])
            if not network_api.enabled() and networks:
                raise exception.BadRequest('Networking is not available in this cloud.')
        spec['networks'] = networks
        groups = [g['name'] for g in body.get('security_groups') or []]
        spec['security_groups'] = list(dict.fromkeys(groups)) or None
        if spec['key_name'] is not None and not spec['key_name']:
            raise exception.BadRequest('Invalid key_name provided.')
        records, reservation_id = self.manager.create_servers(ctx, spec)
        if common.to_bool(body.get('return_reservation_id', False)):
            return wsgi.json_response({'reservation_id': reservation_id}, 202)
        rec = records[0]
        out = {'id': rec['uuid'], 'links': common.links(req, 'servers', rec['uuid']),
               'OS-DCF:diskConfig': spec['disk_config'],
               'security_groups': [{'name': g} for g in (spec['security_groups']
                                                         or ['default'])]}
        if True:
            out['adminPass'] = spec['admin_pass']
        resp = wsgi.json_response({'server': out}, 202)
        resp.headers['Location'] = out['links'][0]['href']
        return resp

    def _personality(self, req, files):
        if not files:
            return []
        out = []
        for f in files:
            try:
                contents = base64.b64decode(f.get('contents', ''), validate=True)
            except (binascii.Error, ValueError):
                raise exception.BadRequest('Personality content for %s cannot be decoded'
                                           % f.get('path'))
            out.append({'path': f.get('path'), 'contents': f.get('contents', '')})
            if len(contents) > self._limit(req, 'injected_file_content_bytes'):
                raise exception.Forbidden('Personality file content exceeds maximum %d'
                                          % self._limit(req, 'injected_file_content_bytes'))
            if len(f.get('path') or '') > self._limit(req, 'injected_file_path_bytes'):
                raise exception.Forbidden('Personality file path exceeds maximum %d'
                                          % self._limit(req, 'injected_file_path_bytes'))
        if len(out) > self._limit(req, 'injected_files'):
            raise exception.Forbidden('Personality file limit exceeded')
        return out

    def _limit(self, req, resource):
        limits, _ = self.manager.get_quota_set(req.context, req.context.project_id)
        value = limits[resource]
        return float('inf') if value < 0 else value

    def _placement(self, req, body, spec):
        zone = body.get('availability_zone')
        host = node = None
        if zone and ':' in zone:
            zone, _, rest = zone.partition(':')
            host, _, node = rest.partition(':')
            if host or node:
                common.authorize(req, 'os_compute_api:servers:create:forced_host')
        if body.get('host') or body.get('hypervisor_hostname'):
            common.authorize(req, 'compute:servers:create:requested_destination')
            host = body.get('host') or host
            node = body.get('hypervisor_hostname') or node
            self._check_destination(req, host, node)
        if zone:
            self._check_zone(req, zone)
        spec['availability_zone'] = zone or self.manager.default_schedule_zone()
        spec['force_host'], spec['force_node'] = host or None, node or None

    def _check_zone(self, req, zone):
        if zone not in self.manager.zone_names():
            raise exception.BadRequest('The requested availability zone is not available')

    def _check_destination(self, req, host, node):
        nodes = self.manager.list_nodes()
        if host and not any(n['host'] == host for n in nodes):
            raise exception.BadRequest('Compute host %s could not be found.' % host)
        if node and not any(n['hypervisor_hostname'] == node for n in nodes):
            raise exception.BadRequest('Compute host %s could not be found.' % node)

    def _image(self, ctx, image_id):
        from cloudstack.image import manager as image_manager
        try:
            image = image_manager.get().get_image(ctx, image_id)
        except exception.NotFound:
            raise exception.BadRequest('Image %s could not be found.' % image_id)
        if image['status'] != 'active':
            raise exception.BadRequest('Image %s is not active.' % image_id)
        return image

    def _block_devices(self, req, body):
        if body.get('block_device_mapping') and body.get('block_device_mapping_v2'):
            raise exception.BadRequest('Using different block_device_mapping syntaxes '
                                       'is not allowed in the same request.')
        out = []
        for b in body.get('block_device_mapping') or []:
            if b.get('no_device'):
                continue
            out.append({'source_type': 'snapshot' if b.get('snapshot_id') else 'volume',
                        'destination_type': 'volume', 'device_name': b.get('device_name'),
                        'volume_id': b.get('volume_id'), 'snapshot_id': b.get('snapshot_id'),
                        'volume_size': int(b['volume_size']) if b.get('volume_size') else None,
                        'delete_on_termination': common.to_bool(
                            b.get('delete_on_termination', False)),
                        'boot_index': 0 if (b.get('device_name') or '').endswith('da')
                        else None})
        for b in body.get('block_device_mapping_v2') or []:
            if b.get('no_device'):
                continue
            source = b.get('source_type', 'volume' if b.get('uuid') else None)
            dest = b.get('destination_type', 'volume' if source == 'volume' else 'local')
            try:
                boot_index = None if b.get('boot_index') in (None, '') else int(b['boot_index'])
            except ValueError:
                raise exception.BadRequest('Invalid boot_index')
            if boot_index is not None and boot_index < 0:
                boot_index = None
            entry = {'source_type': source, 'destination_type': dest,
                     'device_name': b.get('device_name'), 'boot_index': boot_index,
                     'volume_size': int(b['volume_size']) if b.get('volume_size') else None,
                     'delete_on_termination': common.to_bool(
                         b.get('delete_on_termination', False)),
                     'disk_bus': b.get('disk_bus'), 'device_type': b.get('device_type'),
                     'guest_format': b.get('guest_format'), 'tag': b.get('tag'),
                     'volume_type': b.get('volume_type')}
            ident = b.get('uuid')
            if source == 'volume':
                entry['volume_id'] = ident
            elif source == 'snapshot':
                entry['snapshot_id'] = ident
            elif source == 'image':
                entry['image_id'] = ident
                if dest == 'local' and boot_index == 0:
                    continue        # the image of imageRef
            elif source == 'blank':
                pass
            else:
                raise exception.BadRequest('Invalid block device mapping: unknown '
                                           'source_type')
            if source in ('volume', 'snapshot', 'image') and not ident:
                raise exception.BadRequest('Block device mapping is invalid: missing uuid')
            if dest == 'volume':
                volume_api.require()
                if source == 'volume':
                    volume_api.check_attachable(req.context, ident, boot=boot_index == 0,
                                                multiattach=common.at_least(req, '2.60'))
            out.append(entry)
        return out

    # List and show --------------------------------------------------------------

    def _filters(self, req):
        ctx = req.context
        admin = is_admin(ctx)
        allowed = USER_FILTERS if admin else NON_ADMIN_FILTERS
        f = {}
        for key in set(req.GET.keys()) - set(PAGING) - {'sort_key', 'sort_dir'}:
            if key not in allowed:
                continue
            values = req.GET.getall(key)
            value = values[-1]
            if key == 'status':
                f['status'] = values
            elif key in ('changes-since', 'changes-before'):
                f[key] = server_manager.parse_time(value, key)
            elif key in ('tags', 'tags-any', 'not-tags', 'not-tags-any'):
                f[key] = [t for v in values for t in v.split(',') if t]
            elif key == 'locked':
                if not common.at_least(req, '2.73'):
                    continue
                try:
                    f['locked'] = {'true': True, 'false': False}[value.lower()]
                except KeyError:
                    raise exception.BadRequest("Unrecognized value '%s' for 'locked'"
                                               % value)
            elif key == 'deleted':
                f['deleted'] = common.strip_bool(value)
            elif key in ('all_tenants',):
                continue
            elif key == 'tenant_id':
                f['project_id'] = value
            elif key in ('ip', 'ip6'):
                f[key] = value
            elif key == 'flavor':
                f['flavor'] = value
            elif key == 'image':
                f['image'] = value.rstrip('/').rsplit('/', 1)[-1]
            elif key == 'availability_zone':
                f[key] = value
            elif key in ('created_at', 'launched_at', 'terminated_at', 'progress'):
                continue
            else:
                f[key] = value
        if 'changes-since' in f and 'changes-before' in f and \
                f['changes-since'] > f['changes-before']:
            raise exception.BadRequest('The value of changes-since must be less than or '
                                       'equal to changes-before.')
        if 'status' in f:
            known = {'ACTIVE', 'BUILD', 'DELETED', 'ERROR', 'HARD_REBOOT', 'MIGRATING',
                     'PASSWORD', 'PAUSED', 'REBOOT', 'REBUILD', 'RESCUE', 'RESIZE',
                     'REVERT_RESIZE', 'SHELVED', 'SHELVED_OFFLOADED', 'SHUTOFF',
                     'SOFT_DELETED', 'SUSPENDED', 'VERIFY_RESIZE', 'UNKNOWN'}
            bad = [s for s in f['status'] if s.upper() not in known]
            if bad:
                if common.at_least(req, '2.38'):
                    raise exception.BadRequest('Invalid status value')
                f['status'] = []
            if any(s.upper() == 'DELETED' for s in f['status']):
                if not admin:
                    f['status'] = [s for s in f['status'] if s.upper() != 'DELETED']
                    if not f['status']:
                        f['status'] = ['__nothing__']
                else:
                    f['deleted'] = True
        return f

    def _sort(self, req):
        keys = req.GET.getall('sort_key')
        dirs = req.GET.getall('sort_dir')
        out = []
        for i, key in enumerate(keys):
            if key in server_manager.BAD_SORT_KEYS or key not in server_manager.SORT_KEYS:
                raise exception.BadRequest('Invalid sort_key %s' % key)
            direction = dirs[i] if i < len(dirs) else 'desc'
            if direction not in ('asc', 'desc'):
                raise exception.BadRequest('Invalid sort_dir %s' % direction)
            out.append((key, direction))
        for d in dirs:
            if d not in ('asc', 'desc'):
                raise exception.BadRequest('Invalid sort_dir %s' % d)
        return out or [('created_at', 'desc')]

    def _list(self, req, detail):
        ctx = req.context
        rule = 'os_compute_api:servers:detail' if detail else 'os_compute_api:servers:index'
        common.authorize(req, rule)
        all_projects = False
        if 'all_tenants' in req.GET:
            raw = req.GET['all_tenants']
            try:
                all_projects = True if raw == '' else common.strip_bool(raw) or \
                    raw.lower() not in ('0', 'false', 'f', 'no', 'n', 'off')
            except ValueError:
                raise exception.BadRequest('Invalid all_tenants value')
            if all_projects:
                common.authorize(req, rule + ':get_all_tenants')
        # without all_tenants, tenant_id is ignored (Nova: the caller's project)
        filters = self._filters(req)
        if filters.get('status') == ['__nothing__']:
            return {'servers': []}
        limit, marker = common.limit_marker(req)
        sort = self._sort(req)
        ip = filters.pop('ip', None)
        ip6 = filters.pop('ip6', None)
        found = self.manager.list_servers(ctx, filters, sort, limit if not (ip or ip6)
                                          else None, marker, all_projects)
        if ip or ip6:
            found = [r for r in found if _ip_matches(r, ip, ip6)][:limit]
        if detail:
            ext = common.can(req, 'os_compute_api:os-extended-server-attributes')
            hstat = common.at_least(req, '2.16') and common.can(
                req, 'os_compute_api:servers:show:host_status')
            groups = network_api.security_group_bindings(found)
            servers = [views.detail(req, r, groups.get(r['uuid']), ext, hstat)
                       for r in found]
        else:
            servers = [views.basic(req, r) for r in found]
        out = {'servers': servers}
        more = common.collection_links(req, 'servers/detail' if detail else 'servers',
                                       [{'id': r['uuid']} for r in found], limit)
        if more:
            out['servers_links'] = more
        return out

    def index(self, req):
        return self._list(req, False)

    def detail(self, req):
        return self._list(req, True)

    def show(self, req, server_id):
        # the body shows the server's groups from 2.71
        rec = self.manager.get_server(req.context, server_id,
                                      with_groups=common.at_least(req, '2.71'))
        common.authorize(req, 'os_compute_api:servers:show', rec['project_id'],
                         rec['user_id'])
        return {'server': views.show(req, rec, self.security_groups(req, rec))}

    def update(self, req, server_id):
        body = common.body(req, update_schema(req))['server']
        rec = self.manager.get_server(req.context, server_id)
        common.authorize(req, 'os_compute_api:servers:update', rec['project_id'],
                         rec['user_id'])
        changes = {}
        if 'name' in body:
            changes['display_name'] = body['name']
        if 'description' in body:
            changes['display_description'] = body['description']
        if 'accessIPv4' in body:
            changes['access_ip_v4'] = body['accessIPv4'] or None
        if 'accessIPv6' in body:
            changes['access_ip_v6'] = ipv6(body['accessIPv6']) or None
        if 'OS-DCF:diskConfig' in body:
            changes['auto_disk_config'] = body['OS-DCF:diskConfig'] == 'AUTO'
        if 'hostname' in body:
            changes['hostname'] = body['hostname']
        if 'pinned_availability_zone' in body:
            changes['requested_availability_zone'] = body['pinned_availability_zone']
        rec = self.manager.update_server(req.context, server_id, changes)
        return {'server': views.mutated(req, rec, self.security_groups(req, rec))}

    def delete(self, req, server_id):
        rec = self.manager.get_server(req.context, server_id)
        common.authorize(req, 'os_compute_api:servers:delete', rec['project_id'],
                         rec['user_id'])
        self.manager.delete_server(req.context, server_id)
        return webob.Response(status=204, content_type=None)


def update_schema(req):
    props = dict(UPDATE['properties']['server']['properties'])
    if common.at_least(req, '2.19'):
        props['description'] = common.DESCRIPTION
    if common.at_least(req, '2.90'):
        props['hostname'] = hostname_schema(req)
    if common.at_least(req, '2.104'):
        props['pinned_availability_zone'] = {'type': ['string', 'null'], 'minLength': 1,
                                             'maxLength': 255}
    return {'type': 'object', 'properties': {'server': {
        'type': 'object', 'properties': props, 'additionalProperties': False}},
        'required': ['server'], 'additionalProperties': False}


def _ip_matches(rec, ip, ip6):
    addrs = [a['addr'] for items in views.addresses(rec).values() for a in items]
    if ip and not any(re.match(ip, a) for a in addrs if ':' not in a):
        return False
    if ip6 and not any(re.match(ip6, a) for a in addrs if ':' in a):
        return False
    return True


def _password(length=12):
    import secrets
    import string
    alphabet = string.ascii_letters + string.digits
    return ''.join(secrets.choice(alphabet) for _ in range(length))


def add_routes(router):
    s = Servers()
    router.connect('/servers', s, GET='index', POST='create')
    router.connect('/servers/detail', s, GET='detail')
    router.connect('/servers/{server_id}', s, GET='show', PUT='update', DELETE='delete')
