"""The Block Storage service's rules, one mixin per area, composed into one
manager: `manager.get()` is the service's Python API (Compute calls its
attachment_* methods, doc/design.md).

Records come back as dicts with Cinder's field names (a volume is a Cinder
volume dict); the API trims them per microversion and policy. Slow work is a
task addressed to the volume agent of the volume's host (cloudstack/volume/
agent.py), queued in the same transaction that sets the transitional status.
"""
from cloudstack.volume.manager import (
    actions, attachments, backups, base, groups, quotas, recovery, services,
    snapshots, transfers, types, volumes)


class Manager(base.Base,
              quotas.Quotas,
              types.Types,
              volumes.Volumes,
              actions.Actions,
              attachments.Attachments,
              snapshots.Snapshots,
              backups.Backups,
              transfers.Transfers,
              groups.Groups,
              services.Services,
              recovery.Recovery):
    """Block Storage (Cinder v3)."""


_manager = None


def get():
    global _manager
    if _manager is None:
        _manager = Manager()
    return _manager
