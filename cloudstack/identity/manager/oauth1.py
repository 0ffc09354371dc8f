"""OAuth1 consumers (OS-OAUTH1)."""
import secrets

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.identity.manager import base
from cloudstack.identity import models


def consumer_dict(row):
    return base.with_extra({'id': row.id, 'description': row.description}, row.extra)


class OAuth1:

    def create_consumer(self, consumer):
        """A new consumer; its secret is generated and shown only here."""
        own, extra = base.split_extra(consumer, ('description',))
        extra.pop('id', None)
        extra.pop('secret', None)
        with self.write() as s:
            row = models.Consumer(description=own.get('description'),
                                  secret=secrets.token_urlsafe(24), extra=extra)
            s.add(row)
            s.flush()
            return dict(consumer_dict(row), secret=row.secret)

    def get_consumer(self, consumer_id):
        with self.read() as s:
            return consumer_dict(self.get_row(s, models.Consumer, consumer_id, 'consumer'))

    def list_consumers(self):
        with self.read() as s:
            return [consumer_dict(r) for r in
                    s.scalars(sa.select(models.Consumer).order_by(models.Consumer.id))]

    def update_consumer(self, consumer_id, changes):
        if 'secret' in changes:
            raise exception.ValidationError('Cannot change consumer secret.')
        own, extra = base.split_extra(changes, ('description',))
        extra.pop('id', None)
        with self.write() as s:
            row = self.get_row(s, models.Consumer, consumer_id, 'consumer')
            if 'description' in own:
                row.description = own['description']
            if extra:
                row.extra = dict(row.extra or {}, **extra)
            return consumer_dict(row)

    def delete_consumer(self, consumer_id):
        """Delete the consumer and revoke the tokens issued through it."""
        with self.write() as s:
            s.delete(self.get_row(s, models.Consumer, consumer_id, 'consumer'))
            self.revoke_tokens(s, consumer_id=consumer_id)
