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


def list_opts():
    return [('identity', identity_opts), ('token', token_opts),
            ('fernet_tokens', fernet_opts), ('credential', credential_opts),
            ('bootstrap', bootstrap_opts)]
