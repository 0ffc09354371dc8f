"""Application credentials (a user's secret for one project and some of its
roles) and the access rules that can restrict them."""
import base64
import os

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.identity import models
from cloudstack.identity import passwords
from cloudstack.identity.manager import tokens as tk
from cloudstack.identity.manager import trusts

METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE')
AC, ACR = models.ApplicationCredential, models.ApplicationCredentialRole
AR, ACAR = models.AccessRule, models.ApplicationCredentialAccessRule


def _rule_dict(rule):
    return {'id': rule.id, 'service': rule.service, 'path': rule.path, 'method': rule.method}


def _check_rule(rule):
    if not isinstance(rule, dict):
        raise exception.ValidationError('An access rule must be an object.')
    if set(rule) == {'id'}:
        return
    for key, size in (('service', 64), ('path', 128)):
        if not isinstance(rule.get(key), str) or not 0 < len(rule[key]) <= size:
            raise exception.ValidationError("Access rule '%s' must be a string of 1 to %d "
                                            "characters." % (key, size))
    if rule.get('method') not in METHODS:
        raise exception.ValidationError('Access rule method must be one of %s.'
                                        % ', '.join(METHODS))
    if set(rule) - {'id', 'service', 'path', 'method'}:
        raise exception.ValidationError('Unknown access rule attribute.')


