"""/v3/projects: projects, their hierarchy and tags."""
import webob

from cloudstack.api import common as api_common
from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack.conf import CONF
from cloudstack import exception
from cloudstack.identity.api import common
from cloudstack.identity import manager
from cloudstack.identity import models

NAME = {'type': 'string', 'minLength': 1, 'maxLength': 64, 'pattern': r'\S'}
TAG = {'type': 'string', 'minLength': 1, 'maxLength': 255, 'pattern': '^[^,/]*$'}
TAGS = {'type': 'array', 'items': TAG, 'maxItems': 80, 'uniqueItems': True}
OPTIONS = {'type': 'object', 'additionalProperties': False,
           'properties': {'immutable': {'type': ['boolean', 'null']}}}
# What projects and domains share; unknown attributes are kept as extras.
ATTRS = {'name': NAME, 'description': validation.DESCRIPTION,
         'enabled': validation.BOOLEAN, 'options': OPTIONS, 'tags': TAGS}


def entity_body(key, required=(), **extra_props):
    """A {key: {...}} request body schema over ATTRS."""
    inner = {'type': 'object', 'properties': dict(ATTRS, **extra_props)}
    if required:
        inner['required'] = list(required)
    else:
        inner['minProperties'] = 1
    return {'type': 'object', 'required': [key], 'properties': {key: inner}}


HIERARCHY = {'domain_id': validation.NULLABLE_ID, 'parent_id': validation.NULLABLE_ID,
             'is_domain': validation.BOOLEAN}
CREATE = entity_body('project', ('name',), **HIERARCHY)
UPDATE = entity_body('project', **HIERARCHY)
TAGS_BODY = {'type': 'object', 'required': ['tags'], 'properties': {'tags': TAGS}}
FILTERS = ('name', 'enabled', 'domain_id', 'parent_id')


def mgr():
    return manager.get()


def scope_domain_id(req):
    """The domain a new entity lands in when the request names none: the
    token's domain, else its project's domain, else the default domain."""
    ctx = req.context
    return (ctx and (ctx.domain_id or ctx.project_domain_id)) or \
        CONF.identity.default_domain_id


def matching_id(entity, entity_id):
    """Keystone rejects a body whose id differs from the URL's."""
    if 'id' in entity:
        if entity.pop('id') != entity_id:
            raise exception.ValidationError('Cannot change the ID.')
    return entity


def filter_views(req, views, names):
    """Exact-match query filters applied to rendered entities."""
    for name in names:
        if name in req.GET:
            value = req.GET[name]
            if name == 'enabled':
                value = api_common.bool_param(value)
            views = [v for v in views if v.get(name) == value]
    return views


