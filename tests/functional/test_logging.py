"""The server's log, as OpenStack services log through oslo.log: every line
of a request carries its request id and, once the token is validated, its
user and project, the access log's line included; secrets never appear."""
import re

import requests

from tests.functional.conftest import keystone_session

PASSWORD = 's3cret-admin-pw'


def test_request_lines_carry_the_request_id_user_and_project(cloud):
    cloud.options['DEFAULT']['debug'] = 'true'     # the most a log ever says
    cloud.start('cloudstack-all', '--admin-password', PASSWORD)
    cloud.ready('/identity/v3', timeout=120)     # a busy machine starts slowly
    session = keystone_session(cloud, PASSWORD)
    token = session.get_token()
    user_id, project_id = session.get_user_id(), session.get_project_id()
    image = session.get_endpoint(service_type='image', interface='public')
    resp = requests.get(image + '/v2/images?temp_url_sig=s3cret-sig', timeout=10,
                        headers={'X-Auth-Token': token})
    assert resp.status_code == 200, resp.text
    request_id = resp.headers['x-openstack-request-id']
    assert re.match(r'^req-[0-9a-f-]{36}$', request_id)

    def access_line():
        return [line for line in cloud.log().splitlines()
                if request_id in line and '"GET /image/v2/images' in line]
    cloud.wait_for(access_line)
    lines = [line for line in cloud.log().splitlines() if request_id in line]
    for line in lines:
        assert '%s %s %s' % (request_id, user_id, project_id) in line, line
    [access] = access_line()
    assert 'status: 200' in access and 'temp_url_sig=***' in access
    log = cloud.log()
    for secret in (PASSWORD, token, 's3cret-sig'):
        assert secret not in log
