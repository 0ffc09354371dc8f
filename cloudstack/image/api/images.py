"""/v2/images: images, their data, tags, import and (de)activation."""
import urllib.parse

import webob

from cloudstack import exception
from cloudstack import policy
from cloudstack.api import common, wsgi
from cloudstack.conf import CONF
from cloudstack.image import manager, stores
from cloudstack.image.manager import base, imports, stage_hosts
from cloudstack.image.api import authz, views

PATCH_TYPES = ('application/openstack-images-v2.1-json-patch',
               'application/openstack-images-v2.0-json-patch')
OPS = ('add', 'replace', 'remove')
# Query keys that are not filters.
NOT_FILTERS = ('limit', 'marker', 'sort', 'sort_key', 'sort_dir')


def json_body(req):
    """The request's JSON (None without a body), bounded as the other JSON
    APIs' bodies ([oslo_middleware] max_request_body_size)."""
    return req.bounded_json(CONF.oslo_middleware.max_request_body_size)


def _forwarded(req):
    """Whether another Image API node forwarded this call here."""
    return stage_hosts.FORWARDED_HEADER in req.headers


def _pointer(path):
    if not isinstance(path, str) or not path.startswith('/') or path == '/':
        raise exception.BadRequest('Invalid JSON pointer %r' % (path,))
    parts = path[1:].split('/')
    if any(p == '' for p in parts):
        raise exception.BadRequest('Invalid JSON pointer %r' % (path,))
    return [p.replace('~1', '/').replace('~0', '~') for p in parts]


def parse_patch(req):
    ctype = (req.content_type or '').split(';')[0].strip().lower()
    if ctype not in PATCH_TYPES:
        exc = exception.UnsupportedMediaType(
            'Unsupported Content-Type %s; use one of %s' % (
                ctype or 'none', ', '.join(PATCH_TYPES)))
        exc.headers['Accept-Patch'] = ', '.join(PATCH_TYPES)
        raise exc
    body = json_body(req)
    if not isinstance(body, list):
        raise exception.BadRequest('A JSON-patch body is a list of operations')
    ops = []
    for item in body:
        if not isinstance(item, dict):
            raise exception.BadRequest('Operations must be JSON objects')
        if ctype.endswith('v2.1-json-patch'):
            op, path = item.get('op'), item.get('path')
            if op not in OPS:
                raise exception.BadRequest('Operation %r is not supported' % (op,))
            allowed = {'op', 'path', 'value'}
        else:
            found = [k for k in OPS if k in item]
            if len(found) != 1:
                raise exception.BadRequest('Each operation names one of %s'
                                           % ', '.join(OPS))
            op = found[0]
            path = item[op]
            if isinstance(path, str) and not path.startswith('/'):
                path = '/' + path
            allowed = {op, 'value'}
        if set(item) - allowed:
            raise exception.BadRequest('Unexpected keys in operation: %s' % ', '.join(
                sorted(set(item) - allowed)))
        if op != 'remove' and 'value' not in item:
            raise exception.BadRequest('Operation %s needs a value' % op)
        if op == 'remove' and 'value' in item:
            raise exception.BadRequest('Operation remove takes no value')
        ops.append((op, _pointer(path), item.get('value')))
    return ops


def _chunks(req):
    length = req.content_length
    if length is not None:
        stream = webob.request.LimitedLengthFile(req.body_file_raw, length) \
            if not req.is_body_seekable else req.body_file
    else:
        stream = req.body_file_raw
    return base.read_chunks(stream)


def _view(req, rec):
    """The image as this caller sees it: its locations only with the operator
    options on and the get_image_location rule allowing the caller."""
    show = CONF.image.show_multiple_locations
    direct = CONF.image.show_image_direct_url
    if (show or direct) and not policy.check(
            req.context, 'get_image_location',
            authz.target_of(req, rec)):
        direct = False
        rec = dict(rec, locations=[])
    return views.image(rec, show_locations=show, show_direct_url=direct)


def _check_octet(req):
    ctype = (req.content_type or '').split(';')[0].strip().lower()
    if ctype != 'application/octet-stream':
        raise exception.UnsupportedMediaType(
            'Image data must be sent as application/octet-stream')


