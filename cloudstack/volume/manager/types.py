"""Volume types with extra specs and private access, project default types,
encryption types and QoS specs."""
import functools

import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack.api import common as api_common
from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db import api as db_api
from cloudstack.db.models import utcnow
from cloudstack.volume import models
from cloudstack.volume.manager.base import is_admin, iso, reader

QOS_CONSUMERS = ('front-end', 'back-end', 'both')
CONTROL_LOCATIONS = ('front-end', 'back-end')
# Extra specs every reader sees; an admin sees them all.
USER_VISIBLE_SPECS = ('multiattach', 'RESKEY:availability_zones', 'replication_enabled')


def _bool_spec(value):
    """'<is> True' (or 'True') -> True."""
    words = str(value or '').split()
    return bool(words) and words[-1].lower() in ('true', '1', 'yes', 'on')


@functools.cache
def _default_type_query():
    """The type of bind parameter `project_id`'s own default, else the one
    named `name` (built once: a create runs it)."""
    T, D = models.VolumeType, models.DefaultType
    own = sa.select(D.volume_type_id).where(
        D.project_id == sa.bindparam('project_id')).scalar_subquery()
    return (sa.select(T).options(orm.lazyload(T.projects))
            .where(sa.or_(T.id == own, T.name == sa.bindparam('name')))
            .order_by(sa.case((T.id == own, 0), else_=1)).limit(1))


