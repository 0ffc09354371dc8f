"""Servers: create (quota, scheduling and claim in one transaction), list with
Nova's filters, show, update, delete, metadata and tags."""
import base64
import datetime
import logging
import re
import secrets
import uuid as uuidlib

import sqlalchemy as sa

from cloudstack import exception
from cloudstack.conf import CONF
from cloudstack.db.models import utcnow
from cloudstack.compute import hosts, models, network_api, rpc, scheduler, states
from cloudstack.compute.manager.base import (
    InstanceInvalidState, InstanceLocked, NoValidHost, is_admin)
from cloudstack.compute.manager.flavors import flavor_dict

LOG = logging.getLogger(__name__)

I = models.Instance
SORT_KEYS = ('access_ip_v4', 'access_ip_v6', 'auto_disk_config', 'availability_zone',
             'config_drive', 'created_at', 'display_description', 'display_name', 'host',
             'hostname', 'image_ref', 'instance_type_id', 'kernel_id', 'key_name',
             'launch_index', 'launched_at', 'locked', 'locked_by', 'node', 'power_state',
             'progress', 'project_id', 'ramdisk_id', 'root_device_name', 'task_state',
             'terminated_at', 'updated_at', 'user_id', 'uuid', 'vm_state')
# Sort keys that exist in Nova but that the API refuses.
BAD_SORT_KEYS = ('deleted', 'cleaned', 'default_ephemeral_device', 'default_swap_device',
                 'display_name_lower' 'ephemeral_key_uuid', 'locked_by', 'id', 'numa_topology',
                 'pci_requests', 'security_groups', 'vm_mode', 'info_cache', 'reservation_id',
                 'system_metadata', 'metadata', 'ephemeral_gb', 'extra', 'internal_id')
_SORT_COLUMN = {'display_name': I.display_name, 'display_description': I.display_description,
                'access_ip_v4': I.access_ip_v4, 'access_ip_v6': I.access_ip_v6,
                'instance_type_id': I.memory_mb}
COLUMNS = [c.name for c in I.__table__.columns]
HOSTNAME_MAX = 63            # dnsmasq's limit, the lowest of the resolvers'
_HOSTNAME_DASHED = re.compile(r'[ _.]')
_HOSTNAME_DROPPED = re.compile(r'[^\w.-]+')


def sanitize_hostname(name):
    """The hostname Nova derives from a server's name: characters beyond
    Latin-1 dropped, cut to 63, spaces, underscores and dots made dashes,
    other characters outside word characters and dashes removed, lower case,
    no leading or trailing dash or dot. May be '' (the caller picks one)."""
    host = (name or '').encode('latin-1', 'ignore').decode('latin-1')[:HOSTNAME_MAX]
    host = _HOSTNAME_DROPPED.sub('', _HOSTNAME_DASHED.sub('-', host))
    return host.lower().strip('.-')


def default_hostname(name, uuid, index=0, count=1):
    """A new server's hostname when none was asked for: from its name (with
    the index of a multiple create), else Server-<uuid>."""
    host = sanitize_hostname(name)
    if not host:
        return 'Server-%s' % uuid
    return '%s-%d' % (host, index + 1) if count > 1 else host


def _lock_state(inst, ctx):
    return inst.locked and not is_admin(ctx) and inst.locked_by != 'owner' or False


