"""/os-quota-sets, /os-quota-class-sets and /limits."""
import webob

from cloudstack import exception
from cloudstack.volume.api import common

LIMIT = {'type': ['integer', 'string']}
QUOTA_BODY = {'type': 'object', 'additionalProperties': LIMIT}


def mgr():
    return common.manager()


def _limits(values):
    """{resource: int} from a quota set body (ignoring 'id' and 'tenant_id')."""
    out = {}
    for key, value in values.items():
        if key in ('id', 'tenant_id'):
            continue
        try:
            out[key] = int(value)
        except (TypeError, ValueError):
            raise exception.BadRequest('Quota limit for %s must be an integer.' % key)
        if out[key] < -1:
            raise exception.BadRequest('Quota limit for %s must be -1 or greater.' % key)
    return out


class Quotas:

    def show(self, req, project_id):
        common.authorize(req, 'volume_extension:quotas:show', project_id)
        usage = common.bool_value(req.GET.get('usage', 'false'), 'usage')
        return {'quota_set': mgr().get_quotas(req.context, project_id, usage=usage)}

    def defaults(self, req, project_id):
        common.authorize(req, 'volume_extension:quotas:show', project_id)
        return {'quota_set': mgr().get_quotas(req.context, project_id, defaults=True)}

    def update(self, req, project_id):
        values = common.body(req, 'quota_set', QUOTA_BODY, strict_from=None)
        common.authorize(req, 'volume_extension:quotas:update', project_id)
        out = mgr().update_quotas(req.context, project_id, _limits(values))
        out.pop('id', None)
        return {'quota_set': out}

    def delete(self, req, project_id):
        common.authorize(req, 'volume_extension:quotas:delete', project_id)
        mgr().delete_quotas(req.context, project_id)
        return webob.Response(status=200, content_type=None)


class QuotaClasses:

    def show(self, req, class_name):
        common.authorize(req, 'volume_extension:quota_classes:get')
        return {'quota_class_set': mgr().get_quota_class(req.context, class_name)}

    def update(self, req, class_name):
        values = common.body(req, 'quota_class_set', QUOTA_BODY, strict_from=None)
        common.authorize(req, 'volume_extension:quota_classes:update')
        return {'quota_class_set': mgr().update_quota_class(req.context, class_name,
                                                            _limits(values))}


class Limits:

    def index(self, req):
        project_id = req.context.project_id
        if 'project_id' in req.GET and common.at_least(req, common.LIMITS_ADMIN_FILTER) \
                and common.is_admin(req):
            project_id = req.GET['project_id']
        common.authorize(req, 'limits_extension:used_limits', project_id)
        return {'limits': {'rate': [], 'absolute': mgr().absolute_limits(
            req.context, project_id)}}
