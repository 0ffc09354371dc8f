"""RequestContext: who is asking, in what scope, for which request.

An oslo.context RequestContext, as in every OpenStack service: oslo.policy
takes its credentials from it, and oslo.log puts the request id, the user and
the project of the current one (per green thread) on every line it logs.
"""
from oslo_context import context as oslo_context


def new_request_id():
    return oslo_context.generate_request_id()      # 'req-<uuid>'


class RequestContext(oslo_context.RequestContext):
    """The caller of one request, built from its validated token. Creating
    one makes it the current context of this green thread, unless
    `overwrite=False`."""

    def __init__(self, user_id=None, user_name=None, user_domain_id=None,
                 project_id=None, project_name=None, project_domain_id=None,
                 domain_id=None, domain_name=None, system_scope=None, roles=(),
                 role_ids=(), request_id=None, auth_token=None, token=None,
                 trust_id=None, app_cred_id=None, is_admin=False,
                 global_request_id=None, overwrite=True):
        super().__init__(
            user_id=user_id, user_name=user_name, user_domain_id=user_domain_id,
            project_id=project_id, project_name=project_name,
            project_domain_id=project_domain_id, domain_id=domain_id,
            domain_name=domain_name, system_scope=system_scope, roles=list(roles),
            request_id=request_id or new_request_id(),
            global_request_id=global_request_id, auth_token=auth_token,
            is_admin=is_admin, overwrite=overwrite)
        self.role_ids = list(role_ids)
        self.token = token            # the validated token body
        self.trust_id = trust_id
        self.app_cred_id = app_cred_id
        # is_admin: internal work, not a user's request

    @classmethod
    def from_token(cls, token, auth_token=None, request_id=None,
                   global_request_id=None):
        user = token.get('user', {})
        project = token.get('project') or {}
        domain = token.get('domain') or {}
        system = token.get('system') or {}
        roles = token.get('roles', [])
        return cls(
            user_id=user.get('id'), user_name=user.get('name'),
            user_domain_id=user.get('domain', {}).get('id'),
            project_id=project.get('id'), project_name=project.get('name'),
            project_domain_id=project.get('domain', {}).get('id'),
            domain_id=domain.get('id'), domain_name=domain.get('name'),
            system_scope='all' if system.get('all') else None,
            roles=[r['name'] for r in roles], role_ids=[r['id'] for r in roles],
            request_id=request_id, global_request_id=global_request_id,
            auth_token=auth_token, token=token,
            trust_id=(token.get('OS-TRUST:trust') or {}).get('id'),
            app_cred_id=(token.get('application_credential') or {}).get('id'))

    @classmethod
    def admin(cls):
        """A context for the server's own work (it does not become the
        current one: a request's log lines keep their caller)."""
        return cls(roles=['admin'], system_scope='all', is_admin=True,
                   overwrite=False)

    @property
    def all_projects(self):
        """Whether the caller sees every project's resources, as the policy
        rule `context_is_admin` decides (once per context); the server's own
        work does. Managers scope what they return by it."""
        if self.is_admin:
            return True
        from cloudstack import policy
        return policy.check(self, 'context_is_admin')

    def to_policy_values(self):
        return {
            'user_id': self.user_id, 'user_domain_id': self.user_domain_id,
            'project_id': self.project_id, 'project_domain_id': self.project_domain_id,
            'domain_id': self.domain_id, 'system_scope': self.system_scope,
            'roles': self.roles, 'trust_id': self.trust_id,
            'is_admin_project': True, 'service_roles': [],
            # Keystone's rules read the token: `token.domain.id`, `token.project.domain.id`.
            'token': self.token or {},
        }
