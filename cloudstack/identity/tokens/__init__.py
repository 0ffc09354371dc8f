"""Fernet tokens: our compact payload (payload.py) encrypted with the keys of
the Fernet repository. The primary key encrypts, every key decrypts; the keys
are re-read when the repository changes, so a rotation needs no restart."""
import binascii
import struct

from cryptography import fernet

from cloudstack.identity import keys
from cloudstack.identity.tokens.payload import Payload, Receipt, new_audit_id  # noqa: F401
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
        return self.seal(_payload.pack(p))

    def decode(self, token_id):
        return self.open(token_id, _payload.unpack)

    def encode_receipt(self, r):
        return self.seal(_payload.pack_receipt(r))

    def decode_receipt(self, receipt_id):
        return self.open(receipt_id, _payload.unpack_receipt)

    def seal(self, data):
        if self._fernet is None:
            self.refresh()
        return self._fernet.encrypt(data).rstrip(b'=').decode('ascii')

    def open(self, text, unpack):
        """unpack(the decrypted bytes of `text`); InvalidToken when it is not
        ours or malformed."""
        if self._fernet is None:
            self.refresh()
        if not text or len(text) > MAX_TOKEN_LENGTH:
            raise InvalidToken()
        try:
            raw = text.encode('ascii')
            raw += b'=' * (-len(raw) % 4)
            return unpack(self._fernet.decrypt(raw))
        except (fernet.InvalidToken, ValueError, IndexError, UnicodeError,
                binascii.Error, TypeError, struct.error):
            raise InvalidToken()
