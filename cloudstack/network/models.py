"""Tables of the Networking service.

Uniqueness that must hold under concurrent API workers is a database
constraint, so it holds on SQLite and PostgreSQL alike: an address once per
subnet (`ip_allocations` primary key), a MAC once per network, a VXLAN VNI or
flat physical network once (`networks.segment_key`), one default security
group per project, one identical rule per group (`rule_key`).

Lists and small structures that are only ever read and written with their
owner (allocation pools, DNS servers, host routes, allowed address pairs,
extra DHCP options, extra routes, an address group's addresses) are JSON
columns of that owner: one row read per resource.
"""
import json

import sqlalchemy as sa
from sqlalchemy import orm

from cloudstack.db.models import Base, UTCDateTime, utcnow

# The one transitional status of Networking: a port bound to a host and
# wanted up is DOWN until that host's agent has wired it (its durable
# `network.sync_host` task). Routers and floating IPs are ACTIVE or DOWN as the
# API sets them; the dataplane follows through the same syncs. Recovery:
# cloudstack/network/recovery.py.
TRANSITIONAL_STATES = {'port': ('DOWN',)}


class JSONText(sa.types.TypeDecorator):
    """JSON kept as text, read without a parse for the usual empty values
    (lists of a thousand ports read four of these per port)."""
    impl = sa.Text
    cache_ok = True
    _EMPTY = {'[]': list, '{}': dict}

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        empty = self._EMPTY.get(value)
        return empty() if empty is not None else json.loads(value)


def _json(default):
    return orm.mapped_column(JSONText, default=default)


def _id():
    return orm.mapped_column(sa.String(36), primary_key=True)


def _project():
    return orm.mapped_column(sa.String(255), index=True)


class StandardAttributes:
    """Neutron's standard attributes: description, revision, timestamps."""
    description: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    revision_number: orm.Mapped[int] = orm.mapped_column(sa.BigInteger, default=0)
    created_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)
    updated_at: orm.Mapped[object] = orm.mapped_column(UTCDateTime, default=utcnow)


class Network(StandardAttributes, Base):
    __tablename__ = 'networks'

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), default='ACTIVE')
    admin_state_up: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)
    mtu: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    port_security_enabled: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)
    external: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    is_default: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    network_type: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    physical_network: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    segmentation_id: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    # 'vxlan:<vni>' or 'flat:<physical network>': unique, so a VNI or a flat
    # physical network is never given to two networks.
    segment_key: orm.Mapped[str | None] = orm.mapped_column(sa.String(100), unique=True)
    availability_zone_hints: orm.Mapped[list] = _json(list)
    dns_domain: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))


class Subnet(StandardAttributes, Base):
    __tablename__ = 'subnets'

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    network_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('networks.id'), index=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    ip_version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    cidr: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    gateway_ip: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    enable_dhcp: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)
    ipv6_ra_mode: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    ipv6_address_mode: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    subnetpool_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('subnetpools.id'), index=True)
    # [{'start': ip, 'end': ip}], in address order
    allocation_pools: orm.Mapped[list] = _json(list)
    dns_nameservers: orm.Mapped[list] = _json(list)
    # [{'destination': cidr, 'nexthop': ip}]
    host_routes: orm.Mapped[list] = _json(list)
    service_types: orm.Mapped[list] = _json(list)
    dns_publish_fixed_ip: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)


class Port(StandardAttributes, Base):
    __tablename__ = 'ports'
    __table_args__ = (sa.UniqueConstraint('network_id', 'mac_address'),)

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    network_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('networks.id'), index=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    mac_address: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    admin_state_up: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), default='DOWN')
    device_id: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='', index=True)
    device_owner: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='',
                                                      index=True)
    port_security_enabled: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='', index=True)
    vnic_type: orm.Mapped[str] = orm.mapped_column(sa.String(64), default='normal')
    profile: orm.Mapped[dict] = _json(dict)
    vif_type: orm.Mapped[str] = orm.mapped_column(sa.String(64), default='unbound')
    vif_details: orm.Mapped[dict] = _json(dict)
    dns_name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    # [{'ip_address': ip or cidr, 'mac_address': mac}]
    allowed_address_pairs: orm.Mapped[list] = _json(list)
    # [{'opt_name', 'opt_value', 'ip_version'}]
    extra_dhcp_opts: orm.Mapped[list] = _json(list)


class IPAllocation(Base):
    """An address of a subnet held by a port; the primary key is what makes
    an address impossible to hand out twice."""
    __tablename__ = 'ip_allocations'

    subnet_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('subnets.id'), primary_key=True)
    ip_address: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    port_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('ports.id', ondelete='CASCADE'), index=True)
    network_id: orm.Mapped[str] = orm.mapped_column(sa.String(36), index=True)


class SecurityGroup(StandardAttributes, Base):
    __tablename__ = 'security_groups'

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    stateful: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)


class DefaultSecurityGroup(Base):
    """The project's `default` group: one per project, whoever creates it first."""
    __tablename__ = 'default_security_groups'

    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    security_group_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('security_groups.id', ondelete='CASCADE'))


