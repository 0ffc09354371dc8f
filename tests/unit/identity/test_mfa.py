"""Multi-factor rules, the totp method and auth receipts."""
import base64
import time

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.twofactor import totp

from cloudstack.conf import CONF

V3 = '/identity/v3'
TOKENS = V3 + '/auth/tokens'
SECRET = base64.b32encode(b'twenty-byte-secret!!').decode().rstrip('=')
RECEIPT = 'Openstack-Auth-Receipt'


def passcode(secret=SECRET, at=None):
    """What an authenticator app shows (computed here independently)."""
    key = base64.b32decode(secret + '=' * (-len(secret) % 8))
    return totp.TOTP(key, 6, hashes.SHA1(), 30).generate(int(at or time.time())).decode()


@pytest.fixture
def mfa_user(admin):
    resp = admin.post(V3 + '/users', {'user': {
        'name': 'mfa', 'password': 'mfa-pw', 'domain_id': 'default',
        'options': {'multi_factor_auth_rules': [['password', 'totp']],
                    'multi_factor_auth_enabled': True}}})
    assert resp.status_int == 201, resp.text
    user = resp.json['user']
    resp = admin.post(V3 + '/credentials', {'credential': {
        'user_id': user['id'], 'type': 'totp', 'blob': SECRET}})
    assert resp.status_int == 201, resp.text
    return user


def password(user, pw='mfa-pw'):
    return {'user': {'id': user['id'], 'password': pw}}


def totp_method(user, code=None):
    return {'user': {'id': user['id'], 'passcode': code or passcode()}}


def auth(client, headers=None, **methods):
    return client.post(TOKENS, {'auth': {'identity': dict(methods, methods=list(methods))}},
                       headers=headers)


def test_a_password_alone_gets_a_receipt_not_a_token(client, mfa_user):
    resp = auth(client, password=password(mfa_user))
    assert resp.status_int == 401
    assert 'X-Subject-Token' not in resp.headers
    receipt_id = resp.headers[RECEIPT]
    body = resp.json
    assert body['required_auth_methods'] == [['password', 'totp']]
    assert body['receipt']['methods'] == ['password']
    assert body['receipt']['user']['id'] == mfa_user['id']
    assert body['receipt']['user']['domain'] == {'id': 'default', 'name': 'Default'}
    assert body['receipt']['expires_at'] > body['receipt']['issued_at']

    # the receipt and the missing method complete it
    resp = auth(client, headers={RECEIPT: receipt_id}, totp=totp_method(mfa_user))
    assert resp.status_int == 201, resp.text
    assert sorted(resp.json['token']['methods']) == ['password', 'totp']


def test_both_methods_in_one_request(client, mfa_user):
    resp = auth(client, password=password(mfa_user), totp=totp_method(mfa_user))
    assert resp.status_int == 201, resp.text
    assert sorted(resp.json['token']['methods']) == ['password', 'totp']


def test_totp_alone_is_not_enough_either_and_a_previous_window_counts(client, mfa_user):
    earlier = passcode(at=time.time() - 30)
    resp = auth(client, totp=totp_method(mfa_user, earlier))
    assert resp.status_int == 401 and resp.json['receipt']['methods'] == ['totp']


def test_wrong_passcode_or_foreign_receipt(admin, client, mfa_user):
    resp = auth(client, password=password(mfa_user), totp=totp_method(mfa_user, '000000'
                if passcode() != '000000' else '111111'))
    assert resp.status_int == 401 and RECEIPT not in resp.headers
    receipt_id = auth(client, password=password(mfa_user)).headers[RECEIPT]
    admin.post(V3 + '/users', {'user': {'name': 'other', 'password': 'other-pw'}})
    other = {'user': {'name': 'other', 'domain': {'id': 'default'}, 'password': 'other-pw'}}
    resp = auth(client, headers={RECEIPT: receipt_id}, password=other)
    assert resp.status_int == 401
    assert auth(client, headers={RECEIPT: 'garbage'},
                totp=totp_method(mfa_user)).status_int == 401


def test_a_token_carries_its_methods_into_reauthentication(client, mfa_user):
    resp = auth(client, password=password(mfa_user), totp=totp_method(mfa_user))
    token_id = resp.headers['X-Subject-Token']
    resp = auth(client, token={'id': token_id})
    assert resp.status_int == 201, resp.text


def test_rules_that_are_off_or_name_no_enabled_method_do_not_bind(admin, client, mfa_user):
    admin.patch(V3 + '/users/' + mfa_user['id'], {'user': {'options': {
        'multi_factor_auth_enabled': False}}})
    assert auth(client, password=password(mfa_user)).status_int == 201
    admin.patch(V3 + '/users/' + mfa_user['id'], {'user': {'options': {
        'multi_factor_auth_enabled': True, 'multi_factor_auth_rules': [['password', 'totp']]}}})
    assert auth(client, password=password(mfa_user)).status_int == 401
    CONF.set_override('methods', ['password', 'token'], group='auth')
    try:
        # totp is not accepted here: the rule reduces to password
        assert auth(client, password=password(mfa_user)).status_int == 201
        assert auth(client, totp=totp_method(mfa_user)).status_int == 401
    finally:
        CONF.clear_override('methods', group='auth')
    admin.patch(V3 + '/users/' + mfa_user['id'], {'user': {'options': {
        'multi_factor_auth_rules': [['no-such-method']]}}})
    assert auth(client, password=password(mfa_user)).status_int == 201
