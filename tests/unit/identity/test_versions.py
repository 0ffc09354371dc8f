"""Identity version discovery."""


def test_root_lists_v3_as_multiple_choices(client):
    assert client.get('/identity').status_int == 300     # keystoneauth asks without '/'
    resp = client.get('/identity/')
    assert resp.status_int == 300
    (v3,) = resp.json['versions']['values']
    assert v3['id'].startswith('v3.') and v3['status'] == 'stable'
    assert v3['links'][0]['href'] == 'http://localhost/identity/v3/'
    assert v3['media-types'][0]['type'] == 'application/vnd.openstack.identity-v3+json'


def test_v3_document_needs_no_token(client):
    resp = client.get('/identity/v3')
    assert resp.status_int == 200 and resp.json['version']['id'].startswith('v3.')
    assert resp.headers['x-openstack-request-id'].startswith('req-')


def test_healthcheck_answers_without_auth(client):
    resp = client.get('/healthcheck', headers={'Accept': 'text/plain'})
    assert resp.status_int == 200 and resp.text == 'OK'
    # oslo.middleware's healthcheck, with our database backend.
    assert client.get('/healthcheck').json == {'detailed': False, 'reasons': ['OK']}
