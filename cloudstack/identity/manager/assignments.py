"""Roles, implied roles, grants, role assignments and effective roles.

A grant is one `Assignment` row: an actor (user or group) holds a role on a
target (project, domain or the system). An inherited grant on a domain or a
project applies to the projects below it, not to the target itself.
Domain-specific roles never show in tokens or effective lists: they only
serve to imply other roles.
"""
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.identity import models
from cloudstack.identity.manager import base

A = models.Assignment
ROLE_FIELDS = ('name', 'domain_id', 'description', 'options')
ROLE_OPTIONS = ('immutable',)
# Roles that no rule may imply (Keystone's prohibited_implied_role default).
PROHIBITED_IMPLIED = ('admin',)


def grant_type(actor_type, target_type):
    """The Assignment.type of a grant, e.g. ('group', 'domain') -> 'group_domain'."""
    return '%s_%s' % (actor_type, target_type)


TYPES = [grant_type(a, t) for a in ('user', 'group')
         for t in ('project', 'domain', 'system')]


def _types(target_type):
    return (grant_type('user', target_type), grant_type('group', target_type))


def _role_dict(row):
    role = {'id': row.id, 'name': row.name, 'domain_id': row.domain_id,
            'description': row.description, 'options': dict(row.options or {})}
    return base.with_extra(role, row.extra)


def _merge_options(current, changes):
    """Role options after applying `changes` (a None value unsets one)."""
    unknown = set(changes) - set(ROLE_OPTIONS)
    if unknown:
        raise exception.ValidationError(
            'Invalid option(s) for role: %s' % ', '.join(sorted(unknown)))
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _grant_not_found(role_id, actor_id, target_id):
    return exception.NotFound(
        'Could not find role assignment with role: %s, user or group: %s, '
        'project, domain, or system: %s.' % (role_id, actor_id, target_id))


