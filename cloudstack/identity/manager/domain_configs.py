"""Domain-specific configuration: the [identity] and [ldap] options a domain
may override, stored per domain. Sensitive options (the LDAP bind password)
are stored but never shown."""
import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack import exception
from cloudstack.identity import backends
from cloudstack.identity import models

DC = models.DomainConfig

# The options a domain may set, with the values used when it does not.
DEFAULTS = {
    'identity': {'driver': 'sql', 'list_limit': None},
    'ldap': {
        'url': 'ldap://localhost', 'user': None, 'suffix': 'cn=example,cn=com',
        'query_scope': 'one', 'page_size': 0, 'alias_dereferencing': 'default',
        'debug_level': None, 'chase_referrals': None,
        'user_tree_dn': None, 'user_filter': None, 'user_objectclass': 'inetOrgPerson',
        'user_id_attribute': 'cn', 'user_name_attribute': 'sn',
        'user_mail_attribute': 'mail', 'user_description_attribute': 'description',
        'user_pass_attribute': 'userPassword', 'user_enabled_attribute': 'enabled',
        'user_enabled_invert': False, 'user_enabled_mask': 0,
        'user_enabled_default': 'True', 'user_attribute_ignore': ['default_project_id'],
        'user_default_project_id_attribute': None, 'user_enabled_emulation': False,
        'user_enabled_emulation_dn': None,
        'user_enabled_emulation_use_group_config': False,
        'user_additional_attribute_mapping': [],
        'group_tree_dn': None, 'group_filter': None, 'group_objectclass': 'groupOfNames',
        'group_id_attribute': 'cn', 'group_name_attribute': 'ou',
        'group_members_are_ids': False, 'group_member_attribute': 'member',
        'group_desc_attribute': 'description', 'group_attribute_ignore': [],
        'group_additional_attribute_mapping': [],
        'tls_cacertfile': None, 'tls_cacertdir': None, 'use_tls': False,
        'tls_req_cert': 'demand', 'use_pool': True, 'pool_size': 10,
        'pool_retry_max': 3, 'pool_retry_delay': 0.1, 'pool_connection_timeout': -1,
        'pool_connection_lifetime': 600, 'use_auth_pool': True, 'auth_pool_size': 100,
        'auth_pool_connection_lifetime': 60,
    },
}
SENSITIVE = {'identity': (), 'ldap': ('password',)}
SECURITY_COMPLIANCE = 'security_compliance'
SECURITY_COMPLIANCE_OPTIONS = ('password_regex', 'password_regex_description')


def _invalid(reason):
    return exception.Forbidden('Invalid domain specific configuration: %s.' % reason)


def _missing(domain_id, what):
    return exception.NotFound(
        'Could not find %s in domain configuration for domain %s.' % (what, domain_id))


def check_option(group, option=None):
    if group is not None and group not in DEFAULTS:
        raise _invalid('group %s is not supported' % group)
    if option is not None and option not in DEFAULTS[group] \
            and option not in SENSITIVE[group]:
        raise _invalid('option %s in group %s is not supported' % (option, group))


def check_config(config):
    if not config or not isinstance(config, dict):
        raise _invalid('no options specified')
    for group, options in config.items():
        if not options or not isinstance(options, dict):
            raise _invalid('the value of group %s specified in the config should '
                           'be a dictionary of options' % group)
        for option in options:
            check_option(group, option)
    driver = config.get('identity', {}).get('driver')
    if (CONF.identity.domain_specific_drivers_enabled and driver is not None
            and driver not in backends.available()):
        raise exception.ValidationError(
            'Invalid domain specific configuration: identity driver %r does not exist; '
            'available: %s.' % (driver, ', '.join(backends.available())))


def _what(group, option):
    return 'option %s in group %s' % (option, group) if option else 'group %s' % group


