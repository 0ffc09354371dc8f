"""Cinder's services, hosts, pools, capabilities and availability zones: views
of the agents table (the foundation's: one row per engine role and host) and
of the pools the volume agents report.

Per host: cinder-scheduler (the engine), cinder-backup (the volume agent,
which writes backups) and one cinder-volume per backend, host@backend.
"""
import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.volume import models, scheduler
from cloudstack.tasks import agents
from cloudstack.volume.manager.base import AGENT_ROLE, iso, reader

BINARIES = ('cinder-scheduler', 'cinder-volume', 'cinder-backup')


def _agent_view(a):
    return {'id': a['id'], 'host': a['host'], 'up': a['up'],
            'disabled': bool(a.get('disabled')),
            'disabled_reason': a.get('disabled_reason'),
            'updated_at': a.get('heartbeat_at') or a.get('started_at'),
            'zone': a.get('availability_zone') or CONF.volume.storage_availability_zone}


class Services:

    def _backends(self):
        """{host: [(backend, pool row)]} from the pools table."""
        out = {}
        with reader() as s:
            for pool in s.scalars(sa.select(models.Pool).order_by(models.Pool.name)):
                host, _, backend = pool.name.partition('#')[0].partition('@')
                out.setdefault(host, []).append((backend, {'frozen': pool.frozen}))
        return out

    def list_services(self, ctx, binary=None, host=None):
        """cinder-scheduler per engine of host-less work, cinder-backup per
        volume agent and cinder-volume per backend of a volume agent."""
        backends = self._backends()
        rows = [('cinder-scheduler', _agent_view(a))
                for a in agents.list_agents(role=agents.ENGINE)]
        for a in agents.list_agents(role=AGENT_ROLE):
            rows.append(('cinder-backup', _agent_view(a)))
            rows.append(('cinder-volume', _agent_view(a)))
        out = []
        for kind, agent in rows:
            base = {'zone': agent['zone'], 'disabled_reason': agent['disabled_reason'],
                    'status': 'disabled' if agent['disabled'] else 'enabled',
                    'state': 'up' if agent['up'] else 'down',
                    'updated_at': iso(agent['updated_at']), 'cluster': None,
                    'agent_id': agent['id']}
            if kind != 'cinder-volume':
                entries = [dict(base, binary=kind, host=agent['host'])]
            else:
                entries = [dict(base, binary=kind, host='%s@%s' % (agent['host'], backend),
                                frozen=bool(pool['frozen']), replication_status='disabled',
                                active_backend_id=None,
                                backend_state='up' if agent['up'] else 'down')
                           for backend, pool in backends.get(agent['host'], [])]
            for entry in entries:
                if binary and entry['binary'] != binary:
                    continue
                if host and entry['host'] != host and \
                        entry['host'].partition('@')[0] != host:
                    continue
                out.append(entry)
        return out

    def _find_service(self, ctx, host, binary):
        found = [s for s in self.list_services(ctx) if s['host'] == host
                 and s['binary'] == binary]
        if not found:
            raise exception.NotFound('Service %s on host %s could not be found.'
                                     % (binary, host))
        return found[0]

    def set_service_disabled(self, ctx, host, binary, disabled, reason=None):
        """Disable (or enable) the agent a service is a view of."""
        service = self._find_service(ctx, host, binary)
        agents.update(service['agent_id'], disabled=disabled,
                      disabled_reason=reason if disabled else None)
        return {'host': host, 'binary': binary, 'service': binary,
                'disabled': disabled, 'status': 'disabled' if disabled else 'enabled',
                'disabled_reason': reason if disabled else None}

    def freeze_host(self, ctx, host, frozen=True):
        with db_api.writer() as s:
            pools = s.scalars(sa.select(models.Pool).where(sa.or_(
                models.Pool.name.startswith(host + '#'),
                models.Pool.name.startswith(host + '@')))).all()
            if not pools:
                raise exception.BadRequest('Host not found: %s' % host)
            for pool in pools:
                pool.frozen = frozen

    # --- pools, capabilities, zones, hosts ------------------------------------------
    def list_pools(self, ctx, detail=False, name=None, volume_type=None):
        with reader() as s:
            specs = None
            if volume_type:
                specs = self.type_specs(self._find_type(s, ctx, volume_type))
            out = []
            for pool in scheduler.live_pools(s):
                if name and pool.name != name:
                    continue
                caps = dict(pool.capabilities or {})
                if specs is not None and not scheduler.satisfies(caps, specs):
                    continue
                entry = {'name': pool.name}
                if detail:
                    caps['timestamp'] = caps['updated'] = iso(pool.updated_at)
                    entry['capabilities'] = caps
                out.append(entry)
            return out

    def backend_capabilities(self, ctx, host):
        with reader() as s:
            pools = [dict(p.capabilities or {}) for p in s.scalars(sa.select(models.Pool))
                     if host in (p.name, p.name.partition('#')[0])]
        if not pools:
            raise exception.NotFound('Backend %s could not be found.' % host)
        caps = pools[0]
        return {
            'namespace': 'OS::Storage::Capabilities::%s' % host,
            'vendor_name': caps.get('vendor_name'),
            'volume_backend_name': caps.get('volume_backend_name'),
            'pool_name': None, 'driver_version': caps.get('driver_version'),
            'storage_protocol': caps.get('storage_protocol'),
            'display_name': None, 'description': None, 'visibility': None,
            'replication_targets': [],
            'properties': {
                'thin_provisioning': {
                    'title': 'Thin Provisioning', 'type': 'boolean',
                    'description': 'Sets thin provisioning.'},
                'compression': {
                    'title': 'Compression', 'type': 'boolean',
                    'description': 'Enables compression.'},
                'qos': {'title': 'QoS', 'type': 'boolean',
                        'description': 'Enables QoS.'},
            },
        }

    def availability_zones(self, ctx):
        zones = {}
        for agent in agents.list_agents(role=AGENT_ROLE):
            view = _agent_view(agent)
            zones[view['zone']] = zones.get(view['zone'], False) or view['up']
        zones.setdefault(CONF.volume.storage_availability_zone, True)
        return [{'zoneName': zone, 'zoneState': {'available': up}}
                for zone, up in sorted(zones.items())]

    def list_hosts(self, ctx, zone=None):
        out = []
        for service in self.list_services(ctx):
            if zone and service['zone'] != zone:
                continue
            out.append({'service-status': 'available' if service['state'] == 'up'
                        else 'unavailable',
                        'service': service['binary'], 'zone': service['zone'],
                        'service-state': 'enabled' if service['status'] == 'enabled'
                        else 'disabled',
                        'host_name': service['host'],
                        'last-update': service['updated_at']})
        return out

    def show_host(self, ctx, host):
        if not any(s['host'] == host for s in self.list_services(ctx)):
            raise exception.NotFound('Host %s could not be found.' % host)
        with reader() as s:
            V, S = models.Volume, models.Snapshot
            on_host = sa.or_(V.host == host, V.host.startswith(host + '#'),
                             V.host.startswith(host + '@'))
            per_project = s.execute(sa.select(V.project_id, sa.func.count(),
                                              sa.func.sum(V.size))
                                    .where(on_host).group_by(V.project_id)).all()
            snaps = dict((p, (c, g)) for p, c, g in s.execute(
                sa.select(S.project_id, sa.func.count(), sa.func.sum(S.volume_size))
                .where(S.volume_id.in_(sa.select(V.id).where(on_host)))
                .group_by(S.project_id)))
        rows = []
        total = [0, 0, 0, 0]
        for project, count, size in per_project:
            scount, ssize = snaps.get(project, (0, 0))
            rows.append((project, count, size or 0, scount, ssize or 0))
            total = [total[0] + count, total[1] + (size or 0), total[2] + scount,
                     total[3] + (ssize or 0)]
        out = [{'resource': {'host': host, 'project': '(total)',
                             'volume_count': str(total[0]),
                             'total_volume_gb': str(total[1]),
                             'snapshot_count': str(total[2]),
                             'total_snapshot_gb': str(total[3])}}]
        for project, count, size, scount, ssize in rows:
            out.append({'resource': {'host': host, 'project': project,
                                     'volume_count': str(count),
                                     'total_volume_gb': str(size),
                                     'snapshot_count': str(scount),
                                     'total_snapshot_gb': str(ssize)}})
        return out

    # --- reports from the volume agents ---------------------------------------------------
    def report_pools(self, host, pools):
        """Store what `host`'s backends report: [{'name': host@backend#pool,
        'backend', 'availability_zone', 'capabilities'}]; pools of that host
        no longer reported go."""
        now = utcnow()
        with db_api.writer() as s:
            known = {p.name: p for p in s.scalars(sa.select(models.Pool).where(
                models.Pool.host == host))}
            for report in pools:
                row = known.pop(report['name'], None)
                if row is None:
                    row = models.Pool(name=report['name'], host=host)
                    s.add(row)
                row.backend = report['backend']
                row.availability_zone = report['availability_zone']
                row.capabilities = report['capabilities']
                row.updated_at = now
            for stale in known.values():
                s.delete(stale)