class Assignments:

    # -- roles ---------------------------------------------------------------

    def get_role(self, role_id):
        with self.read() as s:
            return _role_dict(self.get_row(s, models.Role, role_id, 'role'))

    def list_roles(self, domain_id=None, refine=None):
        """Global roles, or those of `domain_id`; `refine(stmt)` adds filters."""
        stmt = sa.select(models.Role).where(models.Role.domain_id.is_(None)
                                            if domain_id is None else
                                            models.Role.domain_id == domain_id)
        if refine:
            stmt = refine(stmt)
        with self.read() as s:
            return [_role_dict(r) for r in s.scalars(stmt.order_by(models.Role.name))]

    def create_role(self, role):
        own, extra = base.split_extra(role, ROLE_FIELDS + ('id', 'links'))
        options = _merge_options({}, own.get('options') or {})
        domain_id = own.get('domain_id')
        with self.write() as s:
            if domain_id:
                _domain_row(s, domain_id)
            _check_role_name(s, own['name'], domain_id)
            row = models.Role(name=own['name'], domain_id=domain_id,
                              description=own.get('description'), options=options,
                              extra={k: v for k, v in extra.items()
                                     if k not in ('id', 'links')})
            s.add(row)
            s.flush()
            return _role_dict(row)

    def update_role(self, role_id, changes):
        own, extra = base.split_extra(changes, ROLE_FIELDS + ('id', 'links'))
        with self.write() as s:
            row = self.get_row(s, models.Role, role_id, 'role')
            if 'domain_id' in own and own['domain_id'] != row.domain_id:
                raise exception.ValidationError('Update of `domain_id` is not allowed.')
            options = own.get('options') or {}
            if (row.options or {}).get('immutable') and options.get('immutable') is not False:
                raise exception.Forbidden(
                    'Cannot update immutable role %s; unset its immutable '
                    'option first.' % role_id)
            if 'name' in own and own['name'] != row.name:
                _check_role_name(s, own['name'], row.domain_id)
                row.name = own['name']
            if 'description' in own:
                row.description = own['description']
            row.options = _merge_options(row.options or {}, options)
            extra.pop('id', None)
            extra.pop('links', None)
            if extra:
                row.extra = dict(row.extra or {}, **extra)
            s.flush()
            return _role_dict(row)

    def delete_role(self, role_id):
        with self.write() as s:
            row = self.get_row(s, models.Role, role_id, 'role')
            if (row.options or {}).get('immutable'):
                raise exception.Forbidden('Cannot delete immutable role %s.' % role_id)
            held = s.scalar(sa.select(sa.literal(1)).where(sa.or_(
                sa.exists().where(A.role_id == role_id),
                sa.exists().where(models.ImpliedRole.implied_role_id == role_id))))
            if held:
                self.revoke_tokens(s, role_id=role_id)
            s.execute(sa.delete(A).where(A.role_id == role_id))
            s.execute(sa.delete(models.ImpliedRole).where(sa.or_(
                models.ImpliedRole.prior_role_id == role_id,
                models.ImpliedRole.implied_role_id == role_id)))
            s.delete(row)

    # -- implied roles -------------------------------------------------------

    def create_implied_role(self, prior_role_id, implied_role_id):
        """Returns (prior role, implied role)."""
        with self.write() as s:
            prior = self.get_row(s, models.Role, prior_role_id, 'role')
            implied = self.get_row(s, models.Role, implied_role_id, 'role')
            if implied.name in PROHIBITED_IMPLIED:
                raise exception.Forbidden('%s cannot be an implied roles.' % implied_role_id)
            if prior.domain_id is None and implied.domain_id:
                raise exception.Forbidden('Global role cannot imply a domain-specific role')
            if s.get(models.ImpliedRole, (prior_role_id, implied_role_id)):
                raise exception.Conflict(
                    'Conflict occurred attempting to store implied_role - '
                    '%s already implies %s.' % (prior_role_id, implied_role_id))
            s.add(models.ImpliedRole(prior_role_id=prior_role_id,
                                     implied_role_id=implied_role_id))
            return _role_dict(prior), _role_dict(implied)

    def get_implied_role(self, prior_role_id, implied_role_id):
        """(prior role, implied role), or NotFound."""
        with self.read() as s:
            prior = self.get_row(s, models.Role, prior_role_id, 'role')
            implied = self.get_row(s, models.Role, implied_role_id, 'role')
            _implied_row(s, prior_role_id, implied_role_id)
            return _role_dict(prior), _role_dict(implied)

    def delete_implied_role(self, prior_role_id, implied_role_id):
        with self.write() as s:
            self.get_row(s, models.Role, prior_role_id, 'role')
            self.get_row(s, models.Role, implied_role_id, 'role')
            s.delete(_implied_row(s, prior_role_id, implied_role_id))

    def list_implied_roles(self, prior_role_id):
        """(prior role, [roles it directly implies])."""
        with self.read() as s:
            prior = self.get_row(s, models.Role, prior_role_id, 'role')
            implied = s.scalars(sa.select(models.Role).join(
                models.ImpliedRole, models.ImpliedRole.implied_role_id == models.Role.id)
                .where(models.ImpliedRole.prior_role_id == prior_role_id)
                .order_by(models.Role.name))
            return _role_dict(prior), [_role_dict(r) for r in implied]

    def list_role_inference_rules(self):
        """[(prior role, [roles it directly implies])] for every prior role."""
        with self.read() as s:
            rules = _implications(s)
            roles = _roles_by_id(s, set(rules) | {i for v in rules.values() for i in v})
        return [(roles[p], [roles[i] for i in implied])
                for p, implied in rules.items()]

    def expand_implied(self, role_ids):
        """[{'id', 'name', 'domain_id'}] of `role_ids` and every role they imply."""
        with self.read() as s:
            return _expand(s, role_ids)

    # -- effective roles (the token validation path) -------------------------

    def effective_roles(self, user_id, project_id=None, domain_id=None, system=False,
                        group_ids=()):
        """The roles a token of `user_id` in this scope carries: direct, through
        groups (its memberships and `group_ids`, those a federation mapping
        gave), inherited from the project's domain and ancestors, and implied."""
        if project_id:
            project = self.get_project(project_id)
            ancestors = self.project_ancestor_ids(project_id)
            target = sa.or_(
                sa.and_(A.type.in_(_types('project')), A.target_id == project_id,
                        A.inherited.is_(False)),
                sa.and_(A.type.in_(_types('project')), A.target_id.in_(ancestors),
                        A.inherited.is_(True)),
                sa.and_(A.type.in_(_types('domain')),
                        A.target_id == project['domain_id'], A.inherited.is_(True)))
        elif domain_id:
            target = sa.and_(A.type.in_(_types('domain')), A.target_id == domain_id,
                             A.inherited.is_(False))
        elif system:
            target = sa.and_(A.type.in_(_types('system')), A.target_id == models.SYSTEM)
        else:
            return []
        groups = sa.select(models.Membership.group_id).where(
            models.Membership.user_id == user_id)
        actor = sa.or_(sa.and_(_actor_is('user'), A.actor_id == user_id),
                       sa.and_(_actor_is('group'), A.actor_id.in_(groups)))
        if group_ids:
            actor = sa.or_(actor, sa.and_(_actor_is('group'), A.actor_id.in_(list(group_ids))))
        with self.read() as s:
            role_ids = s.scalars(sa.select(A.role_id).where(actor, target)
                                 .distinct().order_by(A.role_id)).all()
            return _expand(s, role_ids)

    # -- grants ----------------------------------------------------------------

    def _grant_parts(self, s, role_id, actor_type, actor_id, target_type, target_id):
        """The role row; NotFound unless role, actor and target all exist."""
        role = self.get_row(s, models.Role, role_id, 'role')
        model = models.User if actor_type == 'user' else models.Group
        self.get_row(s, model, actor_id, actor_type)
        if target_type == 'project':
            project = self.get_project(target_id)
            if role.domain_id and role.domain_id != project['domain_id']:
                raise exception.Forbidden(
                    'Project %s must be in the same domain as the role %s being '
                    'assigned.' % (target_id, role_id))
        elif target_type == 'domain':
            self.get_domain(target_id)
        return role

    def create_grant(self, role_id, actor_type, actor_id, target_type,
                     target_id=models.SYSTEM, inherited=False):
        with self.write() as s:
            self._grant_parts(s, role_id, actor_type, actor_id, target_type, target_id)
            if not _grant_row(s, role_id, actor_type, actor_id, target_type,
                              target_id, inherited):
                s.add(A(type=grant_type(actor_type, target_type), actor_id=actor_id,
                        target_id=target_id, role_id=role_id, inherited=bool(inherited)))

    def check_grant(self, role_id, actor_type, actor_id, target_type,
                    target_id=models.SYSTEM, inherited=False):
        """The granted role, or NotFound."""
        with self.read() as s:
            role = self._grant_parts(s, role_id, actor_type, actor_id,
                                     target_type, target_id)
            if not _grant_row(s, role_id, actor_type, actor_id, target_type,
                              target_id, inherited):
                raise _grant_not_found(role_id, actor_id, target_id)
            return _role_dict(role)

    def delete_grant(self, role_id, actor_type, actor_id, target_type,
                     target_id=models.SYSTEM, inherited=False):
        """Revoke a grant, and the tokens of its users in the scopes it
        reached (a domain grant: the domain; an inherited project grant: the
        projects below; a system grant: all the user's tokens)."""
        with self.write() as s:
            row = _grant_row(s, role_id, actor_type, actor_id, target_type,
                             target_id, inherited)
            if row is None:
                self._grant_parts(s, role_id, actor_type, actor_id,
                                  target_type, target_id)
                raise _grant_not_found(role_id, actor_id, target_id)
            s.delete(row)
            users = [actor_id] if actor_type == 'user' else s.scalars(
                sa.select(models.Membership.user_id).where(
                    models.Membership.group_id == actor_id)).all()
            if target_type == 'system':
                scopes = [{}]
            elif target_type == 'domain':
                scopes = [{'domain_id': target_id}]
            elif inherited:
                scopes = [{'project_id': p} for p in self._projects_below(target_id)]
            else:
                scopes = [{'project_id': target_id}]
            for user_id in users:
                for scope in scopes:
                    self.revoke_tokens(s, user_id=user_id, **scope)

    def list_grants(self, actor_type, actor_id, target_type,
                    target_id=models.SYSTEM, inherited=False):
        """The roles granted directly to the actor on the target."""
        if target_type == 'project':
            self.get_project(target_id)
        elif target_type == 'domain':
            self.get_domain(target_id)
        with self.read() as s:
            model = models.User if actor_type == 'user' else models.Group
            self.get_row(s, model, actor_id, actor_type)
            rows = s.scalars(sa.select(models.Role).join(A, A.role_id == models.Role.id)
                             .where(A.type == grant_type(actor_type, target_type),
                                    A.actor_id == actor_id, A.target_id == target_id,
                                    A.inherited.is_(bool(inherited)))
                             .order_by(models.Role.name))
            return [_role_dict(r) for r in rows]

    def delete_assignments(self, session, actor_id=None, target_id=None):
        """Drop the grants of a deleted user/group (actor) or project/domain
        (target), in the caller's transaction."""
        if actor_id is None and target_id is None:
            return
        stmt = sa.delete(A)
        if actor_id is not None:
            stmt = stmt.where(A.actor_id == actor_id)
        if target_id is not None:
            stmt = stmt.where(A.target_id == target_id)
        session.execute(stmt)

    # -- role assignments ------------------------------------------------------

    def list_role_assignments(self, user_id=None, group_id=None, role_id=None,
                              project_id=None, domain_id=None, system=False,
                              inherited=None, effective=False,
                              include_subtree=False, include_names=False):
        """Assignments as dicts: role_id; actor ('user'|'group', id); scope
        ('project'|'domain'|'system', id); inherited (applies to projects
        below); granted_role_id (the role of the grant itself); and, for
        effective ones, via_group, via_target (the inherited grant's
        (type, id)) and prior_role (the role that implied this one).

        Effective lists expand groups into their members, inherited grants
        into the projects they apply to and roles into those they imply."""
        projects = None
        if project_id:
            projects = [project_id]
            if include_subtree:
                projects += self._projects_below(project_id)
        with self.read() as s:
            if effective:
                refs = self._effective_refs(
                    s, user_id, project_id, projects, domain_id, system)
                if role_id:
                    refs = [r for r in refs if r['role_id'] == role_id]
                if inherited is not None:
                    refs = [r for r in refs if bool(r['via_target']) == inherited]
            else:
                refs = _direct_assignments(s, user_id, group_id, role_id, projects,
                                           domain_id, system, inherited)
            if include_names:
                _add_names(s, refs)
        return refs

    def _projects_below(self, project_id):
        return [p for p in self.project_subtree_ids(project_id) if p != project_id]

    def _effective_refs(self, s, user_id, project_id, projects, domain_id, system):
        group_ids = None
        if user_id:
            group_ids = s.scalars(sa.select(models.Membership.group_id).where(
                models.Membership.user_id == user_id)).all()
        stmt = sa.select(A).where(_actor_cond(user_id, group_ids=group_ids))
        ancestors = []
        if project_id:
            project = self.get_project(project_id)
            ancestors = self.project_ancestor_ids(project_id)
            stmt = stmt.where(sa.or_(
                sa.and_(A.type.in_(_types('project')), A.target_id.in_(projects),
                        A.inherited.is_(False)),
                sa.and_(A.type.in_(_types('project')), A.inherited.is_(True),
                        A.target_id.in_(list(ancestors) + projects)),
                sa.and_(A.type.in_(_types('domain')), A.inherited.is_(True),
                        A.target_id == project['domain_id'])))
        elif domain_id:
            stmt = stmt.where(A.type.in_(_types('domain')), A.target_id == domain_id,
                              A.inherited.is_(False))
        elif system:
            stmt = stmt.where(A.type.in_(_types('system')))
        rows = s.scalars(stmt.order_by(A.type, A.actor_id, A.role_id)).all()

        members = {}
        group_rows = {r.actor_id for r in rows if r.type.startswith('group_')}
        if group_rows and not user_id:
            for uid, gid in s.execute(sa.select(
                    models.Membership.user_id, models.Membership.group_id)
                    .where(models.Membership.group_id.in_(group_rows))):
                members.setdefault(gid, []).append(uid)

        refs = []
        for row in rows:
            ref = _ref(row)
            if ref['actor'][0] == 'group':
                users = [user_id] if user_id else members.get(row.actor_id, [])
                actors = [dict(ref, actor=('user', u), via_group=row.actor_id)
                          for u in users]
            else:
                actors = [ref]
            if row.inherited:
                targets = self._inheriting_projects(s, row, projects, ancestors)
                for actor_ref in actors:
                    refs.extend(dict(actor_ref, scope=('project', p),
                                     via_target=actor_ref['scope']) for p in targets)
            else:
                refs.extend(actors)

        rules = _implications(s)
        expanded = []
        for ref in refs:
            expanded.append(ref)
            seen, todo = {ref['role_id']}, [ref]
            while todo:
                prior = todo.pop(0)
                for implied in rules.get(prior['role_id'], ()):
                    if implied not in seen:
                        seen.add(implied)
                        new = dict(prior, role_id=implied, prior_role=prior['role_id'])
                        expanded.append(new)
                        todo.append(new)
        domain_roles = set(s.scalars(sa.select(models.Role.id).where(
            models.Role.id.in_({r['role_id'] for r in expanded}),
            models.Role.domain_id.is_not(None))))
        return [r for r in expanded if r['role_id'] not in domain_roles]

    def _inheriting_projects(self, s, row, projects, ancestors):
        """The projects an inherited grant applies to (within `projects` when
        the list is filtered by project)."""
        if row.type.endswith('_domain'):
            if projects is not None:
                return projects
            return s.scalars(sa.select(models.Project.id).where(
                models.Project.domain_id == row.target_id,
                models.Project.is_domain.is_(False)).order_by(models.Project.id)).all()
        if projects is not None:
            if row.target_id in ancestors:
                return projects
            below = set(self._projects_below(row.target_id))
            return [p for p in projects if p in below]
        return self._projects_below(row.target_id)


