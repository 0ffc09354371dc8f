"""Scheduler weighers: rank the hosts that passed the filters."""
from cloudstack.conf import CONF


def ram_weigher(state, request):
    return state.free()[1] / max(state.node.memory_mb, 1)


def soft_affinity_weigher(state, request):
    group = request.group
    if not group or group['policy'] != 'soft-affinity':
        return 0
    return group.get('host_counts', {}).get(state.host, 0)


def soft_anti_affinity_weigher(state, request):
    group = request.group
    if not group or group['policy'] != 'soft-anti-affinity':
        return 0
    return -group.get('host_counts', {}).get(state.host, 0)


WEIGHERS = {'RAMWeigher': ram_weigher,
            'ServerGroupSoftAffinityWeigher': soft_affinity_weigher,
            'ServerGroupSoftAntiAffinityWeigher': soft_anti_affinity_weigher}
# Group weighers outrank the spread of free memory.
MULTIPLIER = {'ServerGroupSoftAffinityWeigher': 10.0,
              'ServerGroupSoftAntiAffinityWeigher': 10.0}


def rank(states, request):
    names = [n for n in CONF.scheduler.weighers if n in WEIGHERS]

    def weight(state):
        return sum(WEIGHERS[n](state, request) * MULTIPLIER.get(n, 1.0) for n in names)
    return sorted(states, key=lambda s: (-weight(s), s.node.id))
