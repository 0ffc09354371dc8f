"""The real Nova for tools/bench_compute.py, deployed as OpenStack deploys it.

nova-api (gunicorn), nova-conductor, nova-scheduler and nova-compute with
its fake.FakeDriver, Placement (gunicorn), RabbitMQ (a node of its own on a
free port) and PostgreSQL databases of their own. Nova 34 has no noauth, so
identity (and the image API Nova reads images from) is a cloudstack-all
started for it: Nova and Placement validate tokens there with
keystonemiddleware and find their service users there. Networking is a stub
that answers Nova's few reads for servers without networks.
"""
import http.server
import json
import os
import shutil
import subprocess
import threading
import time

import requests

from bench import servers

PACKAGES = ['nova==34.0.0', 'openstack-placement', 'gunicorn', 'psycopg2-binary']
PG = 'postgresql+psycopg2:///%s?host=/var/run/postgresql'
DATABASES = ('nova_api', 'nova_cell0', 'nova_cell1', 'placement')
SERVICE_PASSWORD = 'bench-service-pw'

API_PASTE = """\
[composite:osapi_compute]
use = call:nova.api.openstack.urlmap:urlmap_factory
/: oscomputeversions
/v2.1: oscomputeversion_v2
/v2.1/+: openstack_compute_api_v21

[composite:openstack_compute_api_v21]
use = call:nova.api.auth:pipeline_factory_v21
keystone = compute_req_id faultwrap sizelimit authtoken keystonecontext osapi_compute_app_v21

[filter:compute_req_id]
paste.filter_factory = nova.api.compute_req_id:ComputeReqIdMiddleware.factory

[filter:faultwrap]
paste.filter_factory = nova.api.openstack:FaultWrapper.factory

[filter:sizelimit]
paste.filter_factory = oslo_middleware:RequestBodySizeLimiter.factory

[filter:keystonecontext]
paste.filter_factory = nova.api.auth:NovaKeystoneContext.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory

[app:osapi_compute_app_v21]
paste.app_factory = nova.api.openstack.compute:APIRouterV21.factory

[pipeline:oscomputeversions]
pipeline = faultwrap oscomputeversionapp

[pipeline:oscomputeversion_v2]
pipeline = compute_req_id faultwrap oscomputeversionapp_v2

[app:oscomputeversionapp]
paste.app_factory = nova.api.openstack.compute.versions:Versions.factory

[app:oscomputeversionapp_v2]
paste.app_factory = nova.api.openstack.compute.versions:VersionsV2.factory
"""

AUTH = """\
auth_type = password
auth_url = {identity}
username = {user}
password = {password}
user_domain_name = Default
project_name = service
project_domain_name = Default
"""

NOVA_CONF = """\
[DEFAULT]
transport_url = rabbit://guest:guest@127.0.0.1:{rabbit_port}/
compute_driver = fake.FakeDriver
host = bench-nova-compute
my_ip = 127.0.0.1
state_path = {workdir}/state
instances_path = {workdir}/instances
log_dir = {workdir}
[api]
auth_strategy = keystone
[api_database]
connection = {api_db}
[database]
connection = {cell0_db}
[keystone_authtoken]
www_authenticate_uri = {identity}
memcached_servers =
{auth_nova}
[placement]
endpoint_override = http://127.0.0.1:{placement_port}
{auth_placement_client}
[glance]
endpoint_override = {image}
[neutron]
endpoint_override = http://127.0.0.1:{stub_port}
{auth_neutron}
[cinder]
os_region_name = RegionOne
[service_user]
send_service_user_token = false
[oslo_concurrency]
lock_path = {workdir}/locks
[scheduler]
discover_hosts_in_cells_interval = 2
[wsgi]
api_paste_config = {workdir}/api-paste.ini
[oslo_messaging_notifications]
driver = noop
[quota]
instances = -1
cores = -1
ram = -1
"""

PLACEMENT_CONF = """\
[DEFAULT]
log_dir = {workdir}
[api]
auth_strategy = keystone
[placement_database]
connection = {placement_db}
[keystone_authtoken]
www_authenticate_uri = {identity}
memcached_servers =
{auth_placement}
"""


# nova-api and placement parse sys.argv with oslo.config, which must not see
# gunicorn's arguments
WSGI_SHIM = """\
import sys
sys.argv = sys.argv[:1]
from {module} import application  # noqa: E402,F401
"""


