"""Identity against real pieces: an LDAP domain served by a real slapd, the
OAuth1 dance with a real OAuth1 client, federation behind a front end; driven
with the openstack CLI, openstacksdk and keystoneauth."""
import json
import os
import subprocess
import sys
import urllib.parse

import pytest
import requests

from tests.functional.conftest import ADMIN_PASSWORD
from tests.ldap_server import slapd  # noqa: F401 (fixture)

openstack_sdk = pytest.importorskip('openstack')
requests_oauthlib = pytest.importorskip('requests_oauthlib')

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


@pytest.fixture
def identity(cloud):
    """A running cloud with the admin's openstacksdk connection and CLI."""
    cloud.options['federation'] = {'trusted_proxies': '127.0.0.1',
                                   'remote_id_attribute': 'OIDC-iss'}
    cloud.options['identity'] = {'domain_specific_drivers_enabled': 'true'}
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/identity/v3')
    config = os.path.join(cloud.data_dir, 'clouds.yaml')
    from openstack import config as sdk_config
    region = sdk_config.OpenStackConfig(config_files=[config]).get_one('cloudstack')
    conn = openstack_sdk.connection.Connection(config=region)

    def cli(*args, env=None, check=True):
        environ = dict(os.environ, OS_CLIENT_CONFIG_FILE=config, OS_CLOUD='cloudstack')
        environ.update(env or {})
        done = subprocess.run([OPENSTACK, *args], env=environ, capture_output=True,
                              text=True, timeout=120)
        if check:
            assert done.returncode == 0, done.stderr
        return done
    cloud.conn, cloud.cli = conn, cli
    return cloud


def cli_json(identity, *args, **kw):
    return json.loads(identity.cli(*args, '-f', 'json', **kw).stdout)


def test_an_ldap_domain(identity, slapd):  # noqa: F811
    slapd.add_user('alice', 'alice-ldap-pw', name='Alice', mail='alice@example.org')
    slapd.add_user('bob', 'bob-ldap-pw', name='Bob')
    slapd.add_group('devs', 'alice')
    conn = identity.conn
    domain = conn.identity.create_domain(name='corp')
    resp = conn.session.put(
        identity.url + '/identity/v3/domains/%s/config' % domain.id,
        json={'config': {'identity': {'driver': 'nosuch'}}}, raise_exc=False)
    assert resp.status_code == 400
    resp = conn.session.put(identity.url + '/identity/v3/domains/%s/config' % domain.id,
                            json={'config': slapd.domain_config()})
    assert resp.status_code == 201, resp.text

    users = cli_json(identity, 'user', 'list', '--domain', 'corp', '--long')
    assert sorted(u['Name'] for u in users) == ['Alice', 'Bob']
    alice = next(u for u in users if u['Name'] == 'Alice')
    assert alice['Email'] == 'alice@example.org' and alice['Enabled'] is True
    groups = cli_json(identity, 'group', 'list', '--domain', 'corp')
    assert [g['Name'] for g in groups] == ['devs']
    done = identity.cli('group', 'contains', 'user', '--group-domain', 'corp',
                        '--user-domain', 'corp', 'devs', 'Alice')
    assert done.stdout.strip() == 'Alice in group devs'
    members = cli_json(identity, 'user', 'list', '--group', groups[0]['ID'])
    assert [u['Name'] for u in members] == ['Alice']

    # a role through the LDAP group, and a token as the LDAP user
    project = conn.identity.create_project(name='corp-work', domain_id=domain.id)
    role = conn.identity.find_role('member')
    conn.identity.assign_project_role_to_group(project, groups[0]['ID'], role)
    as_alice = {'OS_USERNAME': 'Alice', 'OS_USER_DOMAIN_NAME': 'corp',
                'OS_PASSWORD': 'alice-ldap-pw', 'OS_PROJECT_NAME': 'corp-work',
                'OS_PROJECT_DOMAIN_NAME': 'corp'}
    token = cli_json(identity, 'token', 'issue', env=as_alice)
    assert token['user_id'] == alice['ID'] and token['project_id'] == project.id
    wrong = identity.cli('token', 'issue', env=dict(as_alice, OS_PASSWORD='wrong'),
                         check=False)
    assert wrong.returncode != 0

    # read-only: no user is made in an LDAP domain
    done = identity.cli('user', 'create', '--domain', 'corp', 'carol', check=False)
    assert done.returncode != 0 and '403' in done.stderr + done.stdout

    # a user added to the directory can sign in at once; one removed is gone
    slapd.add_user('dave', 'dave-ldap-pw', name='Dave')
    conn.identity.assign_project_role_to_user(
        project, conn.identity.find_user('Dave', domain_id=domain.id), role)
    as_dave = dict(as_alice, OS_USERNAME='Dave', OS_PASSWORD='dave-ldap-pw')
    assert cli_json(identity, 'token', 'issue', env=as_dave)['project_id'] == project.id


