"""The Image service's rules, one mixin per area, composed into one manager.

Records come back as plain dicts: the image's columns plus `properties`
(custom key/values) and `tags`. Image data never passes through memory whole:
uploads are streamed to the store chunk by chunk, counted, hashed and
format-inspected on the way.
"""
from cloudstack import tasks as task_queue
from cloudstack.image.manager import (
    base, cache, data, imports, images, locations, members, quotas, recovery,
    stage_hosts, tasks)
from cloudstack.image.manager.base import TASK_HANDLER
from cloudstack.tasks import recovery as task_recovery


class Manager(base.Base,
              images.Images,
              data.Data,
              imports.Imports,
              locations.Locations,
              tasks.Tasks,
              cache.Cache,
              quotas.Quotas,
              members.Members,
              recovery.Recovery,
              stage_hosts.StageHosts):
    """Image (Glance v2)."""


@task_queue.handler(TASK_HANDLER)
def run_task(task_id, auth_token=None, staging_dir=None):
    """The engine's entry: carry out image task `task_id` (at least once);
    `staging_dir`: that of the API node that queued a glance-direct import."""
    get().run_task(task_id, auth_token, staging_dir)


_manager = None


def get():
    global _manager
    if _manager is None:
        _manager = Manager()
    return _manager


for _lifecycle in get().lifecycles():
    task_recovery.register(_lifecycle)
