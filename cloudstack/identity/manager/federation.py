"""OS-FEDERATION: identity providers, their protocols, mappings, service
providers, and the `mapped` auth method.

We do not speak SAML or OpenID Connect ourselves: as Keystone behind
mod_shib or mod_auth_openidc, a front end authenticates the user with the
identity provider and passes the attributes it got in request headers
named with [federation] assertion_prefix. Only requests from the addresses
in [federation] trusted_proxies are believed; by default none are.
"""
import ipaddress
import urllib.parse

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack import exception
from cloudstack.identity import mapping as mapping_rules
from cloudstack.identity import models

IDP, PROTO, MAP = models.IdentityProvider, models.FederationProtocol, models.Mapping
SP, FU = models.ServiceProvider, models.FederatedUser
AUTH_FAILED = 'The request you have made requires authentication.'


def idp_dict(row):
    return {'id': row.id, 'enabled': row.enabled, 'description': row.description,
            'domain_id': row.domain_id, 'authorization_ttl': row.authorization_ttl,
            'remote_ids': [r.remote_id for r in row.remote_ids]}


def protocol_dict(row):
    proto = {'id': row.id, 'idp_id': row.idp_id, 'mapping_id': row.mapping_id}
    if row.remote_id_attribute:
        proto['remote_id_attribute'] = row.remote_id_attribute
    return proto


def mapping_dict(row):
    return {'id': row.id, 'rules': row.rules, 'schema_version': row.schema_version}


def sp_dict(row):
    return {'id': row.id, 'enabled': row.enabled, 'description': row.description,
            'auth_url': row.auth_url, 'sp_url': row.sp_url,
            'relay_state_prefix': row.relay_state_prefix}


def trusted(remote_addr):
    """True when `remote_addr` is one of [federation] trusted_proxies."""
    if not remote_addr:
        return False
    try:
        addr = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    for entry in CONF.federation.trusted_proxies:
        try:
            if addr in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def assertion(request):
    """The attributes a trusted front end passed ({name: value}, the header
    prefix removed); 401 when the request did not come through one."""
    if request is None or not trusted(request.remote_addr):
        raise exception.Unauthorized(
            'Federated attributes are accepted only from a trusted front end.')
    prefix = CONF.federation.assertion_prefix.lower()
    return {name[len(prefix):]: value for name, value in request.headers.items()
            if prefix and name.lower().startswith(prefix) and len(name) > len(prefix)}


def _conflict(kind, key):
    return exception.Conflict('Conflict occurred attempting to store %s - Duplicate '
                              'entry found with ID %s.' % (kind, key))