class SecurityGroupRule(StandardAttributes, Base):
    __tablename__ = 'security_group_rules'
    __table_args__ = (sa.UniqueConstraint('security_group_id', 'rule_key'),)

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    security_group_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('security_groups.id', ondelete='CASCADE'), index=True)
    direction: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    ethertype: orm.Mapped[str] = orm.mapped_column(sa.String(8))
    protocol: orm.Mapped[str | None] = orm.mapped_column(sa.String(40))
    port_range_min: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    port_range_max: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    remote_ip_prefix: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    remote_group_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('security_groups.id', ondelete='CASCADE'), index=True)
    remote_address_group_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('address_groups.id'), index=True)
    # What makes two rules the same rule (normalized), unique per group.
    rule_key: orm.Mapped[str] = orm.mapped_column(sa.String(255))


class PortSecurityGroup(Base):
    __tablename__ = 'port_security_groups'

    port_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('ports.id', ondelete='CASCADE'), primary_key=True)
    security_group_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('security_groups.id'), primary_key=True, index=True)


class AddressGroup(StandardAttributes, Base):
    __tablename__ = 'address_groups'

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    addresses: orm.Mapped[list] = _json(list)


class AddressScope(StandardAttributes, Base):
    __tablename__ = 'address_scopes'

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    ip_version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    shared: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)


class SubnetPool(StandardAttributes, Base):
    __tablename__ = 'subnetpools'

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    ip_version: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    default_prefixlen: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    min_prefixlen: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    max_prefixlen: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    shared: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    is_default: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)
    default_quota: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    address_scope_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('address_scopes.id'), index=True)
    prefixes: orm.Mapped[list] = _json(list)


class Router(StandardAttributes, Base):
    __tablename__ = 'routers'

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), default='ACTIVE')
    admin_state_up: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)
    gw_port_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('ports.id', ondelete='SET NULL'))
    enable_snat: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)
    # [{'destination': cidr, 'nexthop': ip}]
    routes: orm.Mapped[list] = _json(list)
    availability_zone_hints: orm.Mapped[list] = _json(list)
    # The network agent's host the router runs on ('' while unscheduled).
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='', index=True)


class RouterPort(Base):
    __tablename__ = 'router_ports'

    port_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('ports.id', ondelete='CASCADE'), primary_key=True)
    router_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('routers.id', ondelete='CASCADE'), index=True)
    port_type: orm.Mapped[str] = orm.mapped_column(sa.String(64))


class FloatingIP(StandardAttributes, Base):
    __tablename__ = 'floating_ips'
    __table_args__ = (sa.UniqueConstraint('fixed_port_id', 'fixed_ip_address'),)

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    floating_network_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('networks.id'), index=True)
    floating_ip_address: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    floating_port_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('ports.id', ondelete='CASCADE'), index=True)
    fixed_port_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('ports.id', ondelete='SET NULL'), index=True)
    fixed_ip_address: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    router_id: orm.Mapped[str | None] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('routers.id'), index=True)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), default='DOWN')
    dns_name: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')
    dns_domain: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')


class PortForwarding(Base):
    __tablename__ = 'port_forwardings'
    __table_args__ = (
        sa.UniqueConstraint('floatingip_id', 'protocol', 'external_port'),
        sa.UniqueConstraint('internal_port_id', 'internal_ip_address', 'protocol',
                            'internal_port'),
    )

    id: orm.Mapped[str] = _id()
    floatingip_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('floating_ips.id', ondelete='CASCADE'), index=True)
    internal_port_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('ports.id', ondelete='CASCADE'))
    internal_ip_address: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    internal_port: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    external_port: orm.Mapped[int] = orm.mapped_column(sa.Integer)
    protocol: orm.Mapped[str] = orm.mapped_column(sa.String(40))
    description: orm.Mapped[str] = orm.mapped_column(sa.String(255), default='')


class RBACPolicy(Base):
    """Sharing an object with a project (or '*'): access_as_shared,
    access_as_external."""
    __tablename__ = 'network_rbac_policies'
    __table_args__ = (sa.UniqueConstraint('object_type', 'object_id', 'action',
                                          'target_project'),)

    id: orm.Mapped[str] = _id()
    project_id: orm.Mapped[str] = _project()
    object_type: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    object_id: orm.Mapped[str] = orm.mapped_column(sa.String(36), index=True)
    action: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    target_project: orm.Mapped[str] = orm.mapped_column(sa.String(255), index=True)


class Tag(Base):
    __tablename__ = 'network_tags'

    resource_id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    tag: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True,
                                             index=True)
    resource_type: orm.Mapped[str] = orm.mapped_column(sa.String(32))


class Quota(Base):
    __tablename__ = 'network_quotas'

    project_id: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    resource: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    limit: orm.Mapped[int] = orm.mapped_column(sa.Integer)


class NetworkDHCPHost(Base):
    """A network whose DHCP server runs on a host's network agent."""
    __tablename__ = 'network_dhcp_hosts'

    network_id: orm.Mapped[str] = orm.mapped_column(
        sa.String(36), sa.ForeignKey('networks.id', ondelete='CASCADE'), primary_key=True)
    host: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True,
                                              index=True)


class NetworkHost(Base):
    """Whether a sync of a host's dataplane is queued and has not started yet
    (what the host reports of itself, its VTEP address, is in the agents
    table)."""
    __tablename__ = 'network_hosts'

    host: orm.Mapped[str] = orm.mapped_column(sa.String(255), primary_key=True)
    sync_pending: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=False)


class AgentSetting(Base):
    """The admin state and description of one of Neutron's agent views of a
    host's network agent (DHCP, L3, ...)."""
    __tablename__ = 'network_agent_settings'

    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    admin_state_up: orm.Mapped[bool] = orm.mapped_column(sa.Boolean, default=True)
    description: orm.Mapped[str | None] = orm.mapped_column(sa.String(255))
