"""Multi-factor authentication: the `totp` method, a user's
multi_factor_auth_rules, and auth receipts for a partial authentication.

A user whose rules no set of successful methods satisfies gets a 401 with an
auth receipt (header Openstack-Auth-Receipt): a Fernet-sealed note of the
methods that passed, which a second request presents with the missing ones.
"""
import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.twofactor import totp as crypto_totp

from cloudstack.conf import CONF
from cloudstack import exception
from cloudstack.identity import tokens
from cloudstack.identity.manager import tokens as token_manager

RECEIPT_HEADER = 'Openstack-Auth-Receipt'
PASSCODE_DIGITS = 6
PASSCODE_PERIOD = 30
TOTP_FAILED = 'Invalid username or TOTP passcode'


def totp_passcodes(secret, previous_windows, at=None):
    """The passcodes of a base32 TOTP secret for now (or `at`, seconds since
    the epoch) and `previous_windows` earlier periods: RFC 6238, SHA-1, six
    digits, 30 seconds, as Keystone and authenticator apps use."""
    if isinstance(secret, str):
        secret = secret.encode('utf-8')
    key = base64.b32decode(secret + b'=' * (-len(secret) % 8), casefold=True)
    generator = crypto_totp.TOTP(key, PASSCODE_DIGITS, hashes.SHA1(), PASSCODE_PERIOD,
                                 enforce_key_length=False)
    at = token_manager.now_us() / 1e6 if at is None else at
    return [generator.generate(int(at) - i * PASSCODE_PERIOD).decode()
            for i in range(previous_windows + 1)]


def mfa_rules(options):
    """The user's rules that count: lists of method names, each reduced to
    the methods this cloud accepts ([auth] methods); none when the user
    turned them off (multi_factor_auth_enabled false) or has none."""
    options = options or {}
    rules = options.get('multi_factor_auth_rules')
    if options.get('multi_factor_auth_enabled') is False or not isinstance(rules, list):
        return []
    enabled = set(CONF.auth.methods)
    counted = []
    for rule in rules:
        if isinstance(rule, list) and rule and all(isinstance(m, str) for m in rule):
            methods = sorted(set(rule) & enabled)
            if methods and methods not in counted:
                counted.append(methods)
    return counted


class InsufficientAuthMethods(exception.Unauthorized):
    """Some methods passed, but not a set the user's rules require: the API
    answers 401 with the receipt (`receipt_id`, `body`)."""

    def __init__(self, receipt_id, body):
        super().__init__('Insufficient auth methods received for %s. Auth Methods '
                         'Provided: [%s].' % (body['receipt']['user']['id'],
                                             ','.join(body['receipt']['methods'])))
        self.receipt_id = receipt_id
        self.body = body


class MultiFactor:

    def _auth_totp(self, data):
        ref = token_manager._dict(data, 'user', 'totp')
        passcode = ref.get('passcode')
        if not isinstance(passcode, str):
            raise token_manager._bad("'passcode' is a required string of totp.user.")
        with self.read() as s:
            row = token_manager.find_user_row(s, ref)
        if row is None or not token_manager._user_ok(row):
            raise exception.Unauthorized(TOTP_FAILED)
        windows = CONF.totp.included_previous_windows
        for credential in self.list_credentials(user_id=row.id, cred_type='totp'):
            try:
                if passcode in totp_passcodes(credential['blob'], windows):
                    return {'user_id': row.id}
            except (ValueError, TypeError):
                continue                    # not a base32 secret
        raise exception.Unauthorized(TOTP_FAILED)

    def receipt_methods(self, receipt_id, user_id):
        """The methods an auth receipt of this user says passed; 401 when it
        is not a live receipt of this user."""
        try:
            receipt = self._token_cache().codec.decode_receipt(receipt_id)
        except tokens.InvalidToken:
            receipt = None
        if (receipt is None or receipt.user_id != user_id
                or receipt.expires_at <= token_manager.now_us()):
            raise exception.Unauthorized('Could not find auth receipt: %s.' % receipt_id)
        return receipt.methods

    def check_mfa_rules(self, user, methods):
        """Pass when the user has no rules that count or `methods` satisfy one;
        else InsufficientAuthMethods with a new receipt for `methods`."""
        rules = mfa_rules(user.options)
        if not rules or any(set(rule) <= set(methods) for rule in rules):
            return
        now = token_manager.now_us()
        receipt = tokens.Receipt(
            user_id=user.id, methods=[m for m in tokens.payload.METHODS if m in methods],
            issued_at=now, expires_at=now + CONF.receipt.expiration * 1000000)
        receipt_id = self._token_cache().codec.encode_receipt(receipt)
        raise InsufficientAuthMethods(receipt_id, {
            'receipt': {
                'methods': receipt.methods,
                'user': {'id': user.id, 'name': user.name,
                         'domain': {'id': user.domain_id, 'name': user.domain_name}},
                'issued_at': token_manager.isotime(token_manager.us_to_dt(now)),
                'expires_at': token_manager.isotime(
                    token_manager.us_to_dt(receipt.expires_at))},
            'required_auth_methods': rules})
