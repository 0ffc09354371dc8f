"""The target driver interface: export a volume's local data to hypervisors.

One target per volume, shared by all its attachments; CHAP credentials per
volume (the volume's provider_auth, 'CHAP <user> <secret>'). Targets are
named <[volume] target_prefix>volume-<id>: the agent owns every target with
its prefix, and resync() removes those no volume wants (a crash's leftovers).
"""
import abc


def parse_auth(auth):
    """'CHAP user secret' -> (user, secret), or (None, None)."""
    parts = (auth or '').split()
    if len(parts) == 3 and parts[0] == 'CHAP':
        return parts[1], parts[2]
    return None, None


class Target(abc.ABC):
    protocol = 'iSCSI'

    def __init__(self, conf, host):
        self.conf = conf
        self.host = host
        self.prefix = conf.volume.target_prefix

    def iqn(self, volume_id):
        return '%svolume-%s' % (self.prefix, volume_id)

    def volume_of(self, iqn):
        """The volume id a target of ours serves, or None (not ours)."""
        if iqn.startswith(self.prefix + 'volume-'):
            return iqn[len(self.prefix) + len('volume-'):]
        return None

    def setup(self):
        """Make sure the target subsystem answers (start a daemon if ours)."""

    @abc.abstractmethod
    def export(self, volume_id, path, fmt, auth, connector):
        """Export the data at `path`; the connection info (idempotent)."""

    @abc.abstractmethod
    def unexport(self, volume_id):
        """Remove the volume's target (nothing to do when there is none)."""

    @abc.abstractmethod
    def exported(self):
        """{volume id: backing path} of the targets of ours that exist."""

    def refresh(self, volume_id, path):
        """The volume at `path` grew: let initiators see its new size."""

    def resync(self, wanted):
        """Make the exports match `wanted` ({volume id: (path, fmt, auth)}):
        remove ours nobody wants, re-create missing ones. Returns (added, removed)."""
        have = self.exported()
        removed = [vid for vid in have if vid not in wanted]
        for vid in removed:
            self.unexport(vid)
        added = []
        for vid, (path, fmt, auth) in wanted.items():
            if vid not in have:
                self.export(vid, path, fmt, auth, None)
                added.append(vid)
        return added, removed
