"""Authentication, Fernet tokens, validation cache and revocation.

A token is a Fernet-encrypted Payload (cloudstack.identity.tokens). Validating
one re-reads what it grants (user, scope, roles, trust, application
credential) and checks the revocation events; the result is cached per worker
until the identity revision or the Fernet keys change, so a warm validation
costs one revision read and a dict lookup.
"""
import datetime
import time

import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.identity import compliance
from cloudstack.identity import models
from cloudstack.identity import passwords
from cloudstack.identity import tokens
from cloudstack.identity.manager import base

EPOCH = datetime.datetime(1970, 1, 1)
TIME_FORMAT = '%Y-%m-%dT%H:%M:%S.%fZ'
AUTH_FAILED = 'The request you have made requires authentication.'
SUPPORTED_METHODS = ('password', 'token', 'application_credential', 'totp', 'oauth1',
                     'mapped')
# Methods that read the HTTP request (a signature, a front end's headers).
REQUEST_METHODS = ('oauth1', 'mapped')
SCOPE_KINDS = ('project', 'domain', 'system', 'OS-TRUST:trust')
# RevocationEvent columns a token is matched on.
MATCH_FIELDS = ('domain_id', 'project_id', 'user_id', 'role_id', 'trust_id',
                'consumer_id', 'access_token_id', 'audit_id', 'audit_chain_id')

_Domain = orm.aliased(models.Project)


# ---- time

def now_us():
    return time.time_ns() // 1000


def us_to_dt(us):
    return EPOCH + datetime.timedelta(microseconds=us)


def dt_to_us(dt):
    return (dt - EPOCH) // datetime.timedelta(microseconds=1)


def isotime(dt):
    """Keystone's time format: 2015-11-05T22:00:11.000000Z."""
    return dt.strftime(TIME_FORMAT) if dt is not None else None


def parse_time(value, field):
    """A naive UTC datetime from an ISO 8601 string, or 400."""
    try:
        dt = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise exception.ValidationError('Invalid %s: %r is not an ISO 8601 time.'
                                        % (field, value))
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return dt


def parse_future_time(value, field):
    """parse_time of an optional expiry, which must lie ahead (else 400)."""
    if value is None:
        return None
    dt = parse_time(value, field)
    if dt <= models.utcnow():
        raise exception.ValidationError('Expiration time is in the past.')
    return dt


def _not_found(token_id):
    return exception.NotFound('Could not find token: %s.' % token_id)


def _bad(message):
    return exception.ValidationError(message)


def _text(ref, key):
    """ref[key] when it is a string, None when absent; 400 otherwise."""
    value = ref.get(key)
    if value is not None and not isinstance(value, str):
        raise _bad("'%s' must be a string." % key)
    return value


def _dict(data, key, where):
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, dict):
        raise _bad("'%s' is a required object in %s." % (key, where))
    return value


# ---- rows (one query each)

def user_rows(session, where):
    """Users with their domain's name and enabled flag."""
    U = models.User
    return session.execute(
        sa.select(U.id, U.name, U.enabled, U.domain_id, U.default_project_id,
                  U.password_hash, U.password_expires_at, U.options,
                  U.created_at, U.last_active_at, U.failed_auth_count, U.failed_auth_at,
                  _Domain.name.label('domain_name'),
                  _Domain.enabled.label('domain_enabled'))
        .join(_Domain, _Domain.id == U.domain_id).where(where)).all()


def find_user_row(session, ref):
    """The user a request names: {'id'} or {'name', 'domain': {'id'|'name'}}."""
    U = models.User
    if _text(ref, 'id') is not None:
        where = U.id == ref['id']
    elif _text(ref, 'name') is not None:
        domain = ref.get('domain')
        if not isinstance(domain, dict) or not (_text(domain, 'id') or _text(domain, 'name')):
            raise _bad('Expecting to find domain in user.')
        where = sa.and_(U.name == ref['name'],
                        U.domain_id == domain['id'] if domain.get('id')
                        else _Domain.name == domain['name'])
    else:
        raise _bad('Expecting to find id or name in user.')
    rows = user_rows(session, where)
    return rows[0] if rows else None


