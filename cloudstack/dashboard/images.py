"""Image uploads through the dashboard that the Image API refuses.

In Horizon's default upload mode ('legacy') the browser posts the file to
Horizon, which answers at once and hands the bytes to the Image API in a
thread of its own: a refusal (400 when the bytes are not of the declared
disk format) reached nobody, and the image stayed queued. Here the upload is
done before the answer; a refused image is deleted and the refusal is the
answer, which the Images page shows the user.
"""
import functools

from glanceclient import exc as glance_exc
from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class UploadRefused(glance_exc.HTTPException):
    """A glanceclient error, so that Horizon's handlers recover from it."""

    def __init__(self, code, details):
        super().__init__(details)
        self.code = code

    def __str__(self):
        return self.details


def _image_create(horizon_image_create, request, **kwargs):
    from openstack_dashboard.api import glance
    data = kwargs.get('data')
    if data is None or isinstance(data, str):
        # No bytes, or the browser sends them itself (mode 'direct').
        return horizon_image_create(request, **kwargs)
    del kwargs['data']
    image = horizon_image_create(request, **kwargs)
    client = glance.glanceclient(request)
    try:
        client.images.upload(image.id, data)
    except Exception as exc:
        status = getattr(exc, 'code', None)
        try:
            client.images.delete(image.id)
        except Exception:
            LOG.exception('could not delete image %s after its refused upload', image.id)
        if not isinstance(status, int) or not 400 <= status < 500:
            raise
        reason = getattr(exc, 'details', None) or str(exc)
        raise UploadRefused(status, 'The Image API refused the upload: %s' % reason)
    return glance.image_get(request, image.id)


def _answer_refusals(post):
    from openstack_dashboard.api.rest import utils as rest_utils

    @functools.wraps(post)
    def wrapper(self, request, *args, **kwargs):
        try:
            return post(self, request, *args, **kwargs)
        except UploadRefused as exc:
            return rest_utils.JSONResponse(str(exc), exc.code)
    return wrapper


def install():
    """Put the above in Horizon: its Image API wrapper, and the REST view its
    Images page posts uploads to (the one view not behind its error handler)."""
    from openstack_dashboard.api import glance
    from openstack_dashboard.api.rest import glance as rest_glance
    if isinstance(glance.image_create, functools.partial):
        return      # already (Django is set up once per process)
    glance.image_create = functools.partial(_image_create, glance.image_create)
    rest_glance.Images.post = _answer_refusals(rest_glance.Images.post)
