"""cloudstack-all as a real process tree: start, credentials, restarts, shutdown."""
import os
import signal
import socket
import stat
import threading
import time

import requests
import yaml

SLOW_APP = '''
    import os
    import time

    def factory(global_conf, **local_conf):
        def slow(environ, start_response):
            # Answers once the test creates the .release file.
            open(__file__ + '.started', 'w').close()
            while not os.path.exists(__file__ + '.release'):
                time.sleep(0.05)
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'slept']
        return slow
'''

SLOW_PASTE = '''
[composite:main]
use = call:cloudstack.wsgi.app:urlmap_factory
/healthcheck = healthcheck
/slow = slow

[app:healthcheck]
paste.app_factory = oslo_middleware:Healthcheck.app_factory
backends = cloudstack_database

[app:slow]
paste.app_factory = slowapp:factory
'''


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _clouds(cloud):
    with open(os.path.join(cloud.data_dir, 'clouds.yaml')) as f:
        return yaml.safe_load(f)['clouds']['cloudstack']


def test_first_and_later_starts(cloud):
    started = time.monotonic()
    proc = cloud.start('cloudstack-all', '--admin-password', 's3cret-first')
    cloud.ready()     # about a second on an idle machine
    print('first start: /healthcheck answered after %.2fs' % (time.monotonic() - started))
    cloud.ready('/identity/v3')
    assert _mode(cloud.data_dir) == 0o700
    for name in ('clouds.yaml', 'openrc'):
        assert _mode(os.path.join(cloud.data_dir, name)) == 0o600
    auth = _clouds(cloud)['auth']
    assert auth['auth_url'] == cloud.url + '/identity/v3'
    assert auth['password'] == 's3cret-first'
    with open(os.path.join(cloud.data_dir, 'openrc')) as f:
        assert 'export OS_PASSWORD=s3cret-first\n' in f.read()
    cloud.get('/healthcheck?temp_url_sig=s3cret-sig&limit=1',
              headers={'X-Auth-Token': 's3cret-token'})
    log = cloud.wait_for(lambda: 'temp_url_sig=***&limit=1' in cloud.log() and cloud.log())
    assert not any(secret in log for secret in ('s3cret-first', 's3cret-sig', 's3cret-token'))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0

    # A later start keeps the password; a given one replaces it.
    proc = cloud.start('cloudstack-all')
    cloud.ready()
    assert _clouds(cloud)['auth']['password'] == 's3cret-first'
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 0
    proc = cloud.start('cloudstack-all', env={'CLOUDSTACK_ADMIN_PASSWORD': 's3cret-env'})
    cloud.ready()
    assert _clouds(cloud)['auth']['password'] == 's3cret-env'
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0

    # On another port, the catalog and the credentials follow.
    cloud.rebind()
    proc = cloud.start('cloudstack-all', '--admin-password', 's3cret-second')
    cloud.ready()
    auth = _clouds(cloud)['auth']
    assert (auth['auth_url'], auth['password']) == (cloud.url + '/identity/v3', 's3cret-second')
    token = requests.post(auth['auth_url'] + '/auth/tokens', timeout=10, json={'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'admin', 'domain': {'name': 'Default'}, 'password': auth['password']}}},
        'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}})
    assert token.status_code == 201, token.text
    [identity] = [s for s in token.json()['token']['catalog'] if s['type'] == 'identity']
    assert {e['url'] for e in identity['endpoints']} == {cloud.url + '/identity'}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def test_example_config(cloud):
    example = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir,
                           'etc', 'cloudstack', 'cloudstack.conf')
    proc = cloud.start('cloudstack-all', '--data-dir', cloud.data_dir,
                       '--bind', '127.0.0.1:%d' % cloud.port, config=example)
    # With Horizon installed, the example's cloud loads it and prepares its files.
    cloud.ready('/identity/v3', timeout=120)
    assert sorted(cloud.family(proc).values()) == ['cs-api-1', 'cs-api-2', 'cs-engine']
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=40) == 0


def test_dead_children_are_restarted(cloud):
    proc = cloud.start()
    cloud.ready()
    before = cloud.family(proc)
    assert sorted(before.values()) == ['cs-api-1', 'cs-api-2', 'cs-engine']
    titles = cloud.titles([proc.pid, *before])
    assert titles[proc.pid].startswith('cloudstack-all: parent process [')
    assert sorted(titles[pid] for pid in before) == [
        'cloudstack-all: api worker 1', 'cloudstack-all: api worker 2',
        'cloudstack-all: engine (host %s: host-less work, compute, network, volume, '
        'object)' % socket.gethostname()]
    for victim, name in before.items():
        os.kill(victim, signal.SIGKILL)
        for _ in range(20):         # the other worker keeps answering meanwhile
            assert cloud.get('/healthcheck').status_code == 200
        cloud.wait_for(lambda: name in cloud.family(proc).values())
        assert victim not in cloud.family(proc)
    cloud.ready()
    assert 'restarting it' in cloud.log()


def _refused(cloud):
    try:
        cloud.get('/healthcheck', timeout=1)
    except requests.ConnectionError:
        return True
    return False


def test_sigterm_lets_the_request_in_flight_finish(cloud):
    cloud.module('slowapp', SLOW_APP)
    paste = cloud.tmp / 'paste.ini'
    paste.write_text(SLOW_PASTE)
    cloud.options['DEFAULT']['api_paste_config'] = str(paste)
    # Far longer than the test waits: the tree leaves when its request ends, not then.
    cloud.options['DEFAULT']['graceful_shutdown_timeout'] = 3600
    proc = cloud.start()
    cloud.ready()
    answer = {}
    slow = threading.Thread(target=lambda: answer.update(r=cloud.get('/slow', timeout=300)))
    slow.start()
    cloud.wait_for(lambda: os.path.exists(cloud.lib / 'slowapp.py.started'), timeout=60)
    proc.send_signal(signal.SIGTERM)
    cloud.wait_for(lambda: _refused(cloud), timeout=60)     # while the request goes on
    assert slow.is_alive() and proc.poll() is None
    (cloud.lib / 'slowapp.py.release').touch()
    slow.join()
    assert answer['r'].status_code == 200 and answer['r'].text == 'slept'
    assert proc.wait(timeout=120) == 0


def test_children_leave_when_the_parent_is_killed(cloud):
    proc = cloud.start()
    cloud.ready()
    kids = cloud.family(proc)
    proc.kill()
    proc.wait()
    cloud.wait_for(lambda: not any(cloud.alive(pid) for pid in kids), timeout=60)
