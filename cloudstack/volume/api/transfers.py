"""/os-volume-transfer and /volume-transfers (3.55), /messages (3.3) and
/attachments (3.27)."""
import webob

from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.volume.api import common, views

CREATE = {
    'type': 'object', 'additionalProperties': False, 'required': ['volume_id'],
    'properties': {'volume_id': common.UUID, 'name': common.STRING_255,
                   'no_snapshots': common.BOOL_LIKE},
}
ACCEPT = {'type': 'object', 'required': ['auth_key'],
          'properties': {'auth_key': {'type': 'string', 'minLength': 1, 'maxLength': 255}}}
TRANSFER_SORT = ('id', 'name', 'created_at', 'volume_id')
MESSAGE_SORT = ('id', 'resource_type', 'event_id', 'resource_uuid', 'message_level',
                'created_at', 'expires_at', 'request_id')
MESSAGE_FILTERS = ('resource_uuid', 'resource_type', 'event_id', 'request_id',
                   'message_level')
ATTACHMENT_SORT = ('id', 'created_at', 'updated_at', 'volume_id', 'attach_status')
ATTACHMENT_FILTERS = ('volume_id', 'status', 'instance_id', 'attach_status')
CONNECTOR = {'type': ['object', 'null']}
ATTACHMENT_CREATE = {
    'type': 'object', 'required': ['volume_uuid'], 'additionalProperties': False,
    'properties': {'volume_uuid': common.UUID, 'instance_uuid': common.NULLABLE_UUID,
                   'connector': CONNECTOR, 'mode': {'type': 'string', 'enum': ['rw', 'ro']}},
}
ATTACHMENT_UPDATE = {
    'type': 'object', 'required': ['connector'], 'additionalProperties': False,
    'properties': {'connector': {'type': 'object'}},
}


def mgr():
    return common.manager()


class Transfers:

    def __init__(self, new_api=False):
        self.new_api = new_api          # /volume-transfers, from 3.55

    def _check(self, req):
        if self.new_api:
            common.require(req, common.TRANSFER_SNAPSHOTS)

    def _list(self, req, detail):
        self._check(req)
        common.authorize(req, 'volume:get_all_transfers')
        paged = self.new_api and common.at_least(req, common.TRANSFER_PAGINATION)
        limit, marker, offset, sort = common.paging(req, TRANSFER_SORT) if paged else (
            None, None, 0, [('created_at', 'asc')])
        everyone, _ = common.all_projects(req)
        found = {k: v for k, v in common.filters(req, 'transfer', ('name', 'volume_id'))
                 .items() if not isinstance(v, tuple)}
        records = mgr().list_transfers(req.context, found, sort, limit, marker, offset,
                                       everyone)
        items = [views.transfer(req, r, detail=detail) for r in records]
        return {'transfers': items}

    def index(self, req):
        return self._list(req, False)

    def detail(self, req):
        return self._list(req, True)

    def show(self, req, transfer_id):
        self._check(req)
        common.authorize(req, 'volume:get_transfer')
        return {'transfer': views.transfer(req, mgr().get_transfer(req.context,
                                                                   transfer_id))}

    def create(self, req):
        self._check(req)
        spec = common.body(req, 'transfer', CREATE, strict_from=None)
        volume = mgr().get_volume(req.context, spec['volume_id'])
        common.authorize(req, 'volume:create_transfer', volume['project_id'])
        no_snapshots = False
        if common.at_least(req, common.TRANSFER_SNAPSHOTS):
            no_snapshots = common.flag(spec.get('no_snapshots', False), 'no_snapshots')
        rec = mgr().create_transfer(req.context, spec['volume_id'], spec.get('name'),
                                    no_snapshots)
        return wsgi.json_response({'transfer': views.transfer(req, rec, created=True)}, 202)

    def accept(self, req, transfer_id):
        self._check(req)
        spec = common.body(req, 'accept', ACCEPT, strict_from=None)
        common.authorize(req, 'volume:accept_transfer')
        common.require_project(req, 'transferred volume')
        rec = mgr().accept_transfer(req.context, transfer_id, spec['auth_key'])
        return wsgi.json_response({'transfer': {
            'id': rec['id'], 'name': rec['name'], 'volume_id': rec['volume_id'],
            'links': common.links(req, 'volume-transfers' if self.new_api
                                  else 'os-volume-transfer', rec['id'])}}, 202)

    def delete(self, req, transfer_id):
        self._check(req)
        rec = mgr().get_transfer(req.context, transfer_id)
        common.authorize(req, 'volume:delete_transfer', rec['source_project_id'])
        mgr().delete_transfer(req.context, transfer_id)
        return webob.Response(status=202, content_type=None)


