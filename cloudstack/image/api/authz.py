"""Authorization of the Image API: each operation checks its policy rule
here, before it calls the manager, with Glance's target: `project_id` and
`owner` (the image's owning project), `visibility`, and `member_id` (the
caller's project when the image is shared with it). Which images a caller
can see at all is the manager's scoping (404 for the others, see
context.all_projects)."""
from cloudstack.conf import CONF
from cloudstack import exception
from cloudstack import policy
from cloudstack.image import manager, metadefs


def authorize(req, rule, target=None):
    """`rule` on `target`; without one, on the caller's own project (as
    Glance's collection operations: listing images, namespaces, ...)."""
    if target is None:
        target = {'project_id': req.context.project_id or ''}
    policy.authorize(req.context, rule, target)
    if rule in OWNER_ONLY:
        _old_defaults_owner_only(req.context, rule, target.get('owner'))


def _image_target(ctx, image_id, owner, visibility, **extra):
    target = dict(extra, owner=owner or '', project_id=owner or '', visibility=visibility)
    if visibility == 'shared' and ctx.project_id and owner != ctx.project_id:
        try:
            manager.get().get_member(ctx, image_id, ctx.project_id)
            target['member_id'] = ctx.project_id
        except exception.NotFound:
            pass        # not shared with the caller
    return target


# What Glance lets only the owner (or an admin) do to an image when its
# deprecated defaults (anyone) are in force: it checks that in code.
OWNER_ONLY = frozenset(['add_image', 'modify_image', 'delete_image', 'upload_image',
                        'deactivate', 'reactivate', 'delete_image_location'])


def _old_defaults_owner_only(ctx, rule, owner):
    if (rule in OWNER_ONLY and not CONF.oslo_policy.enforce_new_defaults
            and not ctx.all_projects and owner != ctx.project_id):
        raise exception.Forbidden('You are not permitted to modify this image.')


def image(req, rule, image_id):
    """The image's target (404 when the caller cannot see it), once `rule`
    allows the caller on it; with the image's 'status' besides."""
    found = manager.get().policy_target(req.context, image_id)
    target = _image_target(req.context, image_id, **found)
    policy.authorize(req.context, rule, target)
    _old_defaults_owner_only(req.context, rule, target['owner'])
    return target


def target_of(req, rec):
    """The policy target of an image record the manager returned."""
    return _image_target(req.context, rec['id'], rec['owner'], rec['visibility'])


def record(req, rule, rec):
    """Authorize `rule` on an image record the manager returned."""
    policy.authorize(req.context, rule, target_of(req, rec))
    return rec


def namespace(req, rule, name):
    """A metadef namespace's target (404 when the caller cannot see it),
    once `rule` allows the caller on it."""
    target = metadefs.get().policy_target(req.context, name)
    policy.authorize(req.context, rule, dict(target, project_id=target['owner']))
    return target


def changes(req, items, owner):
    """The rules for what a create or an update sets, beyond the operation's
    own: making the image (owned by `owner`) public or community, giving it to
    another project. `items` are (attribute, new value) pairs."""
    ctx = req.context
    for key, value in items:
        if key == 'visibility' and value == 'public':
            policy.authorize(ctx, 'publicize_image', {'project_id': owner or ''})
        elif key == 'visibility' and value == 'community':
            policy.authorize(ctx, 'communitize_image', {'project_id': owner or ''})
        elif key == 'owner' and value != ctx.project_id:
            policy.authorize(ctx, 'image:set_owner',
                             {'owner': value if isinstance(value, str) else ''})
