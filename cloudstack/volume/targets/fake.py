"""A fake target for tests: exports are remembered in memory, per host."""
from cloudstack.volume.targets import base

EXPORTS = {}    # host -> {volume id: path}


class FakeTarget(base.Target):
    protocol = 'iSCSI'

    def export(self, volume_id, path, fmt, auth, connector):
        EXPORTS.setdefault(self.host, {})[volume_id] = path
        user, secret = base.parse_auth(auth)
        return {'driver_volume_type': 'iscsi', 'data': {
            'target_portal': '127.0.0.1:3260', 'target_iqn': self.iqn(volume_id),
            'target_lun': 1, 'target_discovered': False, 'encrypted': False,
            'auth_method': 'CHAP', 'auth_username': user, 'auth_password': secret}}

    def unexport(self, volume_id):
        EXPORTS.get(self.host, {}).pop(volume_id, None)

    def exported(self):
        return dict(EXPORTS.get(self.host, {}))