# -- helpers (module level: the mixins share one class namespace) ------------

def _check_role_name(s, name, domain_id):
    """Conflict unless `name` is free among global roles or the domain's."""
    taken = s.scalar(sa.select(models.Role.id).where(
        models.Role.name == name,
        models.Role.domain_id.is_(None) if domain_id is None
        else models.Role.domain_id == domain_id))
    if taken:
        raise exception.Conflict(
            'Conflict occurred attempting to store role - Duplicate entry '
            'found with name %s.' % name)


def _domain_row(s, domain_id):
    row = s.get(models.Project, domain_id)
    if row is None or not row.is_domain:
        raise exception.NotFound('Could not find domain: %s.' % domain_id)
    return row


def _implied_row(s, prior_role_id, implied_role_id):
    row = s.get(models.ImpliedRole, (prior_role_id, implied_role_id))
    if row is None:
        raise exception.NotFound('%s does not imply %s.' % (prior_role_id, implied_role_id))
    return row


def _implications(s):
    """{prior role id: [implied role ids]} for every rule."""
    rules = {}
    for prior, implied in s.execute(sa.select(
            models.ImpliedRole.prior_role_id, models.ImpliedRole.implied_role_id)
            .order_by(models.ImpliedRole.prior_role_id, models.ImpliedRole.implied_role_id)):
        rules.setdefault(prior, []).append(implied)
    return rules


