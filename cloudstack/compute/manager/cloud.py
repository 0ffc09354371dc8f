"""The cloud's shape: compute nodes (hypervisors), services, availability
zones, migrations, usage and the events other services send to servers."""
import datetime

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db.models import utcnow
from cloudstack.compute import hosts, models, rpc, scheduler, states
from cloudstack.compute.manager.base import is_admin

I = models.Instance
IN_PROGRESS = ('accepted', 'pre-migrating', 'migrating', 'post-migrating', 'running',
               'preparing', 'queued', 'finished', 'confirming', 'reverting')


def _node_dict(n):
    return {c.name: getattr(n, c.name) for c in models.ComputeNode.__table__.columns}


class Cloud:

    def default_schedule_zone(self):
        return CONF.compute.default_schedule_zone

    def zone_names(self):
        with self.read() as s:
            zones = scheduler.host_availability_zones(s)
            names = set(zones.values())
            node_hosts = set(s.scalars(sa.select(models.ComputeNode.host)))
            if node_hosts - set(zones):
                names.add(CONF.compute.default_availability_zone)
        return names

    def list_nodes(self):
        with self.read() as s:
            return [_node_dict(n) for n in s.scalars(sa.select(models.ComputeNode).order_by(
                models.ComputeNode.id))]

    def get_node(self, node_id):
        with self.read() as s:
            n = None
            if str(node_id).isdigit():
                n = s.get(models.ComputeNode, int(node_id))
            else:
                n = s.scalars(sa.select(models.ComputeNode).where(
                    models.ComputeNode.uuid == str(node_id))).first()
            if n is None:
                raise exception.NotFound('Hypervisor %s could not be found.' % node_id)
            return _node_dict(n)

    def node_servers(self, node_host, node_name):
        with self.read() as s:
            return [{'uuid': u, 'name': 'instance-%08x' % i} for u, i in s.execute(
                sa.select(I.uuid, I.id).where(I.node == node_name, I.deleted.is_(False))
                .order_by(I.id))]

    def availability_zones(self):
        """{zone: {host: [services]}} and each zone's availability."""
        with self.read() as s:
            zones = scheduler.host_availability_zones(s)
        out = {}
        for service in hosts.all_services():
            if service.get('role') == 'compute':
                zone = zones.get(service['host']) or CONF.compute.default_availability_zone
            else:
                zone = CONF.compute.internal_service_availability_zone
            out.setdefault(zone, []).append(service)
        return out

    # Migrations ---------------------------------------------------------------

    def list_migrations(self, ctx, instance_uuid=None, migration_type=None, status=None,
                        host=None, source_compute=None, in_progress=False, project_id=None,
                        user_id=None, since=None, before=None, limit=None, marker=None):
        M = models.Migration
        with self.read() as s:
            stmt = sa.select(M)
            if instance_uuid:
                stmt = stmt.where(M.instance_uuid == instance_uuid)
            if migration_type:
                stmt = stmt.where(M.migration_type == migration_type)
            if status:
                stmt = stmt.where(M.status == status)
            if host:
                stmt = stmt.where(sa.or_(M.source_compute == host, M.dest_compute == host))
            if source_compute:
                stmt = stmt.where(M.source_compute == source_compute)
            if in_progress:
                stmt = stmt.where(M.status.in_(IN_PROGRESS))
            if project_id:
                stmt = stmt.where(M.project_id == project_id)
            if user_id:
                stmt = stmt.where(M.user_id == user_id)
            if since is not None:
                stmt = stmt.where(M.updated_at >= since)
            if before is not None:
                stmt = stmt.where(M.updated_at <= before)
            if marker is not None:
                m = s.scalars(sa.select(M).where(M.uuid == marker)).first()
                if m is None:
                    raise exception.BadRequest('Marker %s could not be found.' % marker)
                stmt = stmt.where(M.id < m.id)
            stmt = stmt.order_by(M.created_at.desc(), M.id.desc())
            if limit is not None:
                stmt = stmt.limit(limit)
            return [{c.name: getattr(m, c.name) for c in M.__table__.columns}
                    for m in s.scalars(stmt)]

    # Usage ----------------------------------------------------------------------

    def tenant_usage(self, ctx, start, end, project_id=None, limit=None, marker=None):
        """Per project: the servers that existed in [start, end) and their hours."""
        with self.read() as s:
            stmt = sa.select(I).where(I.created_at < end, sa.or_(
                I.terminated_at.is_(None), I.terminated_at > start)).order_by(I.id)
            if project_id:
                stmt = stmt.where(I.project_id == project_id)
            if marker is not None:
                m = s.scalars(sa.select(I).where(I.uuid == marker)).first()
                if m is None:
                    raise exception.BadRequest('Marker %s could not be found.' % marker)
                stmt = stmt.where(I.id > m.id)
            if limit is not None:
                stmt = stmt.limit(limit)
            rows = list(s.scalars(stmt))
            for r in rows:
                s.expunge(r)
        out = {}
        now = utcnow()
        for r in rows:
            begin = max(r.launched_at or r.created_at, start)
            finish = min(r.terminated_at or now, end)
            hours = max((finish - begin).total_seconds(), 0) / 3600.0
            f = r.flavor or {}
            server = {'instance_id': r.uuid, 'name': r.display_name or '',
                      'hours': hours, 'memory_mb': f.get('memory_mb', 0),
                      'local_gb': f.get('root_gb', 0), 'vcpus': f.get('vcpus', 0),
                      'tenant_id': r.project_id, 'flavor': f.get('name', ''),
                      'started_at': r.launched_at or r.created_at,
                      'ended_at': r.terminated_at,
                      'state': 'terminated' if r.deleted else r.vm_state,
                      'uptime': int((now - (r.launched_at or r.created_at)).total_seconds())}
            out.setdefault(r.project_id, []).append(server)
        return out

    # Instance usage audit ------------------------------------------------------------

    def audit_log(self, ctx, before=None):
        end = before or utcnow()
        end = end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        start = (end - datetime.timedelta(days=1)).replace(day=1)
        compute_hosts = sorted({s['host'] for s in hosts.compute_services()})
        with self.read() as s:
            logs = list(s.scalars(sa.select(models.TaskLog).where(
                models.TaskLog.period_beginning == start,
                models.TaskLog.period_ending == end)))
        done = {log.host for log in logs if log.state == 'DONE'}
        return {'period_beginning': start, 'period_ending': end, 'hosts': compute_hosts,
                'logs': logs, 'done': done}

    # Events from other services ----------------------------------------------------------

    def external_instance_event(self, ctx, events):
        """Nova's os-server-external-events: [{'name', 'server_uuid', 'tag',
        'status'}]; each answered with its 'code' (200, 404, 422)."""
        out = []
        for event in events:
            event = dict(event)
            with self.write() as s:
                inst = s.scalars(self.locking(sa.select(I).where(
                    I.uuid == event['server_uuid'], I.deleted.is_(False)))).first()
                if inst is None:
                    event.update(code=404, status='failed')
                elif inst.host is None:
                    event.update(code=422, status='failed')
                else:
                    event.setdefault('status', 'completed')
                    event['code'] = 200
                    self._on_event(s, inst, event)
            out.append(event)
        return out

    def _on_event(self, s, inst, event):
        """Hook for events the server waits on (vif plugging, volume extended)."""
        if event['name'] == 'network-vif-plugged' and inst.pending_events \
                and event['status'] == 'completed':
            left = [e for e in inst.pending_events
                    if e != 'network-vif-plugged:%s' % event.get('tag')]
            inst.pending_events = left or None
            if not left:
                rpc.cast(s, 'compute.server_action', {'uuid': inst.uuid,
                                                     'action': 'resume_after_plug'},
                         inst.host, inst.uuid)
        elif event['name'] in ('network-changed', 'network-vif-deleted'):
            rpc.cast(s, 'compute.server_action', {'uuid': inst.uuid,
                                                 'action': 'refresh_network'},
                     inst.host, inst.uuid)


__all__ = ['Cloud', 'is_admin', 'states']