def project_row(session, where):
    P = models.Project
    return session.execute(
        sa.select(P.id, P.name, P.enabled, P.domain_id,
                  _Domain.name.label('domain_name'),
                  _Domain.enabled.label('domain_enabled'))
        .join(_Domain, _Domain.id == P.domain_id)
        .where(P.is_domain.is_(False), where)).first()


def domain_row(session, where):
    P = models.Project
    return session.execute(sa.select(P.id, P.name, P.enabled)
                           .where(P.is_domain.is_(True), where)).first()


def _find_project(session, ref):
    P = models.Project
    if _text(ref, 'id') is not None:
        return project_row(session, P.id == ref['id'])
    if _text(ref, 'name') is None:
        raise _bad('Expecting to find id or name in project.')
    domain = ref.get('domain')
    if not isinstance(domain, dict) or not (_text(domain, 'id') or _text(domain, 'name')):
        raise _bad('Expecting to find domain in project.')
    if domain.get('id'):
        return project_row(session, sa.and_(P.name == ref['name'],
                                            P.domain_id == domain['id']))
    return project_row(session, sa.and_(P.name == ref['name'],
                                        _Domain.name == domain['name']))


def _find_domain(session, ref):
    P = models.Project
    if _text(ref, 'id') is not None:
        return domain_row(session, P.id == ref['id'])
    if _text(ref, 'name') is not None:
        return domain_row(session, P.name == ref['name'])
    raise _bad('Expecting to find id or name in domain.')


def _row(session, model, where):
    """One row of `model` as a plain Row (usable after the session ends)."""
    return session.execute(sa.select(*model.__table__.c).where(where)).first()


def live_trust(session, trust_id):
    """The trust row and its role ids, or None when deleted or expired."""
    trust = _row(session, models.Trust, models.Trust.id == trust_id) if trust_id else None
    if trust is None or trust.deleted_at is not None or (
            trust.expires_at is not None and trust.expires_at <= models.utcnow()):
        return None, []
    role_ids = session.scalars(sa.select(models.TrustRole.role_id)
                               .where(models.TrustRole.trust_id == trust_id)).all()
    return trust, list(role_ids)


def live_app_cred(session, app_cred_id):
    """The application credential row, its role ids and access rules, or None."""
    AC = models.ApplicationCredential
    cred = _row(session, AC, AC.id == app_cred_id)
    if cred is None or (cred.expires_at is not None
                        and cred.expires_at <= models.utcnow()):
        return None, [], []
    role_ids = session.scalars(
        sa.select(models.ApplicationCredentialRole.role_id).where(
            models.ApplicationCredentialRole.application_credential_id == cred.id)).all()
    AR, ACAR = models.AccessRule, models.ApplicationCredentialAccessRule
    rules = session.execute(
        sa.select(AR.id, AR.service, AR.path, AR.method)
        .join(ACAR, ACAR.access_rule_id == AR.id)
        .where(ACAR.application_credential_id == cred.id)).all()
    return cred, list(role_ids), [r._asdict() for r in rules]


def _user_ok(row):
    return (row is not None and row.enabled and row.domain_enabled
            and not compliance.inactive(row))


class _Cache:
    """One worker's validated tokens, catalogs and revocation events, valid
    for one identity revision and one set of Fernet keys."""

    def __init__(self):
        self.codec = tokens.Codec()
        self.revision = None
        self.generation = 0     # bumped by clear(); guards stores of stale results
        self.clear()

    def clear(self):
        self.generation += 1
        self.tokens = {}        # token id -> (token dict, expires_at µs)
        self.catalogs = {}      # (user id, project id) -> catalog
        self.revocations = None
        self.service_providers = None


