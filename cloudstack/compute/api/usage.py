"""/os-simple-tenant-usage and /os-instance_usage_audit_log."""
import datetime

from cloudstack import exception
from cloudstack.db.models import utcnow
from cloudstack.compute import manager
from cloudstack.compute.api import common, views

P = 'os_compute_api:'


def _time(value, default):
    if not value:
        return default
    for fmt in ('%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%d %H:%M:%S.%f',
                '%Y-%m-%d %H:%M:%S'):
        try:
            return datetime.datetime.strptime(value.rstrip('Z'), fmt)
        except ValueError:
            continue
    raise exception.BadRequest('Invalid time format %s' % value)


def _totals(project_id, servers, start, stop, detailed):
    out = {'tenant_id': project_id, 'start': views.usg_time(start),
           'stop': views.usg_time(stop),
           'total_hours': sum(s['hours'] for s in servers),
           'total_vcpus_usage': sum(s['hours'] * s['vcpus'] for s in servers),
           'total_memory_mb_usage': sum(s['hours'] * s['memory_mb'] for s in servers),
           'total_local_gb_usage': sum(s['hours'] * s['local_gb'] for s in servers)}
    if detailed:
        out['server_usages'] = [dict(s, started_at=views.usg_time(s['started_at']),
                                     ended_at=views.usg_time(s['ended_at']))
                                for s in servers]
    return out


class Usage:
    def __init__(self):
        self.manager = manager.get()

    def _range(self, req):
        now = utcnow()
        start = _time(req.GET.get('start'), now)
        stop = _time(req.GET.get('end'), now)
        if start > stop:
            raise exception.BadRequest('Invalid start time. The start time cannot occur '
                                       'after the end time.')
        return start, stop

    def index(self, req):
        common.authorize(req, P + 'os-simple-tenant-usage:list')
        start, stop = self._range(req)
        detailed = common.strip_bool(req.GET.get('detailed', '0'))
        limit = marker = None
        if common.at_least(req, '2.40'):
            limit, marker = common.limit_marker(req)
        found = self.manager.tenant_usage(req.context, start, stop, limit=limit, marker=marker)
        out = {'tenant_usages': [_totals(p, servers, start, stop, detailed)
                                 for p, servers in sorted(found.items())]}
        if common.at_least(req, '2.40'):
            ids = [{'id': s['instance_id']} for servers in found.values() for s in servers]
            more = common.collection_links(req, 'os-simple-tenant-usage', ids, limit)
            if more:
                out['tenant_usages_links'] = more
        return out

    def show(self, req, tenant_id):
        common.authorize(req, P + 'os-simple-tenant-usage:show', project_id=tenant_id)
        start, stop = self._range(req)
        limit = marker = None
        if common.at_least(req, '2.40'):
            limit, marker = common.limit_marker(req)
        found = self.manager.tenant_usage(req.context, start, stop, tenant_id, limit, marker)
        servers = found.get(tenant_id)
        out = {'tenant_usage': _totals(tenant_id, servers, start, stop, True)
               if servers else {}}
        if common.at_least(req, '2.40') and servers:
            more = common.collection_links(req, 'os-simple-tenant-usage/%s' % tenant_id,
                                           [{'id': s['instance_id']} for s in servers],
                                           limit)
            if more:
                out['tenant_usage_links'] = more
        return out


class AuditLog:
    def __init__(self):
        self.manager = manager.get()

    def _view(self, req, before=None):
        log = self.manager.audit_log(req.context, before)
        hosts = log['hosts']
        not_run = [h for h in hosts if h not in log['done']]
        return {'hosts_not_run': not_run, 'log': {
            entry.host: {'state': entry.state, 'instances': entry.task_items,
                         'errors': entry.errors, 'message': entry.message}
            for entry in log['logs']},
            'num_hosts': len(hosts), 'num_hosts_done': len(log['done']),
            'num_hosts_not_run': len(not_run), 'num_hosts_running': 0,
            'overall_status': '%d of %d hosts done. %d errors.' % (
                len(log['done']), len(hosts), sum(e.errors for e in log['logs'])),
            'period_beginning': str(log['period_beginning']),
            'period_ending': str(log['period_ending']),
            'total_errors': sum(e.errors for e in log['logs']),
            'total_instances': sum(e.task_items for e in log['logs'])}

    def index(self, req):
        common.authorize(req, P + 'os-instance-usage-audit-log:list')
        return {'instance_usage_audit_logs': self._view(req)}

    def show(self, req, before):
        common.authorize(req, P + 'os-instance-usage-audit-log:show')
        try:
            when = _time(before.replace('%20', ' '), None)
        except exception.BadRequest:
            raise exception.BadRequest('Invalid timestamp for date %s' % before)
        return {'instance_usage_audit_log': self._view(req, when)}


def add_routes(router):
    u = Usage()
    router.connect('/os-simple-tenant-usage', u, GET='index')
    router.connect('/os-simple-tenant-usage/{tenant_id}', u, GET='show')
    a = AuditLog()
    router.connect('/os-instance_usage_audit_log', a, GET='index')
    router.connect('/os-instance_usage_audit_log/{before}', a, GET='show')
