"""[security_compliance] and the user options that exempt a user from it."""
import datetime

import pytest

from cloudstack.conf import CONF
from cloudstack.identity import manager
from cloudstack.identity import models

V3 = '/identity/v3'
GROUP = 'security_compliance'


@pytest.fixture
def compliance(conf):
    """Set [security_compliance] options for one test."""
    def set_options(**options):
        for name, value in options.items():
            CONF.set_override(name, value, group=GROUP)
    yield set_options
    for opt in CONF[GROUP]:
        CONF.clear_override(opt, group=GROUP)


def create_user(admin, name='carol', password='first-pw', **options):
    resp = admin.post(V3 + '/users', {'user': {
        'name': name, 'password': password, 'domain_id': 'default', 'options': options}})
    assert resp.status_int == 201, resp.text
    return resp.json['user']


def auth(client, user, password):
    return client.post(V3 + '/auth/tokens', {'auth': {'identity': {
        'methods': ['password'],
        'password': {'user': {'id': user['id'], 'password': password}}}}})


def change(client, user, original, new):
    return client.post(V3 + '/users/%s/password' % user['id'], {'user': {
        'original_password': original, 'password': new}})


def shift(user_id, **deltas):
    """Move the user's time columns back by the given timedeltas."""
    with manager.get().write() as s:
        row = s.get(models.User, user_id)
        for column, delta in deltas.items():
            setattr(row, column, (getattr(row, column) or models.utcnow()) - delta)


def test_lockout_after_failed_attempts_until_the_duration_passes(admin, client, compliance):
    compliance(lockout_failure_attempts=2, lockout_duration=5)
    user = create_user(admin)
    assert auth(client, user, 'first-pw').status_int == 201
    for _ in range(2):
        assert auth(client, user, 'wrong').status_int == 401
    assert auth(client, user, 'first-pw').status_int == 401       # locked
    shift(user['id'], failed_auth_at=datetime.timedelta(seconds=6))
    assert auth(client, user, 'first-pw').status_int == 201
    # a success resets the count: one more failure does not lock
    assert auth(client, user, 'wrong').status_int == 401
    assert auth(client, user, 'first-pw').status_int == 201


def test_lockout_spares_users_that_ignore_it(admin, client, compliance):
    compliance(lockout_failure_attempts=1)
    user = create_user(admin, ignore_lockout_failure_attempts=True)
    assert auth(client, user, 'wrong').status_int == 401
    assert auth(client, user, 'first-pw').status_int == 201


def test_password_expiry(admin, client, compliance):
    compliance(password_expires_days=10)
    user = create_user(admin)
    expires = datetime.datetime.fromisoformat(user['password_expires_at'])
    assert 9 <= (expires - models.utcnow()).days <= 10
    assert auth(client, user, 'first-pw').status_int == 201
    shift(user['id'], password_expires_at=datetime.timedelta(days=11))
    resp = auth(client, user, 'first-pw')
    assert resp.status_int == 401 and 'expired' in resp.text
    # an expired password still authenticates its own change
    assert change(client, user, 'first-pw', 'second-pw').status_int == 204
    assert auth(client, user, 'second-pw').status_int == 201
    exempt = create_user(admin, name='dave', ignore_password_expiry=True)
    assert exempt['password_expires_at'] is None


def test_change_password_upon_first_use(admin, client, compliance):
    compliance(change_password_upon_first_use=True)
    user = create_user(admin)
    assert auth(client, user, 'first-pw').status_int == 401
    assert change(client, user, 'first-pw', 'my-own-pw').status_int == 204
    assert auth(client, user, 'my-own-pw').status_int == 201
    # an administrator's reset must be changed again
    admin.patch(V3 + '/users/' + user['id'], {'user': {'password': 'reset-pw'}})
    assert auth(client, user, 'reset-pw').status_int == 401
    exempt = create_user(admin, name='erin', ignore_change_password_upon_first_use=True)
    assert auth(client, exempt, 'first-pw').status_int == 201


def test_password_history_binds_self_service_only(admin, client, compliance):
    compliance(unique_last_password_count=2)
    user = create_user(admin)
    assert change(client, user, 'first-pw', 'second-pw').status_int == 204
    for reused in ('second-pw', 'first-pw'):
        resp = change(client, user, 'second-pw', reused)
        assert resp.status_int == 400 and 'previous password' in resp.text, resp.text
    assert change(client, user, 'second-pw', 'third-pw').status_int == 204
    # 'first-pw' is now three passwords back: allowed again
    assert change(client, user, 'third-pw', 'first-pw').status_int == 204
    # an administrator may set a previous password
    resp = admin.patch(V3 + '/users/' + user['id'], {'user': {'password': 'first-pw'}})
    assert resp.status_int == 200


def test_minimum_password_age(admin, client, compliance):
    compliance(minimum_password_age=1)
    user = create_user(admin)
    # a password an administrator set may be changed at once
    assert change(client, user, 'first-pw', 'second-pw').status_int == 204
    resp = change(client, user, 'second-pw', 'third-pw')
    assert resp.status_int == 400 and 'minimum password age' in resp.text
    shift(user['id'], password_created_at=datetime.timedelta(days=1, seconds=1))
    assert change(client, user, 'second-pw', 'third-pw').status_int == 204


def test_password_regex(admin, client, compliance):
    compliance(password_regex=r'^(?=.*\d).{7,}$',
               password_regex_description='at least 7 characters and a digit')
    resp = admin.post(V3 + '/users', {'user': {'name': 'x', 'password': 'short'}})
    assert resp.status_int == 400 and 'at least 7 characters and a digit' in resp.text
    user = create_user(admin, password='long-pw-1')
    assert change(client, user, 'long-pw-1', 'no-digits').status_int == 400
    assert change(client, user, 'long-pw-1', 'digits-42').status_int == 204
    resp = admin.get(V3 + '/domains/default/config/security_compliance')
    assert resp.json['config'] == {
        GROUP: {'password_regex': r'^(?=.*\d).{7,}$',
                'password_regex_description': 'at least 7 characters and a digit'}}


def test_lock_password(admin, client):
    user = create_user(admin, lock_password=True)
    resp = change(client, user, 'first-pw', 'second-pw')
    assert resp.status_int == 400 and 'password policy' in resp.text
    assert admin.patch(V3 + '/users/' + user['id'], {'user': {
        'password': 'second-pw'}}).status_int == 200


def test_inactive_users_count_as_disabled(admin, client, compliance):
    compliance(disable_user_account_days_inactive=30)
    user = create_user(admin)
    assert auth(client, user, 'first-pw').status_int == 201
    assert manager.get().get_user(user['id'])['enabled'] is True
    shift(user['id'], last_active_at=datetime.timedelta(days=31))
    assert auth(client, user, 'first-pw').status_int == 401
    assert admin.get(V3 + '/users/' + user['id']).json['user']['enabled'] is False
    # re-enabled by an administrator: active again
    admin.patch(V3 + '/users/' + user['id'], {'user': {'enabled': True}})
    assert auth(client, user, 'first-pw').status_int == 201
    exempt = create_user(admin, name='frank', ignore_user_inactivity=True)
    shift(exempt['id'], created_at=datetime.timedelta(days=31))
    assert auth(client, exempt, 'first-pw').status_int == 201


def test_user_options_are_validated(admin):
    for options in ({'lock_password': 'yes'}, {'multi_factor_auth_rules': [[]]},
                    {'multi_factor_auth_rules': 'password'}, {'no_such_option': True}):
        resp = admin.post(V3 + '/users', {'user': {'name': 'x', 'options': options}})
        assert resp.status_int == 400, options