class Images:
    def __init__(self):
        self.manager = manager.get()

    @wsgi.response(201)
    def create(self, req):
        body = json_body(req)
        if isinstance(body, dict):
            owner = body.get('owner', req.context.project_id)
            authz.authorize(req, 'add_image', {'owner': owner or '',
                                               'project_id': owner or ''})
            authz.changes(req, body.items(), owner)
        rec = self.manager.create_image(req.context, body)
        resp = wsgi.json_response(_view(req, rec), 201)
        resp.headers['Location'] = req.application_url + '/v2/images/%s' % rec['id']
        # Clients (openstacksdk) learn from these whether they may stage/import.
        resp.headers['OpenStack-image-import-methods'] = ','.join(
            imports.import_methods())
        resp.headers['OpenStack-image-store-ids'] = ','.join(stores.available(CONF))
        return resp

    def index(self, req):
        authz.authorize(req, 'get_images')
        limit, marker = common.limit_marker(
            req, max_limit=CONF.image.api_limit_max,
            default=CONF.image.limit_param_default)
        sort = common.sort_params(req, base.SORT_KEYS)
        filters = {}
        for key in set(req.GET.keys()):
            if key in NOT_FILTERS:
                continue
            values = req.GET.getall(key)
            if key == 'os_hidden':
                filters[key] = common.bool_param(values[-1])
            elif key == 'tag':
                filters[key] = values
            else:
                filters[key] = values[-1]
        rows = self.manager.list_images(req.context, filters, limit, marker, sort)
        images = [_view(req, r) for r in rows]
        out = {'images': images, 'first': '/v2/images',
               'schema': '/v2/schemas/images'}
        if limit and len(images) >= limit:
            params = [(k, v) for k, v in req.GET.items() if k != 'marker']
            params.append(('marker', images[-1]['id']))
            out['next'] = '/v2/images?%s' % urllib.parse.urlencode(params)
        return out

    def show(self, req, image_id):
        rec = self.manager.get_image(req.context, image_id)
        return _view(req, authz.record(req, 'get_image', rec))

    def update(self, req, image_id):
        ops = parse_patch(req)
        target = authz.image(req, 'modify_image', image_id)
        for op, path, _ in ops:
            if path[0] == 'locations':
                authz.authorize(req, 'delete_image_location' if op == 'remove'
                                else 'set_image_location', target)
        authz.changes(req, [(path[0], value) for op, path, value in ops
                            if op != 'remove' and len(path) == 1
                            and path[0] != 'locations'], target['owner'])
        return _view(req, self.manager.update_image(req.context, image_id, ops))

    def delete(self, req, image_id):
        authz.image(req, 'delete_image', image_id)
        self.manager.delete_image(req.context, image_id, forwarded=_forwarded(req))

    def deactivate(self, req, image_id):
        authz.image(req, 'deactivate', image_id)
        self.manager.deactivate(req.context, image_id)

    def reactivate(self, req, image_id):
        authz.image(req, 'reactivate', image_id)
        self.manager.reactivate(req.context, image_id)

    def upload(self, req, image_id):
        _check_octet(req)
        authz.image(req, 'upload_image', image_id)
        self.manager.upload(req.context, image_id, _chunks(req), req.content_length,
                            store_id=req.headers.get('X-Image-Meta-Store'))

    def download(self, req, image_id):
        target = authz.image(req, 'download_image', image_id)
        if target['status'] == 'deactivated' and not policy.check(
                req.context, 'image:download_deactivated', target):
            raise exception.Forbidden('The requested image has been deactivated. '
                                      'Image data download is forbidden.')
        rec, chunks = self.manager.download(req.context, image_id)
        if chunks is None:
            return webob.Response(status=204, content_type=None)
        size = rec['size']
        span = None
        if req.range is not None and size:
            span = req.range.range_for_length(size)
            if span is None:
                chunks.close()
                resp = webob.Response(status=416, content_type=None)
                resp.headers['Content-Range'] = 'bytes */%d' % size
                return resp
        resp = webob.Response(status=200, content_type='application/octet-stream')
        if span is not None:
            # One byte range: 206 with just those bytes (no Content-MD5: it
            # describes the whole image).
            chunks.close()
            start, end = span
            _, chunks = self.manager.download(req.context, image_id, start, end - start)
            resp.status = 206
            resp.headers['Content-Range'] = 'bytes %d-%d/%d' % (start, end - 1, size)
            resp.content_length = end - start
        else:
            resp.content_length = size
            if rec['checksum']:
                resp.headers['Content-MD5'] = rec['checksum']
        resp.app_iter = chunks
        return resp

    def stage(self, req, image_id):
        _check_octet(req)
        authz.image(req, 'upload_image', image_id)
        self.manager.stage(req.context, image_id, _chunks(req), req.content_length)

    @wsgi.response(202)
    def import_image(self, req, image_id):
        body = json_body(req)
        authz.image(req, 'modify_image', image_id)
        method = body.get('method') if isinstance(body, dict) else None
        if (isinstance(method, dict) and method.get('name') == 'copy-image'
                and 'copy-image' in imports.import_methods()):  # else a 400 follows
            authz.image(req, 'copy_image', image_id)
        self.manager.import_image(req.context, image_id, body,
                                  store_header=req.headers.get('X-Image-Meta-Store'),
                                  forwarded=_forwarded(req))
        return webob.Response(status=202, content_type=None)

    def delete_from_store(self, req, store_id, image_id):
        authz.image(req, 'delete_image_location', image_id)
        self.manager.delete_from_store(req.context, store_id, image_id)

    @wsgi.response(202)
    def add_location(self, req, image_id):
        """POST /v2/images/{id}/locations (image API 2.17)."""
        authz.image(req, 'add_image_location', image_id)
        self.manager.add_location(req.context, image_id, json_body(req))
        return webob.Response(status=202, content_type=None)

    def locations(self, req, image_id):
        """GET /v2/images/{id}/locations (image API 2.17)."""
        authz.image(req, 'fetch_image_location', image_id)
        return wsgi.json_response(self.manager.get_locations(req.context, image_id))

    def add_tag(self, req, image_id, tag):
        authz.image(req, 'modify_image', image_id)
        self.manager.add_tag(req.context, image_id, tag)

    def delete_tag(self, req, image_id, tag):
        authz.image(req, 'modify_image', image_id)
        self.manager.delete_tag(req.context, image_id, tag)
