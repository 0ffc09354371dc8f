"""/os-availability-zone."""
from cloudstack.conf import CONF
from cloudstack.compute import manager
from cloudstack.compute.api import common, services


class AvailabilityZones:
    def __init__(self):
        self.manager = manager.get()

    def index(self, req):
        common.authorize(req, 'os_compute_api:os-availability-zone:list')
        zones = self.manager.availability_zones()
        internal = CONF.compute.internal_service_availability_zone
        return {'availabilityZoneInfo': [
            {'zoneName': zone, 'zoneState': {'available': any(
                s['up'] and not s['disabled'] for s in found)}, 'hosts': None}
            for zone, found in sorted(zones.items()) if zone != internal]}

    def detail(self, req):
        common.authorize(req, 'os_compute_api:os-availability-zone:detail')
        out = []
        for zone, found in sorted(self.manager.availability_zones().items()):
            hosts = {}
            for s in found:
                hosts.setdefault(s['host'], {})[services.binary(s)] = {
                    'available': s['up'], 'active': not s['disabled'],
                    'updated_at': services.updated(s)}
            out.append({'zoneName': zone, 'zoneState': {'available': any(
                s['up'] and not s['disabled'] for s in found)}, 'hosts': hosts})
        return {'availabilityZoneInfo': out}


def add_routes(router):
    a = AvailabilityZones()
    router.connect('/os-availability-zone', a, GET='index')
    router.connect('/os-availability-zone/detail', a, GET='detail')
