"""Identity tables.

Domains are rows of `projects` with is_domain set, as in Keystone: a domain's
domain_id is ROOT_DOMAIN, a top-level project's parent is its domain. This
gives one hierarchy and one name space per domain for projects and domains.
"""
import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapped, mapped_column

from cloudstack.db.models import Base, UTCDateTime, new_id, utcnow

ROOT_DOMAIN = '<<root>>'
SYSTEM = 'system'

ID = sa.String(64)
Json = sa.JSON


def _id_column(**kw):
    return mapped_column(ID, primary_key=True, default=new_id, **kw)


class Project(Base):
    __tablename__ = 'projects'
    __table_args__ = (sa.UniqueConstraint('domain_id', 'name'),)
    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str | None] = mapped_column(sa.Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    domain_id: Mapped[str] = mapped_column(ID, index=True)
    parent_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey('projects.id'), index=True)
    is_domain: Mapped[bool] = mapped_column(default=False)
    options: Mapped[dict] = mapped_column(Json, default=dict)
    extra: Mapped[dict] = mapped_column(Json, default=dict)
    tags = orm.relationship('ProjectTag', cascade='all, delete-orphan',
                            lazy='selectin', order_by='ProjectTag.name')


class ProjectTag(Base):
    __tablename__ = 'project_tags'
    project_id: Mapped[str] = mapped_column(
        sa.ForeignKey('projects.id', ondelete='CASCADE'), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class User(Base):
    __tablename__ = 'users'
    __table_args__ = (sa.UniqueConstraint('domain_id', 'name'),)
    id: Mapped[str] = _id_column()
    domain_id: Mapped[str] = mapped_column(sa.ForeignKey('projects.id'), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    enabled: Mapped[bool] = mapped_column(default=True)
    default_project_id: Mapped[str | None] = mapped_column(ID)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    password_created_at: Mapped[object | None] = mapped_column(UTCDateTime)
    password_expires_at: Mapped[object | None] = mapped_column(UTCDateTime)
    options: Mapped[dict] = mapped_column(Json, default=dict)
    extra: Mapped[dict] = mapped_column(Json, default=dict)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)
    last_active_at: Mapped[object | None] = mapped_column(UTCDateTime)
    # [security_compliance]: failed password attempts (lockout) and whether
    # the user set the current password themselves (minimum password age).
    failed_auth_count: Mapped[int] = mapped_column(default=0)
    failed_auth_at: Mapped[object | None] = mapped_column(UTCDateTime)
    password_self_service: Mapped[bool] = mapped_column(default=False)


class PasswordHistory(Base):
    """A user's earlier password hashes, newest last ([security_compliance]
    unique_last_password_count)."""
    __tablename__ = 'password_history'
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class IdMapping(Base):
    """The public id of a user or group that lives in another backend (LDAP):
    sha256 of (domain, local id, kind), as Keystone's id mapping."""
    __tablename__ = 'id_mappings'
    __table_args__ = (sa.UniqueConstraint('domain_id', 'local_id', 'entity_type'),)
    public_id: Mapped[str] = mapped_column(ID, primary_key=True)
    domain_id: Mapped[str] = mapped_column(ID)
    local_id: Mapped[str] = mapped_column(sa.String(255))
    entity_type: Mapped[str] = mapped_column(sa.String(8))


class Group(Base):
    __tablename__ = 'groups'
    __table_args__ = (sa.UniqueConstraint('domain_id', 'name'),)
    id: Mapped[str] = _id_column()
    domain_id: Mapped[str] = mapped_column(sa.ForeignKey('projects.id'), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str | None] = mapped_column(sa.Text)
    extra: Mapped[dict] = mapped_column(Json, default=dict)


class Membership(Base):
    __tablename__ = 'group_memberships'
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), primary_key=True)
    group_id: Mapped[str] = mapped_column(
        sa.ForeignKey('groups.id', ondelete='CASCADE'), primary_key=True, index=True)


class Role(Base):
    """A global role (domain_id NULL) or a domain-specific one."""
    __tablename__ = 'roles'
    __table_args__ = (sa.UniqueConstraint('name', 'domain_id'),)
    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(sa.String(255))
    domain_id: Mapped[str | None] = mapped_column(ID)
    description: Mapped[str | None] = mapped_column(sa.Text)
    options: Mapped[dict] = mapped_column(Json, default=dict)
    extra: Mapped[dict] = mapped_column(Json, default=dict)


