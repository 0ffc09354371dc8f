"""/v2/images/{image_id}/members: sharing an image with other projects."""
import json

from cloudstack import exception
from cloudstack.image import manager
from cloudstack.image.api import authz, views


def _body(req, key):
    try:
        body = json.loads(req.body or b'null')
    except ValueError as exc:
        raise exception.BadRequest('Malformed JSON in request body: %s' % exc)
    if not isinstance(body, dict) or key not in body:
        raise exception.BadRequest('The request body needs "%s"' % key)
    return body[key]


class Members:
    def __init__(self):
        self.manager = manager.get()

    def create(self, req, image_id):
        member_id = _body(req, 'member')
        authz.image(req, 'add_member', image_id)
        return views.member(self.manager.add_member(req.context, image_id, member_id))

    def index(self, req, image_id):
        authz.image(req, 'get_members', image_id)
        rows = self.manager.list_members(req.context, image_id)
        return {'members': [views.member(r) for r in rows],
                'schema': '/v2/schemas/members'}

    def show(self, req, image_id, member_id):
        authz.image(req, 'get_member', image_id)
        return views.member(self.manager.get_member(req.context, image_id, member_id))

    def update(self, req, image_id, member_id):
        status = _body(req, 'status')
        target = self.manager.policy_target(req.context, image_id)
        self.manager.get_member(req.context, image_id, member_id)  # 404s first
        authz.authorize(req, 'modify_member', {
            'owner': target['owner'], 'project_id': target['owner'], 'member_id': member_id})
        return views.member(self.manager.update_member(
            req.context, image_id, member_id, status))

    def delete(self, req, image_id, member_id):
        authz.image(req, 'delete_member', image_id)
        self.manager.delete_member(req.context, image_id, member_id)
