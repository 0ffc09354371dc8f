"""/os-migrations."""
from cloudstack import exception
from cloudstack.compute import manager
from cloudstack.compute.api import common, views
from cloudstack.compute.manager.servers import parse_time

P = 'os_compute_api:os-migrations:'


def view(req, m, show_hosts=True):
    out = {'id': m['id'], 'instance_uuid': m['instance_uuid'], 'status': m['status'],
           'source_compute': m['source_compute'], 'source_node': m['source_node'],
           'dest_compute': m['dest_compute'], 'dest_node': m['dest_node'],
           'dest_host': m['dest_host'], 'created_at': views.usg_time(m['created_at']),
           'updated_at': views.usg_time(m['updated_at']),
           'old_instance_type_id': m['old_flavor_id'],
           'new_instance_type_id': m['new_flavor_id']}
    if not show_hosts:
        for key in ('source_compute', 'source_node', 'dest_compute', 'dest_node',
                    'dest_host'):
            out[key] = None
    if common.at_least(req, '2.23'):
        out['migration_type'] = m['migration_type']
        if m['migration_type'] == 'live-migration' and m['status'] in (
                'queued', 'preparing', 'running', 'post-migrating'):
            out['links'] = common.links(req, 'servers/%s/migrations' % m['instance_uuid'],
                                        m['id'])
    if common.at_least(req, '2.59'):
        out['uuid'] = m['uuid']
    if common.at_least(req, '2.80'):
        out['user_id'] = m['user_id']
        out['project_id'] = m['project_id']
    return out


def server_migration_view(req, m):
    out = {'id': m['id'], 'server_uuid': m['instance_uuid'], 'status': m['status'],
           'source_compute': m['source_compute'], 'source_node': m['source_node'],
           'dest_compute': m['dest_compute'], 'dest_node': m['dest_node'],
           'dest_host': m['dest_host'], 'created_at': views.usg_time(m['created_at']),
           'updated_at': views.usg_time(m['updated_at']),
           'memory_total_bytes': m['memory_total'], 'memory_processed_bytes':
           m['memory_processed'], 'memory_remaining_bytes': m['memory_remaining'],
           'disk_total_bytes': m['disk_total'], 'disk_processed_bytes': m['disk_processed'],
           'disk_remaining_bytes': m['disk_remaining']}
    if common.at_least(req, '2.59'):
        out['uuid'] = m['uuid']
    if common.at_least(req, '2.80'):
        out['user_id'] = m['user_id']
        out['project_id'] = m['project_id']
    return out


class Migrations:
    def __init__(self):
        self.manager = manager.get()

    def index(self, req):
        common.authorize(req, P + 'index')
        g = req.GET
        args = {'instance_uuid': g.get('instance_uuid'), 'status': g.get('status'),
                'host': g.get('host'), 'source_compute': g.get('source_compute')}
        if common.at_least(req, '2.23'):
            args['migration_type'] = g.get('migration_type')
        limit = None
        if common.at_least(req, '2.59'):
            limit, args['marker'] = common.limit_marker(req)
            if 'changes-since' in g:
                args['since'] = parse_time(g['changes-since'], 'changes-since')
            if common.at_least(req, '2.66') and 'changes-before' in g:
                args['before'] = parse_time(g['changes-before'], 'changes-before')
            args['limit'] = limit
        if common.at_least(req, '2.80'):
            args['user_id'] = g.get('user_id')
            args['project_id'] = g.get('project_id')
        if not common.can(req, P + 'index:all_projects'):
            if args.get('project_id') and args['project_id'] != req.context.project_id:
                raise exception.Forbidden('Not allowed to list other projects\' migrations')
            args['project_id'] = req.context.project_id
        show_hosts = common.can(req, P + 'index:host')
        found = self.manager.list_migrations(req.context, **args)
        out = {'migrations': [view(req, m, show_hosts) for m in found]}
        if common.at_least(req, '2.59'):
            more = common.collection_links(req, 'os-migrations',
                                           [{'id': m['uuid']} for m in found], limit)
            if more:
                out['migrations_links'] = more
        return out


def add_routes(router):
    router.connect('/os-migrations', Migrations(), GET='index')
