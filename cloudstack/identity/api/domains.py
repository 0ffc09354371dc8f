"""/v3/domains."""
from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack.identity.api import common
from cloudstack.identity.api import projects
from cloudstack.identity import models

CREATE = projects.entity_body('domain', ('name',))
UPDATE = projects.entity_body('domain')


class Domains:
    def index(self, req):
        common.authorize(req, 'identity:list_domains')
        items, truncated = projects.mgr().list_domains(
            query=lambda stmt: common.apply_filters(req, stmt, models.Project,
                                                    ('name', 'enabled')))
        return common.collection(req, 'domains', items, '/v3/domains', truncated)

    @wsgi.response(201)
    @validation.body(CREATE)
    def create(self, req, body):
        domain = dict(body['domain'])
        domain.pop('id', None)
        common.authorize(req, 'identity:create_domain', domain=domain)
        return {'domain': common.entity(req, '/v3/domains', projects.mgr().create_domain(domain))}

    def show(self, req, domain_id):
        common.authorize(req, 'identity:get_domain', domain={'id': domain_id})
        return {'domain': common.entity(req, '/v3/domains', projects.mgr().get_domain(domain_id))}

    @validation.body(UPDATE)
    def update(self, req, domain_id, body):
        common.authorize(req, 'identity:update_domain', domain={'id': domain_id})
        domain = projects.matching_id(dict(body['domain']), domain_id)
        return {'domain': common.entity(
            req, '/v3/domains', projects.mgr().update_domain(domain_id, domain))}

    def delete(self, req, domain_id):
        common.authorize(req, 'identity:delete_domain', domain={'id': domain_id})
        projects.mgr().delete_domain(domain_id)


def add_routes(router):
    domains = Domains()
    router.connect('/v3/domains', domains, GET='index', POST='create')
    router.connect('/v3/domains/{domain_id}', domains,
                   GET='show', PATCH='update', DELETE='delete')
