"""networking

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa
import cloudstack.db.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('address_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('addresses', sa.Text(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_groups'))
    )
    op.create_index(op.f('ix_address_groups_project_id'), 'address_groups', ['project_id'], unique=False)
    op.create_table('address_scopes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_scopes'))
    )
    op.create_index(op.f('ix_address_scopes_project_id'), 'address_scopes', ['project_id'], unique=False)
    op.create_table('network_agent_settings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_agent_settings'))
    )
    op.create_table('network_hosts',
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('sync_pending', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('host', name=op.f('pk_network_hosts'))
    )
    op.create_table('network_quotas',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('limit', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'resource', name=op.f('pk_network_quotas'))
    )
    op.create_table('network_rbac_policies',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target_project', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_rbac_policies')),
    sa.UniqueConstraint('object_type', 'object_id', 'action', 'target_project', name=op.f('uq_network_rbac_policies_object_type_object_id_action_target_project'))
    )
    op.create_index(op.f('ix_network_rbac_policies_object_id'), 'network_rbac_policies', ['object_id'], unique=False)
    op.create_index(op.f('ix_network_rbac_policies_project_id'), 'network_rbac_policies', ['project_id'], unique=False)
    op.create_index(op.f('ix_network_rbac_policies_target_project'), 'network_rbac_policies', ['target_project'], unique=False)
    op.create_table('network_tags',
    sa.Column('resource_id', sa.String(length=36), nullable=False),
    sa.Column('tag', sa.String(length=255), nullable=False),
    sa.Column('resource_type', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('resource_id', 'tag', name=op.f('pk_network_tags'))
    )
    op.create_index(op.f('ix_network_tags_tag'), 'network_tags', ['tag'], unique=False)
    op.create_table('networks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('mtu', sa.Integer(), nullable=False),
    sa.Column('port_security_enabled', sa.Boolean(), nullable=False),
    sa.Column('external', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('network_type', sa.String(length=32), nullable=False),
    sa.Column('physical_network', sa.String(length=64), nullable=True),
    sa.Column('segmentation_id', sa.Integer(), nullable=True),
    sa.Column('segment_key', sa.String(length=100), nullable=True),
    sa.Column('availability_zone_hints', sa.Text(), nullable=False),
    sa.Column('dns_domain', sa.String(length=255), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_networks')),
    sa.UniqueConstraint('segment_key', name=op.f('uq_networks_segment_key'))
    )
    op.create_index(op.f('ix_networks_project_id'), 'networks', ['project_id'], unique=False)
    op.create_table('security_groups',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('stateful', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_groups'))
    )
    op.create_index(op.f('ix_security_groups_project_id'), 'security_groups', ['project_id'], unique=False)
    op.create_table('default_security_groups',
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['security_group_id'], ['security_groups.id'], name=op.f('fk_default_security_groups_security_group_id_security_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_default_security_groups'))
    )
    op.create_table('network_dhcp_hosts',
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_network_dhcp_hosts_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('network_id', 'host', name=op.f('pk_network_dhcp_hosts'))
    )
    op.create_index(op.f('ix_network_dhcp_hosts_host'), 'network_dhcp_hosts', ['host'], unique=False)
    op.create_table('ports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('mac_address', sa.String(length=32), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=255), nullable=False),
    sa.Column('device_owner', sa.String(length=255), nullable=False),
    sa.Column('port_security_enabled', sa.Boolean(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('vnic_type', sa.String(length=64), nullable=False),
    sa.Column('profile', sa.Text(), nullable=False),
    sa.Column('vif_type', sa.String(length=64), nullable=False),
    sa.Column('vif_details', sa.Text(), nullable=False),
    sa.Column('dns_name', sa.String(length=255), nullable=False),
    sa.Column('allowed_address_pairs', sa.Text(), nullable=False),
    sa.Column('extra_dhcp_opts', sa.Text(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_ports_network_id_networks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ports')),
    sa.UniqueConstraint('network_id', 'mac_address', name=op.f('uq_ports_network_id_mac_address'))
    )
    op.create_index(op.f('ix_ports_device_id'), 'ports', ['device_id'], unique=False)
    op.create_index(op.f('ix_ports_device_owner'), 'ports', ['device_owner'], unique=False)
    op.create_index(op.f('ix_ports_host'), 'ports', ['host'], unique=False)
    op.create_index(op.f('ix_ports_network_id'), 'ports', ['network_id'], unique=False)
    op.create_index(op.f('ix_ports_project_id'), 'ports', ['project_id'], unique=False)
    op.create_table('security_group_rules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('ethertype', sa.String(length=8), nullable=False),
    sa.Column('protocol', sa.String(length=40), nullable=True),
    sa.Column('port_range_min', sa.Integer(), nullable=True),
    sa.Column('port_range_max', sa.Integer(), nullable=True),
    sa.Column('remote_ip_prefix', sa.String(length=64), nullable=True),
    sa.Column('remote_group_id', sa.String(length=36), nullable=True),
    sa.Column('remote_address_group_id', sa.String(length=36), nullable=True),
    sa.Column('rule_key', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['remote_address_group_id'], ['address_groups.id'], name=op.f('fk_security_group_rules_remote_address_group_id_address_groups')),
    sa.ForeignKeyConstraint(['remote_group_id'], ['security_groups.id'], name=op.f('fk_security_group_rules_remote_group_id_security_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['security_group_id'], ['security_groups.id'], name=op.f('fk_security_group_rules_security_group_id_security_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_group_rules')),
    sa.UniqueConstraint('security_group_id', 'rule_key', name=op.f('uq_security_group_rules_security_group_id_rule_key'))
    )
    op.create_index(op.f('ix_security_group_rules_project_id'), 'security_group_rules', ['project_id'], unique=False)
    op.create_index(op.f('ix_security_group_rules_remote_address_group_id'), 'security_group_rules', ['remote_address_group_id'], unique=False)
    op.create_index(op.f('ix_security_group_rules_remote_group_id'), 'security_group_rules', ['remote_group_id'], unique=False)
    op.create_index(op.f('ix_security_group_rules_security_group_id'), 'security_group_rules', ['security_group_id'], unique=False)
    op.create_table('subnetpools',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('default_prefixlen', sa.Integer(), nullable=False),
    sa.Column('min_prefixlen', sa.Integer(), nullable=False),
    sa.Column('max_prefixlen', sa.Integer(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('default_quota', sa.Integer(), nullable=True),
    sa.Column('address_scope_id', sa.String(length=36), nullable=True),
    sa.Column('prefixes', sa.Text(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['address_scope_id'], ['address_scopes.id'], name=op.f('fk_subnetpools_address_scope_id_address_scopes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subnetpools'))
    )
    op.create_index(op.f('ix_subnetpools_address_scope_id'), 'subnetpools', ['address_scope_id'], unique=False)
    op.create_index(op.f('ix_subnetpools_project_id'), 'subnetpools', ['project_id'], unique=False)
    op.create_table('port_security_groups',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('security_group_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_port_security_groups_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['security_group_id'], ['security_groups.id'], name=op.f('fk_port_security_groups_security_group_id_security_groups')),
    sa.PrimaryKeyConstraint('port_id', 'security_group_id', name=op.f('pk_port_security_groups'))
    )
    op.create_index(op.f('ix_port_security_groups_security_group_id'), 'port_security_groups', ['security_group_id'], unique=False)
    op.create_table('routers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('admin_state_up', sa.Boolean(), nullable=False),
    sa.Column('gw_port_id', sa.String(length=36), nullable=True),
    sa.Column('enable_snat', sa.Boolean(), nullable=False),
    sa.Column('routes', sa.Text(), nullable=False),
    sa.Column('availability_zone_hints', sa.Text(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['gw_port_id'], ['ports.id'], name=op.f('fk_routers_gw_port_id_ports'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routers'))
    )
    op.create_index(op.f('ix_routers_host'), 'routers', ['host'], unique=False)
    op.create_index(op.f('ix_routers_project_id'), 'routers', ['project_id'], unique=False)
    op.create_table('subnets',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('ip_version', sa.Integer(), nullable=False),
    sa.Column('cidr', sa.String(length=64), nullable=False),
    sa.Column('gateway_ip', sa.String(length=64), nullable=True),
    sa.Column('enable_dhcp', sa.Boolean(), nullable=False),
    sa.Column('ipv6_ra_mode', sa.String(length=16), nullable=True),
    sa.Column('ipv6_address_mode', sa.String(length=16), nullable=True),
    sa.Column('subnetpool_id', sa.String(length=36), nullable=True),
    sa.Column('allocation_pools', sa.Text(), nullable=False),
    sa.Column('dns_nameservers', sa.Text(), nullable=False),
    sa.Column('host_routes', sa.Text(), nullable=False),
    sa.Column('service_types', sa.Text(), nullable=False),
    sa.Column('dns_publish_fixed_ip', sa.Boolean(), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_subnets_network_id_networks')),
    sa.ForeignKeyConstraint(['subnetpool_id'], ['subnetpools.id'], name=op.f('fk_subnets_subnetpool_id_subnetpools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subnets'))
    )
    op.create_index(op.f('ix_subnets_network_id'), 'subnets', ['network_id'], unique=False)
    op.create_index(op.f('ix_subnets_project_id'), 'subnets', ['project_id'], unique=False)
    op.create_index(op.f('ix_subnets_subnetpool_id'), 'subnets', ['subnetpool_id'], unique=False)
    op.create_table('floating_ips',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('project_id', sa.String(length=255), nullable=False),
    sa.Column('floating_network_id', sa.String(length=36), nullable=False),
    sa.Column('floating_ip_address', sa.String(length=64), nullable=False),
    sa.Column('floating_port_id', sa.String(length=36), nullable=False),
    sa.Column('fixed_port_id', sa.String(length=36), nullable=True),
    sa.Column('fixed_ip_address', sa.String(length=64), nullable=True),
    sa.Column('router_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dns_name', sa.String(length=255), nullable=False),
    sa.Column('dns_domain', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('revision_number', sa.BigInteger(), nullable=False),
    sa.Column('created_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', cloudstack.db.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['fixed_port_id'], ['ports.id'], name=op.f('fk_floating_ips_fixed_port_id_ports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['floating_network_id'], ['networks.id'], name=op.f('fk_floating_ips_floating_network_id_networks')),
    sa.ForeignKeyConstraint(['floating_port_id'], ['ports.id'], name=op.f('fk_floating_ips_floating_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['router_id'], ['routers.id'], name=op.f('fk_floating_ips_router_id_routers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_floating_ips')),
    sa.UniqueConstraint('fixed_port_id', 'fixed_ip_address', name=op.f('uq_floating_ips_fixed_port_id_fixed_ip_address'))
    )
    op.create_index(op.f('ix_floating_ips_fixed_port_id'), 'floating_ips', ['fixed_port_id'], unique=False)
    op.create_index(op.f('ix_floating_ips_floating_network_id'), 'floating_ips', ['floating_network_id'], unique=False)
    op.create_index(op.f('ix_floating_ips_floating_port_id'), 'floating_ips', ['floating_port_id'], unique=False)
    op.create_index(op.f('ix_floating_ips_project_id'), 'floating_ips', ['project_id'], unique=False)
    op.create_index(op.f('ix_floating_ips_router_id'), 'floating_ips', ['router_id'], unique=False)
    op.create_table('ip_allocations',
    sa.Column('subnet_id', sa.String(length=36), nullable=False),
    sa.Column('ip_address', sa.String(length=64), nullable=False),
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('network_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_ip_allocations_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['subnet_id'], ['subnets.id'], name=op.f('fk_ip_allocations_subnet_id_subnets')),
    sa.PrimaryKeyConstraint('subnet_id', 'ip_address', name=op.f('pk_ip_allocations'))
    )
    op.create_index(op.f('ix_ip_allocations_network_id'), 'ip_allocations', ['network_id'], unique=False)
    op.create_index(op.f('ix_ip_allocations_port_id'), 'ip_allocations', ['port_id'], unique=False)
    op.create_table('router_ports',
    sa.Column('port_id', sa.String(length=36), nullable=False),
    sa.Column('router_id', sa.String(length=36), nullable=False),
    sa.Column('port_type', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['port_id'], ['ports.id'], name=op.f('fk_router_ports_port_id_ports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['router_id'], ['routers.id'], name=op.f('fk_router_ports_router_id_routers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('port_id', name=op.f('pk_router_ports'))
    )
    op.create_index(op.f('ix_router_ports_router_id'), 'router_ports', ['router_id'], unique=False)
    op.create_table('port_forwardings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('floatingip_id', sa.String(length=36), nullable=False),
    sa.Column('internal_port_id', sa.String(length=36), nullable=False),
    sa.Column('internal_ip_address', sa.String(length=64), nullable=False),
    sa.Column('internal_port', sa.Integer(), nullable=False),
    sa.Column('external_port', sa.Integer(), nullable=False),
    sa.Column('protocol', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['floatingip_id'], ['floating_ips.id'], name=op.f('fk_port_forwardings_floatingip_id_floating_ips'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['internal_port_id'], ['ports.id'], name=op.f('fk_port_forwardings_internal_port_id_ports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_port_forwardings')),
    sa.UniqueConstraint('floatingip_id', 'protocol', 'external_port', name=op.f('uq_port_forwardings_floatingip_id_protocol_external_port')),
    sa.UniqueConstraint('internal_port_id', 'internal_ip_address', 'protocol', 'internal_port', name=op.f('uq_port_forwardings_internal_port_id_internal_ip_address_protocol_internal_port'))
    )
    op.create_index(op.f('ix_port_forwardings_floatingip_id'), 'port_forwardings', ['floatingip_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_port_forwardings_floatingip_id'), table_name='port_forwardings')
    op.drop_table('port_forwardings')
    op.drop_index(op.f('ix_router_ports_router_id'), table_name='router_ports')
    op.drop_table('router_ports')
    op.drop_index(op.f('ix_ip_allocations_port_id'), table_name='ip_allocations')
    op.drop_index(op.f('ix_ip_allocations_network_id'), table_name='ip_allocations')
    op.drop_table('ip_allocations')
    op.drop_index(op.f('ix_floating_ips_router_id'), table_name='floating_ips')
    op.drop_index(op.f('ix_floating_ips_project_id'), table_name='floating_ips')
    op.drop_index(op.f('ix_floating_ips_floating_port_id'), table_name='floating_ips')
    op.drop_index(op.f('ix_floating_ips_floating_network_id'), table_name='floating_ips')
    op.drop_index(op.f('ix_floating_ips_fixed_port_id'), table_name='floating_ips')
    op.drop_table('floating_ips')
    op.drop_index(op.f('ix_subnets_subnetpool_id'), table_name='subnets')
    op.drop_index(op.f('ix_subnets_project_id'), table_name='subnets')
    op.drop_index(op.f('ix_subnets_network_id'), table_name='subnets')
    op.drop_table('subnets')
    op.drop_index(op.f('ix_routers_project_id'), table_name='routers')
    op.drop_index(op.f('ix_routers_host'), table_name='routers')
    op.drop_table('routers')
    op.drop_index(op.f('ix_port_security_groups_security_group_id'), table_name='port_security_groups')
    op.drop_table('port_security_groups')
    op.drop_index(op.f('ix_subnetpools_project_id'), table_name='subnetpools')
    op.drop_index(op.f('ix_subnetpools_address_scope_id'), table_name='subnetpools')
    op.drop_table('subnetpools')
    op.drop_index(op.f('ix_security_group_rules_security_group_id'), table_name='security_group_rules')
    op.drop_index(op.f('ix_security_group_rules_remote_group_id'), table_name='security_group_rules')
    op.drop_index(op.f('ix_security_group_rules_remote_address_group_id'), table_name='security_group_rules')
    op.drop_index(op.f('ix_security_group_rules_project_id'), table_name='security_group_rules')
    op.drop_table('security_group_rules')
    op.drop_index(op.f('ix_ports_project_id'), table_name='ports')
    op.drop_index(op.f('ix_ports_network_id'), table_name='ports')
    op.drop_index(op.f('ix_ports_host'), table_name='ports')
    op.drop_index(op.f('ix_ports_device_owner'), table_name='ports')
    op.drop_index(op.f('ix_ports_device_id'), table_name='ports')
    op.drop_table('ports')
    op.drop_index(op.f('ix_network_dhcp_hosts_host'), table_name='network_dhcp_hosts')
    op.drop_table('network_dhcp_hosts')
    op.drop_table('default_security_groups')
    op.drop_index(op.f('ix_security_groups_project_id'), table_name='security_groups')
    op.drop_table('security_groups')
    op.drop_index(op.f('ix_networks_project_id'), table_name='networks')
    op.drop_table('networks')
    op.drop_index(op.f('ix_network_tags_tag'), table_name='network_tags')
    op.drop_table('network_tags')
    op.drop_index(op.f('ix_network_rbac_policies_target_project'), table_name='network_rbac_policies')
    op.drop_index(op.f('ix_network_rbac_policies_project_id'), table_name='network_rbac_policies')
    op.drop_index(op.f('ix_network_rbac_policies_object_id'), table_name='network_rbac_policies')
    op.drop_table('network_rbac_policies')
    op.drop_table('network_quotas')
    op.drop_table('network_hosts')
    op.drop_table('network_agent_settings')
    op.drop_index(op.f('ix_address_scopes_project_id'), table_name='address_scopes')
    op.drop_table('address_scopes')
    op.drop_index(op.f('ix_address_groups_project_id'), table_name='address_groups')
    op.drop_table('address_groups')
