"""/v3/credentials (encrypted blobs) and /v3/users/{user_id}/credentials/OS-EC2."""
import hashlib
import json

from cloudstack.db import api as db_api
from cloudstack.identity import keys
from cloudstack.identity import models
from tests.unit.identity.test_catalog import V3, admin_project_id, make_user


def me(admin):
    return admin.get(V3 + '/users?name=admin').json['users'][0]['id']


def create(client, user_id, blob, ctype='cert', project_id=None, token=None):
    body = {'user_id': user_id, 'type': ctype, 'blob': blob}
    if project_id:
        body['project_id'] = project_id
    return client.post(V3 + '/credentials', {'credential': body}, token=token)


def test_credential_crud_and_encryption(admin):
    user_id = me(admin)
    resp = admin.post(V3 + '/credentials', {'credential': {
        'user_id': user_id, 'type': 'cert', 'blob': 'PEM DATA', 'note': 'kept'}})
    assert resp.status_int == 201, resp.text
    cred = resp.json['credential']
    assert (cred['user_id'], cred['type'], cred['blob'], cred['note']) == \
        (user_id, 'cert', 'PEM DATA', 'kept')
    assert cred['project_id'] is None
    assert cred['links']['self'].endswith('/v3/credentials/' + cred['id'])
    with db_api.reader() as s:
        row = s.get(models.Credential, cred['id'])
        assert 'PEM DATA' not in row.encrypted_blob and len(row.key_hash) == 64
        assert keys.load(keys.credential_repo()).decrypt(row.encrypted_blob.encode()) \
            == b'PEM DATA'

    resp = admin.patch(V3 + '/credentials/' + cred['id'], {'credential': {'blob': 'NEW'}})
    assert resp.status_int == 200 and resp.json['credential']['blob'] == 'NEW'
    assert admin.get(V3 + '/credentials/' + cred['id']).json['credential']['blob'] == 'NEW'
    assert admin.delete(V3 + '/credentials/' + cred['id']).status_int == 204
    assert admin.get(V3 + '/credentials/' + cred['id']).status_int == 404


def test_credentials_survive_key_rotation(admin):
    cred = create(admin, me(admin), 'secret stuff').json['credential']
    keys.rotate(keys.credential_repo(), 3)
    assert admin.get(V3 + '/credentials/' + cred['id']).json['credential']['blob'] == \
        'secret stuff'
    newer = create(admin, me(admin), 'newer').json['credential']
    with db_api.reader() as s:
        hashes = {s.get(models.Credential, c['id']).key_hash for c in (cred, newer)}
    assert len(hashes) == 2        # the new primary key encrypts from now on


def test_ec2_credential_via_credentials_api(admin):
    user_id, project_id = me(admin), admin_project_id(admin)
    blob = json.dumps({'access': 'AK1', 'secret': 'SK1'})
    resp = create(admin, user_id, blob, 'ec2', project_id)
    assert resp.status_int == 201, resp.text
    cred = resp.json['credential']
    assert cred['id'] == hashlib.sha256(b'AK1').hexdigest()
    assert json.loads(cred['blob']) == {'access': 'AK1', 'secret': 'SK1'}
    assert create(admin, user_id, blob, 'ec2', project_id).status_int == 409
    assert create(admin, user_id, blob, 'ec2').status_int == 400          # no project
    assert create(admin, user_id, 'not json', 'ec2', project_id).status_int == 400
    assert create(admin, user_id, '{"secret": "x"}', 'ec2', project_id).status_int == 400

    new = json.dumps({'access': 'AK2', 'secret': 'SK2'})
    resp = admin.patch(V3 + '/credentials/' + cred['id'], {'credential': {'blob': new}})
    assert resp.status_int == 200, resp.text
    assert resp.json['credential']['id'] == cred['id']
    assert json.loads(resp.json['credential']['blob'])['access'] == 'AK2'
    resp = admin.patch(V3 + '/credentials/' + cred['id'], {'credential': {
        'blob': json.dumps({'access': 'AK2', 'trust_id': 'sneaky'})}})
    assert resp.status_int == 400


