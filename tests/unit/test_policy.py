"""Policy: defaults in code, personas, flattened targets, policy.yaml overrides."""
import pytest

from cloudstack.conf import CONF
from cloudstack import context
from cloudstack import exception
from cloudstack import policy


def ctx(roles, user_id='u1', project_id='p1'):
    return context.RequestContext(user_id=user_id, project_id=project_id, roles=roles)


def test_admin_may_and_member_may_not(conf):
    policy.authorize(ctx(['admin']), 'identity:create_user')
    with pytest.raises(exception.Forbidden):
        policy.authorize(ctx(['member', 'reader']), 'identity:create_user')


def test_owner_rules_match_the_flattened_target(conf):
    assert policy.check(ctx(['reader']), 'identity:get_user', {'user': {'id': 'u1'}})
    assert not policy.check(ctx(['reader']), 'identity:get_user', {'user': {'id': 'u2'}})


def test_every_default_rule_is_registered(conf):
    names = {r.name for r in policy.list_rules()}
    assert {'identity:validate_token', 'identity:list_projects', 'admin_required'} <= names


def test_policy_file_overrides_a_default(conf, tmp_path):
    path = tmp_path / 'policy.yaml'
    path.write_text('"identity:create_user": "role:member"\n')
    CONF.set_override('policy_file', str(path), group='oslo_policy')
    policy.reset()
    try:
        policy.authorize(ctx(['member']), 'identity:create_user')
    finally:
        CONF.clear_override('policy_file', group='oslo_policy')
        policy.reset()


def test_a_check_without_target_is_answered_once_per_context(conf):
    member = ctx(['member'])
    assert not policy.check(member, 'identity:create_user')
    # The answer belongs to this context: a later change of its roles does
    # not alter it, while another context is judged by its own roles.
    member.roles = ['admin']
    assert not policy.check(member, 'identity:create_user')
    assert policy.check(ctx(['admin']), 'identity:create_user')
    # A check with a target is never remembered.
    assert policy.check(member, 'identity:create_user', {})


def test_each_service_has_its_own_enforcer_over_one_policy_file(conf, tmp_path):
    """Services may register base rules of the same name (as Nova's and
    Cinder's `admin_api`); an override in the one policy file reaches the
    service that registered the rule."""
    assert policy.enforcer('identity:create_user') is not policy.enforcer('add_image')
    path = tmp_path / 'policy.yaml'
    path.write_text('"publicize_image": "role:member"\n')
    CONF.set_override('policy_file', str(path), group='oslo_policy')
    policy.reset()
    try:
        policy.authorize(ctx(['member']), 'publicize_image')
        with pytest.raises(exception.Forbidden):
            policy.authorize(ctx(['member']), 'identity:create_user')
    finally:
        CONF.clear_override('policy_file', group='oslo_policy')
        policy.reset()


def test_upstream_bare_target_keys_match_too(conf, tmp_path):
    """Upstream defaults (Cinder's, Nova's) name target keys without the
    `target.` prefix: `project_id:%(project_id)s`."""
    path = tmp_path / 'policy.yaml'
    path.write_text('"identity:create_user": "project_id:%(project_id)s"\n')
    CONF.set_override('policy_file', str(path), group='oslo_policy')
    policy.reset()
    try:
        assert policy.check(ctx(['member']), 'identity:create_user', {'project_id': 'p1'})
        assert not policy.check(ctx(['member']), 'identity:create_user',
                                {'project_id': 'p2'})
    finally:
        CONF.clear_override('policy_file', group='oslo_policy')
        policy.reset()
