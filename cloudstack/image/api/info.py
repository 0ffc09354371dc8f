"""/v2/info/import and /v2/info/stores: what this server can do with data."""
from cloudstack.conf import CONF
from cloudstack import policy
from cloudstack.image import manager, stores
from cloudstack.image.manager import imports


class Info:
    def import_info(self, req):
        policy.authorize(req.context, 'image:get_info')
        return {'import-methods': {
            'description': 'Import methods available.',
            'type': 'array',
            'value': imports.import_methods()}}

    def stores_info(self, req):
        policy.authorize(req.context, 'image:get_info')
        default = stores.default(CONF)
        kinds = stores.backends(CONF)
        out = []
        for name in stores.listed(CONF):
            entry = {'id': name, 'description': '%s store' % name
                     if kinds[name] == name else '%s store (%s)' % (name, kinds[name])}
            if name == default:
                entry['default'] = True
            if stores.read_only(CONF, name):
                entry['read-only'] = 'true'
            if CONF.image.weight:
                entry['weight'] = stores.weight(CONF, name)
            out.append(entry)
        return {'stores': out}

    def usage(self, req):
        policy.authorize(req.context, 'image:get_usage')
        return {'usage': manager.get().usage(req.context)}
