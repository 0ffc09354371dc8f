"""Quotas and usage, from the identity service's limits."""
import os

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.image import models
from cloudstack.image.manager.base import (
    QUOTA_RESOURCES)

class Quotas:
    def _limits(self, owner):
        """{resource: limit} of the image resources set for `owner` in the
        identity service (project limit, else registered default)."""
        from cloudstack.identity import manager as identity
        ident = identity.get()
        service_ids = [s['id'] for s in ident.list_services()
                       if s.get('type') == 'image']
        out = {}
        for sid in service_ids:
            for row in ident.list_registered_limits({'service_id': sid}):
                if row['resource_name'] in QUOTA_RESOURCES and row['region_id'] in (
                        None, CONF.region):
                    out.setdefault(row['resource_name'], row['default_limit'])
            if owner:
                for row in ident.list_limits({'service_id': sid,
                                              'project_id': owner}):
                    if row['resource_name'] in QUOTA_RESOURCES and \
                            row['region_id'] in (None, CONF.region):
                        out[row['resource_name']] = row['resource_limit']
        return out

    def _usage(self, session, owner):
        I = models.Image
        mine = I.owner == owner
        # int(): PostgreSQL sums a bigint as a numeric (Decimal)
        total = int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(I.size), 0))
                                   .where(mine)) or 0)
        count = session.scalar(sa.select(sa.func.count()).where(mine)) or 0
        uploading = session.scalar(sa.select(sa.func.count()).where(
            mine, I.status.in_(('uploading', 'importing', 'saving')))) or 0
        staged = 0
        for image_id in session.scalars(sa.select(I.id).where(
                mine, I.status.in_(('uploading', 'importing')))):
            try:
                staged += os.path.getsize(self._staging_path(image_id))
            except OSError:
                pass
        return {'image_size_total': total, 'image_stage_total': staged,
                'image_count_total': count, 'image_count_uploading': uploading}

    def _enforce(self, session, owner, resources, adding=1):
        """413 when `owner` is at or past its limit of any of `resources`."""
        if not CONF.image.use_keystone_limits:
            return
        limits = self._limits(owner)
        if not any(r in limits for r in resources):
            return
        usage = self._usage(session, owner)
        for r in resources:
            if r not in limits or limits[r] < 0:
                continue
            have = usage[r]
            if r.startswith('image_count'):
                over = have + adding > limits[r]
            else:
                over = have >= limits[r] * 1024 * 1024
            if over:
                raise exception.RequestEntityTooLarge(
                    'Quota exceeded for %s: limit %d, in use %s' % (
                        r, limits[r], have if r.startswith('image_count')
                        else '%d MiB' % (have // (1024 * 1024))))

    def _size_cap(self, owner, resource='image_size_total'):
        """Most bytes one more upload may write for `owner`."""
        cap = CONF.image.image_size_cap
        if not CONF.image.use_keystone_limits:
            return cap
        limit = self._limits(owner).get(resource)
        if limit is None or limit < 0:
            return cap
        with db_api.reader() as session:
            used = self._usage(session, owner)[resource]
        return max(0, min(cap, limit * 1024 * 1024 - used))

    def usage(self, ctx):
        """GET /v2/info/usage: the caller's project's limits and use."""
        limits = self._limits(ctx.project_id) if CONF.image.use_keystone_limits \
            else {}
        with db_api.reader() as session:
            used = self._usage(session, ctx.project_id)
        out = {}
        for r in QUOTA_RESOURCES:
            value = used[r]
            if not r.startswith('image_count'):
                value = value // (1024 * 1024)
            out[r] = {'limit': limits.get(r, -1), 'usage': value}
        return out
