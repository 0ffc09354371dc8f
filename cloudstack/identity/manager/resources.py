"""Domains and projects (one hierarchy, as in Keystone) and project tags.

A domain is a `projects` row with is_domain set and domain_id ROOT_DOMAIN; a
top-level project's parent is its domain, so the domain is part of every
project's chain of parents but never counted as one of its projects.
"""
import collections

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.db.models import new_id
from cloudstack import exception
from cloudstack.identity import models
from cloudstack.identity.manager import base

# How many levels of projects a domain may hold (Keystone's
# max_project_tree_depth default); a [identity] option may replace it.
MAX_PROJECT_TREE_DEPTH = 5
MAX_TAGS = 80
MAX_TAG_LENGTH = 255

P = models.Project
DOMAIN_ATTRS = ('name', 'description', 'enabled', 'options', 'tags')
PROJECT_ATTRS = DOMAIN_ATTRS + ('domain_id', 'parent_id', 'is_domain')
TAG_FILTERS = ('tags', 'tags_any', 'not_tags', 'not_tags_any')


def domain_view(row, tags=None):
    """The API entity of an ORM row, or of a plain row with its `tags` given."""
    return base.with_extra({
        'id': row.id, 'name': row.name, 'description': row.description,
        'enabled': row.enabled,
        'tags': sorted(t.name for t in row.tags) if tags is None else tags,
        'options': dict(row.options or {})}, row.extra)


def project_view(row, tags=None):
    view = domain_view(row, tags)
    view.update(is_domain=row.is_domain, parent_id=row.parent_id,
                domain_id=None if row.is_domain else row.domain_id)
    return view


def check_tag(tag):
    if (not isinstance(tag, str) or not 0 < len(tag) <= MAX_TAG_LENGTH
            or '/' in tag or ',' in tag):
        raise exception.ValidationError(
            'Invalid project tag %r: tags are 1 to %d characters without '
            "'/' or ','." % (tag, MAX_TAG_LENGTH))


def check_tags(tags):
    for tag in tags:
        check_tag(tag)
    if len(tags) > MAX_TAGS:
        raise exception.ValidationError('A project has at most %d tags.' % MAX_TAGS)
    if len(set(tags)) != len(tags):
        raise exception.ValidationError('Project tags must be unique.')


def _set_tags(row, tags):
    check_tags(tags)
    row.tags = [t for t in row.tags if t.name in tags]
    have = {t.name for t in row.tags}
    row.tags.extend(models.ProjectTag(name=t) for t in tags if t not in have)


def _check_mutable(row, changes=None):
    """Keystone's `immutable` option: only turning it off is allowed."""
    if not (row.options or {}).get('immutable'):
        return
    if changes is not None and set(changes) <= {'options'} and \
            (changes['options'] or {}).get('immutable') in (False, None):
        return
    kind = 'domain' if row.is_domain else 'project'
    raise exception.Forbidden('%s %s is immutable.' % (kind.capitalize(), row.id))


def _tag_filters(stmt, tags=None, tags_any=None, not_tags=None, not_tags_any=None):
    """Keystone's tags / tags-any / not-tags / not-tags-any (comma lists)."""
    def has(names):
        return sa.exists().where(models.ProjectTag.project_id == P.id,
                                 models.ProjectTag.name.in_(names))
    split = lambda v: [t for t in v.split(',') if t]  # noqa: E731
    if tags:
        stmt = stmt.where(*[has([t]) for t in split(tags)])
    if tags_any:
        stmt = stmt.where(has(split(tags_any)))
    if not_tags:
        stmt = stmt.where(~sa.and_(*[has([t]) for t in split(not_tags)]))
    if not_tags_any:
        stmt = stmt.where(~has(split(not_tags_any)))
    return stmt


def _run_list(session, stmt, view, limit):
    """(views, truncated) honouring [identity] list_limit.

    Lists read plain rows and their tags in a second query: building ORM
    objects cost more than the queries themselves."""
    limit = limit or CONF.identity.list_limit
    if limit:
        stmt = stmt.limit(limit + 1)
    stmt = stmt.with_only_columns(*P.__table__.columns).order_by(P.name, P.id)
    rows = session.execute(stmt).all()
    truncated = bool(limit) and len(rows) > limit
    rows = rows[:limit or None]
    tags = collections.defaultdict(list)
    if rows:
        for project_id, name in session.execute(
                sa.select(models.ProjectTag.project_id, models.ProjectTag.name)
                .where(models.ProjectTag.project_id.in_([r.id for r in rows]))
                .order_by(models.ProjectTag.name)):
            tags[project_id].append(name)
    return [view(r, tags[r.id]) for r in rows], truncated


