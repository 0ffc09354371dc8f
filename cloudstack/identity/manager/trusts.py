"""OS-TRUST: a trustor delegates some of its roles on a project to a trustee."""
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.identity import models
from cloudstack.identity.manager import tokens as tk

MAX_REDELEGATION_COUNT = 3


def role_dicts(session, role_ids):
    """{'id', 'name', 'domain_id'} of the roles that exist, in `role_ids` order."""
    R = models.Role
    rows = {r.id: r for r in session.execute(
        sa.select(R.id, R.name, R.domain_id).where(R.id.in_(set(role_ids))))}
    return [{'id': rows[i].id, 'name': rows[i].name, 'domain_id': rows[i].domain_id}
            for i in role_ids if i in rows]


def find_role(session, ref):
    """The role a request names by {'id'} or {'name'[, 'domain_id']}; 404."""
    R = models.Role
    if not isinstance(ref, dict) or not any(
            isinstance(ref.get(k), str) and ref[k] for k in ('id', 'name')):
        raise exception.ValidationError('A role must be given by id or name.')
    if ref.get('id'):
        row = session.get(R, ref['id'])
    else:
        row = session.scalars(sa.select(R).where(
            R.name == ref['name'], R.domain_id == ref.get('domain_id')
            if ref.get('domain_id') else R.domain_id.is_(None))).first()
    if row is None:
        raise exception.NotFound('Could not find role: %s.' % (ref.get('id') or ref.get('name')))
    return row


def _trust_dict(trust, roles):
    return {
        'id': trust.id, 'trustor_user_id': trust.trustor_user_id,
        'trustee_user_id': trust.trustee_user_id, 'project_id': trust.project_id,
        'impersonation': trust.impersonation, 'expires_at': tk.isotime(trust.expires_at),
        'remaining_uses': trust.remaining_uses,
        'allow_redelegation': bool(trust.redelegation_count),
        'redelegation_count': trust.redelegation_count,
        'redelegated_trust_id': trust.redelegated_trust_id,
        'roles': roles,
    }


def _restricted(token):
    cred = token.get('application_credential')
    return bool(cred and cred.get('restricted'))


