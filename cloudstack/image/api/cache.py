"""/v2/cache: the admin's view of this node's local image cache."""
import webob

from cloudstack.image import manager
from cloudstack.image.api import authz


class Cache:
    def __init__(self):
        self.manager = manager.get()

    def _authorize(self, req, rule):
        self.manager.check_cache_enabled()     # 404 first, as without the API
        authz.authorize(req, rule)

    def index(self, req):
        self._authorize(req, 'cache_list')
        return self.manager.cache_list(req.context)

    def queue(self, req, image_id):
        self._authorize(req, 'cache_image')
        self.manager.cache_queue(req.context, image_id)
        return webob.Response(status=202, content_type=None)

    def delete(self, req, image_id):
        self._authorize(req, 'cache_delete')
        self.manager.cache_delete(req.context, image_id)

    def clear(self, req):
        self._authorize(req, 'cache_delete')
        self.manager.cache_clear(req.context,
                                 req.headers.get('x-image-cache-clear-target'))
