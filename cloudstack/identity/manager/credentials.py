"""Credentials and EC2 credentials.

A credential's blob is stored encrypted with the credential keys
(keys.credential_repo()); key_hash names the primary key that encrypted it.
An EC2 credential is a credential of type 'ec2' whose blob is JSON holding
`access` and `secret`; its id is the sha256 of the access key.
"""
import hashlib
import json
import os
import uuid

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.identity.manager import base
from cloudstack.identity import keys
from cloudstack.identity import models

EC2 = 'ec2'
# Scope recorded in an EC2 blob at creation; an update may not change it.
EC2_SCOPE_KEYS = ('trust_id', 'app_cred_id', 'access_token_id')


def ec2_id(access):
    return hashlib.sha256(access.encode()).hexdigest()


def _ec2_blob(blob):
    """The parsed blob of an EC2 credential, or ValidationError."""
    try:
        parsed = json.loads(blob)
    except (TypeError, ValueError):
        parsed = None
    if not isinstance(parsed, dict) or not parsed.get('access'):
        raise exception.ValidationError(
            'Invalid blob in credential: an ec2 credential blob must be JSON '
            'with an access key.')
    return parsed


def ec2_dict(cred):
    """An EC2 credential as /v3/users/{user_id}/credentials/OS-EC2 shows it."""
    blob = json.loads(cred['blob'])
    return {'user_id': cred['user_id'], 'tenant_id': cred['project_id'],
            'access': blob.get('access'), 'secret': blob.get('secret'),
            'trust_id': blob.get('trust_id'), 'app_cred_id': blob.get('app_cred_id')}


class Credentials:

    def _credential_keys(self):
        """(MultiFernet, hash of the primary key), reloaded on rotation."""
        repo = keys.credential_repo()
        stamp = keys.repo_stamp(repo)
        cached = getattr(self, '_credential_key_cache', None)
        if cached is None or cached[0] != (repo, stamp):
            primary = max((n for n in os.listdir(repo) if n.isdigit()), key=int)
            with open(os.path.join(repo, primary), 'rb') as f:
                key_hash = hashlib.sha256(f.read().strip()).hexdigest()
            cached = ((repo, stamp), keys.load(repo), key_hash)
            self._credential_key_cache = cached
        return cached[1], cached[2]

    def _encrypt_credential(self, row, blob):
        fernet, key_hash = self._credential_keys()
        row.encrypted_blob = fernet.encrypt(blob.encode()).decode()
        row.key_hash = key_hash

    def _credential_dict(self, row):
        fernet, _ = self._credential_keys()
        blob = fernet.decrypt(row.encrypted_blob.encode()).decode()
        return base.with_extra({'id': row.id, 'user_id': row.user_id,
                                'project_id': row.project_id, 'type': row.type,
                                'blob': blob}, row.extra)

    @staticmethod
    def _check_ec2(cred):
        blob = _ec2_blob(cred['blob'])
        if not cred.get('project_id'):
            raise exception.ValidationError(
                'project_id is required for an ec2 credential.')
        return blob

    def create_credential(self, credential):
        """Store a credential: {user_id, type, blob, project_id?, ...extra}."""
        own, extra = base.split_extra(
            credential, ('id', 'user_id', 'project_id', 'type', 'blob'))
        cred_id = uuid.uuid4().hex
        if own['type'] == EC2:
            cred_id = ec2_id(self._check_ec2(own)['access'])
        with self.write() as s:
            if s.get(models.User, own['user_id']) is None:
                raise exception.NotFound('Could not find user: %s.' % own['user_id'])
            if s.get(models.Credential, cred_id) is not None:
                raise exception.Conflict(
                    'Conflict occurred attempting to store credential - '
                    'Duplicate ID, %s.' % cred_id)
            row = models.Credential(id=cred_id, user_id=own['user_id'],
                                    project_id=own.get('project_id'),
                                    type=own['type'], extra=extra)
            self._encrypt_credential(row, own['blob'])
            s.add(row)
            s.flush()
            return self._credential_dict(row)

    def get_credential(self, credential_id):
        with self.read() as s:
            return self._credential_dict(
                self.get_row(s, models.Credential, credential_id, 'credential'))

    def list_credentials(self, user_id=None, cred_type=None):
        stmt = sa.select(models.Credential).order_by(models.Credential.id)
        if user_id is not None:
            stmt = stmt.where(models.Credential.user_id == user_id)
        if cred_type is not None:
            stmt = stmt.where(models.Credential.type == cred_type)
        with self.read() as s:
            return [self._credential_dict(r) for r in s.scalars(stmt)]

    def update_credential(self, credential_id, changes):
        own, extra = base.split_extra(changes, ('user_id', 'project_id', 'type', 'blob'))
        with self.write() as s:
            row = self.get_row(s, models.Credential, credential_id, 'credential')
            old = self._credential_dict(row)
            new = dict(old, **own)
            if new['type'] == EC2:
                blob = self._check_ec2(new)
                if old['type'] == EC2:
                    old_blob = json.loads(old['blob'])
                    for key in EC2_SCOPE_KEYS:
                        if old_blob.get(key) != blob.get(key):
                            raise exception.ValidationError(
                                '%s can not be updated for credential' % key)
            if 'user_id' in own and s.get(models.User, own['user_id']) is None:
                raise exception.NotFound('Could not find user: %s.' % own['user_id'])
            for key in ('user_id', 'project_id', 'type'):
                if key in own:
                    setattr(row, key, own[key])
            if 'blob' in own:
                self._encrypt_credential(row, own['blob'])
            if extra:
                row.extra = dict(row.extra or {}, **extra)
            s.flush()
            return self._credential_dict(row)

    def delete_credential(self, credential_id):
        with self.write() as s:
            s.delete(self.get_row(s, models.Credential, credential_id, 'credential'))

    # -- EC2 -------------------------------------------------------------

    def create_ec2_credential(self, user_id, project_id, trust_id=None, app_cred_id=None):
        """A new access/secret pair for the user on the project."""
        self.get_project(project_id)
        blob = {'access': uuid.uuid4().hex, 'secret': uuid.uuid4().hex,
                'trust_id': trust_id}
        if app_cred_id:
            blob['app_cred_id'] = app_cred_id
        cred = self.create_credential({'user_id': user_id, 'project_id': project_id,
                                       'type': EC2, 'blob': json.dumps(blob)})
        return ec2_dict(cred)

    def list_ec2_credentials(self, user_id):
        return [ec2_dict(c) for c in self.list_credentials(user_id=user_id, cred_type=EC2)]

    def find_ec2_credential(self, access):
        """The EC2 credential with this access key (e.g. for /v3/ec2tokens)."""
        try:
            cred = self.get_credential(ec2_id(access))
        except exception.NotFound:
            cred = None
        if cred is None or cred['type'] != EC2:
            raise exception.NotFound('Could not find credential: %s.' % access)
        return ec2_dict(cred)

    def get_ec2_credential(self, user_id, access):
        cred = self.find_ec2_credential(access)
        if cred['user_id'] != user_id:
            raise exception.NotFound('Could not find credential: %s.' % access)
        return cred

    def delete_ec2_credential(self, user_id, access):
        self.get_ec2_credential(user_id, access)
        self.delete_credential(ec2_id(access))
