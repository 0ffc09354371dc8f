"""/v3/domains/{domain_id}/config and the defaults."""
from cloudstack.identity import manager
from tests.unit.identity.test_domains import V3, member_client

CONFIG = {'identity': {'driver': 'ldap'},
          'ldap': {'url': 'ldap://myldap.com:389/', 'user_tree_dn': 'ou=Users,dc=org'}}


def domain(admin, name='cfg'):
    return admin.post(V3 + '/domains', {'domain': {'name': name}}).json['domain']['id']


def test_create_show_replace_and_delete(admin):
    did = domain(admin)
    path = V3 + '/domains/%s/config' % did
    assert admin.get(path).status_int == 404
    resp = admin.put(path, {'config': CONFIG})
    assert resp.status_int == 201 and resp.json['config'] == CONFIG
    assert admin.get(path).json['config'] == CONFIG
    assert admin.get(path + '/ldap').json['config'] == {'ldap': CONFIG['ldap']}
    assert admin.get(path + '/ldap/url').json['config'] == {'url': 'ldap://myldap.com:389/'}
    assert admin.get(path + '/ldap/suffix').status_int == 404
    resp = admin.put(path, {'config': {'identity': {'driver': 'sql'}}})
    assert resp.status_int == 200 and resp.json['config'] == {'identity': {'driver': 'sql'}}
    assert admin.delete(path).status_int == 204
    assert admin.get(path).status_int == 404
    assert admin.delete(path).status_int == 404
    assert admin.put(V3 + '/domains/nope/config', {'config': CONFIG}).status_int == 404


def test_update_whole_group_and_option(admin):
    did = domain(admin)
    path = V3 + '/domains/%s/config' % did
    admin.put(path, {'config': CONFIG})
    new = {'ldap': {'url': 'ldap://other/'}}
    resp = admin.patch(path, {'config': new})
    assert resp.status_int == 200
    expected = {'identity': {'driver': 'ldap'},
                'ldap': {'url': 'ldap://other/', 'user_tree_dn': 'ou=Users,dc=org'}}
    assert resp.json['config'] == expected == admin.get(path).json['config']
    group = {'identity': {'driver': 'sql', 'list_limit': 5}}
    resp = admin.patch(path + '/identity', {'config': group})
    assert resp.json['config']['identity'] == {'driver': 'sql', 'list_limit': 5}
    resp = admin.patch(path + '/identity/driver', {'config': {'driver': 'ldap'}})
    assert resp.json['config']['identity']['driver'] == 'ldap'
    # a group/option update names only that group/option, which must exist
    assert admin.patch(path + '/identity', {'config': {'ldap': {'url': 'u'}}}).status_int == 403
    assert admin.patch(path + '/identity/driver', {'config': {'list_limit': 1}}).status_int == 403
    assert admin.patch(path + '/ldap/suffix', {'config': {'suffix': 's'}}).status_int == 404
    assert admin.delete(path + '/identity/driver').status_int == 204
    assert admin.get(path + '/identity/driver').status_int == 404
    assert admin.delete(path + '/identity').status_int == 204
    assert admin.get(path + '/identity').status_int == 404
    assert admin.delete(path + '/identity').status_int == 404


def test_only_known_groups_and_options(admin):
    path = V3 + '/domains/%s/config' % domain(admin)
    assert admin.put(path, {'config': {'assignment': {'driver': 'sql'}}}).status_int == 403
    assert admin.put(path, {'config': {'ldap': {'bogus': 1}}}).status_int == 403
    assert admin.put(path, {'config': {}}).status_int == 403
    assert admin.put(path, {'config': {'ldap': 'x'}}).status_int == 403
    assert admin.put(path, {}).status_int == 400
    assert admin.get(path + '/assignment').status_int == 403


def test_sensitive_options_are_stored_but_never_shown(admin):
    did = domain(admin)
    path = V3 + '/domains/%s/config' % did
    config = {'ldap': {'url': 'ldap://x/', 'password': 'bind-secret'}}
    resp = admin.put(path, {'config': config})
    assert resp.json['config'] == {'ldap': {'url': 'ldap://x/'}}
    assert admin.get(path + '/ldap/password').status_int == 404
    assert manager.get().get_domain_config_with_sensitive(did) == config


def test_defaults(admin):
    resp = admin.get(V3 + '/domains/config/default')
    assert resp.status_int == 200
    config = resp.json['config']
    assert set(config) == {'identity', 'ldap'}
    assert {'driver', 'list_limit'} <= set(config['identity'])
    assert 'password' not in config['ldap']
    ldap = admin.get(V3 + '/domains/config/ldap/default').json['config']
    assert ldap == {'ldap': config['ldap']}
    for option, value in config['ldap'].items():
        resp = admin.get(V3 + '/domains/config/ldap/%s/default' % option)
        assert resp.json['config'] == {option: value}
    assert admin.get(V3 + '/domains/config/identity/driver/default').json['config'] == {
        'driver': 'sql'}
    assert admin.get(V3 + '/domains/config/nope/default').status_int == 403
    assert admin.get(V3 + '/domains/config/ldap/password/default').status_int == 403


def test_security_compliance_is_readable_for_the_default_domain_only(admin, client):
    member, _ = member_client(admin, client)
    resp = member.get(V3 + '/domains/default/config/security_compliance')
    assert resp.status_int == 200
    assert set(resp.json['config']['security_compliance']) == {
        'password_regex', 'password_regex_description'}
    resp = member.get(V3 + '/domains/default/config/security_compliance/password_regex')
    assert resp.json['config'] == {'password_regex': None}
    assert member.get(V3 + '/domains/%s/config/security_compliance'
                      % domain(admin)).status_int == 403


def test_non_admin_cannot_write_or_read_configs(admin, client):
    member, _ = member_client(admin, client)
    path = V3 + '/domains/%s/config' % domain(admin)
    assert member.put(path, {'config': CONFIG}).status_int == 403
    admin.put(path, {'config': CONFIG})
    assert member.get(path).status_int == 403
    assert member.delete(path).status_int == 403
