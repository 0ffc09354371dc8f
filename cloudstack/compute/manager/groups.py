"""Server groups: (anti-)affinity and their soft forms, with rules."""
import uuid as uuidlib

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.compute import models
from cloudstack.compute.manager.base import is_admin

G = models.ServerGroup


class ServerGroups:

    def _group_dict(self, s, g):
        members = list(s.scalars(sa.select(models.ServerGroupMember.instance_uuid).where(
            models.ServerGroupMember.group_id == g.id)))
        return {'id': g.uuid, 'name': g.name, 'policy': g.policy, 'rules': g.rules or {},
                'members': members, 'project_id': g.project_id, 'user_id': g.user_id}

    def create_server_group(self, ctx, name, policy, rules):
        with self.write() as s:
            self.lock_project(s, ctx.project_id)
            self.check_quota(s, ctx.project_id, ctx.user_id, {'server_groups': 1})
            g = G(uuid=str(uuidlib.uuid4()), name=name, policy=policy, rules=rules or {},
                  project_id=ctx.project_id, user_id=ctx.user_id)
            s.add(g)
            s.flush()
            return self._group_dict(s, g)

    def _group_row(self, s, ctx, group_id):
        g = s.scalars(sa.select(G).where(G.uuid == group_id)).first()
        if g is None or (not is_admin(ctx) and g.project_id != ctx.project_id):
            raise exception.NotFound('Instance group %s could not be found.' % group_id)
        return g

    def get_server_group(self, ctx, group_id):
        with self.read() as s:
            return self._group_dict(s, self._group_row(s, ctx, group_id))

    def list_server_groups(self, ctx, all_projects=False, project_id=None, limit=None,
                           offset=0):
        with self.read() as s:
            stmt = sa.select(G).order_by(G.id)
            if project_id:
                stmt = stmt.where(G.project_id == project_id)
            elif not all_projects:
                stmt = stmt.where(G.project_id == ctx.project_id)
            rows = list(s.scalars(stmt))[offset:]
            if limit is not None:
                rows = rows[:limit]
            return [self._group_dict(s, g) for g in rows]

    def delete_server_group(self, ctx, group_id):
        with self.write() as s:
            g = self._group_row(s, ctx, group_id)
            s.execute(sa.delete(models.ServerGroupMember).where(
                models.ServerGroupMember.group_id == g.id))
            s.delete(g)
