"""Authorization of the Image API: each operation checks its policy rule
here, before it calls the manager, with the image (or metadef namespace) as
target: `target.owner`, `target.visibility`. Which images a caller can see at
all is the manager's scoping (404 for the others, see context.all_projects)."""
from cloudstack import policy
from cloudstack.image import manager, metadefs


def authorize(req, rule, target=None):
    policy.authorize(req.context, rule, target)


def image(req, rule, image_id):
    """The image's target (404 when the caller cannot see it), once `rule`
    allows the caller on it; with the image's 'status' besides."""
    target = manager.get().policy_target(req.context, image_id)
    policy.authorize(req.context, rule, target)
    return target


def record(req, rule, rec):
    """Authorize `rule` on an image record the manager returned."""
    policy.authorize(req.context, rule,
                     {'owner': rec['owner'] or '', 'visibility': rec['visibility']})
    return rec


def namespace(req, rule, name):
    """A metadef namespace's target (404 when the caller cannot see it),
    once `rule` allows the caller on it."""
    target = metadefs.get().policy_target(req.context, name)
    policy.authorize(req.context, rule, target)
    return target


def changes(req, items, owner):
    """The rules for what a create or an update sets, beyond the operation's
    own: making the image (owned by `owner`) public or community, giving it to
    another project. `items` are (attribute, new value) pairs."""
    ctx = req.context
    for key, value in items:
        if key == 'visibility' and value == 'public':
            policy.authorize(ctx, 'image:publicize_image', {'owner': owner or ''})
        elif key == 'visibility' and value == 'community':
            policy.authorize(ctx, 'image:communitize_image', {'owner': owner or ''})
        elif key == 'owner' and value != ctx.project_id:
            policy.authorize(ctx, 'image:set_owner',
                             {'owner': value if isinstance(value, str) else ''})
