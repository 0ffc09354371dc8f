"""/v3/domains/{domain_id}/config and /v3/domains/config/.../default."""
from cloudstack.api import validation
from cloudstack.api import wsgi
from cloudstack.identity.api import common
from cloudstack.identity import manager
from cloudstack.identity.manager import domain_configs

BODY = {'type': 'object', 'required': ['config'], 'properties': {'config': {}}}


def mgr():
    return manager.get()


class DomainConfigs:
    @validation.body(BODY)
    def create(self, req, domain_id, body):
        common.authorize(req, 'identity:create_domain_config', domain={'id': domain_id})
        config, created = mgr().create_domain_config(domain_id, body['config'])
        return wsgi.json_response({'config': config}, 201 if created else 200)

    def show(self, req, domain_id, group=None, option=None):
        if group == domain_configs.SECURITY_COMPLIANCE:
            common.authorize(req, 'identity:get_security_compliance_domain_config',
                             domain={'id': domain_id})
            return {'config': mgr().security_compliance_config(domain_id, option)}
        common.authorize(req, 'identity:get_domain_config', domain={'id': domain_id})
        return {'config': mgr().get_domain_config(domain_id, group, option)}

    @validation.body(BODY)
    def update(self, req, domain_id, body, group=None, option=None):
        common.authorize(req, 'identity:update_domain_config', domain={'id': domain_id})
        return {'config': mgr().update_domain_config(domain_id, body['config'], group, option)}

    def delete(self, req, domain_id, group=None, option=None):
        common.authorize(req, 'identity:delete_domain_config', domain={'id': domain_id})
        mgr().delete_domain_config(domain_id, group, option)

    def default(self, req, group=None, option=None):
        common.authorize(req, 'identity:get_domain_config_default')
        return {'config': mgr().domain_config_default(group, option)}


def add_routes(router):
    configs = DomainConfigs()
    router.connect('/v3/domains/config/default', configs, GET='default')
    router.connect('/v3/domains/config/{group}/default', configs, GET='default')
    router.connect('/v3/domains/config/{group}/{option}/default', configs, GET='default')
    router.connect('/v3/domains/{domain_id}/config', configs,
                   PUT='create', GET='show', PATCH='update', DELETE='delete')
    for path in ('/v3/domains/{domain_id}/config/{group}',
                 '/v3/domains/{domain_id}/config/{group}/{option}'):
        router.connect(path, configs, GET='show', PATCH='update', DELETE='delete')
