"""Identity backends per domain: which backend a domain's configuration
selects, and the mirror of an external backend's users and groups in the
identity tables (with Keystone's public ids: sha256 of domain, local id and
kind), refreshed when the domain is listed or one of its users
authenticates. Token validation never asks a backend."""
import hashlib
import logging
import time

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack import exception
from cloudstack.identity import backends
from cloudstack.identity import models
from cloudstack.identity.manager import domain_configs

LOG = logging.getLogger(__name__)
IM, U, G, M = models.IdMapping, models.User, models.Group, models.Membership
# Seconds a worker leaves a backend alone after it could not be reached.
RETRY_AFTER_FAILURE = 30


def public_id(domain_id, local_id, kind):
    return hashlib.sha256('\0'.join((domain_id, local_id, kind)).encode()).hexdigest()


class Backends:

    def domain_backend(self, domain_id):
        """The backend the domain's configuration selects ([identity] driver,
        sql by default), with its options."""
        config = self.get_domain_config_with_sensitive(domain_id)
        name = config.get('identity', {}).get('driver') or 'sql'
        cls = backends.load(name)
        options = dict(domain_configs.DEFAULTS.get(name, {}), **config.get(name, {}))
        return cls(domain_id, options)

    def external_domains(self):
        """Ids of the domains whose users live in an external backend (none
        unless [identity] domain_specific_drivers_enabled)."""
        if not CONF.identity.domain_specific_drivers_enabled:
            return []
        DC = models.DomainConfig
        with self.read() as s:
            rows = s.execute(sa.select(DC.domain_id, DC.value).where(
                DC.group == 'identity', DC.option == 'driver')).all()
        return [r.domain_id for r in rows if r.value not in (None, 'sql')]

    def check_writable(self, domain_id, kind, action):
        """403 when the domain's users and groups are read-only, as Keystone
        says it ('LDAP user create')."""
        if domain_id in self.external_domains():
            backend = self.domain_backend(domain_id)
            if not backend.writable:
                raise exception.Forbidden('%s %s %s' % (backend.name.upper(), kind, action))

    def sync_external_domains(self, domain_ids=None):
        """Refresh the mirror of every external domain (or of those given).
        A backend that cannot be reached leaves its mirror as it was."""
        failed = self.__dict__.setdefault('_backend_failures', {})
        for domain_id in self.external_domains():
            if domain_ids is not None and domain_id not in domain_ids:
                continue
            if failed.get(domain_id, 0) > time.monotonic():
                continue        # it failed moments ago: do not wait on it again
            try:
                self.sync_domain(domain_id)
            except exception.ServiceUnavailable as exc:
                failed[domain_id] = time.monotonic() + RETRY_AFTER_FAILURE
                LOG.warning('users and groups of domain %s not refreshed: %s',
                            domain_id, exc.message)

    def sync_domain(self, domain_id):
        backend = self.domain_backend(domain_id)
        if backend.external:
            self._mirror(domain_id, backend.list_users(), backend.list_groups())

    def external_user_password_ok(self, user_id, password):
        """For a user mirrored from an external backend: whether the backend
        accepts the password; None for a user of the identity tables."""
        with self.read() as s:
            mapped = s.execute(sa.select(IM.domain_id, IM.local_id).where(
                IM.public_id == user_id, IM.entity_type == 'user')).first()
        if mapped is None:
            return None
        return self.domain_backend(mapped.domain_id).authenticate(mapped.local_id, password)

    def _mirror(self, domain_id, users, groups):
        """Make the domain's mirrored users, groups and memberships those
        given; write (and so invalidate token caches) only what changed."""
        wanted_users, names = {}, set()
        for user in users:
            if user.name in names:
                LOG.warning('LDAP domain %s: a second user named %r is left out',
                            domain_id, user.name)
                continue
            names.add(user.name)
            extra = {k: v for k, v in (('email', user.email),
                                       ('description', user.description)) if v}
            wanted_users[public_id(domain_id, user.local_id, 'user')] = (
                user.local_id, user.name, user.enabled, extra)
        wanted_groups, members, names = {}, set(), set()
        by_local = {v[0]: k for k, v in wanted_users.items()}
        for group in groups:
            if group.name in names:
                continue
            names.add(group.name)
            gid = public_id(domain_id, group.local_id, 'group')
            wanted_groups[gid] = (group.local_id, group.name, group.description)
            members |= {(by_local[m], gid) for m in group.member_ids if m in by_local}
        with self.read() as s:
            have_users = {r.id: (r.name, r.enabled, r.extra or {}) for r in s.execute(
                sa.select(U.id, U.name, U.enabled, U.extra).join(IM, IM.public_id == U.id)
                .where(IM.domain_id == domain_id, IM.entity_type == 'user'))}
            have_groups = {r.id: (r.name, r.description) for r in s.execute(
                sa.select(G.id, G.name, G.description).join(IM, IM.public_id == G.id)
                .where(IM.domain_id == domain_id, IM.entity_type == 'group'))}
            have_members = set(s.execute(sa.select(M.user_id, M.group_id).where(
                M.group_id.in_(list(have_groups)))).tuples()) if have_groups else set()
        same_users = {k: v[1:] for k, v in wanted_users.items()} == have_users
        same_groups = {k: v[1:] for k, v in wanted_groups.items()} == have_groups
        if same_users and same_groups and members == have_members:
            return
        with self.write() as s:
            self._mirror_rows(s, domain_id, U, 'user', wanted_users, have_users)
            self._mirror_rows(s, domain_id, G, 'group', wanted_groups, have_groups)
            for user_id, group_id in have_members - members:
                s.execute(sa.delete(M).where(M.user_id == user_id, M.group_id == group_id))
                self.revoke_tokens(s, user_id=user_id)
            for user_id, group_id in members - have_members:
                s.add(M(user_id=user_id, group_id=group_id))

    def _mirror_rows(self, s, domain_id, model, kind, wanted, have):
        for row_id in set(have) - set(wanted):
            if kind == 'user':
                self.revoke_tokens(s, user_id=row_id)
            self.delete_assignments(s, actor_id=row_id)
            s.execute(sa.delete(model).where(model.id == row_id))
            s.execute(sa.delete(IM).where(IM.public_id == row_id))
        s.flush()
        for row_id, (local_id, name, *rest) in wanted.items():
            row = s.get(model, row_id)
            if row is None:
                if s.scalar(sa.select(model.id).where(model.domain_id == domain_id,
                                                      model.name == name)):
                    LOG.warning('domain %s: a %s named %r exists already; the one in '
                                'the backend is left out', domain_id, kind, name)
                    continue
                row = model(id=row_id, domain_id=domain_id, name=name, extra={})
                if kind == 'user':
                    row.options = {}
                s.add(row)
                if s.get(IM, row_id) is None:
                    s.add(IM(public_id=row_id, domain_id=domain_id, local_id=local_id,
                             entity_type=kind))
            row.name = name
            if kind == 'user':
                enabled, extra = rest
                if row.enabled and not enabled:
                    self.revoke_tokens(s, user_id=row_id)
                row.enabled, row.extra = enabled, extra
            else:
                row.description = rest[0]
            s.flush()
