"""bcrypt hashing, run in OS threads so a worker's other requests go on."""
import base64
import hashlib

import bcrypt
from eventlet import patcher
from eventlet import tpool

from cloudstack.conf import CONF

# bcrypt looks at 72 bytes at most; longer secrets are pre-hashed so that no
# part of them is ignored.
_BCRYPT_MAX = 72


def _prepare(secret):
    data = secret.encode('utf-8')
    if len(data) > _BCRYPT_MAX:
        data = base64.b64encode(hashlib.sha256(data).digest())
    return data


def _hash(data, rounds):
    return bcrypt.hashpw(data, bcrypt.gensalt(rounds)).decode('ascii')


def _check(data, hashed):
    return bcrypt.checkpw(data, hashed.encode('ascii'))


def _offload(func, *args):
    """Run in an OS thread under eventlet, where bcrypt would stall the hub."""
    if patcher.is_monkey_patched('thread'):
        return tpool.execute(func, *args)
    return func(*args)


def hash_password(secret):
    return _offload(_hash, _prepare(secret), CONF.identity.password_hash_rounds)


def check_password(secret, hashed):
    """True when `secret` matches the stored hash; False for no hash at all."""
    if not hashed or secret is None:
        return False
    return _offload(_check, _prepare(secret), hashed)
