"""The cloud's shape: compute nodes, availability zones."""
import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.compute import models, scheduler


class Cloud:

    def default_schedule_zone(self):
        return CONF.compute.default_schedule_zone

    def zone_names(self):
        with self.read() as s:
            zones = set(scheduler.host_availability_zones(s).values())
            hosts = set(s.scalars(sa.select(models.ComputeNode.host)))
            if hosts - set(scheduler.host_availability_zones(s)):
                zones.add(CONF.compute.default_availability_zone)
        return zones

    def list_nodes(self):
        with self.read() as s:
            return [{c.name: getattr(n, c.name) for c in models.ComputeNode.__table__.columns}
                    for n in s.scalars(sa.select(models.ComputeNode).order_by(
                        models.ComputeNode.id))]