class _Stub(http.server.BaseHTTPRequestHandler):
    """Networking for servers without networks: every list is empty."""

    def do_GET(self):
        resource = self.path.split('?')[0].rstrip('/').rsplit('/', 1)[-1]
        body = json.dumps({resource.replace('-', '_'): []}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class NovaCluster:
    def __init__(self, venv, workdir, workers, identity_base, admin_password):
        self.venv, self.workdir, self.workers = venv, workdir, workers
        self.identity_base = identity_base        # a cloudstack-all serving /identity
        self.admin_password = admin_password
        self.procs = []
        self.compute_url = self.image_url = self.project_id = None

    def bin(self, name):
        return os.path.join(self.venv, 'bin', name)

    def ensure_venv(self):
        if os.access(self.bin('nova-compute'), os.X_OK) and \
                os.access(self.bin('gunicorn'), os.X_OK):
            return
        log = os.path.join(self.workdir, 'install.log')
        servers.run_step(['python3', '-m', 'venv', self.venv], log, 300)
        servers.run_step([self.bin('pip'), 'install', '-q'] + PACKAGES, log, 1800)

    def _step(self, argv, name, timeout=300, env=None):
        log = os.path.join(self.workdir, name + '.log')
        out = subprocess.run(argv, stdout=open(log, 'a'), stderr=subprocess.STDOUT,
                             env=env, timeout=timeout)
        if out.returncode:
            raise servers.StartError('%s failed: %s' % (' '.join(argv[:3]),
                                                        servers.tail(log)))

    def _start(self, name, argv, env=None):
        proc = servers.ServerProcess(name, argv, os.path.join(self.workdir, name + '.log'),
                                     env=env).start()
        self.procs.append(proc)
        return proc

    # Identity: service users, the token the benchmark uses --------------------------

    def _admin(self):
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': 'admin', 'domain': {'id': 'default'}, 'password': self.admin_password}}},
            'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}}
        r = requests.post(self.identity_base + '/identity/v3/auth/tokens', json=body,
                          timeout=60)
        r.raise_for_status()
        return r.headers['X-Subject-Token'], r.json()['token']['project']['id']

    def _service_users(self):
        token, self.project_id = self._admin()
        h = {'X-Auth-Token': token}
        v3 = self.identity_base + '/identity/v3'
        r = requests.post(v3 + '/projects', json={'project': {
            'name': 'service', 'domain_id': 'default'}}, headers=h, timeout=60)
        project = r.json()['project']['id'] if r.status_code == 201 else requests.get(
            v3 + '/projects?name=service', headers=h, timeout=60).json()['projects'][0]['id']
        admin_role = requests.get(v3 + '/roles?name=admin', headers=h,
                                  timeout=60).json()['roles'][0]['id']
        for name in ('nova', 'placement', 'neutron'):
            r = requests.post(v3 + '/users', json={'user': {
                'name': name, 'password': SERVICE_PASSWORD, 'domain_id': 'default'}},
                headers=h, timeout=60)
            user = r.json()['user']['id'] if r.status_code == 201 else requests.get(
                v3 + '/users?name=' + name, headers=h, timeout=60).json()['users'][0]['id']
            requests.put('%s/projects/%s/users/%s/roles/%s' % (v3, project, user, admin_role),
                         headers=h, timeout=60)
        self.token = token

    def headers(self):
        return {'X-Auth-Token': self.token}

    # Start ------------------------------------------------------------------------

    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        self.ensure_venv()
        self._service_users()
        stub = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Stub)
        threading.Thread(target=stub.serve_forever, daemon=True).start()
        self.stub = stub
        ports = {'rabbit_port': servers.free_port(), 'placement_port': servers.free_port(),
                 'api_port': servers.free_port(), 'stub_port': stub.server_address[1]}
        self._rabbit(ports['rabbit_port'])
        for db in DATABASES:
            subprocess.run(['dropdb', '--if-exists', 'bench_' + db], capture_output=True)
            subprocess.run(['createdb', 'bench_' + db], check=True, capture_output=True)
        identity = self.identity_base + '/identity/v3'
        values = dict(ports, workdir=self.workdir, identity=identity,
                      image=self.identity_base + '/image',
                      api_db=PG % 'bench_nova_api', cell0_db=PG % 'bench_nova_cell1',
                      placement_db=PG % 'bench_placement',
                      auth_nova=AUTH.format(identity=identity, user='nova',
                                            password=SERVICE_PASSWORD),
                      auth_placement=AUTH.format(identity=identity, user='placement',
                                                 password=SERVICE_PASSWORD),
                      auth_placement_client=AUTH.format(identity=identity, user='placement',
                                                        password=SERVICE_PASSWORD),
                      auth_neutron=AUTH.format(identity=identity, user='neutron',
                                               password=SERVICE_PASSWORD))
        with open(os.path.join(self.workdir, 'nova.conf'), 'w') as f:
            f.write(NOVA_CONF.format(**values))
        with open(os.path.join(self.workdir, 'placement.conf'), 'w') as f:
            f.write(PLACEMENT_CONF.format(**values))
        with open(os.path.join(self.workdir, 'api-paste.ini'), 'w') as f:
            f.write(API_PASTE)
        conf = ['--config-file', os.path.join(self.workdir, 'nova.conf')]
        manage = [self.bin('nova-manage')] + conf
        self._step([self.bin('placement-manage'), '--config-file',
                    os.path.join(self.workdir, 'placement.conf'), 'db', 'sync'], 'setup')
        self._step(manage + ['api_db', 'sync'], 'setup')
        self._step(manage + ['cell_v2', 'map_cell0', '--database_connection',
                             PG % 'bench_nova_cell0'], 'setup')
        self._step(manage + ['cell_v2', 'create_cell', '--name', 'cell1',
                             '--database_connection', PG % 'bench_nova_cell1'], 'setup')
        self._step(manage + ['db', 'sync'], 'setup')
        env = dict(os.environ, OS_PLACEMENT_CONFIG_DIR=self.workdir,
                   OS_NOVA_CONFIG_DIR=self.workdir)
        for name, module in (('placement_app', 'placement.wsgi.api'),
                             ('nova_api_app', 'nova.wsgi.osapi_compute')):
            with open(os.path.join(self.workdir, name + '.py'), 'w') as f:
                f.write(WSGI_SHIM.format(module=module))
        for name, port, app in (('placement', ports['placement_port'], 'placement_app'),
                                ('nova-api', ports['api_port'], 'nova_api_app')):
            self._start(name, [self.bin('gunicorn'), '--no-control-socket', '--chdir',
                               self.workdir, '--workers', str(self.workers), '--bind',
                               '127.0.0.1:%d' % port, '--timeout', '120',
                               app + ':application'], env)
        for service in ('nova-conductor', 'nova-scheduler', 'nova-compute'):
            self._start(service, [self.bin(service)] + conf)
        self.compute_url = 'http://127.0.0.1:%d/v2.1' % ports['api_port']
        self.image_url = self.identity_base + '/image'
        deadline = time.monotonic() + 180
        while True:
            try:
                r = requests.get(self.compute_url + '/os-hypervisors',
                                 headers=self.headers(), timeout=10)
                if r.status_code == 200 and r.json()['hypervisors']:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise servers.StartError('nova: no hypervisor after 180 s: %s' % servers.tail(
                    os.path.join(self.workdir, 'nova-compute.log')))
            time.sleep(1)
            self._step(manage + ['cell_v2', 'discover_hosts'], 'setup')

    def _rabbit(self, port):
        self.rabbit_node = 'benchnova%d@localhost' % port
        base = os.path.join(self.workdir, 'rabbit')
        os.makedirs(base, exist_ok=True)
        # rabbitmq-server drops root for the rabbitmq user
        os.chmod(self.workdir, 0o755)
        os.chmod(base, 0o777)
        env = dict(os.environ, RABBITMQ_NODENAME=self.rabbit_node,
                   RABBITMQ_NODE_IP_ADDRESS='127.0.0.1', RABBITMQ_NODE_PORT=str(port),
                   RABBITMQ_DIST_PORT=str(servers.free_port()), RABBITMQ_MNESIA_BASE=base,
                   RABBITMQ_LOG_BASE=base, RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(
                       base, 'plugins'), RABBITMQ_PID_FILE=os.path.join(base, 'pid'))
        self.rabbit_env = env
        self._step(['rabbitmq-server', '-detached'], 'rabbit', env=env)
        self._step(['rabbitmqctl', '-n', self.rabbit_node, 'wait', os.path.join(base, 'pid'),
                    '--timeout', '120'], 'rabbit', timeout=180, env=env)

    def rss(self):
        return sum(servers.tree_rss(p.proc.pid) for p in self.procs if p.proc)

    def stop(self):
        for proc in reversed(self.procs):
            proc.stop()
        self.procs = []
        if getattr(self, 'rabbit_node', None):
            subprocess.run(['rabbitmqctl', '-n', self.rabbit_node, 'stop'],
                           capture_output=True, env=self.rabbit_env, timeout=120)
        if getattr(self, 'stub', None):
            self.stub.shutdown()


__all__ = ['NovaCluster', 'shutil']