def _roles_by_id(s, role_ids):
    if not role_ids:
        return {}
    return {r.id: _role_dict(r) for r in s.scalars(
        sa.select(models.Role).where(models.Role.id.in_(role_ids)))}


def _expand(s, role_ids):
    """The roles and all they imply, transitively; no domain-specific ones."""
    rules = _implications(s)
    seen, todo = [], list(role_ids)
    while todo:
        role_id = todo.pop(0)
        if role_id not in seen:
            seen.append(role_id)
            todo.extend(rules.get(role_id, ()))
    roles = _roles_by_id(s, seen)
    return [{'id': r, 'name': roles[r]['name'], 'domain_id': None}
            for r in seen if r in roles and not roles[r]['domain_id']]


def _grant_row(s, role_id, actor_type, actor_id, target_type, target_id, inherited):
    return s.get(A, (grant_type(actor_type, target_type), actor_id,
                     target_id, role_id, bool(inherited)))


def _actor_is(kind):
    """Assignment types whose actor is a `kind` ('user' or 'group')."""
    return A.type.in_([t for t in TYPES if t.startswith(kind + '_')])


def _actor_cond(user_id=None, group_id=None, group_ids=None):
    if group_id:
        return sa.and_(_actor_is('group'), A.actor_id == group_id)
    if user_id:
        cond = sa.and_(_actor_is('user'), A.actor_id == user_id)
        if group_ids:
            cond = sa.or_(cond, sa.and_(_actor_is('group'), A.actor_id.in_(group_ids)))
        return cond
    return sa.true()