class Projects:
    def index(self, req):
        common.authorize(req, 'identity:list_projects', **common.list_target(req))
        is_domain = req.GET.get('is_domain')
        domain_id = req.context.domain_id

        def query(stmt):
            stmt = common.apply_filters(req, stmt, models.Project, FILTERS)
            if domain_id:
                stmt = stmt.where(models.Project.domain_id == domain_id)
            return stmt
        items, truncated = mgr().list_projects(
            query=query,
            is_domain=False if is_domain is None else api_common.bool_param(is_domain),
            **{k.replace('-', '_'): req.GET[k] for k in
               ('tags', 'tags-any', 'not-tags', 'not-tags-any') if k in req.GET})
        return common.collection(req, 'projects', items, '/v3/projects', truncated)

    @wsgi.response(201)
    @validation.body(CREATE)
    def create(self, req, body):
        project = dict(body['project'])
        project.pop('id', None)
        common.authorize(req, 'identity:create_project', project=dict(project))
        if not project.get('is_domain') and not project.get('domain_id') \
                and not project.get('parent_id'):
            project['domain_id'] = scope_domain_id(req)
        return {'project': common.entity(req, '/v3/projects', mgr().create_project(project))}

    def show(self, req, project_id):
        common.authorize(req, 'identity:get_project', project=common.lookup('project', project_id))
        project = mgr().get_project(project_id)
        get = req.GET
        flags = {k: api_common.bool_param(get[k]) if k in get and get[k] != '' else k in get
                 for k in ('parents_as_list', 'parents_as_ids',
                           'subtree_as_list', 'subtree_as_ids')}
        for kind in ('parents', 'subtree'):
            as_list, as_ids = flags[kind + '_as_list'], flags[kind + '_as_ids']
            if as_list and as_ids:
                raise exception.ValidationError(
                    'Cannot use %s_as_list and %s_as_ids query params at the same '
                    'time.' % (kind, kind))
            if as_list:
                project[kind] = self._visible(req, kind, project_id)
            elif as_ids:
                project[kind] = self._as_ids(kind, project)
        return {'project': common.entity(req, '/v3/projects', project)}

    @staticmethod
    def _visible(req, kind, project_id):
        """Parents or subtree, limited (as Keystone does) to the projects the
        caller has a role on."""
        items = getattr(mgr(), 'project_' + kind)(project_id)
        user_id = req.context.user_id
        allowed = {p['id'] for p in mgr().list_user_projects(user_id)} if user_id else set()
        return [{'project': common.entity(req, '/v3/projects', p)}
                for p in items if p['id'] in allowed]

    @staticmethod
    def _as_ids(kind, project):
        """Nested {id: {...} | None} of parents (upwards) or the subtree."""
        if kind == 'parents':
            nested = None
            for parent in reversed(mgr().project_parents(project['id'])):
                nested = {parent['id']: nested}
            return nested
        children = {}
        for item in mgr().project_subtree(project['id']):
            children.setdefault(item['parent_id'], []).append(item['id'])

        def walk(pid):
            kids = children.get(pid)
            return {kid: walk(kid) for kid in kids} if kids else None
        return walk(project['id'])

    @validation.body(UPDATE)
    def update(self, req, project_id, body):
        common.authorize(req, 'identity:update_project', project=common.lookup('project', project_id))
        project = matching_id(dict(body['project']), project_id)
        return {'project': common.entity(
            req, '/v3/projects', mgr().update_project(project_id, project))}

    def delete(self, req, project_id):
        common.authorize(req, 'identity:delete_project', project=common.lookup('project', project_id))
        mgr().delete_project(project_id)


class Tags:
    @staticmethod
    def _body(req, tags):
        return {'tags': tags, 'links': {'self': req.path_url}}

    def index(self, req, project_id):
        common.authorize(req, 'identity:list_project_tags', project=common.lookup('project', project_id))
        return self._body(req, mgr().list_project_tags(project_id))

    @validation.body(TAGS_BODY)
    def replace(self, req, project_id, body):
        common.authorize(req, 'identity:update_project_tags', project=common.lookup('project', project_id))
        return self._body(req, mgr().set_project_tags(project_id, body['tags']))

    def delete_all(self, req, project_id):
        common.authorize(req, 'identity:delete_project_tags', project=common.lookup('project', project_id))
        mgr().set_project_tags(project_id, [])

    def check(self, req, project_id, tag):
        common.authorize(req, 'identity:get_project_tag', project=common.lookup('project', project_id))
        mgr().check_project_tag(project_id, tag)

    def add(self, req, project_id, tag):
        common.authorize(req, 'identity:create_project_tag', project=common.lookup('project', project_id))
        mgr().add_project_tag(project_id, tag)
        resp = webob.Response(status=201, content_type=None)
        resp.headers['Location'] = common.url(
            req, '/v3/projects/%s/tags/%s' % (project_id, tag))
        return resp

    def delete(self, req, project_id, tag):
        common.authorize(req, 'identity:delete_project_tag', project=common.lookup('project', project_id))
        mgr().delete_project_tag(project_id, tag)


def add_routes(router):
    projects, tags = Projects(), Tags()
    router.connect('/v3/projects', projects, GET='index', POST='create')
    router.connect('/v3/projects/{project_id}', projects,
                   GET='show', PATCH='update', DELETE='delete')
    router.connect('/v3/projects/{project_id}/tags', tags,
                   GET='index', PUT='replace', DELETE='delete_all')
    router.connect('/v3/projects/{project_id}/tags/{tag}', tags,
                   GET='check', PUT='add', DELETE='delete')