def ancestors_cte(project_id):
    """(id, depth) of the project's parents, the parent at depth 1."""
    start = sa.select(P.parent_id.label('id'), sa.literal(1).label('depth')) \
        .where(P.id == project_id, P.parent_id.is_not(None)) \
        .cte('ancestors', recursive=True)
    return start.union_all(
        sa.select(P.parent_id, start.c.depth + 1)
        .where(P.id == start.c.id, P.parent_id.is_not(None)))


def subtree_cte(project_id):
    """(id, depth) of every project below `project_id`."""
    start = sa.select(P.id.label('id'), sa.literal(1).label('depth')) \
        .where(P.parent_id == project_id).cte('subtree', recursive=True)
    return start.union_all(
        sa.select(P.id, start.c.depth + 1).where(P.parent_id == start.c.id))


class Resources:
    # -- lookups other areas call (hot paths: one query each) ---------------
    def get_domain(self, domain_id):
        with self.read() as s:
            return domain_view(self._domain_row(s, domain_id))

    def find_domain_by_name(self, name):
        with self.read() as s:
            row = s.scalars(sa.select(P).where(
                P.domain_id == models.ROOT_DOMAIN, P.name == name)).first()
            if row is None:
                raise exception.NotFound('Could not find domain: %s.' % name)
            return domain_view(row)

    def get_project(self, project_id):
        with self.read() as s:
            return project_view(self.get_row(s, P, project_id, 'project'))

    def find_project(self, name, domain_id):
        with self.read() as s:
            row = s.scalars(sa.select(P).where(
                P.domain_id == domain_id, P.name == name,
                P.is_domain.is_(False))).first()
            if row is None:
                raise exception.NotFound('Could not find project: %s.' % name)
            return project_view(row)

    def project_ancestor_ids(self, project_id):
        """[parent, grandparent, ...] up to (not including) the domain."""
        anc = ancestors_cte(project_id)
        with self.read() as s:
            return list(s.scalars(
                sa.select(P.id).join(anc, P.id == anc.c.id)
                .where(P.is_domain.is_(False)).order_by(anc.c.depth)))

    def project_subtree_ids(self, project_id):
        sub = subtree_cte(project_id)
        with self.read() as s:
            return list(s.scalars(sa.select(sub.c.id).order_by(sub.c.depth, sub.c.id)))

    @staticmethod
    def _domain_row(session, domain_id):
        row = session.get(P, domain_id) if domain_id else None
        if row is None or not row.is_domain:
            raise exception.NotFound('Could not find domain: %s.' % domain_id)
        return row

    @staticmethod
    def _check_name_free(session, domain_id, name, kind, exclude=None):
        stmt = sa.select(P.id).where(P.domain_id == domain_id, P.name == name)
        if exclude:
            stmt = stmt.where(P.id != exclude)
        if session.scalar(stmt) is not None:
            where = '' if kind == 'domain' else ' within domain %s' % domain_id
            raise exception.Conflict(
                'Conflict occurred attempting to store %s - it is not permitted '
                'to have two %ss with the same name%s: %s.' % (kind, kind, where, name))

    # -- domains --------------------------------------------------------------
    def list_domains(self, query=None, limit=None):
        stmt = sa.select(P).where(P.is_domain.is_(True))
        if query:
            stmt = query(stmt)
        with self.read() as s:
            return _run_list(s, stmt, domain_view, limit)

    def create_domain(self, body):
        with self.write() as s:
            return domain_view(self._new_domain(s, body))

    def _new_domain(self, session, body):
        own, extra = base.split_extra(body, PROJECT_ATTRS)
        self._check_name_free(session, models.ROOT_DOMAIN, own['name'], 'domain')
        row = models.Project(
            id=new_id(), name=own['name'], description=own.get('description', ''),
            enabled=own.get('enabled', True), domain_id=models.ROOT_DOMAIN,
            parent_id=None, is_domain=True, options=own.get('options') or {},
            extra=extra)
        _set_tags(row, own.get('tags') or [])
        session.add(row)
        session.flush()
        return row

    def update_domain(self, domain_id, body):
        with self.write() as s:
            row = self._domain_row(s, domain_id)
            self._update(s, row, body)
            return domain_view(row)

    def delete_domain(self, domain_id):
        with self.write() as s:
            self._delete_domain(s, self._domain_row(s, domain_id))

    def _delete_domain(self, s, row):
        _check_mutable(row)
        if row.enabled:
            raise exception.Forbidden(
                'Cannot delete a domain that is enabled, please disable it first.')
        domain_id = row.id
        project_ids = s.scalars(sa.select(P.id).where(P.domain_id == domain_id)).all()
        for pid in project_ids:
            self.delete_assignments(s, target_id=pid)
            self.revoke_tokens(s, project_id=pid)
        s.execute(sa.delete(P).where(P.domain_id == domain_id))
        for model in (models.User, models.Group):
            for actor_id in s.scalars(sa.select(model.id).where(
                    model.domain_id == domain_id)).all():
                self.delete_assignments(s, actor_id=actor_id)
                if model is models.User:
                    self.revoke_tokens(s, user_id=actor_id)
            s.execute(sa.delete(model).where(model.domain_id == domain_id))
        s.execute(sa.delete(models.Role).where(models.Role.domain_id == domain_id))
        s.execute(sa.delete(models.DomainConfig).where(
            models.DomainConfig.domain_id == domain_id))
        self.delete_assignments(s, target_id=domain_id)
        self.revoke_tokens(s, domain_id=domain_id)
        s.delete(row)

    # -- projects -------------------------------------------------------------
    def list_projects(self, query=None, is_domain=False, limit=None, **tag_filters):
        stmt = sa.select(P)
        if is_domain is not None:
            stmt = stmt.where(P.is_domain.is_(bool(is_domain)))
        if query:
            stmt = query(stmt)
        stmt = _tag_filters(stmt, **{k: v for k, v in tag_filters.items()
                                     if k in TAG_FILTERS})
        with self.read() as s:
            return _run_list(s, stmt, project_view, limit)

    def create_project(self, body):
        """`body` is the request's project; domain_id already defaulted by the
        caller for regular projects (or taken from parent_id when absent)."""
        with self.write() as s:
            if body.get('is_domain'):
                if body.get('parent_id') or body.get('domain_id'):
                    raise exception.ValidationError(
                        'Only root projects are allowed to act as domains.')
                return project_view(self._new_domain(s, body))
            own, extra = base.split_extra(body, PROJECT_ATTRS)
            parent = None
            if own.get('parent_id'):
                parent = s.get(P, own['parent_id'])
                if parent is None:
                    raise exception.ValidationError(
                        'Could not find project: %s.' % own['parent_id'])
            domain_id = own.get('domain_id') or (
                parent and (parent.id if parent.is_domain else parent.domain_id))
            domain = s.get(P, domain_id) if domain_id else None
            if domain is None or not domain.is_domain:
                raise exception.ValidationError('Could not find domain: %s.' % domain_id)
            parent = parent or domain
            if (parent.id if parent.is_domain else parent.domain_id) != domain.id:
                raise exception.ValidationError(
                    'Cannot create project %s in domain %s under parent %s of '
                    'another domain.' % (own['name'], domain.id, parent.id))
            chain = [parent] + self._ancestor_rows(s, parent.id)
            for ref in chain:
                if not ref.enabled:
                    raise exception.ValidationError(
                        'Cannot create a project in a branch containing a '
                        'disabled project: %s' % ref.id)
            if sum(1 for ref in chain if not ref.is_domain) >= MAX_PROJECT_TREE_DEPTH:
                raise exception.Forbidden(
                    'Max hierarchy depth reached for %s branch.' % parent.id)
            self._check_name_free(s, domain.id, own['name'], 'project')
            row = models.Project(
                id=new_id(), name=own['name'], description=own.get('description', ''),
                enabled=own.get('enabled', True), domain_id=domain.id,
                parent_id=parent.id, is_domain=False,
                options=own.get('options') or {}, extra=extra)
            _set_tags(row, own.get('tags') or [])
            s.add(row)
            s.flush()
            return project_view(row)

    def update_project(self, project_id, body):
        with self.write() as s:
            row = self.get_row(s, P, project_id, 'project')
            current_domain = None if row.is_domain else row.domain_id
            if 'domain_id' in body and body['domain_id'] != current_domain:
                raise exception.ValidationError('Cannot change Domain ID.')
            if 'parent_id' in body and body['parent_id'] != row.parent_id:
                raise exception.Forbidden('Update of `parent_id` is not allowed.')
            if 'is_domain' in body and body['is_domain'] != row.is_domain:
                raise exception.ValidationError('Update of `is_domain` is not allowed.')
            body = {k: v for k, v in body.items()
                    if k not in ('domain_id', 'parent_id', 'is_domain')}
            self._update(s, row, body)
            return project_view(row)

    def _update(self, s, row, body):
        """Apply an update to a domain or project row (rules of both)."""
        own, extra = base.split_extra(body, DOMAIN_ATTRS)
        _check_mutable(row, body)
        kind = 'domain' if row.is_domain else 'project'
        if 'name' in own and own['name'] != row.name:
            name = own['name'].strip()
            self._check_name_free(s, row.domain_id, name, kind, exclude=row.id)
            row.name = name
        if 'description' in own:
            row.description = own['description']
        if 'options' in own:
            options = dict(row.options or {})
            options.update(own['options'] or {})
            row.options = {k: v for k, v in options.items() if v is not None}
        if 'tags' in own:
            _set_tags(row, own['tags'] or [])
        if 'enabled' in own and own['enabled'] != row.enabled:
            if own['enabled']:
                disabled = [r.id for r in self._ancestor_rows(s, row.id) if not r.enabled]
                if disabled:
                    raise exception.Forbidden(
                        'Cannot enable %s %s since it has disabled parents.' % (kind, row.id))
            else:
                if not row.is_domain:
                    sub = subtree_cte(row.id)
                    if s.scalar(sa.select(P.id).join(sub, P.id == sub.c.id)
                                .where(P.enabled.is_(True)).limit(1)):
                        raise exception.Forbidden(
                            'Cannot disable project %s since its subtree contains '
                            'enabled projects.' % row.id)
                self.revoke_tokens(s, **{'domain_id' if row.is_domain
                                         else 'project_id': row.id})
            row.enabled = own['enabled']
        if extra:
            row.extra = {**(row.extra or {}), **extra}
        s.flush()

    def delete_project(self, project_id):
        with self.write() as s:
            row = self.get_row(s, P, project_id, 'project')
            if row.is_domain:
                return self._delete_domain(s, row)
            _check_mutable(row)
            if s.scalar(sa.select(P.id).where(P.parent_id == row.id).limit(1)):
                raise exception.Forbidden(
                    'Cannot delete the project %s since it is not a leaf in the '
                    'hierarchy.' % row.id)
            self.delete_assignments(s, target_id=row.id)
            self.revoke_tokens(s, project_id=row.id)
            s.delete(row)

    @staticmethod
    def _ancestor_rows(session, project_id):
        anc = ancestors_cte(project_id)
        return list(session.scalars(
            sa.select(P).join(anc, P.id == anc.c.id).order_by(anc.c.depth)))

    def project_parents(self, project_id):
        """The project's parents as Keystone lists them, the domain included."""
        with self.read() as s:
            self.get_row(s, P, project_id, 'project')
            return [project_view(r) for r in self._ancestor_rows(s, project_id)]

    def project_subtree(self, project_id):
        sub = subtree_cte(project_id)
        with self.read() as s:
            self.get_row(s, P, project_id, 'project')
            return [project_view(r) for r in s.scalars(
                sa.select(P).join(sub, P.id == sub.c.id).order_by(sub.c.depth, P.name))]

    # -- tags -----------------------------------------------------------------
    def list_project_tags(self, project_id):
        return self.get_project(project_id)['tags']

    def set_project_tags(self, project_id, tags):
        with self.write() as s:
            row = self.get_row(s, P, project_id, 'project')
            _check_mutable(row)
            _set_tags(row, list(tags))
            s.flush()
            return sorted(t.name for t in row.tags)

    def add_project_tag(self, project_id, tag):
        check_tag(tag)
        with self.write() as s:
            row = self.get_row(s, P, project_id, 'project')
            _check_mutable(row)
            names = [t.name for t in row.tags]
            if tag not in names:
                _set_tags(row, names + [tag])

    def check_project_tag(self, project_id, tag):
        if tag not in self.list_project_tags(project_id):
            raise exception.NotFound('Tag %s was not found for project %s.' % (tag, project_id))

    def delete_project_tag(self, project_id, tag):
        with self.write() as s:
            row = self.get_row(s, P, project_id, 'project')
            _check_mutable(row)
            names = [t.name for t in row.tags]
            if tag not in names:
                raise exception.NotFound(
                    'Tag %s was not found for project %s.' % (tag, project_id))
            _set_tags(row, [n for n in names if n != tag])

    # -- a user's projects ----------------------------------------------------
    def user_project_ids(self, session, user_id):
        """Projects where the user has a role: direct, through groups, or
        inherited from a domain or a parent project."""
        A = models.Assignment
        actors = [user_id] + list(session.scalars(sa.select(models.Membership.group_id)
                                                  .where(models.Membership.user_id == user_id)))
        rows = session.execute(sa.select(A.type, A.target_id, A.inherited).where(
            A.actor_id.in_(actors),
            A.type.in_(('user_project', 'group_project', 'user_domain', 'group_domain')))).all()
        ids = {t for kind, t, inh in rows if kind.endswith('_project') and not inh}
        for kind, target, inherited in rows:
            if not inherited:
                continue
            if kind.endswith('_domain'):
                ids.update(session.scalars(sa.select(P.id).where(
                    P.domain_id == target, P.is_domain.is_(False))))
            else:
                sub = subtree_cte(target)
                ids.update(session.scalars(sa.select(sub.c.id)))
        return ids

    def list_user_projects(self, user_id):
        with self.read() as s:
            self.get_row(s, models.User, user_id, 'user')
            ids = self.user_project_ids(s, user_id)
            if not ids:
                return []
            return [project_view(r) for r in s.scalars(
                sa.select(P).where(P.id.in_(ids), P.is_domain.is_(False))
                .order_by(P.name, P.id))]
