"""Server actions: each checks the server's state, records the action, sets
the task_state and queues the work for the server's host in one transaction."""
import json
import uuid as uuidlib

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db.models import utcnow
from cloudstack.compute import (
    hosts, models, network_api, rpc, scheduler, states, volume_api)
from cloudstack.compute.manager.base import (
    InstanceInvalidState, InstanceLocked, NoValidHost, is_admin)

ANY = None
RUNNING = (states.ACTIVE,)
# where volumes may be attached and detached (shelved-offloaded: in the
# database and Block Storage only, until the server is unshelved)
_VOLUME_STATES = (states.ACTIVE, states.PAUSED_VM, states.STOPPED, states.SUSPENDED_VM,
                  states.RESIZED, states.SOFT_DELETED, states.SHELVED,
                  states.SHELVED_OFFLOADED)
# Nova's swap_volume states
_SWAP_STATES = (states.ACTIVE, states.PAUSED_VM, states.RESIZED)
_ON_HOST = (states.ACTIVE, states.STOPPED, states.PAUSED_VM, states.SUSPENDED_VM,
            states.RESCUED, states.RESIZED, states.ERROR, states.SHELVED)


class ServerActions:

    def _check(self, inst, ctx, action, vm_states, task_states=(None,), lock=True):
        if lock and inst.locked and not is_admin(ctx):
            raise InstanceLocked(uuid=inst.uuid)
        if vm_states is not ANY and inst.vm_state not in vm_states:
            raise InstanceInvalidState(action=action, uuid=inst.uuid, attr='vm_state',
                                       state=inst.vm_state)
        if task_states is not ANY and inst.task_state not in task_states:
            raise InstanceInvalidState(action=action, uuid=inst.uuid, attr='task_state',
                                       state=inst.task_state)

    def start_action(self, ctx, uuid, action, vm_states, task_state, agent_action=None,
                     record=None, task_states=(None,), lock=True, **kwargs):
        """The common shape: check, record, set task_state, queue for the host."""
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self._check(inst, ctx, action, vm_states, task_states, lock)
            if inst.host is None:
                raise InstanceInvalidState(action=action, uuid=uuid, attr='host',
                                           state='None')
            self.record_action(s, ctx, inst, record or action)
            inst.task_state = task_state
            inst.updated_at = utcnow()
            rpc.cast(s, 'compute.server_action',
                     dict(kwargs, uuid=uuid, action=agent_action or action),
                     inst.host, uuid)

    # Power and life cycle --------------------------------------------------------

    def reboot(self, ctx, uuid, hard=False):
        allowed = (states.ACTIVE, states.STOPPED, states.PAUSED_VM, states.SUSPENDED_VM,
                   states.ERROR) if hard else (states.ACTIVE,)
        task_states = (None, states.REBOOTING, states.REBOOT_PENDING,
                       states.REBOOT_STARTED) if hard else (None,)
        self.start_action(ctx, uuid, 'reboot', allowed,
                          states.REBOOTING_HARD if hard else states.REBOOTING,
                          task_states=task_states, reboot_type='HARD' if hard else 'SOFT')

    def stop(self, ctx, uuid):
        self.start_action(ctx, uuid, 'stop', (states.ACTIVE, states.ERROR, states.RESCUED),
                          states.POWERING_OFF)

    def start(self, ctx, uuid):
        self.start_action(ctx, uuid, 'start', (states.STOPPED,), states.POWERING_ON)

    def pause(self, ctx, uuid):
        self.start_action(ctx, uuid, 'pause', RUNNING, states.PAUSING)

    def unpause(self, ctx, uuid):
        self.start_action(ctx, uuid, 'unpause', (states.PAUSED_VM,), states.UNPAUSING)

    def suspend(self, ctx, uuid):
        self.start_action(ctx, uuid, 'suspend', RUNNING, states.SUSPENDING)

    def resume(self, ctx, uuid):
        self.start_action(ctx, uuid, 'resume', (states.SUSPENDED_VM,), states.RESUMING)

    def rescue(self, ctx, uuid, password, image_ref=None):
        self.start_action(ctx, uuid, 'rescue', (states.ACTIVE, states.STOPPED, states.ERROR),
                          states.RESCUING, password=password, image_ref=image_ref)

    def unrescue(self, ctx, uuid):
        self.start_action(ctx, uuid, 'unrescue', (states.RESCUED,), states.UNRESCUING)

    def set_password(self, ctx, uuid, password):
        self.start_action(ctx, uuid, 'changePassword', (states.ACTIVE,),
                          states.UPDATING_PASSWORD, agent_action='set_password',
                          password=password)

    def trigger_crash_dump(self, ctx, uuid):
        with self.read() as s:
            inst = self.instance_row(s, ctx, uuid)
            self._check(inst, ctx, 'trigger_crash_dump', (states.ACTIVE, states.PAUSED_VM,
                                                         states.RESCUED, states.RESIZED,
                                                         states.ERROR))
        self.start_action(ctx, uuid, 'trigger_crash_dump', ANY, None,
                          record='trigger_crash_dump')

    def lock_server(self, ctx, uuid, reason=None, by='owner'):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self.record_action(s, ctx, inst, 'lock')
            if not inst.locked:
                inst.locked, inst.locked_by, inst.locked_reason = True, by, reason
                inst.updated_at = utcnow()

    def unlock_server(self, ctx, uuid, override_allowed=True):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            if inst.locked and inst.locked_by == 'admin' and not override_allowed:
                raise exception.Forbidden('Instance is locked by an admin')
            self.record_action(s, ctx, inst, 'unlock')
            inst.locked, inst.locked_by, inst.locked_reason = False, None, None
            inst.updated_at = utcnow()

    def reset_state(self, ctx, uuid, state):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self.record_action(s, ctx, inst, 'resetState')
            inst.vm_state = states.ERROR if state == 'error' else states.ACTIVE
            inst.task_state = None
            inst.updated_at = utcnow()

    # Rebuild ---------------------------------------------------------------------

    def rebuild(self, ctx, uuid, image, changes, password, preserve_ephemeral=False):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self._check(inst, ctx, 'rebuild', (states.ACTIVE, states.STOPPED, states.ERROR))
            self.record_action(s, ctx, inst, 'rebuild')
            for key, value in changes.items():
                setattr(inst, key, value)
            if image is not None:
                inst.image_ref = image['id']
                sysmeta = {k: v for k, v in (inst.system_metadata or {}).items()
                           if not k.startswith('image_')}
                sysmeta.update({'image_' + k: v for k, v in
                                (image.get('properties') or {}).items()})
                for key in ('min_ram', 'min_disk', 'disk_format', 'container_format',
                            'name'):
                    sysmeta['image_' + key] = image.get(key)
                inst.system_metadata = sysmeta
            inst.task_state = states.REBUILDING
            inst.updated_at = utcnow()
            rpc.cast(s, 'compute.server_action',
                     {'uuid': uuid, 'action': 'rebuild', 'password': password,
                      'preserve_ephemeral': preserve_ephemeral}, inst.host, uuid)
            s.flush()
            return self.records(s, [inst], with_groups=True)[0]

    # Snapshots -------------------------------------------------------------------

    def snapshot(self, ctx, uuid, name, metadata, kind='snapshot', backup_type=None,
                 rotation=None):
        """Create the image record now (its id is the answer) and queue the
        upload; returns the image id."""
        from cloudstack.image import manager as image_manager
        with self.read() as s:
            inst = self.instance_row(s, ctx, uuid)
            allowed = (states.ACTIVE, states.STOPPED, states.PAUSED_VM, states.SUSPENDED_VM)
            self._check(inst, ctx, 'createImage' if kind == 'snapshot' else 'createBackup',
                        allowed)
            sysmeta = dict(inst.system_metadata or {})
            flavor = inst.flavor or {}
            volume_backed = bool(sysmeta.get('boot_index0_volume'))
            image_ref, owner_user = inst.image_ref, inst.user_id
            root_device, instance_id = inst.root_device_name, inst.id
        props = {k[6:]: str(v) for k, v in sysmeta.items()
                 if k.startswith('image_') and v is not None and k[6:] not in (
                     'name', 'min_ram', 'min_disk', 'disk_format', 'container_format',
                     'base_image_ref', 'instance_uuid', 'image_type', 'backup_type',
                     'image_location', 'owner_id', 'user_id')}
        props.update({'instance_uuid': uuid, 'user_id': ctx.user_id or owner_user,
                      'image_type': kind, 'owner_project_name': ctx.project_name or '',
                      'owner_user_name': ctx.user_name or ''})
        props.update({str(k): str(v) for k, v in (metadata or {}).items()})   # as Nova: theirs win
        if image_ref:
            props['base_image_ref'] = image_ref
        if backup_type:
            props['backup_type'] = backup_type
        body = {'name': name, 'container_format': 'bare',
                'disk_format': sysmeta.get('image_disk_format') or 'raw',
                'min_disk': flavor.get('root_gb', 0),
                'min_ram': int(sysmeta.get('image_min_ram') or 0),
                'visibility': 'private'}
        if volume_backed:
            props['bdm_v2'] = 'True'
            props['root_device_name'] = root_device or '/dev/vda'
            props['block_device_mapping'] = json.dumps(
                volume_api.snapshot_volumes(ctx, instance_id, 'snapshot for %s' % name))
        body.update(props)
        body.pop('owner', None)
        images = image_manager.get()
        image = images.create_image(ctx, body)
        if volume_backed:
            # As Nova: no data, the volumes' snapshots are the image; zero
            # bytes make it active.
            images.upload(ctx, image['id'], [b''], content_length=0)
            return image['id']
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self._check(inst, ctx, 'createImage', ANY)
            self.record_action(s, ctx, inst, 'createImage' if kind == 'snapshot'
                               else 'createBackup')
            inst.task_state = states.IMAGE_SNAPSHOT if kind == 'snapshot' \
                else states.IMAGE_BACKUP
            inst.updated_at = utcnow()
            rpc.cast(s, 'compute.server_action',
                     {'uuid': uuid, 'action': 'snapshot', 'image_id': image['id'],
                      'backup_type': backup_type, 'rotation': rotation},
                     inst.host, uuid)
        return image['id']

    # Shelve ------------------------------------------------------------------------

    def shelve(self, ctx, uuid):
        from cloudstack.image import manager as image_manager
        with self.read() as s:
            inst = self.instance_row(s, ctx, uuid)
            self._check(inst, ctx, 'shelve', (states.ACTIVE, states.STOPPED,
                                               states.PAUSED_VM, states.SUSPENDED_VM))
            volume_backed = bool((inst.system_metadata or {}).get('boot_index0_volume'))
            name = '%s-shelved' % (inst.display_name or uuid)
        image_id = None
        if not volume_backed:
            image_id = image_manager.get().create_image(ctx, {
                'name': name, 'container_format': 'bare', 'disk_format': 'raw',
                'instance_uuid': uuid, 'image_type': 'snapshot'})['id']
        self.start_action(ctx, uuid, 'shelve', (states.ACTIVE, states.STOPPED,
                                                 states.PAUSED_VM, states.SUSPENDED_VM),
                          states.SHELVING, image_id=image_id)

    def shelve_offload(self, ctx, uuid):
        self.start_action(ctx, uuid, 'shelveOffload', (states.SHELVED,),
                          states.SHELVING_OFFLOADING, agent_action='shelve_offload')

    def unshelve(self, ctx, uuid, availability_zone=None, host=None, unpin_az=False):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self._check(inst, ctx, 'unshelve', (states.SHELVED, states.SHELVED_OFFLOADED))
            if inst.vm_state == states.SHELVED and (availability_zone or host):
                raise exception.Conflict('The availability_zone and host parameters can '
                                         'only be given for a shelved offloaded server.')
            self.record_action(s, ctx, inst, 'unshelve')
            if unpin_az:
                inst.requested_availability_zone = None
            elif availability_zone:
                inst.requested_availability_zone = availability_zone
            inst.task_state = states.UNSHELVING
            inst.updated_at = utcnow()
            if inst.vm_state == states.SHELVED_OFFLOADED:
                flavor = inst.flavor
                request = self.request_for(s, inst, flavor, self.disk_of(inst), None,
                                           force_host=host)
                state = scheduler.select_and_claim(s, request)
                inst.host, inst.node = state.host, state.node.hypervisor_hostname
                inst.availability_zone = state.availability_zone
            rpc.cast(s, 'compute.server_action', {'uuid': uuid, 'action': 'unshelve'},
                     inst.host, uuid)

    @staticmethod
    def disk_of(inst, flavor=None):
        flavor = flavor or inst.flavor or {}
        volume_backed = bool((inst.system_metadata or {}).get('boot_index0_volume'))
        return (0 if volume_backed else flavor.get('root_gb', 0)) + \
            flavor.get('ephemeral_gb', 0) + (flavor.get('swap', 0) + 1023) // 1024

    # Resize and migrations -------------------------------------------------------------

    def resize(self, ctx, uuid, flavor=None, host=None, migration_type='resize',
               auto_disk_config=None):
        """Resize to `flavor` or, without one, cold migrate (to `host`);
        `auto_disk_config` (not None) is the server's disk config from now."""
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            action = 'resize' if flavor else 'migrate'
            self._check(inst, ctx, action, (states.ACTIVE, states.STOPPED))
            if auto_disk_config is not None:
                inst.auto_disk_config = auto_disk_config
            current = inst.flavor
            if flavor is not None:
                if flavor['flavorid'] == current.get('flavorid'):
                    raise exception.BadRequest('When resizing, instances must change '
                                               'flavor!')
                self.lock_project(s, inst.project_id)
                self.check_quota(s, inst.project_id, inst.user_id, {
                    'cores': flavor['vcpus'] - current['vcpus'],
                    'ram': flavor['memory_mb'] - current['memory_mb']})
            new = flavor or current
            ignore = []
            if flavor is None or not CONF.compute.allow_resize_to_same_host:
                ignore = [inst.host]
            if host and host == inst.host:
                raise exception.BadRequest('The target host can\'t be the same one.')
            if host and not any(n.host == host for n in s.scalars(
                    sa.select(models.ComputeNode))):
                raise exception.BadRequest('Compute host %s could not be found.' % host)
            migration = models.Migration(
                uuid=str(uuidlib.uuid4()), instance_uuid=uuid,
                migration_type='resize' if flavor else 'migration', status='pre-migrating',
                source_compute=inst.host, source_node=inst.node,
                old_flavor_id=current.get('id'), new_flavor_id=new.get('id'),
                project_id=inst.project_id, user_id=inst.user_id)
            s.add(migration)
            s.flush()
            scheduler.move_allocation(s, uuid, migration.uuid)
            request = self.request_for(s, inst, new, self.disk_of(inst, new), None,
                                       ignore_hosts=ignore, force_host=host)
            try:
                state = scheduler.select_and_claim(s, request)
            except NoValidHost:
                scheduler.move_allocation(s, migration.uuid, uuid)
                s.delete(migration)
                raise
            migration.dest_compute = state.host
            migration.dest_node = state.node.hypervisor_hostname
            migration.dest_host = state.node.host_ip
            self.record_action(s, ctx, inst, action)
            inst.old_flavor, inst.new_flavor = current, new
            inst.task_state = states.RESIZE_PREP
            inst.updated_at = utcnow()
            rpc.cast(s, 'compute.server_action',
                     {'uuid': uuid, 'action': 'resize_instance',
                      'migration': migration.uuid}, inst.host, uuid)

    def _active_migration(self, s, uuid, statuses=('finished',)):
        return s.scalars(sa.select(models.Migration).where(
            models.Migration.instance_uuid == uuid,
            models.Migration.status.in_(statuses)).order_by(
            models.Migration.id.desc())).first()

    def confirm_resize(self, ctx, uuid):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self._check(inst, ctx, 'confirmResize', (states.RESIZED,))
            migration = self._active_migration(s, uuid)
            if migration is None:
                raise exception.BadRequest('Instance has not been resized.')
            self.record_action(s, ctx, inst, 'confirmResize')
            migration.status = 'confirming'
            inst.task_state = states.RESIZE_CONFIRMING
            rpc.cast(s, 'compute.server_action',
                     {'uuid': uuid, 'action': 'confirm_resize', 'migration': migration.uuid},
                     migration.source_compute, uuid)

    def revert_resize(self, ctx, uuid):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self._check(inst, ctx, 'revertResize', (states.RESIZED,))
            migration = self._active_migration(s, uuid)
            if migration is None:
                raise exception.BadRequest('Instance has not been resized.')
            self.record_action(s, ctx, inst, 'revertResize')
            migration.status = 'reverting'
            inst.task_state = states.RESIZE_REVERTING
            inst.updated_at = utcnow()
            rpc.cast(s, 'compute.server_action',
                     {'uuid': uuid, 'action': 'revert_resize', 'migration': migration.uuid},
                     migration.dest_compute, uuid)

    def live_migrate(self, ctx, uuid, host=None, block_migration=None, force=False):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self._check(inst, ctx, 'os-migrateLive', (states.ACTIVE, states.PAUSED_VM))
            if host and host == inst.host:
                raise exception.BadRequest('The target host can\'t be the same one.')
            if host and not any(n.host == host for n in s.scalars(
                    sa.select(models.ComputeNode))):
                raise exception.BadRequest('Compute host %s could not be found.' % host)
            migration = models.Migration(
                uuid=str(uuidlib.uuid4()), instance_uuid=uuid,
                migration_type='live-migration', status='accepted',
                source_compute=inst.host, source_node=inst.node,
                old_flavor_id=inst.flavor.get('id'), new_flavor_id=inst.flavor.get('id'),
                project_id=inst.project_id, user_id=inst.user_id)
            s.add(migration)
            s.flush()
            scheduler.move_allocation(s, uuid, migration.uuid)
            request = self.request_for(s, inst, inst.flavor, self.disk_of(inst), None,
                                       ignore_hosts=[inst.host],
                                       force_host=host if force else None)
            if host and not force:
                request.ignore_hosts = [h.host for h in scheduler.host_states(s)
                                        if h.host != host]
            try:
                state = scheduler.select_and_claim(s, request)
            except NoValidHost:
                scheduler.move_allocation(s, migration.uuid, uuid)
                s.delete(migration)
                raise exception.BadRequest('No valid host was found for the live migration.')
            migration.dest_compute = state.host
            migration.dest_node = state.node.hypervisor_hostname
            migration.dest_host = state.node.host_ip
            self.record_action(s, ctx, inst, 'live-migration')
            inst.task_state = states.MIGRATING
            inst.updated_at = utcnow()
            rpc.cast(s, 'compute.server_action',
                     {'uuid': uuid, 'action': 'live_migrate', 'migration': migration.uuid,
                      'block_migration': bool(block_migration)}, inst.host, uuid)

    def evacuate(self, ctx, uuid, host=None, password=None, force=False):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self._check(inst, ctx, 'evacuate', (states.ACTIVE, states.STOPPED, states.ERROR))
            if inst.host and hosts.is_up(inst.host):
                raise exception.Conflict('Compute service of %s is still in use.'
                                         % inst.host)
            if host and host == inst.host:
                raise exception.BadRequest('The target host can\'t be the same one.')
            migration = models.Migration(
                uuid=str(uuidlib.uuid4()), instance_uuid=uuid, migration_type='evacuation',
                status='accepted', source_compute=inst.host, source_node=inst.node,
                old_flavor_id=inst.flavor.get('id'), new_flavor_id=inst.flavor.get('id'),
                project_id=inst.project_id, user_id=inst.user_id)
            s.add(migration)
            s.flush()
            scheduler.move_allocation(s, uuid, migration.uuid)
            request = self.request_for(s, inst, inst.flavor, self.disk_of(inst), None,
                                       ignore_hosts=[inst.host],
                                       force_host=host if force else None)
            if host and not force:
                request.ignore_hosts = [h.host for h in scheduler.host_states(s)
                                        if h.host != host]
            state = scheduler.select_and_claim(s, request)
            migration.dest_compute = state.host
            migration.dest_node = state.node.hypervisor_hostname
            self.record_action(s, ctx, inst, 'evacuate')
            inst.host, inst.node = state.host, state.node.hypervisor_hostname
            inst.availability_zone = state.availability_zone
            inst.task_state = states.REBUILDING
            inst.updated_at = utcnow()
            rpc.cast(s, 'compute.server_action',
                     {'uuid': uuid, 'action': 'rebuild', 'password': password,
                      'evacuate': migration.uuid}, state.host, uuid)

    # Queries answered by the host ------------------------------------------------------

    def query(self, ctx, uuid, what, vm_states=ANY, **kwargs):
        """A synchronous request to the server's host (console output, ...)."""
        with self.read() as s:
            inst = self.instance_row(s, ctx, uuid)
            if vm_states is not ANY and inst.vm_state not in vm_states:
                raise InstanceInvalidState(action=what, uuid=uuid, attr='vm_state',
                                           state=inst.vm_state)
            host = inst.host
        if host is None:
            raise InstanceInvalidState(action=what, uuid=uuid, attr='host', state='None')
        return rpc.call('compute.call', dict(kwargs, uuid=uuid, what=what), host)

    def clear_password(self, ctx, uuid):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            sysmeta = dict(inst.system_metadata or {})
            sysmeta.pop('password', None)
            inst.system_metadata = sysmeta

    def get_password(self, ctx, uuid):
        with self.read() as s:
            return (self.instance_row(s, ctx, uuid).system_metadata or {}).get('password', '')

    # Security groups (Networking's, or the names a server without it keeps) ------

    def add_security_group(self, ctx, uuid, name):
        self._security_group(ctx, uuid, name, network_api.add_security_group)

    def remove_security_group(self, ctx, uuid, name):
        self._security_group(ctx, uuid, name, network_api.remove_security_group)

    def _security_group(self, ctx, uuid, name, change):
        if network_api.enabled():
            with self.read() as s:
                inst = self.instance_row(s, ctx, uuid)
                s.expunge(inst)
            change(ctx, inst, name)
            return
        with self.write() as s:
            change(ctx, self.instance_row(s, ctx, uuid, lock=True), name)

    def refresh_network_info(self, uuid):
        """Read the server's ports again (addresses, floating IPs) into the
        network_info the API shows."""
        with self.read() as s:
            inst = s.scalars(sa.select(models.Instance).where(
                models.Instance.uuid == uuid)).first()
            if inst is None or inst.deleted:
                return
            s.expunge(inst)
        asked = {vif['id'] for vif in inst.network_info or []}
        fresh = {vif['id']: vif for vif in network_api.refresh(None, inst)}
        with self.write() as s:
            inst = s.scalars(self.locking(sa.select(models.Instance).where(
                models.Instance.uuid == uuid))).first()
            if inst is not None and not inst.deleted:
                # an interface attached meanwhile stays; a port gone goes
                inst.network_info = [fresh.get(vif['id'], vif)
                                     for vif in inst.network_info or []
                                     if vif['id'] in fresh or vif['id'] not in asked]

    # Interfaces -------------------------------------------------------------------

    def attach_interface(self, ctx, uuid, net_id=None, port_id=None, fixed_ips=None,
                         tag=None):
        return self.query(ctx, uuid, 'attach_interface',
                          (states.ACTIVE, states.PAUSED_VM, states.STOPPED),
                          net_id=net_id, port_id=port_id, fixed_ips=fixed_ips, tag=tag)

    def detach_interface(self, ctx, uuid, port_id):
        return self.query(ctx, uuid, 'detach_interface',
                          (states.ACTIVE, states.PAUSED_VM, states.STOPPED), port_id=port_id)

    # Volumes --------------------------------------------------------------------------

    def attach_volume(self, ctx, uuid, volume_id, device=None, tag=None,
                      delete_on_termination=False, multiattach=False):
        """Reserve the volume and record the mapping now; the server's host
        attaches it. Returns the mapping. `multiattach`: whether the request
        may attach a multiattach volume (from 2.60)."""
        from cloudstack.compute import volume_api
        allowed = _VOLUME_STATES
        with self.read() as s:
            inst = self.instance_row(s, ctx, uuid)
            self._check(inst, ctx, 'attach_volume', allowed)
            bdms = s.scalars(sa.select(models.BlockDeviceMapping).where(
                models.BlockDeviceMapping.instance_id == inst.id)).all()
            if any(b.volume_id == volume_id for b in bdms):
                raise exception.BadRequest('Invalid volume: volume %s already attached'
                                           % volume_id)
            used = [b.device_name for b in bdms] + [inst.root_device_name or '/dev/vda']
            shelved = inst.vm_state == states.SHELVED_OFFLOADED
        volume = volume_api.check_attachable(ctx, volume_id, multiattach=multiattach)
        if volume.get('multiattach') and shelved:
            raise exception.BadRequest('Attaching multiattach volumes is not supported for '
                                       'shelved-offloaded instances.')
        attachment = volume_api.manager().attachment_create(
            ctx, volume_id, uuid, mode=volume_api.attach_mode(volume))
        try:
            with self.write() as s:
                inst = self.instance_row(s, ctx, uuid, lock=True)
                self._check(inst, ctx, 'attach_volume', allowed)
                offloaded = inst.vm_state == states.SHELVED_OFFLOADED
                bdm = models.BlockDeviceMapping(
                    uuid=str(uuidlib.uuid4()), instance_id=inst.id, source_type='volume',
                    destination_type='volume', volume_id=volume_id,
                    device_name=None if offloaded else volume_api.device_names(used)[0],
                    tag=tag, delete_on_termination=bool(delete_on_termination),
                    attachment_id=attachment['id'])
                s.add(bdm)
                s.flush()
                self.record_action(s, ctx, inst, 'attach_volume')
                if not offloaded:
                    rpc.cast(s, 'compute.server_action', {
                        'uuid': uuid, 'action': 'attach_volume', 'bdm_id': bdm.id},
                        inst.host, uuid)
                found = {c.name: getattr(bdm, c.name)
                         for c in models.BlockDeviceMapping.__table__.columns}
            if offloaded:
                # no host: the volume is in use now and connected (with its
                # device name) when the server is unshelved, as Nova does
                volume_api.manager().attachment_complete(ctx, attachment['id'])
            return found
        except Exception:
            volume_api.manager().attachment_delete(ctx, attachment['id'])
            raise

    @staticmethod
    def _attached(session, inst, volume_id):
        """The server's mapping of `volume_id`; NotFound when it has none."""
        bdm = session.scalars(sa.select(models.BlockDeviceMapping).where(
            models.BlockDeviceMapping.instance_id == inst.id,
            models.BlockDeviceMapping.volume_id == volume_id)).first()
        if bdm is None:
            raise exception.NotFound('Volume %s is not attached to the server.' % volume_id)
        return bdm

    def update_volume_attachment(self, ctx, uuid, volume_id, delete_on_termination):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            bdm = self._attached(s, inst, volume_id)
            bdm.delete_on_termination = bool(delete_on_termination)

    def detach_volume(self, ctx, uuid, volume_id):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self._check(inst, ctx, 'detach_volume', _VOLUME_STATES)
            bdm = self._attached(s, inst, volume_id)
            if bdm.boot_index == 0:
                raise exception.Forbidden("Can't detach root device volume")
            self.record_action(s, ctx, inst, 'detach_volume')
            if inst.vm_state != states.SHELVED_OFFLOADED:
                rpc.cast(s, 'compute.server_action', {
                    'uuid': uuid, 'action': 'detach_volume', 'bdm_id': bdm.id},
                    inst.host, uuid)
                return
            attachment_id = bdm.attachment_id
            s.delete(bdm)
        # no host holds it: only the attachment goes
        if attachment_id:
            try:
                volume_api.manager().attachment_delete(ctx, attachment_id)
            except exception.NotFound:
                pass

    # Assisted volume snapshots (asked by Block Storage's file-based drivers) ---------

    def _volume_server(self, s, volume_id, action):
        """The server `volume_id` is attached to, ready for the hypervisor to
        snapshot it; Nova answers 400 for every refusal here."""
        B, I = models.BlockDeviceMapping, models.Instance
        found = s.scalars(sa.select(I).join(B, B.instance_id == I.id).where(
            B.volume_id == volume_id, I.deleted.is_(False))).all()
        if not found:
            raise exception.BadRequest('No volume Block Device Mapping with id %s.'
                                       % volume_id)
        if len(found) > 1:
            raise exception.BadRequest('Block Device Mapping %s is a multi-attach volume '
                                       'and is not valid for this operation.' % volume_id)
        inst = found[0]
        if inst.host is None:
            raise exception.BadRequest('Instance %s is not ready' % inst.uuid)
        if inst.task_state is not None:
            raise exception.BadRequest(
                'Instance %s in task_state %s. Cannot %s while the instance is in this '
                'state.' % (inst.uuid, inst.task_state, action))
        return inst

    def volume_snapshot_create(self, ctx, volume_id, create_info):
        """Queue the snapshot on the server's host; the host reports the
        snapshot's status to Block Storage."""
        with self.write() as s:
            inst = self._volume_server(s, volume_id, 'volume_snapshot_create')
            rpc.cast(s, 'compute.server_action',
                     {'uuid': inst.uuid, 'action': 'volume_snapshot_create',
                      'volume_id': volume_id, 'create_info': create_info},
                     inst.host, inst.uuid)
        return {'id': create_info.get('id'), 'volumeId': volume_id}

    def volume_snapshot_delete(self, ctx, volume_id, snapshot_id, delete_info):
        with self.write() as s:
            inst = self._volume_server(s, volume_id, 'volume_snapshot_delete')
            # merging into an older file needs the running guest's block jobs
            if (delete_info.get('merge_target_file') is not None
                    and inst.vm_state != states.ACTIVE):
                raise exception.BadRequest(
                    'Instance %s in vm_state %s. Cannot volume_snapshot_delete while the '
                    'instance is in this state.' % (inst.uuid, inst.vm_state))
            rpc.cast(s, 'compute.server_action',
                     {'uuid': inst.uuid, 'action': 'volume_snapshot_delete',
                      'volume_id': volume_id, 'snapshot_id': snapshot_id,
                      'delete_info': delete_info}, inst.host, inst.uuid)

    def swap_volume(self, ctx, uuid, old_volume_id, new_volume_id):
        """Move the server from one volume to another, as Nova does for
        Block Storage's migration of an attached volume: only a volume Block
        Storage is migrating may be swapped (Nova's 409 otherwise). The new
        volume is reserved for the server here; its host copies the data and
        tells Block Storage (migrate_volume_completion)."""
        vm = volume_api.manager()
        pctx = volume_api.service_context(ctx)
        try:
            old = vm.get_volume(pctx, old_volume_id)
        except exception.NotFound:
            raise exception.NotFound('Volume %s could not be found.' % old_volume_id)
        if not old.get('migration_status'):
            raise exception.Conflict('volume %s is not migrating; this API should only be '
                                     'called by Block Storage' % old_volume_id)
        try:
            new = vm.get_volume(pctx, new_volume_id)
        except exception.NotFound:
            raise exception.BadRequest('Volume %s could not be found.' % new_volume_id)
        with self.read() as s:
            inst = self.instance_row(s, ctx, uuid)
            self._check(inst, ctx, 'swap_volume', _SWAP_STATES)
            bdm = s.scalars(sa.select(models.BlockDeviceMapping).where(
                models.BlockDeviceMapping.instance_id == inst.id,
                models.BlockDeviceMapping.volume_id == old_volume_id)).first()
            if bdm is None:
                raise exception.NotFound('No volume Block Device Mapping with id %s.'
                                         % old_volume_id)
        if not any(a.get('instance') == uuid for a in old['attachments']):
            raise exception.BadRequest('Invalid volume: Old volume is attached to a '
                                       'different instance.')
        if new['attach_status'] == 'attached':
            raise exception.BadRequest('Invalid volume: New volume must be detached in '
                                       'order to swap.')
        if int(new['size']) < int(old['size']):
            raise exception.BadRequest('Invalid volume: New volume must be the same size '
                                       'or larger.')
        try:
            vm.begin_detaching(pctx, old_volume_id)
        except exception.CloudstackError as exc:
            raise exception.BadRequest('Invalid volume: %s' % exc)
        new_attachment = None
        try:
            # the rest of the volume's read/write attachments would lose it
            writers = [a for a in vm.get_volume(pctx, old_volume_id)['attachments']
                       if a.get('attach_mode', 'rw') == 'rw']
            if len(writers) > 1:
                raise exception.BadRequest(
                    'Swapping multi-attach volumes with more than one read/write '
                    'attachment is not supported.')
            new_attachment = vm.attachment_create(pctx, new_volume_id, uuid)
            with self.write() as s:
                inst = self.instance_row(s, ctx, uuid, lock=True)
                self._check(inst, ctx, 'swap_volume', _SWAP_STATES)
                self.record_action(s, ctx, inst, 'swap_volume')
                rpc.cast(s, 'compute.server_action', {
                    'uuid': uuid, 'action': 'swap_volume', 'old_volume_id': old_volume_id,
                    'new_volume_id': new_volume_id,
                    'new_attachment_id': new_attachment['id']}, inst.host, uuid)
        except Exception:
            vm.roll_detaching(pctx, old_volume_id)
            if new_attachment is not None:
                vm.attachment_delete(pctx, new_attachment['id'])
            raise