class Federation:

    # -- identity providers ------------------------------------------------

    def _check_remote_ids(self, session, idp_id, remote_ids):
        taken = session.scalars(sa.select(models.IdpRemoteId.remote_id).where(
            models.IdpRemoteId.remote_id.in_(remote_ids),
            models.IdpRemoteId.idp_id != idp_id)).first()
        if taken:
            raise exception.Conflict(
                'Duplicate remote ID: %s. Conflict occurred attempting to store '
                'identity_provider.' % taken)

    def create_identity_provider(self, idp_id, body):
        with self.write() as s:
            if s.get(IDP, idp_id) is not None:
                raise _conflict('identity_provider', idp_id)
            domain_id = body.get('domain_id')
            if domain_id:
                self._domain_row(s, domain_id)
            else:
                domain_id = self._new_domain(s, {
                    'name': models.new_id(), 'enabled': True,
                    'description': 'Auto generated federated domain for Identity '
                                   'Provider: ' + idp_id}).id
            remote_ids = list(dict.fromkeys(body.get('remote_ids') or []))
            self._check_remote_ids(s, idp_id, remote_ids)
            row = IDP(id=idp_id, enabled=body.get('enabled', False),
                      description=body.get('description'), domain_id=domain_id,
                      authorization_ttl=body.get('authorization_ttl'))
            row.remote_ids = [models.IdpRemoteId(remote_id=r) for r in remote_ids]
            s.add(row)
            s.flush()
            return idp_dict(row)

    def get_identity_provider(self, idp_id):
        with self.read() as s:
            return idp_dict(self.get_row(s, IDP, idp_id, 'Identity Provider'))

    def list_identity_providers(self, where=None):
        stmt = sa.select(IDP).order_by(IDP.id)
        with self.read() as s:
            return [idp_dict(r) for r in s.scalars(where(stmt) if where else stmt)]

    def update_identity_provider(self, idp_id, changes):
        with self.write() as s:
            row = self.get_row(s, IDP, idp_id, 'Identity Provider')
            for key in ('enabled', 'description', 'authorization_ttl'):
                if key in changes:
                    setattr(row, key, changes[key])
            if 'remote_ids' in changes:
                remote_ids = list(dict.fromkeys(changes['remote_ids'] or []))
                self._check_remote_ids(s, idp_id, remote_ids)
                row.remote_ids = [models.IdpRemoteId(remote_id=r) for r in remote_ids]
            if changes.get('enabled') is False:
                self._revoke_federated(s, idp_id)
            s.flush()
            return idp_dict(row)

    def _revoke_federated(self, session, idp_id, delete_users=False):
        user_ids = session.scalars(sa.select(FU.user_id).where(FU.idp_id == idp_id)).all()
        for user_id in set(user_ids):
            self.revoke_tokens(session, user_id=user_id)
            if delete_users:
                self.delete_assignments(session, actor_id=user_id)
                session.execute(sa.delete(models.User).where(models.User.id == user_id))

    def delete_identity_provider(self, idp_id):
        """Delete the provider, its protocols and its shadow users."""
        with self.write() as s:
            row = self.get_row(s, IDP, idp_id, 'Identity Provider')
            self._revoke_federated(s, idp_id, delete_users=True)
            s.delete(row)

    # -- protocols ---------------------------------------------------------

    def _check_mapping(self, session, mapping_id):
        if session.get(MAP, mapping_id) is None:
            raise exception.ValidationError('Invalid mapping id: %s' % mapping_id)

    def create_protocol(self, idp_id, protocol_id, body):
        with self.write() as s:
            self.get_row(s, IDP, idp_id, 'Identity Provider')
            self._check_mapping(s, body['mapping_id'])
            if s.get(PROTO, (protocol_id, idp_id)) is not None:
                raise _conflict('federation_protocol', protocol_id)
            row = PROTO(id=protocol_id, idp_id=idp_id, mapping_id=body['mapping_id'],
                        remote_id_attribute=body.get('remote_id_attribute'))
            s.add(row)
            s.flush()
            return protocol_dict(row)

    def _protocol(self, session, idp_id, protocol_id):
        row = session.get(PROTO, (protocol_id, idp_id))
        if row is None:
            raise exception.NotFound('Could not find federated protocol %s for Identity '
                                     'Provider: %s.' % (protocol_id, idp_id))
        return row

    def get_protocol(self, idp_id, protocol_id):
        with self.read() as s:
            return protocol_dict(self._protocol(s, idp_id, protocol_id))

    def list_protocols(self, idp_id):
        with self.read() as s:
            self.get_row(s, IDP, idp_id, 'Identity Provider')
            return [protocol_dict(r) for r in s.scalars(
                sa.select(PROTO).where(PROTO.idp_id == idp_id).order_by(PROTO.id))]

    def update_protocol(self, idp_id, protocol_id, changes):
        with self.write() as s:
            row = self._protocol(s, idp_id, protocol_id)
            if 'mapping_id' in changes:
                self._check_mapping(s, changes['mapping_id'])
                row.mapping_id = changes['mapping_id']
            if 'remote_id_attribute' in changes:
                row.remote_id_attribute = changes['remote_id_attribute']
            s.flush()
            return protocol_dict(row)

    def delete_protocol(self, idp_id, protocol_id):
        with self.write() as s:
            s.delete(self._protocol(s, idp_id, protocol_id))

    # -- mappings ----------------------------------------------------------

    def create_mapping(self, mapping_id, body):
        mapping_rules.validate(body)
        with self.write() as s:
            if s.get(MAP, mapping_id) is not None:
                raise _conflict('mapping', mapping_id)
            row = MAP(id=mapping_id, rules=body['rules'],
                      schema_version=body.get('schema_version') or '1.0')
            s.add(row)
            s.flush()
            return mapping_dict(row)

    def get_mapping(self, mapping_id):
        with self.read() as s:
            return mapping_dict(self.get_row(s, MAP, mapping_id, 'mapping'))

    def list_mappings(self):
        with self.read() as s:
            return [mapping_dict(r) for r in s.scalars(sa.select(MAP).order_by(MAP.id))]

    def update_mapping(self, mapping_id, body):
        mapping_rules.validate(body)
        with self.write() as s:
            row = self.get_row(s, MAP, mapping_id, 'mapping')
            row.rules = body['rules']
            if body.get('schema_version'):
                row.schema_version = body['schema_version']
            return mapping_dict(row)

    def delete_mapping(self, mapping_id):
        with self.write() as s:
            s.delete(self.get_row(s, MAP, mapping_id, 'mapping'))

    # -- service providers -------------------------------------------------

    def create_service_provider(self, sp_id, body):
        with self.write() as s:
            if s.get(SP, sp_id) is not None:
                raise _conflict('service_provider', sp_id)
            row = SP(id=sp_id, auth_url=body['auth_url'], sp_url=body['sp_url'],
                     description=body.get('description'),
                     enabled=body.get('enabled', False),
                     relay_state_prefix=body.get('relay_state_prefix')
                     or CONF.federation.relay_state_prefix)
            s.add(row)
            s.flush()
            return sp_dict(row)

    def get_service_provider(self, sp_id):
        with self.read() as s:
            return sp_dict(self.get_row(s, SP, sp_id, 'Service Provider'))

    def list_service_providers(self, where=None):
        stmt = sa.select(SP).order_by(SP.id)
        with self.read() as s:
            return [sp_dict(r) for r in s.scalars(where(stmt) if where else stmt)]

    def update_service_provider(self, sp_id, changes):
        with self.write() as s:
            row = self.get_row(s, SP, sp_id, 'Service Provider')
            for key in ('auth_url', 'sp_url', 'description', 'enabled'):
                if key in changes:
                    setattr(row, key, changes[key])
            if 'relay_state_prefix' in changes:
                row.relay_state_prefix = (changes['relay_state_prefix']
                                          or CONF.federation.relay_state_prefix)
            return sp_dict(row)

    def delete_service_provider(self, sp_id):
        with self.write() as s:
            s.delete(self.get_row(s, SP, sp_id, 'Service Provider'))

    def service_providers_catalog(self):
        """The enabled service providers a token shows (service_providers)."""
        return [{'id': sp['id'], 'auth_url': sp['auth_url'], 'sp_url': sp['sp_url']}
                for sp in self.list_service_providers(lambda q: q.where(SP.enabled.is_(True)))]

    # -- the mapped method -------------------------------------------------

    def find_identity_provider_by_remote_id(self, remote_id):
        with self.read() as s:
            idp_id = s.scalar(sa.select(models.IdpRemoteId.idp_id).where(
                models.IdpRemoteId.remote_id == remote_id))
        if idp_id is None:
            raise exception.Unauthorized(AUTH_FAILED)
        return idp_id

    def remote_id_of(self, request, protocol_id=None, idp_id=None):
        """The identity provider's remote id a front end passed (the attribute
        [federation] remote_id_attribute names, or the protocol's)."""
        attribute = CONF.federation.remote_id_attribute
        if idp_id and protocol_id:
            with self.read() as s:
                row = s.get(PROTO, (protocol_id, idp_id))
                if row is not None and row.remote_id_attribute:
                    attribute = row.remote_id_attribute
        if not attribute:
            return None
        wanted = mapping_rules.normalize_name(attribute)
        for name, value in assertion(request).items():
            if mapping_rules.normalize_name(name) == wanted:
                return value
        return None

    def _auth_mapped(self, data, request):
        """The mapped method: a trusted front end's attributes, through the
        protocol's mapping, to a local or an ephemeral (shadow) user."""
        idp_id, protocol_id = data.get('identity_provider'), data.get('protocol')
        if not isinstance(idp_id, str) or not isinstance(protocol_id, str):
            raise exception.ValidationError(
                "'identity_provider' and 'protocol' are required for mapped.")
        attributes = assertion(request)
        with self.read() as s:
            idp = s.get(IDP, idp_id)
            if idp is None:
                raise exception.NotFound('Could not find Identity Provider: %s.' % idp_id)
            if not idp.enabled:
                raise exception.Forbidden('Identity Provider %s is disabled.' % idp_id)
            protocol = self._protocol(s, idp_id, protocol_id)
            mapping_id = protocol.mapping_id
            remote_ids = [r.remote_id for r in idp.remote_ids]
            rules = self.get_row(s, MAP, mapping_id, 'mapping').rules
            attribute = protocol.remote_id_attribute or CONF.federation.remote_id_attribute
            idp_domain = idp.domain_id
        if attribute and remote_ids:
            wanted = mapping_rules.normalize_name(attribute)
            given = [v for k, v in attributes.items()
                     if mapping_rules.normalize_name(k) == wanted]
            if not given:
                raise exception.ValidationError(
                    'Could not find Identity Provider identifier in environment')
            if given[0] not in remote_ids:
                raise exception.Forbidden(
                    'Incoming identity provider identifier not included among the '
                    'accepted identifiers.')
        mapped = mapping_rules.apply(mapping_id, rules, attributes)
        group_ids = self._mapped_group_ids(mapped)
        user = mapped['user']
        if user['type'] == 'local':
            user_id = self._mapped_local_user(user)
        else:
            user_id = self._shadow_user(idp_id, protocol_id, user, mapped, idp_domain,
                                        attributes)
        return {'user_id': user_id, 'idp_id': idp_id, 'protocol_id': protocol_id,
                'group_ids': group_ids}

    def _mapped_group_ids(self, mapped):
        """The ids of the existing groups a mapping named (by id or name)."""
        G, P = models.Group, models.Project
        ids = set()
        with self.read() as s:
            if mapped['group_ids']:
                ids |= set(s.scalars(sa.select(G.id).where(G.id.in_(mapped['group_ids']))))
            for ref in mapped['group_names']:
                domain = ref.get('domain') or {}
                where = [G.name == ref.get('name')]
                if domain.get('id'):
                    where.append(G.domain_id == domain['id'])
                else:
                    where.append(G.domain_id.in_(sa.select(P.id).where(
                        P.is_domain.is_(True), P.name == domain.get('name'))))
                ids |= set(s.scalars(sa.select(G.id).where(*where)))
        return sorted(ids)

    def _mapped_local_user(self, user):
        U, P = models.User, models.Project
        domain = user.get('domain') or {}
        with self.read() as s:
            where = [U.id == user['id']] if user.get('id') else [U.name == user.get('name')]
            if domain.get('id'):
                where.append(U.domain_id == domain['id'])
            elif domain.get('name'):
                where.append(U.domain_id.in_(sa.select(P.id).where(
                    P.is_domain.is_(True), P.name == domain['name'])))
            user_id = s.scalar(sa.select(U.id).where(*where))
        if user_id is None:
            raise exception.Unauthorized(AUTH_FAILED)
        return user_id

    def _shadow_user(self, idp_id, protocol_id, user, mapped, idp_domain, attributes):
        """The local row of an ephemeral user, made on first sight and found
        again by (idp, protocol, unique id); its name follows the assertion."""
        name = user.get('name') or next(
            (v for k, v in attributes.items()
             if mapping_rules.normalize_name(k) == 'REMOTE_USER'), None)
        unique_id = user.get('id') or name
        if not unique_id:
            raise exception.ValidationError(
                'Could not map user while setting ephemeral user identity. Either '
                'mapping rules must specify user id/name or REMOTE_USER must be set.')
        unique_id = urllib.parse.quote(unique_id)
        name = name or unique_id
        domain = (user.get('domain') or mapped.get('domain') or {}).get('id') or idp_domain
        U = models.User
        with self.read() as s:
            known = s.execute(sa.select(U.id, U.name).join(FU, FU.user_id == U.id).where(
                FU.idp_id == idp_id, FU.protocol_id == protocol_id,
                FU.unique_id == unique_id)).first()
        if known is not None and known.name == name:
            return known.id             # the common case: no write
        with self.write() as s:
            link = s.scalars(sa.select(FU).where(FU.idp_id == idp_id,
                                                 FU.protocol_id == protocol_id,
                                                 FU.unique_id == unique_id)).first()
            if link is not None:
                row = s.get(U, link.user_id)
                if row.name != name and not s.scalar(sa.select(U.id).where(
                        U.domain_id == row.domain_id, U.name == name)):
                    row.name = link.display_name = name
                if not row.enabled:
                    raise exception.Unauthorized(AUTH_FAILED)
                return row.id
            if s.scalar(sa.select(U.id).where(U.domain_id == domain, U.name == name)):
                raise exception.Conflict(
                    'A user named %s exists already in domain %s.' % (name, domain))
            row = U(id=models.new_id(), name=name, domain_id=domain, enabled=True,
                    options={}, extra={'email': user['email']} if user.get('email') else {})
            s.add(row)
            s.flush()
            s.add(FU(user_id=row.id, idp_id=idp_id, protocol_id=protocol_id,
                     unique_id=unique_id, display_name=name))
            return row.id
