"""/os-assisted-volume-snapshots: Block Storage's file-based drivers ask the
hypervisor of the server a volume is attached to for a qcow2 snapshot.

The target is empty, as Nova's: the caller (Block Storage's service user)
is not the server's project."""
import json

import webob

from cloudstack import exception
from cloudstack import policy
from cloudstack.compute import manager
from cloudstack.compute.api import common

P = 'os_compute_api:os-assisted-volume-snapshots:'
NON_EMPTY = {'type': 'string', 'minLength': 1}
CREATE = {'type': 'object', 'properties': {'snapshot': {
    'type': 'object', 'properties': {
        'volume_id': NON_EMPTY,
        'create_info': {'type': 'object', 'properties': {
            'snapshot_id': NON_EMPTY, 'type': {'type': 'string', 'enum': ['qcow2']},
            'new_file': NON_EMPTY, 'id': NON_EMPTY},
            'required': ['snapshot_id', 'type', 'new_file'], 'additionalProperties': False}},
    'required': ['volume_id', 'create_info'], 'additionalProperties': False}},
    'required': ['snapshot'], 'additionalProperties': False}


class AssistedSnapshots:
    def __init__(self):
        self.manager = manager.get()

    def create(self, req):
        policy.authorize(req.context, P + 'create', {})
        body = common.body(req, CREATE)['snapshot']
        return {'snapshot': self.manager.volume_snapshot_create(
            req.context, body['volume_id'], body['create_info'])}

    def delete(self, req, snapshot_id):
        policy.authorize(req.context, P + 'delete', {})
        if common.at_least(req, '2.75'):
            extra = sorted(set(req.GET) - {'delete_info'})
            if extra:
                raise exception.BadRequest('Invalid input for query parameters %s.'
                                           % ', '.join(extra))
        try:
            delete_info = json.loads(req.GET['delete_info'])
            volume_id = delete_info['volume_id']
        except KeyError as exc:
            raise exception.BadRequest('Missing %s.' % exc)
        except (TypeError, ValueError) as exc:
            raise exception.BadRequest('delete_info is not valid JSON: %s' % exc)
        if not isinstance(volume_id, str):
            raise exception.BadRequest('delete_info volume_id must be a string.')
        self.manager.volume_snapshot_delete(req.context, volume_id, snapshot_id,
                                            delete_info)
        return webob.Response(status=204, content_type=None)


def add_routes(router):
    a = AssistedSnapshots()
    router.connect('/os-assisted-volume-snapshots', a, POST='create')
    router.connect('/os-assisted-volume-snapshots/{snapshot_id}', a, DELETE='delete')
