"""iSCSI through the kernel's LIO target, with rtslib-fb (real hosts).

Each volume: a storage object (fileio for files, block for devices) named
cs-<volume id>, and a target <prefix>volume-<id> with one TPG that accepts
any initiator knowing the volume's CHAP credentials (TPG-level CHAP with
generated node ACLs), portal target_ip_address:target_port. Needs configfs
(/sys/kernel/config/target) and the rtslib-fb package; the tests of this
target skip on hosts without configfs.
"""
import os
import stat

from cloudstack import exception
from cloudstack.volume.targets import base

CONFIGFS = '/sys/kernel/config/target'
SO_PREFIX = 'cs-'


def _rtslib():
    try:
        import rtslib_fb
    except ImportError:
        raise RuntimeError('the lio target needs rtslib-fb (pip install rtslib-fb)')
    return rtslib_fb


class LioTarget(base.Target):
    protocol = 'iSCSI'

    def setup(self):
        if not os.path.isdir(CONFIGFS):
            raise RuntimeError('the lio target needs configfs at %s' % CONFIGFS)
        _rtslib().RTSRoot()

    def _ours(self):
        rts = _rtslib()
        return {t.wwn: t for t in rts.RTSRoot().targets
                if t.fabric_module.name == 'iscsi' and self.volume_of(t.wwn)}

    def exported(self):
        out = {}
        for wwn, target in self._ours().items():
            path = None
            for tpg in target.tpgs:
                for lun in tpg.luns:
                    path = lun.storage_object.udev_path
            out[self.volume_of(wwn)] = path
        return out

    def _storage_object(self, rts, volume_id, path):
        name = SO_PREFIX + volume_id
        for so in rts.RTSRoot().storage_objects:
            if so.name == name:
                so.delete()
        if stat.S_ISBLK(os.stat(path).st_mode):
            return rts.BlockStorageObject(name, path)
        return rts.FileIOStorageObject(name, path, write_back=False)

    def export(self, volume_id, path, fmt, auth, connector):
        if fmt != 'raw':
            raise exception.BadRequest('lio exports raw volumes only, not %s.' % fmt)
        rts = _rtslib()
        iqn = self.iqn(volume_id)
        if iqn in self._ours():
            self.unexport(volume_id)
        so = self._storage_object(rts, volume_id, path)
        target = rts.Target(rts.FabricModule('iscsi'), iqn, mode='create')
        try:
            tpg = rts.TPG(target, 1, mode='create')
            rts.NetworkPortal(tpg, self.conf.volume.target_ip_address,
                              self.conf.volume.target_port, mode='any')
            rts.LUN(tpg, 0, so)
            user, secret = base.parse_auth(auth)
            tpg.set_attribute('generate_node_acls', '1')
            tpg.set_attribute('demo_mode_write_protect', '0')
            if self.conf.volume.use_chap_auth and user:
                tpg.set_attribute('authentication', '1')
                tpg.set_auth_attr('userid', user)
                tpg.set_auth_attr('password', secret)
            else:
                tpg.set_attribute('authentication', '0')
            tpg.enable = True
        except Exception:
            target.delete()
            so.delete()
            raise
        user, secret = base.parse_auth(auth)
        data = {'target_portal': '%s:%d' % (self.conf.volume.target_ip_address,
                                            self.conf.volume.target_port),
                'target_iqn': iqn, 'target_lun': 0, 'target_discovered': False,
                'encrypted': False}
        if self.conf.volume.use_chap_auth and user:
            data.update(auth_method='CHAP', auth_username=user, auth_password=secret)
        return {'driver_volume_type': 'iscsi', 'data': data}

    def unexport(self, volume_id):
        rts = _rtslib()
        target = self._ours().get(self.iqn(volume_id))
        if target is not None:
            target.delete()
        for so in rts.RTSRoot().storage_objects:
            if so.name == SO_PREFIX + volume_id:
                so.delete()

    def refresh(self, volume_id, path):
        """fileio objects read their size when made: make it again."""
        found = self.exported().get(volume_id)
        if found is not None and not stat.S_ISBLK(os.stat(path).st_mode):
            raise exception.BadRequest('lio cannot grow an exported file volume; '
                                       'detach it first.')
