"""keystone-manage bootstrap semantics: the admin, its roles and the catalog."""
import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack.identity import models
from cloudstack.identity import passwords

# Every API the server may serve: (service type, name, path under public_url,
# or a function of no arguments giving the path the configuration chooses).
SERVICES = [('identity', 'keystone', '/identity'), ('image', 'glance', '/image'),
            ('compute', 'nova', '/compute/v2.1'),
            ('network', 'neutron', '/networking'),
            ('object-store', 'swift', lambda: CONF.object_store.catalog_path),
            ('block-storage', 'cinder', '/volume/v3/%(tenant_id)s'),
            ('volumev3', 'cinderv3', '/volume/v3/%(tenant_id)s')]
# Horizon, listed while this configuration serves it (cloudstack/dashboard/).
DASHBOARD = ('dashboard', 'horizon', '/dashboard/')
INTERFACES = ('public', 'internal', 'admin')

# The global roles Keystone's bootstrap creates besides the admin role, and
# their implications (the admin role implies `manager`); `service` stands alone.
DEFAULT_ROLES = ('reader', 'member', 'manager', 'service')
ROLE_CHAIN = (('manager', 'member'), ('member', 'reader'))


def _one(session, model, **by):
    return session.scalars(sa.select(model).filter_by(**by)).first()


def _ensure(session, model, by, **values):
    row = _one(session, model, **by)
    if row is None:
        row = model(**by, **values)
        session.add(row)
        session.flush()
    return row


class Bootstrap:
    @staticmethod
    def _catalog(session):
        from cloudstack import dashboard
        if dashboard.served():
            return SERVICES + [DASHBOARD]
        stale = _one(session, models.Service, type=DASHBOARD[0], name=DASHBOARD[1])
        if stale is not None:
            session.execute(sa.delete(models.Endpoint).where(
                models.Endpoint.service_id == stale.id))
            session.delete(stale)
        return SERVICES

    def bootstrap(self, password, username='admin', project_name='admin',
                  role_name='admin', region_id='RegionOne', public_url=None,
                  services=None):
        """Create or repair the admin, the default roles and the catalog.

        An existing admin keeps its password unless `password` is given.
        Returns the admin user's id."""
        domain_id = CONF.identity.default_domain_id
        hashed = passwords.hash_password(password) if password else None
        public_url = (public_url or CONF.public_url or 'http://%s' % CONF.bind).rstrip('/')
        with self.write() as s:
            _ensure(s, models.Project, {'id': domain_id}, name='Default',
                    domain_id=models.ROOT_DOMAIN, is_domain=True,
                    description='The default domain')
            project = _ensure(s, models.Project, {'domain_id': domain_id, 'name': project_name},
                              parent_id=domain_id, description='Bootstrap project')
            user = _one(s, models.User, domain_id=domain_id, name=username)
            if user is None:
                user = models.User(domain_id=domain_id, name=username)
                s.add(user)
            if hashed:
                user.password_hash = hashed
                user.password_created_at = models.utcnow()
            user.enabled = True
            s.flush()
            roles = {}
            for name in DEFAULT_ROLES + (role_name,):
                roles[name] = _ensure(s, models.Role, {'name': name, 'domain_id': None})
            for prior, implied in ((role_name, 'manager'),) + ROLE_CHAIN:
                if prior != implied:
                    _ensure(s, models.ImpliedRole, {'prior_role_id': roles[prior].id,
                                                    'implied_role_id': roles[implied].id})
            # Clouds bootstrapped before the manager role: admin implied member.
            if role_name not in ('manager', 'member'):
                s.execute(sa.delete(models.ImpliedRole).where(
                    models.ImpliedRole.prior_role_id == roles[role_name].id,
                    models.ImpliedRole.implied_role_id == roles['member'].id))
            admin_role = roles[role_name].id
            for kind, target in (('user_project', project.id), ('user_system', models.SYSTEM)):
                _ensure(s, models.Assignment, {'type': kind, 'actor_id': user.id,
                                               'target_id': target, 'role_id': admin_role,
                                               'inherited': False})
            _ensure(s, models.Region, {'id': region_id})
            for stype, name, path in services or self._catalog(s):
                path = path() if callable(path) else path
                service = _ensure(s, models.Service, {'type': stype}, name=name)
                for interface in INTERFACES:
                    ep = _one(s, models.Endpoint, service_id=service.id,
                              interface=interface, region_id=region_id)
                    if ep is None:
                        s.add(models.Endpoint(service_id=service.id, interface=interface,
                                              region_id=region_id, url=public_url + path))
                    else:
                        ep.url = public_url + path
            return user.id
