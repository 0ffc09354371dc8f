"""No target at all: the hypervisor of the volume's own host opens its file
or block device directly (connection info 'local', with the data's format)."""
from cloudstack import drivers
from cloudstack import exception
from cloudstack.volume.targets import base


class LocalTarget(base.Target):
    protocol = 'local'

    def export(self, volume_id, path, fmt, auth, connector):
        connector = connector or {}
        host = connector.get('host')
        same_machine = connector.get('machine') and connector['machine'] == drivers.this_machine()
        if host and host != self.host and not same_machine:
            raise exception.BadRequest(
                'Volume %s is on host %s; a local attachment from %s is not '
                'possible (use an iSCSI target_driver).' % (volume_id, self.host, host))
        return {'driver_volume_type': 'local',
                'data': {'device_path': path, 'format': fmt}}

    def unexport(self, volume_id):
        pass

    def exported(self):
        return {}

    def resync(self, wanted):
        return [], []
