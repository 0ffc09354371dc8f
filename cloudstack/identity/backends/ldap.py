"""The LDAP backend (read-only): users and groups of an LDAP directory,
read with ldap3, with Keystone's [ldap] options (from the domain's
configuration): tree DNs, object classes, attribute names, filters, scope,
enabled emulation, TLS."""
import ssl

import ldap3
from ldap3.core import exceptions as ldap_errors
from ldap3.utils import conv

from cloudstack import exception
from cloudstack.identity.backends import base

SCOPES = {'one': ldap3.LEVEL, 'sub': ldap3.SUBTREE}
DEREF = {'default': ldap3.DEREF_ALWAYS, 'always': ldap3.DEREF_ALWAYS,
         'never': ldap3.DEREF_NEVER, 'finding': ldap3.DEREF_BASE,
         'searching': ldap3.DEREF_SEARCH}
TLS_REQ = {'demand': ssl.CERT_REQUIRED, 'allow': ssl.CERT_OPTIONAL,
           'never': ssl.CERT_NONE}
TRUE_VALUES = ('true', 'yes', '1', 'on')


def _first(entry, attribute):
    """The first value of an entry's attribute as text, or None."""
    if not attribute:
        return None
    values = entry['attributes'].get(attribute)
    if values in (None, [], ''):
        return None
    value = values[0] if isinstance(values, list) else values
    return value.decode() if isinstance(value, bytes) else str(value)


def _values(entry, attribute):
    values = entry['attributes'].get(attribute) or []
    if not isinstance(values, list):
        values = [values]
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def _and(*filters):
    parts = [f if f.startswith('(') else '(%s)' % f for f in filters if f]
    return parts[0] if len(parts) == 1 else '(&%s)' % ''.join(parts)


