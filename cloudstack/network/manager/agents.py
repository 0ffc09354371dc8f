"""Neutron's agents and availability zones: views of the foundation's agents
table. Each host's `network` agent shows as the agents Neutron runs for the
same work: Linux bridge, DHCP, L3 and metadata agents, each with its own
admin state (kept here) for the schedulers."""
import time
import uuid

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.network import exceptions as exc
from cloudstack.network import models
from cloudstack.network.manager import base
from cloudstack.tasks import agents

DHCP_AGENT = 'DHCP agent'
L3_AGENT = 'L3 agent'
# agent_type: (binary, topic)
AGENT_TYPES = {
    'Linux bridge agent': ('neutron-linuxbridge-agent', 'N/A'),
    DHCP_AGENT: ('neutron-dhcp-agent', 'dhcp_agent'),
    L3_AGENT: ('neutron-l3-agent', 'l3_agent'),
    'Metadata agent': ('neutron-metadata-agent', 'N/A'),
}
DRIVER_TTL = 5.0
AGENT_NAMESPACE = uuid.UUID('6e0d3c1a-3f0e-4b8e-9a52-5d1c0b1f4a77')
AGENT_SORT = ('id', 'agent_type', 'binary', 'host', 'topic', 'admin_state_up',
              'alive', 'availability_zone', 'created_at', 'heartbeat_timestamp',
              'started_at', 'description')


def agent_id(host, agent_type):
    return str(uuid.uuid5(AGENT_NAMESPACE, '%s/%s' % (host, agent_type)))


