"""Users of their own projects for the API tests."""
from tests.conftest import Client

V3 = '/identity/v3'


def project_client(admin, user, project, role='member'):
    """A client holding a token of a new user with `role` on a new project."""
    resp = admin.post(V3 + '/projects', {'project': {'name': project,
                                                     'domain_id': 'default'}})
    assert resp.status_int == 201, resp.text
    project_id = resp.json['project']['id']
    resp = admin.post(V3 + '/users', {'user': {'name': user, 'password': 'pw-' + user,
                                               'domain_id': 'default'}})
    assert resp.status_int == 201, resp.text
    user_id = resp.json['user']['id']
    role_id = admin.get(V3 + '/roles?name=' + role).json['roles'][0]['id']
    resp = admin.put('%s/projects/%s/users/%s/roles/%s' % (V3, project_id, user_id, role_id))
    assert resp.status_int == 204, resp.text
    resp = admin.issue_token(user, 'pw-' + user, project=project)
    assert resp.status_int == 201, resp.text
    client = Client(admin.app, resp.headers['X-Subject-Token'])
    client.project_id = project_id
    return client
