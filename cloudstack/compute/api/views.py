"""How a server looks in the API, per microversion."""
from cloudstack.compute import hosts, states
from cloudstack.compute.api import common


def isotime(value):
    return value.strftime('%Y-%m-%dT%H:%M:%SZ') if value else None


def usg_time(value):
    return value.strftime('%Y-%m-%dT%H:%M:%S.%f') if value else None


def host_id(rec):
    import hashlib
    if not rec['host']:
        return ''
    return hashlib.sha224((rec['project_id'] + rec['host']).encode()).hexdigest()


def addresses(rec, detail=True):
    out = {}
    for vif in rec.get('network_info') or []:
        net = vif.get('network') or {}
        label = net.get('label') or net.get('id') or 'network'
        items = out.setdefault(label, [])
        for subnet in net.get('subnets') or []:
            for ip in subnet.get('ips') or []:
                entry = {'version': subnet.get('version', 4), 'addr': ip['address']}
                if detail:
                    entry['OS-EXT-IPS:type'] = 'fixed'
                    entry['OS-EXT-IPS-MAC:mac_addr'] = vif.get('address')
                items.append(entry)
                for fip in ip.get('floating_ips') or []:
                    entry = {'version': subnet.get('version', 4),
                             'addr': fip if isinstance(fip, str) else fip['address']}
                    if detail:
                        entry['OS-EXT-IPS:type'] = 'floating'
                        entry['OS-EXT-IPS-MAC:mac_addr'] = vif.get('address')
                    items.append(entry)
    return out


def flavor_view(req, rec):
    f = rec['flavor'] or {}
    if common.at_least(req, '2.47'):
        out = {'original_name': f.get('name'), 'disk': f.get('root_gb', 0),
               'ephemeral': f.get('ephemeral_gb', 0), 'ram': f.get('memory_mb', 0),
               'swap': f.get('swap', 0), 'vcpus': f.get('vcpus', 0)}
        if common.can(req, 'os_compute_api:servers:show:flavor-extra-specs',
                      rec['project_id'], rec['user_id']):
            out['extra_specs'] = f.get('extra_specs') or {}
        return out
    return {'id': f.get('flavorid'), 'links': [
        {'rel': 'bookmark', 'href': '%s/flavors/%s' % (common.base_url(req),
                                                        f.get('flavorid'))}]}


def image_view(req, rec):
    if not rec['image_ref']:
        return ''
    out = {'id': rec['image_ref'], 'links': [
        {'rel': 'bookmark', 'href': '%s/images/%s' % (common.base_url(req),
                                                       rec['image_ref'])}]}
    if common.at_least(req, '2.98'):
        out['properties'] = {k[6:]: (v if v is None else str(v)[:255])
                             for k, v in (rec['system_metadata'] or {}).items()
                             if k.startswith('image_') and k not in (
                                 'image_name',) and v is not None}
    return out


def basic(req, rec):
    return {'id': rec['uuid'], 'name': rec['display_name'] or '',
            'links': common.links(req, 'servers', rec['uuid'])}


def _host_status(req, rec):
    if not rec['host']:
        return ''
    # the compute services read once per request (a list shows many servers)
    services = req.environ.get('cloudstack.compute.services')
    if services is None:
        services = req.environ['cloudstack.compute.services'] = {
            s['host']: s for s in hosts.compute_services()}
    service = services.get(rec['host'])
    if service is None:
        return 'UNKNOWN'
    if service.get('forced_down') or not service['up']:
        return 'DOWN'
    if service['disabled']:
        return 'MAINTENANCE'
    return 'UP'


