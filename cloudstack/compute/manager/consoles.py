"""Remote consoles: a URL with a one-time-looking token, kept (as its hash)
with where it leads until it expires; the console proxy
(compute/console_proxy.py) checks it before connecting."""
import datetime
import hashlib
import secrets

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db.models import utcnow
from cloudstack.compute import models, states

T = models.ConsoleAuthToken
# console type -> what the server's host is asked for (actions.query)
CONSOLE_QUERIES = {'novnc': 'vnc_console', 'serial': 'serial_console'}
# what Nova knows but this cloud's hypervisors do not offer (xvpvnc is gone from Nova)
UNAVAILABLE = ('spice-html5', 'spice-direct', 'rdp-html5', 'webmks')
_READY = (states.ACTIVE, states.PAUSED_VM, states.RESCUED, states.RESIZED)


class ConsoleTypeUnavailable(exception.BadRequest):
    message = 'Unavailable console type %(console_type)s.'


class ConsoleTypeInvalid(exception.BadRequest):
    message = 'Invalid console type %(console_type)s'


class InstanceNotReady(exception.Conflict):
    message = 'Instance %(uuid)s is not ready'


class InvalidToken(exception.NotFound):
    message = 'The token is invalid or has expired'


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


class Consoles:

    def create_console(self, ctx, uuid, console_type):
        """Ask the server's host where its console listens; keep that under
        a new token and return the token."""
        what = CONSOLE_QUERIES.get(console_type)
        if console_type in UNAVAILABLE:
            raise ConsoleTypeUnavailable(console_type=console_type)
        if what is None:
            raise ConsoleTypeInvalid(console_type=console_type)
        with self.read() as s:
            inst = self.instance_row(s, ctx, uuid)
            if inst.host is None or inst.vm_state not in _READY:
                raise InstanceNotReady(uuid=uuid)
        try:
            where = self.query(ctx, uuid, what)
        except exception.Conflict:          # the hypervisor has no such console
            raise ConsoleTypeUnavailable(console_type=console_type)
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with self.write() as s:
            s.execute(sa.delete(T).where(T.expires <= now))
            s.add(T(token_hash=token_hash(token), console_type=console_type,
                    host=where['host'], port=int(where['port']),
                    internal_access_path=where.get('internal_access_path'),
                    instance_uuid=uuid,
                    expires=now + datetime.timedelta(seconds=CONF.compute.console_token_ttl)))
        return token

    def validate_console_token(self, token, console_types=None):
        """{'instance_uuid', 'console_type', 'host', 'port',
        'internal_access_path'} of a live token (of one of `console_types`),
        else InvalidToken."""
        with self.read() as s:
            row = s.scalars(sa.select(T).where(T.token_hash == token_hash(token or ''),
                                               T.expires > utcnow())).first()
            if row is None or (console_types and row.console_type not in console_types):
                raise InvalidToken()
            return {'instance_uuid': row.instance_uuid, 'console_type': row.console_type,
                    'host': row.host, 'port': row.port,
                    'internal_access_path': row.internal_access_path}

    def console_still_there(self, found):
        """Whether the server of a validated token still has its console at
        the token's address (it may have moved or been deleted since)."""
        try:
            where = self.query(None, found['instance_uuid'],
                               CONSOLE_QUERIES[found['console_type']])
        except exception.CloudstackError:
            return False
        return (where['host'], int(where['port'])) == (found['host'], found['port'])
