"""Fernet tokens: our compact payload (payload.py) encrypted with the keys of
the Fernet repository. The primary key encrypts, every key decrypts; the keys
are re-read when the repository changes, so a rotation needs no restart."""
import binascii

from cryptography import fernet

from cloudstack.identity import keys
from cloudstack.identity.tokens.payload import Payload, new_audit_id  # noqa: F401
from cloudstack.identity.tokens import payload as _payload

MAX_TOKEN_LENGTH = 1024


class InvalidToken(Exception):
    """Not a token we issued (or its key was rotated away)."""


class Codec:
    """Encrypts and decrypts token payloads with the current keys."""

    def __init__(self):
        self._stamp = None
        self._fernet = None

    def refresh(self):
        """Reload the keys if the repository changed; True when it did."""
        repo = keys.fernet_repo()
        stamp = keys.repo_stamp(repo)
        if stamp == self._stamp:
            return False
        self._fernet = keys.load(repo)
        self._stamp = stamp
        return True

    def encode(self, p):
        if self._fernet is None:
            self.refresh()
        return self._fernet.encrypt(_payload.pack(p)).rstrip(b'=').decode('ascii')

    def decode(self, token_id):
        if self._fernet is None:
            self.refresh()
        if not token_id or len(token_id) > MAX_TOKEN_LENGTH:
            raise InvalidToken()
        try:
            raw = token_id.encode('ascii')
            raw += b'=' * (-len(raw) % 4)
            return _payload.unpack(self._fernet.decrypt(raw))
        except (fernet.InvalidToken, ValueError, IndexError, UnicodeError,
                binascii.Error, TypeError):
            raise InvalidToken()
