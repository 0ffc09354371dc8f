"""Keystoneauth semantics: owners, reseller admins, container ACLs, anonymous."""
from tests.unit.object_store.test_api_fixtures import *  # noqa: F401,F403
from tests.unit.object_store.test_api_fixtures import Swift, make_user


def _as(owner, who):
    """`who`'s token on `owner`'s account."""
    return Swift(owner.app, who.token, owner.project_id)


def test_owner_only_by_default(swift, other):
    swift('PUT', '/c')
    swift('PUT', '/c/o', body=b'secret')
    bob = _as(swift, other)
    assert bob('GET').status_int == 403
    assert bob('HEAD').status_int == 403
    assert bob('POST', headers={'X-Account-Meta-A': '1'}).status_int == 403
    assert bob('GET', '/c').status_int == 403
    assert bob('PUT', '/c2').status_int == 403
    assert bob('DELETE', '/c').status_int == 403
    assert bob('GET', '/c/o').status_int == 403
    assert bob('PUT', '/c/o', body=b'x').status_int == 403
    assert bob('DELETE', '/c/o').status_int == 403
    assert bob('GET', '/missing/o').status_int == 403
    # bob owns his own account, auto-created on first use
    assert other('HEAD').status_int == 204
    assert other('PUT', '/mine').status_int == 201


def test_anonymous_gets_401(swift):
    swift('PUT', '/c')
    swift('PUT', '/c/o', body=b'secret')
    for method, path in (('GET', ''), ('HEAD', ''), ('GET', '/c'), ('GET', '/c/o'),
                         ('PUT', '/c/o'), ('DELETE', '/c/o'), ('PUT', '/c2')):
        r = swift(method, path, body=b'x' if method == 'PUT' else None, token=None)
        assert r.status_int == 401, (method, path)
    r = swift('GET', '/c/o', token='bogus')
    assert r.status_int == 401


def test_read_acl(swift, other):
    swift('PUT', '/c', headers={
        'X-Container-Read': '%s:%s' % (other.project_id, other.user_id)})
    swift('PUT', '/c/o', body=b'data')
    bob = _as(swift, other)
    assert bob('GET', '/c/o').body == b'data'
    assert bob('HEAD', '/c/o').status_int == 200
    assert bob('GET', '/c').text == 'o\n'
    r = bob('HEAD', '/c')
    assert r.status_int == 204 and 'X-Container-Read' not in r.headers
    assert swift('HEAD', '/c').headers['X-Container-Read'] == '%s:%s' % (
        other.project_id, other.user_id)
    assert bob('PUT', '/c/o2', body=b'x').status_int == 403
    assert bob('DELETE', '/c/o').status_int == 403
    assert bob('POST', '/c', headers={'X-Container-Read': '*:*'}).status_int == 403
    assert swift('GET', '/c/o', token=None).status_int == 401


def test_write_acl(swift, other):
    swift('PUT', '/c', headers={'X-Container-Write': other.project_id + ':*'})
    bob = _as(swift, other)
    assert bob('PUT', '/c/o', body=b'x').status_int == 201
    assert bob('POST', '/c/o', headers={'X-Object-Meta-A': '1'}).status_int == 202
    assert bob('GET', '/c/o').status_int == 403      # write, not read
    assert bob('DELETE', '/c/o').status_int == 204
    assert bob('DELETE', '/c').status_int == 403
    # removing the ACL takes it away
    swift('POST', '/c', headers={'X-Container-Write': ''})
    assert bob('PUT', '/c/o', body=b'x').status_int == 403


def test_acl_forms(swift, other):
    bob = _as(swift, other)
    swift('PUT', '/c')
    swift('PUT', '/c/o', body=b'x')
    for acl, ok in (('*:' + other.user_id, True), ('*:*', True),
                    ('other:bob', True), ('member', True),
                    ('badtenant:baduser', False), (other.project_id + ':nobody', False)):
        swift('POST', '/c', headers={'X-Container-Read': acl})
        assert (bob('GET', '/c/o').status_int == 200) is ok, acl


def test_public_read_and_listing(swift):
    swift('PUT', '/c', headers={'X-Container-Read': '.r:*'})
    swift('PUT', '/c/o', body=b'pub')
    assert swift('GET', '/c/o', token=None).body == b'pub'
    assert swift('HEAD', '/c/o', token=None).status_int == 200
    assert swift('GET', '/c', token=None).status_int == 401
    assert swift('PUT', '/c/p', body=b'x', token=None).status_int == 401
    swift('POST', '/c', headers={'X-Container-Read': '.r:*,.rlistings'})
    assert swift('GET', '/c', token=None).text == 'o\n'
    swift('POST', '/c', headers={'X-Remove-Container-Read': 'x'})
    assert swift('GET', '/c/o', token=None).status_int == 401


def test_referrer_rules(swift):
    swift('PUT', '/c', headers={'X-Container-Read': '.r:.example.com,.r:-bad.example.com'})
    swift('PUT', '/c/o', body=b'x')

    def get(ref):
        return swift('GET', '/c/o', token=None,
                     headers={'Referer': ref} if ref else None).status_int
    assert get('http://www.example.com/page') == 200
    assert get('http://example.com/') == 200
    assert get('http://bad.example.com/') == 401
    assert get('http://example.org/') == 401
    assert get(None) == 401
    # '*.example.com' is cleaned to '.example.com', as Swift stores it
    assert swift('POST', '/c', headers={
        'X-Container-Read': '.r:*.example.com,.r:-*bad.example.com'}).status_int == 204
    assert swift('HEAD', '/c').headers['X-Container-Read'] == \
        '.r:.example.com,.r:-bad.example.com'
    assert get('http://www.example.com/page') == 200
    assert get('http://bad.example.com/') == 401
    r = swift('POST', '/c', headers={'X-Container-Read': '.r:'})
    assert r.status_int == 400
    r = swift('POST', '/c', headers={'X-Container-Write': '.r:*'})
    assert r.status_int == 400


def test_reseller_admin_owns_every_account(swift, admin, other):
    token, pid, uid = make_user(admin, 'reseller', 'rita', role='ResellerAdmin')
    rita = Swift(swift.app, token, other.project_id)
    assert rita('PUT', '/c').status_int == 201
    assert rita('PUT', '/c/o', body=b'x').status_int == 201
    assert other('GET', '/c/o').body == b'x'


def test_reader_role_is_not_operator(swift, admin):
    token, pid, uid = make_user(admin, 'readers', 'rob', role='reader')
    rob = Swift(swift.app, token, pid)
    assert rob('HEAD').status_int == 204      # a project reader reads
    assert rob('PUT', '/c').status_int == 403


def test_operator_roles_come_from_policy(swift, other, monkeypatch):
    """Who may operate an account is the policy's object_store:operator rule."""
    from cloudstack import policy
    from cloudstack.object_store import policies
    monkeypatch.setattr(policy, 'RELOAD_INTERVAL', 1e9)
    policy.reset()
    assert policies.OPERATOR in policy.enforcer(policies.OPERATOR).registered_rules
    assert other('PUT', '/c').status_int == 201
    assert swift('HEAD').status_int == 204
    rules = policy.enforcer(policies.OPERATOR).rules
    rules[policies.OPERATOR] = rules[policies.RESELLER_ADMIN]
    assert other('PUT', '/c2').status_int == 403
    policy.reset()
