"""/v2/images/{image_id}/members: sharing an image with other projects."""
import json

from cloudstack.conf import CONF
from cloudstack import exception
from cloudstack.image import manager
from cloudstack.image.api import authz, images, views


def _body(req, key):
    body = images.json_body(req)
    if not isinstance(body, dict) or key not in body:
        raise exception.BadRequest('The request body needs "%s"' % key)
    return body[key]


def _old_defaults_ownership(req, owner, owner_acts):
    """With the deprecated defaults (anyone may touch members), Glance checks
    in code that only the owner adds or removes members and only a member
    answers for itself; the new defaults say so in policy."""
    ctx = req.context
    if CONF.oslo_policy.enforce_new_defaults or ctx.all_projects:
        return
    if (owner == ctx.project_id) != owner_acts:
        raise exception.Forbidden('You are not permitted to %s this image member.' % (
            'change' if owner_acts else "modify 'status' on"))


class Members:
    def __init__(self):
        self.manager = manager.get()

    def create(self, req, image_id):
        member_id = _body(req, 'member')
        target = authz.image(req, 'add_member', image_id)
        _old_defaults_ownership(req, target['owner'], owner_acts=True)
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
        _old_defaults_ownership(req, target['owner'], owner_acts=False)
        return views.member(self.manager.update_member(
            req.context, image_id, member_id, status))

    def delete(self, req, image_id, member_id):
        target = authz.image(req, 'delete_member', image_id)
        _old_defaults_ownership(req, target['owner'], owner_acts=True)
        self.manager.delete_member(req.context, image_id, member_id)
