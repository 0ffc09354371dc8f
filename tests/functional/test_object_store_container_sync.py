"""Container sync between two clouds of ours: X-Container-Sync-To
//realm/cluster/account/container reaches the cluster the realms file names,
over HTTP, signed with the realm key (Swift's container sync)."""
import pytest

from tests.functional.conftest import ADMIN_PASSWORD, Cloud

swiftclient = pytest.importorskip('swiftclient.client')


def _connect(cloud):
    cloud.start('cloudstack-all', '--admin-password', ADMIN_PASSWORD)
    cloud.ready('/identity/v3', timeout=120)
    conn = swiftclient.Connection(
        authurl=cloud.url + '/identity/v3', user='admin', key=ADMIN_PASSWORD,
        auth_version='3', os_options={'project_name': 'admin',
                                      'user_domain_id': 'default',
                                      'project_domain_id': 'default'},
        retries=0)
    conn.get_auth()
    return conn


def test_an_object_syncs_to_the_other_cloud(cloud, tmp_path):
    (tmp_path / 'two').mkdir()
    two = Cloud(tmp_path / 'two')
    # a database of its own (the first cloud may have the shared test one)
    two.options['database'] = {'connection': 'sqlite:///%s' % (tmp_path / 'two' / 'cs.db')}
    realms = tmp_path / 'container-sync-realms.conf'
    realms.write_text('[test]\nkey = realm-secret\ncluster_one = %s/v1/\n'
                      'cluster_two = %s/v1/\n' % (cloud.url, two.url))
    for c in (cloud, two):
        c.options['object_store'] = {'container_sync_realms_conf': str(realms)}
    try:
        here, there = _connect(cloud), _connect(two)
        account_there = there.url.rsplit('/', 1)[1]
        there.put_container('inbox', headers={'X-Container-Sync-Key': 'shared'})
        # a realm or cluster the realms file does not name: Swift's 400
        for bad in ('//nope/two/%s/inbox', '//test/three/%s/inbox'):
            with pytest.raises(swiftclient.ClientException) as err:
                here.put_container('x', headers={'X-Container-Sync-To': bad % account_there,
                                                 'X-Container-Sync-Key': 'shared'})
            assert err.value.http_status == 400
        here.put_container('outbox', headers={
            'X-Container-Sync-To': '//test/two/%s/inbox' % account_there,
            'X-Container-Sync-Key': 'shared'})
        here.put_object('outbox', 'report.txt', b'quarterly numbers',
                        content_type='text/x-report', headers={'X-Object-Meta-Who': 'ops'})
        sent = here.head_object('outbox', 'report.txt')

        def arrived():
            try:
                return there.get_object('inbox', 'report.txt')
            except swiftclient.ClientException as exc:
                assert exc.http_status == 404, exc
                return None
        headers, body = cloud.wait_for(arrived, timeout=180, interval=1)
        assert body == b'quarterly numbers'
        assert headers['content-type'] == 'text/x-report'
        assert headers['x-object-meta-who'] == 'ops'
        assert headers['x-timestamp'] == sent['x-timestamp']
        assert headers['etag'] == sent['etag']
        # the other cloud refuses writes not signed with the realm's key
        with pytest.raises(swiftclient.ClientException) as err:
            swiftclient.put_object(
                there.url, token=None, container='inbox', name='forged', contents=b'x',
                headers={'X-Timestamp': sent['x-timestamp'],
                         'X-Container-Sync-Auth': 'test n0nce ' + '0' * 40})
        assert err.value.http_status == 401
        # a deletion follows
        here.delete_object('outbox', 'report.txt')
        cloud.wait_for(lambda: arrived() is None, timeout=180, interval=1)
    finally:
        two.kill_all()
