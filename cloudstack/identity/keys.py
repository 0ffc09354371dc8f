"""Key repositories: Fernet token keys and credential encryption keys.

Layout as keystone-manage's: files named 0..N; 0 is the staged key, the
highest number the primary that encrypts; every key decrypts.
"""
import os

from cryptography import fernet

from cloudstack.conf import CONF


def fernet_repo():
    return CONF.fernet_tokens.key_repository or os.path.join(CONF.data_dir, 'fernet-keys')


def credential_repo():
    return CONF.credential.key_repository or os.path.join(CONF.data_dir, 'credential-keys')


def _write_key(repo, number):
    path = os.path.join(repo, str(number))
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as f:
        f.write(fernet.Fernet.generate_key())
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def _numbers(repo):
    return sorted(int(n) for n in os.listdir(repo) if n.isdigit())


def _setup_repo(repo):
    os.makedirs(repo, mode=0o700, exist_ok=True)
    if not _numbers(repo):
        _write_key(repo, 0)
        _write_key(repo, 1)


def setup(conf=CONF):
    """Create both repositories with a staged and a primary key if empty."""
    _setup_repo(fernet_repo())
    _setup_repo(credential_repo())


def rotate(repo, max_active):
    """Promote the staged key to primary, stage a new one, drop the oldest."""
    numbers = _numbers(repo)
    new_primary = numbers[-1] + 1
    os.rename(os.path.join(repo, '0'), os.path.join(repo, str(new_primary)))
    _write_key(repo, 0)
    secondaries = [n for n in numbers if n != 0]
    while len(secondaries) + 2 > max_active and secondaries:
        os.remove(os.path.join(repo, str(secondaries.pop(0))))


def rotate_fernet(conf=CONF):
    rotate(fernet_repo(), CONF.fernet_tokens.max_active_keys)


def load(repo):
    """A MultiFernet with the primary key first."""
    numbers = _numbers(repo)
    if not numbers:
        raise RuntimeError('no keys in %s; run cloudstack-manage fernet setup' % repo)
    keys = []
    for n in reversed(numbers):     # primary (highest) first, staged (0) last
        with open(os.path.join(repo, str(n)), 'rb') as f:
            keys.append(fernet.Fernet(f.read().strip()))
    return fernet.MultiFernet(keys)


def repo_stamp(repo):
    """Changes whenever keys are rotated; cheap enough to check per request."""
    return os.stat(repo).st_mtime_ns
