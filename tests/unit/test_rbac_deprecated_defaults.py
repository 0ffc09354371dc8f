"""Upstream's deprecated defaults still count while `[oslo_policy]
enforce_new_defaults` is off (oslo.policy ORs them with the new ones), and
only then: a project reader may do what Nova's, Cinder's and Neutron's old
`rule:admin_or_owner` allowed it in its own project. A deprecated default
that had another name keeps that name, so an old policy.yaml still counts."""
import pytest

from cloudstack import context
from cloudstack import policy

RULES = [
    'os_compute_api:os-attach-interfaces:create',     # Nova: project member
    'volume:attachment_update',                       # Cinder: project member
    'identity:ec2_create_credential',                 # Keystone: member and owner
    'add_member',                                     # Glance: owner's member
    'update_router',                                  # Neutron: project member
    'os_compute_api:os-hypervisors:list',             # Nova: admin, renamed
]


def reader(project_id='p1', user_id='u1'):
    return context.RequestContext(user_id=user_id, project_id=project_id,
                                  roles=['reader'], overwrite=False)


def target():
    return {'project_id': 'p1', 'user_id': 'u1', 'credential': {'user_id': 'u1'}}


@pytest.mark.parametrize('rule', RULES)
def test_new_defaults_refuse_a_reader(conf, rule):
    assert not policy.check(reader(), rule, target())


@pytest.mark.parametrize('rule', RULES)
def test_deprecated_defaults_let_the_owner_reader_in(override, rule):
    override('enforce_new_defaults', False, group='oslo_policy')
    policy.reset()
    if rule == 'add_member':
        # Glance's old default was `rule:default` (''): anyone.
        assert policy.check(reader('p2', 'u2'), rule, target())
        return
    if rule == 'os_compute_api:os-hypervisors:list':
        # old `rule:admin_api`: still no reader
        assert not policy.check(reader(), rule, target())
        return
    assert policy.check(reader(), rule, target())
    assert not policy.check(reader('p2', 'u2'), rule, target())


@pytest.mark.parametrize('old, new', [
    ('create_networks_tags', 'create_network:tags'),               # Neutron
    ('os_compute_api:os-hypervisors', 'os_compute_api:os-hypervisors:list'),   # Nova
    ('volume_extension:types_manage', 'volume_extension:type_create'),         # Cinder
])
def test_old_rule_names_of_a_policy_file_count(override, tmp_path, conf, old, new):
    assert not policy.check(reader(), new, target())
    path = tmp_path / 'policy.yaml'
    path.write_text('"%s": "role:reader"\n' % old)
    override('policy_file', str(path), group='oslo_policy')
    policy.reset()
    # as oslo.policy does: the old name's override stands for the new rule
    assert policy.check(reader(), new, target())
