"""/v2/metadefs/*: metadata definition namespaces, resource types, objects,
properties and tags.

Bodies are validated against the schemas /v2/schemas/metadefs/* publishes;
a body carrying a read-only attribute (created_at, self, ...) is refused (403).
"""
import urllib.parse

from cloudstack import exception
from cloudstack.api import common, validation, wsgi
from cloudstack.conf import CONF
from cloudstack.image import metadefs
from cloudstack.image.api import authz
from cloudstack.image.api import metadef_schemas as schemas
from cloudstack.image.api.views import isotime

READ_ONLY = ('created_at', 'updated_at', 'schema', 'self')
BASE = '/v2/metadefs/namespaces'


def _body(req, schema):
    body = req.json_body()
    if not isinstance(body, dict):
        raise exception.ValidationError('The request body must be a JSON object.')
    for key in READ_ONLY:
        if key in body:
            # As Glance: echoing a server-set attribute back is refused.
            raise exception.Forbidden("Attribute '%s' is read-only." % key)
    return validation.validate(schema, body)


def _quote(name):
    return urllib.parse.quote(name, safe=':')


def _times(out, rec):
    out['created_at'] = isotime(rec['created_at'])
    out['updated_at'] = isotime(rec['updated_at'])
    return out


def _assoc_view(rec):
    out = {'name': rec['name']}
    for key in ('prefix', 'properties_target'):
        if rec.get(key) is not None:
            out[key] = rec[key]
    return _times(out, rec)


def _object_view(ns_name, rec):
    out = {'name': rec['name']}
    if rec.get('description') is not None:
        out['description'] = rec['description']
    if rec.get('required'):
        out['required'] = rec['required']
    out['properties'] = rec.get('properties') or {}
    _times(out, rec)
    out['schema'] = '/v2/schemas/metadefs/object'
    out['self'] = '%s/%s/objects/%s' % (BASE, _quote(ns_name), _quote(rec['name']))
    return out


def _tag_view(rec):
    return _times({'name': rec['name']}, rec)


def _namespace_view(rec, detail=False):
    out = {'namespace': rec['namespace']}
    for key in ('display_name', 'description'):
        if rec.get(key) is not None:
            out[key] = rec[key]
    out['visibility'] = rec['visibility']
    out['protected'] = bool(rec['protected'])
    out['owner'] = rec['owner']
    _times(out, rec)
    out['schema'] = '/v2/schemas/metadefs/namespace'
    out['self'] = '%s/%s' % (BASE, _quote(rec['namespace']))
    if rec.get('resource_type_associations'):
        out['resource_type_associations'] = [
            _assoc_view(a) for a in rec['resource_type_associations']]
    if detail:
        if rec.get('properties'):
            out['properties'] = rec['properties']
        if rec.get('objects'):
            out['objects'] = [_object_view(rec['namespace'], o)
                              for o in rec['objects']]
        if rec.get('tags'):
            out['tags'] = [{'name': t['name']} for t in rec['tags']]
    return out


def _paging(req, default_dir='desc'):
    limit, marker = common.limit_marker(
        req, max_limit=CONF.image.api_limit_max,
        default=CONF.image.limit_param_default)
    sort = common.sort_params(req, metadefs.NAMESPACE_SORT_KEYS
                              + metadefs.CONTENT_SORT_KEYS,
                              default_dir=default_dir)
    return limit, marker, sort


def _next(req, path, items, limit, key):
    """The next page's link (relative to the API root), if this one is full."""
    if not limit or len(items) < limit:
        return None
    params = [(k, v) for k, v in req.GET.items() if k != 'marker']
    params.append(('marker', items[-1][key]))
    return '%s?%s' % (path, urllib.parse.urlencode(params))


