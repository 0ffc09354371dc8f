"""Host aggregates, their metadata and availability zones."""
import uuid as uuidlib

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db.models import utcnow
from cloudstack.compute import models, scheduler

A = models.Aggregate


class Aggregates:

    def _agg_dict(self, s, a):
        hosts = sorted(s.scalars(sa.select(models.AggregateHost.host).where(
            models.AggregateHost.aggregate_id == a.id)))
        meta = {m.key: m.value for m in s.scalars(sa.select(models.AggregateMetadata).where(
            models.AggregateMetadata.aggregate_id == a.id))}
        return {'id': a.id, 'uuid': a.uuid, 'name': a.name, 'hosts': hosts, 'metadata': meta,
                'availability_zone': meta.get('availability_zone'),
                'created_at': a.created_at, 'updated_at': a.updated_at}

    def _agg_row(self, s, agg_id):
        a = s.get(A, int(agg_id)) if str(agg_id).isdigit() else None
        if a is None:
            raise exception.NotFound('Aggregate %s could not be found.' % agg_id)
        return a

    def list_aggregates(self, ctx):
        with self.read() as s:
            return [self._agg_dict(s, a) for a in s.scalars(sa.select(A).order_by(A.id))]

    def get_aggregate(self, ctx, agg_id):
        with self.read() as s:
            return self._agg_dict(s, self._agg_row(s, agg_id))

    def _check_zone(self, s, zone, exclude_id=None):
        if zone == CONF.compute.internal_service_availability_zone:
            raise exception.BadRequest('Aggregates cannot use the internal availability '
                                       'zone.')

    def create_aggregate(self, ctx, name, zone=None):
        with self.write() as s:
            if s.scalar(sa.select(A.id).where(A.name == name)):
                raise exception.Conflict('Aggregate %s already exists.' % name)
            if zone:
                self._check_zone(s, zone)
            a = A(uuid=str(uuidlib.uuid4()), name=name)
            s.add(a)
            s.flush()
            if zone:
                s.add(models.AggregateMetadata(aggregate_id=a.id, key='availability_zone',
                                               value=zone))
                s.flush()
            return self._agg_dict(s, a)

    def update_aggregate(self, ctx, agg_id, name=None, zone=None, zone_given=False):
        with self.write() as s:
            a = self._agg_row(s, agg_id)
            if name is not None and name != a.name:
                if s.scalar(sa.select(A.id).where(A.name == name)):
                    raise exception.Conflict('Aggregate %s already exists.' % name)
                a.name = name
            if zone_given:
                self._set_meta(s, a, {'availability_zone': zone})
            a.updated_at = utcnow()
            s.flush()
            return self._agg_dict(s, a)

    def _set_meta(self, s, a, meta):
        zone = meta.get('availability_zone')
        if 'availability_zone' in meta and zone is not None:
            self._check_zone(s, zone)
            hosts = list(s.scalars(sa.select(models.AggregateHost.host).where(
                models.AggregateHost.aggregate_id == a.id)))
            zones = scheduler.host_availability_zones(s)
            current = self._agg_dict(s, a)['availability_zone']
            for host in hosts:
                other = zones.get(host)
                if other and other != current and other != zone:
                    raise exception.BadRequest('Host %s is already in availability zone %s'
                                               % (host, other))
        for key, value in meta.items():
            row = s.get(models.AggregateMetadata, (a.id, key))
            if value is None:
                if row is not None:
                    s.delete(row)
            elif row is None:
                s.add(models.AggregateMetadata(aggregate_id=a.id, key=key, value=str(value)))
            else:
                row.value = str(value)
        s.flush()

    def set_aggregate_metadata(self, ctx, agg_id, meta):
        with self.write() as s:
            a = self._agg_row(s, agg_id)
            self._set_meta(s, a, meta)
            a.updated_at = utcnow()
            return self._agg_dict(s, a)

    def delete_aggregate(self, ctx, agg_id):
        with self.write() as s:
            a = self._agg_row(s, agg_id)
            if s.scalar(sa.select(models.AggregateHost.host).where(
                    models.AggregateHost.aggregate_id == a.id).limit(1)):
                raise exception.BadRequest('Aggregate %s has hosts; remove them first.'
                                           % agg_id)
            s.execute(sa.delete(models.AggregateMetadata).where(
                models.AggregateMetadata.aggregate_id == a.id))
            s.delete(a)

    def add_aggregate_host(self, ctx, agg_id, host):
        from cloudstack.compute import hosts as compute_hosts
        with self.write() as s:
            a = self._agg_row(s, agg_id)
            if compute_hosts.service_for(host) is None and not s.scalar(
                    sa.select(models.ComputeNode.id).where(models.ComputeNode.host == host)):
                raise exception.NotFound('Compute host %s could not be found.' % host)
            if s.get(models.AggregateHost, (a.id, host)) is not None:
                raise exception.Conflict('Aggregate %s already has host %s.' % (agg_id, host))
            zone = self._agg_dict(s, a)['availability_zone']
            if zone:
                other = scheduler.host_availability_zones(s).get(host)
                if other and other != zone:
                    raise exception.Conflict('Cannot add host to aggregate %s. Reason: One '
                                             'or more hosts already in availability '
                                             'zone(s) %s.' % (agg_id, other))
            s.add(models.AggregateHost(aggregate_id=a.id, host=host))
            a.updated_at = utcnow()
            s.flush()
            return self._agg_dict(s, a)

    def remove_aggregate_host(self, ctx, agg_id, host):
        with self.write() as s:
            a = self._agg_row(s, agg_id)
            row = s.get(models.AggregateHost, (a.id, host))
            if row is None:
                raise exception.NotFound('Cannot remove host %s from aggregate %s. Reason: '
                                         'Host not found.' % (host, agg_id))
            s.delete(row)
            a.updated_at = utcnow()
            s.flush()
            return self._agg_dict(s, a)
