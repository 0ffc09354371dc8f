"""iSCSI through the userspace target tgt, driven with tgtadm.

Each volume is one target, <prefix>volume-<id>, with the volume's data as
LUN 1 (tgt's rdwr backing store: raw data only), open to any initiator that
knows the volume's CHAP credentials. tgtd keeps targets in memory only: the
agent's resync re-creates them after tgtd (or the host) restarts, and
removes targets of ours no volume wants any more.

With [volume] manage_tgtd the agent starts a tgtd of its own on
tgt_control_port, listening on target_ip_address:target_port, when none
answers there (its pid file: <data_dir>/tgtd-<control port>.pid).
"""
import logging
import os
import re
import shutil
import threading
import time

from cloudstack import exception
from cloudstack.volume import qemu
from cloudstack.volume.targets import base

LOG = logging.getLogger(__name__)

LUN = 1
_TARGET_RE = re.compile(r'^Target (\d+): (\S+)\s*$')
_BACKING_RE = re.compile(r'^\s+Backing store path: (.+?)\s*$')
_ACCOUNT_RE = re.compile(r'^\s{8}(\S+)\s*$')
# tgtadm talks to one tgtd at a time per process: new target ids are
# picked under this lock (other processes: tgtadm refuses a taken tid).
_LOCK = threading.Lock()


class TgtError(exception.CloudstackError):
    pass


