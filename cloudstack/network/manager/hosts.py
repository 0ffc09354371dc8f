"""The host side: where DHCP servers and routers run, what each host's
dataplane should be (`host_state`), port status from the agents
(`update_port_status`) and the events Compute waits for."""
import logging
import uuid

import sqlalchemy as sa

from cloudstack.conf import CONF
from cloudstack import context as cs_context
from cloudstack.network import exceptions as exc
from cloudstack.network import ipam
from cloudstack.network import models
from cloudstack.network.manager import agents as agents_view
from cloudstack.network.manager import base

LOG = logging.getLogger(__name__)

DHCP_NAMESPACE = uuid.UUID('0b6a8f4e-6d0c-4c55-8f5e-2f8a3d1c9e21')


def dhcp_device_id(host, network_id):
    """Neutron's device_id of a DHCP port: dhcp<host uuid>-<network id>."""
    return 'dhcp%s-%s' % (uuid.uuid5(DHCP_NAMESPACE, host), network_id)


def _compute_port(port):
    return bool(port and port['device_id'] and
                (port['device_owner'] or '').startswith('compute:'))


def _event(name, port, status='completed'):
    return {'name': name, 'server_uuid': port['device_id'], 'tag': port['id'],
            'status': status}


class Hosts:

    # -- what a host should have ------------------------------------------

    def host_state(self, ctx, host):
        """Everything `host`'s dataplane should be, as Neutron API dicts (see
        cloudstack/network/drivers/base.py)."""
        details = self.host_details()
        with self.read() as s:
            admin = cs_context.RequestContext.admin()
            routers = base.rows(s, models.Router, models.Router.host == host)
            router_ids = [r.id for r in routers]
            dhcp_networks = list(s.scalars(sa.select(models.NetworkDHCPHost.network_id)
                                           .where(models.NetworkDHCPHost.host == host)))
            router_networks = set(s.scalars(sa.select(models.Port.network_id).distinct()
                                            .join(models.RouterPort,
                                                  models.RouterPort.port_id == models.Port.id)
                                            .where(models.RouterPort.router_id.in_(
                                                router_ids or ['']))))
            served = set(dhcp_networks) | router_networks
            port_rows = base.rows(s, models.Port, sa.or_(
                models.Port.host == host, models.Port.network_id.in_(list(served) or [''])),
                order_by=(models.Port.created_at, models.Port.id))
            ports = self.port_dicts(s, port_rows)
            network_ids = sorted({p['network_id'] for p in ports} | served)
            networks = self.network_dicts(s, admin, base.rows(
                s, models.Network, models.Network.id.in_(network_ids or ['']),
                order_by=(models.Network.id,)))
            subnets = self.subnet_dicts(s, base.rows(
                s, models.Subnet, models.Subnet.network_id.in_(network_ids or ['']),
                order_by=(models.Subnet.created_at, models.Subnet.id)))
            local = [p for p in ports if p['binding:host_id'] == host]
            groups = self._host_groups(s, local)
            return {
                'host': host,
                'networks': networks,
                'subnets': subnets,
                'ports': ports,
                'security_groups': groups,
                'address_groups': self._host_address_groups(s, groups),
                'routers': self.router_states(s, admin, routers),
                'dhcp_networks': dhcp_networks,
                'tunnel_peers': self._tunnel_peers(s, host, networks, details),
                'local_ip': (details.get(host) or {}).get('local_ip') or (
                    CONF.network.local_ip if host == CONF.host else None),
                'metadata': self._metadata(),
            }

    def bound_ports(self, ctx, host):
        """The part of host_state a driver that builds nothing needs: the
        host and the ids of the ports bound to it."""
        with self.read() as s:
            return {'host': host, 'ports': [{'id': pid} for pid in s.scalars(
                sa.select(models.Port.id).where(models.Port.host == host))]}

    def _host_groups(self, session, ports):
        """The groups of `ports` and the groups their rules name as remote,
        each with its member IPs by ethertype."""
        wanted = {g for p in ports if p['port_security_enabled']
                  for g in p['security_groups']}
        rows = base.rows(session, models.SecurityGroup,
                         models.SecurityGroup.id.in_(list(wanted) or ['']))
        remote = {r['remote_group_id'] for g in self.group_dicts(session, rows)
                  for r in g['security_group_rules'] if r['remote_group_id']}
        if remote - wanted:
            rows += base.rows(session, models.SecurityGroup,
                              models.SecurityGroup.id.in_(list(remote - wanted)))
        groups = {g['id']: g for g in self.group_dicts(session, rows)}
        members = {gid: {'IPv4': [], 'IPv6': []} for gid in groups}
        if groups:
            member_ports = {}
            for pid, gid in session.execute(
                    sa.select(models.PortSecurityGroup.port_id,
                              models.PortSecurityGroup.security_group_id)
                    .where(models.PortSecurityGroup.security_group_id.in_(list(groups)))):
                member_ports.setdefault(pid, []).append(gid)
            pairs = base.pairs(session, (sa.select(models.Port.id,
                                                   models.Port.allowed_address_pairs)
                                         .where(models.Port.id.in_(list(member_ports)
                                                                   or ['']))))
            for pid, ip in session.execute(
                    sa.select(models.IPAllocation.port_id, models.IPAllocation.ip_address)
                    .where(models.IPAllocation.port_id.in_(list(member_ports) or ['']))):
                for gid in member_ports[pid]:
                    members[gid]['IPv%d' % ipam.address(ip).version].append(ip)
            for pid, port_pairs in pairs.items():
                for pair in port_pairs or []:
                    version = ipam.network(pair['ip_address']).version
                    for gid in member_ports[pid]:
                        members[gid]['IPv%d' % version].append(pair['ip_address'])
        for gid, group in groups.items():
            group['member_ips'] = {k: sorted(set(v)) for k, v in members[gid].items()}
        return groups

    def _host_address_groups(self, session, groups):
        ids = {r['remote_address_group_id'] for g in groups.values()
               for r in g['security_group_rules'] if r['remote_address_group_id']}
        rows = session.scalars(sa.select(models.AddressGroup).where(
            models.AddressGroup.id.in_(list(ids) or [''])))
        return {r.id: self.address_group_dict(r) for r in rows}

    @staticmethod
    def _tunnel_peers(session, host, networks, details):
        vxlan = [n['id'] for n in networks if n['provider:network_type'] == 'vxlan']
        if not vxlan:
            return {}
        ips = {h: d.get('local_ip') for h, d in details.items()}
        peers = {}
        rows = session.execute(sa.select(models.Port.network_id, models.Port.host).distinct()
                               .where(models.Port.network_id.in_(vxlan),
                                      models.Port.host != '', models.Port.host != host))
        for network_id, other in rows:
            if ips.get(other):
                peers.setdefault(network_id, set()).add(ips[other])
        return {nid: sorted(found) for nid, found in peers.items()}

    @staticmethod
    def _metadata():
        """Where the metadata proxies forward to: Compute's metadata app, on
        the API port under /metadata."""
        group = getattr(CONF, 'metadata', None)
        bind_host, _, bind_port = CONF.bind.rpartition(':')
        return {'host': bind_host, 'port': int(bind_port), 'path': '/metadata',
                'shared_secret': getattr(group, 'shared_secret', None) or ''}

    # -- what a host reports ------------------------------------------------

    def update_port_status(self, ctx, host, up, down):
        """Ports bound to `host` that its agent found wired (`up`) or not
        (`down`); sets them ACTIVE or DOWN and tells Compute."""
        events = []
        with self.write() as s:
            for ids, status, event in ((up, 'ACTIVE', 'network-vif-plugged'),
                                       (down, 'DOWN', 'network-vif-unplugged')):
                for chunk in base._chunks(list(ids or [])):
                    rows = s.scalars(sa.select(models.Port).where(
                        models.Port.id.in_(chunk), models.Port.host == host,
                        models.Port.status != status).with_for_update())
                    for row in rows:
                        if status == 'ACTIVE' and not row.admin_state_up:
                            continue
                        row.status = status
                        port = {'id': row.id, 'device_id': row.device_id,
                                'device_owner': row.device_owner}
                        if _compute_port(port):
                            events.append(_event(event, port))
        self.notify_compute(events)
        return events

    def register_host(self, host, local_ip=None):
        """A host's network agent starting: place what no agent was up to
        take (DHCP servers, routers), and when its VTEP address changed, have
        the hosts sharing networks with it sync once its agent has reported
        the new one (at its first heartbeat)."""
        known = (self.host_details().get(host) or {}).get('local_ip')
        with self.write() as s:
            if s.get(models.NetworkHost, host) is None:
                s.add(models.NetworkHost(host=host, sync_pending=False))
                s.flush()
            if known != local_ip:
                peers = set()
                for network_id in s.scalars(sa.select(models.Port.network_id).distinct()
                                            .where(models.Port.host == host)):
                    peers |= self.network_hosts(s, network_id)
                self.request_sync(s, peers - {host}, delay=CONF.report_interval + 1)
            self.schedule_unhosted(s)

    def start_sync(self, host, details=None):
        """A sync of `host` starts: later changes need another one. Its agent
        is there (`details`: what it reports), so the ports whose binding
        to the host failed bind now, as ML2 binds again when the agent asks."""
        events = []
        with self.write() as s:
            s.execute(sa.update(models.NetworkHost).where(models.NetworkHost.host == host)
                      .values(sync_pending=False))
            for row in s.scalars(sa.select(models.Port).where(
                    models.Port.host == host, models.Port.vif_type == 'binding_failed')
                    .with_for_update()):
                self._bind(s, row, host, agent=dict(details or {}))
                if row.vif_type == 'binding_failed':
                    continue
                base.touch(row)
                port = {'id': row.id, 'device_id': row.device_id,
                        'device_owner': row.device_owner}
                if row.status == 'ACTIVE' and _compute_port(port):
                    events.append(_event('network-vif-plugged', port))
        self.notify_compute(events)

    def request_host_sync(self, host, delay=0):
        with self.write() as s:
            self.request_sync(s, [host], delay=delay)

    # -- Compute ----------------------------------------------------------

    @staticmethod
    def notify_compute(events):
        """Send Compute its external instance events (Nova's
        os-server-external-events), when Compute is there."""
        if not events:
            return
        try:
            from cloudstack.compute import manager as compute_manager
        except ImportError:
            return
        target = getattr(compute_manager.get(), 'external_instance_event', None)
        if target is None:
            return
        try:
            target(cs_context.RequestContext.admin(), events)
        except Exception:
            LOG.exception('sending %d events to Compute failed', len(events))

    @staticmethod
    def floating_ip_moved(session, before, fip, events):
        """A floating IP joined or left a port (`before`: its (port id, fixed
        IP) before the change; `fip` None once deleted): the servers on the
        ports hear network-changed (tag = port id), as Neutron tells Nova."""
        after = (fip.fixed_port_id, fip.fixed_ip_address) if fip is not None else (None, None)
        if after == tuple(before):
            return
        port_ids = sorted({before[0], after[0]} - {None})
        for row in session.scalars(sa.select(models.Port).where(models.Port.id.in_(port_ids))):
            port = {'id': row.id, 'device_id': row.device_id, 'device_owner': row.device_owner}
            if _compute_port(port):
                events.append(_event('network-changed', port))

    # -- hooks the resource areas call ------------------------------------

    def port_changed(self, session, row, before, events, after=None):
        """A port was created (before None), changed or deleted (row None):
        ask the hosts it matters to to sync, and record Compute's events."""
        if after is None and row is not None:
            after = self.port_dicts(session, [row])[0]
        port = after or before
        groups = set(port['security_groups'])
        bound = {p['binding:host_id'] for p in (before, after) if p is not None} - {''}
        if before is not None:
            groups |= set(before['security_groups'])
        hosts = self.affected_hosts(session, port['network_id'], groups,
                                    with_ports=bool(bound))
        self.request_sync(session, hosts | bound)
        if after is not None and after['status'] == 'ACTIVE' and _compute_port(after) and (
                before is None or before['status'] != 'ACTIVE'):
            events.append(_event('network-vif-plugged', after))
        if after is None and _compute_port(before):
            events.append(_event('network-vif-deleted', before))
        elif before is not None and _compute_port(after) and (
                before['fixed_ips'] != after['fixed_ips'] or
                before['security_groups'] != after['security_groups']):
            events.append(_event('network-changed', after))

    @staticmethod
    def affected_hosts(session, network_id, group_ids, with_ports=True):
        """In one query: the hosts serving the network (DHCP, routers on it),
        those with ports in the groups or in groups whose rules name them,
        and (with_ports) those with ports on the network."""
        parts = [
            sa.select(models.NetworkDHCPHost.host).where(
                models.NetworkDHCPHost.network_id == network_id),
            sa.select(models.Router.host)
            .join(models.RouterPort, models.RouterPort.router_id == models.Router.id)
            .join(models.Port, models.Port.id == models.RouterPort.port_id)
            .where(models.Port.network_id == network_id, models.Router.host != ''),
        ]
        if with_ports:
            parts.append(sa.select(models.Port.host).where(
                models.Port.network_id == network_id, models.Port.host != ''))
        if group_ids:
            referring = sa.select(models.SecurityGroupRule.security_group_id).where(
                models.SecurityGroupRule.remote_group_id.in_(list(group_ids)))
            parts.append(
                sa.select(models.Port.host).join(
                    models.PortSecurityGroup,
                    models.PortSecurityGroup.port_id == models.Port.id)
                .where(models.Port.host != '', sa.or_(
                    models.PortSecurityGroup.security_group_id.in_(list(group_ids)),
                    models.PortSecurityGroup.security_group_id.in_(referring))))
        return set(session.scalars(sa.union(*parts)))

    def network_router_hosts(self, session, network_id):
        return set(session.scalars(
            sa.select(models.Router.host).distinct()
            .join(models.RouterPort, models.RouterPort.router_id == models.Router.id)
            .join(models.Port, models.Port.id == models.RouterPort.port_id)
            .where(models.Port.network_id == network_id, models.Router.host != '')))

    def subnet_changed(self, session, network, subnet):
        self.schedule_dhcp(session, network.id)
        hosts = self.network_hosts(session, network.id)
        hosts |= self.network_router_hosts(session, network.id)
        self.request_sync(session, hosts)

    # -- DHCP scheduling ------------------------------------------------------

    def schedule_dhcp(self, session, network_id, extra_host=None):
        """Give a network with DHCP subnets its DHCP servers and their ports."""
        dhcp_subnets = list(session.scalars(sa.select(models.Subnet).where(
            models.Subnet.network_id == network_id, models.Subnet.enable_dhcp.is_(True))
            .order_by(models.Subnet.created_at, models.Subnet.id)))
        hosts = set(session.scalars(sa.select(models.NetworkDHCPHost.host).where(
            models.NetworkDHCPHost.network_id == network_id)))
        if extra_host:
            hosts.add(extra_host)
        if dhcp_subnets and len(hosts) < CONF.network.dhcp_agents_per_network:
            network = session.get(models.Network, network_id)
            zones = network.availability_zone_hints or CONF.network.default_availability_zones
            load = base.pairs(session, (
                sa.select(models.NetworkDHCPHost.host, sa.func.count())
                .group_by(models.NetworkDHCPHost.host)))
            candidates = [h for h in self.schedulable_hosts(session, agents_view.DHCP_AGENT,
                                                            zones) if h not in hosts]
            candidates.sort(key=lambda h: (load.get(h, 0), h))
            hosts.update(candidates[:CONF.network.dhcp_agents_per_network - len(hosts)])
        for host in hosts:
            if session.get(models.NetworkDHCPHost, (network_id, host)) is None:
                session.add(models.NetworkDHCPHost(network_id=network_id, host=host))
            self._dhcp_port(session, network_id, host, dhcp_subnets)
        session.flush()
        return hosts

    def _dhcp_port(self, session, network_id, host, dhcp_subnets):
        device_id = dhcp_device_id(host, network_id)
        port = session.scalars(sa.select(models.Port).where(
            models.Port.network_id == network_id, models.Port.device_id == device_id,
            models.Port.device_owner == base.DHCP_OWNER)).first()
        if not dhcp_subnets:
            if port is not None:
                session.delete(port)
            return
        admin = cs_context.RequestContext.admin()
        if port is None:
            network = session.get(models.Network, network_id)
            self._create_port(session, admin, {
                'network_id': network_id, 'tenant_id': network.project_id,
                'device_id': device_id, 'device_owner': base.DHCP_OWNER,
                'binding:host_id': host, 'name': '',
                'fixed_ips': [{'subnet_id': s.id} for s in dhcp_subnets]},
                [], internal=True)
            return
        held = set(session.scalars(sa.select(models.IPAllocation.subnet_id).where(
            models.IPAllocation.port_id == port.id)))
        wanted = {s.id for s in dhcp_subnets}
        if held != wanted:
            self.update_fixed_ips(session, port, [{'subnet_id': sid} for sid in sorted(
                wanted, key=[s.id for s in dhcp_subnets].index)])
            base.touch(port)

    def schedule_unhosted(self, session):
        """Networks with DHCP subnets but no DHCP server, and routers on no
        host (no agent was up when they were made): place them now."""
        unhosted = session.scalars(sa.select(models.Subnet.network_id).distinct().where(
            models.Subnet.enable_dhcp.is_(True),
            models.Subnet.network_id.not_in(sa.select(models.NetworkDHCPHost.network_id))))
        for network_id in list(unhosted):
            self.schedule_dhcp(session, network_id)
            self.request_sync(session, self.network_hosts(session, network_id))
        for router in list(session.scalars(sa.select(models.Router).where(
                models.Router.host == ''))):
            self.schedule_router(session, router)

    def list_dhcp_agents_hosting_network(self, ctx, network_id):
        with self.read() as s:
            self.get_network_row(s, ctx, network_id)
            hosts = set(s.scalars(sa.select(models.NetworkDHCPHost.host).where(
                models.NetworkDHCPHost.network_id == network_id)))
            return [a for a in self.agent_dicts(s)
                    if a['agent_type'] == agents_view.DHCP_AGENT and a['host'] in hosts]

    def list_networks_on_dhcp_agent(self, ctx, agent_id):
        host = self._agent_host(ctx, agent_id, agents_view.DHCP_AGENT)
        with self.read() as s:
            rows = list(s.scalars(sa.select(models.Network).where(models.Network.id.in_(
                sa.select(models.NetworkDHCPHost.network_id).where(
                    models.NetworkDHCPHost.host == host)))))
            return self.network_dicts(s, ctx, rows)

    def add_network_to_dhcp_agent(self, ctx, agent_id, network_id):
        host = self._agent_host(ctx, agent_id, agents_view.DHCP_AGENT)
        with self.write() as s:
            self.get_network_row(s, ctx, network_id)
            if s.get(models.NetworkDHCPHost, (network_id, host)) is not None:
                raise exc.Conflict('The network %s has been already hosted by the DHCP '
                                   'Agent %s.' % (network_id, agent_id))
            self.schedule_dhcp(s, network_id, extra_host=host)
            self.request_sync(s, [host])

    def remove_network_from_dhcp_agent(self, ctx, agent_id, network_id):
        host = self._agent_host(ctx, agent_id, agents_view.DHCP_AGENT)
        with self.write() as s:
            row = s.get(models.NetworkDHCPHost, (network_id, host))
            if row is None:
                raise exc.Conflict('The network %s is not hosted by the DHCP agent %s.' % (
                    network_id, agent_id))
            for port in s.scalars(sa.select(models.Port).where(
                    models.Port.network_id == network_id,
                    models.Port.device_id == dhcp_device_id(host, network_id))):
                s.delete(port)
            s.delete(row)
            self.request_sync(s, self.network_hosts(s, network_id) | {host})

    # -- L3 scheduling ----------------------------------------------------

    def schedule_router(self, session, router, host=None):
        """Place a router on a network agent's host (the least loaded), and
        bind its ports there."""
        if host is None:
            zones = router.availability_zone_hints or \
                CONF.network.default_availability_zones
            load = base.pairs(session, (sa.select(models.Router.host, sa.func.count())
                                        .group_by(models.Router.host)))
            candidates = sorted(self.schedulable_hosts(session, agents_view.L3_AGENT, zones),
                                key=lambda h: (load.get(h, 0), h))
            host = candidates[0] if candidates else ''
        old = router.host
        router.host = host
        for fip in session.scalars(sa.select(models.FloatingIP).where(
                models.FloatingIP.router_id == router.id)):
            fip.status = 'ACTIVE' if host else 'DOWN'
            base.touch(fip)
        for port in session.scalars(sa.select(models.Port).join(
                models.RouterPort, models.RouterPort.port_id == models.Port.id).where(
                models.RouterPort.router_id == router.id)):
            self._bind(session, port, host)
        self.request_sync(session, {old, host})

    def list_l3_agents_hosting_router(self, ctx, router_id):
        with self.read() as s:
            router = self.get_owned(s, ctx, models.Router, router_id, 'router')
            return [a for a in self.agent_dicts(s)
                    if a['agent_type'] == agents_view.L3_AGENT and a['host'] == router.host]

    def list_routers_on_l3_agent(self, ctx, agent_id):
        host = self._agent_host(ctx, agent_id, agents_view.L3_AGENT)
        with self.read() as s:
            rows = list(s.scalars(sa.select(models.Router).where(models.Router.host == host)))
            return self.router_dicts(s, rows)

    def add_router_to_l3_agent(self, ctx, agent_id, router_id):
        host = self._agent_host(ctx, agent_id, agents_view.L3_AGENT)
        with self.write() as s:
            router = self.get_owned(s, ctx, models.Router, router_id, 'router',
                                    for_update=True)
            if router.host == host:
                raise exc.Conflict('The router %s has been already hosted by the L3 Agent '
                                   '%s.' % (router_id, agent_id))
            if router.host:
                raise exc.Conflict('Failed scheduling router %s to the L3 Agent %s: it is '
                                   'hosted by another agent.' % (router_id, agent_id))
            self.schedule_router(s, router, host)

    def remove_router_from_l3_agent(self, ctx, agent_id, router_id):
        host = self._agent_host(ctx, agent_id, agents_view.L3_AGENT)
        with self.write() as s:
            router = self.get_owned(s, ctx, models.Router, router_id, 'router',
                                    for_update=True)
            if router.host != host:
                raise exc.Conflict('Router %s is not hosted by L3 agent %s.' % (
                    router_id, agent_id))
            self.schedule_router(s, router, '')
