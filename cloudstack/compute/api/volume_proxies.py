"""Nova's deprecated Block Storage proxies, served until microversion 2.36
from the Block Storage manager (compute/volume_api.py): os-volumes and
os-snapshots, in Nova's camelCase views."""
import webob

from cloudstack import exception
from cloudstack.compute import volume_api
from cloudstack.compute.api import common
from cloudstack.compute.api.network_proxies import _accepted, _allow, _offset_page

TEXT = {'type': 'string'}
CREATE_VOLUME = {'type': 'object', 'properties': {'volume': {
    'type': 'object', 'properties': {
        'volume_type': TEXT, 'metadata': {'type': 'object'}, 'snapshot_id': TEXT,
        'size': {'type': ['integer', 'string'], 'pattern': '^[0-9]+$', 'minimum': 1},
        'availability_zone': TEXT, 'display_name': TEXT, 'display_description': TEXT},
    'required': ['size'], 'additionalProperties': False}},
    'required': ['volume'], 'additionalProperties': False}
CREATE_SNAPSHOT = {'type': 'object', 'properties': {'snapshot': {
    'type': 'object', 'properties': {
        'volume_id': TEXT, 'force': common.BOOLEAN, 'display_name': TEXT,
        'display_description': TEXT},
    'required': ['volume_id'], 'additionalProperties': False}},
    'required': ['snapshot'], 'additionalProperties': False}


def _volumes():
    volume_api.require()
    return volume_api.manager()


def volume_view(vol):
    attached = [a for a in vol['attachments'] if a['attach_status'] == 'attached']
    attachments = [{}]
    if attached:
        attachments = [{'id': vol['id'], 'volumeId': vol['id'],
                        'serverId': attached[0]['instance']}]
        if attached[0]['mountpoint']:
            attachments[0]['device'] = attached[0]['mountpoint']
    return {'id': vol['id'], 'status': vol['status'], 'size': vol['size'],
            'availabilityZone': vol['availability_zone'], 'createdAt': vol['created_at'],
            'attachments': attachments, 'displayName': vol['name'],
            'displayDescription': vol['description'], 'volumeType': vol['volume_type'],
            'snapshotId': vol['snapshot_id'], 'metadata': vol['metadata'] or {}}


def snapshot_view(snap):
    return {'id': snap['id'], 'volumeId': snap['volume_id'], 'status': snap['status'],
            'size': snap['size'], 'createdAt': snap['created_at'],
            'displayName': snap['name'], 'displayDescription': snap['description']}


def _not_found(what, item_id):
    return exception.NotFound('%s %s could not be found.' % (what, item_id))


class Volumes:
    def index(self, req):
        _allow(req, 'os-volumes:list')
        return self._list(req)

    def detail(self, req):
        _allow(req, 'os-volumes:detail')
        return self._list(req)

    def _list(self, req):
        found, _ = _volumes().list_volumes(req.context)
        return {'volumes': [volume_view(v) for v in _offset_page(req, found)]}

    def show(self, req, volume_id):
        _allow(req, 'os-volumes:show')
        try:
            return {'volume': volume_view(_volumes().get_volume(req.context, volume_id))}
        except exception.NotFound:
            raise _not_found('Volume', volume_id)

    def create(self, req):
        _allow(req, 'os-volumes:create')
        body = common.body(req, CREATE_VOLUME)['volume']
        spec = {'size': int(body['size']), 'name': body.get('display_name'),
                'description': body.get('display_description'),
                'volume_type': body.get('volume_type'), 'metadata': body.get('metadata'),
                'availability_zone': body.get('availability_zone'),
                'snapshot_id': body.get('snapshot_id')}
        vol = _volumes().create_volume(req.context, {k: v for k, v in spec.items()
                                                     if v is not None})
        resp = webob.Response(status=200, content_type='application/json', charset='UTF-8')
        resp.json_body = {'volume': volume_view(_volumes().get_volume(req.context,
                                                                      vol['id']))}
        resp.headers['Location'] = '%s/%s' % (req.url, vol['id'])
        return resp

    def delete(self, req, volume_id):
        _allow(req, 'os-volumes:delete')
        try:
            _volumes().delete_volume(req.context, volume_id)
        except exception.NotFound:
            raise _not_found('Volume', volume_id)
        return _accepted()


class Snapshots:
    def index(self, req):
        _allow(req, 'os-volumes:snapshots:list')
        return self._list(req)

    def detail(self, req):
        _allow(req, 'os-volumes:snapshots:detail')
        return self._list(req)

    def _list(self, req):
        found, _ = _volumes().list_snapshots(req.context)
        return {'snapshots': [snapshot_view(s) for s in _offset_page(req, found)]}

    def show(self, req, snapshot_id):
        _allow(req, 'os-volumes:snapshots:show')
        try:
            return {'snapshot': snapshot_view(_volumes().get_snapshot(req.context,
                                                                      snapshot_id))}
        except exception.NotFound:
            raise _not_found('Snapshot', snapshot_id)

    def create(self, req):
        _allow(req, 'os-volumes:snapshots:create')
        body = common.body(req, CREATE_SNAPSHOT)['snapshot']
        try:
            snap = _volumes().create_snapshot(
                req.context, body['volume_id'], name=body.get('display_name'),
                description=body.get('display_description'),
                force=common.to_bool(body.get('force', False)))
        except exception.NotFound:
            raise _not_found('Volume', body['volume_id'])
        return {'snapshot': snapshot_view(snap)}

    def delete(self, req, snapshot_id):
        _allow(req, 'os-volumes:snapshots:delete')
        try:
            _volumes().delete_snapshot(req.context, snapshot_id)
        except exception.NotFound:
            raise _not_found('Snapshot', snapshot_id)
        return _accepted()


def add_routes(router):
    v, s = Volumes(), Snapshots()
    router.connect('/os-volumes', v, GET='index', POST='create')
    router.connect('/os-volumes/detail', v, GET='detail')
    router.connect('/os-volumes/{volume_id}', v, GET='show', DELETE='delete')
    router.connect('/os-snapshots', s, GET='index', POST='create')
    router.connect('/os-snapshots/detail', s, GET='detail')
    router.connect('/os-snapshots/{snapshot_id}', s, GET='show', DELETE='delete')