class ImpliedRole(Base):
    __tablename__ = 'implied_roles'
    prior_role_id: Mapped[str] = mapped_column(
        sa.ForeignKey('roles.id', ondelete='CASCADE'), primary_key=True)
    implied_role_id: Mapped[str] = mapped_column(
        sa.ForeignKey('roles.id', ondelete='CASCADE'), primary_key=True)


class Assignment(Base):
    """A role granted to a user or group on a project, a domain or the system.

    type is one of user_project, group_project, user_domain, group_domain,
    user_system, group_system; target_id is SYSTEM ('system') for the last two.
    inherited grants on a domain or project apply to the projects below it.
    """
    __tablename__ = 'assignments'
    type: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    actor_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    target_id: Mapped[str] = mapped_column(ID, primary_key=True, index=True)
    role_id: Mapped[str] = mapped_column(
        sa.ForeignKey('roles.id', ondelete='CASCADE'), primary_key=True)
    inherited: Mapped[bool] = mapped_column(primary_key=True, default=False)


class Region(Base):
    __tablename__ = 'regions'
    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True, default=new_id)
    description: Mapped[str | None] = mapped_column(sa.Text)
    parent_region_id: Mapped[str | None] = mapped_column(sa.ForeignKey('regions.id'))
    extra: Mapped[dict] = mapped_column(Json, default=dict)


class Service(Base):
    __tablename__ = 'services'
    id: Mapped[str] = _id_column()
    type: Mapped[str] = mapped_column(sa.String(255))
    name: Mapped[str | None] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    enabled: Mapped[bool] = mapped_column(default=True)
    extra: Mapped[dict] = mapped_column(Json, default=dict)


class Endpoint(Base):
    __tablename__ = 'endpoints'
    id: Mapped[str] = _id_column()
    service_id: Mapped[str] = mapped_column(
        sa.ForeignKey('services.id', ondelete='CASCADE'), index=True)
    interface: Mapped[str] = mapped_column(sa.String(8))
    url: Mapped[str] = mapped_column(sa.Text)
    region_id: Mapped[str | None] = mapped_column(sa.ForeignKey('regions.id'))
    enabled: Mapped[bool] = mapped_column(default=True)
    extra: Mapped[dict] = mapped_column(Json, default=dict)


class EndpointGroup(Base):
    __tablename__ = 'endpoint_groups'
    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    filters: Mapped[dict] = mapped_column(Json, default=dict)


class ProjectEndpoint(Base):
    __tablename__ = 'project_endpoints'
    endpoint_id: Mapped[str] = mapped_column(
        sa.ForeignKey('endpoints.id', ondelete='CASCADE'), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        sa.ForeignKey('projects.id', ondelete='CASCADE'), primary_key=True)


class ProjectEndpointGroup(Base):
    __tablename__ = 'project_endpoint_groups'
    endpoint_group_id: Mapped[str] = mapped_column(
        sa.ForeignKey('endpoint_groups.id', ondelete='CASCADE'), primary_key=True)
    project_id: Mapped[str] = mapped_column(
        sa.ForeignKey('projects.id', ondelete='CASCADE'), primary_key=True)


class Policy(Base):
    __tablename__ = 'policies'
    id: Mapped[str] = _id_column()
    type: Mapped[str] = mapped_column(sa.String(255))
    blob: Mapped[str] = mapped_column(sa.Text)
    extra: Mapped[dict] = mapped_column(Json, default=dict)


class Credential(Base):
    """A secret a user stores; the blob is encrypted with the credential keys.
    EC2 credentials are type 'ec2', their id the sha256 of the access key."""
    __tablename__ = 'credentials'
    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), index=True)
    project_id: Mapped[str | None] = mapped_column(ID)
    type: Mapped[str] = mapped_column(sa.String(255))
    encrypted_blob: Mapped[str] = mapped_column(sa.Text)
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    extra: Mapped[dict] = mapped_column(Json, default=dict)


class Trust(Base):
    __tablename__ = 'trusts'
    id: Mapped[str] = _id_column()
    trustor_user_id: Mapped[str] = mapped_column(ID, index=True)
    trustee_user_id: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str | None] = mapped_column(ID)
    impersonation: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[object | None] = mapped_column(UTCDateTime)
    remaining_uses: Mapped[int | None]
    redelegated_trust_id: Mapped[str | None] = mapped_column(ID)
    redelegation_count: Mapped[int | None]
    deleted_at: Mapped[object | None] = mapped_column(UTCDateTime)
    extra: Mapped[dict] = mapped_column(Json, default=dict)