class LdapBackend(base.IdentityBackend):
    name = 'ldap'

    def _opt(self, name):
        return self.options.get(name)

    def _tree(self, kind):
        return self._opt('%s_tree_dn' % kind) or '%s,%s' % (
            'ou=Users' if kind == 'user' else 'ou=UserGroups', self._opt('suffix'))

    def _server(self):
        tls = None
        if self._opt('use_tls') or str(self._opt('url')).startswith('ldaps://'):
            tls = ldap3.Tls(validate=TLS_REQ.get(self._opt('tls_req_cert'), ssl.CERT_REQUIRED),
                            ca_certs_file=self._opt('tls_cacertfile'),
                            ca_certs_path=self._opt('tls_cacertdir'))
        urls = [u.strip() for u in str(self._opt('url')).split(',') if u.strip()]
        servers = [ldap3.Server(u, tls=tls, connect_timeout=10, get_info=ldap3.NONE)
                   for u in urls]
        return servers[0] if len(servers) == 1 else ldap3.ServerPool(servers)

    def _connect(self, user=None, password=None):
        """A bound connection: as `user` when given, else as the configured
        bind user (anonymous when none)."""
        if user is None:
            user, password = self._opt('user'), self._opt('password')
        try:
            conn = ldap3.Connection(self._server(), user=user, password=password,
                                    auto_bind=ldap3.AUTO_BIND_NONE, receive_timeout=30,
                                    check_names=False,
                                    raise_exceptions=False, auto_referrals=bool(
                                        self._opt('chase_referrals')))
            if self._opt('use_tls') and not str(self._opt('url')).startswith('ldaps://'):
                conn.open()
                conn.start_tls()
            if not conn.bind():
                return None
            return conn
        except ldap_errors.LDAPException as exc:
            raise exception.ServiceUnavailable(
                'The LDAP server of domain %s cannot be reached: %s'
                % (self.domain_id, type(exc).__name__))

    def _search(self, conn, kind, extra_filter=None):
        objectclass = self._opt('%s_objectclass' % kind)
        ldap_filter = _and('objectClass=%s' % conv.escape_filter_chars(objectclass),
                           self._opt('%s_filter' % kind), extra_filter)
        attributes = [a for a in self._attributes(kind) if a]
        entries = conn.extend.standard.paged_search(
            self._tree(kind), ldap_filter,
            search_scope=SCOPES.get(self._opt('query_scope'), ldap3.LEVEL),
            dereference_aliases=DEREF.get(self._opt('alias_dereferencing'),
                                          ldap3.DEREF_ALWAYS),
            attributes=attributes, paged_size=int(self._opt('page_size') or 0) or 500,
            generator=False)
        return [e for e in entries if e.get('type') == 'searchResEntry']

    def _attributes(self, kind):
        if kind == 'user':
            return [self._opt(n) for n in (
                'user_id_attribute', 'user_name_attribute', 'user_mail_attribute',
                'user_description_attribute', 'user_enabled_attribute')]
        return [self._opt(n) for n in ('group_id_attribute', 'group_name_attribute',
                                       'group_desc_attribute', 'group_member_attribute')]

    def _enabled(self, entry, emulated):
        if self._opt('user_enabled_emulation'):
            return entry['dn'].lower() in emulated
        value = _first(entry, self._opt('user_enabled_attribute'))
        if value is None:
            value = str(self._opt('user_enabled_default'))
        mask = int(self._opt('user_enabled_mask') or 0)
        if mask:
            try:
                enabled = not (int(value) & mask)
            except ValueError:
                enabled = True
        else:
            enabled = value.lower() in TRUE_VALUES
        return not enabled if self._opt('user_enabled_invert') else enabled

    def _emulated_enabled(self, conn):
        """DNs in the enabled-emulation group ('cn=enabled_users,<user tree>')."""
        if not self._opt('user_enabled_emulation'):
            return set()
        dn = self._opt('user_enabled_emulation_dn') or 'cn=enabled_users,' + self._tree('user')
        member = self._opt('group_member_attribute') or 'member'
        conn.search(dn, '(objectClass=*)', search_scope=ldap3.BASE, attributes=[member])
        return {v.lower() for e in conn.response if e.get('type') == 'searchResEntry'
                for v in _values(e, member)}

    def _user(self, entry, emulated):
        local_id = _first(entry, self._opt('user_id_attribute'))
        return base.UserRecord(
            local_id=local_id, name=_first(entry, self._opt('user_name_attribute')) or local_id,
            enabled=self._enabled(entry, emulated),
            email=_first(entry, self._opt('user_mail_attribute')),
            description=_first(entry, self._opt('user_description_attribute')))

    def _with(self, work):
        conn = self._connect()
        if conn is None:
            raise exception.ServiceUnavailable(
                'The LDAP server of domain %s refused the bind.' % self.domain_id)
        try:
            return work(conn)
        except ldap_errors.LDAPException as exc:
            raise exception.ServiceUnavailable(
                'The LDAP server of domain %s failed a search: %s'
                % (self.domain_id, type(exc).__name__))
        finally:
            conn.unbind()

    def _user_entries(self, conn, extra_filter=None):
        entries = self._search(conn, 'user', extra_filter)
        return [e for e in entries if _first(e, self._opt('user_id_attribute'))]

    def list_users(self):
        def work(conn):
            emulated = self._emulated_enabled(conn)
            return [self._user(e, emulated) for e in self._user_entries(conn)]
        return self._with(work)

    def find_user(self, name):
        def work(conn):
            attribute = self._opt('user_name_attribute')
            found = self._user_entries(conn, '%s=%s' % (attribute,
                                                        conv.escape_filter_chars(name)))
            return self._user(found[0], self._emulated_enabled(conn)) if found else None
        return self._with(work)

    def list_groups(self):
        def work(conn):
            user_dns = {}
            if not self._opt('group_members_are_ids'):
                for entry in self._user_entries(conn):
                    user_dns[entry['dn'].lower()] = _first(
                        entry, self._opt('user_id_attribute'))
            groups = []
            for entry in self._search(conn, 'group'):
                local_id = _first(entry, self._opt('group_id_attribute'))
                if not local_id:
                    continue
                members = _values(entry, self._opt('group_member_attribute'))
                if not self._opt('group_members_are_ids'):
                    members = [user_dns[m.lower()] for m in members if m.lower() in user_dns]
                groups.append(base.GroupRecord(
                    local_id=local_id,
                    name=_first(entry, self._opt('group_name_attribute')) or local_id,
                    description=_first(entry, self._opt('group_desc_attribute')),
                    member_ids=members))
            return groups
        return self._with(work)

    def authenticate(self, local_id, password):
        if not password:
            return False        # an empty password would be an anonymous bind

        def work(conn):
            found = self._user_entries(conn, '%s=%s' % (
                self._opt('user_id_attribute'), conv.escape_filter_chars(local_id)))
            return found[0]['dn'] if found else None
        dn = self._with(work)
        if dn is None:
            return False
        conn = self._connect(dn, password)
        if conn is None:
            return False
        conn.unbind()
        return True