class Messages:

    def index(self, req):
        common.require(req, common.USER_MESSAGES)
        common.authorize(req, 'message:get_all')
        if common.at_least(req, common.MESSAGES_PAGINATION):
            limit, marker, offset, sort = common.paging(req, MESSAGE_SORT)
        else:
            limit, marker, offset, sort = None, None, 0, [('created_at', 'desc')]
        everyone, _ = common.all_projects(req)
        found = {k: v for k, v in common.filters(req, 'message', MESSAGE_FILTERS).items()
                 if not isinstance(v, tuple)}
        records = mgr().list_messages(req.context, found, sort, limit, marker, offset,
                                      everyone)
        return common.listing(req, 'messages', [views.message(req, r) for r in records],
                              limit)

    def show(self, req, message_id):
        common.require(req, common.USER_MESSAGES)
        rec = mgr().get_message(req.context, message_id)
        common.authorize(req, 'message:get', rec['project_id'])
        return {'message': views.message(req, rec)}

    def delete(self, req, message_id):
        common.require(req, common.USER_MESSAGES)
        rec = mgr().get_message(req.context, message_id)
        common.authorize(req, 'message:delete', rec['project_id'])
        mgr().delete_message(req.context, message_id)
        return webob.Response(status=204, content_type=None)


class Attachments:

    def _list(self, req, detail):
        common.require(req, common.NEW_ATTACH)
        common.authorize(req, 'volume:get_all')
        limit, marker, offset, sort = common.paging(req, ATTACHMENT_SORT)
        everyone, project = common.all_projects(req)
        found = {k: v for k, v in common.filters(req, 'attachment', ATTACHMENT_FILTERS)
                 .items() if not isinstance(v, tuple)}
        records = mgr().list_attachments(req.context, found, sort, limit, marker, offset,
                                         everyone, project)
        return common.listing(req, 'attachments',
                              [views.attachment(r, detail) for r in records], limit,
                              'attachments/detail' if detail else 'attachments')

    def index(self, req):
        return self._list(req, False)

    def detail(self, req):
        return self._list(req, True)

    def show(self, req, attachment_id):
        common.require(req, common.NEW_ATTACH)
        rec = mgr().get_attachment(req.context, attachment_id)
        common.authorize(req, 'volume:get', rec['project_id'])
        return {'attachment': views.attachment(rec)}

    def create(self, req):
        common.require(req, common.NEW_ATTACH)
        spec = common.body(req, 'attachment', ATTACHMENT_CREATE, strict_from=None)
        volume = mgr().get_volume(req.context, spec['volume_uuid'])
        common.authorize(req, 'volume:attachment_create', volume['project_id'])
        if volume['multiattach'] and volume['bootable']:
            common.authorize(req, 'volume:multiattach_bootable_volume',
                             volume['project_id'])
        mode = spec.get('mode', 'rw') if common.at_least(req, common.ATTACH_MODE) else 'rw'
        rec = mgr().attachment_create(req.context, spec['volume_uuid'],
                                      spec.get('instance_uuid'), spec.get('connector'),
                                      mode)
        return {'attachment': views.attachment(rec)}

    def update(self, req, attachment_id):
        common.require(req, common.NEW_ATTACH)
        spec = common.body(req, 'attachment', ATTACHMENT_UPDATE, strict_from=None)
        rec = mgr().get_attachment(req.context, attachment_id)
        common.authorize(req, 'volume:attachment_update', rec['project_id'])
        return {'attachment': views.attachment(
            mgr().attachment_update(req.context, attachment_id, spec['connector']))}

    def delete(self, req, attachment_id):
        common.require(req, common.NEW_ATTACH)
        rec = mgr().get_attachment(req.context, attachment_id)
        common.authorize(req, 'volume:attachment_delete', rec['project_id'])
        mgr().attachment_delete(req.context, attachment_id)
        remaining = mgr().get_volume(req.context, rec['volume_id'])['attachments']
        return {'attachments': [views.attachment(a, False) for a in remaining]}

    def action(self, req, attachment_id):
        common.require(req, common.ATTACHMENT_COMPLETE)
        data = req.json_body()
        if not isinstance(data, dict) or list(data) != ['os-complete']:
            raise exception.BadRequest('There is no such action.')
        rec = mgr().get_attachment(req.context, attachment_id)
        common.authorize(req, 'volume:attachment_complete', rec['project_id'])
        mgr().attachment_complete(req.context, attachment_id)
        return webob.Response(status=204, content_type=None)
