"""The token payload: what a token says, packed into a few bytes.

Layout (big-endian): a header `version, methods bitmask, scope kind,
issued_at µs, expires_at µs`, then four ids (user, scope target, trust,
application credential) and the audit ids; then, for the oauth1 method, the
access token id, and for the mapped method the identity provider, the
protocol and the group ids. An id that is 32 hex digits (a
UUID) takes 16 bytes; any other id is stored as UTF-8 with a length byte.
Audit ids are 16 random bytes shown as unpadded URL-safe base64.
"""
import base64
import dataclasses
import os
import re
import struct

VERSION = 1
METHODS = ('password', 'token', 'application_credential', 'totp', 'external',
           'oauth1', 'mapped')
SCOPES = (None, 'project', 'domain', 'system')
_HEAD = struct.Struct('>BBBQQ')
_HEX32 = re.compile(r'[0-9a-f]{32}')
_NONE, _UUID, _TEXT = 0, 1, 2


@dataclasses.dataclass
class Payload:
    user_id: str
    methods: list
    issued_at: int                  # microseconds since the epoch
    expires_at: int
    audit_ids: list
    scope: str | None = None        # one of SCOPES
    scope_id: str | None = None     # project or domain id
    trust_id: str | None = None
    app_cred_id: str | None = None
    access_token_id: str | None = None  # with the oauth1 method
    idp_id: str | None = None           # with the mapped method: the federated
    protocol_id: str | None = None      # identity and the groups its mapping
    group_ids: list = dataclasses.field(default_factory=list)   # gave

    @property
    def project_id(self):
        return self.scope_id if self.scope == 'project' else None

    @property
    def domain_id(self):
        return self.scope_id if self.scope == 'domain' else None

    @property
    def system(self):
        return self.scope == 'system'


def new_audit_id():
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b'=').decode()


def _pack_id(value):
    if value is None:
        return bytes([_NONE])
    if _HEX32.fullmatch(value):
        return bytes([_UUID]) + bytes.fromhex(value)
    raw = value.encode('utf-8')
    if len(raw) > 255:
        raise ValueError('id too long for a token: %r' % value)
    return bytes([_TEXT, len(raw)]) + raw


def _unpack_id(data, pos):
    kind = data[pos]
    if kind == _NONE:
        return None, pos + 1
    if kind == _UUID:
        raw = data[pos + 1:pos + 17]
        if len(raw) != 16:
            raise ValueError('truncated id')
        return raw.hex(), pos + 17
    if kind == _TEXT:
        size = data[pos + 1]
        raw = data[pos + 2:pos + 2 + size]
        if len(raw) != size:
            raise ValueError('truncated id')
        return raw.decode('utf-8'), pos + 2 + size
    raise ValueError('bad id kind %d' % kind)


def pack(p):
    mask = 0
    for name in p.methods:
        mask |= 1 << METHODS.index(name)
    parts = [_HEAD.pack(VERSION, mask, SCOPES.index(p.scope), p.issued_at, p.expires_at)]
    for value in (p.user_id, p.scope_id, p.trust_id, p.app_cred_id):
        parts.append(_pack_id(value))
    parts.append(bytes([len(p.audit_ids)]))
    for audit_id in p.audit_ids:
        parts.append(base64.urlsafe_b64decode(audit_id + '=='))
    if 'oauth1' in p.methods:
        parts.append(_pack_id(p.access_token_id))
    if 'mapped' in p.methods:
        parts += [_pack_id(p.idp_id), _pack_id(p.protocol_id), bytes([len(p.group_ids)])]
        parts += [_pack_id(g) for g in p.group_ids]
    return b''.join(parts)


def unpack(data):
    """The Payload in `data`; ValueError (or IndexError) when malformed."""
    version, mask, scope, issued_at, expires_at = _HEAD.unpack_from(data)
    if version != VERSION:
        raise ValueError('unknown payload version %d' % version)
    pos = _HEAD.size
    ids = []
    for _ in range(4):
        value, pos = _unpack_id(data, pos)
        ids.append(value)
    count = data[pos]
    pos += 1
    audit = data[pos:pos + 16 * count]
    if len(audit) != 16 * count:
        raise ValueError('bad audit ids')
    pos += 16 * count
    audit_ids = [base64.urlsafe_b64encode(audit[i:i + 16]).rstrip(b'=').decode()
                 for i in range(0, len(audit), 16)]
    methods = [name for i, name in enumerate(METHODS) if mask & (1 << i)]
    p = Payload(user_id=ids[0], methods=methods, issued_at=issued_at,
                expires_at=expires_at, audit_ids=audit_ids, scope=SCOPES[scope],
                scope_id=ids[1], trust_id=ids[2], app_cred_id=ids[3])
    if 'oauth1' in methods:
        p.access_token_id, pos = _unpack_id(data, pos)
    if 'mapped' in methods:
        p.idp_id, pos = _unpack_id(data, pos)
        p.protocol_id, pos = _unpack_id(data, pos)
        count = data[pos]
        pos += 1
        for _ in range(count):
            group_id, pos = _unpack_id(data, pos)
            p.group_ids.append(group_id)
    if pos != len(data):
        raise ValueError('trailing bytes')
    return p


# An auth receipt (a partial multi-factor authentication): its own version
# byte, so that a receipt never decodes as a token nor a token as a receipt.
RECEIPT_VERSION = 0x52
_RECEIPT_HEAD = struct.Struct('>BBQQ')


@dataclasses.dataclass
class Receipt:
    user_id: str
    methods: list
    issued_at: int
    expires_at: int


def pack_receipt(r):
    mask = 0
    for name in r.methods:
        mask |= 1 << METHODS.index(name)
    return (_RECEIPT_HEAD.pack(RECEIPT_VERSION, mask, r.issued_at, r.expires_at)
            + _pack_id(r.user_id))


def unpack_receipt(data):
    version, mask, issued_at, expires_at = _RECEIPT_HEAD.unpack_from(data)
    if version != RECEIPT_VERSION:
        raise ValueError('not a receipt')
    user_id, pos = _unpack_id(data, _RECEIPT_HEAD.size)
    if pos != len(data) or user_id is None:
        raise ValueError('bad receipt')
    methods = [name for i, name in enumerate(METHODS) if mask & (1 << i)]
    return Receipt(user_id=user_id, methods=methods, issued_at=issued_at,
                   expires_at=expires_at)