class TgtTarget(base.Target):
    protocol = 'iSCSI'

    def __init__(self, conf, host):
        super().__init__(conf, host)
        self.control_port = conf.volume.tgt_control_port
        self.portal = '%s:%d' % (conf.volume.target_ip_address, conf.volume.target_port)
        self.pid_file = os.path.join(conf.data_dir, 'tgtd-%d.pid' % self.control_port)
        self.use_chap = conf.volume.use_chap_auth

    def _adm(self, *args, check=True):
        cmd = ['tgtadm', '-C', str(self.control_port)] + [str(a) for a in args]
        code, out, err = qemu.run(cmd, check=False)
        if check and code != 0:
            raise TgtError('tgtadm %s failed (%s): %s' % (' '.join(map(str, args[:4])),
                                                          code, (err or out).strip()))
        return code, out

    # --- the daemon -----------------------------------------------------------------
    def _answers(self):
        return self._adm('--op', 'show', '--mode', 'sys', check=False)[0] == 0

    def setup(self):
        if shutil.which('tgtadm') is None:
            raise RuntimeError('the tgt target needs tgtadm (Debian package tgt)')
        if self._answers():
            return
        if not self.conf.volume.manage_tgtd:
            raise RuntimeError('no tgtd answers on control port %d'
                               % self.control_port)
        os.makedirs(os.path.dirname(self.pid_file), exist_ok=True)
        qemu.run(['tgtd', '-C', str(self.control_port), '-p', self.pid_file,
                  '--iscsi', 'portal=%s' % self.portal])
        for _ in range(100):
            if self._answers():
                LOG.info('started tgtd on control port %d, portal %s',
                         self.control_port, self.portal)
                return
            time.sleep(0.05)
        raise RuntimeError('tgtd did not start on control port %d' % self.control_port)

    # --- state ---------------------------------------------------------------------
    def _targets(self):
        """{iqn: {'tid', 'path', 'accounts'}} of every target tgtd has."""
        _, out = self._adm('--lld', 'iscsi', '--op', 'show', '--mode', 'target')
        found, current, section = {}, None, None
        for line in out.splitlines():
            m = _TARGET_RE.match(line)
            if m:
                current = {'tid': int(m.group(1)), 'path': None, 'accounts': []}
                found[m.group(2)] = current
                continue
            if current is None:
                continue
            stripped = line.strip()
            if stripped.endswith('information:'):
                section = stripped
                continue
            m = _BACKING_RE.match(line)
            if m and m.group(1) != 'None':
                current['path'] = m.group(1)
            elif section == 'Account information:' and _ACCOUNT_RE.match(line):
                current['accounts'].append(stripped)
        return found

    def exported(self):
        return {vid: t['path'] for iqn, t in self._targets().items()
                if (vid := self.volume_of(iqn))}

    # --- export ----------------------------------------------------------------------
    def _info(self, volume_id, auth):
        data = {'target_portal': self.portal, 'target_iqn': self.iqn(volume_id),
                'target_lun': LUN, 'target_discovered': False, 'encrypted': False}
        user, secret = base.parse_auth(auth)
        if self.use_chap and user:
            data.update(auth_method='CHAP', auth_username=user, auth_password=secret)
        return {'driver_volume_type': 'iscsi', 'data': data}

    def export(self, volume_id, path, fmt, auth, connector):
        if fmt != 'raw':
            raise exception.BadRequest('tgt exports raw volumes only, not %s.' % fmt)
        iqn = self.iqn(volume_id)
        user, secret = base.parse_auth(auth)
        with _LOCK:
            targets = self._targets()
            if iqn in targets and targets[iqn]['path'] == path and (
                    not self.use_chap or not user or user in targets[iqn]['accounts']):
                return self._info(volume_id, auth)
            if iqn in targets:                  # half made, or stale: start over
                self._delete(targets[iqn]['tid'], targets[iqn]['accounts'])
            tid = self._new_target(iqn, targets)
            try:
                self._adm('--lld', 'iscsi', '--op', 'new', '--mode', 'logicalunit',
                          '--tid', tid, '--lun', LUN, '-b', path)
                if self.use_chap and user:
                    self._adm('--lld', 'iscsi', '--op', 'delete', '--mode', 'account',
                              '--user', user, check=False)
                    self._adm('--lld', 'iscsi', '--op', 'new', '--mode', 'account',
                              '--user', user, '--password', secret)
                    self._adm('--lld', 'iscsi', '--op', 'bind', '--mode', 'account',
                              '--tid', tid, '--user', user)
                self._adm('--lld', 'iscsi', '--op', 'bind', '--mode', 'target',
                          '--tid', tid, '-I', 'ALL')
            except Exception:
                self._delete(tid, [user] if user else [])
                raise
        LOG.info('exported volume %s as %s (tid %d)', volume_id, iqn, tid)
        return self._info(volume_id, auth)

    def _new_target(self, iqn, targets):
        tid = max([t['tid'] for t in targets.values()] + [0]) + 1
        for _ in range(64):
            code, _ = self._adm('--lld', 'iscsi', '--op', 'new', '--mode', 'target',
                                '--tid', tid, '-T', iqn, check=False)
            if code == 0:
                return tid
            tid += 1                            # taken by another process
        raise TgtError('no free target id for %s' % iqn)

    def _delete(self, tid, accounts):
        self._adm('--lld', 'iscsi', '--op', 'delete', '--force', '--mode', 'target',
                  '--tid', tid, check=False)
        for user in accounts:
            self._adm('--lld', 'iscsi', '--op', 'delete', '--mode', 'account',
                      '--user', user, check=False)

    def unexport(self, volume_id):
        with _LOCK:
            found = self._targets().get(self.iqn(volume_id))
            if found:
                self._delete(found['tid'], found['accounts'])
                LOG.info('unexported volume %s (tid %d)', volume_id, found['tid'])

    def refresh(self, volume_id, path):
        """tgt reads the size when a LUN is made: make it again (sessions stay)."""
        with _LOCK:
            found = self._targets().get(self.iqn(volume_id))
            if not found:
                return
            self._adm('--lld', 'iscsi', '--op', 'delete', '--mode', 'logicalunit',
                      '--tid', found['tid'], '--lun', LUN)
            self._adm('--lld', 'iscsi', '--op', 'new', '--mode', 'logicalunit',
                      '--tid', found['tid'], '--lun', LUN, '-b', path)