class Agents:

    @staticmethod
    def network_agent_rows():
        """The hosts' network agents (the agents table's rows of the role)."""
        return agents.list_agents(role=base.ROLE)

    _drivers = {}       # host -> (its live agent's report or None, when read)

    def live_agent_details(self, host):
        """What the host's network agent last reported ({'driver', ...}) when
        that agent is alive, else None. A live one is believed for a few
        seconds; a missing or dead one is looked up again each time."""
        found = self._drivers.get(host)
        now = time.monotonic()
        if found is None or found[0] is None or now - found[1] > DRIVER_TTL:
            row = agents.find(host, base.ROLE)
            details = dict(row.get('details') or {}) if row and row['up'] else None
            found = self._drivers[host] = (details, now)
        return found[0]

    def host_details(self):
        """{host: what its network agent last reported (local_ip, ...)}."""
        return {row['host']: row.get('details') or {} for row in self.network_agent_rows()}

    def host_zone(self, host):
        for row in self.network_agent_rows():
            if row['host'] == host:
                return row.get('availability_zone') or CONF.network.availability_zone
        return CONF.network.availability_zone

    def zone_hosts(self):
        return [row['host'] for row in self.network_agent_rows()]

    def check_zones(self, hints):
        if not hints:
            return
        known = {row.get('availability_zone') or CONF.network.availability_zone
                 for row in self.network_agent_rows()}
        for zone in hints or []:
            if zone not in known:
                raise AvailabilityZoneNotFound(availability_zone=zone)

    def _agent_settings(self, session):
        return {row.id: row for row in session.scalars(sa.select(models.AgentSetting))}

    def agent_dicts(self, session):
        settings = self._agent_settings(session)
        out = []
        for row in self.network_agent_rows():
            zone = row.get('availability_zone') or CONF.network.availability_zone
            for kind, (binary, topic) in AGENT_TYPES.items():
                aid = agent_id(row['host'], kind)
                setting = settings.get(aid)
                configurations = dict(row.get('details') or {})
                if kind == DHCP_AGENT:
                    configurations.setdefault('networks', session.scalar(
                        sa.select(sa.func.count()).select_from(models.NetworkDHCPHost)
                        .where(models.NetworkDHCPHost.host == row['host'])))
                elif kind == L3_AGENT:
                    configurations.setdefault('routers', session.scalar(
                        sa.select(sa.func.count()).select_from(models.Router)
                        .where(models.Router.host == row['host'])))
                out.append({
                    'id': aid, 'agent_type': kind, 'binary': binary, 'topic': topic,
                    'host': row['host'], 'alive': bool(row['up']),
                    'admin_state_up': setting.admin_state_up if setting else True,
                    'description': setting.description if setting else None,
                    'availability_zone': zone if kind in (DHCP_AGENT, L3_AGENT) else None,
                    'configurations': configurations,
                    'created_at': base.isotime(row.get('created_at')),
                    'started_at': base.isotime(row.get('started_at')),
                    'heartbeat_timestamp': base.isotime(row.get('heartbeat_at')),
                    'resources_synced': None,
                })
        return out

    def list_agents(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        with self.read() as s:
            agents = self.agent_dicts(s)
        filters = dict(query.filters)
        for key, values in filters.items():
            if key not in AGENT_SORT + ('configurations',):
                raise exc.BadRequest('%s is invalid attribute for filtering' % key)
            wanted = {str(v).lower() for v in values}
            agents = [a for a in agents if str(a.get(key)).lower() in wanted]
        for key, direction in reversed(query.sorts):
            agents.sort(key=lambda a: (a.get(key) is None, str(a.get(key))),
                        reverse=direction == 'desc')
        return agents

    def get_agent(self, ctx, agent_id_):
        for agent in self.list_agents(ctx):
            if agent['id'] == agent_id_:
                return agent
        raise exc.not_found('agent', agent_id_)

    def update_agent(self, ctx, agent_id_, body):
        self.get_agent(ctx, agent_id_)
        with self.write() as s:
            row = s.get(models.AgentSetting, agent_id_)
            if row is None:
                row = models.AgentSetting(id=agent_id_, admin_state_up=True)
                s.add(row)
            if 'admin_state_up' in body:
                row.admin_state_up = bool(body['admin_state_up'])
            if 'description' in body:
                row.description = body['description']
        return self.get_agent(ctx, agent_id_)

    def delete_agent(self, ctx, agent_id_):
        agent = self.get_agent(ctx, agent_id_)
        if agent['alive']:
            raise exc.Conflict('Agent %s is alive; stop it before deleting it.' % agent_id_)
        row = agents.find(agent['host'], base.ROLE)
        if row is not None:
            agents.delete(row['id'])
        with self.write() as s:
            s.execute(sa.delete(models.AgentSetting).where(
                models.AgentSetting.id.in_([agent_id(agent['host'], k)
                                            for k in AGENT_TYPES])))

    def schedulable_hosts(self, session, kind, zones=None):
        """Hosts whose agent of `kind` is alive and administratively up."""
        settings = self._agent_settings(session)
        out = []
        for row in self.network_agent_rows():
            setting = settings.get(agent_id(row['host'], kind))
            if not row['up'] or (setting is not None and not setting.admin_state_up):
                continue
            zone = row.get('availability_zone') or CONF.network.availability_zone
            if zones and zone not in zones:
                continue
            out.append(row['host'])
        return out

    def _agent_host(self, ctx, agent_id_, kind):
        agent = self.get_agent(ctx, agent_id_)
        if agent['agent_type'] != kind:
            raise exc.BadRequest('Agent %s is not a %s' % (agent_id_, kind))
        return agent['host']

    # -- availability zones -------------------------------------------------

    def list_availability_zones(self, ctx, query=None, **filters):
        query = base.as_query(query, **filters)
        zones = {}
        for row in self.network_agent_rows():
            zone = row.get('availability_zone') or CONF.network.availability_zone
            for resource in ('network', 'router'):
                state = 'available' if row['up'] else zones.get((zone, resource),
                                                                'unavailable')
                zones[(zone, resource)] = state
        out = [{'name': z, 'resource': r, 'state': st} for (z, r), st in sorted(zones.items())]
        for key, values in query.filters.items():
            if key not in ('name', 'resource', 'state'):
                raise exc.BadRequest('%s is invalid attribute for filtering' % key)
            out = [z for z in out if z[key] in values]
        return out


class AvailabilityZoneNotFound(exc.NotFound):
    message = 'AvailabilityZone %(availability_zone)s could not be found.'
