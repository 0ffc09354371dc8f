"""The Identity v3 API: one module per resource, each adding its routes."""
from cloudstack.api import wsgi
from cloudstack.identity.api import (
    application_credentials, assignments, auth, catalog, credentials,
    domain_configs, domains, ec2, federation, groups, limits, oauth1, policies,
    projects, roles, trusts, users, versions)

MODULES = (versions, auth, domains, projects, users, groups, roles, assignments,
           catalog, trusts, application_credentials, credentials, ec2,
           domain_configs, policies, limits, oauth1, federation)


def app_factory(global_conf, **local_conf):
    router = wsgi.Router()
    for module in MODULES:
        module.add_routes(router)
    return router
