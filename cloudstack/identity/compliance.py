"""[security_compliance]: the password and account rules Keystone applies,
with the user options that exempt a user from them. Pure functions of a
user's row (or the columns tokens.user_rows selects) and the configuration."""
import datetime
import re

from cloudstack.conf import CONF
from cloudstack import exception
from cloudstack.db.models import utcnow


def _conf():
    return CONF.security_compliance


def _option(row, name):
    return (row.options or {}).get(name) is True


class PasswordRuleError(exception.ValidationError):
    """A new password breaks a [security_compliance] rule (400)."""


def check_password_rules(password):
    """400 unless the password matches password_regex."""
    pattern = _conf().password_regex
    if not pattern:
        return
    try:
        matched = re.match(pattern, password)
    except re.error:
        raise PasswordRuleError('Unable to validate password due to invalid '
                                'configuration.')
    if not matched:
        raise PasswordRuleError('The password does not match the requirements: %s.'
                                % (_conf().password_regex_description or pattern))


def expires_at(options, now, set_by_admin):
    """When a password set now expires: at once when an administrator set it
    and users must change it on first use, else after password_expires_days."""
    options = options or {}
    if (set_by_admin and _conf().change_password_upon_first_use
            and options.get('ignore_change_password_upon_first_use') is not True):
        return now
    days = _conf().password_expires_days
    if days and options.get('ignore_password_expiry') is not True:
        return (now + datetime.timedelta(days=days)).replace(microsecond=0)
    return None


def password_expired(row):
    if row.password_expires_at is None or _option(row, 'ignore_password_expiry'):
        return False
    return row.password_expires_at <= utcnow()


def lockout_enabled():
    return bool(_conf().lockout_failure_attempts)


def locked_out(row):
    """True while the user has failed lockout_failure_attempts times in a row
    and lockout_duration has not passed since the last failure."""
    limit = _conf().lockout_failure_attempts
    if not limit or _option(row, 'ignore_lockout_failure_attempts'):
        return False
    if (row.failed_auth_count or 0) < limit:
        return False
    last = row.failed_auth_at
    return last is None or last + datetime.timedelta(
        seconds=_conf().lockout_duration) > utcnow()


def inactive(row):
    """True when the user has not authenticated for
    disable_user_account_days_inactive days (counted from its creation when
    it never has); such a user counts as disabled."""
    days = _conf().disable_user_account_days_inactive
    if not days or _option(row, 'ignore_user_inactivity'):
        return False
    last = row.last_active_at or row.created_at
    return last is not None and (utcnow().date() - last.date()).days >= days


def check_self_service_change(row, history_hashes, new_password, check_password):
    """The rules on a user changing their own password: lock_password, the
    minimum age of a self-chosen password, and the password history
    (`history_hashes`, newest first, the current one included)."""
    if _option(row, 'lock_password'):
        raise PasswordRuleError(
            'You cannot change your password at this time due to password policy '
            'disallowing password changes. Please contact your administrator to '
            'reset your password.')
    min_days = _conf().minimum_password_age
    if min_days and row.password_self_service and row.password_created_at:
        ready = row.password_created_at + datetime.timedelta(days=min_days)
        if utcnow() < ready:
            raise PasswordRuleError(
                'You cannot change your password at this time due to the minimum '
                'password age. Once you change your password, it must be used for '
                '%d day(s) before it can be changed. Please try again in %d day(s) '
                'or contact your administrator to reset your password.'
                % (min_days, (ready - utcnow()).days))
    unique = _conf().unique_last_password_count
    for hashed in history_hashes[:unique]:
        if check_password(new_password, hashed):
            raise PasswordRuleError(
                'The new password cannot be identical to a previous password. The '
                'total number which includes the new password must be unique is '
                '%d.' % unique)


def history_kept():
    """How many earlier password hashes to keep for the history rule."""
    return _conf().unique_last_password_count