def test_credential_list_filters_and_ownership(admin, client):
    admin_id = me(admin)
    alice_id, alice = make_user(admin, 'alice')
    mine = create(admin, admin_id, 'a').json['credential']
    theirs = create(admin, alice_id, 'b', 'totp').json['credential']
    ids = lambda q, tok=None: {c['id'] for c in client.get(
        V3 + '/credentials' + q, token=tok or admin.token).json['credentials']}
    assert {mine['id'], theirs['id']} <= ids('')
    assert ids('?user_id=' + alice_id) == {theirs['id']}
    assert ids('?type=totp') == {theirs['id']}

    assert ids('', alice) == {theirs['id']}              # a user sees only their own
    assert client.get(V3 + '/credentials/' + mine['id'], token=alice).status_int == 403
    assert client.get(V3 + '/credentials/' + theirs['id'], token=alice).status_int == 200
    assert create(client, admin_id, 'x', token=alice).status_int == 403
    assert create(client, alice_id, 'x', token=alice).status_int == 201
    resp = client.patch(V3 + '/credentials/' + theirs['id'],
                        {'credential': {'user_id': admin_id}}, token=alice)
    assert resp.status_int == 403
    assert client.delete(V3 + '/credentials/' + mine['id'], token=alice).status_int == 403
    assert client.delete(V3 + '/credentials/' + theirs['id'], token=alice).status_int == 204


def test_credential_validation(admin):
    user_id = me(admin)
    for body in ({'type': 'cert', 'blob': 'x'}, {'user_id': user_id, 'blob': 'x'},
                 {'user_id': user_id, 'type': 'cert'},
                 {'user_id': user_id, 'type': 'cert', 'blob': 7}):
        assert admin.post(V3 + '/credentials', {'credential': body}).status_int == 400
    assert create(admin, 'nouser', 'x').status_int == 404
    assert admin.patch(V3 + '/credentials/nope', {'credential': {'blob': 'x'}}).status_int == 404


# -- OS-EC2 ------------------------------------------------------------------

def test_ec2_credentials(admin, client):
    project_id = admin_project_id(admin)
    user_id, token = make_user(admin, 'carol')
    path = '%s/users/%s/credentials/OS-EC2' % (V3, user_id)
    resp = client.post(path, {'tenant_id': project_id}, token=token)
    assert resp.status_int == 201, resp.text
    cred = resp.json['credential']
    assert cred['user_id'] == user_id and cred['tenant_id'] == project_id
    assert cred['access'] and cred['secret'] and cred['trust_id'] is None
    assert cred['links']['self'].endswith(path[len('/identity'):] + '/' + cred['access'])
    second = client.post(path, {'tenant_id': project_id}, token=token).json['credential']

    listed = client.get(path, token=token).json['credentials']
    assert {c['access'] for c in listed} == {cred['access'], second['access']}
    shown = client.get(path + '/' + cred['access'], token=token).json['credential']
    assert {k: shown[k] for k in ('access', 'secret', 'user_id', 'tenant_id')} == \
        {k: cred[k] for k in ('access', 'secret', 'user_id', 'tenant_id')}
    # the same credential through /v3/credentials
    generic = admin.get(V3 + '/credentials/' + hashlib.sha256(
        cred['access'].encode()).hexdigest()).json['credential']
    assert generic['type'] == 'ec2' and json.loads(generic['blob'])['secret'] == cred['secret']

    assert client.delete(path + '/' + cred['access'], token=token).status_int == 204
    assert client.get(path + '/' + cred['access'], token=token).status_int == 404
    assert client.delete(path + '/' + cred['access'], token=token).status_int == 404


def test_ec2_errors_and_policy(admin, client):
    project_id = admin_project_id(admin)
    user_id, token = make_user(admin, 'dave')
    path = '%s/users/%s/credentials/OS-EC2' % (V3, user_id)
    assert client.post(path, {}, token=token).status_int == 400
    assert client.post(path, {'tenant_id': 'nope'}, token=token).status_int == 404
    admin_path = '%s/users/%s/credentials/OS-EC2' % (V3, me(admin))
    assert client.post(admin_path, {'tenant_id': project_id}, token=token).status_int == 403
    assert client.get(admin_path, token=token).status_int == 403
    theirs = admin.post(admin_path, {'tenant_id': project_id}).json['credential']
    assert client.get(admin_path + '/' + theirs['access'], token=token).status_int == 403
    # another user's access key under one's own path is not found
    assert client.get(path + '/' + theirs['access'], token=token).status_int == 404
