"""Users, groups, group membership, passwords."""
import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import new_id
from cloudstack import exception
from cloudstack.identity import compliance
from cloudstack.identity import models
from cloudstack.identity import passwords
from cloudstack.identity.manager import base

U = models.User
G = models.Group
M = models.Membership
USER_ATTRS = ('name', 'domain_id', 'enabled', 'default_project_id', 'password',
              'options')
GROUP_ATTRS = ('name', 'domain_id', 'description')
# Keystone's user resource options.
USER_OPTIONS = ('ignore_change_password_upon_first_use', 'ignore_password_expiry',
                'ignore_lockout_failure_attempts', 'lock_password',
                'ignore_user_inactivity', 'multi_factor_auth_rules',
                'multi_factor_auth_enabled')


def _time(value):
    return value.strftime('%Y-%m-%dT%H:%M:%S.%f') if value else None


def user_view(row):
    view = {'id': row.id, 'name': row.name, 'domain_id': row.domain_id,
            'enabled': row.enabled and not compliance.inactive(row),
            'password_expires_at': _time(row.password_expires_at),
            'options': dict(row.options or {})}
    if row.default_project_id:
        view['default_project_id'] = row.default_project_id
    return base.with_extra(view, row.extra)


def group_view(row):
    return base.with_extra({'id': row.id, 'name': row.name, 'domain_id': row.domain_id,
                            'description': row.description}, row.extra)


def _hash(password):
    if password is None:
        return None
    if len(password) > CONF.identity.max_password_length:
        raise exception.ValidationError(
            'Password is longer than %d characters.' % CONF.identity.max_password_length)
    compliance.check_password_rules(password)
    return passwords.hash_password(password)


def _history(session, user_id):
    """The user's earlier password hashes, newest first."""
    PH = models.PasswordHistory
    return list(session.scalars(sa.select(PH.password_hash).where(PH.user_id == user_id)
                                .order_by(PH.id.desc())))


def _set_password(session, row, hashed, set_by_admin):
    """Store a new password hash, keeping the old one in the history that
    [security_compliance] unique_last_password_count reads."""
    PH = models.PasswordHistory
    keep = compliance.history_kept()
    if row.password_hash and keep:
        session.add(PH(user_id=row.id, password_hash=row.password_hash))
        session.flush()
    stale = list(session.scalars(sa.select(PH.id).where(PH.user_id == row.id)
                                 .order_by(PH.id.desc()).offset(keep)))
    if stale:
        session.execute(sa.delete(PH).where(PH.id.in_(stale)))
    now = models.utcnow()
    row.password_hash = hashed
    row.password_created_at = now if hashed else None
    row.password_expires_at = (compliance.expires_at(row.options, now, set_by_admin)
                               if hashed else None)
    row.password_self_service = not set_by_admin


def _conflict(kind, name, domain_id):
    return exception.Conflict(
        'Conflict occurred attempting to store %s - Duplicate entry found with '
        'name %s at domain ID %s.' % (kind, name, domain_id))


def _list(session, stmt, view, limit=None):
    limit = limit or CONF.identity.list_limit
    if limit:
        stmt = stmt.limit(limit + 1)
    rows = session.scalars(stmt).all()
    truncated = bool(limit) and len(rows) > limit
    return [view(r) for r in rows[:limit or None]], truncated



def _rename(session, row, own, kind):
    """Apply a new name from `own`, unless another of its kind in the domain has it."""
    if 'name' not in own or own['name'] == row.name:
        return
    model = type(row)
    if session.scalar(sa.select(model.id).where(model.name == own['name'],
                                                model.domain_id == row.domain_id)):
        raise _conflict(kind, own['name'], row.domain_id)
    row.name = own['name']

