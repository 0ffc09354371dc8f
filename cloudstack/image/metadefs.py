"""Metadata definitions (metadefs): the catalog of properties, objects and tags
that images, volumes, flavors and servers may carry.

A namespace groups definitions; it is public or private to its owner's
project, and a protected one cannot be deleted (nor can its contents).
Resource types are the kinds of resources a namespace applies to; the ones an
OpenStack cloud ships are seeded lazily, on the first use of the catalog by a
process (one SELECT; missing rows are inserted), so every database gets them
whatever created its schema, without a data migration.

Records come back as plain dicts; the API layer shapes them. Reads hide other
projects' private namespaces (404, as for a missing one). Who may do what is
decided before, in the API, by policy (by default only an admin writes).
"""
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from cloudstack import exception
from cloudstack.api import common
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.image import models

SHIPPED_RESOURCE_TYPES = ('OS::Glance::Image', 'OS::Cinder::Volume',
                          'OS::Nova::Flavor', 'OS::Nova::Aggregate',
                          'OS::Nova::Server', 'OS::Trove::Instance')
VISIBILITIES = ('public', 'private')
# Columns never NULL, so keyset pagination over them loses no row.
NAMESPACE_SORT_KEYS = ('created_at', 'updated_at', 'namespace', 'visibility',
                       'protected')
CONTENT_SORT_KEYS = ('created_at', 'updated_at', 'name')
NAMESPACE_FIELDS = ('namespace', 'display_name', 'description', 'visibility',
                    'protected', 'owner')

NS = models.MetadefNamespace
RT = models.MetadefResourceType
ASSOC = models.MetadefNamespaceResourceType
OBJ = models.MetadefObject
PROP = models.MetadefProperty
TAG = models.MetadefTag
CONTENTS = {'objects': OBJ, 'properties': PROP, 'tags': TAG}


def _assoc_record(assoc, rt_name):
    return {'name': rt_name, 'prefix': assoc.prefix,
            'properties_target': assoc.properties_target,
            'created_at': assoc.created_at, 'updated_at': assoc.updated_at}


def _object_record(obj):
    return {'name': obj.name, 'description': obj.description,
            'required': list(obj.required or []),
            'properties': dict(obj.properties or {}),
            'created_at': obj.created_at, 'updated_at': obj.updated_at}


def _property_record(prop):
    return dict(prop.definition or {}, name=prop.name)


def _tag_record(tag):
    return {'name': tag.name, 'created_at': tag.created_at,
            'updated_at': tag.updated_at}


def _namespace_record(ns):
    rec = {k: getattr(ns, k) for k in NAMESPACE_FIELDS}
    rec['created_at'] = ns.created_at
    rec['updated_at'] = ns.updated_at
    return rec


