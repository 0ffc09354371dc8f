"""/v3/users/{user_id}/application_credentials and /v3/users/{user_id}/access_rules."""
from cloudstack.api import wsgi
from cloudstack import exception
from cloudstack.identity.api import common
from cloudstack.identity import manager


def _path(user_id, kind):
    return '/v3/users/%s/%s' % (user_id, kind)


def _show(req, user_id, cred):
    cred = common.entity(req, _path(user_id, 'application_credentials'), cred)
    cred.pop('user_id', None)
    return cred


def _owner(user_id):
    """The path's user: `rule:owner` reads `user_id`, access rules `target.user.id`."""
    return {'user_id': user_id, 'user': {'id': user_id}}


class ApplicationCredentials:
    @wsgi.response(201)
    def create(self, req, user_id):
        common.authorize(req, 'identity:create_application_credential', **_owner(user_id))
        body = req.json_body()
        cred = body.get('application_credential') if isinstance(body, dict) else None
        if not isinstance(cred, dict):
            raise exception.ValidationError("'application_credential' is a required property.")
        created = manager.get().create_application_credential(user_id, req.context.token, cred)
        return {'application_credential': _show(req, user_id, created)}

    def index(self, req, user_id):
        common.authorize(req, 'identity:list_application_credentials', **_owner(user_id))
        creds = manager.get().list_application_credentials(user_id, req.GET.get('name'))
        return common.collection(req, 'application_credentials',
                                 [_show(req, user_id, c) for c in creds])

    def show(self, req, user_id, cred_id):
        common.authorize(req, 'identity:get_application_credential', **_owner(user_id))
        cred = manager.get().get_application_credential(user_id, cred_id)
        return {'application_credential': _show(req, user_id, cred)}

    def delete(self, req, user_id, cred_id):
        common.authorize(req, 'identity:delete_application_credential', **_owner(user_id))
        manager.get().delete_application_credential(user_id, cred_id)


class AccessRules:
    def index(self, req, user_id):
        common.authorize(req, 'identity:list_access_rules', **_owner(user_id))
        return common.collection(req, 'access_rules', manager.get().list_access_rules(user_id),
                                 _path(user_id, 'access_rules'))

    def show(self, req, user_id, rule_id):
        common.authorize(req, 'identity:get_access_rule', **_owner(user_id))
        rule = manager.get().get_access_rule(user_id, rule_id)
        return {'access_rule': common.entity(req, _path(user_id, 'access_rules'), rule)}

    def delete(self, req, user_id, rule_id):
        common.authorize(req, 'identity:delete_access_rule', **_owner(user_id))
        manager.get().delete_access_rule(user_id, rule_id)


def add_routes(router):
    creds, rules = ApplicationCredentials(), AccessRules()
    base = '/v3/users/{user_id}/application_credentials'
    router.connect(base, creds, POST='create', GET='index')
    router.connect(base + '/{cred_id}', creds, GET='show', DELETE='delete')
    router.connect('/v3/users/{user_id}/access_rules', rules, GET='index')
    router.connect('/v3/users/{user_id}/access_rules/{rule_id}', rules, GET='show',
                   DELETE='delete')
