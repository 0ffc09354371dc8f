"""Flavors, their extra specs and private access."""
import uuid as uuidlib

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.compute import models
from cloudstack.compute.manager.base import is_admin


class FlavorNotFound(exception.NotFound):
    message = 'Flavor %(flavor_id)s could not be found.'


def flavor_dict(f, extra_specs=None):
    return {'id': f.id, 'flavorid': f.flavorid, 'name': f.name,
            'memory_mb': f.memory_mb, 'vcpus': f.vcpus, 'root_gb': f.root_gb,
            'ephemeral_gb': f.ephemeral_gb, 'swap': f.swap,
            'rxtx_factor': f.rxtx_factor, 'is_public': f.is_public,
            'disabled': f.disabled, 'description': f.description,
            'extra_specs': dict(extra_specs or {})}


SORT_KEYS = ('created_at', 'description', 'disabled', 'ephemeral_gb', 'flavorid',
             'id', 'is_public', 'memory_mb', 'name', 'root_gb', 'rxtx_factor',
             'swap', 'updated_at', 'vcpu_weight', 'vcpus')


class Flavors:

    def _specs(self, session, ids):
        out = {i: {} for i in ids}
        if ids:
            for spec in session.scalars(sa.select(models.FlavorExtraSpec).where(
                    models.FlavorExtraSpec.flavor_id.in_(ids))):
                out[spec.flavor_id][spec.key] = spec.value
        return out

    def _flavor_row(self, session, ctx, flavorid):
        f = session.scalars(sa.select(models.Flavor).where(
            models.Flavor.flavorid == str(flavorid))).first()
        if f is None:
            raise FlavorNotFound(flavor_id=flavorid)
        if not f.is_public and ctx is not None and not is_admin(ctx):
            access = session.get(models.FlavorProject, (f.id, ctx.project_id))
            if access is None:
                raise FlavorNotFound(flavor_id=flavorid)
        return f

    def get_flavor(self, ctx, flavorid):
        with self.read() as s:
            f = self._flavor_row(s, ctx, flavorid)
            return flavor_dict(f, self._specs(s, [f.id])[f.id])

    def list_flavors(self, ctx, is_public=True, min_ram=None, min_disk=None,
                     sort_key='flavorid', sort_dir='asc', limit=None, marker=None):
        """is_public: True (public, plus the caller's private ones unless
        admin), False (private only) or None (all)."""
        F = models.Flavor
        with self.read() as s:
            stmt = sa.select(F).where(F.disabled.is_(False))
            admin = ctx is None or is_admin(ctx)
            if is_public is None:
                if not admin:
                    stmt = stmt.where(sa.or_(F.is_public.is_(True), F.id.in_(
                        sa.select(models.FlavorProject.flavor_id).where(
                            models.FlavorProject.project_id == ctx.project_id))))
            elif is_public:
                if admin:
                    stmt = stmt.where(F.is_public.is_(True))
                else:
                    stmt = stmt.where(sa.or_(F.is_public.is_(True), F.id.in_(
                        sa.select(models.FlavorProject.flavor_id).where(
                            models.FlavorProject.project_id == ctx.project_id))))
            else:
                stmt = stmt.where(F.is_public.is_(False))
                if not admin:
                    stmt = stmt.where(F.id.in_(
                        sa.select(models.FlavorProject.flavor_id).where(
                            models.FlavorProject.project_id == ctx.project_id)))
            if min_ram is not None:
                stmt = stmt.where(F.memory_mb >= min_ram)
            if min_disk is not None:
                stmt = stmt.where(F.root_gb >= min_disk)
            if sort_key not in SORT_KEYS or sort_key == 'vcpu_weight':
                sort_key = 'flavorid'
            col = getattr(F, sort_key)
            order = [col.desc() if sort_dir == 'desc' else col.asc(), F.id.asc()]
            rows = list(s.scalars(stmt.order_by(*order)))
            if marker is not None:
                ids = [r.flavorid for r in rows]
                if marker not in ids:
                    raise exception.BadRequest('marker [%s] not found' % marker)
                rows = rows[ids.index(marker) + 1:]
            if limit is not None:
                rows = rows[:limit]
            specs = self._specs(s, [r.id for r in rows])
            return [flavor_dict(r, specs[r.id]) for r in rows]

    def create_flavor(self, ctx, name, memory_mb, vcpus, root_gb, flavorid=None,
                      ephemeral_gb=0, swap=0, rxtx_factor=1.0, is_public=True,
                      description=None):
        flavorid = str(uuidlib.uuid4()) if flavorid in (None, 'auto') else str(flavorid)
        with self.write() as s:
            if s.scalar(sa.select(models.Flavor.id).where(models.Flavor.name == name)):
                raise exception.Conflict('Flavor with name %s already exists.' % name)
            if s.scalar(sa.select(models.Flavor.id).where(
                    models.Flavor.flavorid == flavorid)):
                raise exception.Conflict('Flavor with ID %s already exists.' % flavorid)
            f = models.Flavor(name=name, flavorid=flavorid, memory_mb=memory_mb,
                              vcpus=vcpus, root_gb=root_gb, ephemeral_gb=ephemeral_gb,
                              swap=swap, rxtx_factor=rxtx_factor, is_public=is_public,
                              description=description)
            s.add(f)
            s.flush()
            return flavor_dict(f)

    def update_flavor(self, ctx, flavorid, description):
        with self.write() as s:
            f = self._flavor_row(s, None, flavorid)
            f.description = description
            s.flush()
            return flavor_dict(f, self._specs(s, [f.id])[f.id])

    def delete_flavor(self, ctx, flavorid):
        with self.write() as s:
            f = self._flavor_row(s, None, flavorid)
            s.execute(sa.delete(models.FlavorExtraSpec).where(
                models.FlavorExtraSpec.flavor_id == f.id))
            s.execute(sa.delete(models.FlavorProject).where(
                models.FlavorProject.flavor_id == f.id))
            s.delete(f)

    # Extra specs -------------------------------------------------------------

    def flavor_extra_specs(self, ctx, flavorid):
        with self.read() as s:
            f = self._flavor_row(s, ctx, flavorid)
            return self._specs(s, [f.id])[f.id]

    def set_flavor_extra_specs(self, ctx, flavorid, specs):
        with self.write() as s:
            f = self._flavor_row(s, None, flavorid)
            for key, value in specs.items():
                row = s.get(models.FlavorExtraSpec, (f.id, key))
                if row is None:
                    s.add(models.FlavorExtraSpec(flavor_id=f.id, key=key, value=value))
                else:
                    row.value = value
            return specs

    def delete_flavor_extra_spec(self, ctx, flavorid, key):
        with self.write() as s:
            f = self._flavor_row(s, None, flavorid)
            row = s.get(models.FlavorExtraSpec, (f.id, key))
            if row is None:
                raise exception.NotFound('Flavor %s has no extra specs with key %s.'
                                         % (flavorid, key))
            s.delete(row)

    # Access --------------------------------------------------------------------

    def flavor_access(self, ctx, flavorid):
        with self.read() as s:
            f = self._flavor_row(s, None, flavorid)
            if f.is_public:
                raise exception.NotFound('Access list not available for public flavors.')
            return [{'flavor_id': f.flavorid, 'tenant_id': p} for p in s.scalars(
                sa.select(models.FlavorProject.project_id).where(
                    models.FlavorProject.flavor_id == f.id).order_by(
                    models.FlavorProject.project_id))]

    def add_flavor_access(self, ctx, flavorid, project_id):
        with self.write() as s:
            f = self._flavor_row(s, None, flavorid)
            if f.is_public:
                raise exception.Conflict('Can not add access to a public flavor.')
            if s.get(models.FlavorProject, (f.id, project_id)) is not None:
                raise exception.Conflict('Flavor access already exists for flavor %s '
                                         'and project %s combination.'
                                         % (flavorid, project_id))
            s.add(models.FlavorProject(flavor_id=f.id, project_id=project_id))
        return self.flavor_access(ctx, flavorid)

    def remove_flavor_access(self, ctx, flavorid, project_id):
        with self.write() as s:
            f = self._flavor_row(s, None, flavorid)
            row = s.get(models.FlavorProject, (f.id, project_id))
            if row is None:
                raise exception.NotFound('Flavor access not found for %s / %s '
                                         'combination.' % (flavorid, project_id))
            s.delete(row)
        return self.flavor_access(ctx, flavorid)