class Manager:

    def __init__(self):
        self._seeded_engine = None

    # -- resource types --------------------------------------------------

    def _seed(self):
        """Insert the shipped resource types missing from this database."""
        engine = db_api.get_engine()
        if self._seeded_engine is engine:
            return
        with db_api.reader() as session:
            have = set(session.scalars(sa.select(RT.name)))
        missing = [n for n in SHIPPED_RESOURCE_TYPES if n not in have]
        if missing:
            try:
                with db_api.writer() as session:
                    have = set(session.scalars(sa.select(RT.name)))
                    now = utcnow()
                    for name in missing:
                        if name not in have:
                            session.add(RT(name=name, protected=True,
                                           created_at=now, updated_at=now))
            except sa_exc.IntegrityError:
                pass    # another process seeded them at the same moment
        self._seeded_engine = engine

    def list_resource_types(self, ctx):
        self._seed()
        with db_api.reader() as session:
            rows = session.scalars(sa.select(RT).order_by(RT.name))
            return [{'name': r.name, 'created_at': r.created_at,
                     'updated_at': r.updated_at} for r in rows]

    # -- namespaces: lookups ----------------------------------------------

    @staticmethod
    def _visible(ctx, ns):
        return (ctx.all_projects or ns.visibility == 'public'
                or (ns.owner is not None and ns.owner == ctx.project_id))

    def _namespace(self, session, ctx, name, lock=False):
        """The namespace row `ctx` may see, else 404."""
        stmt = sa.select(NS).where(NS.namespace == name)
        if lock and not db_api.is_sqlite():
            stmt = stmt.with_for_update()
        ns = session.scalars(stmt).first()
        if ns is None or not self._visible(ctx, ns):
            raise exception.NotFound(
                'Metadata definition namespace=%s was not found.' % name)
        return ns

    def policy_target(self, ctx, name):
        """What the API checks its rules against ({'owner', 'visibility'} of
        the namespace), or 404 when the caller cannot see it."""
        with db_api.reader() as session:
            ns = self._namespace(session, ctx, name)
            return {'owner': ns.owner or '', 'visibility': ns.visibility}

    def _locked(self, session, ctx, name):
        """The namespace a write works on, locked until the transaction ends
        (PostgreSQL; SQLite's writers are serialized already)."""
        return self._namespace(session, ctx, name, lock=True)

    def _associations(self, session, ns_ids):
        out = {i: [] for i in ns_ids}
        if ns_ids:
            rows = session.execute(
                sa.select(ASSOC, RT.name).join(RT, RT.id == ASSOC.resource_type_id)
                .where(ASSOC.namespace_id.in_(ns_ids)).order_by(RT.name))
            for assoc, rt_name in rows:
                out[assoc.namespace_id].append(_assoc_record(assoc, rt_name))
        return out

    # -- namespaces --------------------------------------------------------

    def create_namespace(self, ctx, body):
        owner = body.get('owner') or ctx.project_id
        self._seed()
        name = body['namespace']
        now = utcnow()
        with db_api.writer() as session:
            if session.scalars(sa.select(NS.id).where(NS.namespace == name)).first():
                raise exception.Conflict(
                    'Namespace %s already exists.' % name)
            ns = NS(namespace=name, display_name=body.get('display_name'),
                    description=body.get('description'),
                    visibility=body.get('visibility', 'private'),
                    protected=body.get('protected', False), owner=owner,
                    created_at=now, updated_at=now)
            session.add(ns)
            self._flush(session, 'Namespace %s already exists.' % name)
            for assoc in body.get('resource_type_associations') or []:
                self._insert_association(session, ns, assoc, now)
            for prop_name, definition in (body.get('properties') or {}).items():
                self._insert_property(session, ns, prop_name, definition, now)
            for obj in body.get('objects') or []:
                self._insert_object(session, ns, obj, now)
            names = [t['name'] for t in body.get('tags') or []]
            self._insert_tags(session, ns, names, now)
            return self._detail(session, ns)

    def _flush(self, session, conflict_message):
        try:
            session.flush()
        except sa_exc.IntegrityError:
            raise exception.Conflict(conflict_message)

    def _detail(self, session, ns, resource_type=None):
        rec = _namespace_record(ns)
        rec['resource_type_associations'] = self._associations(
            session, [ns.id])[ns.id]
        prefix = ''
        if resource_type:
            for assoc in rec['resource_type_associations']:
                if assoc['name'] == resource_type:
                    prefix = assoc['prefix'] or ''
        rec['properties'] = {
            prefix + p.name: dict(p.definition or {})
            for p in session.scalars(sa.select(PROP).where(
                PROP.namespace_id == ns.id).order_by(PROP.name))}
        rec['objects'] = []
        for obj in session.scalars(sa.select(OBJ).where(
                OBJ.namespace_id == ns.id).order_by(OBJ.name)):
            o = _object_record(obj)
            o['properties'] = {prefix + k: v for k, v in o['properties'].items()}
            o['required'] = [prefix + k for k in o['required']]
            rec['objects'].append(o)
        rec['tags'] = [_tag_record(t) for t in session.scalars(
            sa.select(TAG).where(TAG.namespace_id == ns.id).order_by(TAG.name))]
        return rec

    def get_namespace(self, ctx, name, resource_type=None):
        with db_api.reader() as session:
            ns = self._namespace(session, ctx, name)
            return self._detail(session, ns, resource_type)

    def list_namespaces(self, ctx, filters, limit, marker, sort):
        for key, _ in sort:
            if key not in NAMESPACE_SORT_KEYS:
                raise exception.BadRequest('Invalid sort key %s' % key)
        with db_api.reader() as session:
            stmt = sa.select(NS)
            if not ctx.all_projects:
                stmt = stmt.where(sa.or_(NS.visibility == 'public',
                                         NS.owner == ctx.project_id))
            visibility = filters.get('visibility')
            if visibility is not None:
                if visibility not in VISIBILITIES:
                    raise exception.BadRequest(
                        'Invalid visibility value: %s' % visibility)
                stmt = stmt.where(NS.visibility == visibility)
            types = filters.get('resource_types')
            if types:
                stmt = stmt.where(NS.id.in_(
                    sa.select(ASSOC.namespace_id).join(
                        RT, RT.id == ASSOC.resource_type_id)
                    .where(RT.name.in_(types))))
            marker_row = None
            if marker is not None:
                marker_row = self._namespace(session, ctx, marker)
            stmt = common.paginate(stmt, NS, limit, marker_row, sort)
            rows = list(session.scalars(stmt))
            assocs = self._associations(session, [r.id for r in rows])
            out = []
            for ns in rows:
                rec = _namespace_record(ns)
                rec['resource_type_associations'] = assocs[ns.id]
                out.append(rec)
            return out

    def update_namespace(self, ctx, name, body):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            new_name = body.get('namespace', ns.namespace)
            if new_name != ns.namespace and session.scalars(
                    sa.select(NS.id).where(NS.namespace == new_name)).first():
                raise exception.Conflict('Namespace %s already exists.' % new_name)
            for key in NAMESPACE_FIELDS:
                if key in body:
                    setattr(ns, key, body[key])
            ns.updated_at = utcnow()
            self._flush(session, 'Namespace %s already exists.' % new_name)
            return self._detail(session, ns)

    def delete_namespace(self, ctx, name):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            self._check_unprotected(ns)
            for model in (ASSOC, OBJ, PROP, TAG):
                session.execute(sa.delete(model).where(
                    model.namespace_id == ns.id))
            session.delete(ns)

    @staticmethod
    def _check_unprotected(ns):
        """A protected namespace keeps itself and all it holds."""
        if ns.protected:
            raise exception.Forbidden(
                'Metadata definition namespace %s is protected: neither it nor '
                'its contents can be deleted.' % ns.namespace)

    def delete_contents(self, ctx, name, kind):
        """Delete every object, property or tag (`kind`) of a namespace."""
        model = CONTENTS[kind]
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            self._check_unprotected(ns)
            session.execute(sa.delete(model).where(model.namespace_id == ns.id))

    # -- resource type associations --------------------------------------

    def _insert_association(self, session, ns, body, now):
        # As Glance: associating an unknown resource type creates it (unprotected).
        rt = session.scalars(sa.select(RT).where(RT.name == body['name'])).first()
        if rt is None:
            rt = RT(name=body['name'], protected=False, created_at=now, updated_at=now)
            session.add(rt)
            self._flush(session, 'Resource type %s was created at the same moment; '
                                 'try again.' % body['name'])
        if session.get(ASSOC, (ns.id, rt.id)) is not None:
            raise exception.Conflict(
                'Resource type %s is already associated with namespace %s.' % (
                    rt.name, ns.namespace))
        assoc = ASSOC(namespace_id=ns.id, resource_type_id=rt.id,
                      prefix=body.get('prefix'),
                      properties_target=body.get('properties_target'),
                      created_at=now, updated_at=now)
        session.add(assoc)
        self._flush(session, 'Resource type %s is already associated with '
                             'namespace %s.' % (rt.name, ns.namespace))
        return _assoc_record(assoc, rt.name)

    def list_associations(self, ctx, name):
        with db_api.reader() as session:
            ns = self._namespace(session, ctx, name)
            return self._associations(session, [ns.id])[ns.id]

    def add_association(self, ctx, name, body):
        self._seed()
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            return self._insert_association(session, ns, body, utcnow())

    def remove_association(self, ctx, name, rt_name):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            self._check_unprotected(ns)
            rt = session.scalars(sa.select(RT).where(RT.name == rt_name)).first()
            assoc = rt and session.get(ASSOC, (ns.id, rt.id))
            if assoc is None:
                raise exception.NotFound(
                    'Resource type %s is not associated with namespace %s.' % (
                        rt_name, name))
            session.delete(assoc)

    # -- objects, properties, tags: shared ---------------------------------

    def _content(self, session, ns, model, name, what):
        row = session.scalars(sa.select(model).where(
            model.namespace_id == ns.id, model.name == name)).first()
        if row is None:
            raise exception.NotFound(
                'Metadata definition %s=%s was not found in namespace=%s.' % (
                    what, name, ns.namespace))
        return row

    def _check_free(self, session, ns, model, name, what):
        if session.scalars(sa.select(model.id).where(
                model.namespace_id == ns.id, model.name == name)).first():
            raise exception.Conflict(
                'A metadata definition %s with name=%s already exists in '
                'namespace=%s.' % (what, name, ns.namespace))

    def _list_contents(self, session, ns, model, limit=None, marker=None,
                       sort=(('name', 'asc'),), what=''):
        for key, _ in sort:
            if key not in CONTENT_SORT_KEYS:
                raise exception.BadRequest('Invalid sort key %s' % key)
        stmt = sa.select(model).where(model.namespace_id == ns.id)
        marker_row = None
        if marker is not None:
            marker_row = self._content(session, ns, model, marker, what)
        return list(session.scalars(common.paginate(stmt, model, limit,
                                                    marker_row, sort)))

    # -- objects -----------------------------------------------------------

    def _insert_object(self, session, ns, body, now):
        self._check_free(session, ns, OBJ, body['name'], 'object')
        obj = OBJ(namespace_id=ns.id, name=body['name'],
                  description=body.get('description'),
                  required=list(body.get('required') or []),
                  properties=dict(body.get('properties') or {}),
                  created_at=now, updated_at=now)
        session.add(obj)
        self._flush(session, 'Object %s already exists.' % body['name'])
        return _object_record(obj)

    def list_objects(self, ctx, name, limit=None, marker=None,
                     sort=(('created_at', 'desc'),)):
        with db_api.reader() as session:
            ns = self._namespace(session, ctx, name)
            return [_object_record(o) for o in self._list_contents(
                session, ns, OBJ, limit, marker, sort, 'object')]

    def create_object(self, ctx, name, body):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            return self._insert_object(session, ns, body, utcnow())

    def get_object(self, ctx, name, object_name):
        with db_api.reader() as session:
            ns = self._namespace(session, ctx, name)
            return _object_record(self._content(session, ns, OBJ, object_name,
                                                'object'))

    def update_object(self, ctx, name, object_name, body):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            obj = self._content(session, ns, OBJ, object_name, 'object')
            if body['name'] != obj.name:
                self._check_free(session, ns, OBJ, body['name'], 'object')
            obj.name = body['name']
            obj.description = body.get('description')
            obj.required = list(body.get('required') or [])
            obj.properties = dict(body.get('properties') or {})
            obj.updated_at = utcnow()
            self._flush(session, 'Object %s already exists.' % body['name'])
            return _object_record(obj)

    def delete_object(self, ctx, name, object_name):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            self._check_unprotected(ns)
            session.delete(self._content(session, ns, OBJ, object_name, 'object'))

    # -- properties --------------------------------------------------------

    def _insert_property(self, session, ns, prop_name, definition, now):
        self._check_free(session, ns, PROP, prop_name, 'property')
        definition = {k: v for k, v in definition.items() if k != 'name'}
        prop = PROP(namespace_id=ns.id, name=prop_name, definition=definition,
                    created_at=now, updated_at=now)
        session.add(prop)
        self._flush(session, 'Property %s already exists.' % prop_name)
        return _property_record(prop)

    def list_properties(self, ctx, name):
        with db_api.reader() as session:
            ns = self._namespace(session, ctx, name)
            return {p.name: dict(p.definition or {}) for p in
                    self._list_contents(session, ns, PROP, what='property')}

    def create_property(self, ctx, name, body):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            return self._insert_property(session, ns, body['name'], body, utcnow())

    def get_property(self, ctx, name, prop_name, resource_type=None):
        with db_api.reader() as session:
            ns = self._namespace(session, ctx, name)
            if resource_type:
                assoc = next((a for a in self._associations(session, [ns.id])[ns.id]
                              if a['name'] == resource_type), None)
                if assoc is None:
                    raise exception.NotFound(
                        'Resource type %s is not associated with namespace %s.'
                        % (resource_type, name))
                prefix = assoc['prefix'] or ''
                if prefix:
                    if not prop_name.startswith(prefix):
                        raise exception.NotFound(
                            "Property %s does not start with the expected resource "
                            "type association prefix of '%s'." % (prop_name, prefix))
                    prop_name = prop_name[len(prefix):]
            return _property_record(self._content(session, ns, PROP, prop_name,
                                                  'property'))

    def update_property(self, ctx, name, prop_name, body):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            prop = self._content(session, ns, PROP, prop_name, 'property')
            if body['name'] != prop.name:
                self._check_free(session, ns, PROP, body['name'], 'property')
            prop.name = body['name']
            prop.definition = {k: v for k, v in body.items() if k != 'name'}
            prop.updated_at = utcnow()
            self._flush(session, 'Property %s already exists.' % body['name'])
            return _property_record(prop)

    def delete_property(self, ctx, name, prop_name):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            self._check_unprotected(ns)
            session.delete(self._content(session, ns, PROP, prop_name, 'property'))

    # -- tags --------------------------------------------------------------

    def _insert_tags(self, session, ns, names, now):
        seen = set()
        for tag_name in names:
            if tag_name in seen:
                raise exception.Conflict(
                    'Duplicate tag %s in the request.' % tag_name)
            seen.add(tag_name)
            self._check_free(session, ns, TAG, tag_name, 'tag')
            session.add(TAG(namespace_id=ns.id, name=tag_name, created_at=now,
                            updated_at=now))
        self._flush(session, 'A tag of the request already exists.')

    def list_tags(self, ctx, name, limit=None, marker=None,
                  sort=(('created_at', 'desc'),)):
        with db_api.reader() as session:
            ns = self._namespace(session, ctx, name)
            return [_tag_record(t) for t in self._list_contents(
                session, ns, TAG, limit, marker, sort, 'tag')]

    def create_tag(self, ctx, name, tag_name):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            self._insert_tags(session, ns, [tag_name], utcnow())
            return _tag_record(self._content(session, ns, TAG, tag_name, 'tag'))

    def create_tags(self, ctx, name, tag_names, append=False):
        """Set the namespace's tags to `tag_names`, or add them (`append`)."""
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            if not append:
                session.execute(sa.delete(TAG).where(TAG.namespace_id == ns.id))
            self._insert_tags(session, ns, tag_names, utcnow())
            return list(tag_names)

    def get_tag(self, ctx, name, tag_name):
        with db_api.reader() as session:
            ns = self._namespace(session, ctx, name)
            return _tag_record(self._content(session, ns, TAG, tag_name, 'tag'))

    def update_tag(self, ctx, name, tag_name, new_name):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            tag = self._content(session, ns, TAG, tag_name, 'tag')
            if new_name != tag.name:
                self._check_free(session, ns, TAG, new_name, 'tag')
            tag.name = new_name
            tag.updated_at = utcnow()
            self._flush(session, 'Tag %s already exists.' % new_name)
            return _tag_record(tag)

    def delete_tag(self, ctx, name, tag_name):
        with db_api.writer() as session:
            ns = self._locked(session, ctx, name)
            self._check_unprotected(ns)
            session.delete(self._content(session, ns, TAG, tag_name, 'tag'))


_manager = None


def get():
    global _manager
    if _manager is None:
        _manager = Manager()
    return _manager
