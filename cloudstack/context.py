"""RequestContext: who is asking, in what scope, for which request."""
import uuid


def new_request_id():
    return 'req-' + str(uuid.uuid4())


class RequestContext:
    """The caller of one request, built from its validated token."""

    def __init__(self, user_id=None, user_name=None, user_domain_id=None,
                 project_id=None, project_name=None, project_domain_id=None,
                 domain_id=None, domain_name=None, system_scope=None, roles=(),
                 role_ids=(), request_id=None, auth_token=None, token=None,
                 trust_id=None, app_cred_id=None, is_admin=False):
        self.user_id = user_id
        self.user_name = user_name
        self.user_domain_id = user_domain_id
        self.project_id = project_id
        self.project_name = project_name
        self.project_domain_id = project_domain_id
        self.domain_id = domain_id
        self.domain_name = domain_name
        self.system_scope = system_scope
        self.roles = list(roles)
        self.role_ids = list(role_ids)
        self.request_id = request_id or new_request_id()
        self.auth_token = auth_token
        self.token = token            # the validated token body
        self.trust_id = trust_id
        self.app_cred_id = app_cred_id
        self.is_admin = is_admin      # internal work, not a user's request

    @classmethod
    def from_token(cls, token, auth_token=None, request_id=None):
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
            request_id=request_id, auth_token=auth_token, token=token,
            trust_id=(token.get('OS-TRUST:trust') or {}).get('id'),
            app_cred_id=(token.get('application_credential') or {}).get('id'))

    @classmethod
    def admin(cls):
        """A context for the server's own work."""
        return cls(roles=['admin'], system_scope='all', is_admin=True)

    def to_policy_values(self):
        return {
            'user_id': self.user_id, 'user_domain_id': self.user_domain_id,
            'project_id': self.project_id, 'project_domain_id': self.project_domain_id,
            'domain_id': self.domain_id, 'system_scope': self.system_scope,
            'roles': self.roles, 'trust_id': self.trust_id,
            'is_admin_project': True, 'service_roles': [],
            # Nova's `is_admin:True` checks: an admin role (context_is_admin).
            'is_admin': self.is_admin or 'admin' in self.roles,
        }

    @property
    def is_reader_admin(self):
        return 'admin' in self.roles or self.is_admin
