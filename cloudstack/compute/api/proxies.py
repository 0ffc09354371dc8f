"""The deprecated image proxy v2.1 still serves before microversion 2.36: /images
(to the Image service's manager). The network proxies are in network_proxies.py."""
import webob

from cloudstack import exception
from cloudstack.compute.api import common, views

STATUS = {'active': 'ACTIVE', 'saving': 'SAVING', 'queued': 'SAVING',
          'importing': 'SAVING', 'uploading': 'SAVING', 'killed': 'ERROR',
          'deleted': 'DELETED', 'pending_delete': 'DELETED', 'deactivated': 'ERROR'}
PROGRESS = {'ACTIVE': 100, 'SAVING': 25}


def _images():
    from cloudstack.image import manager as image_manager
    return image_manager.get()


def _check(req):
    if common.at_least(req, '2.36'):
        raise exception.NotFound('The resource could not be found.')


def image_view(req, img, detail=True):
    out = {'id': img['id'], 'name': img['name'],
           'links': common.links(req, 'images', img['id'])}
    out['links'].append({'rel': 'alternate', 'type': 'application/vnd.openstack.image',
                         'href': '%s/image/images/%s' % (
                             common.base_url(req).rsplit('/compute', 1)[0], img['id'])})
    if not detail:
        return out
    status = STATUS.get(img['status'], 'UNKNOWN')
    out.update({'minRam': img['min_ram'] or 0, 'minDisk': img['min_disk'] or 0,
                'metadata': img['properties'], 'created': views.isotime(img['created_at']),
                'updated': views.isotime(img['updated_at']), 'status': status,
                'progress': PROGRESS.get(status, 0),
                'OS-EXT-IMG-SIZE:size': img['size'] or 0})
    server = img['properties'].get('instance_uuid')
    if server:
        out['server'] = {'id': server, 'links': common.links(req, 'servers', server)}
    return out


class Images:
    def _get(self, req, image_id):
        try:
            return _images().get_image(req.context, image_id)
        except exception.NotFound:
            raise exception.NotFound('Image not found.')

    def _list(self, req, detail):
        _check(req)
        filters = {}
        g = req.GET
        if g.get('name'):
            filters['name'] = g['name']
        if g.get('status'):
            wanted = g['status'].upper()
            glance = [k for k, v in STATUS.items() if v == wanted]
            if not glance:
                return {'images': []}
            filters['status'] = 'in:' + ','.join(glance)
        if g.get('server'):
            filters['instance_uuid'] = g['server'].rstrip('/').rsplit('/', 1)[-1]
        if g.get('type'):
            filters['image_type'] = g['type']
        if g.get('changes-since'):
            filters['updated_at'] = 'gte:' + g['changes-since']
        limit, marker = common.limit_marker(req)
        found = _images().list_images(req.context, filters, None, None,
                                      [('created_at', 'desc'), ('id', 'desc')])
        for key, param in (('min_ram', 'minRam'), ('min_disk', 'minDisk')):
            if g.get(param):
                try:
                    low = int(g[param])
                except ValueError:
                    raise exception.BadRequest('Invalid %s' % param)
                found = [i for i in found if (i[key] or 0) >= low]
        if marker is not None:
            ids = [i['id'] for i in found]
            if marker not in ids:
                raise exception.BadRequest('marker [%s] not found' % marker)
            found = found[ids.index(marker) + 1:]
        found = found[:limit]
        out = {'images': [image_view(req, i, detail) for i in found]}
        more = common.collection_links(req, 'images' + ('/detail' if detail else ''),
                                       found, limit)
        if more:
            out['images_links'] = more
        return out

    def index(self, req):
        return self._list(req, False)

    def detail(self, req):
        return self._list(req, True)

    def show(self, req, image_id):
        _check(req)
        return {'image': image_view(req, self._get(req, image_id))}

    def delete(self, req, image_id):
        _check(req)
        self._get(req, image_id)
        try:
            _images().delete_image(req.context, image_id)
        except exception.Forbidden as exc:
            raise exception.Forbidden(exc.message)
        return webob.Response(status=204, content_type=None)

    # metadata

    def _set(self, req, image_id, props, replace=False):
        img = self._get(req, image_id)
        current = dict(img['properties'])
        ops = []
        if replace:
            for key in current:
                if key not in props:
                    ops.append(('remove', [key], None))
        for key, value in props.items():
            ops.append(('replace' if key in current else 'add', [key], value))
        from cloudstack.compute import manager
        limits, _ = manager.get().get_quota_set(req.context, req.context.project_id)
        final = dict(current) if not replace else {}
        final.update(props)
        if 0 <= limits['metadata_items'] < len(final):
            raise exception.Forbidden('Quota exceeded for metadata_items')
        if ops:
            img = _images().update_image(req.context, image_id, ops)
        return img['properties']

    def meta_index(self, req, image_id):
        _check(req)
        return {'metadata': self._get(req, image_id)['properties']}

    def meta_show(self, req, image_id, key):
        _check(req)
        props = self._get(req, image_id)['properties']
        if key not in props:
            raise exception.NotFound('Image metadata item %s not found' % key)
        return {'meta': {key: props[key]}}

    def meta_create(self, req, image_id):
        _check(req)
        body = common.body(req, {'type': 'object', 'properties': {
            'metadata': common.METADATA}, 'required': ['metadata'],
            'additionalProperties': False})
        return {'metadata': self._set(req, image_id, body['metadata'])}

    def meta_update_all(self, req, image_id):
        _check(req)
        body = common.body(req, {'type': 'object', 'properties': {
            'metadata': common.METADATA}, 'required': ['metadata'],
            'additionalProperties': False})
        return {'metadata': self._set(req, image_id, body['metadata'], replace=True)}

    def meta_update(self, req, image_id, key):
        _check(req)
        from cloudstack.compute.api.server_parts import ONE_META
        body = common.body(req, ONE_META)
        if key not in body['meta']:
            raise exception.BadRequest('Request body and URI mismatch')
        self._set(req, image_id, body['meta'])
        return {'meta': body['meta']}

    def meta_delete(self, req, image_id, key):
        _check(req)
        img = self._get(req, image_id)
        if key not in img['properties']:
            raise exception.NotFound('Image metadata item %s not found' % key)
        _images().update_image(req.context, image_id, [('remove', [key], None)])
        return webob.Response(status=204, content_type=None)


def add_routes(router):
    i = Images()
    router.connect('/images', i, GET='index')
    router.connect('/images/detail', i, GET='detail')
    router.connect('/images/{image_id}', i, GET='show', DELETE='delete')
    router.connect('/images/{image_id}/metadata', i, GET='meta_index', POST='meta_create',
                   PUT='meta_update_all')
    router.connect('/images/{image_id}/metadata/{key}', i, GET='meta_show',
                   PUT='meta_update', DELETE='meta_delete')