def detail(req, rec, security_groups=None, show_extended=None, show_host_status=None):
    """The full server body, as GET /servers/{id} shows it."""
    status = rec['status']
    out = basic(req, rec)
    out.update({
        'status': status, 'tenant_id': rec['project_id'], 'user_id': rec['user_id'],
        'metadata': rec['metadata'], 'hostId': host_id(rec),
        'image': image_view(req, rec), 'flavor': flavor_view(req, rec),
        'created': isotime(rec['created_at']), 'updated': isotime(rec['updated_at']),
        'addresses': addresses(rec), 'accessIPv4': rec['access_ip_v4'] or '',
        'accessIPv6': rec['access_ip_v6'] or '',
        'OS-DCF:diskConfig': 'AUTO' if rec['auto_disk_config'] else 'MANUAL',
        'key_name': rec['key_name'],
        'OS-EXT-AZ:availability_zone': rec['availability_zone'] or '',
        'OS-SRV-USG:launched_at': usg_time(rec['launched_at']),
        'OS-SRV-USG:terminated_at': usg_time(rec['terminated_at']),
        'OS-EXT-STS:task_state': rec['task_state'],
        'OS-EXT-STS:vm_state': rec['vm_state'],
        'OS-EXT-STS:power_state': rec['power_state'],
        'config_drive': rec['config_drive'] or '',
    })
    volumes = []
    for b in rec['bdms']:
        if b['volume_id'] and b['destination_type'] == 'volume':
            v = {'id': b['volume_id']}
            if common.at_least(req, '2.3'):
                v['delete_on_termination'] = b['delete_on_termination']
            volumes.append(v)
    out['os-extended-volumes:volumes_attached'] = volumes
    if status in states.PROGRESS_STATUSES:
        out['progress'] = rec['progress'] or 0
    if security_groups:
        out['security_groups'] = security_groups
    if rec['fault'] and status in ('ERROR', 'DELETED'):
        fault = rec['fault']
        shown = {'code': fault['code'], 'message': fault['message'],
                 'created': isotime(fault['created'])}
        if fault['details'] and (fault['code'] != 500 or common.can(
                req, 'os_compute_api:os-extended-server-attributes')):
            shown['details'] = fault['details']
        out['fault'] = shown
    if show_extended is None:
        show_extended = common.can(req, 'os_compute_api:os-extended-server-attributes',
                                   rec['project_id'], rec['user_id'])
    if show_extended:
        out.update({'OS-EXT-SRV-ATTR:host': rec['host'],
                    'OS-EXT-SRV-ATTR:instance_name': rec['name'],
                    'OS-EXT-SRV-ATTR:hypervisor_hostname': rec['node']})
        if common.at_least(req, '2.3'):
            out.update({'OS-EXT-SRV-ATTR:reservation_id': rec['reservation_id'],
                        'OS-EXT-SRV-ATTR:launch_index': rec['launch_index'],
                        'OS-EXT-SRV-ATTR:kernel_id': rec['kernel_id'] or '',
                        'OS-EXT-SRV-ATTR:ramdisk_id': rec['ramdisk_id'] or '',
                        'OS-EXT-SRV-ATTR:hostname': rec['hostname'],
                        'OS-EXT-SRV-ATTR:root_device_name': rec['root_device_name'],
                        'OS-EXT-SRV-ATTR:user_data': rec['user_data']})
    elif common.at_least(req, '2.90'):
        out['OS-EXT-SRV-ATTR:hostname'] = rec['hostname']
    if common.at_least(req, '2.9'):
        out['locked'] = bool(rec['locked'])
    if common.at_least(req, '2.16'):
        if show_host_status is None:
            show_host_status = common.can(req, 'os_compute_api:servers:show:host_status',
                                          rec['project_id'], rec['user_id'])
        if show_host_status:
            out['host_status'] = _host_status(req, rec)
    if common.at_least(req, '2.19'):
        out['description'] = rec['display_description']
    if common.at_least(req, '2.26'):
        out['tags'] = rec['tags']
    if common.at_least(req, '2.63'):
        out['trusted_image_certificates'] = rec['trusted_certs']
    if common.at_least(req, '2.73'):
        out['locked_reason'] = rec['locked_reason']
    if common.at_least(req, '2.96'):
        out['pinned_availability_zone'] = rec['requested_availability_zone']
    if common.at_least(req, '2.100'):
        out['scheduler_hints'] = (rec['system_metadata'] or {}).get('scheduler_hints') or {}
    return out


def show(req, rec, security_groups=None):
    out = detail(req, rec, security_groups)
    if common.at_least(req, '2.71'):
        out['server_groups'] = rec['server_groups'][:1]
    return out


def mutated(req, rec, security_groups=None):
    """The body of an update (PUT) or rebuild answer."""
    out = detail(req, rec, None)
    for key in ('key_name', 'security_groups', 'OS-SRV-USG:launched_at',
                'OS-SRV-USG:terminated_at', 'OS-EXT-AZ:availability_zone',
                'OS-EXT-STS:task_state', 'OS-EXT-STS:vm_state', 'OS-EXT-STS:power_state',
                'os-extended-volumes:volumes_attached', 'config_drive',
                'host_status'):
        out.pop(key, None)
    for key in list(out):
        if key.startswith('OS-EXT-SRV-ATTR:') and not (
                common.at_least(req, '2.90') and key == 'OS-EXT-SRV-ATTR:hostname'):
            out.pop(key)
    if 'addresses' in out:
        out['addresses'] = addresses(rec, detail=False)
    if common.at_least(req, '2.71'):
        out['server_groups'] = rec['server_groups'][:1]
    if common.at_least(req, '2.75'):
        full = show(req, rec, security_groups)
        full.pop('host_status', None) if not common.at_least(req, '2.16') else None
        return full
    return out
