"""OAuth1 delegation (OS-OAUTH1), as Keystone serves it.

A consumer asks for a request token for a project (signed with its secret),
a user authorizes it for some of their roles on that project and gets a
verifier, the consumer trades token and verifier for an access token, and
authenticates with the access token (the `oauth1` method) for a token
scoped to that project with those roles. oauthlib checks the signatures.
"""
import datetime
import secrets
import time
import urllib.parse

from oauthlib import common as oauth_common
from oauthlib.oauth1.rfc5849 import errors as oauth_errors
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack import exception
from cloudstack.identity.manager import base
from cloudstack.identity import models

# Signature methods accepted (oauthlib verifies them).
VERIFIERS = {'HMAC-SHA1': oauth_signature.verify_hmac_sha1,
             'HMAC-SHA256': oauth_signature.verify_hmac_sha256}
# How far a request's oauth_timestamp may be from our clock, in seconds.
TIMESTAMP_WINDOW = 600
RT, AT = models.RequestToken, models.AccessToken


def consumer_dict(row):
    return base.with_extra({'id': row.id, 'description': row.description}, row.extra)


def _isotime(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%S.%fZ') if dt is not None else None


def access_token_dict(row):
    return {'id': row.id, 'consumer_id': row.consumer_id, 'project_id': row.project_id,
            'authorizing_user_id': row.authorizing_user_id,
            'expires_at': _isotime(row.expires_at)}


def _expiry(seconds):
    return models.utcnow() + datetime.timedelta(seconds=seconds) if seconds else None


def _expired(row):
    return row.expires_at is not None and row.expires_at <= models.utcnow()


def _plain(session, model, row_id, kind):
    """The row as a plain Row (usable after the session), or NotFound."""
    row = session.execute(sa.select(*model.__table__.c).where(
        model.__table__.c.id == row_id)).first() if row_id else None
    if row is None:
        raise exception.NotFound('Could not find %s: %s.' % (kind, row_id))
    return row


def oauth_params(request):
    """The oauth_* parameters of a request's Authorization header ({} if none)."""
    try:
        return dict(oauth_signature.collect_parameters(
            headers=request.headers, exclude_oauth_signature=False))
    except (ValueError, oauth_errors.OAuth1Error):
        raise exception.ValidationError('Malformed OAuth Authorization header.')


def _required(params, name):
    if not params.get(name):
        raise exception.ValidationError(
            'Expecting to find %s in request. The server could not comply with the '
            'request since it is either malformed or otherwise incorrect.' % name)
    return params[name]


def verify_signature(request, params, client_secret, token_secret=None):
    """401 unless the request carries a valid, fresh OAuth1 signature made
    with these secrets."""
    verify = VERIFIERS.get(params.get('oauth_signature_method'))
    try:
        fresh = abs(time.time() - int(params.get('oauth_timestamp', ''))) <= TIMESTAMP_WINDOW
    except ValueError:
        fresh = False
    if verify is None or not fresh or not params.get('oauth_signature'):
        raise exception.Unauthorized('Invalid signature')
    signed = oauth_common.Request(request.url, http_method=request.method,
                                  headers=request.headers)
    signed.params = oauth_signature.collect_parameters(
        uri_query=urllib.parse.urlsplit(request.url).query, headers=request.headers,
        exclude_oauth_signature=True)
    signed.signature = params['oauth_signature']
    if not verify(signed, client_secret, token_secret):
        raise exception.Unauthorized('Invalid signature')


class OAuth1:

    # -- consumers -------------------------------------------------------

    def create_consumer(self, consumer):
        """A new consumer; its secret is generated and shown only here."""
        own, extra = base.split_extra(consumer, ('description',))
        extra.pop('id', None)
        extra.pop('secret', None)
        with self.write() as s:
            row = models.Consumer(description=own.get('description'),
                                  secret=secrets.token_urlsafe(24), extra=extra)
            s.add(row)
            s.flush()
            return dict(consumer_dict(row), secret=row.secret)

    def get_consumer(self, consumer_id):
        with self.read() as s:
            return consumer_dict(self.get_row(s, models.Consumer, consumer_id, 'consumer'))

    def list_consumers(self):
        with self.read() as s:
            return [consumer_dict(r) for r in
                    s.scalars(sa.select(models.Consumer).order_by(models.Consumer.id))]

    def update_consumer(self, consumer_id, changes):
        if 'secret' in changes:
            raise exception.ValidationError('Cannot change consumer secret.')
        own, extra = base.split_extra(changes, ('description',))
        extra.pop('id', None)
        with self.write() as s:
            row = self.get_row(s, models.Consumer, consumer_id, 'consumer')
            if 'description' in own:
                row.description = own['description']
            if extra:
                row.extra = dict(row.extra or {}, **extra)
            return consumer_dict(row)

    def delete_consumer(self, consumer_id):
        """Delete the consumer, its request and access tokens, and revoke the
        tokens issued through it."""
        with self.write() as s:
            s.delete(self.get_row(s, models.Consumer, consumer_id, 'consumer'))
            self.revoke_tokens(s, consumer_id=consumer_id)

    def _consumer_secret(self, session, consumer_id):
        row = session.get(models.Consumer, consumer_id)
        if row is None:
            raise exception.Unauthorized('Provided consumer does not exist.')
        return row.secret

    # -- the delegation flow ---------------------------------------------

    def create_request_token(self, request, project_id):
        """POST /v3/OS-OAUTH1/request_token: a request token for `project_id`,
        signed with the consumer's secret: {'id', 'secret', 'expires_at'}."""
        params = oauth_params(request)
        consumer_id = _required(params, 'oauth_consumer_key')
        if not project_id:
            _required({}, 'Requested-Project-Id')
        self.get_project(project_id)
        with self.read() as s:
            self.get_row(s, models.Consumer, consumer_id, 'consumer')
            secret = self._consumer_secret(s, consumer_id)
        verify_signature(request, params, secret)
        with self.write() as s:
            row = RT(request_secret=secrets.token_urlsafe(24), consumer_id=consumer_id,
                     requested_project_id=project_id,
                     expires_at=_expiry(CONF.oauth1.request_token_duration))
            s.add(row)
            s.flush()
            return {'id': row.id, 'secret': row.request_secret,
                    'expires_at': _isotime(row.expires_at)}

    def authorize_request_token(self, request_token_id, user_id, roles):
        """PUT /v3/OS-OAUTH1/authorize/{id}: the user delegates `roles` (ids
        or names) they hold on the token's project; returns the verifier."""
        with self.read() as s:
            token = _plain(s, RT, request_token_id, 'request token')
            project_id = token.requested_project_id
        if _expired(token):
            raise exception.Unauthorized('Request token is expired')
        held = {r['id']: r for r in self.effective_roles(user_id, project_id=project_id)}
        by_name = {r['name']: rid for rid, r in held.items() if not r.get('domain_id')}
        wanted = []
        for role in roles:
            role_id = role.get('id') or by_name.get(role.get('name'))
            if role_id not in held:
                raise exception.Unauthorized('authorizing user does not have role required')
            wanted.append(role_id)
        verifier = ''.join(secrets.choice('0123456789abcdefghijklmnopqrstuvwxyz')
                           for _ in range(8))
        with self.write() as s:
            token = self.get_row(s, RT, request_token_id, 'request token')
            token.authorizing_user_id = user_id
            token.role_ids = sorted(set(wanted))
            token.verifier = verifier
        return verifier

    def create_access_token(self, request):
        """POST /v3/OS-OAUTH1/access_token: trade an authorized request token
        and its verifier for an access token: {'id', 'secret', 'expires_at'}."""
        params = oauth_params(request)
        consumer_id = _required(params, 'oauth_consumer_key')
        token_id = _required(params, 'oauth_token')
        verifier = _required(params, 'oauth_verifier')
        with self.read() as s:
            token = _plain(s, RT, token_id, 'request token')
            secret = self._consumer_secret(s, consumer_id)
        if _expired(token):
            raise exception.Unauthorized('Request token is expired')
        if token.consumer_id != consumer_id:
            raise exception.Unauthorized(
                'Provided consumer key does not match stored consumer key.')
        verify_signature(request, params, secret, token.request_secret)
        if not secrets.compare_digest(token.verifier or '', verifier):
            raise exception.Unauthorized('Provided verifier does not match stored verifier')
        if not token.authorizing_user_id:
            raise exception.Unauthorized(
                'Request Token does not have an authorizing user id.')
        with self.write() as s:
            # One use: the request token goes as the access token is made.
            if not s.execute(sa.delete(RT).where(RT.id == token_id)).rowcount:
                raise exception.Unauthorized('Request token is expired')
            row = AT(access_secret=secrets.token_urlsafe(24), consumer_id=consumer_id,
                     authorizing_user_id=token.authorizing_user_id,
                     project_id=token.requested_project_id, role_ids=token.role_ids,
                     expires_at=_expiry(CONF.oauth1.access_token_duration))
            s.add(row)
            s.flush()
            return {'id': row.id, 'secret': row.access_secret,
                    'expires_at': _isotime(row.expires_at)}

    # -- a user's access tokens ------------------------------------------

    def _access_token(self, session, user_id, access_token_id):
        row = session.get(AT, access_token_id)
        if row is None or row.authorizing_user_id != user_id:
            raise exception.NotFound('Could not find access token: %s.' % access_token_id)
        return row

    def list_access_tokens(self, user_id):
        with self.read() as s:
            self.get_row(s, models.User, user_id, 'user')
            return [access_token_dict(r) for r in s.scalars(
                sa.select(AT).where(AT.authorizing_user_id == user_id).order_by(AT.id))]

    def get_access_token(self, user_id, access_token_id):
        with self.read() as s:
            return access_token_dict(self._access_token(s, user_id, access_token_id))

    def delete_access_token(self, user_id, access_token_id):
        """Revoke the access token and every token issued with it."""
        with self.write() as s:
            row = self._access_token(s, user_id, access_token_id)
            s.delete(row)
            self.revoke_tokens(s, access_token_id=access_token_id)

    def list_access_token_roles(self, user_id, access_token_id):
        with self.read() as s:
            role_ids = self._access_token(s, user_id, access_token_id).role_ids or []
            rows = s.scalars(sa.select(models.Role).where(models.Role.id.in_(role_ids))
                             .order_by(models.Role.name)).all()
            return [{'id': r.id, 'name': r.name, 'domain_id': r.domain_id} for r in rows]

    def get_access_token_role(self, user_id, access_token_id, role_id):
        for role in self.list_access_token_roles(user_id, access_token_id):
            if role['id'] == role_id:
                return role
        raise exception.NotFound('Could not find role: %s.' % role_id)

    # -- authentication --------------------------------------------------

    def _auth_oauth1(self, data, request):
        """The oauth1 method: a request signed with the consumer's and the
        access token's secrets."""
        if request is None:
            raise exception.Unauthorized('OAuth1 needs a signed request.')
        params = oauth_params(request)
        consumer_id = _required(params, 'oauth_consumer_key')
        access_token_id = _required(params, 'oauth_token')
        with self.read() as s:
            token = s.execute(sa.select(*AT.__table__.c).where(
                AT.id == access_token_id)).first()
            consumer_secret = self._consumer_secret(s, consumer_id)
        if token is None or token.consumer_id != consumer_id:
            raise exception.Unauthorized('Could not validate the access token')
        if _expired(token):
            raise exception.Unauthorized('Access token is expired')
        verify_signature(request, params, consumer_secret, token.access_secret)
        return {'user_id': token.authorizing_user_id, 'access_token': token}

    @staticmethod
    def live_access_token(session, access_token_id):
        """The access token row (as a plain Row), or None when gone or expired."""
        row = session.execute(sa.select(*AT.__table__.c).where(
            AT.id == access_token_id)).first()
        if row is None or _expired(row):
            return None
        return row
