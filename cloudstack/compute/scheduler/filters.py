"""Scheduler filters: each says whether a host may take the server."""
import logging

from cloudstack.conf import CONF

LOG = logging.getLogger(__name__)


def compute_filter(state, request):
    return state.service['up'] and not state.service['disabled']


def availability_zone_filter(state, request):
    return not request.availability_zone or \
        state.availability_zone == request.availability_zone


def ram_filter(state, request):
    return state.free()[1] >= request.memory_mb


def core_filter(state, request):
    return state.free()[0] >= request.vcpus


def disk_filter(state, request):
    return state.free()[2] >= request.disk_gb


def _group_hosts(request):
    return set((request.group or {}).get('hosts') or [])


def anti_affinity_filter(state, request):
    group = request.group
    if not group or group['policy'] != 'anti-affinity':
        return True
    limit = int((group.get('rules') or {}).get('max_server_per_host', 1))
    return group.get('host_counts', {}).get(state.host, 0) < limit


def affinity_filter(state, request):
    group = request.group
    if not group or group['policy'] != 'affinity':
        return True
    hosts = _group_hosts(request)
    return not hosts or state.host in hosts


def same_host_filter(state, request):
    return not request.same_host or bool(set(request.same_host) & state.instance_uuids)


def different_host_filter(state, request):
    return not (set(request.different_host) & state.instance_uuids)


def aggregate_extra_specs_filter(state, request):
    """Flavor extra specs scoped `aggregate_instance_extra_specs:` (or
    unscoped) must match the host's aggregates' metadata."""
    for key, wanted in request.extra_specs.items():
        scope, _, name = key.partition(':')
        if name and scope != 'aggregate_instance_extra_specs':
            continue
        name = name or scope
        if name not in state.aggregate_metadata:
            if not key.startswith('aggregate_instance_extra_specs:'):
                continue
            return False
        if str(wanted) not in state.aggregate_metadata[name]:
            return False
    return True


def image_properties_filter(state, request):
    wanted = request.image_properties.get('hypervisor_type')
    return not wanted or wanted == state.node.hypervisor_type


def ignore_hosts_filter(state, request):
    return state.host not in request.ignore_hosts


FILTERS = {
    'ComputeFilter': compute_filter,
    'AvailabilityZoneFilter': availability_zone_filter,
    'RamFilter': ram_filter, 'CoreFilter': core_filter, 'DiskFilter': disk_filter,
    'ServerGroupAntiAffinityFilter': anti_affinity_filter,
    'ServerGroupAffinityFilter': affinity_filter,
    'SameHostFilter': same_host_filter, 'DifferentHostFilter': different_host_filter,
    'AggregateInstanceExtraSpecsFilter': aggregate_extra_specs_filter,
    'ImagePropertiesFilter': image_properties_filter,
    'ComputeCapabilitiesFilter': lambda state, request: True,
}


def run(states, request):
    """The states passing every enabled filter (and not ignored)."""
    checks = [FILTERS[name] for name in CONF.scheduler.enabled_filters if name in FILTERS]
    checks.append(ignore_hosts_filter)
    out = []
    for state in states:
        failed = next((f for f in checks if not f(state, request)), None)
        if failed is None:
            out.append(state)
        else:
            LOG.debug('host %s rejected by %s', state.host, failed.__name__)
    return out