class Tokens:

    # ---- cache

    def _token_cache(self):
        cache = self.__dict__.get('_tokens_cache')
        if cache is None:
            cache = self._tokens_cache = _Cache()
        return cache

    def _fresh_cache(self):
        """The cache, emptied first if the revision or the keys changed."""
        cache = self._token_cache()
        revision = base.current_revision()
        rotated = cache.codec.refresh()
        if rotated or revision != cache.revision:
            cache.clear()
            cache.revision = revision
        return cache

    @staticmethod
    def _remember(cache, generation, mapping, key, value):
        """Store unless the cache was cleared while `value` was computed."""
        if cache.generation != generation:
            return
        if len(mapping) >= CONF.token.cache_size:
            mapping.pop(next(iter(mapping)))
        mapping[key] = value

    # ---- validation

    def validate_token(self, token_id, allow_expired=False, recheck=True):
        """The token as GET /v3/auth/tokens shows it (without its catalog;
        shared with the cache: do not modify it); NotFound when invalid,
        expired or revoked.

        recheck=False skips the revision read when this worker read it moments
        ago in the same request (the auth middleware validating the caller)."""
        cache = self._token_cache()
        if recheck or cache.revision is None:
            cache = self._fresh_cache()
        hit = cache.tokens.get(token_id)
        if hit is None:
            hit = self._validate_cold(cache, token_id, allow_expired)
        if not self._alive(hit[1], allow_expired):
            raise _not_found(token_id)
        return hit[0]

    @staticmethod
    def _alive(expires_at, allow_expired):
        now = now_us()
        if expires_at > now:
            return True
        return allow_expired and (
            expires_at + CONF.token.allow_expired_window_seconds * 1000000 > now)

    def _validate_cold(self, cache, token_id, allow_expired):
        try:
            p = cache.codec.decode(token_id)
        except tokens.InvalidToken:
            raise _not_found(token_id)
        if not self._alive(p.expires_at, allow_expired):
            raise _not_found(token_id)
        generation = cache.generation
        try:
            token = self._render_token(p, cache)
        except (exception.Unauthorized, exception.Forbidden, exception.NotFound):
            raise _not_found(token_id)
        hit = (token, p.expires_at)
        self._remember(cache, generation, cache.tokens, token_id, hit)
        return hit

    def token_payload(self, token_id):
        """The decoded payload of a token (no validation)."""
        try:
            return self._token_cache().codec.decode(token_id)
        except tokens.InvalidToken:
            raise _not_found(token_id)

    def _render_token(self, p, cache):
        """The token body for payload `p`, checking that everything it grants
        still holds; Unauthorized when not."""
        trust = app_cred = access_token = None
        trust_role_ids = cred_role_ids = access_rules = ()
        with self.read() as s:
            if p.access_token_id:
                access_token = self.live_access_token(s, p.access_token_id)
                if (access_token is None or access_token.authorizing_user_id != p.user_id
                        or access_token.project_id != p.project_id):
                    raise exception.Unauthorized(AUTH_FAILED)
                cred_role_ids = access_token.role_ids or ()
            user_ids = {p.user_id}
            if p.trust_id:
                trust, trust_role_ids = live_trust(s, p.trust_id)
                if trust is None or trust.project_id != p.project_id or p.user_id != (
                        trust.trustor_user_id if trust.impersonation else trust.trustee_user_id):
                    raise exception.Unauthorized(AUTH_FAILED)
                user_ids |= {trust.trustor_user_id, trust.trustee_user_id}
            if p.app_cred_id:
                app_cred, cred_role_ids, access_rules = live_app_cred(s, p.app_cred_id)
                if (app_cred is None or app_cred.user_id != p.user_id
                        or app_cred.project_id != p.project_id):
                    raise exception.Unauthorized(AUTH_FAILED)
            users = {r.id: r for r in user_rows(s, models.User.id.in_(user_ids))}
            if not all(_user_ok(users.get(u)) for u in user_ids):
                raise exception.Unauthorized(AUTH_FAILED)
            user = users[p.user_id]
            project = domain = None
            if p.scope == 'project':
                project = project_row(s, models.Project.id == p.scope_id)
                if project is None or not (project.enabled and project.domain_enabled):
                    raise exception.Unauthorized(AUTH_FAILED)
            elif p.scope == 'domain':
                domain = domain_row(s, models.Project.id == p.scope_id)
                if domain is None or not domain.enabled:
                    raise exception.Unauthorized(AUTH_FAILED)
        roles = self._token_roles(p, trust, trust_role_ids, cred_role_ids)
        token = {
            'methods': list(p.methods),
            'user': {'domain': {'id': user.domain_id, 'name': user.domain_name},
                     'id': user.id, 'name': user.name,
                     'password_expires_at': user.password_expires_at.strftime(
                         '%Y-%m-%dT%H:%M:%S.%f') if user.password_expires_at else None},
            'audit_ids': list(p.audit_ids),
            'expires_at': isotime(us_to_dt(p.expires_at)),
            'issued_at': isotime(us_to_dt(p.issued_at)),
        }
        if project is not None:
            token['project'] = {'domain': {'id': project.domain_id,
                                           'name': project.domain_name},
                                'id': project.id, 'name': project.name}
            token['is_domain'] = False
        elif domain is not None:
            token['domain'] = {'id': domain.id, 'name': domain.name}
        elif p.system:
            token['system'] = {'all': True}
        if roles is not None:
            token['roles'] = roles
        if trust is not None:
            token['OS-TRUST:trust'] = {
                'id': trust.id, 'impersonation': trust.impersonation,
                'trustee_user': {'id': trust.trustee_user_id},
                'trustor_user': {'id': trust.trustor_user_id}}
        if app_cred is not None:
            token['application_credential'] = {
                'id': app_cred.id, 'name': app_cred.name,
                'restricted': not app_cred.unrestricted}
            if access_rules:
                token['application_credential']['access_rules'] = access_rules
        if access_token is not None:
            token['OS-OAUTH1'] = {'access_token_id': access_token.id,
                                  'consumer_id': access_token.consumer_id}
        if p.idp_id:
            token['user']['OS-FEDERATION'] = {
                'identity_provider': {'id': p.idp_id}, 'protocol': {'id': p.protocol_id},
                'groups': [{'id': g} for g in p.group_ids]}
        values = {
            'user_id': user_ids, 'project_id': p.project_id,
            'domain_id': {user.domain_id, project.domain_id if project else p.domain_id},
            'role_id': {r['id'] for r in roles or ()}, 'trust_id': p.trust_id,
            'audit_id': p.audit_ids[0], 'audit_chain_id': p.audit_ids[-1],
            'access_token_id': p.access_token_id,
            'consumer_id': access_token.consumer_id if access_token is not None else None,
        }
        if self._is_revoked(cache, p.issued_at, values):
            raise exception.Unauthorized(AUTH_FAILED)
        return token

    def _token_roles(self, p, trust, trust_role_ids, cred_role_ids):
        """[{'id', 'name'}] the token grants; None for an unscoped token."""
        if p.scope is None:
            return None
        if trust is not None:
            held = {r['id']: r for r in self.effective_roles(
                trust.trustor_user_id, project_id=trust.project_id)}
            if not all(rid in held for rid in trust_role_ids):
                raise exception.Unauthorized('The trustor no longer holds the delegated roles.')
            wanted = set(trust_role_ids) | {
                r['id'] for r in self.expand_implied(list(trust_role_ids))}
            roles = [r for rid, r in held.items() if rid in wanted]
        else:
            roles = self.effective_roles(p.user_id, project_id=p.project_id,
                                         domain_id=p.domain_id, system=p.system,
                                         group_ids=p.group_ids)
            if p.app_cred_id or p.access_token_id:
                roles = [r for r in roles if r['id'] in cred_role_ids]
        # Domain-specific roles only count through the global roles they imply.
        roles = [{'id': r['id'], 'name': r['name']} for r in roles if not r.get('domain_id')]
        if not roles:
            raise exception.Unauthorized(AUTH_FAILED)     # Keystone hides why
        return roles

    def token_catalog(self, token):
        """The catalog a scoped token shows; None for an unscoped one."""
        if not ({'project', 'domain', 'system'} & token.keys()):
            return None
        key = (token['user']['id'], (token.get('project') or {}).get('id'))
        cache = self._token_cache()
        catalog = cache.catalogs.get(key)
        if catalog is None:
            generation = cache.generation
            catalog = self.get_catalog(*key)
            self._remember(cache, generation, cache.catalogs, key, catalog)
        return catalog

    def token_service_providers(self):
        """The enabled federation service providers every token lists (cached
        with the tokens: one query per identity revision and worker)."""
        cache = self._token_cache()
        if cache.service_providers is None:
            generation = cache.generation
            providers = self.service_providers_catalog()
            if cache.generation == generation:
                cache.service_providers = providers
            return providers
        return cache.service_providers

    # ---- authentication

    def authenticate(self, auth, receipt_id=None, request=None):
        """POST /v3/auth/tokens: (token id, token without catalog).
        `receipt_id`: an auth receipt of an earlier partial multi-factor
        authentication, whose methods count with these. `request`: the
        base.RequestFacts that the oauth1 and mapped methods read."""
        identity = _dict(auth, 'identity', 'auth')
        methods = identity.get('methods')
        if not isinstance(methods, list) or not methods or not all(
                isinstance(m, str) for m in methods):
            raise _bad("'methods' must be a non-empty list of strings.")
        results = []
        for method in dict.fromkeys(methods):
            if method not in SUPPORTED_METHODS or method not in CONF.auth.methods:
                raise exception.Unauthorized(
                    'Attempted to authenticate with an unsupported method.')
            handler = getattr(self, '_auth_' + method)
            data = _dict(identity, method, 'identity')
            results.append(handler(data, request) if method in REQUEST_METHODS
                           else handler(data))
        user_ids = {r['user_id'] for r in results}
        if len(user_ids) != 1:
            raise exception.Unauthorized(AUTH_FAILED)
        user_id = user_ids.pop()
        info = {}
        for r in results:
            info.update(r)
        with self.read() as s:
            user = user_rows(s, models.User.id == user_id)
        if not user or not _user_ok(user[0]):
            raise exception.Unauthorized(AUTH_FAILED)
        used = set(methods) | set(info.get('prior_methods', ()))
        if receipt_id:
            used |= set(self.receipt_methods(receipt_id, user_id))
        self.check_mfa_rules(user[0], used)
        kind, target, trust = self._resolve_scope(auth.get('scope'), user[0], info)

        now = now_us()
        expiry = [now + CONF.token.expiration * 1000000]
        if info.get('expires_at'):
            expiry.append(info['expires_at'])
        for row in (trust, info.get('app_cred')):
            if row is not None and row.expires_at is not None:
                expiry.append(dt_to_us(row.expires_at))
        p = tokens.Payload(
            user_id=user_id, methods=[m for m in tokens.payload.METHODS if m in used],
            issued_at=now, expires_at=min(expiry),
            audit_ids=[tokens.new_audit_id()] + (
                [info['audit_chain']] if info.get('audit_chain') else []),
            scope=kind, scope_id=target,
            trust_id=trust.id if trust is not None else None,
            app_cred_id=info['app_cred'].id if info.get('app_cred') else None,
            access_token_id=info['access_token'].id if info.get('access_token') else None,
            idp_id=info.get('idp_id'), protocol_id=info.get('protocol_id'),
            group_ids=info.get('group_ids', []))
        if trust is not None:
            p.user_id = trust.trustor_user_id if trust.impersonation else trust.trustee_user_id
        cache = self._fresh_cache()
        generation = cache.generation
        token = self._render_token(p, cache)
        if trust is not None and trust.remaining_uses is not None:
            self._consume_trust_use(trust.id)
        token_id = cache.codec.encode(p)
        self._remember(cache, generation, cache.tokens, token_id, (token, p.expires_at))
        return token_id, token

    def _auth_password(self, data):
        ref = _dict(data, 'user', 'password')
        if not isinstance(ref.get('password'), str):
            raise _bad("'password' is a required string.")
        with self.read() as s:
            row = find_user_row(s, ref)
        if (row is None or not row.password_hash) and self.external_domains():
            # Perhaps a user of an LDAP domain we have not seen yet, or changed.
            self.sync_external_domains([row.domain_id] if row is not None else None)
            with self.read() as s:
                row = find_user_row(s, ref)
        if row is None:
            raise exception.Unauthorized(AUTH_FAILED)
        self.check_user_password(row, ref['password'], exception.Unauthorized(AUTH_FAILED))
        if not _user_ok(row):
            raise exception.Unauthorized(AUTH_FAILED)
        if compliance.password_expired(row):
            raise exception.Unauthorized(
                'The password is expired and needs to be changed for user: %s.' % row.id)
        self.record_activity(row)
        return {'user_id': row.id}

    def _auth_token(self, data):
        token_id = data.get('id')
        if not isinstance(token_id, str):
            raise _bad("'id' is a required property of token.")
        prior = self.validate_token(token_id)
        if 'OS-TRUST:trust' in prior:
            raise exception.Forbidden(
                'Using trust-scoped token to create another token. '
                'Create a new trust-scoped token instead.')
        if 'OS-OAUTH1' in prior:
            raise exception.Forbidden(
                'Using OAuth-scoped token to create another token. Create a new '
                'OAuth-scoped token instead.')
        if 'application_credential' in prior:
            raise exception.Forbidden(
                'Using an application credential token to create another token '
                'is not allowed.')
        p = self.token_payload(token_id)
        return {'user_id': p.user_id, 'prior_methods': p.methods,
                'expires_at': p.expires_at, 'audit_chain': p.audit_ids[-1],
                'from_system': p.system, 'idp_id': p.idp_id,
                'protocol_id': p.protocol_id, 'group_ids': p.group_ids}

    def _auth_application_credential(self, data):
        secret = data.get('secret')
        if not isinstance(secret, str):
            raise _bad("'secret' is a required property of application_credential.")
        AC = models.ApplicationCredential
        with self.read() as s:
            if _text(data, 'id') is not None:
                cred = _row(s, AC, AC.id == data['id'])
            elif _text(data, 'name') is not None:
                user = find_user_row(s, _dict(data, 'user', 'application_credential'))
                cred = user and _row(s, AC, sa.and_(AC.user_id == user.id,
                                                    AC.name == data['name']))
            else:
                raise _bad('Expecting to find id or name in application_credential.')
        if cred is None or not passwords.check_password(secret, cred.secret_hash):
            raise exception.Unauthorized(AUTH_FAILED)
        if cred.expires_at is not None and cred.expires_at <= models.utcnow():
            raise exception.Unauthorized(AUTH_FAILED)
        return {'user_id': cred.user_id, 'app_cred': cred}

    def _resolve_scope(self, scope, user, info):
        """(scope kind, target id, trust row) of a token request."""
        if info.get('access_token') is not None:
            # An OAuth1 token is scoped to the access token's project, whatever was asked.
            return 'project', info['access_token'].project_id, None
        cred = info.get('app_cred')
        if cred is not None:
            same = (isinstance(scope, dict) and len(scope) == 1
                    and isinstance(scope.get('project'), dict)
                    and scope['project'].get('id') == cred.project_id)
            if scope is not None and scope != 'unscoped' and not same:
                raise exception.Unauthorized('Application credentials cannot request a scope.')
            return 'project', cred.project_id, None
        if scope == 'unscoped':
            return None, None, None
        if scope is None:
            return self._default_scope(user)
        if not isinstance(scope, dict) or len(scope) != 1 or next(iter(scope)) not in SCOPE_KINDS:
            raise _bad('Specify one of project, domain, system or OS-TRUST:trust as scope.')
        kind, ref = next(iter(scope.items()))
        if not isinstance(ref, dict):
            raise _bad('Invalid %s scope.' % kind)
        if info.get('from_system') and kind in ('project', 'domain'):
            raise exception.Forbidden('Using a system-scoped token to create a '
                                      'project-scoped or domain-scoped token is not allowed.')
        with self.read() as s:
            if kind == 'project':
                row = _find_project(s, ref)
                if row is None or not (row.enabled and row.domain_enabled):
                    raise exception.Unauthorized(AUTH_FAILED)
                return 'project', row.id, None
            if kind == 'domain':
                row = _find_domain(s, ref)
                if row is None or not row.enabled:
                    raise exception.Unauthorized(AUTH_FAILED)
                return 'domain', row.id, None
            if kind == 'system':
                if ref.get('all') is not True:
                    raise _bad('Only system scope {"all": true} is supported.')
                return 'system', None, None
            trust, _roles = live_trust(s, _text(ref, 'id'))
        if trust is None:
            raise exception.NotFound('Could not find trust: %s.' % ref.get('id'))
        if trust.trustee_user_id != user.id:
            raise exception.Forbidden('User is not a trustee.')
        if trust.remaining_uses is not None and trust.remaining_uses <= 0:
            raise exception.Forbidden('No remaining uses for trust: %s.' % trust.id)
        return ('project' if trust.project_id else None), trust.project_id, trust

    def _default_scope(self, user):
        """Keystone scopes an unscoped request to the user's default project
        when it is usable; otherwise the token is unscoped."""
        if user.default_project_id:
            with self.read() as s:
                row = project_row(s, models.Project.id == user.default_project_id)
            if (row is not None and row.enabled and row.domain_enabled
                    and self.effective_roles(user.id, project_id=row.id)):
                return 'project', row.id, None
        return None, None, None

    def _consume_trust_use(self, trust_id):
        # Not a change to what any token grants: no revision bump needed.
        T = models.Trust
        with db_api.writer() as s:
            done = s.execute(sa.update(T).where(T.id == trust_id, T.remaining_uses > 0)
                             .values(remaining_uses=T.remaining_uses - 1)).rowcount
        if not done:
            raise exception.Forbidden('No remaining uses for trust: %s.' % trust_id)

    # ---- revocation

    def revoke_tokens(self, session, user_id=None, project_id=None, domain_id=None,
                      trust_id=None, audit_id=None, role_id=None, consumer_id=None,
                      access_token_id=None):
        """Revoke every token issued until now that matches all given fields.
        Call inside a self.write() transaction."""
        now = models.utcnow()
        session.add(models.RevocationEvent(
            user_id=user_id, project_id=project_id, domain_id=domain_id,
            trust_id=trust_id, audit_id=audit_id, role_id=role_id,
            consumer_id=consumer_id, access_token_id=access_token_id,
            issued_before=now, revoked_at=now))

    def revoke_user_tokens(self, user_id):
        """DELETE /v3/users/{user_id}/tokens: revoke every token of the user."""
        with self.write() as s:
            self.get_row(s, models.User, user_id, 'user')
            self.revoke_tokens(s, user_id=user_id)

    def revoke_token(self, token_id):
        """DELETE /v3/auth/tokens: revoke this one token."""
        token = self.validate_token(token_id)
        with self.write() as s:
            self.revoke_tokens(s, audit_id=token['audit_ids'][0])

    @staticmethod
    def _revocation_horizon():
        """Events older than this can match no token that may still be shown."""
        seconds = CONF.token.expiration + CONF.token.allow_expired_window_seconds
        return models.utcnow() - datetime.timedelta(seconds=seconds)

    def _revocations(self, cache):
        if cache.revocations is not None:
            return cache.revocations
        generation = cache.generation
        RE = models.RevocationEvent
        with self.read() as s:
            rows = s.execute(sa.select(*RE.__table__.c).where(
                RE.issued_before >= self._revocation_horizon())).all()
        by_audit, others = {}, []
        for ev in rows:
            fields = {f: getattr(ev, f) for f in MATCH_FIELDS if getattr(ev, f) is not None}
            before = dt_to_us(ev.issued_before)
            if list(fields) == ['audit_id']:
                by_audit[ev.audit_id] = max(before, by_audit.get(ev.audit_id, 0))
            elif fields:
                others.append((fields, before))
        result = (by_audit, others)
        if cache.generation == generation:
            cache.revocations = result
        return result

    def _is_revoked(self, cache, issued_at, values):
        by_audit, others = self._revocations(cache)
        if issued_at <= by_audit.get(values['audit_id'], -1):
            return True
        for fields, before in others:
            if issued_at <= before and all(
                    v in values[f] if isinstance(values.get(f), set) else v == values.get(f)
                    for f, v in fields.items()):
                return True
        return False

    def list_revoke_events(self, since=None):
        RE = models.RevocationEvent
        stmt = sa.select(*RE.__table__.c).order_by(RE.revoked_at, RE.id)
        if since is not None:
            stmt = stmt.where(RE.revoked_at > since)
        with self.read() as s:
            rows = s.execute(stmt).all()
        events = []
        for ev in rows:
            event = {f: getattr(ev, f) for f in MATCH_FIELDS if getattr(ev, f) is not None}
            event['issued_before'] = isotime(ev.issued_before)
            event['revoked_at'] = isotime(ev.revoked_at)
            if ev.expires_at is not None:
                event['expires_at'] = isotime(ev.expires_at)
            events.append(event)
        return events

    def purge_expired_revocations(self):
        """Delete events too old to match any token; returns how many.
        Removing them changes no validation result, so no revision bump."""
        RE = models.RevocationEvent
        with db_api.writer() as s:
            return s.execute(sa.delete(RE).where(
                RE.issued_before < self._revocation_horizon())).rowcount

    # ---- what a token's user may scope to

    def _actor_ids(self, session, user_id, group_ids=()):
        groups = session.scalars(sa.select(models.Membership.group_id).where(
            models.Membership.user_id == user_id)).all()
        return [user_id, *groups, *group_ids]

    def list_auth_projects(self, user_id, group_ids=()):
        """Enabled projects the user has a role on, directly or inherited
        (`group_ids`: the groups a federated token's mapping gave)."""
        A, P = models.Assignment, models.Project
        with self.read() as s:
            grants = s.execute(sa.select(A.type, A.target_id, A.inherited).where(
                A.actor_id.in_(self._actor_ids(s, user_id, group_ids)),
                A.type.in_(('user_project', 'group_project',
                            'user_domain', 'group_domain')))).all()
            ids = {g.target_id for g in grants if g.type.endswith('project') and not g.inherited}
            roots = {g.target_id for g in grants if g.type.endswith('project') and g.inherited}
            domains = {g.target_id for g in grants if g.type.endswith('domain') and g.inherited}
            frontier = roots
            while frontier:
                children = set(s.scalars(sa.select(P.id).where(P.parent_id.in_(frontier))))
                frontier = children - ids
                ids |= children
            where = P.id.in_(ids)
            if domains:
                where = sa.or_(where, P.domain_id.in_(domains))
            rows = s.scalars(
                sa.select(P).join(_Domain, _Domain.id == P.domain_id)
                .where(where, P.is_domain.is_(False), P.enabled.is_(True),
                       _Domain.enabled.is_(True)).order_by(P.name)).all()
            return [self._auth_project_dict(r) for r in rows]

    @staticmethod
    def _auth_project_dict(row):
        return base.with_extra({
            'id': row.id, 'name': row.name, 'domain_id': row.domain_id,
            'description': row.description or '', 'enabled': row.enabled,
            'parent_id': row.parent_id, 'is_domain': row.is_domain,
            'tags': [t.name for t in row.tags], 'options': row.options or {}}, row.extra)

    def list_auth_domains(self, user_id, group_ids=()):
        """Enabled domains the user has a role on."""
        A, P = models.Assignment, models.Project
        with self.read() as s:
            ids = s.scalars(sa.select(A.target_id).where(
                A.actor_id.in_(self._actor_ids(s, user_id, group_ids)),
                A.type.in_(('user_domain', 'group_domain')),
                A.inherited.is_(False))).all()
            rows = s.scalars(sa.select(P).where(
                P.id.in_(set(ids)), P.is_domain.is_(True), P.enabled.is_(True))
                .order_by(P.name)).all()
            return [base.with_extra({
                'id': r.id, 'name': r.name, 'description': r.description or '',
                'enabled': r.enabled, 'tags': [t.name for t in r.tags],
                'options': r.options or {}}, r.extra) for r in rows]

    def list_auth_system(self, user_id):
        """[{'all': True}] when the user has a role on the system, else []."""
        A = models.Assignment
        with self.read() as s:
            found = s.scalars(sa.select(A.role_id).where(
                A.actor_id.in_(self._actor_ids(s, user_id)),
                A.type.in_(('user_system', 'group_system'))).limit(1)).first()
        return [{'all': True}] if found else []