class Namespaces:
    def __init__(self):
        self.manager = metadefs.get()

    def index(self, req):
        authz.authorize(req, 'get_metadef_namespaces')
        limit, marker, sort = _paging(req)
        filters = {}
        if 'visibility' in req.GET:
            filters['visibility'] = req.GET['visibility']
        if req.GET.get('resource_types'):
            filters['resource_types'] = [
                t.strip() for t in req.GET['resource_types'].split(',') if t.strip()]
        rows = self.manager.list_namespaces(req.context, filters, limit, marker,
                                            sort)
        items = [_namespace_view(r) for r in rows]
        query = urllib.parse.urlencode(
            [(k, v) for k, v in req.GET.items() if k != 'marker'])
        out = {'namespaces': items,
               'first': BASE + ('?' + query if query else ''),
               'schema': '/v2/schemas/metadefs/namespaces'}
        nxt = _next(req, BASE, items, limit, 'namespace')
        if nxt:
            out['next'] = nxt
        return out

    @wsgi.response(201)
    def create(self, req):
        body = _body(req, schemas.namespace_schema())
        owner = body.get('owner') or req.context.project_id or ''
        authz.authorize(req, 'add_metadef_namespace', {
            'owner': owner, 'project_id': owner,
            'visibility': body.get('visibility', 'private')})
        rec = self.manager.create_namespace(req.context, body)
        view = _namespace_view(rec, detail=True)
        return wsgi.json_response(view, 201, {
            'Location': req.application_url + view['self']})

    def show(self, req, namespace):
        authz.namespace(req, 'get_metadef_namespace', namespace)
        rec = self.manager.get_namespace(req.context, namespace,
                                         req.GET.get('resource_type'))
        return _namespace_view(rec, detail=True)

    def update(self, req, namespace):
        target = authz.namespace(req, 'modify_metadef_namespace', namespace)
        schema = schemas.namespace_schema()
        for key in ('resource_type_associations', 'properties', 'objects', 'tags'):
            schema['properties'].pop(key)
        body = _body(req, schema)
        if body.get('owner', target['owner']) != target['owner']:
            # Giving it away: the caller must be allowed on the new owner's too.
            authz.authorize(req, 'modify_metadef_namespace', dict(
                target, owner=body['owner'] or '', project_id=body['owner'] or ''))
        rec = self.manager.update_namespace(req.context, namespace, body)
        return _namespace_view(rec, detail=True)

    def delete(self, req, namespace):
        authz.namespace(req, 'delete_metadef_namespace', namespace)
        self.manager.delete_namespace(req.context, namespace)



class ResourceTypes:
    def __init__(self):
        self.manager = metadefs.get()

    def index(self, req):
        authz.authorize(req, 'list_metadef_resource_types')
        rows = self.manager.list_resource_types(req.context)
        return {'resource_types': [_times({'name': r['name']}, r) for r in rows]}

    def associations(self, req, namespace):
        authz.namespace(req, 'get_metadef_resource_type', namespace)
        rows = self.manager.list_associations(req.context, namespace)
        return {'resource_type_associations': [_assoc_view(r) for r in rows]}

    @wsgi.response(201)
    def associate(self, req, namespace):
        authz.namespace(req, 'add_metadef_resource_type_association', namespace)
        body = _body(req, schemas.resource_type_schema())
        return _assoc_view(self.manager.add_association(req.context, namespace,
                                                        body))

    def dissociate(self, req, namespace, resource_type):
        authz.namespace(req, 'remove_metadef_resource_type_association', namespace)
        self.manager.remove_association(req.context, namespace, resource_type)


class Objects:
    def __init__(self):
        self.manager = metadefs.get()

    def delete_all(self, req, namespace):
        authz.namespace(req, 'delete_metadef_object', namespace)
        self.manager.delete_contents(req.context, namespace, 'objects')

    def index(self, req, namespace):
        authz.namespace(req, 'get_metadef_objects', namespace)
        limit, marker, sort = _paging(req)
        rows = self.manager.list_objects(req.context, namespace, limit, marker,
                                         sort)
        items = [_object_view(namespace, r) for r in rows]
        out = {'objects': items, 'schema': '/v2/schemas/metadefs/objects'}
        nxt = _next(req, '%s/%s/objects' % (BASE, _quote(namespace)), items,
                    limit, 'name')
        if nxt:
            out['next'] = nxt
        return out

    @wsgi.response(201)
    def create(self, req, namespace):
        authz.namespace(req, 'add_metadef_object', namespace)
        body = _body(req, schemas.object_schema())
        return _object_view(namespace, self.manager.create_object(
            req.context, namespace, body))

    def show(self, req, namespace, object_name):
        authz.namespace(req, 'get_metadef_object', namespace)
        return _object_view(namespace, self.manager.get_object(
            req.context, namespace, object_name))

    def update(self, req, namespace, object_name):
        authz.namespace(req, 'modify_metadef_object', namespace)
        body = _body(req, schemas.object_schema())
        return _object_view(namespace, self.manager.update_object(
            req.context, namespace, object_name, body))

    def delete(self, req, namespace, object_name):
        authz.namespace(req, 'delete_metadef_object', namespace)
        self.manager.delete_object(req.context, namespace, object_name)