class DomainConfigs:
    def _config_rows(self, session, domain_id, group=None, option=None, sensitive=False):
        stmt = sa.select(DC).where(DC.domain_id == domain_id)
        if not sensitive:
            stmt = stmt.where(DC.sensitive.is_(False))
        if group:
            stmt = stmt.where(DC.group == group)
        if option:
            stmt = stmt.where(DC.option == option)
        return session.scalars(stmt.order_by(DC.group, DC.option)).all()

    @staticmethod
    def _as_config(rows):
        config = {}
        for row in rows:
            config.setdefault(row.group, {})[row.option] = row.value
        return config

    def _store(self, session, domain_id, config):
        for group, options in config.items():
            for option, value in options.items():
                row = session.get(DC, (domain_id, group, option))
                if row is None:
                    session.add(DC(domain_id=domain_id, group=group, option=option,
                                   value=value, sensitive=option in SENSITIVE[group]))
                else:
                    row.value = value
        session.flush()

    def create_domain_config(self, domain_id, config):
        """Replace the domain's config; (config as shown, created?)."""
        check_config(config)
        with self.write() as s:
            self._domain_row(s, domain_id)
            existed = bool(self._config_rows(s, domain_id, sensitive=True))
            s.execute(sa.delete(DC).where(DC.domain_id == domain_id))
            self._store(s, domain_id, config)
            return self._as_config(self._config_rows(s, domain_id)), not existed

    def get_domain_config(self, domain_id, group=None, option=None):
        """The config, a group of it ({group: {...}}) or one option ({option: v})."""
        check_option(group, option)
        with self.read() as s:
            self._domain_row(s, domain_id)
            config = self._as_config(self._config_rows(s, domain_id, group, option))
        if not config:
            raise _missing(domain_id, _what(group, option) if group else 'any options')
        return {option: config[group][option]} if option else config

    def get_domain_config_with_sensitive(self, domain_id):
        """The whole stored config, sensitive options included (for drivers)."""
        with self.read() as s:
            return self._as_config(self._config_rows(s, domain_id, sensitive=True))

    def update_domain_config(self, domain_id, config, group=None, option=None):
        """Merge `config` into the domain's; with a group (and option) only that
        group (option) may be given, and it must already be set."""
        check_option(group, option)
        if group and option:
            config = {group: config}
        check_config(config)
        if group and (list(config) != [group] or (option and list(config[group]) != [option])):
            raise _invalid('only %s may be specified in the config' % _what(group, option))
        with self.write() as s:
            self._domain_row(s, domain_id)
            if group and not self._config_rows(s, domain_id, group, option, sensitive=True):
                raise _missing(domain_id, _what(group, option))
            self._store(s, domain_id, config)
            return self._as_config(self._config_rows(s, domain_id))

    def delete_domain_config(self, domain_id, group=None, option=None):
        check_option(group, option)
        with self.write() as s:
            self._domain_row(s, domain_id)
            rows = self._config_rows(s, domain_id, group, option, sensitive=True)
            if not rows:
                raise _missing(domain_id, _what(group, option) if group else 'any options')
            for row in rows:
                s.delete(row)

    @staticmethod
    def domain_config_default(group=None, option=None):
        """The values a domain gets for the options it does not set."""
        check_option(group, option)
        defaults = {g: dict(opts) for g, opts in DEFAULTS.items()}
        defaults['identity']['list_limit'] = CONF.identity.list_limit
        if option:
            if option not in defaults[group]:
                raise _invalid('option %s in group %s is not readable' % (option, group))
            return {option: defaults[group][option]}
        return {group: defaults[group]} if group else defaults

    def security_compliance_config(self, domain_id, option=None):
        """The password rules users of the default domain may read."""
        if domain_id != CONF.identity.default_domain_id:
            raise _invalid('reading security compliance information for any domain '
                           'other than the default domain is not supported')
        if option is not None and option not in SECURITY_COMPLIANCE_OPTIONS:
            raise _invalid('only password_regex and password_regex_description '
                           'may be read')
        group = getattr(CONF, SECURITY_COMPLIANCE, None)
        values = {o: getattr(group, o, None) if group is not None else None
                  for o in SECURITY_COMPLIANCE_OPTIONS}
        if option:
            return {option: values[option]}
        return {SECURITY_COMPLIANCE: values}
