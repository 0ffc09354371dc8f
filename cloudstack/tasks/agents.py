"""The agents table, and the per-role services an engine runs.

Every engine registers one row per role it runs on its host (host-less work
is the role 'engine') and beats there every report_interval once the role is
ready. `is_up()` is the one judgement of liveness, as Nova's
service_down_time: not forced down, and a heartbeat within agent_down_time.
Nova's and Cinder's os-services and Neutron's agents are views of these rows.

The services' Python API (rows come back as dicts, with 'up'):

    agents.list_agents(role='compute')          agents.get(agent_id)
    agents.find(host, role)                     agents.live(role, host=None)
    agents.update(agent_id, disabled=True, disabled_reason='maintenance')
    agents.update(agent_id, forced_down=True)   agents.delete(agent_id)

Nova's disabled is Neutron's admin_state_up false; Neutron's description is
`description`, its configurations `details`.

A role plugs its own start-up into the engine through the `cloudstack.roles`
entry point group (the entry point's name is the role): a RoleService
subclass, made once per engine with the host's name; its task handlers find
it with agents.local(role). On start, for each role,
the engine calls init_host(), then recovers that role's resources left in
transitional states (cloudstack.tasks.recovery), then resync(); only then does
it claim that role's tasks and beat for it.
"""
import importlib.metadata
import logging
import uuid

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.tasks.models import Agent

LOG = logging.getLogger(__name__)

ENGINE = 'engine'               # the role name of host-less work in the agents table
ROLE_ENTRY_POINTS = 'cloudstack.roles'
DEFAULT_ZONE = 'nova'


class RoleService:
    """What a role does in its engine besides running its tasks."""

    availability_zone = DEFAULT_ZONE

    def __init__(self, host):
        self.host = host

    def init_host(self):
        """Make the host ready (load the driver, check it answers). Raising
        keeps the role down; the engine tries again after a backoff."""

    def resync(self):
        """Make the host match the database (after crash recovery); idempotent."""

    def report(self):
        """A dict stored with each heartbeat (Neutron's configurations, capacity)."""
        return {}

    def stop(self):
        """The engine is stopping."""


_local = {}      # role -> the RoleService instances this process's engine runs


def role_services(role, host):
    """The RoleService instances the installed services register for `role`."""
    found = []
    for ep in importlib.metadata.entry_points(group=ROLE_ENTRY_POINTS, name=role):
        found.append(ep.load()(host))
    return found


def run_locally(role, services):
    """Note the RoleService instances of `role` this process's engine runs."""
    _local[role] = list(services)


def local(role, kind=None):
    """The RoleService of `role` (an instance of `kind`, if given) that this
    process's engine runs, for its task handlers: e.g. the compute agent's
    service holding the driver it loaded in init_host(). None if it runs none."""
    return next((s for s in _local.get(role, ()) if kind is None or isinstance(s, kind)),
                None)


def agent_role(role):
    """The agents table's name for an engine role (None: host-less work)."""
    return role or ENGINE


def is_up(agent, now=None):
    """Whether the agent (a row or its dict) is alive: beating and not forced down."""
    get = agent.get if isinstance(agent, dict) else (lambda key: getattr(agent, key))
    beat = get('heartbeat_at')
    if get('forced_down') or beat is None:
        return False
    return ((now or utcnow()) - beat).total_seconds() <= CONF.agent_down_time


def _dict(row, now=None):
    out = {c.name: getattr(row, c.name) for c in Agent.__table__.columns}
    out['up'] = is_up(row, now)
    return out


def register(host, role, binary, availability_zone=None):
    """Record that an engine of `role` starts on `host`; its id. Operator
    settings (disabled, forced down) survive restarts, as in Nova."""
    role = agent_role(role)
    with db_api.writer() as s:
        row = s.scalars(sa.select(Agent).where(Agent.host == host, Agent.role == role)
                        .with_for_update()).first()
        if row is None:
            row = Agent(uuid=str(uuid.uuid4()), host=host, role=role, details={})
            s.add(row)
        row.binary = binary
        row.availability_zone = availability_zone or DEFAULT_ZONE
        row.started_at = utcnow()
        row.heartbeat_at = None     # down until the role is ready and beats
        s.flush()
        return row.id


def beat(host, reports):
    """Heartbeats of the roles of `host`, in one transaction: `reports` maps
    each role to the details it reports (None: keep them). Returns the roles
    whose row is gone (an operator deleted it)."""
    gone = []
    now = utcnow()
    with db_api.writer() as s:
        for role, details in reports.items():
            values = {'heartbeat_at': now, 'report_count': Agent.report_count + 1}
            if details is not None:
                values['details'] = details
            if not s.execute(sa.update(Agent).where(
                    Agent.host == host, Agent.role == agent_role(role)).values(**values)).rowcount:
                gone.append(role)
    return gone


def list_agents(role=None, host=None):
    """Agents (dicts with 'up'), by id; `role` 'engine' lists the host-less engines."""
    now = utcnow()
    # Core rows on a pooled connection: the servers' API reads this per request
    stmt = sa.select(Agent.__table__).order_by(Agent.id)
    if role is not None:
        stmt = stmt.where(Agent.role == role)
    if host is not None:
        stmt = stmt.where(Agent.host == host)
    with db_api.get_engine().connect() as conn:
        return [_dict(row, now) for row in conn.execute(stmt)]


def _row(session, agent_id, lock=False):
    column = Agent.uuid if isinstance(agent_id, str) and not agent_id.isdigit() else Agent.id
    if column is Agent.id:
        agent_id = int(agent_id)
    stmt = sa.select(Agent).where(column == agent_id)
    row = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if row is None:
        raise exception.NotFound('Agent %s could not be found.' % agent_id)
    return row


def get(agent_id):
    """The agent by its id or uuid; NotFound otherwise."""
    with db_api.reader() as s:
        return _dict(_row(s, agent_id))


def find(host, role):
    """The agent of `role` on `host`, or None."""
    found = list_agents(agent_role(role), host)
    return found[0] if found else None


def live(role, host=None):
    """The agents of `role` (on `host`) that are up."""
    return [a for a in list_agents(agent_role(role), host) if a['up']]


UPDATABLE = ('disabled', 'disabled_reason', 'forced_down', 'availability_zone', 'description')


def update(agent_id, **values):
    """Set operator fields (disabled, disabled_reason, forced_down,
    availability_zone, description); returns the agent."""
    unknown = set(values) - set(UPDATABLE)
    if unknown:
        raise ValueError('cannot set %s of an agent' % ', '.join(sorted(unknown)))
    with db_api.writer() as s:
        row = _row(s, agent_id, lock=True)
        for key, value in values.items():
            setattr(row, key, value)
        s.flush()
        return _dict(row)


def delete(agent_id):
    """Forget an agent (a host taken out of service); NotFound if unknown."""
    with db_api.writer() as s:
        s.delete(_row(s, agent_id, lock=True))