def test_the_oauth1_dance_with_real_clients(identity):
    from keystoneauth1.extras import oauth1 as ksa_oauth1
    from keystoneauth1 import session as ksa_session
    conn, base = identity.conn, identity.url + '/identity/v3'
    project = conn.identity.find_project('admin')
    consumer = conn.session.post(base + '/OS-OAUTH1/consumers',
                                 json={'consumer': {'description': 'app'}}).json()['consumer']
    # 1. the consumer asks for a request token, signed with its secret
    oauth = requests_oauthlib.OAuth1(consumer['id'], client_secret=consumer['secret'],
                                     callback_uri='oob')
    resp = requests.post(base + '/OS-OAUTH1/request_token', auth=oauth, timeout=30,
                         headers={'Requested-Project-Id': project.id})
    assert resp.status_code == 201, resp.text
    request_token = dict(urllib.parse.parse_qsl(resp.text))
    # 2. the user authorizes it for a role on the project
    role = conn.identity.find_role('member')
    resp = conn.session.put(base + '/OS-OAUTH1/authorize/' + request_token['oauth_token'],
                            json={'roles': [{'id': role.id}]})
    verifier = resp.json()['token']['oauth_verifier']
    # 3. the consumer trades it for an access token
    oauth = requests_oauthlib.OAuth1(
        consumer['id'], client_secret=consumer['secret'],
        resource_owner_key=request_token['oauth_token'],
        resource_owner_secret=request_token['oauth_token_secret'], verifier=verifier)
    resp = requests.post(base + '/OS-OAUTH1/access_token', auth=oauth, timeout=30)
    assert resp.status_code == 201, resp.text
    access = dict(urllib.parse.parse_qsl(resp.text))
    # 4. keystoneauth's OAuth1 plugin authenticates with it
    plugin = ksa_oauth1.V3OAuth1(base, consumer_key=consumer['id'],
                                 consumer_secret=consumer['secret'],
                                 access_key=access['oauth_token'],
                                 access_secret=access['oauth_token_secret'])
    sess = ksa_session.Session(auth=plugin)
    assert sess.get_project_id() == project.id
    token = sess.get(base + '/auth/tokens', headers={
        'X-Subject-Token': sess.get_token()}).json()['token']
    assert token['OS-OAUTH1']['access_token_id'] == access['oauth_token']
    assert [r['name'] for r in token['roles']] == ['member'] or \
        'member' in [r['name'] for r in token['roles']]
    # the user revokes the access token: the consumer's token is gone
    user_id = token['user']['id']
    resp = conn.session.delete(base + '/users/%s/OS-OAUTH1/access_tokens/%s'
                               % (user_id, access['oauth_token']))
    assert resp.status_code == 204
    resp = requests.get(base + '/auth/tokens', timeout=30, headers={
        'X-Auth-Token': conn.session.get_token(), 'X-Subject-Token': sess.get_token()})
    assert resp.status_code == 404


def test_federation_behind_a_front_end(identity, tmp_path):
    rules = [{'local': [{'user': {'name': '{0}'}},
                        {'groups': '{1}', 'domain': {'name': 'Default'}}],
              'remote': [{'type': 'OIDC-preferred_username'},
                         {'type': 'OIDC-groups', 'whitelist': ['devs']}]}]
    rules_file = tmp_path / 'rules.json'
    rules_file.write_text(json.dumps(rules))
    cli = identity.cli
    cli('identity', 'provider', 'create', '--remote-id', 'https://idp.example',
        '--enable', 'myidp')
    cli('mapping', 'create', '--rules', str(rules_file), 'oidc-map')
    cli('federation', 'protocol', 'create', '--identity-provider', 'myidp',
        '--mapping', 'oidc-map', 'openid')
    idps = cli_json(identity, 'identity', 'provider', 'list')
    assert [i['ID'] for i in idps] == ['myidp']
    protocols = cli_json(identity, 'federation', 'protocol', 'list',
                         '--identity-provider', 'myidp')
    assert [p['id'] for p in protocols] == ['openid']
    conn = identity.conn
    group = conn.identity.create_group(name='devs', domain_id='default')
    conn.identity.assign_project_role_to_group(
        conn.identity.find_project('admin'), group, conn.identity.find_role('reader'))

    # the front end (on 127.0.0.1, trusted) passes what the provider said
    auth_url = identity.url + ('/identity/v3/OS-FEDERATION/identity_providers/myidp/'
                               'protocols/openid/auth')
    # (header names with '_' do not pass a WSGI server: '-' stands for it)
    headers = {'X-Federation-OIDC-iss': 'https://idp.example',
               'X-Federation-OIDC-preferred-username': 'erin',
               'X-Federation-OIDC-groups': 'devs;guests'}
    resp = requests.post(auth_url, headers=headers, timeout=30)
    assert resp.status_code == 201, resp.text
    unscoped = resp.headers['X-Subject-Token']
    assert resp.json()['token']['user']['OS-FEDERATION']['groups'] == [{'id': group.id}]
    # keystoneauth rescopes the federated token to a project its group may use
    from keystoneauth1.identity import v3
    from keystoneauth1 import session as ksa_session
    sess = ksa_session.Session(auth=v3.Token(
        identity.url + '/identity/v3', unscoped, project_name='admin',
        project_domain_id='default'))
    assert sess.get_project_id() == conn.identity.find_project('admin').id
    users = cli_json(identity, 'user', 'list', '--domain',
                     conn.identity.get_identity_provider('myidp').domain_id)
    assert [u['Name'] for u in users] == ['erin']
    resp = requests.post(auth_url, timeout=30, headers=dict(
        headers, **{'X-Federation-OIDC-iss': 'https://other.example'}))
    assert resp.status_code == 403
