"""/os-hypervisors: the compute nodes and their usage."""
import json
import re

from cloudstack import exception
from cloudstack.compute import hosts, manager
from cloudstack.compute.api import common, views

P = 'os_compute_api:os-hypervisors:'


class Hypervisors:
    def __init__(self):
        self.manager = manager.get()

    def _id(self, req, n):
        return n['uuid'] if common.at_least(req, '2.53') else n['id']

    def view(self, req, n, detail, servers=None):
        service = hosts.service_for(n['host']) or {'disabled': True, 'up': False, 'id': 0,
                                                   'uuid': None, 'disabled_reason': None}
        out = {'id': self._id(req, n), 'hypervisor_hostname': n['hypervisor_hostname'],
               'state': 'up' if service['up'] else 'down',
               'status': 'disabled' if service['disabled'] else 'enabled'}
        if detail:
            out.update({'hypervisor_type': n['hypervisor_type'],
                        'hypervisor_version': n['hypervisor_version'],
                        'host_ip': n['host_ip'],
                        'service': {'id': service['uuid'] if common.at_least(req, '2.53')
                                    else service['id'], 'host': n['host'],
                                    'disabled_reason': service.get('disabled_reason')}})
            cpu_info = n['cpu_info']
            if common.at_least(req, '2.28'):
                try:
                    cpu_info = json.loads(cpu_info or '{}')
                except ValueError:
                    cpu_info = {}
            out['cpu_info'] = cpu_info
            if not common.at_least(req, '2.88'):
                out.update(_usage(n))
            else:
                out['uptime'] = None
        if servers is not None:
            out['servers'] = servers
        return out

    def _nodes(self, req, pattern=None):
        found = self.manager.list_nodes()
        if pattern is not None:
            found = [n for n in found if pattern in n['hypervisor_hostname']]
        return found

    def _servers(self, n):
        return [{'uuid': s['uuid'], 'name': s['name']}
                for s in self.manager.node_servers(n['host'], n['hypervisor_hostname'])]

    def _list(self, req, detail):
        common.authorize(req, P + ('list-detail' if detail else 'list'))
        pattern = with_servers = None
        limit = marker = None
        if common.at_least(req, '2.53'):
            pattern = req.GET.get('hypervisor_hostname_pattern')
            with_servers = common.strip_bool(req.GET.get('with_servers', 'false'))
            if pattern is not None and ('limit' in req.GET or 'marker' in req.GET):
                raise exception.BadRequest('Paging over a list of hypervisors using a '
                                           'hostname pattern is not supported.')
        if common.at_least(req, '2.33'):
            limit, marker = common.limit_marker(req)
        found = self._nodes(req, pattern)
        if pattern is not None and not found:
            raise exception.NotFound('No hypervisor matching %s could be found.' % pattern)
        if marker is not None:
            ids = [str(self._id(req, n)) for n in found]
            if marker not in ids:
                raise exception.BadRequest('marker [%s] not found' % marker)
            found = found[ids.index(marker) + 1:]
        if limit is not None:
            found = found[:limit]
        out = {'hypervisors': [self.view(req, n, detail,
                                         self._servers(n) if with_servers else None)
                               for n in found]}
        if common.at_least(req, '2.33'):
            more = common.collection_links(
                req, 'os-hypervisors' + ('/detail' if detail else ''),
                [{'id': self._id(req, n)} for n in found], limit)
            if more:
                out['hypervisors_links'] = more
        return out

    def index(self, req):
        return self._list(req, False)

    def detail(self, req):
        return self._list(req, True)

    def _node(self, req, hypervisor_id):
        if common.at_least(req, '2.53'):
            if not common.is_uuid(hypervisor_id):
                raise exception.BadRequest('Invalid uuid %s' % hypervisor_id)
        elif not str(hypervisor_id).isdigit():
            raise exception.NotFound('Hypervisor %s could not be found.' % hypervisor_id)
        return self.manager.get_node(hypervisor_id)

    def show(self, req, hypervisor_id):
        common.authorize(req, P + 'show')
        with_servers = common.at_least(req, '2.53') and common.strip_bool(
            req.GET.get('with_servers', 'false'))
        n = self._node(req, hypervisor_id)
        return {'hypervisor': self.view(req, n, True,
                                        self._servers(n) if with_servers else None)}

    def uptime(self, req, hypervisor_id):
        if common.at_least(req, '2.88'):
            raise exception.NotFound('The resource could not be found.')
        common.authorize(req, P + 'uptime')
        n = self._node(req, hypervisor_id)
        out = self.view(req, n, False)
        out['uptime'] = ' 08:32:11 up 93 days, 18:25, 12 users,  load average: 0.20, ' \
                        '0.12, 0.14'
        return {'hypervisor': out}

    def statistics(self, req):
        if common.at_least(req, '2.88'):
            raise exception.NotFound('The resource could not be found.')
        common.authorize(req, P + 'statistics')
        nodes = self.manager.list_nodes()
        total = {'count': len(nodes)}
        for n in nodes:
            for key, value in _usage(n).items():
                total[key] = total.get(key, 0) + value
        for key in ('vcpus', 'memory_mb', 'local_gb', 'vcpus_used', 'memory_mb_used',
                    'local_gb_used', 'free_ram_mb', 'free_disk_gb', 'current_workload',
                    'running_vms', 'disk_available_least'):
            total.setdefault(key, 0)
        return {'hypervisor_statistics': total}

    def search(self, req, pattern):
        if common.at_least(req, '2.53'):
            raise exception.NotFound('The resource could not be found.')
        common.authorize(req, P + 'search')
        found = self._nodes(req, pattern)
        if not found:
            raise exception.NotFound('No hypervisor matching %s could be found.' % pattern)
        return {'hypervisors': [self.view(req, n, False) for n in found]}

    def servers(self, req, pattern):
        if common.at_least(req, '2.53'):
            raise exception.NotFound('The resource could not be found.')
        common.authorize(req, P + 'servers')
        found = self._nodes(req, pattern)
        if not found:
            raise exception.NotFound('No hypervisor matching %s could be found.' % pattern)
        out = []
        for n in found:
            entry = self.view(req, n, False)
            servers = self._servers(n)
            if servers:
                entry['servers'] = servers
            out.append(entry)
        return {'hypervisors': out}


def _usage(n):
    free_ram = n['memory_mb'] - n['memory_mb_used']
    free_disk = n['local_gb'] - n['local_gb_used']
    return {'vcpus': n['vcpus'], 'memory_mb': n['memory_mb'], 'local_gb': n['local_gb'],
            'vcpus_used': n['vcpus_used'], 'memory_mb_used': n['memory_mb_used'],
            'local_gb_used': n['local_gb_used'], 'free_ram_mb': free_ram,
            'free_disk_gb': free_disk, 'current_workload': 0,
            'running_vms': n['running_vms'], 'disk_available_least': free_disk}


def add_routes(router):
    h = Hypervisors()
    router.connect('/os-hypervisors', h, GET='index')
    router.connect('/os-hypervisors/detail', h, GET='detail')
    router.connect('/os-hypervisors/statistics', h, GET='statistics')
    router.connect('/os-hypervisors/{hypervisor_id}', h, GET='show')
    router.connect('/os-hypervisors/{hypervisor_id}/uptime', h, GET='uptime')
    router.connect('/os-hypervisors/{pattern}/search', h, GET='search')
    router.connect('/os-hypervisors/{pattern}/servers', h, GET='servers')


__all__ = ['views', 're']