class Types:

    # --- lookups ---------------------------------------------------------------
    _default_made = None    # the default type's name once it is known to exist

    def ensure_default_type(self):
        """The type of volumes that name none exists (Cinder's __DEFAULT__)."""
        name = CONF.volume.default_volume_type
        if self._default_made == name:
            return
        with reader() as s:
            found = s.scalar(sa.select(models.VolumeType.id).where(
                models.VolumeType.name == name))
        if not found:
            try:
                with db_api.writer() as s:
                    s.add(models.VolumeType(name=name, description='Default Volume Type',
                                            is_public=True, created_at=utcnow()))
            except sa.exc.IntegrityError:
                pass    # another process made it first
        self._default_made = name

    @staticmethod
    def _type_visible(ctx, row):
        return row.is_public or is_admin(ctx) or any(
            p.project_id == ctx.project_id for p in row.projects)

    def _find_type(self, s, ctx, name_or_id, check_access=True):
        """A volume type by id or name that the caller may use, or 404."""
        row = None
        if isinstance(name_or_id, str) and len(name_or_id) <= 255:
            row = s.get(models.VolumeType, name_or_id) if len(name_or_id) <= 36 else None
            if row is None:
                row = s.scalars(sa.select(models.VolumeType).where(
                    models.VolumeType.name == name_or_id)).first()
        if row is None or (check_access and not self._type_visible(ctx, row)):
            raise exception.NotFound('Volume type %s could not be found.' % name_or_id)
        return row

    def _default_type(self, s, ctx, project_id=None):
        """The project's default type, else the configured one (one query,
        and one for its extra specs)."""
        found = s.scalars(_default_type_query(), {
            'project_id': project_id or ctx.project_id,
            'name': CONF.volume.default_volume_type}).first()
        if found is None:
            raise exception.NotFound('Default volume type %s could not be found.'
                                     % CONF.volume.default_volume_type)
        return found

    @staticmethod
    def type_specs(row):
        return {spec.key: spec.value for spec in row.specs}

    def type_record(self, row):
        return {
            'id': row.id, 'name': row.name, 'description': row.description,
            'is_public': bool(row.is_public), 'extra_specs': self.type_specs(row),
            'qos_specs_id': row.qos_specs_id,
            'os-volume-type-access:is_public': bool(row.is_public),
        }

    # --- types -----------------------------------------------------------------
    def list_types(self, ctx, is_public=None, extra_specs=None, sort=None,
                   limit=None, marker=None, offset=0):
        """Types the caller sees. is_public: True, False or None (both, admin)."""
        admin = is_admin(ctx)
        T = models.VolumeType
        self.ensure_default_type()
        with reader() as s:
            stmt = sa.select(T)
            access = sa.select(models.VolumeTypeProject.volume_type_id).where(
                models.VolumeTypeProject.project_id == ctx.project_id)
            if not admin:
                stmt = stmt.where(sa.or_(T.is_public.is_(True), T.id.in_(access)))
            elif is_public is not None:
                stmt = stmt.where(T.is_public.is_(bool(is_public)))
            for key, value in (extra_specs or {}).items():
                stmt = stmt.where(T.id.in_(sa.select(models.VolumeTypeSpec.volume_type_id)
                                           .where(models.VolumeTypeSpec.key == key,
                                                  models.VolumeTypeSpec.value == value)))
            marker_row = self._marker(s, ctx, T, marker, 'volume type') if marker else None
            stmt = api_common.paginate(stmt, T, limit, marker_row,
                                       sort or [('created_at', 'asc')])
            if offset:
                stmt = stmt.offset(offset)
            return [self.type_record(r) for r in s.scalars(stmt)]

    def get_type(self, ctx, type_id):
        with reader() as s:
            return self.type_record(self._find_type(s, ctx, type_id))

    def default_type_for(self, ctx):
        self.ensure_default_type()      # Cinder's exists from its first start
        with reader() as s:
            return self.type_record(self._default_type(s, ctx))

    @staticmethod
    def _check_specs(specs):
        for key, value in specs.items():
            if not isinstance(key, str) or not 1 <= len(key) <= 255:
                raise exception.BadRequest('Invalid extra spec key %r.' % (key,))
            if not isinstance(value, str) or len(value) > 255:
                raise exception.BadRequest('Invalid extra spec value for %s.' % key)

    def create_type(self, ctx, name, description=None, is_public=True, extra_specs=None):
        self._check_specs(extra_specs or {})
        try:
            with db_api.writer() as s:
                if s.scalar(sa.select(models.VolumeType.id).where(
                        models.VolumeType.name == name)):
                    raise exception.Conflict('Volume Type %s already exists.' % name)
                row = models.VolumeType(name=name, description=description,
                                        is_public=is_public, created_at=utcnow())
                row.specs = [models.VolumeTypeSpec(key=k, value=v)
                             for k, v in (extra_specs or {}).items()]
                s.add(row)
                s.flush()
                return self.type_record(row)
        except sa.exc.IntegrityError:
            raise exception.Conflict('Volume Type %s already exists.' % name)

    def update_type(self, ctx, type_id, name=None, description=None, is_public=None,
                    update_description=False):
        with db_api.writer() as s:
            row = self._find_type(s, ctx, type_id)
            if name is not None and name != row.name:
                if row.name == CONF.volume.default_volume_type:
                    raise exception.BadRequest('The default volume type cannot be renamed.')
                if s.scalar(sa.select(models.VolumeType.id).where(
                        models.VolumeType.name == name)):
                    raise exception.Conflict('Volume Type %s already exists.' % name)
                row.name = name
            if update_description:
                row.description = description
            if is_public is not None:
                row.is_public = is_public
            row.updated_at = utcnow()
            s.flush()
            return self.type_record(row)

    def delete_type(self, ctx, type_id):
        with db_api.writer() as s:
            row = self._find_type(s, ctx, type_id)
            if row.name == CONF.volume.default_volume_type:
                raise exception.BadRequest('Default volume type can not be deleted.')
            if s.scalar(sa.select(models.Volume.id).where(
                    models.Volume.volume_type_id == row.id).limit(1)):
                raise exception.BadRequest('Target volume type is still in use.')
            if s.scalar(sa.select(models.DefaultType.project_id).where(
                    models.DefaultType.volume_type_id == row.id).limit(1)):
                raise exception.BadRequest(
                    'Volume type is a default type of a project.')
            s.execute(sa.delete(models.EncryptionType).where(
                models.EncryptionType.volume_type_id == row.id))
            s.delete(row)

    # --- extra specs -------------------------------------------------------------
    def get_extra_specs(self, ctx, type_id):
        with reader() as s:
            return self.type_specs(self._find_type(s, ctx, type_id))

    def set_extra_specs(self, ctx, type_id, specs):
        self._check_specs(specs)
        with db_api.writer() as s:
            row = self._find_type(s, ctx, type_id)
            self._refuse_if_in_use(s, row, specs)
            current = {spec.key: spec for spec in row.specs}
            for key, value in specs.items():
                if key in current:
                    current[key].value = value
                else:
                    row.specs.append(models.VolumeTypeSpec(key=key, value=value))
            row.updated_at = utcnow()
        return dict(specs)

    @staticmethod
    def _refuse_if_in_use(s, row, specs):
        """Cinder refuses to change a spec that decides where volumes live
        while the type has volumes."""
        if 'volume_backend_name' in specs or 'multiattach' in specs:
            if s.scalar(sa.select(models.Volume.id).where(
                    models.Volume.volume_type_id == row.id).limit(1)):
                raise exception.BadRequest('Target volume type is still in use.')

    def delete_extra_spec(self, ctx, type_id, key):
        with db_api.writer() as s:
            row = self._find_type(s, ctx, type_id)
            for spec in row.specs:
                if spec.key == key:
                    row.specs.remove(spec)
                    return
            raise exception.NotFound('Volume Type %s has no extra specs with key %s.'
                                     % (type_id, key))

    # --- access ------------------------------------------------------------------
    def type_access(self, ctx, type_id):
        with reader() as s:
            row = self._find_type(s, ctx, type_id)
            if row.is_public:
                raise exception.NotFound('Access list not available for public '
                                         'volume types.')
            return [{'volume_type_id': row.id, 'project_id': p.project_id}
                    for p in row.projects]

    def add_type_access(self, ctx, type_id, project_id):
        with db_api.writer() as s:
            row = self._find_type(s, ctx, type_id)
            if row.is_public:
                raise exception.BadRequest('Invalid volume type: Type access '
                                           'modification is not applicable to '
                                           'public volume type.')
            if any(p.project_id == project_id for p in row.projects):
                raise exception.Conflict('Volume type access for %s / %s combination '
                                         'already exists.' % (type_id, project_id))
            row.projects.append(models.VolumeTypeProject(project_id=project_id))

    def remove_type_access(self, ctx, type_id, project_id):
        with db_api.writer() as s:
            row = self._find_type(s, ctx, type_id)
            if row.is_public:
                raise exception.BadRequest('Invalid volume type: Type access '
                                           'modification is not applicable to '
                                           'public volume type.')
            for p in row.projects:
                if p.project_id == project_id:
                    row.projects.remove(p)
                    return
            raise exception.NotFound('Volume type access not found for %s / %s '
                                     'combination.' % (type_id, project_id))

    # --- project default types (3.62) ------------------------------------------------
    def set_default_type(self, ctx, project_id, type_name_or_id):
        with db_api.writer() as s:
            vtype = self._find_type(s, ctx, type_name_or_id)
            row = s.get(models.DefaultType, project_id)
            if row is None:
                s.add(models.DefaultType(project_id=project_id, volume_type_id=vtype.id))
            else:
                row.volume_type_id = vtype.id
            return {'project_id': project_id, 'volume_type_id': vtype.id}

    def get_default_type(self, ctx, project_id):
        with reader() as s:
            row = s.get(models.DefaultType, project_id)
            if row is None:
                raise exception.NotFound('Default type for project %s not found.'
                                         % project_id)
            return {'project_id': project_id, 'volume_type_id': row.volume_type_id}

    def list_default_types(self, ctx):
        with reader() as s:
            return [{'project_id': r.project_id, 'volume_type_id': r.volume_type_id}
                    for r in s.scalars(sa.select(models.DefaultType))]

    def unset_default_type(self, ctx, project_id):
        with db_api.writer() as s:
            s.execute(sa.delete(models.DefaultType).where(
                models.DefaultType.project_id == project_id))

    # --- encryption types --------------------------------------------------------------
    @staticmethod
    def encryption_record(row):
        return {'volume_type_id': row.volume_type_id, 'encryption_id': row.encryption_id,
                'provider': row.provider, 'cipher': row.cipher,
                'key_size': row.key_size, 'control_location': row.control_location,
                'deleted': False, 'created_at': iso(row.created_at),
                'updated_at': iso(row.updated_at), 'deleted_at': None}

    def get_encryption(self, ctx, type_id):
        """The type's encryption, or {} when it has none."""
        with reader() as s:
            vtype = self._find_type(s, ctx, type_id)
            row = s.get(models.EncryptionType, vtype.id)
            return self.encryption_record(row) if row else {}

    def _type_in_use(self, s, type_id):
        return s.scalar(sa.select(models.Volume.id).where(
            models.Volume.volume_type_id == type_id).limit(1)) is not None

    def create_encryption(self, ctx, type_id, values):
        with db_api.writer() as s:
            vtype = self._find_type(s, ctx, type_id)
            if s.get(models.EncryptionType, vtype.id) is not None:
                raise exception.BadRequest('Volume type encryption for type %s '
                                           'already exists.' % type_id)
            if self._type_in_use(s, vtype.id):
                raise exception.BadRequest('Cannot create encryption specs. Volume '
                                           'type in use.')
            row = models.EncryptionType(volume_type_id=vtype.id, **values)
            s.add(row)
            s.flush()
            return self.encryption_record(row)

    def update_encryption(self, ctx, type_id, encryption_id, values):
        with db_api.writer() as s:
            vtype = self._find_type(s, ctx, type_id)
            row = s.get(models.EncryptionType, vtype.id)
            if row is None or row.encryption_id != encryption_id:
                raise exception.NotFound('Volume type encryption for type %s does '
                                         'not exist.' % type_id)
            if self._type_in_use(s, vtype.id):
                raise exception.BadRequest('Cannot update encryption specs. Volume '
                                           'type in use.')
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            return dict(values)

    def delete_encryption(self, ctx, type_id, encryption_id):
        with db_api.writer() as s:
            vtype = self._find_type(s, ctx, type_id)
            row = s.get(models.EncryptionType, vtype.id)
            if row is None or row.encryption_id != encryption_id:
                raise exception.NotFound('Volume type encryption for type %s does '
                                         'not exist.' % type_id)
            if self._type_in_use(s, vtype.id):
                raise exception.BadRequest('Cannot delete encryption specs. Volume '
                                           'type in use.')
            s.delete(row)

    # --- QoS specs -----------------------------------------------------------------------
    @staticmethod
    def qos_record(row):
        return {'id': row.id, 'name': row.name, 'consumer': row.consumer,
                'specs': dict(row.specs or {})}

    def _qos_row(self, s, qos_id):
        row = s.get(models.QosSpecs, qos_id) if qos_id and len(qos_id) <= 36 else None
        if row is None:
            raise exception.NotFound('QoS Specs %s could not be found.' % qos_id)
        return row

    def list_qos(self, ctx, sort=None, limit=None, marker=None, offset=0):
        Q = models.QosSpecs
        with reader() as s:
            marker_row = self._qos_row(s, marker) if marker else None
            stmt = api_common.paginate(sa.select(Q), Q, limit, marker_row,
                                       sort or [('created_at', 'asc')])
            if offset:
                stmt = stmt.offset(offset)
            return [self.qos_record(r) for r in s.scalars(stmt)]

    def get_qos(self, ctx, qos_id):
        with reader() as s:
            return self.qos_record(self._qos_row(s, qos_id))

    def create_qos(self, ctx, name, consumer='back-end', specs=None):
        try:
            with db_api.writer() as s:
                if s.scalar(sa.select(models.QosSpecs.id).where(
                        models.QosSpecs.name == name)):
                    raise exception.Conflict('QoS Specs %s already exists.' % name)
                row = models.QosSpecs(name=name, consumer=consumer, specs=dict(specs or {}),
                                      created_at=utcnow())
                s.add(row)
                s.flush()
                return self.qos_record(row)
        except sa.exc.IntegrityError:
            raise exception.Conflict('QoS Specs %s already exists.' % name)

    def set_qos_keys(self, ctx, qos_id, specs):
        with db_api.writer() as s:
            row = self._qos_row(s, qos_id)
            merged = dict(row.specs or {})
            consumer = specs.pop('consumer', None)
            if consumer is not None:
                row.consumer = consumer
            merged.update(specs)
            row.specs = merged
            row.updated_at = utcnow()
        out = dict(specs)
        if consumer is not None:
            out['consumer'] = consumer
        return out

    def unset_qos_keys(self, ctx, qos_id, keys):
        with db_api.writer() as s:
            row = self._qos_row(s, qos_id)
            merged = dict(row.specs or {})
            missing = [k for k in keys if k not in merged]
            if missing:
                raise exception.NotFound('QoS spec %s has no key %s.'
                                         % (qos_id, missing[0]))
            for key in keys:
                merged.pop(key)
            row.specs = merged

    def delete_qos(self, ctx, qos_id, force=False):
        with db_api.writer() as s:
            row = self._qos_row(s, qos_id)
            users = s.scalars(sa.select(models.VolumeType).where(
                models.VolumeType.qos_specs_id == row.id)).all()
            if users and not force:
                raise exception.BadRequest('QoS Specs %s is still associated with '
                                           'entities.' % qos_id)
            for vtype in users:
                vtype.qos_specs_id = None
            s.delete(row)

    def qos_associations(self, ctx, qos_id):
        with reader() as s:
            row = self._qos_row(s, qos_id)
            return [{'association_type': 'volume_type', 'name': t.name, 'id': t.id}
                    for t in s.scalars(sa.select(models.VolumeType).where(
                        models.VolumeType.qos_specs_id == row.id))]

    def associate_qos(self, ctx, qos_id, type_id):
        with db_api.writer() as s:
            row = self._qos_row(s, qos_id)
            vtype = self._find_type(s, ctx, type_id)
            if vtype.qos_specs_id and vtype.qos_specs_id != row.id:
                raise exception.BadRequest('Type %s is already associated with another '
                                           'qos specs: %s' % (type_id, vtype.qos_specs_id))
            vtype.qos_specs_id = row.id

    def disassociate_qos(self, ctx, qos_id, type_id=None):
        with db_api.writer() as s:
            row = self._qos_row(s, qos_id)
            if type_id is None:
                for vtype in s.scalars(sa.select(models.VolumeType).where(
                        models.VolumeType.qos_specs_id == row.id)):
                    vtype.qos_specs_id = None
                return
            vtype = self._find_type(s, ctx, type_id)
            if vtype.qos_specs_id == row.id:
                vtype.qos_specs_id = None
