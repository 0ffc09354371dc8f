"""Options for the Identity service."""
from oslo_config import cfg

identity_opts = [
    cfg.IntOpt('password_hash_rounds', default=12, min=4, max=31,
               help='bcrypt cost for stored passwords.'),
    cfg.StrOpt('default_domain_id', default='default',
               help='ID of the domain that holds the bootstrap admin.'),
    cfg.IntOpt('list_limit',
               help='Most entities a list returns; the response is marked truncated.'),
    cfg.IntOpt('max_password_length', default=4096,
               help='Longest password accepted, in characters.'),
    cfg.BoolOpt('domain_specific_drivers_enabled', default=False,
                help='Whether a domain\'s configuration (/v3/domains/{id}/config, '
                     '[identity] driver and [ldap] options) selects where its users and '
                     'groups live. Off, as in Keystone, the configuration is stored but '
                     'not used; on, a driver that does not exist is refused.'),
]

token_opts = [
    cfg.IntOpt('expiration', default=3600, help='Token lifetime in seconds.'),
    cfg.IntOpt('allow_expired_window_seconds', default=172800,
                help='How long after expiry a service may still validate a token '
                     'with allow_expired=true.'),
    cfg.IntOpt('cache_size', default=10000,
               help='Validated tokens each worker keeps in memory.'),
]

fernet_opts = [
    cfg.StrOpt('key_repository',
               help='Directory of Fernet token keys (default: <data_dir>/fernet-keys).'),
    cfg.IntOpt('max_active_keys', default=3, min=1,
               help='Keys kept by rotation: the primary, the staged and the secondaries.'),
]

credential_opts = [
    cfg.StrOpt('key_repository',
               help='Directory of credential encryption keys '
                    '(default: <data_dir>/credential-keys).'),
]

security_compliance_opts = [
    cfg.IntOpt('disable_user_account_days_inactive', min=1,
               help='Days without an authentication after which a user counts as '
                    'disabled (unless its ignore_user_inactivity option is set).'),
    cfg.IntOpt('lockout_failure_attempts', min=1,
               help='Wrong passwords in a row after which a user is locked out '
                    '(unless its ignore_lockout_failure_attempts option is set).'),
    cfg.IntOpt('lockout_duration', default=1800, min=1,
               help='Seconds a locked-out user stays locked.'),
    cfg.IntOpt('password_expires_days', min=0,
               help='Days a password stays valid (unless the user\'s '
                    'ignore_password_expiry option is set).'),
    cfg.IntOpt('unique_last_password_count', default=0, min=0,
               help='How many of a user\'s last passwords, the new one included, '
                    'must differ when users change their own password.'),
    cfg.IntOpt('minimum_password_age', default=0, min=0,
               help='Days a self-chosen password must be kept before its user may '
                    'change it again.'),
    cfg.BoolOpt('change_password_upon_first_use', default=False,
                help='A password an administrator sets must be changed by its user '
                     'before the first token (unless the user\'s '
                     'ignore_change_password_upon_first_use option is set).'),
    cfg.StrOpt('password_regex',
               help='A regular expression every new password must match.'),
    cfg.StrOpt('password_regex_description',
               help='What password_regex requires, in words, for error messages.'),
]

auth_opts = [
    cfg.ListOpt('methods', default=['password', 'token', 'application_credential', 'totp',
                                    'oauth1', 'mapped'],
                help='Authentication methods POST /v3/auth/tokens accepts. A '
                     'multi-factor rule counts only the methods listed here.'),
]

totp_opts = [
    cfg.IntOpt('included_previous_windows', default=1, min=0, max=10,
               help='Earlier 30-second windows whose TOTP passcodes are still accepted.'),
]

receipt_opts = [
    cfg.IntOpt('expiration', default=300, min=0, max=86400,
               help='Seconds an auth receipt (a partial multi-factor '
                    'authentication) stays valid.'),
]

oauth1_opts = [
    cfg.IntOpt('request_token_duration', default=28800, min=0,
               help='Seconds an OAuth1 request token stays valid (0: no expiry).'),
    cfg.IntOpt('access_token_duration', default=86400, min=0,
               help='Seconds an OAuth1 access token stays valid (0: no expiry).'),
]

federation_opts = [
    cfg.ListOpt('trusted_proxies', default=[],
                help='Addresses (or networks) of the front ends (mod_auth_openidc, '
                     'mod_shib, ...) whose federation headers are believed. Empty: '
                     'federated authentication is refused.'),
    cfg.StrOpt('assertion_prefix', default='X-Federation-',
               help='Prefix of the request headers in which a trusted front end '
                    'passes the attributes of a federated user; the rest of the '
                    'header name is the attribute a mapping names (case and -/_ '
                    'do not matter; send \'-\': headers with \'_\' do not pass the '
                    'WSGI server).'),
    cfg.StrOpt('remote_id_attribute',
               help='The attribute naming the identity provider (e.g. '
                    'OIDC-iss or Shib-Identity-Provider), checked against its '
                    'remote_ids; a protocol may name its own.'),
    cfg.MultiStrOpt('trusted_dashboard', default=[],
                    help='Origins WebSSO may post a token back to.'),
    cfg.StrOpt('relay_state_prefix', default='ss:mem:',
               help='Default RelayState prefix of a service provider.'),
]

bootstrap_opts = [
    cfg.StrOpt('admin_password', secret=True,
               help='Password of the bootstrap admin (else CLOUDSTACK_ADMIN_PASSWORD, '
                    'else generated on first start).'),
]


def register_opts(conf):
    conf.register_opts(identity_opts, group='identity')
    conf.register_opts(token_opts, group='token')
    conf.register_opts(fernet_opts, group='fernet_tokens')
    conf.register_opts(credential_opts, group='credential')
    conf.register_opts(bootstrap_opts, group='bootstrap')
    conf.register_opts(security_compliance_opts, group='security_compliance')
    conf.register_opts(auth_opts, group='auth')
    conf.register_opts(totp_opts, group='totp')
    conf.register_opts(receipt_opts, group='receipt')
    conf.register_opts(oauth1_opts, group='oauth1')
    conf.register_opts(federation_opts, group='federation')


def list_opts():
    return [('identity', identity_opts), ('token', token_opts),
            ('fernet_tokens', fernet_opts), ('credential', credential_opts),
            ('bootstrap', bootstrap_opts),
            ('security_compliance', security_compliance_opts), ('auth', auth_opts),
            ('totp', totp_opts), ('receipt', receipt_opts), ('oauth1', oauth1_opts),
            ('federation', federation_opts)]
