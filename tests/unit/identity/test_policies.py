"""/v3/policies: stored policy documents."""
from tests.unit.identity.test_catalog import V3, make_user


def test_policy_crud(admin):
    resp = admin.post(V3 + '/policies', {'policy': {
        'type': 'application/json', 'blob': '{"a": "rule:b"}', 'owner': 'ops'}})
    assert resp.status_int == 201, resp.text
    policy = resp.json['policy']
    assert (policy['type'], policy['blob'], policy['owner']) == \
        ('application/json', '{"a": "rule:b"}', 'ops')
    assert policy['links']['self'].endswith('/v3/policies/' + policy['id'])
    other = admin.post(V3 + '/policies', {'policy': {'type': 'text/yaml', 'blob': 'a: b'}}
                       ).json['policy']

    listed = admin.get(V3 + '/policies').json['policies']
    assert policy in listed and other in listed
    assert [p['id'] for p in admin.get(V3 + '/policies?type=text/yaml').json['policies']] \
        == [other['id']]

    resp = admin.patch(V3 + '/policies/' + policy['id'], {'policy': {'type': 'new/type'}})
    assert resp.status_int == 200 and resp.json['policy']['type'] == 'new/type'
    shown = admin.get(V3 + '/policies/' + policy['id']).json['policy']
    assert (shown['type'], shown['blob']) == ('new/type', '{"a": "rule:b"}')

    assert admin.delete(V3 + '/policies/' + policy['id']).status_int == 204
    assert admin.get(V3 + '/policies/' + policy['id']).status_int == 404
    assert admin.delete(V3 + '/policies/' + policy['id']).status_int == 404


def test_policy_validation_and_rules(admin, client):
    assert admin.post(V3 + '/policies', {'policy': {'type': 't'}}).status_int == 400
    assert admin.post(V3 + '/policies', {'policy': {'blob': 'b'}}).status_int == 400
    assert admin.post(V3 + '/policies', {'policy': {'type': 't', 'blob': 1}}).status_int == 400
    policy = admin.post(V3 + '/policies', {'policy': {'type': 't', 'blob': 'b'}}).json['policy']
    assert admin.patch(V3 + '/policies/' + policy['id'], {'policy': {}}).status_int == 400
    _, token = make_user(admin, 'erin')
    assert client.get(V3 + '/policies', token=token).status_int == 403
    assert client.post(V3 + '/policies', {'policy': {'type': 't', 'blob': 'b'}},
                       token=token).status_int == 403