class Properties:
    def __init__(self):
        self.manager = metadefs.get()

    def delete_all(self, req, namespace):
        authz.namespace(req, 'remove_metadef_property', namespace)
        self.manager.delete_contents(req.context, namespace, 'properties')

    def index(self, req, namespace):
        authz.namespace(req, 'get_metadef_properties', namespace)
        return {'properties': self.manager.list_properties(req.context, namespace),
                'schema': '/v2/schemas/metadefs/properties'}

    @wsgi.response(201)
    def create(self, req, namespace):
        authz.namespace(req, 'add_metadef_property', namespace)
        body = _body(req, schemas.property_schema())
        return self.manager.create_property(req.context, namespace, body)

    def show(self, req, namespace, property_name):
        authz.namespace(req, 'get_metadef_property', namespace)
        return self.manager.get_property(req.context, namespace, property_name,
                                         req.GET.get('resource_type'))

    def update(self, req, namespace, property_name):
        authz.namespace(req, 'modify_metadef_property', namespace)
        body = _body(req, schemas.property_schema())
        return self.manager.update_property(req.context, namespace,
                                            property_name, body)

    def delete(self, req, namespace, property_name):
        authz.namespace(req, 'remove_metadef_property', namespace)
        self.manager.delete_property(req.context, namespace, property_name)


class Tags:
    def __init__(self):
        self.manager = metadefs.get()

    def delete_all(self, req, namespace):
        authz.namespace(req, 'delete_metadef_tags', namespace)
        self.manager.delete_contents(req.context, namespace, 'tags')

    def index(self, req, namespace):
        authz.namespace(req, 'get_metadef_tags', namespace)
        limit, marker, sort = _paging(req)
        rows = self.manager.list_tags(req.context, namespace, limit, marker, sort)
        return {'tags': [_tag_view(r) for r in rows]}

    @wsgi.response(201)
    def create_many(self, req, namespace):
        authz.namespace(req, 'add_metadef_tags', namespace)
        schema = {'type': 'object', 'required': ['tags'],
                  'additionalProperties': False,
                  'properties': {'tags': schemas.tags_schema()['properties']['tags']}}
        body = _body(req, schema)
        append = req.headers.get('X-Openstack-Append', '').strip().lower() in (
            'true', '1', 'yes', 'on')
        names = self.manager.create_tags(
            req.context, namespace, [t['name'] for t in body['tags']], append)
        return {'tags': [{'name': n} for n in names]}

    @wsgi.response(201)
    def create(self, req, namespace, tag_name):
        authz.namespace(req, 'add_metadef_tag', namespace)
        validation.validate(schemas.tag_schema(), {'name': tag_name})
        return _tag_view(self.manager.create_tag(req.context, namespace, tag_name))

    def show(self, req, namespace, tag_name):
        authz.namespace(req, 'get_metadef_tag', namespace)
        return _tag_view(self.manager.get_tag(req.context, namespace, tag_name))

    def update(self, req, namespace, tag_name):
        authz.namespace(req, 'modify_metadef_tag', namespace)
        body = _body(req, schemas.tag_schema())
        return _tag_view(self.manager.update_tag(req.context, namespace, tag_name,
                                                 body['name']))

    def delete(self, req, namespace, tag_name):
        authz.namespace(req, 'delete_metadef_tag', namespace)
        self.manager.delete_tag(req.context, namespace, tag_name)


def connect(router):
    """Add the metadefs routes (and their schemas) to the Image API's router."""
    ns = Namespaces()
    router.connect(BASE, ns, GET='index', POST='create')
    router.connect(BASE + '/{namespace}', ns, GET='show', PUT='update',
                   DELETE='delete')

    rt = ResourceTypes()
    router.connect('/v2/metadefs/resource_types', rt, GET='index')
    router.connect(BASE + '/{namespace}/resource_types', rt, GET='associations',
                   POST='associate')
    router.connect(BASE + '/{namespace}/resource_types/{resource_type}', rt,
                   DELETE='dissociate')

    obj = Objects()
    router.connect(BASE + '/{namespace}/objects', obj, GET='index',
                   POST='create', DELETE='delete_all')
    router.connect(BASE + '/{namespace}/objects/{object_name}', obj, GET='show',
                   PUT='update', DELETE='delete')

    prop = Properties()
    router.connect(BASE + '/{namespace}/properties', prop, GET='index',
                   POST='create', DELETE='delete_all')
    router.connect(BASE + '/{namespace}/properties/{property_name}', prop,
                   GET='show', PUT='update', DELETE='delete')

    tag = Tags()
    router.connect(BASE + '/{namespace}/tags', tag, GET='index',
                   POST='create_many', DELETE='delete_all')
    router.connect(BASE + '/{namespace}/tags/{tag_name}', tag, GET='show',
                   POST='create', PUT='update', DELETE='delete')

    sch = schemas.MetadefSchemas()
    router.connect('/v2/schemas/metadefs/{name}', sch, GET='show')