def _ref(row):
    actor_type, target_type = row.type.split('_')
    return {'role_id': row.role_id, 'actor': (actor_type, row.actor_id),
            'scope': (target_type, row.target_id), 'inherited': row.inherited,
            'granted_role_id': row.role_id, 'via_group': None, 'via_target': None,
            'prior_role': None}


def _direct_assignments(s, user_id, group_id, role_id, projects, domain_id, system,
                        inherited):
    stmt = sa.select(A).where(_actor_cond(user_id, group_id))
    if role_id:
        stmt = stmt.where(A.role_id == role_id)
    if projects:
        stmt = stmt.where(A.type.in_(_types('project')), A.target_id.in_(projects))
    elif domain_id:
        stmt = stmt.where(A.type.in_(_types('domain')), A.target_id == domain_id)
    elif system:
        stmt = stmt.where(A.type.in_(_types('system')))
    if inherited is not None:
        stmt = stmt.where(A.inherited.is_(bool(inherited)))
    return [_ref(row) for row in s.scalars(stmt.order_by(A.type, A.actor_id, A.role_id))]


def _add_names(s, refs):
    """Add user/group/project/domain/role names (and their domains) to refs."""
    ids = {'user': set(), 'group': set(), 'target': set()}
    for ref in refs:
        ids[ref['actor'][0]].add(ref['actor'][1])
        if ref['scope'][0] != 'system':
            ids['target'].add(ref['scope'][1])

    def rows(model, wanted):
        return {r.id: r for r in s.scalars(sa.select(model).where(model.id.in_(wanted)))}

    users, groups = rows(models.User, ids['user']), rows(models.Group, ids['group'])
    roles = rows(models.Role, {r['role_id'] for r in refs})
    targets = rows(models.Project, ids['target'])
    domain_ids = {r.domain_id for r in list(users.values()) + list(groups.values())}
    domain_ids |= {r.domain_id for r in roles.values() if r.domain_id}
    domain_ids |= {r.domain_id for r in targets.values() if not r.is_domain}
    domains = {i: r.name for i, r in rows(models.Project, domain_ids).items()}

    def named(row, with_domain=True):
        if row is None:
            return {}
        names = {'name': row.name}
        if with_domain and row.domain_id:
            names['domain'] = {'id': row.domain_id, 'name': domains.get(row.domain_id)}
        return names

    for ref in refs:
        kind, actor_id = ref['actor']
        ref['actor_names'] = named((users if kind == 'user' else groups).get(actor_id))
        ref['role_names'] = named(roles.get(ref['role_id']))
        if ref['scope'][0] != 'system':
            ref['scope_names'] = named(targets.get(ref['scope'][1]),
                                       with_domain=ref['scope'][0] == 'project')