class Users:
    # -- lookups other areas call ---------------------------------------------
    def get_user(self, user_id):
        with self.read() as s:
            return user_view(self.get_row(s, U, user_id, 'user'))

    def find_user(self, name, domain_id):
        with self.read() as s:
            row = s.scalars(sa.select(U).where(U.name == name, U.domain_id == domain_id)).first()
            if row is None:
                raise exception.NotFound('Could not find user: %s.' % name)
            return user_view(row)

    def user_auth_record(self, user_id):
        """The user as the API shows it, plus what authentication needs:
        password_hash, password_expires_at (as shown), domain_enabled and
        domain_name. One query."""
        D = orm.aliased(models.Project)
        with self.read() as s:
            found = s.execute(sa.select(U, D.enabled, D.name).join(D, D.id == U.domain_id)
                              .where(U.id == user_id)).first()
            if found is None:
                raise exception.NotFound('Could not find user: %s.' % user_id)
            row, domain_enabled, domain_name = found
            record = user_view(row)
            record.update(password_hash=row.password_hash, domain_enabled=domain_enabled,
                          domain_name=domain_name)
            return record

    def list_user_group_ids(self, user_id):
        with self.read() as s:
            return list(s.scalars(sa.select(M.group_id).where(M.user_id == user_id)))

    # -- users ------------------------------------------------------------------
    def list_users(self, query=None, limit=None):
        self.sync_external_domains()
        stmt = sa.select(U).order_by(U.name, U.id)
        with self.read() as s:
            return _list(s, query(stmt) if query else stmt, user_view, limit)

    def _check_default_project(self, session, project_id):
        if project_id:
            project = session.get(models.Project, project_id)
            if project is not None and project.is_domain:
                raise exception.ValidationError(
                    "The default project of a user can't be a domain: %s." % project_id)

    def create_user(self, body):
        own, extra = base.split_extra(body, USER_ATTRS)
        extra.pop('id', None)
        self.check_writable(own['domain_id'], 'user', 'create')
        hashed = _hash(own.get('password'))
        with self.write() as s:
            self._domain_row(s, own['domain_id'])
            self._check_default_project(s, own.get('default_project_id'))
            if s.scalar(sa.select(U.id).where(U.name == own['name'],
                                              U.domain_id == own['domain_id'])):
                raise _conflict('user', own['name'], own['domain_id'])
            row = U(id=new_id(), name=own['name'], domain_id=own['domain_id'],
                    enabled=own.get('enabled', True),
                    default_project_id=own.get('default_project_id'),
                    options={k: v for k, v in (own.get('options') or {}).items()
                             if v is not None},
                    extra=extra)
            s.add(row)
            s.flush()
            _set_password(s, row, hashed, set_by_admin=True)
            return user_view(row)

    def update_user(self, user_id, body):
        own, extra = base.split_extra(body, USER_ATTRS)
        extra.pop('id', None)
        self.check_writable(self.get_user(user_id)['domain_id'], 'user', 'update')
        hashed = _hash(own['password']) if own.get('password') is not None else None
        with self.write() as s:
            row = self.get_row(s, U, user_id, 'user')
            if 'domain_id' in own and own['domain_id'] != row.domain_id:
                raise exception.ValidationError('Cannot change Domain ID.')
            _rename(s, row, own, 'user')
            if 'default_project_id' in own:
                self._check_default_project(s, own['default_project_id'])
                row.default_project_id = own['default_project_id']
            if 'options' in own:
                options = {**(row.options or {}), **(own['options'] or {})}
                row.options = {k: v for k, v in options.items() if v is not None}
            revoke = False
            if 'password' in own:
                _set_password(s, row, hashed, set_by_admin=True)
                revoke = True
            if 'enabled' in own:
                revoke = revoke or (row.enabled and not own['enabled'])
                if own['enabled'] and compliance.inactive(row):
                    row.last_active_at = models.utcnow()    # re-enabled: active again
                row.enabled = own['enabled']
            if extra:
                row.extra = {**(row.extra or {}), **extra}
            if revoke:
                self.revoke_tokens(s, user_id=user_id)
            s.flush()
            return user_view(row)

    def delete_user(self, user_id):
        self.check_writable(self.get_user(user_id)['domain_id'], 'user', 'delete')
        with self.write() as s:
            row = self.get_row(s, U, user_id, 'user')
            self.delete_assignments(s, actor_id=user_id)
            self.revoke_tokens(s, user_id=user_id)
            s.delete(row)

    def change_password(self, user_id, original_password, password):
        """The user's own change, authenticated by the original password (an
        expired one too), under the [security_compliance] rules."""
        error = exception.Unauthorized(
            'Error when changing user password: the original password is wrong.')
        with self.read() as s:
            row = s.get(U, user_id)
            if row is None or not row.enabled or compliance.inactive(row):
                raise error
            history = [row.password_hash] + _history(s, user_id)
            s.expunge(row)
        self.check_user_password(row, original_password, error)
        compliance.check_self_service_change(row, history, password,
                                             passwords.check_password)
        hashed = _hash(password)
        with self.write() as s:
            current = self.get_row(s, U, user_id, 'user')
            if current.password_hash != row.password_hash:     # changed meanwhile
                raise error
            _set_password(s, current, hashed, set_by_admin=False)
            self.revoke_tokens(s, user_id=user_id)

    def check_user_password(self, row, password, error):
        """Check a password of a user row (or tokens.user_rows row), counting
        failures for [security_compliance] lockout: `error` when wrong or
        locked out."""
        if compliance.locked_out(row):
            raise error
        if row.password_hash:
            correct = passwords.check_password(password, row.password_hash)
        else:       # a user of an external backend, or one without a password
            correct = self.external_user_password_ok(row.id, password)
        if not correct:
            if compliance.lockout_enabled():
                self._count_failed_auth(row.id)
            raise error
        if row.failed_auth_count:
            self._count_failed_auth(row.id, reset=True)

    @staticmethod
    def _count_failed_auth(user_id, reset=False):
        # Not a change to what any token grants: no revision bump.
        values = ({'failed_auth_count': 0, 'failed_auth_at': None} if reset else
                  {'failed_auth_count': U.failed_auth_count + 1,
                   'failed_auth_at': models.utcnow()})
        with db_api.writer() as s:
            s.execute(sa.update(U).where(U.id == user_id).values(**values))

    @staticmethod
    def record_activity(row):
        """Note the day of a user's authentication when inactivity disables users."""
        if not CONF.security_compliance.disable_user_account_days_inactive:
            return
        today = models.utcnow()
        if row.last_active_at is not None and row.last_active_at.date() == today.date():
            return
        with db_api.writer() as s:
            s.execute(sa.update(U).where(U.id == row.id).values(last_active_at=today))

    # -- groups -----------------------------------------------------------------
    def get_group(self, group_id):
        with self.read() as s:
            return group_view(self.get_row(s, G, group_id, 'group'))

    def list_groups(self, query=None, limit=None):
        self.sync_external_domains()
        stmt = sa.select(G).order_by(G.name, G.id)
        with self.read() as s:
            return _list(s, query(stmt) if query else stmt, group_view, limit)

    def create_group(self, body):
        own, extra = base.split_extra(body, GROUP_ATTRS)
        extra.pop('id', None)
        self.check_writable(own['domain_id'], 'group', 'create')
        with self.write() as s:
            self._domain_row(s, own['domain_id'])
            if s.scalar(sa.select(G.id).where(G.name == own['name'],
                                              G.domain_id == own['domain_id'])):
                raise _conflict('group', own['name'], own['domain_id'])
            row = G(id=new_id(), name=own['name'], domain_id=own['domain_id'],
                    description=own.get('description', ''), extra=extra)
            s.add(row)
            s.flush()
            return group_view(row)

    def update_group(self, group_id, body):
        own, extra = base.split_extra(body, GROUP_ATTRS)
        extra.pop('id', None)
        self.check_writable(self.get_group(group_id)['domain_id'], 'group', 'update')
        with self.write() as s:
            row = self.get_row(s, G, group_id, 'group')
            if 'domain_id' in own and own['domain_id'] != row.domain_id:
                raise exception.ValidationError('Cannot change Domain ID.')
            _rename(s, row, own, 'group')
            if 'description' in own:
                row.description = own['description']
            if extra:
                row.extra = {**(row.extra or {}), **extra}
            s.flush()
            return group_view(row)

    def delete_group(self, group_id):
        self.check_writable(self.get_group(group_id)['domain_id'], 'group', 'delete')
        with self.write() as s:
            row = self.get_row(s, G, group_id, 'group')
            for user_id in s.scalars(sa.select(M.user_id).where(M.group_id == group_id)).all():
                self.revoke_tokens(s, user_id=user_id)
            self.delete_assignments(s, actor_id=group_id)
            s.delete(row)

    # -- membership -------------------------------------------------------------
    def list_group_users(self, group_id, query=None):
        self.sync_external_domains()
        stmt = sa.select(U).join(M, M.user_id == U.id).where(M.group_id == group_id) \
            .order_by(U.name, U.id)
        with self.read() as s:
            self.get_row(s, G, group_id, 'group')
            return _list(s, query(stmt) if query else stmt, user_view)

    def list_user_groups(self, user_id, query=None):
        self.sync_external_domains()
        stmt = sa.select(G).join(M, M.group_id == G.id).where(M.user_id == user_id) \
            .order_by(G.name, G.id)
        with self.read() as s:
            self.get_row(s, U, user_id, 'user')
            return _list(s, query(stmt) if query else stmt, group_view)

    def _membership(self, session, group_id, user_id):
        self.get_row(session, G, group_id, 'group')
        self.get_row(session, U, user_id, 'user')
        return session.get(M, (user_id, group_id))

    def _check_membership_writable(self, group_id, user_id):
        for domain_id in {self.get_group(group_id)['domain_id'],
                          self.get_user(user_id)['domain_id']}:
            self.check_writable(domain_id, 'group', 'update')

    def add_user_to_group(self, group_id, user_id):
        self._check_membership_writable(group_id, user_id)
        with self.write() as s:
            if self._membership(s, group_id, user_id) is None:
                s.add(M(user_id=user_id, group_id=group_id))

    def check_user_in_group(self, group_id, user_id):
        with self.read() as s:
            if self._membership(s, group_id, user_id) is None:
                raise exception.NotFound(
                    'User %s is not a member of group %s.' % (user_id, group_id))

    def remove_user_from_group(self, group_id, user_id):
        self._check_membership_writable(group_id, user_id)
        with self.write() as s:
            member = self._membership(s, group_id, user_id)
            if member is None:
                raise exception.NotFound(
                    'User %s is not a member of group %s.' % (user_id, group_id))
            s.delete(member)
            self.revoke_tokens(s, user_id=user_id)