class TrustRole(Base):
    __tablename__ = 'trust_roles'
    trust_id: Mapped[str] = mapped_column(
        sa.ForeignKey('trusts.id', ondelete='CASCADE'), primary_key=True)
    role_id: Mapped[str] = mapped_column(ID, primary_key=True)


class ApplicationCredential(Base):
    __tablename__ = 'application_credentials'
    __table_args__ = (sa.UniqueConstraint('user_id', 'name'),)
    id: Mapped[str] = _id_column()
    name: Mapped[str] = mapped_column(sa.String(255))
    secret_hash: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.Text)
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), index=True)
    project_id: Mapped[str | None] = mapped_column(ID)
    system: Mapped[str | None] = mapped_column(sa.String(16))
    expires_at: Mapped[object | None] = mapped_column(UTCDateTime)
    unrestricted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow)


class ApplicationCredentialRole(Base):
    __tablename__ = 'application_credential_roles'
    application_credential_id: Mapped[str] = mapped_column(
        sa.ForeignKey('application_credentials.id', ondelete='CASCADE'),
        primary_key=True)
    role_id: Mapped[str] = mapped_column(ID, primary_key=True)


class AccessRule(Base):
    __tablename__ = 'access_rules'
    id: Mapped[str] = _id_column()
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), index=True)
    service: Mapped[str] = mapped_column(sa.String(64))
    path: Mapped[str] = mapped_column(sa.String(128))
    method: Mapped[str] = mapped_column(sa.String(16))


class ApplicationCredentialAccessRule(Base):
    __tablename__ = 'application_credential_access_rules'
    application_credential_id: Mapped[str] = mapped_column(
        sa.ForeignKey('application_credentials.id', ondelete='CASCADE'),
        primary_key=True)
    access_rule_id: Mapped[str] = mapped_column(
        sa.ForeignKey('access_rules.id', ondelete='CASCADE'), primary_key=True)


