"""Image API x personas: allowed, 403 or 404 exactly as Glance's defaults say.

Glance's rules take project tokens only: system and domain personas are
refused (403, or 404 where the image is hidden from them first). In the
project `p1`: `admin` is Glance's `context_is_admin` (every project's images),
members create and change their project's images and download what they
see, readers only read; an image of another project that the caller cannot
see is a 404, one it sees but may not change a 403.
"""
import uuid

import pytest
import webob

from tests.unit.identity import rbac_world
from tests.unit.identity.rbac_world import DOMAIN, SYSTEM

V2 = '/image/v2'
PATCH_TYPE = {'Content-Type': 'application/openstack-images-v2.1-json-patch'}
ADMIN = {'project_admin'}
MEMBERS = {'project_admin', 'project_member'}
READERS = {'project_admin', 'project_member', 'project_reader'}
# Out of Glance's scope: refused, or not even shown the image.
OUT_OF_SCOPE = set(SYSTEM) | set(DOMAIN) | {'service'}


class ImageWorld(rbac_world.World):
    """The personas, and images: p1's own, p2's private, public and shared
    with p1 (accepted), each with data."""

    def __init__(self, admin, client):
        super().__init__(admin, client)
        self.own = self.image(self.p1)
        self.private = self.image(self.p2)
        self.public = self.image(self.p2, visibility='public')
        self.shared = self.image(self.p2, visibility='shared')
        self.own_shared = self.image(self.p1, visibility='shared')
        rbac_world.ok(self.admin.post('%s/images/%s/members' % (V2, self.shared),
                                      {'member': self.p1}))
        rbac_world.ok(self.admin.put('%s/images/%s/members/%s' % (
            V2, self.shared, self.p1), {'status': 'accepted'}))

    def image(self, owner, data=b'bytes', **body):
        resp = rbac_world.ok(self.admin.post(V2 + '/images', dict(
            body, owner=owner, disk_format='raw', container_format='bare')), 201)
        image_id = resp.json['id']
        if data:
            req = webob.Request.blank('%s/images/%s/file' % (V2, image_id), method='PUT')
            req.headers['X-Auth-Token'] = self.admin.token
            req.content_type = 'application/octet-stream'
            req.body = data
            rbac_world.ok(req.get_response(self.admin.app))
        return image_id


def get(path):
    return lambda w, p: ('GET', path(w), None)


def rename(attr):
    return lambda w, p: ('PATCH', '/images/' + getattr(w, attr),
                         [{'op': 'replace', 'path': '/name', 'value': 'n'}], PATCH_TYPE)


# (name, operation, allowed, hidden from: 404)
MATRIX = [
    ('list_images', get(lambda w: '/images'), READERS, ()),
    ('get_own_image', get(lambda w: '/images/' + w.own), READERS, ()),
    ('get_other_projects_private_image', get(lambda w: '/images/' + w.private), ADMIN,
     {'project_member', 'project_reader'}),
    ('get_public_image', get(lambda w: '/images/' + w.public), READERS, ()),
    ('get_image_shared_with_us', get(lambda w: '/images/' + w.shared), READERS, ()),
    ('create_image', lambda w, p: ('POST', '/images', {'name': 'x'}), MEMBERS, ()),
    ('create_image_for_other_project',
     lambda w, p: ('POST', '/images', {'name': 'x', 'owner': w.p2}), ADMIN, ()),
    ('create_public_image',
     lambda w, p: ('POST', '/images', {'name': 'x', 'visibility': 'public'}), ADMIN, ()),
    ('update_own_image', rename('own'), MEMBERS, ()),
    ('update_other_projects_public_image', rename('public'), ADMIN, ()),
    ('update_other_projects_private_image', rename('private'), ADMIN,
     {'project_member', 'project_reader'}),
    ('delete_own_image', lambda w, p: ('DELETE', '/images/' + w.image(w.p1, data=None), None),
     MEMBERS, ()),
    ('delete_other_projects_public_image', lambda w, p: (
        'DELETE', '/images/' + w.image(w.p2, data=None, visibility='public'), None), ADMIN, ()),
    ('download_own_image', get(lambda w: '/images/%s/file' % w.own), MEMBERS, ()),
    ('download_public_image', get(lambda w: '/images/%s/file' % w.public), MEMBERS, ()),
    ('deactivate_own_image', lambda w, p: (
        'POST', '/images/%s/actions/deactivate' % w.image(w.p1), None), MEMBERS, ()),
    ('list_members_own_image', get(lambda w: '/images/%s/members' % w.own_shared),
     READERS, ()),
    ('list_members_shared_with_us', get(lambda w: '/images/%s/members' % w.shared),
     READERS, ()),
    ('add_member_own_image', lambda w, p: (
        'POST', '/images/%s/members' % w.own_shared, {'member': uuid.uuid4().hex}),
     MEMBERS, ()),
    ('add_member_other_projects_image', lambda w, p: (
        'POST', '/images/%s/members' % w.shared, {'member': uuid.uuid4().hex}), ADMIN, ()),
    ('accept_membership', lambda w, p: (
        'PUT', '/images/%s/members/%s' % (w.shared, w.p1), {'status': 'accepted'}),
     MEMBERS, ()),
    ('list_metadef_namespaces', get(lambda w: '/metadefs/namespaces'), READERS, ()),
    ('create_metadef_namespace', lambda w, p: (
        'POST', '/metadefs/namespaces', {'namespace': 'ns-' + uuid.uuid4().hex[:8]}),
     ADMIN, ()),
    ('list_metadef_resource_types', get(lambda w: '/metadefs/resource_types'), READERS, ()),
    ('list_tasks', get(lambda w: '/tasks'), ADMIN, ()),
]


@pytest.fixture
def world(admin, client):
    return ImageWorld(admin, client)


def test_image_rbac(world):
    wrong = []
    for name, operation, allowed, hidden in MATRIX:
        try:
            rbac_world.check_matrix(world, operation, allowed, hidden=hidden,
                                    unseen=OUT_OF_SCOPE, base=V2)
        except AssertionError as e:
            wrong.append('%s:\n%s' % (name, e))
    assert not wrong, '\n'.join(wrong)


def test_old_defaults_keep_images_and_members_to_their_owners(world, override):
    """With enforce_new_defaults off, Glance's old rules let anyone through
    and its code keeps changes to the owner: so do we."""
    override('enforce_new_defaults', False, group='oslo_policy')
    from cloudstack import policy
    policy.reset()
    rename_public = rename('public')(world, 'project_member')
    assert world.call('project_member', *rename_public, base=V2).status_int == 403
    assert world.call('project_member', 'DELETE', '/images/' + world.public,
                      base=V2).status_int == 403
    assert world.call('project_member', 'POST', '/images', {'name': 'x', 'owner': world.p2},
                      base=V2).status_int == 403
    assert world.call('project_member', 'POST', '/images/%s/members' % world.shared,
                      {'member': uuid.uuid4().hex}, base=V2).status_int == 403
    # The deprecated rules let a reader do what only members may now.
    assert world.call('project_reader', *rename('own')(world, 'project_reader'),
                      base=V2).status_int == 200
    # The owner does not answer for its members.
    member = uuid.uuid4().hex
    rbac_world.ok(world.call('project_member', 'POST', '/images/%s/members' % world.own_shared,
                             {'member': member}, base=V2))
    assert world.call('project_member', 'PUT', '/images/%s/members/%s' % (
        world.own_shared, member), {'status': 'accepted'}, base=V2).status_int == 403
