"""Key pairs: SSH and x509 public keys per user."""
import base64
import hashlib

import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cloudstack import exception
from cloudstack.compute import models


class KeypairNotFound(exception.NotFound):
    message = 'Keypair %(name)s not found for user %(user_id)s'


def keypair_dict(k):
    return {'id': k.id, 'name': k.name, 'user_id': k.user_id,
            'fingerprint': k.fingerprint, 'public_key': k.public_key, 'type': k.type,
            'created_at': k.created_at}


def ssh_fingerprint(public_key):
    try:
        serialization.load_ssh_public_key(public_key.strip().encode())
        blob = base64.b64decode(public_key.strip().split()[1])
    except Exception:
        raise exception.BadRequest('Keypair data is invalid: failed to generate '
                                   'fingerprint')
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ':'.join(digest[i:i + 2] for i in range(0, 32, 2))


def x509_fingerprint(pem):
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except Exception:
        raise exception.BadRequest('Keypair data is invalid: failed to generate '
                                   'fingerprint')
    digest = cert.fingerprint(hashes.SHA1()).hex()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def generate_ssh_key():
    """(private key PEM, public key in OpenSSH form)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                           serialization.PublicFormat.OpenSSH).decode()
    return private, public + ' Generated-by-Nova'


def generate_x509():
    """(private key PEM, self-signed certificate PEM)."""
    import datetime
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'cloudstack')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return private, cert.public_bytes(serialization.Encoding.PEM).decode()


class Keypairs:

    def create_keypair(self, ctx, user_id, name, key_type='ssh', public_key=None):
        """Returns the key pair's dict, with `private_key` when generated."""
        private = None
        if public_key is None:
            private, public_key = (generate_x509() if key_type == 'x509'
                                   else generate_ssh_key())
        fingerprint = (x509_fingerprint(public_key) if key_type == 'x509'
                       else ssh_fingerprint(public_key))
        with self.write() as s:
            if s.scalar(sa.select(models.KeyPair.id).where(
                    models.KeyPair.user_id == user_id, models.KeyPair.name == name)):
                raise exception.Conflict("Key pair '%s' already exists." % name)
            limit = self.project_limits(s, ctx.project_id, user_id)['key_pairs']
            count = s.scalar(sa.select(sa.func.count(models.KeyPair.id)).where(
                models.KeyPair.user_id == user_id))
            if 0 <= limit <= count:
                raise exception.Forbidden('Quota exceeded, too many key pairs.')
            k = models.KeyPair(name=name, user_id=user_id, fingerprint=fingerprint,
                               public_key=public_key, type=key_type)
            s.add(k)
            s.flush()
            out = keypair_dict(k)
        if private:
            out['private_key'] = private
        return out

    def _keypair_row(self, session, user_id, name):
        k = session.scalars(sa.select(models.KeyPair).where(
            models.KeyPair.user_id == user_id, models.KeyPair.name == name)).first()
        if k is None:
            raise KeypairNotFound(name=name, user_id=user_id)
        return k

    def get_keypair(self, ctx, user_id, name):
        with self.read() as s:
            return keypair_dict(self._keypair_row(s, user_id, name))

    def list_keypairs(self, ctx, user_id, limit=None, marker=None):
        with self.read() as s:
            stmt = sa.select(models.KeyPair).where(models.KeyPair.user_id == user_id)
            if marker is not None:
                m = s.scalars(sa.select(models.KeyPair).where(
                    models.KeyPair.user_id == user_id,
                    models.KeyPair.name == marker)).first()
                if m is None:
                    raise exception.BadRequest('marker [%s] not found' % marker)
                stmt = stmt.where(models.KeyPair.name > marker)
            stmt = stmt.order_by(models.KeyPair.name)
            if limit is not None:
                stmt = stmt.limit(limit)
            return [keypair_dict(k) for k in s.scalars(stmt)]

    def delete_keypair(self, ctx, user_id, name):
        with self.write() as s:
            s.delete(self._keypair_row(s, user_id, name))