class ApplicationCredentials:

    def _cred_dict(self, session, cred):
        role_ids = session.scalars(sa.select(ACR.role_id).where(
            ACR.application_credential_id == cred.id)).all()
        rules = session.scalars(sa.select(AR).join(ACAR, ACAR.access_rule_id == AR.id)
                                .where(ACAR.application_credential_id == cred.id)).all()
        return {'id': cred.id, 'name': cred.name, 'description': cred.description,
                'user_id': cred.user_id, 'project_id': cred.project_id,
                'system': cred.system,
                'expires_at': cred.expires_at.isoformat() if cred.expires_at else None,
                'unrestricted': cred.unrestricted,
                'roles': trusts.role_dicts(session, role_ids),
                'access_rules': [_rule_dict(r) for r in rules]}

    def create_application_credential(self, user_id, token, body):
        """Create from the owner's validated project-scoped `token`; the
        answer is the only one that shows the secret."""
        cred_ref = token.get('application_credential')
        if cred_ref and cred_ref.get('restricted'):
            raise exception.Forbidden('Using a restricted application credential to create '
                                      'another application credential is not allowed.')
        if 'OS-TRUST:trust' in token:
            raise exception.Forbidden('Using a trust-scoped token to create an '
                                      'application credential is not allowed.')
        if token['user']['id'] != user_id:
            raise exception.Forbidden('Application credentials are created by their owner.')
        project = token.get('project')
        if project is None:
            raise exception.ValidationError(
                'Creating an application credential requires a project-scoped token.')
        name = body.get('name')
        if not isinstance(name, str) or not 0 < len(name) <= 255:
            raise exception.ValidationError("'name' is a required string of at most "
                                            "255 characters.")
        if not isinstance(body.get('description'), (str, type(None))):
            raise exception.ValidationError("'description' must be a string.")
        secret = body.get('secret') or base64.urlsafe_b64encode(
            os.urandom(64)).rstrip(b'=').decode()
        if not isinstance(secret, str):
            raise exception.ValidationError("'secret' must be a string.")
        expires_at = tk.parse_future_time(body.get('expires_at'), 'expires_at')
        unrestricted = body.get('unrestricted', False)
        if not isinstance(unrestricted, bool):
            raise exception.ValidationError("'unrestricted' must be a boolean.")
        rules_in = body.get('access_rules') or []
        if not isinstance(rules_in, list):
            raise exception.ValidationError("'access_rules' must be a list.")
        for rule in rules_in:
            _check_rule(rule)
        held = {r['id']: r for r in token.get('roles', [])}
        role_ids = list(held)
        if body.get('roles'):
            if not isinstance(body['roles'], list):
                raise exception.ValidationError("'roles' must be a list.")
            with self.read() as s:
                role_ids = list(dict.fromkeys(trusts.find_role(s, r).id for r in body['roles']))
            missing = [r for r in role_ids if r not in held]
            if missing:
                raise exception.NotFound('Could not find role assignment with role: %s, '
                                         'user: %s, project: %s.'
                                         % (missing[0], user_id, project['id']))
        hashed = passwords.hash_password(secret)
        with self.write() as s:
            if s.scalars(sa.select(AC.id).where(AC.user_id == user_id, AC.name == name)).first():
                raise exception.Conflict('An application credential named %s already exists.'
                                         % name)
            cred = AC(name=name, secret_hash=hashed, description=body.get('description'),
                      user_id=user_id, project_id=project['id'], expires_at=expires_at,
                      unrestricted=unrestricted)
            s.add(cred)
            s.flush()
            s.add_all(ACR(application_credential_id=cred.id, role_id=r) for r in role_ids)
            for rule_id in dict.fromkeys(self._access_rule_ids(s, user_id, rules_in)):
                s.add(ACAR(application_credential_id=cred.id, access_rule_id=rule_id))
            s.flush()
            result = self._cred_dict(s, cred)
        result['secret'] = secret
        return result

    @staticmethod
    def _access_rule_ids(session, user_id, rules):
        """Ids of the rules, reusing the user's identical rules."""
        for rule in rules:
            if set(rule) == {'id'}:
                row = session.get(AR, rule['id'])
                if row is None or row.user_id != user_id:
                    raise exception.NotFound('Could not find access rule: %s.' % rule['id'])
                yield row.id
                continue
            row = session.scalars(sa.select(AR).where(
                AR.user_id == user_id, AR.service == rule['service'],
                AR.path == rule['path'], AR.method == rule['method'])).first()
            if row is None:
                row = AR(user_id=user_id, service=rule['service'], path=rule['path'],
                         method=rule['method'])
                if rule.get('id'):
                    row.id = rule['id']
                session.add(row)
                session.flush()
            yield row.id

    def _own_cred(self, session, user_id, cred_id):
        cred = session.get(AC, cred_id)
        if cred is None or cred.user_id != user_id:
            raise exception.NotFound('Could not find application credential: %s.' % cred_id)
        return cred

    def get_application_credential(self, user_id, cred_id):
        with self.read() as s:
            return self._cred_dict(s, self._own_cred(s, user_id, cred_id))

    def list_application_credentials(self, user_id, name=None):
        stmt = sa.select(AC).where(AC.user_id == user_id).order_by(AC.created_at, AC.id)
        if name is not None:
            stmt = stmt.where(AC.name == name)
        with self.read() as s:
            return [self._cred_dict(s, c) for c in s.scalars(stmt)]

    def delete_application_credential(self, user_id, cred_id):
        """Delete it; tokens issued with it stop validating."""
        with self.write() as s:
            s.delete(self._own_cred(s, user_id, cred_id))

    def list_access_rules(self, user_id):
        with self.read() as s:
            return [_rule_dict(r) for r in s.scalars(
                sa.select(AR).where(AR.user_id == user_id).order_by(AR.id))]

    def _own_rule(self, session, user_id, rule_id):
        rule = session.get(AR, rule_id)
        if rule is None or rule.user_id != user_id:
            raise exception.NotFound('Could not find access rule: %s.' % rule_id)
        return rule

    def get_access_rule(self, user_id, rule_id):
        with self.read() as s:
            return _rule_dict(self._own_rule(s, user_id, rule_id))

    def delete_access_rule(self, user_id, rule_id):
        with self.write() as s:
            rule = self._own_rule(s, user_id, rule_id)
            if s.scalars(sa.select(ACAR.access_rule_id).where(
                    ACAR.access_rule_id == rule_id)).first():
                raise exception.Forbidden('Cannot delete access rule %s: an application '
                                          'credential uses it.' % rule_id)
            s.delete(rule)