class Trusts:
    def create_trust(self, token, body):
        """Create a trust from the trustor's validated `token`."""
        if _restricted(token):
            raise exception.Forbidden('Using a restricted application credential '
                                      'to create a trust is not allowed.')
        for key in ('trustor_user_id', 'trustee_user_id', 'impersonation'):
            if key not in body:
                raise exception.ValidationError("'%s' is a required property." % key)
        for key in ('trustor_user_id', 'trustee_user_id', 'project_id'):
            if not isinstance(body.get(key), (str, type(None))):
                raise exception.ValidationError("'%s' must be a string." % key)
        if not isinstance(body['impersonation'], bool):
            raise exception.ValidationError("'impersonation' must be a boolean.")
        expires_at = tk.parse_future_time(body.get('expires_at'), 'expires_at')
        uses = body.get('remaining_uses')
        if uses is not None and (not isinstance(uses, int) or isinstance(uses, bool) or uses < 1):
            raise exception.ValidationError('remaining_uses must be a positive integer or null.')
        allow = body.get('allow_redelegation', False)
        if allow and uses is not None:
            raise exception.ValidationError(
                'remaining_uses must not be set if redelegation is allowed.')
        count = body.get('redelegation_count')
        if count is not None and (not isinstance(count, int) or count < 0):
            raise exception.ValidationError('redelegation_count must be a non-negative integer.')
        project_id = body.get('project_id')
        roles_in = body.get('roles') or []
        if not isinstance(roles_in, list):
            raise exception.ValidationError("'roles' must be a list.")
        if roles_in and not project_id:
            raise exception.ValidationError('Roles can only be delegated on a project.')
        if project_id and not roles_in:
            raise exception.ValidationError('At least one role should be specified.')
        with self.read() as s:
            if not s.get(models.User, body['trustee_user_id']):
                raise exception.NotFound('Could not find user: %s.' % body['trustee_user_id'])
            if project_id and not tk.project_row(s, models.Project.id == project_id):
                raise exception.NotFound('Could not find project: %s.' % project_id)
            role_ids = list(dict.fromkeys(find_role(s, r).id for r in roles_in))
        if role_ids:
            held = {r['id'] for r in self.effective_roles(body['trustor_user_id'],
                                                          project_id=project_id)}
            if not set(role_ids) <= held:
                raise exception.Forbidden('The trustor does not have the delegated '
                                          'roles on the project.')
        parent = None
        trust_ref = token.get('OS-TRUST:trust')
        if trust_ref:
            parent = self._check_redelegation(trust_ref['id'], body, role_ids, expires_at)
            count = parent.redelegation_count - 1
        elif allow:
            count = MAX_REDELEGATION_COUNT if count is None else min(count, MAX_REDELEGATION_COUNT)
        else:
            count = None
        with self.write() as s:
            trust = models.Trust(
                trustor_user_id=body['trustor_user_id'],
                trustee_user_id=body['trustee_user_id'], project_id=project_id,
                impersonation=body['impersonation'], expires_at=expires_at,
                remaining_uses=uses, redelegation_count=count,
                redelegated_trust_id=parent.id if parent is not None else None)
            s.add(trust)
            s.flush()
            s.add_all(models.TrustRole(trust_id=trust.id, role_id=r) for r in role_ids)
            return _trust_dict(trust, role_dicts(s, role_ids))

    def _check_redelegation(self, parent_id, body, role_ids, expires_at):
        with self.read() as s:
            parent, parent_roles = tk.live_trust(s, parent_id)
        if parent is None or not parent.redelegation_count:
            raise exception.Forbidden('Redelegation is not allowed for this trust.')
        if (body.get('project_id') != parent.project_id
                or not set(role_ids) <= set(parent_roles)
                or (body['impersonation'] and not parent.impersonation)
                or (parent.expires_at is not None
                    and (expires_at is None or expires_at > parent.expires_at))):
            raise exception.Forbidden('A redelegated trust cannot grant more than its parent.')
        return parent

    def get_trust(self, trust_id):
        with self.read() as s:
            trust, role_ids = tk.live_trust(s, trust_id)
            if trust is None:
                raise exception.NotFound('Could not find trust: %s.' % trust_id)
            return _trust_dict(trust, role_dicts(s, role_ids))

    def list_trusts(self, trustor_user_id=None, trustee_user_id=None):
        T = models.Trust
        stmt = sa.select(T).where(T.deleted_at.is_(None)).order_by(T.id)
        if trustor_user_id is not None:
            stmt = stmt.where(T.trustor_user_id == trustor_user_id)
        if trustee_user_id is not None:
            stmt = stmt.where(T.trustee_user_id == trustee_user_id)
        with self.read() as s:
            trusts = [_trust_dict(t, None) for t in s.scalars(stmt)]
        for t in trusts:
            del t['roles']
        return trusts

    def delete_trust(self, trust_id):
        """Delete the trust and the trusts redelegated from it; revoke their tokens."""
        T = models.Trust
        with self.write() as s:
            trust = s.get(T, trust_id)
            if trust is None or trust.deleted_at is not None:
                raise exception.NotFound('Could not find trust: %s.' % trust_id)
            now = models.utcnow()
            doomed = [trust]
            while doomed:
                t = doomed.pop()
                t.deleted_at = now
                self.revoke_tokens(s, trust_id=t.id)
                doomed.extend(s.scalars(sa.select(T).where(
                    T.redelegated_trust_id == t.id, T.deleted_at.is_(None))))

    def list_trust_roles(self, trust_id):
        return self.get_trust(trust_id)['roles']

    def get_trust_role(self, trust_id, role_id):
        for role in self.list_trust_roles(trust_id):
            if role['id'] == role_id:
                return role
        raise exception.NotFound('Could not find role %s in trust %s.' % (role_id, trust_id))