class Servers:

    # Records -----------------------------------------------------------------

    def records(self, session, rows, with_groups=False):
        """Dicts of `rows` (Instance objects or Core rows of its table) with
        everything the API shows of them."""
        ids = [r.id for r in rows]
        meta = {i: {} for i in ids}
        tags = {i: [] for i in ids}
        bdms = {i: [] for i in ids}
        faults = {}
        groups = {r.uuid: [] for r in rows}
        if ids:
            # Core rows, not ORM objects: a server's GET runs these on every poll
            M, T, B = (models.InstanceMetadata, models.InstanceTag,
                       models.BlockDeviceMapping)
            for instance_id, key, value in session.execute(sa.select(
                    M.instance_id, M.key, M.value).where(M.instance_id.in_(ids))):
                meta[instance_id][key] = value
            for instance_id, tag in session.execute(sa.select(T.instance_id, T.tag).where(
                    T.instance_id.in_(ids)).order_by(T.tag)):
                tags[instance_id].append(tag)
            for b in session.execute(sa.select(B.__table__).where(
                    B.instance_id.in_(ids)).order_by(B.id)):
                bdms[b.instance_id].append(dict(b._mapping))
            bad = [r.id for r in rows if r.vm_state in (states.ERROR, states.DELETED)]
            if bad:
                for f in session.scalars(sa.select(models.InstanceFault).where(
                        models.InstanceFault.instance_id.in_(bad)).order_by(
                        models.InstanceFault.id)):
                    faults[f.instance_id] = {'code': f.code, 'message': f.message,
                                             'details': f.details, 'created': f.created_at,
                                             'host': f.host}
            if with_groups:
                for uuid, group_uuid in session.execute(
                        sa.select(models.ServerGroupMember.instance_uuid,
                                  models.ServerGroup.uuid).join(
                            models.ServerGroup, models.ServerGroup.id
                            == models.ServerGroupMember.group_id).where(
                            models.ServerGroupMember.instance_uuid.in_(list(groups)))):
                    groups[uuid].append(group_uuid)
        out = []
        for r in rows:
            rec = {name: getattr(r, name) for name in COLUMNS}
            rec['metadata'] = meta[r.id]
            rec['tags'] = tags[r.id]
            rec['bdms'] = bdms[r.id]
            rec['fault'] = faults.get(r.id)
            rec['status'] = states.status(r.vm_state, r.task_state)
            rec['server_groups'] = groups[r.uuid]
            rec['name'] = 'instance-%08x' % r.id
            out.append(rec)
        return out

    def get_server(self, ctx, uuid, deleted=False, with_groups=True):
        """The server's record; its 'server_groups' left empty without `with_groups`."""
        with self.read() as s:
            # a Core row (records() reads columns only): every poll of a waiting client
            inst = s.execute(sa.select(I.__table__).where(I.uuid == str(uuid))).first()
            self.visible(inst, ctx, uuid, deleted)
            return self.records(s, [inst], with_groups=with_groups)[0]

    # Create ------------------------------------------------------------------

    def create_servers(self, ctx, spec):
        """Create min_count..max_count servers from `spec` (see api/servers.py);
        returns (records, reservation_id). Each is scheduled and claimed here;
        one that fits nowhere is created in ERROR with a NoValidHost fault."""
        flavor = spec['flavor']
        image = spec.get('image') or {}
        bdms = spec.get('block_devices') or []
        volume_backed = any(b.get('boot_index') == 0 and b['destination_type'] == 'volume'
                            for b in bdms)
        key_data = None
        if spec.get('key_name'):
            with self.read() as s:
                k = s.scalars(sa.select(models.KeyPair).where(
                    models.KeyPair.user_id == ctx.user_id,
                    models.KeyPair.name == spec['key_name'])).first()
                if k is None:
                    raise exception.BadRequest('Invalid key_name provided.')
                key_data = k.public_key
        if image and not volume_backed:
            self._check_image_fits(image, flavor)
        group = None
        if spec.get('group'):
            with self.read() as s:
                group = s.scalars(sa.select(models.ServerGroup).where(
                    models.ServerGroup.uuid == spec['group'])).first()
                if group is None:
                    raise exception.BadRequest('Invalid server group %s' % spec['group'])
                s.expunge(group)
        networks = network_api.validate_requested(ctx, spec.get('networks'))
        if networks != 'none':
            network_api.validate_security_groups(ctx, spec.get('security_groups'))
        metadata = spec.get('metadata') or {}
        min_count, max_count = spec.get('min_count', 1), spec.get('max_count', 1)
        reservation_id = 'r-' + secrets.token_hex(4)
        disk_gb = (0 if volume_backed else flavor['root_gb']) + flavor['ephemeral_gb'] + \
            (flavor['swap'] + 1023) // 1024
        system_metadata = {'image_' + k: v for k, v in (image.get('properties') or {}).items()}
        for key in ('min_ram', 'min_disk', 'disk_format', 'container_format'):
            if image.get(key) is not None:
                system_metadata['image_' + key] = image[key]
        system_metadata.update({
            'networks': networks, 'security_groups': spec.get('security_groups'),
            'image_name': image.get('name'), 'scheduler_hints': spec.get('scheduler_hints') or {},
            'personality': spec.get('personality') or [],
            'admin_pass': spec.get('admin_pass'), 'boot_index0_volume': volume_backed})
        created = []
        with self.write() as s:
            self.lock_project(s, ctx.project_id)
            self.check_simple_limit(s, ctx.project_id, 'metadata_items', len(metadata),
                                    'Quota exceeded for metadata_items: too many '
                                    'metadata items (%d)' % len(metadata))
            count = self._fit_count(s, ctx, flavor, min_count, max_count)
            if group is not None:
                group = s.get(models.ServerGroup, group.id)
                members = s.scalar(sa.select(sa.func.count()).where(
                    models.ServerGroupMember.group_id == group.id))
                limit = self.project_limits(s, ctx.project_id)['server_group_members']
                if 0 <= limit < members + count:
                    raise exception.Forbidden('Quota exceeded, too many servers in group')
            for index in range(count):
                inst = self._new_instance(ctx, spec, flavor, image, index, count,
                                          reservation_id, key_data, system_metadata)
                s.add(inst)
                s.flush()
                for k, v in metadata.items():
                    s.add(models.InstanceMetadata(instance_id=inst.id, key=k, value=v))
                for tag in spec.get('tags') or []:
                    s.add(models.InstanceTag(instance_id=inst.id, tag=tag))
                for b in bdms:
                    s.add(models.BlockDeviceMapping(
                        uuid=str(uuidlib.uuid4()), instance_id=inst.id, **b))
                if group is not None:
                    s.add(models.ServerGroupMember(group_id=group.id, instance_uuid=inst.uuid))
                self.record_action(s, ctx, inst, 'create')
                s.flush()
                self._schedule(s, inst, spec, flavor, image, disk_gb, group)
                created.append(inst)
            return self.records(s, created), reservation_id

    def _check_image_fits(self, image, flavor):
        if image.get('status') != 'active':
            raise exception.BadRequest('Image %s is not active.' % image['id'])
        if flavor['memory_mb'] < (image.get('min_ram') or 0):
            raise exception.BadRequest("Flavor's memory is too small for requested image.")
        if flavor['root_gb']:
            if (image.get('size') or 0) > flavor['root_gb'] * 1024 ** 3:
                raise exception.BadRequest("Flavor's disk is too small for requested image.")
            if (image.get('min_disk') or 0) > flavor['root_gb']:
                raise exception.BadRequest("Flavor's disk is too small for requested image.")

    def _fit_count(self, s, ctx, flavor, min_count, max_count):
        """The most servers between min_count and max_count the quota allows."""
        deltas = lambda n: {'instances': n, 'cores': n * flavor['vcpus'],  # noqa: E731
                            'ram': n * flavor['memory_mb']}
        try:
            self.check_quota(s, ctx.project_id, ctx.user_id, deltas(max_count))
            return max_count
        except exception.Forbidden:
            if max_count == min_count:
                raise
        for n in range(max_count - 1, min_count - 1, -1):
            try:
                self.check_quota(s, ctx.project_id, ctx.user_id, deltas(n))
                return n
            except exception.Forbidden:
                continue
        self.check_quota(s, ctx.project_id, ctx.user_id, deltas(min_count))
        return min_count

    def _new_instance(self, ctx, spec, flavor, image, index, count, reservation_id,
                      key_data, system_metadata):
        uuid = str(uuidlib.uuid4())
        hostname = spec.get('hostname') or default_hostname(spec['name'], uuid, index, count)
        name = spec['name']
        if count > 1:
            name = '%s-%d' % (name, index + 1)
        return I(
            uuid=uuid, display_name=name,
            display_description=spec.get('description'), hostname=hostname,
            project_id=ctx.project_id, user_id=ctx.user_id,
            image_ref=spec.get('image_ref') or '', flavor=flavor, vcpus=flavor['vcpus'],
            memory_mb=flavor['memory_mb'], root_gb=flavor['root_gb'],
            ephemeral_gb=flavor['ephemeral_gb'],
            vm_state=states.BUILDING, task_state=states.SCHEDULING,
            power_state=states.NOSTATE,
            requested_availability_zone=spec.get('availability_zone'),
            key_name=spec.get('key_name'), key_data=key_data,
            user_data=spec.get('user_data'),
            config_drive='True' if spec.get('config_drive') else '',
            access_ip_v4=spec.get('access_ip_v4'), access_ip_v6=spec.get('access_ip_v6'),
            launch_index=index, reservation_id=reservation_id,
            auto_disk_config=spec.get('disk_config') == 'AUTO',
            root_device_name='/dev/vda', kernel_id=(image.get('properties') or {}).get(
                'kernel_id') or '', ramdisk_id=(image.get('properties') or {}).get(
                'ramdisk_id') or '',
            system_metadata=dict(system_metadata), network_info=[],
            trusted_certs=spec.get('trusted_certs'))

    def _group_request(self, s, group):
        if group is None:
            return None
        counts = {}
        for host, in s.execute(sa.select(I.host).join(
                models.ServerGroupMember, models.ServerGroupMember.instance_uuid == I.uuid)
                .where(models.ServerGroupMember.group_id == group.id, I.deleted.is_(False),
                       I.host.is_not(None))):
            counts[host] = counts.get(host, 0) + 1
        return {'policy': group.policy, 'rules': group.rules or {},
                'hosts': list(counts), 'host_counts': counts}

    def request_for(self, s, inst, flavor, disk_gb, group=None, hints=None, **extra):
        hints = hints or {}
        as_list = lambda v: v if isinstance(v, list) else ([v] if v else [])  # noqa: E731
        return scheduler.Request(
            consumer_id=inst.uuid, project_id=inst.project_id, vcpus=flavor['vcpus'],
            memory_mb=flavor['memory_mb'], disk_gb=disk_gb,
            availability_zone=inst.requested_availability_zone,
            extra_specs=flavor.get('extra_specs') or {},
            image_properties={k[6:]: v for k, v in (inst.system_metadata or {}).items()
                              if k.startswith('image_')},
            group=self._group_request(s, group),
            same_host=as_list(hints.get('same_host')),
            different_host=as_list(hints.get('different_host')), **extra)

    def _schedule(self, s, inst, spec, flavor, image, disk_gb, group):
        request = self.request_for(s, inst, flavor, disk_gb, group,
                                   spec.get('scheduler_hints'),
                                   force_host=spec.get('force_host'),
                                   force_node=spec.get('force_node'))
        try:
            state = scheduler.select_and_claim(s, request)
        except NoValidHost as exc:
            inst.vm_state, inst.task_state = states.ERROR, None
            self.add_fault(s, inst, exc, host=None)
            return
        inst.host, inst.node = state.host, state.node.hypervisor_hostname
        inst.launched_on = state.host
        inst.availability_zone = state.availability_zone
        inst.task_state = states.NETWORKING
        rpc.cast(s, 'compute.build_instance', {'uuid': inst.uuid}, state.host, inst.uuid)

    # List ----------------------------------------------------------------------

    def list_servers(self, ctx, filters, sort, limit, marker, all_projects=False):
        """Records of the servers matching `filters` (see api/servers.py)."""
        with self.read() as s:
            stmt = sa.select(I)
            if not all_projects or not is_admin(ctx):
                stmt = stmt.where(I.project_id == ctx.project_id)
            elif filters.get('project_id'):
                stmt = stmt.where(I.project_id == filters['project_id'])
            stmt = self._filtered(stmt, filters)
            if stmt is None:
                return []
            marker_row = None
            if marker is not None:
                marker_row = s.scalars(sa.select(I).where(I.uuid == marker)).first()
                if marker_row is None:
                    raise exception.BadRequest('marker [%s] not found' % marker)
            order = []
            for key, direction in sort:
                col = _SORT_COLUMN.get(key, getattr(I, key, None))
                order.append((col, direction))
            if not any(c is I.id for c, _ in order):
                order.append((I.id, order[-1][1] if order else 'desc'))
            for col, direction in order:
                stmt = stmt.order_by(col.desc() if direction == 'desc' else col.asc())
            if marker_row is not None:
                ors = []
                for i, (col, direction) in enumerate(order):
                    ands = [_eq(c, _value(marker_row, c)) for c, _ in order[:i]]
                    value = _value(marker_row, col)
                    if value is None:
                        if direction == 'desc':
                            continue
                        ands.append(col.is_not(None))
                    else:
                        ands.append(sa.or_(col < value, col.is_(None))
                                    if direction == 'desc' else col > value)
                    ors.append(sa.and_(*ands))
                stmt = stmt.where(sa.or_(*ors))
            if limit is not None:
                stmt = stmt.limit(limit)
            rows = list(s.scalars(stmt))
            return self.records(s, rows)

    def _filtered(self, stmt, f):
        if f.get('deleted') is True:
            stmt = stmt.where(I.deleted.is_(True))
        elif f.get('changes-since') is None and f.get('deleted') is not None:
            stmt = stmt.where(I.deleted.is_(False))
        elif f.get('changes-since') is None:
            stmt = stmt.where(I.deleted.is_(False))
        if f.get('changes-since') is not None:
            stmt = stmt.where(I.updated_at >= f['changes-since'])
        if f.get('changes-before') is not None:
            stmt = stmt.where(I.updated_at <= f['changes-before'])
        if 'status' in f:
            clauses = []
            for name in f['status']:
                vm, by_task = states.vm_states_for_status(name)
                for vm_state in vm:
                    excluded = [t for t, st in _task_map(vm_state).items() if st != name.upper()]
                    clause = I.vm_state == vm_state
                    if excluded:
                        clause = sa.and_(clause, sa.or_(I.task_state.is_(None),
                                                        I.task_state.not_in(excluded)))
                    clauses.append(clause)
                for vm_state, tasks in by_task.items():
                    clauses.append(sa.and_(I.vm_state == vm_state, I.task_state.in_(tasks)))
            if not clauses:
                return None
            stmt = stmt.where(sa.or_(*clauses))
        for key, column in (('vm_state', I.vm_state), ('task_state', I.task_state),
                            ('host', I.host), ('node', I.node),
                            ('availability_zone', I.availability_zone),
                            ('reservation_id', I.reservation_id), ('user_id', I.user_id),
                            ('key_name', I.key_name), ('launch_index', I.launch_index),
                            ('power_state', I.power_state), ('hostname', I.hostname),
                            ('uuid', I.uuid), ('config_drive', I.config_drive),
                            ('kernel_id', I.kernel_id), ('ramdisk_id', I.ramdisk_id)):
            if key in f:
                values = f[key] if isinstance(f[key], list) else [f[key]]
                stmt = stmt.where(column.in_(values))
        if 'image' in f:
            stmt = stmt.where(I.image_ref == f['image'])
        if 'flavor' in f:
            stmt = stmt.where(sa.cast(I.flavor, sa.String).like(
                '%%"flavorid": "%s"%%' % f['flavor'].replace('%', '')))
        if 'locked' in f:
            stmt = stmt.where(I.locked.is_(f['locked']))
        if 'name' in f:
            stmt = stmt.where(I.display_name.regexp_match(f['name']))
        for key, column in (('description', I.display_description),
                            ('access_ip_v4', I.access_ip_v4), ('access_ip_v6', I.access_ip_v6)):
            if key in f:
                stmt = stmt.where(column.like('%' + f[key] + '%'))
        tagged = sa.select(models.InstanceTag.instance_id)
        if f.get('tags'):
            for tag in f['tags']:
                stmt = stmt.where(I.id.in_(tagged.where(models.InstanceTag.tag == tag)))
        if f.get('tags-any'):
            stmt = stmt.where(I.id.in_(tagged.where(models.InstanceTag.tag.in_(f['tags-any']))))
        if f.get('not-tags'):
            having_all = sa.and_(*[I.id.in_(tagged.where(models.InstanceTag.tag == t))
                                   for t in f['not-tags']])
            stmt = stmt.where(sa.not_(having_all))
        if f.get('not-tags-any'):
            stmt = stmt.where(I.id.not_in(tagged.where(
                models.InstanceTag.tag.in_(f['not-tags-any']))))
        return stmt

    # Update, delete -------------------------------------------------------------

    def update_server(self, ctx, uuid, changes):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            if 'requested_availability_zone' in changes:
                self._check_pin(inst, changes['requested_availability_zone'])
            for key, value in changes.items():
                setattr(inst, key, value)
            inst.updated_at = utcnow()
            s.flush()
            return self.records(s, [inst], with_groups=True)[0]

    @staticmethod
    def _check_pin(inst, zone):
        """Nova 2.104: unpin (None) any time; pin only to the zone the server is
        in, and a pinned server only to its own zone (unpin first)."""
        pinned = inst.requested_availability_zone
        if zone is None or zone == pinned:
            return
        if pinned is not None:
            raise exception.Conflict('Cannot change pinned availability zone directly. '
                                     'Unpin first by setting pinned_availability_zone '
                                     'to null.')
        if zone != inst.availability_zone:
            raise exception.Conflict("Server can only be pinned to its current availability "
                                     "zone '%s', but '%s' was requested."
                                     % (inst.availability_zone, zone))

    def check_not_locked(self, inst, ctx):
        if inst.locked and not is_admin(ctx):
            raise InstanceLocked(uuid=inst.uuid)

    def delete_server(self, ctx, uuid, force=False):
        """Delete (or, with reclaim_instance_interval, soft-delete) a server."""
        local = False
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self.check_not_locked(inst, ctx)
            if inst.task_state == states.DELETING:
                return
            if inst.vm_state == states.SOFT_DELETED and not force:
                raise InstanceInvalidState(action='delete', uuid=uuid, attr='vm_state',
                                           state=inst.vm_state)
            self.record_action(s, ctx, inst, 'delete')
            soft = (CONF.compute.reclaim_instance_interval > 0 and not force
                    and inst.vm_state not in (states.ERROR, states.BUILDING))
            if inst.host is None or not hosts.is_up(inst.host) or \
                    inst.vm_state == states.SHELVED_OFFLOADED:
                local = True
                inst.task_state = states.DELETING
            elif soft:
                inst.task_state = states.SOFT_DELETING
                rpc.cast(s, 'compute.server_action', {'uuid': uuid, 'action': 'soft_delete'},
                         inst.host, uuid)
            else:
                inst.task_state = states.DELETING
                rpc.cast(s, 'compute.terminate_instance', {'uuid': uuid}, inst.host, uuid)
        if local:
            self.finish_delete(ctx, uuid)

    def finish_delete(self, ctx, uuid, host=None):
        """Free what a server holds (ports, volumes, claims) and mark it deleted;
        the driver's part is already done (or there is none)."""
        with self.read() as s:
            inst = s.scalars(sa.select(I).where(I.uuid == uuid)).first()
            if inst is None or inst.deleted:
                return
            s.expunge(inst)
        network_api.deallocate_for_instance(ctx, inst)
        self.release_volumes(ctx, inst)
        with self.write() as s:
            inst = s.scalars(sa.select(I).where(I.uuid == uuid)).first()
            if inst is None or inst.deleted:
                return
            scheduler.release(s, uuid)
            for mig in s.scalars(sa.select(models.Migration).where(
                    models.Migration.instance_uuid == uuid,
                    models.Migration.status.not_in(('confirmed', 'reverted', 'error',
                                                    'failed', 'completed', 'done')))):
                scheduler.release(s, mig.uuid)
                mig.status = 'error'
            s.execute(sa.delete(models.ServerGroupMember).where(
                models.ServerGroupMember.instance_uuid == uuid))
            s.execute(sa.delete(models.BlockDeviceMapping).where(
                models.BlockDeviceMapping.instance_id == inst.id))
            now = utcnow()
            inst.vm_state, inst.task_state = states.DELETED, None
            inst.power_state = states.NOSTATE
            inst.deleted, inst.deleted_at, inst.terminated_at = True, now, now
            inst.network_info = []
            action = self.latest_action(s, uuid)
            if action is not None and action.action == 'delete':
                action.finish_time = now

    def release_volumes(self, ctx, inst):
        """Detach the server's volumes in Block Storage (and delete those
        marked delete_on_termination)."""
        from cloudstack.compute import volume_api
        volume_api.release_instance_volumes(ctx, inst)

    def restore_server(self, ctx, uuid):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            if inst.vm_state != states.SOFT_DELETED:
                raise InstanceInvalidState(action='restore', uuid=uuid, attr='vm_state',
                                           state=inst.vm_state)
            self.record_action(s, ctx, inst, 'restore')
            inst.task_state = states.RESTORING
            rpc.cast(s, 'compute.server_action', {'uuid': uuid, 'action': 'restore'},
                     inst.host, uuid)

    # Metadata and tags ------------------------------------------------------------

    def set_metadata(self, ctx, uuid, metadata, replace=False):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self.check_not_locked(inst, ctx)
            if inst.task_state in (states.DELETING, states.SOFT_DELETING) or \
                    inst.vm_state in (states.BUILDING,) and False:
                raise InstanceInvalidState(action='update metadata', uuid=uuid,
                                           attr='task_state', state=inst.task_state)
            M = models.InstanceMetadata
            current = {m.key: m for m in s.scalars(sa.select(M).where(M.instance_id == inst.id))}
            final = dict(metadata) if replace else dict(
                {k: m.value for k, m in current.items()}, **metadata)
            self.check_simple_limit(s, inst.project_id, 'metadata_items', len(final),
                                    'Quota exceeded for metadata_items: too many metadata '
                                    'items (%d)' % len(final))
            for key, row in current.items():
                if key not in final:
                    s.delete(row)
                elif row.value != final[key]:
                    row.value = final[key]
            for key, value in final.items():
                if key not in current:
                    s.add(M(instance_id=inst.id, key=key, value=value))
            inst.updated_at = utcnow()
            return final

    def delete_metadata(self, ctx, uuid, key):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            self.check_not_locked(inst, ctx)
            row = s.get(models.InstanceMetadata, (inst.id, key))
            if row is None:
                raise exception.NotFound('Metadata item was not found')
            s.delete(row)
            inst.updated_at = utcnow()

    def set_tags(self, ctx, uuid, tags, replace=True):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            T = models.InstanceTag
            current = set(s.scalars(sa.select(T.tag).where(T.instance_id == inst.id)))
            final = set(tags) if replace else current | set(tags)
            if len(final) > 50:
                raise exception.BadRequest('The number of tags exceeded the per-server '
                                           'limit 50')
            if inst.vm_state not in (states.ACTIVE, states.PAUSED_VM, states.SUSPENDED_VM,
                                     states.STOPPED, states.RESCUED, states.RESIZED,
                                     states.SHELVED, states.SHELVED_OFFLOADED, states.ERROR,
                                     states.BUILDING, states.SOFT_DELETED):
                raise InstanceInvalidState(action='update tags', uuid=uuid,
                                           attr='vm_state', state=inst.vm_state)
            s.execute(sa.delete(T).where(T.instance_id == inst.id, T.tag.not_in(final)))
            for tag in final - current:
                s.add(T(instance_id=inst.id, tag=tag))
            inst.updated_at = utcnow()
            return sorted(final), tags[0] not in current if len(tags) == 1 else None

    def delete_tag(self, ctx, uuid, tag=None):
        with self.write() as s:
            inst = self.instance_row(s, ctx, uuid, lock=True)
            T = models.InstanceTag
            stmt = sa.delete(T).where(T.instance_id == inst.id)
            if tag is not None:
                stmt = stmt.where(T.tag == tag)
            if not s.execute(stmt).rowcount and tag is not None:
                raise exception.NotFound('Tag %s could not be found for instance %s.'
                                         % (tag, uuid))
            inst.updated_at = utcnow()

    # For the metadata service --------------------------------------------------

    def get_instance_metadata(self, ctx, instance_id):
        """(driver Instance, network_info, extra) of a server, for the metadata
        service; NotFound if there is none. The network_info is Networking's
        now (floating IPs associated since the boot included)."""
        from cloudstack.compute import agent, network_api
        with self.read() as s:
            inst = self.instance_row(s, None, instance_id)
            s.expunge(inst)
        found = agent.driver_instance(inst)
        return found, network_api.current(inst), found.extra

    def set_instance_password(self, ctx, instance_id, password):
        """Keep the encrypted password a guest posts (once)."""
        with self.write() as s:
            inst = self.instance_row(s, None, instance_id, lock=True)
            sysmeta = dict(inst.system_metadata or {})
            if sysmeta.get('password'):
                raise exception.Conflict('The password is already set.')
            sysmeta['password'] = password
            inst.system_metadata = sysmeta

    # Instance actions --------------------------------------------------------------

    def list_actions(self, ctx, uuid, limit=None, marker=None, since=None, before=None):
        with self.read() as s:
            self.instance_row(s, ctx, uuid, deleted=True)
            A = models.InstanceAction
            stmt = sa.select(A).where(A.instance_uuid == uuid)
            if since is not None:
                stmt = stmt.where(A.updated_at >= since)
            if before is not None:
                stmt = stmt.where(A.updated_at <= before)
            if marker is not None:
                m = s.scalars(sa.select(A).where(A.instance_uuid == uuid,
                                                 A.request_id == marker)).first()
                if m is None:
                    raise exception.BadRequest('marker [%s] not found' % marker)
                stmt = stmt.where(A.id < m.id)
            stmt = stmt.order_by(A.id.desc())
            if limit is not None:
                stmt = stmt.limit(limit)
            return [_action_dict(a) for a in s.scalars(stmt)]

    def get_action(self, ctx, uuid, request_id):
        with self.read() as s:
            inst = self.instance_row(s, ctx, uuid, deleted=True)
            A = models.InstanceAction
            a = s.scalars(sa.select(A).where(A.instance_uuid == uuid,
                                             A.request_id == request_id)).first()
            if a is None:
                raise exception.NotFound('Action for request_id %s on instance %s not '
                                         'found' % (request_id, uuid))
            out = _action_dict(a)
            E = models.InstanceActionEvent
            out['events'] = [
                {'event': e.event, 'start_time': e.start_time, 'finish_time': e.finish_time,
                 'result': e.result, 'traceback': e.traceback, 'host': e.host,
                 'details': e.details, 'project_id': inst.project_id}
                for e in s.scalars(sa.select(E).where(E.action_id == a.id).order_by(E.id))]
            return out


def _task_map(vm_state):
    return states._STATUS.get(vm_state, ('', {}))[1]


def _value(row, col):
    return getattr(row, col.key)


def _eq(col, value):
    return col.is_(None) if value is None else col == value


def _action_dict(a):
    return {'action': a.action, 'instance_uuid': a.instance_uuid, 'request_id': a.request_id,
            'user_id': a.user_id, 'project_id': a.project_id, 'start_time': a.start_time,
            'finish_time': a.finish_time, 'message': a.message, 'updated_at': a.updated_at}


def decode_user_data(value):
    return base64.b64decode(value) if value else None


def parse_time(value, name):
    try:
        parsed = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    except (ValueError, AttributeError):
        raise exception.BadRequest('Invalid %s value: %s' % (name, value))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return parsed


__all__ = ['Servers', 'flavor_dict']