class RevocationEvent(Base):
    """Tokens matching every non-null field and issued before issued_before
    are revoked."""
    __tablename__ = 'revocation_events'
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    domain_id: Mapped[str | None] = mapped_column(ID)
    project_id: Mapped[str | None] = mapped_column(ID)
    user_id: Mapped[str | None] = mapped_column(ID)
    role_id: Mapped[str | None] = mapped_column(ID)
    trust_id: Mapped[str | None] = mapped_column(ID)
    consumer_id: Mapped[str | None] = mapped_column(ID)
    access_token_id: Mapped[str | None] = mapped_column(ID)
    audit_id: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    audit_chain_id: Mapped[str | None] = mapped_column(sa.String(32))
    issued_before: Mapped[object] = mapped_column(UTCDateTime)
    expires_at: Mapped[object | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[object] = mapped_column(UTCDateTime, default=utcnow, index=True)


class DomainConfig(Base):
    __tablename__ = 'domain_configs'
    domain_id: Mapped[str] = mapped_column(
        sa.ForeignKey('projects.id', ondelete='CASCADE'), primary_key=True)
    group: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    option: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    value: Mapped[object] = mapped_column(Json)
    sensitive: Mapped[bool] = mapped_column(default=False)


class Consumer(Base):
    """An OAuth1 consumer."""
    __tablename__ = 'oauth1_consumers'
    id: Mapped[str] = _id_column()
    description: Mapped[str | None] = mapped_column(sa.Text)
    secret: Mapped[str] = mapped_column(sa.String(255))
    extra: Mapped[dict] = mapped_column(Json, default=dict)


class RequestToken(Base):
    """An OAuth1 request token, authorized by a user for roles on a project."""
    __tablename__ = 'oauth1_request_tokens'
    id: Mapped[str] = _id_column()
    request_secret: Mapped[str] = mapped_column(sa.String(64))
    verifier: Mapped[str | None] = mapped_column(sa.String(64))
    authorizing_user_id: Mapped[str | None] = mapped_column(ID)
    requested_project_id: Mapped[str] = mapped_column(ID)
    role_ids: Mapped[list | None] = mapped_column(Json)
    consumer_id: Mapped[str] = mapped_column(
        sa.ForeignKey('oauth1_consumers.id', ondelete='CASCADE'), index=True)
    expires_at: Mapped[object | None] = mapped_column(UTCDateTime)


class AccessToken(Base):
    """An OAuth1 access token: the consumer may act for the user on the project."""
    __tablename__ = 'oauth1_access_tokens'
    id: Mapped[str] = _id_column()
    access_secret: Mapped[str] = mapped_column(sa.String(64))
    authorizing_user_id: Mapped[str] = mapped_column(ID, index=True)
    project_id: Mapped[str] = mapped_column(ID)
    role_ids: Mapped[list] = mapped_column(Json)
    consumer_id: Mapped[str] = mapped_column(
        sa.ForeignKey('oauth1_consumers.id', ondelete='CASCADE'), index=True)
    expires_at: Mapped[object | None] = mapped_column(UTCDateTime)


class IdentityProvider(Base):
    __tablename__ = 'identity_providers'
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    domain_id: Mapped[str] = mapped_column(ID)
    authorization_ttl: Mapped[int | None]
    remote_ids = orm.relationship('IdpRemoteId', cascade='all, delete-orphan',
                                  lazy='selectin', order_by='IdpRemoteId.remote_id')


class IdpRemoteId(Base):
    """A remote id (entity id, issuer) names one identity provider only."""
    __tablename__ = 'idp_remote_ids'
    remote_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    idp_id: Mapped[str] = mapped_column(
        sa.ForeignKey('identity_providers.id', ondelete='CASCADE'), index=True)


class Mapping(Base):
    __tablename__ = 'federation_mappings'
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    rules: Mapped[list] = mapped_column(Json)
    schema_version: Mapped[str] = mapped_column(sa.String(5), default='1.0')


class FederationProtocol(Base):
    __tablename__ = 'federation_protocols'
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    idp_id: Mapped[str] = mapped_column(
        sa.ForeignKey('identity_providers.id', ondelete='CASCADE'), primary_key=True)
    mapping_id: Mapped[str] = mapped_column(ID)
    remote_id_attribute: Mapped[str | None] = mapped_column(sa.String(64))


class FederatedUser(Base):
    """A shadow user: the local user row of someone an identity provider
    asserted, found again by (idp, protocol, unique id)."""
    __tablename__ = 'federated_users'
    __table_args__ = (sa.UniqueConstraint('idp_id', 'protocol_id', 'unique_id'),)
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey('users.id', ondelete='CASCADE'), index=True)
    idp_id: Mapped[str] = mapped_column(
        sa.ForeignKey('identity_providers.id', ondelete='CASCADE'))
    protocol_id: Mapped[str] = mapped_column(ID)
    unique_id: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str | None] = mapped_column(sa.String(255))


class ServiceProvider(Base):
    __tablename__ = 'service_providers'
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str | None] = mapped_column(sa.Text)
    auth_url: Mapped[str] = mapped_column(sa.String(256))
    sp_url: Mapped[str] = mapped_column(sa.String(256))
    relay_state_prefix: Mapped[str] = mapped_column(sa.String(256))


class RegisteredLimit(Base):
    __tablename__ = 'registered_limits'
    __table_args__ = (sa.UniqueConstraint('service_id', 'region_id', 'resource_name'),)
    id: Mapped[str] = _id_column()
    # No foreign keys: as in Keystone, deleting a service or a region
    # leaves its limits in place.
    service_id: Mapped[str] = mapped_column(ID)
    region_id: Mapped[str | None] = mapped_column(sa.String(255))
    resource_name: Mapped[str] = mapped_column(sa.String(255))
    default_limit: Mapped[int]
    description: Mapped[str | None] = mapped_column(sa.Text)


class Limit(Base):
    __tablename__ = 'limits'
    id: Mapped[str] = _id_column()
    project_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey('projects.id', ondelete='CASCADE'))
    domain_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey('projects.id', ondelete='CASCADE'))
    service_id: Mapped[str] = mapped_column(ID)
    region_id: Mapped[str | None] = mapped_column(sa.String(255))
    resource_name: Mapped[str] = mapped_column(sa.String(255))
    resource_limit: Mapped[int]
    description: Mapped[str | None] = mapped_column(sa.Text)


class Revision(Base):
    """A counter bumped by every identity write that can change what a token
    grants; workers compare it to drop cached validations."""
    __tablename__ = 'identity_revision'
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
