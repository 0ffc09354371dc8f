"""Policy documents: the opaque blobs of /v3/policies."""
import sqlalchemy as sa

from cloudstack.identity.manager import base
from cloudstack.identity import models

KEYS = ('type', 'blob')


def policy_dict(row):
    return base.with_extra({'id': row.id, 'type': row.type, 'blob': row.blob}, row.extra)


class PolicyDocuments:

    def create_policy(self, policy):
        own, extra = base.split_extra(policy, KEYS)
        with self.write() as s:
            row = models.Policy(extra=extra, **own)
            s.add(row)
            s.flush()
            return policy_dict(row)

    def get_policy(self, policy_id):
        with self.read() as s:
            return policy_dict(self.get_row(s, models.Policy, policy_id, 'policy'))

    def list_policies(self, policy_type=None):
        stmt = sa.select(models.Policy).order_by(models.Policy.id)
        if policy_type is not None:
            stmt = stmt.where(models.Policy.type == policy_type)
        with self.read() as s:
            return [policy_dict(r) for r in s.scalars(stmt)]

    def update_policy(self, policy_id, changes):
        own, extra = base.split_extra(changes, KEYS)
        with self.write() as s:
            row = self.get_row(s, models.Policy, policy_id, 'policy')
            for key, value in own.items():
                setattr(row, key, value)
            if extra:
                row.extra = dict(row.extra or {}, **extra)
            return policy_dict(row)

    def delete_policy(self, policy_id):
        with self.write() as s:
            s.delete(self.get_row(s, models.Policy, policy_id, 'policy'))
