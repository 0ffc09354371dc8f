"""Grants (project, domain, system and OS-INHERIT) and /v3/role_assignments."""
from cloudstack import exception
from cloudstack.identity import manager
from cloudstack.identity import models
from cloudstack.identity.api import common

FALSE = ('0', 'false', 'f', 'no', 'n', 'off')


class Grants:
    """The grants of one kind of actor on one kind of target."""

    def __init__(self, actor, target, inherited=False):
        self.actor, self.target, self.inherited = actor, target, inherited

    def _authorize(self, req, action, actor_id, target_id, role_id=None):
        if self.target == 'system':
            rule = 'identity:%s_system_grant%s_for_%s' % (
                action, 's' if action == 'list' else '', self.actor)
        else:
            rule = 'identity:%s' % {'list': 'list_grants'}.get(action, action + '_grant')
        # The domains of actor, target and role decide a domain user's grants.
        target = {self.actor: common.lookup(self.actor, actor_id)}
        if self.target != 'system':
            target[self.target] = common.lookup(self.target, target_id)
        if role_id:
            target['role'] = common.lookup('role', role_id)
        common.authorize(req, rule, **target)

    def _args(self, role_id, actor_id, target_id):
        return dict(role_id=role_id, actor_type=self.actor, actor_id=actor_id,
                    target_type=self.target, target_id=target_id,
                    inherited=self.inherited)

    def index(self, req, actor_id, target_id=models.SYSTEM):
        self._authorize(req, 'list', actor_id, target_id)
        roles = manager.get().list_grants(self.actor, actor_id, self.target,
                                          target_id, self.inherited)
        return common.collection(req, 'roles', roles, '/v3/roles')

    def check(self, req, actor_id, role_id, target_id=models.SYSTEM):
        self._authorize(req, 'check', actor_id, target_id, role_id)
        manager.get().check_grant(**self._args(role_id, actor_id, target_id))

    def create(self, req, actor_id, role_id, target_id=models.SYSTEM):
        self._authorize(req, 'create', actor_id, target_id, role_id)
        manager.get().create_grant(**self._args(role_id, actor_id, target_id))

    def delete(self, req, actor_id, role_id, target_id=models.SYSTEM):
        self._authorize(req, 'revoke', actor_id, target_id, role_id)
        manager.get().delete_grant(**self._args(role_id, actor_id, target_id))


def _flag(req, name):
    """Keystone's query flags: present without a value means true."""
    return name in req.GET and req.GET[name].strip().lower() not in FALSE


def _format(req, ref):
    """One assignment as the API shows it, linked to the grant behind it."""
    kind, actor_id = ref['actor']
    scope_kind, scope_id = ref['scope']
    entity = {'role': dict({'id': ref['role_id']}, **ref.get('role_names', {})),
              kind: dict({'id': actor_id}, **ref.get('actor_names', {})),
              'links': {}}
    if scope_kind == 'system':
        entity['scope'] = {'system': {'all': True}}
    else:
        entity['scope'] = {scope_kind: dict({'id': scope_id}, **ref.get('scope_names', {}))}

    granted_on = ref['via_target'] or ref['scope']
    path = '/system' if granted_on[0] == 'system' else '/%ss/%s' % granted_on
    if ref['via_group']:
        path += '/groups/%s' % ref['via_group']
        entity['links']['membership'] = common.url(
            req, '/v3/groups/%s/users/%s' % (ref['via_group'], actor_id))
    else:
        path += '/%ss/%s' % (kind, actor_id)
    path += '/roles/%s' % ref['granted_role_id']
    if ref['inherited']:
        entity['scope']['OS-INHERIT:inherited_to'] = 'projects'
        path = '/OS-INHERIT%s/inherited_to_projects' % path
    entity['links']['assignment'] = common.url(req, '/v3' + path)
    if ref['prior_role']:
        entity['links']['prior_role'] = common.url(
            req, '/v3/roles/%s/implies/%s' % (ref['prior_role'], ref['role_id']))
    return entity


class RoleAssignments:
    def index(self, req):
        q = req.GET
        user_id, group_id = q.get('user.id'), q.get('group.id')
        project_id, domain_id = q.get('scope.project.id'), q.get('scope.domain.id')
        system = q.get('scope.system')
        inherited = None
        if 'scope.OS-INHERIT:inherited_to' in q:
            inherited = q['scope.OS-INHERIT:inherited_to'] == 'projects'
        effective = _flag(req, 'effective')
        include_subtree = _flag(req, 'include_subtree')

        if include_subtree:
            target = {}
            if project_id:
                project = manager.get().get_project(project_id)
                target = {'project': project, 'domain_id': project['domain_id']}
            common.authorize(req, 'identity:list_role_assignments_for_tree', **target)
            if not project_id:
                raise exception.ValidationError(
                    'scope.project.id must be specified if include_subtree is '
                    'also specified')
        else:
            common.authorize(req, 'identity:list_role_assignments',
                             **common.list_target(req))
        for a, b, what in ((domain_id, project_id, 'a domain or project'),
                           (system, domain_id, 'system or domain'),
                           (system, project_id, 'system or project'),
                           (user_id, group_id, 'a user or group')):
            if a and b:
                raise exception.ValidationError('Specify %s, not both' % what)
        if effective and group_id:
            raise exception.ValidationError(
                'Combining effective and group filter will always result in '
                'an empty list.')
        if effective and inherited and domain_id:
            raise exception.ValidationError(
                'Combining effective, domain and inherited filters will always '
                'result in an empty list.')

        refs = manager.get().list_role_assignments(
            user_id=user_id, group_id=group_id, role_id=q.get('role.id'),
            project_id=project_id, domain_id=domain_id, system=bool(system),
            inherited=inherited, effective=effective,
            include_subtree=include_subtree, include_names=_flag(req, 'include_names'))
        return common.collection(req, 'role_assignments', [_format(req, r) for r in refs])


def add_routes(router):
    targets = (('project', '/v3/projects/{target_id}'),
               ('domain', '/v3/domains/{target_id}'),
               ('system', '/v3/system'))
    for target, prefix in targets:
        for actor in ('user', 'group'):
            grants = Grants(actor, target)
            base = '%s/%ss/{actor_id}/roles' % (prefix, actor)
            router.connect(base, grants, GET='index')
            router.connect(base + '/{role_id}', grants, GET='check', PUT='create',
                           DELETE='delete')
            if target == 'system':
                continue
            inherited = Grants(actor, target, inherited=True)
            base = '/v3/OS-INHERIT%s/%ss/{actor_id}/roles' % (prefix[3:], actor)
            router.connect(base + '/{role_id}/inherited_to_projects', inherited,
                           GET='check', PUT='create', DELETE='delete')
            if target == 'domain':
                router.connect(base + '/inherited_to_projects', inherited, GET='index')
    router.connect('/v3/role_assignments', RoleAssignments(), GET='index')
