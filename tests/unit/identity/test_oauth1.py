"""/v3/OS-OAUTH1/consumers."""
from tests.unit.identity.test_catalog import V3, make_user

PATH = V3 + '/OS-OAUTH1/consumers'


def test_consumer_crud(admin):
    resp = admin.post(PATH, {'consumer': {'description': 'my app'}})
    assert resp.status_int == 201, resp.text
    consumer = resp.json['consumer']
    assert consumer['description'] == 'my app' and len(consumer['secret']) >= 20
    assert consumer['links']['self'].endswith('/v3/OS-OAUTH1/consumers/' + consumer['id'])

    shown = admin.get(PATH + '/' + consumer['id']).json['consumer']
    assert 'secret' not in shown                  # shown only on create
    assert {k: shown[k] for k in ('id', 'description', 'links')} == \
        {k: consumer[k] for k in ('id', 'description', 'links')}
    second = admin.post(PATH, {'consumer': {}}).json['consumer']
    assert second['description'] is None and second['secret'] != consumer['secret']
    listed = admin.get(PATH).json['consumers']
    assert {c['id'] for c in listed} == {consumer['id'], second['id']}
    assert all('secret' not in c for c in listed)

    resp = admin.patch(PATH + '/' + consumer['id'], {'consumer': {'description': 'new'}})
    assert resp.status_int == 200 and resp.json['consumer']['description'] == 'new'
    assert admin.get(PATH + '/' + consumer['id']).json['consumer']['description'] == 'new'
    resp = admin.patch(PATH + '/' + consumer['id'], {'consumer': {'secret': 'mine'}})
    assert resp.status_int == 400

    assert admin.delete(PATH + '/' + consumer['id']).status_int == 204
    assert admin.get(PATH + '/' + consumer['id']).status_int == 404
    assert admin.delete(PATH + '/' + consumer['id']).status_int == 404


def test_consumer_policy(admin, client):
    _, token = make_user(admin, 'frank')
    assert client.post(PATH, {'consumer': {}}, token=token).status_int == 403
    assert client.get(PATH, token=token).status_int == 403
    assert client.get(PATH).status_int == 401
